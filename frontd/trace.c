/*
 * Checking one deposited trace, in this order (each refusal names what is
 * wrong so that the capture agent's operator can act on it):
 *
 *	400  not UTF-8, a DTD or entity declaration, not well-formed, an
 *	     encoding other than UTF-8, more than TRACE_ATTRS_MAX
 *	     attributes on an element or TRACE_NS_MAX namespace
 *	     declarations in all, nested deeper than max-xml-depth (all
 *	     three checked before libxml2, whose work would grow faster
 *	     than the trace), an IDEvt the capture agent numbered itself
 *	422  a root that is not an event type of the schema set, a missing
 *	     header field (IDOper, DateEvt, IDEvt), another operator's or
 *	     vault's trace, and anything the XSD refuses
 *
 * libxml2 never loads anything (XML_PARSE_NONET, and an entity loader that
 * refuses all), never substitutes entities (no XML_PARSE_NOENT) and keeps
 * its default limits (never XML_PARSE_HUGE).  The bytes handed to stored
 * are the deposited bytes with the IDEvt content removed.
 */
#include <sys/types.h>
#include <sys/uio.h>

#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xmlerror.h>
#include <libxml/xmlschemas.h>

#include "trace.h"
#include "utf8.h"
#include "xmlscan.h"

#define TRACE_PARSE_OPTS	(XML_PARSE_NONET | XML_PARSE_NOERROR | \
				 XML_PARSE_NOWARNING)
#define SAFE_ID			"<!--SAFE_ID-->"
/*
 * The schemas declare no attribute; namespace declarations count too.
 * libxml2 2.9 compares an element's attributes pairwise: 95000 of them
 * took it 105 s.
 */
#define TRACE_ATTRS_MAX		32
/*
 * libxml2 looks an element's prefix up through every namespace
 * declaration in scope: 32 levels of 32 declarations made 1 MB of
 * prefixed elements cost 0.4 s.  The schemas use none; a capture agent
 * may declare xsi.
 */
#define TRACE_NS_MAX		16

static const char	trace_close_idevt[] = "></IDEvt>";

static int	 trace_fail(struct trace_error *, enum refusal, const char *,
		    const char *, ...)
		    __attribute__((__format__(printf, 4, 5)));
static xmlDocPtr trace_parse(const struct trace_policy *, const char *,
		    size_t, struct trace_error *);
static int	 trace_depth(xmlNodePtr, unsigned int);
static xmlNodePtr trace_child(xmlNodePtr, const char *, int *);
static int	 trace_text(xmlNodePtr, char *, size_t);
static int	 trace_number_is(const char *, uint32_t);
static int	 trace_splice(const char *, size_t, struct trace_out *,
		    struct trace_error *);
static int	 trace_validate(const struct trace_policy *, xmlDocPtr, int,
		    struct trace_error *);
static void	 trace_schema_error(void *, xmlErrorPtr);
static void	 trace_quiet(void *, xmlErrorPtr);
static xmlParserInputPtr trace_no_entity(const char *, const char *,
		    xmlParserCtxtPtr);
static const char *trace_memstr(const char *, size_t, const char *);
static xmlParserCtxtPtr trace_parser(void);
static void	 trace_parser_done(void);

/*
 * One parser context for every trace: libxml2 resets it at each parse.
 * Its dictionary keeps the names it has seen; names are the client's to
 * choose, so past TRACE_DICT_MAX of them it starts afresh.
 */
#define TRACE_DICT_MAX	4096
static xmlParserCtxtPtr	 trace_pctx;

static void
trace_quiet(void *arg, xmlErrorPtr e)
{
}

static xmlParserInputPtr
trace_no_entity(const char *url, const char *id, xmlParserCtxtPtr ctxt)
{
	return NULL;
}

void
trace_init(void)
{
	xmlInitParser();
	xmlSetStructuredErrorFunc(NULL, trace_quiet);
	xmlSetExternalEntityLoader(trace_no_entity);
}

static xmlParserCtxtPtr
trace_parser(void)
{
	if (trace_pctx == NULL)
		trace_pctx = xmlNewParserCtxt();
	return trace_pctx;
}

/* Let go of the document's input, and of a dictionary grown too big. */
static void
trace_parser_done(void)
{
	if (trace_pctx->dict != NULL &&
	    xmlDictSize(trace_pctx->dict) > TRACE_DICT_MAX) {
		xmlFreeParserCtxt(trace_pctx);
		trace_pctx = NULL;
	}
}

