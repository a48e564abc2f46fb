/*
 * A linear walk over the bytes of an XML document before libxml2 sees
 * it, so that what libxml2 would spend on it is known first: libxml2
 * 2.9 checks an element's attributes (and namespace declarations)
 * against each other in quadratic time, and gives each element,
 * attribute and text node a few hundred bytes.  The walk counts
 * elements, attributes per element and depth, and refuses at the first
 * bound passed.
 *
 * It must see the tags libxml2 will see, or an attacker hides
 * attributes from it.  So it is strict where libxml2 could read the
 * bytes otherwise: UTF-8 only (no other BOM, no other declared
 * encoding), XML characters only, no DTD, no '<' in attribute values
 * nor in processing instructions; comments and CDATA sections end at
 * their first terminator, as in libxml2, which cannot stop earlier on a
 * bad character.  Anything it does not follow is refused.  Where
 * libxml2 stops on an error inside a tag or a PI and goes on reading it
 * as text, the two meet again at the next '<', since none is inside.  Deliberately independent of frontd's
 * scanner: the verifier links nothing of the vault.
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "verify.h"

struct xb {
	const unsigned char	*p;
	size_t			 len, i;
	const struct xbound	*lim;
	struct xcount		*cnt;
	char			*why;
	size_t			 whylen;
};

static int	 xb_fail(struct xb *, const char *, ...)
		    __attribute__((__format__(printf, 2, 3)));
static int	 xb_space(unsigned char);
static int	 xb_namechar(unsigned char);
static int	 xb_chars(struct xb *);
static int	 xb_skipto(struct xb *, const char *);
static int	 xb_decl(struct xb *);
static int	 xb_start(struct xb *);
static int	 xb_end(struct xb *);

static int
xb_fail(struct xb *x, const char *fmt, ...)
{
	va_list	 ap;
	char	 m[192];

	va_start(ap, fmt);
	vsnprintf(m, sizeof(m), fmt, ap);
	va_end(ap);
	snprintf(x->why, x->whylen, "byte %zu: %s", x->i, m);
	return (-1);
}

static int
xb_space(unsigned char c)
{
	return (c == ' ' || c == '\t' || c == '\n' || c == '\r');
}

/* What may be in a name here; libxml2 is stricter, never looser. */
static int
xb_namechar(unsigned char c)
{
	return (!xb_space(c) && c != '<' && c != '>' && c != '/' &&
	    c != '=' && c != '"' && c != '\'' && c != '&' && c != '?' &&
	    c != '!');
}

/*
 * Every character UTF-8 and an XML character: libxml2 stops inside a
 * comment, a CDATA section or a PI at the first one that is not, and
 * reads on from there as if it were markup.
 */
static int
xb_chars(struct xb *x)
{
	const unsigned char	*p = x->p;
	uint32_t		 c;
	size_t			 n, k;

	for (x->i = 0; x->i < x->len; x->i += n) {
		c = p[x->i];
		if (c < 0x80) {
			n = 1;
			if (c < 0x20 && c != '\t' && c != '\n' && c != '\r')
				return (xb_fail(x, "control character 0x%02x",
				    c));
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf) {
			n = 2;
			c &= 0x1f;
		} else if (c >= 0xe0 && c <= 0xef) {
			n = 3;
			c &= 0x0f;
		} else if (c >= 0xf0 && c <= 0xf4) {
			n = 4;
			c &= 0x07;
		} else
			return (xb_fail(x, "not UTF-8"));
		if (x->len - x->i < n)
			return (xb_fail(x, "not UTF-8"));
		for (k = 1; k < n; k++) {
			if ((p[x->i + k] & 0xc0) != 0x80)
				return (xb_fail(x, "not UTF-8"));
			c = (c << 6) | (p[x->i + k] & 0x3f);
		}
		if ((n == 3 && c < 0x800) || (n == 4 && (c < 0x10000 ||
		    c > 0x10ffff)) || (c >= 0xd800 && c <= 0xdfff) ||
		    c == 0xfffe || c == 0xffff)
			return (xb_fail(x, "not an XML character"));
	}
	x->i = 0;
	return (0);
}

