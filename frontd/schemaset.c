/*
 * The ARJEL schema set, loaded once at start before the sandbox: every
 * *.xsd at the top of the configured directory (CJ.xsd, PASP.xsd; the
 * include/ files come in through xs:include).  The event types are the
 * global elements each file itself declares, and each type is validated
 * against the file that declares it.
 *
 * libxml2 checks a character class by trying every range of it on every
 * character, which made the ARJEL "fr" pattern (some sixty characters
 * listed one by one, on every text field) half the cost of a trace.  So
 * a pattern that is one class of plain characters, quantified, gets an
 * equivalent regular expression: the class merged into ranges, offered
 * as alternatives, the wide ASCII ones first.  The facet keeps its text
 * (error messages quote it), the new expression is checked against the
 * old one character by character before it replaces it, and any doubt
 * keeps the original.
 */
#include <sys/types.h>

#include <dirent.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>
#include <libxml/parserInternals.h>
#include <libxml/schemasInternals.h>
#include <libxml/tree.h>
#include <libxml/xmlregexp.h>
#include <libxml/xmlschemas.h>

#include "log.h"
#include "trace.h"

#define XSD_NS	"http://www.w3.org/2001/XMLSchema"

struct trace_type {
	char		 name[TYPE_NAME_MAX];
	int		 file;
};

struct trace_schemas {
	xmlSchemaPtr	 schema[TRACE_SCHEMA_FILES];
	xmlSchemaValidCtxtPtr vctx[TRACE_SCHEMA_FILES];
	int		 nfiles;
	struct trace_type types[TRACE_TYPES_MAX];
	size_t		 ntypes;
};

#define SCHEMA_RANGES	128
#define SCHEMA_FAST_MAX	4096		/* the rewritten expression */
#define SCHEMA_CHECK_TO	0x800		/* code points all compared */
#define SCHEMA_SAME_MAX	16		/* patterns known to rewrite well */

struct schema_range {
	unsigned long	 lo;
	unsigned long	 hi;
};

static int	schema_xsd_filter(const struct dirent *);
static int	schema_types(struct trace_schemas *, const char *, int);
static int	schema_load_one(struct trace_schemas *, const char *);
static void	schema_fast_type(void *, void *, const xmlChar *);
static unsigned long schema_utf8_next(const char **);
static size_t	schema_utf8_put(unsigned long, char *);
static int	schema_range_cmp(const void *, const void *);
static int	schema_range_order(const void *, const void *);
static int	schema_regexp_one(xmlRegexpPtr, xmlRegexpPtr, const char *);
static int	schema_regexp_cp(xmlRegexpPtr, xmlRegexpPtr, unsigned long,
		    const char *, size_t);
static int	schema_class_parse(const char *, struct schema_range *,
		    size_t *, const char **);
static int	schema_class_write(struct schema_range *, size_t,
		    const char *, char *, size_t);
static int	schema_regexp_same(xmlRegexpPtr, xmlRegexpPtr,
		    const struct schema_range *, size_t);
static xmlRegexpPtr schema_fast_regexp(const char *);

static int
schema_xsd_filter(const struct dirent *d)
{
	size_t	 l = strlen(d->d_name);

	return d->d_name[0] != '.' && l > 4 &&
	    strcmp(d->d_name + l - 4, ".xsd") == 0;
}