static int
trace_fail(struct trace_error *err, enum refusal code, const char *error,
    const char *fmt, ...)
{
	va_list	 ap;
	size_t	 l;

	err->code = code;
	strlcpy(err->error, error, sizeof(err->error));
	va_start(ap, fmt);
	vsnprintf(err->detail, sizeof(err->detail), fmt, ap);
	va_end(ap);
	/* libxml2 messages end in a newline. */
	l = strlen(err->detail);
	while (l > 0 && (err->detail[l - 1] == '\n' ||
	    err->detail[l - 1] == ' '))
		err->detail[--l] = '\0';
	return -1;
}

static const char *
trace_memstr(const char *h, size_t hl, const char *n)
{
	size_t	 nl = strlen(n), i;

	for (i = 0; i + nl <= hl; i++)
		if (h[i] == n[0] && memcmp(h + i, n, nl) == 0)
			return h + i;
	return NULL;
}

/* The checks every document gets, a trace or a batch. */
static xmlDocPtr
trace_parse(const struct trace_policy *pol, const char *buf, size_t len,
    struct trace_error *err)
{
	xmlParserCtxtPtr	 ctxt;
	xmlDocPtr		 doc;
	xmlErrorPtr		 e;
	const char		*why;
	size_t			 bad, n;

	if (len == 0) {
		trace_fail(err, REFUSE_MALFORMED, "empty body",
		    "the request has no trace");
		return NULL;
	}
	if (len > INT_MAX) {
		trace_fail(err, REFUSE_TOO_LARGE, "too large",
		    "the trace is too large");
		return NULL;
	}
	if (!utf8_valid(buf, len, &bad)) {
		trace_fail(err, REFUSE_MALFORMED, "not UTF-8", "invalid UTF-8 "
		    "(or a NUL byte) at byte %zu: traces are UTF-8", bad);
		return NULL;
	}
	if (trace_memstr(buf, len, "<!DOCTYPE") != NULL ||
	    trace_memstr(buf, len, "<!ENTITY") != NULL) {
		trace_fail(err, REFUSE_MALFORMED, "DTD refused", "a trace may "
		    "not carry a document type declaration or entity "
		    "declarations");
		return NULL;
	}
	switch (xmlscan_bound(buf, len, TRACE_ATTRS_MAX, TRACE_NS_MAX,
	    pol->max_depth, &bad, &why)) {
	case -1:
		trace_fail(err, REFUSE_MALFORMED, "too many attributes", "byte %zu: more "
		    "than %u attributes on an element", bad, TRACE_ATTRS_MAX);
		return NULL;
	case -4:
		trace_fail(err, REFUSE_MALFORMED, "too deep", "byte %zu: "
		    "elements nested deeper than %u levels", bad,
		    pol->max_depth);
		return NULL;
	case -5:
		trace_fail(err, REFUSE_MALFORMED, "too many namespaces", "byte "
		    "%zu: more than %u namespace declarations in a trace", bad,
		    TRACE_NS_MAX);
		return NULL;
	case -2:
		trace_fail(err, REFUSE_MALFORMED, "malformed XML", "byte %zu: %s", bad,
		    why);
		return NULL;
	case -3:
		n = strspn(buf + bad, "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
		    "abcdefghijklmnopqrstuvwxyz0123456789._-");
		trace_fail(err, REFUSE_MALFORMED, "not UTF-8", "declared encoding %.*s: "
		    "traces are UTF-8", (int)(n > 64 ? 64 : n), buf + bad);
		return NULL;
	}
	if ((ctxt = trace_parser()) == NULL) {
		trace_fail(err, REFUSE_UNAVAILABLE, "out of memory",
		    "try again later");
		return NULL;
	}
	doc = xmlCtxtReadMemory(ctxt, buf, (int)len, NULL, NULL,
	    TRACE_PARSE_OPTS);
	if (doc == NULL || !ctxt->wellFormed) {
		e = xmlCtxtGetLastError(ctxt);
		trace_fail(err, REFUSE_MALFORMED, "malformed XML",
		    "line %d: %s", e != NULL ? e->line : 0, e != NULL &&
		    e->message != NULL ? e->message : "not well-formed");
		xmlFreeDoc(doc);
		trace_parser_done();
		return NULL;
	}
	trace_parser_done();
	if (doc->intSubset != NULL || doc->extSubset != NULL) {
		trace_fail(err, REFUSE_MALFORMED, "DTD refused", "a trace may "
		    "not carry a document type declaration");
		xmlFreeDoc(doc);
		return NULL;
	}
	if (doc->encoding != NULL &&
	    xmlStrcasecmp(doc->encoding, BAD_CAST "UTF-8") != 0) {
		trace_fail(err, REFUSE_MALFORMED, "not UTF-8", "declared "
		    "encoding %.64s: traces are UTF-8",
		    (const char *)doc->encoding);
		xmlFreeDoc(doc);
		return NULL;
	}
	if (xmlDocGetRootElement(doc) == NULL ||
	    trace_depth(xmlDocGetRootElement(doc), pol->max_depth) == -1) {
		trace_fail(err, REFUSE_MALFORMED, "too deep", "elements nested "
		    "deeper than %u levels", pol->max_depth);
		xmlFreeDoc(doc);
		return NULL;
	}
	return doc;
}