/* Past the first occurrence of term from x->i; -1 if none. */
static int
xb_skipto(struct xb *x, const char *term)
{
	const unsigned char	*q;
	size_t			 tl = strlen(term);

	for (;;) {
		if (x->i + tl > x->len)
			return (xb_fail(x, "\"%s\" never comes", term));
		q = memchr(x->p + x->i, term[0], x->len - x->i);
		if (q == NULL || (size_t)(q - x->p) + tl > x->len)
			return (xb_fail(x, "\"%s\" never comes", term));
		x->i = (size_t)(q - x->p);
		if (memcmp(q, term, tl) == 0) {
			x->i += tl;
			return (0);
		}
		x->i++;
	}
}

/* <?xml ...?>: only UTF-8 may be declared. */
static int
xb_decl(struct xb *x)
{
	const char	*d = (const char *)x->p + x->i, *e, *v;
	size_t		 start = x->i, n;
	char		 q, enc[32];

	if (xb_skipto(x, "?>") == -1)
		return (-1);
	n = x->i - start;
	if (memchr(d + 1, '<', n - 1) != NULL)
		return (xb_fail(x, "'<' in the XML declaration"));
	for (e = d; e + 8 <= d + n; e++)
		if (memcmp(e, "encoding", 8) == 0)
			break;
	if (e + 8 > d + n)
		return (0);
	v = e + 8;
	while (v < d + n && xb_space(*v))
		v++;
	if (v < d + n && *v == '=')
		v++;
	while (v < d + n && xb_space(*v))
		v++;
	if (v >= d + n || (*v != '"' && *v != '\''))
		return (xb_fail(x, "unreadable encoding declaration"));
	q = *v++;
	for (n = 0; v < d + (x->i - start) && *v != q && n + 1 < sizeof(enc);
	    v++)
		enc[n++] = *v;
	enc[n] = '\0';
	if (strcasecmp(enc, "UTF-8") != 0)
		return (xb_fail(x, "declared encoding \"%.24s\": only UTF-8 "
		    "is read", enc));
	return (0);
}

/* A start tag from its '<'; counts it and its attributes. */
static int
xb_start(struct xb *x)
{
	size_t	 attrs = 0, n;
	unsigned char q;
	int	 sp;

	x->i++;
	for (n = 0; x->i < x->len && xb_namechar(x->p[x->i]); x->i++)
		n++;
	if (n == 0)
		return (xb_fail(x, "'<' not followed by a name"));
	if (++x->cnt->elements > x->lim->elements)
		return (xb_fail(x, "more than %zu elements",
		    x->lim->elements));
	for (;;) {
		for (sp = 0; x->i < x->len && xb_space(x->p[x->i]); x->i++)
			sp = 1;
		if (x->i >= x->len)
			return (xb_fail(x, "a tag is not closed"));
		if (x->p[x->i] == '>') {
			x->i++;
			if (++x->cnt->depth > x->lim->depth)
				return (xb_fail(x, "nested deeper than %zu",
				    x->lim->depth));
			break;
		}
		if (x->p[x->i] == '/') {
			if (x->i + 1 >= x->len || x->p[x->i + 1] != '>')
				return (xb_fail(x, "'/' inside a tag"));
			x->i += 2;
			break;
		}
		if (!sp)
			return (xb_fail(x, "no space before an attribute"));
		for (n = 0; x->i < x->len && xb_namechar(x->p[x->i]); x->i++)
			n++;
		if (n == 0)
			return (xb_fail(x, "an attribute has no name"));
		while (x->i < x->len && xb_space(x->p[x->i]))
			x->i++;
		if (x->i >= x->len || x->p[x->i] != '=')
			return (xb_fail(x, "an attribute has no value"));
		x->i++;
		while (x->i < x->len && xb_space(x->p[x->i]))
			x->i++;
		if (x->i >= x->len || (x->p[x->i] != '"' &&
		    x->p[x->i] != '\''))
			return (xb_fail(x, "an attribute value is not "
			    "quoted"));
		q = x->p[x->i++];
		while (x->i < x->len && x->p[x->i] != q) {
			if (x->p[x->i] == '<')
				return (xb_fail(x, "'<' in an attribute "
				    "value"));
			x->i++;
		}
		if (x->i >= x->len)
			return (xb_fail(x, "an attribute value is not "
			    "closed"));
		x->i++;
		if (++attrs > x->lim->attrs)
			return (xb_fail(x, "an element with more than %zu "
			    "attributes", x->lim->attrs));
		x->cnt->attrs++;
	}
	if (attrs > x->cnt->maxattrs)
		x->cnt->maxattrs = attrs;
	return (0);
}