/* The global xs:element names the file declares itself. */
static int
schema_types(struct trace_schemas *s, const char *path, int file)
{
	xmlDocPtr	 doc;
	xmlNodePtr	 root, n;
	xmlChar		*name;
	int		 i, rc = 0;

	if ((doc = xmlReadFile(path, NULL, XML_PARSE_NONET |
	    XML_PARSE_NOERROR | XML_PARSE_NOWARNING)) == NULL) {
		log_warnx("%s: not well-formed", path);
		return -1;
	}
	root = xmlDocGetRootElement(doc);
	if (root == NULL || root->ns == NULL ||
	    !xmlStrEqual(root->ns->href, BAD_CAST XSD_NS) ||
	    !xmlStrEqual(root->name, BAD_CAST "schema")) {
		log_warnx("%s: not an XML schema", path);
		xmlFreeDoc(doc);
		return -1;
	}
	for (n = root->children; n != NULL; n = n->next) {
		if (n->type != XML_ELEMENT_NODE || n->ns == NULL ||
		    !xmlStrEqual(n->ns->href, BAD_CAST XSD_NS) ||
		    !xmlStrEqual(n->name, BAD_CAST "element"))
			continue;
		if ((name = xmlGetProp(n, BAD_CAST "name")) == NULL)
			continue;
		for (i = 0; i < (int)s->ntypes; i++)
			if (strcmp(s->types[i].name, (char *)name) == 0)
				break;
		if (i < (int)s->ntypes) {
			log_warnx("%s: element %s is already declared by "
			    "another file", path, name);
			rc = -1;
		} else if (s->ntypes >= TRACE_TYPES_MAX) {
			log_warnx("%s: more than %d event types", path,
			    TRACE_TYPES_MAX);
			rc = -1;
		} else if (strlcpy(s->types[s->ntypes].name, (char *)name,
		    TYPE_NAME_MAX) >= TYPE_NAME_MAX) {
			log_warnx("%s: element name %s too long", path, name);
			rc = -1;
		} else
			s->types[s->ntypes++].file = file;
		xmlFree(name);
	}
	xmlFreeDoc(doc);
	return rc;
}

/* One code point of UTF-8 at *p; 0 if there is none. */
static unsigned long
schema_utf8_next(const char **p)
{
	const unsigned char	*s = (const unsigned char *)*p;
	unsigned long		 c;
	int			 n, i;

	if (s[0] < 0x80)
		n = 0, c = s[0];
	else if ((s[0] & 0xe0) == 0xc0)
		n = 1, c = s[0] & 0x1f;
	else if ((s[0] & 0xf0) == 0xe0)
		n = 2, c = s[0] & 0x0f;
	else if ((s[0] & 0xf8) == 0xf0)
		n = 3, c = s[0] & 0x07;
	else
		return 0;
	for (i = 1; i <= n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		c = (c << 6) | (s[i] & 0x3f);
	}
	*p += n + 1;
	return c;
}

static size_t
schema_utf8_put(unsigned long c, char *out)
{
	if (c < 0x80) {
		out[0] = (char)c;
		return 1;
	}
	if (c < 0x800) {
		out[0] = (char)(0xc0 | (c >> 6));
		out[1] = (char)(0x80 | (c & 0x3f));
		return 2;
	}
	if (c < 0x10000) {
		out[0] = (char)(0xe0 | (c >> 12));
		out[1] = (char)(0x80 | ((c >> 6) & 0x3f));
		out[2] = (char)(0x80 | (c & 0x3f));
		return 3;
	}
	out[0] = (char)(0xf0 | (c >> 18));
	out[1] = (char)(0x80 | ((c >> 12) & 0x3f));
	out[2] = (char)(0x80 | ((c >> 6) & 0x3f));
	out[3] = (char)(0x80 | (c & 0x3f));
	return 4;
}

static int
schema_range_cmp(const void *a, const void *b)
{
	const struct schema_range	*x = a, *y = b;

	if (x->lo != y->lo)
		return x->lo < y->lo ? -1 : 1;
	return 0;
}

/* Wide ASCII ranges first: they hold most characters of a trace. */
static int
schema_range_order(const void *a, const void *b)
{
	const struct schema_range	*x = a, *y = b;
	int				 xa = x->lo < 0x80, ya = y->lo < 0x80;

	if (xa != ya)
		return xa ? -1 : 1;
	if (xa && x->hi - x->lo != y->hi - y->lo)
		return x->hi - x->lo > y->hi - y->lo ? -1 : 1;
	return schema_range_cmp(a, b);
}