/* -1 if elements nest deeper than max (the root is level 1). */
static int
trace_depth(xmlNodePtr root, unsigned int max)
{
	xmlNodePtr	 n = root, c;
	unsigned int	 d = 1;

	for (;;) {
		if (d > max)
			return -1;
		for (c = n->children; c != NULL &&
		    c->type != XML_ELEMENT_NODE; c = c->next)
			;
		if (c != NULL) {
			n = c;
			d++;
			continue;
		}
		for (;;) {
			if (n == root)
				return 0;
			for (c = n->next; c != NULL &&
			    c->type != XML_ELEMENT_NODE; c = c->next)
				;
			if (c != NULL) {
				n = c;
				break;
			}
			n = n->parent;
			d--;
		}
	}
}

/* The root's child element of that name (no namespace); count them. */
static xmlNodePtr
trace_child(xmlNodePtr root, const char *name, int *count)
{
	xmlNodePtr	 n, found = NULL;

	*count = 0;
	for (n = root->children; n != NULL; n = n->next) {
		if (n->type != XML_ELEMENT_NODE || n->ns != NULL ||
		    !xmlStrEqual(n->name, BAD_CAST name))
			continue;
		if (found == NULL)
			found = n;
		(*count)++;
	}
	return found;
}

/* The element's text, whitespace trimmed; -1 if it does not fit. */
static int
trace_text(xmlNodePtr n, char *out, size_t size)
{
	xmlChar	*c;
	char	*s, *e;
	int	 rc = 0;

	out[0] = '\0';
	if ((c = xmlNodeGetContent(n)) == NULL)
		return 0;
	s = (char *)c;
	while (*s == ' ' || *s == '\t' || *s == '\r' || *s == '\n')
		s++;
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r' ||
	    e[-1] == '\n'))
		e--;
	if ((size_t)(e - s) >= size)
		rc = -1;
	else {
		memcpy(out, s, (size_t)(e - s));
		out[e - s] = '\0';
	}
	xmlFree(c);
	return rc;
}

/* A decimal number (leading zeros allowed) equal to v. */
static int
trace_number_is(const char *s, uint32_t v)
{
	unsigned long long	 n = 0;

	if (*s == '\0')
		return 0;
	for (; *s != '\0'; s++) {
		if (*s < '0' || *s > '9')
			return 0;
		n = n * 10 + (unsigned long long)(*s - '0');
		if (n > UINT32_MAX)
			return 0;
	}
	return n == v;
}

static void
trace_schema_error(void *arg, xmlErrorPtr e)
{
	struct trace_error	*err = arg;

	if (err->detail[0] != '\0' || e == NULL)
		return;
	snprintf(err->detail, sizeof(err->detail), "line %d: %s", e->line,
	    e->message != NULL ? e->message : "invalid");
}

static int
trace_validate(const struct trace_policy *pol, xmlDocPtr doc, int file,
    struct trace_error *err)
{
	xmlSchemaValidCtxtPtr	 v;
	char			 first[sizeof(err->detail)];
	int			 rc;

	if ((v = schemaset_vctx(pol->schemas, file)) == NULL)
		return trace_fail(err, REFUSE_UNAVAILABLE, "no schema",
		    "the schema set is not loaded");
	err->detail[0] = '\0';
	xmlSchemaSetValidStructuredErrors(v, trace_schema_error, err);
	rc = xmlSchemaValidateDoc(v, doc);
	xmlSchemaSetValidStructuredErrors(v, trace_quiet, NULL);
	if (rc == 0)
		return 0;
	strlcpy(first, err->detail[0] != '\0' ? err->detail :
	    "the trace does not follow its schema", sizeof(first));
	return trace_fail(err, REFUSE_INVALID, "schema validation failed", "%s",
	    first);
}

