/*
 * Raw tag scanning for frontd.  It runs on documents libxml2 has parsed
 * without error and without a DTD, yet it checks every bound itself:
 * comments, processing instructions, CDATA sections and quoted
 * attribute values are skipped so that a '<' or '>' inside them is
 * never taken for a tag.
 *
 * xmlscan_bound() runs before libxml2, on a document known to be UTF-8
 * without a DTD, and must see the tags libxml2 will see: so no other
 * encoding may be declared, no character may be one libxml2 stops at
 * inside a comment or CDATA section (it reads on from there as
 * markup), no '<' may be inside a PI or an attribute value, and what it
 * cannot follow is refused.
 */
#include <stddef.h>
#include <string.h>
#include <strings.h>

#include "xmlscan.h"

static int	xmlscan_skip(struct xmlscan *, const char *);
static int	xmlscan_chars(const char *, size_t, size_t *);
static int	xmlscan_encoding(const char *, size_t, size_t *);
static int	xmlscan_is_ns(const char *, size_t, size_t);

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
			/* libxml2 reads on after "<?" if the target is bad */
			if (s->strict && memchr(lt + 1, '<',
			    s->pos - (size_t)(lt - s->buf) - 1) != NULL)
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
			if (xmlscan_is_ns(s->buf, t->name + t->namelen, i))
				t->nns++;
			i++;
			/* never well-formed: and a tag could hide behind */
			while (i < s->len && s->buf[i] != q && s->buf[i] != '<')
				i++;
			if (i >= s->len || s->buf[i] == '<')
				return -1;
			t->nattrs++;
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

/*
 * Whether the attribute whose value opens at q (after "name =") is a
 * namespace declaration: xmlns or xmlns:prefix.  from: where the
 * tag's attributes start; the walk back covers only this attribute's
 * name and the blanks around '='.
 */
static int
xmlscan_is_ns(const char *buf, size_t from, size_t q)
{
	size_t	 end, start;

	end = q;
	while (end > from && (xmlscan_isspace(buf[end - 1]) ||
	    buf[end - 1] == '='))
		end--;
	start = end;
	while (start > from && !xmlscan_isspace(buf[start - 1]) &&
	    buf[start - 1] != '"' && buf[start - 1] != '\'')
		start--;
	if (end - start == 5)
		return memcmp(buf + start, "xmlns", 5) == 0;
	return end - start > 6 && memcmp(buf + start, "xmlns:", 6) == 0;
}

int
xmlscan_name_is(const struct xmlscan *s, const struct xmlscan_tok *t,
    const char *name)
{
	size_t	 nl = strlen(name);

	return t->namelen == nl && memcmp(s->buf + t->name, name, nl) == 0;
}

/* No character that XML 1.0 excludes: C0 controls, U+FFFE, U+FFFF. */
static int
xmlscan_chars(const char *buf, size_t len, size_t *off)
{
	const unsigned char	*p = (const unsigned char *)buf;
	size_t			 i;

	for (i = 0; i < len; i++) {
		if ((p[i] < 0x20 && p[i] != '\t' && p[i] != '\n' &&
		    p[i] != '\r') || (p[i] == 0xef && i + 2 < len &&
		    p[i + 1] == 0xbf && (p[i + 2] == 0xbe || p[i + 2] == 0xbf))) {
			*off = i;
			return -1;
		}
	}
	return 0;
}

/*
 * The XML declaration, if any, names UTF-8 or no encoding; -1 and the
 * offset of the name if another.
 */
static int
xmlscan_encoding(const char *buf, size_t len, size_t *off)
{
	const char	*end, *e, *v;
	size_t		 n;

	if (len < 6 || memcmp(buf, "<?xml", 5) != 0)
		return 0;
	if ((end = memchr(buf, '>', len)) == NULL)
		return -1;
	for (e = buf; e + 8 <= end; e++)
		if (memcmp(e, "encoding", 8) == 0)
			break;
	if (e + 8 > end)
		return 0;
	for (v = e + 8; v < end && strchr(" \t\r\n=", *v) != NULL; v++)
		;
	if (v >= end || (*v != '"' && *v != '\''))
		return -1;
	n = (size_t)(end - v);
	*off = (size_t)(v + 1 - buf);
	if (n < 7 || strncasecmp(v + 1, "UTF-8", 5) != 0 || v[6] != v[0])
		return -1;
	return 0;
}

int
xmlscan_bound(const char *buf, size_t len, unsigned int maxattrs,
    unsigned int maxns, unsigned int maxdepth, size_t *off, const char **why)
{
	struct xmlscan		 s;
	struct xmlscan_tok	 t;
	unsigned int		 nns = 0;
	int			 rc;

	*off = 0;
	if (xmlscan_encoding(buf, len, off) == -1) {
		*why = "an encoding other than UTF-8 is declared";
		return -3;
	}
	if (xmlscan_chars(buf, len, off) == -1) {
		*why = "a character XML does not allow";
		return -2;
	}
	xmlscan_init(&s, buf, len);
	s.strict = 1;
	while ((rc = xmlscan_next(&s, &t)) == 1) {
		if (t.nattrs > maxattrs) {
			*off = t.start;
			*why = "an element with too many attributes";
			return -1;
		}
		if ((nns += t.nns) > maxns) {
			*off = t.start;
			*why = "too many namespace declarations";
			return -5;
		}
		if (s.depth > maxdepth) {
			*off = t.start;
			*why = "elements nested too deep";
			return -4;
		}
	}
	/* every tag seen, elements left open: libxml2 says which */
	if (rc == -1 && s.pos < len) {
		*off = s.pos;
		*why = "not well-formed";
		return -2;
	}
	return 0;
}