/*
 * "[...]" of plain characters and ranges, then a quantifier or nothing:
 * the merged ranges, and *quant pointing after the class.  -1 for any
 * other pattern (escapes, negation, subtraction, more than one atom).
 */
static int
schema_class_parse(const char *pat, struct schema_range *r, size_t *nr,
    const char **quant)
{
	const char	*p = pat, *q;
	unsigned long	 c, hi;
	size_t		 n = 0, i, m;

	if (*p++ != '[' || *p == '^')
		return -1;
	while (*p != ']') {
		if (*p == '\0' || *p == '\\' || *p == '[')
			return -1;
		/* '-' is plain only first or last in the class. */
		if (*p == '-' && p != pat + 1 && p[1] != ']')
			return -1;
		if ((c = schema_utf8_next(&p)) == 0)
			return -1;
		hi = c;
		if (*p == '-' && p[1] != ']') {
			q = p + 1;
			if (*q == '\\' || *q == '[' || *q == '-' ||
			    (hi = schema_utf8_next(&q)) == 0 || hi < c)
				return -1;
			p = q;
		}
		if (n >= SCHEMA_RANGES)
			return -1;
		r[n].lo = c;
		r[n].hi = hi;
		n++;
	}
	p++;
	/* The quantifier, if any, is copied as it is; nothing may follow. */
	q = p;
	if (*q == '*' || *q == '+' || *q == '?')
		q++;
	else if (*q == '{') {
		for (q++; (*q >= '0' && *q <= '9') || *q == ','; q++)
			;
		if (*q++ != '}')
			return -1;
	}
	if (*q != '\0' || n == 0)
		return -1;
	qsort(r, n, sizeof(*r), schema_range_cmp);
	for (m = 0, i = 1; i < n; i++) {
		if (r[i].lo <= r[m].hi + 1) {
			if (r[i].hi > r[m].hi)
				r[m].hi = r[i].hi;
		} else
			r[++m] = r[i];
	}
	*nr = m + 1;
	*quant = p;
	return 0;
}

/* "([a-z]|[0-9]|...)" and the quantifier. */
static int
schema_class_write(struct schema_range *r, size_t nr, const char *quant,
    char *out, size_t size)
{
	char	 buf[32], *b;
	size_t	 i, len = 0;
	int	 k;

	qsort(r, nr, sizeof(*r), schema_range_order);
	if (size < 2)
		return -1;
	out[len++] = '(';
	for (i = 0; i < nr; i++) {
		b = buf;
		if (i > 0)
			*b++ = '|';
		*b++ = '[';
		for (k = 0; k < (r[i].lo == r[i].hi ? 1 : 2); k++) {
			if (k == 1)
				*b++ = '-';
			if (strchr("\\[]-^", (int)(k ? r[i].hi : r[i].lo)) !=
			    NULL && (k ? r[i].hi : r[i].lo) < 0x80)
				*b++ = '\\';
			b += schema_utf8_put(k ? r[i].hi : r[i].lo, b);
		}
		*b++ = ']';
		if (len + (size_t)(b - buf) >= size)
			return -1;
		memcpy(out + len, buf, (size_t)(b - buf));
		len += (size_t)(b - buf);
	}
	if (len + 1 + strlen(quant) >= size)
		return -1;
	out[len++] = ')';
	strlcpy(out + len, quant, size - len);
	return 0;
}

static int
schema_regexp_one(xmlRegexpPtr a, xmlRegexpPtr b, const char *s)
{
	return xmlRegexpExec(a, BAD_CAST s) == xmlRegexpExec(b, BAD_CAST s);
}