/*
 * Find the IDEvt element among the root's children in the raw bytes,
 * check what it holds and give the pieces without that content.
 */
static int
trace_splice(const char *buf, size_t len, struct trace_out *out,
    struct trace_error *err)
{
	struct xmlscan		 s;
	struct xmlscan_tok	 t;
	size_t			 cs, ce, i, j;
	int			 rc;

	xmlscan_init(&s, buf, len);
	while ((rc = xmlscan_next(&s, &t)) == 1)
		if (t.kind != XS_END && t.depth == 1 &&
		    xmlscan_name_is(&s, &t, "IDEvt"))
			break;
	if (rc != 1)
		return trace_fail(err, REFUSE_INVALID, "IDEvt missing",
		    "no IDEvt element under the root element");

	if (t.kind == XS_EMPTY) {
		/* <IDEvt/> becomes <IDEvt></IDEvt>. */
		i = t.end - 2;
		out->iov[0].iov_base = (void *)buf;
		out->iov[0].iov_len = i;
		out->iov[1].iov_base = (void *)trace_close_idevt;
		out->iov[1].iov_len = sizeof(trace_close_idevt) - 1;
		out->iov[2].iov_base = (void *)(buf + t.end);
		out->iov[2].iov_len = len - t.end;
		out->iovcnt = 3;
		out->idevt_off = i + 1;
		out->len = len - 2 + sizeof(trace_close_idevt) - 1;
		return 0;
	}
	cs = t.end;
	if ((rc = xmlscan_next(&s, &t)) != 1 || t.kind != XS_END ||
	    !xmlscan_name_is(&s, &t, "IDEvt"))
		return trace_fail(err, REFUSE_MALFORMED,
		    "IDEvt belongs to the vault", "IDEvt must be 0, empty or "
		    "<!--SAFE_ID-->: the vault numbers events");
	ce = t.start;

	/* What the capture agent may send: "", "0" or the placeholder. */
	for (i = cs; i < ce && strchr(" \t\r\n", buf[i]) != NULL; i++)
		;
	for (j = ce; j > i && strchr(" \t\r\n", buf[j - 1]) != NULL; j--)
		;
	if (!(j == i || (j - i == 1 && buf[i] == '0') ||
	    (j - i == strlen(SAFE_ID) && memcmp(buf + i, SAFE_ID,
	    strlen(SAFE_ID)) == 0)))
		return trace_fail(err, REFUSE_MALFORMED,
		    "IDEvt belongs to the vault", "IDEvt must be 0, empty or "
		    "<!--SAFE_ID-->: the vault numbers events");

	out->iov[0].iov_base = (void *)buf;
	out->iov[0].iov_len = cs;
	out->iov[1].iov_base = (void *)(buf + ce);
	out->iov[1].iov_len = len - ce;
	out->iovcnt = 2;
	out->idevt_off = cs;
	out->len = len - (ce - cs);
	return 0;
}

int
trace_check(const struct trace_policy *pol, const char *buf, size_t len,
    struct trace_out *out, struct trace_error *err)
{
	xmlDocPtr	 doc;
	xmlNodePtr	 root, idoper, dateevt, idevt, idcoffre;
	char		 text[64];
	int		 file = -1, count, rc = -1;

	memset(out, 0, sizeof(*out));
	memset(err, 0, sizeof(*err));
	if ((doc = trace_parse(pol, buf, len, err)) == NULL)
		return -1;
	root = xmlDocGetRootElement(doc);

	if (root->ns != NULL) {
		trace_fail(err, REFUSE_INVALID, "unknown event type",
		    "root element %s has a namespace: ARJEL traces have none",
		    (const char *)root->name);
		goto done;
	}
	if (strlen((const char *)root->name) >= sizeof(out->type) ||
	    (pol->schemas != NULL &&
	    (file = schemaset_find(pol->schemas,
	    (const char *)root->name)) == -1)) {
		trace_fail(err, REFUSE_INVALID, "unknown event type",
		    "root element %.64s is not an event type of the schema set",
		    (const char *)root->name);
		goto done;
	}
	strlcpy(out->type, (const char *)root->name, sizeof(out->type));