static int
xb_end(struct xb *x)
{
	size_t	 n;

	x->i += 2;
	for (n = 0; x->i < x->len && xb_namechar(x->p[x->i]); x->i++)
		n++;
	while (x->i < x->len && xb_space(x->p[x->i]))
		x->i++;
	if (n == 0 || x->i >= x->len || x->p[x->i] != '>')
		return (xb_fail(x, "malformed end tag"));
	x->i++;
	if (x->cnt->depth == 0)
		return (xb_fail(x, "an end tag closes nothing"));
	x->cnt->depth--;
	return (0);
}

/*
 * 0 if the document stays within lim (counts in *cnt), else -1 and why.
 * Linear in len: every byte is looked at a bounded number of times.
 */
int
xmlbound_scan(const char *buf, size_t len, const struct xbound *lim,
    struct xcount *cnt, char *why, size_t whylen)
{
	struct xb		 x;
	const unsigned char	*lt;
	size_t			 j;

	memset(cnt, 0, sizeof(*cnt));
	memset(&x, 0, sizeof(x));
	x.p = (const unsigned char *)buf;
	x.len = len;
	x.lim = lim;
	x.cnt = cnt;
	x.why = why;
	x.whylen = whylen;
	if (len > lim->bytes)
		return (xb_fail(&x, "%zu bytes, more than %zu", len,
		    lim->bytes));
	if (xb_chars(&x) == -1)
		return (-1);
	if (len >= 3 && memcmp(buf, "\xef\xbb\xbf", 3) == 0)
		x.i = 3;
	else
		while (x.i < len && xb_space(x.p[x.i]))
			x.i++;
	if (x.i >= len || x.p[x.i] != '<')
		return (xb_fail(&x, "does not begin with '<' (UTF-8 only)"));
	if (len - x.i >= 6 && memcmp(x.p + x.i, "<?xml", 5) == 0 &&
	    xb_space(x.p[x.i + 5]) && xb_decl(&x) == -1)
		return (-1);
	while (x.i < len) {
		if ((lt = memchr(x.p + x.i, '<', len - x.i)) == NULL)
			break;
		x.i = (size_t)(lt - x.p);
		j = len - x.i;
		if (j >= 2 && lt[1] == '?') {
			/*
			 * libxml2 reads on right after "<?" when the target
			 * is not a name to its taste: no tag may hide here.
			 */
			j = x.i;
			x.i += 2;
			if (xb_skipto(&x, "?>") == -1)
				return (-1);
			if (memchr(x.p + j + 1, '<', x.i - j - 1) != NULL) {
				x.i = j;
				return (xb_fail(&x, "'<' in a processing "
				    "instruction"));
			}
		} else if (j >= 4 && memcmp(lt, "<!--", 4) == 0) {
			x.i += 4;
			if (xb_skipto(&x, "-->") == -1)
				return (-1);
		} else if (j >= 9 && memcmp(lt, "<![CDATA[", 9) == 0) {
			x.i += 9;
			if (xb_skipto(&x, "]]>") == -1)
				return (-1);
		} else if (j >= 2 && lt[1] == '!')
			return (xb_fail(&x, "a DTD or declaration (refused)"));
		else if (j >= 2 && lt[1] == '/') {
			if (xb_end(&x) == -1)
				return (-1);
		} else if (xb_start(&x) == -1)
			return (-1);
	}
	if (cnt->elements == 0)
		return (xb_fail(&x, "no element"));
	if (cnt->depth != 0)
		return (xb_fail(&x, "%zu elements left open", cnt->depth));
	return (0);
}

/*
 * What libxml2 and xmlsec may allocate for such a document, with a
 * margin: the bytes (kept, and canonicalised once for a seal), a node
 * per element and per text between tags, an attribute node and its
 * text per attribute (measured on libxml2 2.9.14: about 250 bytes per
 * element with its text, 200 per attribute).
 */
size_t
xmlbound_cost(size_t len, const struct xcount *cnt)
{
	return (3 * len + 512 * cnt->elements + 320 * cnt->attrs + 65536);
}