/* c alone, twice, and after in: the same answer from both. */
static int
schema_regexp_cp(xmlRegexpPtr a, xmlRegexpPtr b, unsigned long c,
    const char *in, size_t il)
{
	char	 s[16];
	size_t	 l;

	if (!(c == 0x9 || c == 0xa || c == 0xd ||
	    (c >= 0x20 && c <= 0xd7ff) || (c >= 0xe000 && c <= 0xfffd) ||
	    (c >= 0x10000 && c <= 0x10ffff)))
		return 1;
	l = schema_utf8_put(c, s);
	s[l] = '\0';
	if (!schema_regexp_one(a, b, s))
		return 0;
	memcpy(s + l, s, l);
	s[2 * l] = '\0';
	if (!schema_regexp_one(a, b, s))
		return 0;
	memcpy(s, in, il);
	l = il + schema_utf8_put(c, s + il);
	s[l] = '\0';
	return schema_regexp_one(a, b, s);
}

/*
 * The two expressions agree on every code point below SCHEMA_CHECK_TO
 * and on each side of every range, alone, twice, and after a character
 * of the class; and on the empty string.  Only characters that XML
 * allows count: a parsed document holds no other (libxml2's classes
 * answer an error, not a refusal, for the others).
 */
static int
schema_regexp_same(xmlRegexpPtr a, xmlRegexpPtr b,
    const struct schema_range *r, size_t nr)
{
	unsigned long	 c;
	char		 in[4];
	size_t		 i, il;

	il = schema_utf8_put(r[0].lo, in);
	if (!schema_regexp_one(a, b, ""))
		return 0;
	for (c = 1; c < SCHEMA_CHECK_TO; c++)
		if (!schema_regexp_cp(a, b, c, in, il))
			return 0;
	for (i = 0; i < nr; i++)
		if (!schema_regexp_cp(a, b, r[i].lo - 1, in, il) ||
		    !schema_regexp_cp(a, b, r[i].lo, in, il) ||
		    !schema_regexp_cp(a, b, r[i].hi, in, il) ||
		    !schema_regexp_cp(a, b, r[i].hi + 1, in, il))
			return 0;
	return schema_regexp_cp(a, b, 0x10000, in, il) &&
	    schema_regexp_cp(a, b, 0x10ffff, in, il);
}

/* The faster equivalent of a pattern, or NULL to keep libxml2's. */
static xmlRegexpPtr
schema_fast_regexp(const char *pat)
{
	struct schema_range	 r[SCHEMA_RANGES];
	xmlRegexpPtr		 orig, fast;
	const char		*quant;
	static char		*same_pat[SCHEMA_SAME_MAX];
	static size_t		 nsame;
	char			 out[SCHEMA_FAST_MAX];
	size_t			 nr, i;
	int			 same;

	if (schema_class_parse(pat, r, &nr, &quant) == -1 || nr < 4)
		return NULL;
	if (schema_class_write(r, nr, quant, out, sizeof(out)) == -1)
		return NULL;
	if ((orig = xmlRegexpCompile(BAD_CAST pat)) == NULL)
		return NULL;
	if ((fast = xmlRegexpCompile(BAD_CAST out)) == NULL) {
		xmlRegFreeRegexp(orig);
		return NULL;
	}
	/* Every schema file includes the same types: compare once. */
	for (i = 0; i < nsame && strcmp(same_pat[i], pat) != 0; i++)
		;
	if (!(same = i < nsame)) {
		same = schema_regexp_same(orig, fast, r, nr);
		if (same && nsame < SCHEMA_SAME_MAX &&
		    (same_pat[nsame] = strdup(pat)) != NULL)
			nsame++;
	}
	xmlRegFreeRegexp(orig);
	if (!same) {
		log_debug("pattern %s: no faster form", pat);
		xmlRegFreeRegexp(fast);
		return NULL;
	}
	return fast;
}

static void
schema_fast_type(void *payload, void *arg, const xmlChar *name)
{
	xmlSchemaTypePtr	 t = payload;
	xmlSchemaFacetPtr	 f;
	xmlRegexpPtr		 fast;

	for (f = t->facets; f != NULL; f = f->next) {
		if (f->type != XML_SCHEMA_FACET_PATTERN || f->value == NULL ||
		    f->regexp == NULL)
			continue;
		if ((fast = schema_fast_regexp((const char *)f->value)) ==
		    NULL)
			continue;
		xmlRegFreeRegexp(f->regexp);
		f->regexp = fast;
		log_debug("type %s: pattern checked by ranges", name);
	}
}

