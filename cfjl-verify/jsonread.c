/*
 * A small JSON reader for manifest.json: the whole text is parsed into
 * a tree of values, with bounded depth; strings keep \uXXXX escapes of
 * ASCII only (a manifest never needs more).
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "verify.h"

#define JSON_DEPTH_MAX	16

struct jparse {
	const char	*start, *p, *end;
	char		*err;
	size_t		 errlen;
};

static struct jv	*jvalue(struct jparse *, int);
static char		*jstring(struct jparse *);
static void		 jspace(struct jparse *);
static struct jv	*jfail(struct jparse *, const char *);

static void
jspace(struct jparse *j)
{
	while (j->p < j->end && (*j->p == ' ' || *j->p == '\t' ||
	    *j->p == '\n' || *j->p == '\r'))
		j->p++;
}

static struct jv *
jfail(struct jparse *j, const char *what)
{
	if (*j->err == '\0')
		snprintf(j->err, j->errlen, "%s at offset %zu", what,
		    (size_t)(j->p - j->start));
	return (NULL);
}

static char *
jstring(struct jparse *j)
{
	char		*s;
	size_t		 n = 0, cap = 64;
	unsigned int	 u;

	if (j->p >= j->end || *j->p != '"')
		return (NULL);
	j->p++;
	s = xcalloc(1, cap);
	while (j->p < j->end && *j->p != '"') {
		char	 c = *j->p++;

		if ((unsigned char)c < 0x20)
			goto bad;
		if (c == '\\') {
			if (j->p >= j->end)
				goto bad;
			c = *j->p++;
			switch (c) {
			case '"': case '\\': case '/':
				break;
			case 'n': c = '\n'; break;
			case 't': c = '\t'; break;
			case 'r': c = '\r'; break;
			case 'b': c = '\b'; break;
			case 'f': c = '\f'; break;
			case 'u':
				if (j->end - j->p < 4 ||
				    sscanf(j->p, "%4x", &u) != 1 ||
				    u == 0 || u > 0x7f)
					goto bad;
				j->p += 4;
				c = (char)u;
				break;
			default:
				goto bad;
			}
		}
		if (n + 1 >= cap) {
			cap *= 2;
			s = xreallocarray(s, cap, 1);
		}
		s[n++] = c;
	}
	if (j->p >= j->end)
		goto bad;
	j->p++;
	s[n] = '\0';
	return (s);
bad:
	free(s);
	return (NULL);
}

static struct jv *
jvalue(struct jparse *j, int depth)
{
	struct jv	*v, *c, **tail;
	const char	*start;

	if (depth > JSON_DEPTH_MAX)
		return (jfail(j, "nested too deep"));
	jspace(j);
	if (j->p >= j->end)
		return (jfail(j, "unexpected end"));
	v = xcalloc(1, sizeof(*v));
	switch (*j->p) {
	case '{':
	case '[':
		v->type = *j->p == '{' ? J_OBJ : J_ARR;
		j->p++;
		tail = &v->child;
		jspace(j);
		if (j->p < j->end && *j->p == (v->type == J_OBJ ? '}' : ']')) {
			j->p++;
			return (v);
		}
		for (;;) {
			char	*key = NULL;

			jspace(j);
			if (v->type == J_OBJ) {
				if ((key = jstring(j)) == NULL)
					goto bad;
				jspace(j);
				if (j->p >= j->end || *j->p != ':') {
					free(key);
					goto bad;
				}
				j->p++;
			}
			if ((c = jvalue(j, depth + 1)) == NULL) {
				free(key);
				jsonread_free(v);
				return (NULL);
			}
			c->key = key;
			*tail = c;
			tail = &c->next;
			jspace(j);
			if (j->p < j->end && *j->p == ',') {
				j->p++;
				continue;
			}
			if (j->p < j->end &&
			    *j->p == (v->type == J_OBJ ? '}' : ']')) {
				j->p++;
				return (v);
			}
			goto bad;
		}
	case '"':
		v->type = J_STR;
		if ((v->str = jstring(j)) == NULL)
			goto bad;
		return (v);
	case 't':
	case 'f':
	case 'n':
		if (j->end - j->p >= 4 && memcmp(j->p, "true", 4) == 0) {
			v->type = J_BOOL;
			v->b = 1;
			j->p += 4;
		} else if (j->end - j->p >= 5 &&
		    memcmp(j->p, "false", 5) == 0) {
			v->type = J_BOOL;
			j->p += 5;
		} else if (j->end - j->p >= 4 &&
		    memcmp(j->p, "null", 4) == 0) {
			v->type = J_NULL;
			j->p += 4;
		} else
			goto bad;
		return (v);
	default:
		start = j->p;
		if (j->p < j->end && *j->p == '-')
			j->p++;
		while (j->p < j->end && (isdigit((unsigned char)*j->p) ||
		    *j->p == '.' || *j->p == 'e' || *j->p == 'E' ||
		    *j->p == '+' || *j->p == '-'))
			j->p++;
		if (j->p == start || j->p - start > 40)
			goto bad;
		v->type = J_NUM;
		v->str = xcalloc(1, j->p - start + 1);
		memcpy(v->str, start, j->p - start);
		return (v);
	}
bad:
	jsonread_free(v);
	return (jfail(j, "malformed JSON"));
}

struct jv *
jsonread_parse(const char *buf, size_t len, char *err, size_t errlen)
{
	struct jparse	 j;
	struct jv	*v;

	*err = '\0';
	if (memchr(buf, '\0', len) != NULL) {
		snprintf(err, errlen, "NUL byte in JSON text");
		return (NULL);
	}
	j.start = j.p = buf;
	j.end = buf + len;
	j.err = err;
	j.errlen = errlen;
	if ((v = jvalue(&j, 0)) == NULL) {
		if (*err == '\0')
			snprintf(err, errlen, "malformed JSON");
		return (NULL);
	}
	jspace(&j);
	if (j.p != j.end) {
		jsonread_free(v);
		snprintf(err, errlen, "text after the JSON value");
		return (NULL);
	}
	return (v);
}

void
jsonread_free(struct jv *v)
{
	struct jv	*c, *n;

	if (v == NULL)
		return;
	for (c = v->child; c != NULL; c = n) {
		n = c->next;
		jsonread_free(c);
	}
	free(v->key);
	free(v->str);
	free(v);
}

struct jv *
jsonread_get(const struct jv *o, const char *key)
{
	struct jv	*c, *found = NULL;

	if (o == NULL || o->type != J_OBJ)
		return (NULL);
	for (c = o->child; c != NULL; c = c->next)
		if (strcmp(c->key, key) == 0) {
			if (found != NULL)
				return (NULL);	/* a duplicate key: ambiguous */
			found = c;
		}
	return (found);
}

int
jsonread_u64(const struct jv *v, uint64_t *n)
{
	if (v == NULL || v->type != J_NUM)
		return (-1);
	return (util_parse_u64(v->str, n));
}