	idoper = trace_child(root, "IDOper", &count);
	if (count != 1) {
		trace_fail(err, REFUSE_INVALID, "IDOper missing", "%s: exactly "
		    "one IDOper is required", out->type);
		goto done;
	}
	dateevt = trace_child(root, "DateEvt", &count);
	if (count != 1) {
		trace_fail(err, REFUSE_INVALID, "DateEvt missing",
		    "%s: exactly one DateEvt is required", out->type);
		goto done;
	}
	idevt = trace_child(root, "IDEvt", &count);
	if (count != 1) {
		trace_fail(err, REFUSE_INVALID, "IDEvt missing", "%s: exactly "
		    "one IDEvt is required (0, empty or <!--SAFE_ID-->)",
		    out->type);
		goto done;
	}
	if (trace_splice(buf, len, out, err) == -1)
		goto done;

	if (trace_text(idoper, text, sizeof(text)) == -1 ||
	    !trace_number_is(text, pol->operator_id)) {
		trace_fail(err, REFUSE_INVALID, "wrong operator", "IDOper "
		    "%.32s is not this vault's operator %u", text,
		    pol->operator_id);
		goto done;
	}
	idcoffre = trace_child(root, "IDCoffre", &count);
	if (count > 1 || (idcoffre != NULL &&
	    (trace_text(idcoffre, text, sizeof(text)) == -1 ||
	    !trace_number_is(text, pol->vault_id)))) {
		trace_fail(err, REFUSE_INVALID, "wrong vault", "IDCoffre %.32s "
		    "is not this vault's number %u", count > 1 ? "(repeated)" :
		    text, pol->vault_id);
		goto done;
	}
	if (trace_text(dateevt, out->dateevt, sizeof(out->dateevt)) == -1) {
		trace_fail(err, REFUSE_INVALID, "schema validation failed",
		    "DateEvt must be YYMMDDhhmmss");
		goto done;
	}

	/* The schema wants a number: validate with the one to come. */
	xmlNodeSetContent(idevt, BAD_CAST "0");
	if (pol->schemas != NULL && trace_validate(pol, doc, file, err) == -1)
		goto done;
	rc = 0;
 done:
	xmlFreeDoc(doc);
	if (rc == -1)
		memset(out, 0, sizeof(*out));
	return rc;
}

int
trace_batch_split(const struct trace_policy *pol, const char *buf,
    size_t len, size_t max, struct trace_slice *slices, size_t *n,
    struct trace_error *err)
{
	struct trace_policy	 bpol = *pol;
	struct xmlscan		 s;
	struct xmlscan_tok	 t;
	xmlDocPtr		 doc;
	xmlNodePtr		 root, c;
	size_t			 count = 0, i = 0, start = 0;
	int			 rc = -1, r;

	memset(err, 0, sizeof(*err));
	*n = 0;
	bpol.max_depth = pol->max_depth + 1;
	if ((doc = trace_parse(&bpol, buf, len, err)) == NULL)
		return -1;
	root = xmlDocGetRootElement(doc);
	if (root->ns != NULL || !xmlStrEqual(root->name, BAD_CAST "Traces")) {
		trace_fail(err, REFUSE_MALFORMED, "not a batch", "a batch is a "
		    "<Traces> element whose children are traces");
		goto done;
	}
	for (c = root->children; c != NULL; c = c->next) {
		if (c->type == XML_ELEMENT_NODE)
			count++;
		else if (c->type == XML_TEXT_NODE &&
		    !xmlIsBlankNode(c)) {
			trace_fail(err, REFUSE_MALFORMED, "not a batch",
			    "text between the traces of a batch");
			goto done;
		} else if (c->type == XML_CDATA_SECTION_NODE) {
			trace_fail(err, REFUSE_MALFORMED, "not a batch",
			    "CDATA between the traces of a batch");
			goto done;
		}
	}
	if (count == 0) {
		trace_fail(err, REFUSE_MALFORMED, "empty batch",
		    "the batch holds no trace");
		goto done;
	}
	if (count > max) {
		trace_fail(err, REFUSE_TOO_LARGE, "batch too large",
		    "%zu traces in the batch, at most %zu", count, max);
		goto done;
	}

	xmlscan_init(&s, buf, len);
	while ((r = xmlscan_next(&s, &t)) == 1) {
		if (t.depth != 1)
			continue;
		if (t.kind == XS_START)
			start = t.start;
		else if (t.kind == XS_EMPTY || t.kind == XS_END) {
			if (i >= count)
				break;
			slices[i].off = t.kind == XS_EMPTY ? t.start : start;
			slices[i].len = t.end - slices[i].off;
			i++;
		}
	}
	if (r == -1 || i != count) {
		trace_fail(err, REFUSE_MALFORMED, "malformed XML",
		    "the batch could not be split into traces");
		goto done;
	}
	*n = count;
	rc = 0;
 done:
	xmlFreeDoc(doc);
	return rc;
}