static int
schema_load_one(struct trace_schemas *s, const char *path)
{
	xmlSchemaParserCtxtPtr	 pctx;
	xmlSchemaPtr		 schema;

	if (s->nfiles >= TRACE_SCHEMA_FILES) {
		log_warnx("%s: more than %d schema files", path,
		    TRACE_SCHEMA_FILES);
		return -1;
	}
	if ((pctx = xmlSchemaNewParserCtxt(path)) == NULL)
		return -1;
	schema = xmlSchemaParse(pctx);
	xmlSchemaFreeParserCtxt(pctx);
	if (schema == NULL) {
		log_warnx("%s: not a valid XML schema", path);
		return -1;
	}
	s->schema[s->nfiles] = schema;
	if (schema_types(s, path, s->nfiles) == -1) {
		xmlSchemaFree(schema);
		return -1;
	}
	if (schema->typeDecl != NULL)
		xmlHashScan(schema->typeDecl, schema_fast_type, NULL);
	if ((s->vctx[s->nfiles] = xmlSchemaNewValidCtxt(schema)) == NULL) {
		log_warnx("%s: no memory for a validation context", path);
		xmlSchemaFree(schema);
		return -1;
	}
	s->nfiles++;
	return 0;
}

struct trace_schemas *
schemaset_load(const char *dir)
{
	struct trace_schemas	*s;
	struct dirent		**names = NULL;
	xmlExternalEntityLoader	 loader;
	char			 path[PATH_MAX];
	int			 n, i, rc = 0;

	if ((s = calloc(1, sizeof(*s))) == NULL)
		return NULL;
	if ((n = scandir(dir, &names, schema_xsd_filter, alphasort)) == -1) {
		log_warn("schemas %s", dir);
		free(s);
		return NULL;
	}
	/* xs:include reads local files; traces never may (trace_init). */
	loader = xmlGetExternalEntityLoader();
	xmlSetExternalEntityLoader(xmlNoNetExternalEntityLoader);
	for (i = 0; i < n; i++) {
		if (rc == 0) {
			if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir,
			    names[i]->d_name) >= sizeof(path))
				rc = -1;
			else
				rc = schema_load_one(s, path);
		}
		free(names[i]);
	}
	free(names);
	xmlSetExternalEntityLoader(loader);
	if (rc == 0 && s->ntypes == 0) {
		log_warnx("schemas %s: no event type declared", dir);
		rc = -1;
	}
	if (rc == -1) {
		schemaset_free(s);
		return NULL;
	}
	log_debug("schemas %s: %d files, %zu event types", dir, s->nfiles,
	    s->ntypes);
	return s;
}

void
schemaset_free(struct trace_schemas *s)
{
	int	 i;

	if (s == NULL)
		return;
	for (i = 0; i < s->nfiles; i++) {
		xmlSchemaFreeValidCtxt(s->vctx[i]);
		xmlSchemaFree(s->schema[i]);
	}
	free(s);
}

int
schemaset_find(const struct trace_schemas *s, const char *root)
{
	size_t	 i;

	for (i = 0; i < s->ntypes; i++)
		if (strcmp(s->types[i].name, root) == 0)
			return s->types[i].file;
	return -1;
}

void *
schemaset_get(const struct trace_schemas *s, int file)
{
	if (file < 0 || file >= s->nfiles)
		return NULL;
	return s->schema[file];
}

void *
schemaset_vctx(const struct trace_schemas *s, int file)
{
	if (file < 0 || file >= s->nfiles)
		return NULL;
	return s->vctx[file];
}

size_t
schemaset_ntypes(const struct trace_schemas *s)
{
	return s->ntypes;
}
