/*
 * Raw tag scanning for frontd.  It runs only on documents libxml2 has
 * parsed without error and without a DTD, yet it checks every bound
 * itself: comments, processing instructions, CDATA sections and quoted
 * attribute values are skipped so that a '<' or '>' inside them is
 * never taken for a tag.
 */
#include <stddef.h>
#include <string.h>

#include "xmlscan.h"

static int	xmlscan_skip(struct xmlscan *, const char *);

void
xmlscan_init(struct xmlscan *s, const char *buf, size_t len)
{
	memset(s, 0, sizeof(*s));
	s->buf = buf;
	s->len = len;
}

/* Move past the next occurrence of term; -1 if there is none. */
static int
xmlscan_skip(struct xmlscan *s, const char *term)
{
	size_t	 tl = strlen(term), i;

	for (i = s->pos; i + tl <= s->len; i++) {
		if (s->buf[i] == term[0] && memcmp(s->buf + i, term, tl) == 0) {
			s->pos = i + tl;
			return 0;
		}
	}
	return -1;
}

static int
xmlscan_isspace(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

int
xmlscan_next(struct xmlscan *s, struct xmlscan_tok *t)
{
	const char	*lt;
	size_t		 rest, i;
	char		 q;

	for (;;) {
		if (s->pos >= s->len)
			return s->depth == 0 ? 0 : -1;
		lt = memchr(s->buf + s->pos, '<', s->len - s->pos);
		if (lt == NULL) {
			s->pos = s->len;
			continue;
		}
		s->pos = (size_t)(lt - s->buf);
		rest = s->len - s->pos;
		if (rest >= 2 && lt[1] == '?') {
			if (xmlscan_skip(s, "?>") == -1)
				return -1;
			continue;
		}
		if (rest >= 4 && memcmp(lt, "<!--", 4) == 0) {
			s->pos += 4;
			if (xmlscan_skip(s, "-->") == -1)
				return -1;
			continue;
		}
		if (rest >= 9 && memcmp(lt, "<![CDATA[", 9) == 0) {
			s->pos += 9;
			if (xmlscan_skip(s, "]]>") == -1)
				return -1;
			continue;
		}
		if (rest >= 2 && lt[1] == '!')
			return -1;	/* a DTD: never accepted */
		break;
	}

	memset(t, 0, sizeof(*t));
	t->start = s->pos;
	i = s->pos + 1;
	if (i < s->len && s->buf[i] == '/') {
		t->kind = XS_END;
		i++;
	} else
		t->kind = XS_START;
	t->name = i;
	while (i < s->len && !xmlscan_isspace(s->buf[i]) &&
	    s->buf[i] != '>' && s->buf[i] != '/')
		i++;
	t->namelen = i - t->name;
	if (t->namelen == 0)
		return -1;
	/* Attributes: quoted values may hold '>' and '/'. */
	for (; i < s->len; i++) {
		if (s->buf[i] == '"' || s->buf[i] == '\'') {
			q = s->buf[i];
			i++;
			while (i < s->len && s->buf[i] != q)
				i++;
			if (i >= s->len)
				return -1;
			continue;
		}
		if (s->buf[i] == '>')
			break;
	}
	if (i >= s->len)
		return -1;
	t->end = i + 1;
	s->pos = t->end;

	if (t->kind == XS_END) {
		if (s->depth == 0)
			return -1;
		s->depth--;
		t->depth = s->depth;
	} else if (s->buf[i - 1] == '/' && i - 1 >= t->name + t->namelen) {
		t->kind = XS_EMPTY;
		t->depth = s->depth;
	} else {
		t->depth = s->depth;
		if (++s->depth == 0)
			return -1;
	}
	return 1;
}

int
xmlscan_name_is(const struct xmlscan *s, const struct xmlscan_tok *t,
    const char *name)
{
	size_t	 nl = strlen(name);

	return t->namelen == nl && memcmp(s->buf + t->name, name, nl) == 0;
}
