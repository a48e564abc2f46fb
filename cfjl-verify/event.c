/*
 * With the regulator's key (-k): every event file is decrypted (CMS
 * enveloped data), its trace parsed, its root element and its IDEvt and
 * DateEvt compared later with the lot entry (chain.c), the trace
 * validated against the schema that declares its root element (-x),
 * and written as NNNNNNNNNNNN.xml in the output directory (-o).
 */
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xmlschemas.h>

#include <openssl/cms.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/pkcs12.h>

#include "verify.h"

#define XSD_FILES_MAX	32
#define XSD_ROOTS_MAX	256

/* one checking thread's parser, validation contexts and decryption */
struct vwork {
	struct cms_dec		*dec;
	xmlParserCtxtPtr	 xmlctx;
	xmlSchemaValidCtxtPtr	 valid[XSD_FILES_MAX];
};

struct xsdset {
	size_t		 nschemas;
	xmlSchemaPtr	 schemas[XSD_FILES_MAX];
	char		*files[XSD_FILES_MAX];
	size_t		 nroots;
	struct {
		char	 name[V_ROOT_MAX];
		size_t	 schema;
	}		 roots[XSD_ROOTS_MAX];
};

static void	 xsd_roots(struct xsdset *, size_t, const char *);
static void	 xml_silent(void *, const char *, ...);
static void	 event_path(struct vctx *, uint64_t, int, char *, size_t);
static void	 event_write(struct vctx *, struct vevent *, const uint8_t *,
		    size_t);
static void	 event_trace(struct vctx *, struct vwork *, struct vevent *,
		    const char *, size_t);
static void	 event_why(struct vevent *, const char *, ...)
		    __attribute__((__format__(printf, 2, 3)));

static void
xml_silent(void *ctx, const char *fmt, ...)
{
}

int
event_key_load(struct vctx *ctx)
{
	FILE		*fp;
	PKCS12		*p12;
	EVP_PKEY	*pk = NULL;
	X509		*x = NULL;

	if ((fp = fopen(ctx->key_path, "rb")) == NULL) {
		report_error("regulator key %s: %s", ctx->key_path,
		    strerror(errno));
		return (-1);
	}
	pk = PEM_read_PrivateKey(fp, NULL, NULL, (void *)ctx->pass);
	if (pk != NULL) {
		/* a PEM file may hold the certificate too */
		rewind(fp);
		x = PEM_read_X509(fp, NULL, NULL, NULL);
	} else {
		rewind(fp);
		if ((p12 = d2i_PKCS12_fp(fp, NULL)) != NULL) {
			if (!PKCS12_parse(p12, ctx->pass ? ctx->pass : "",
			    &pk, &x, NULL))
				pk = NULL;
			PKCS12_free(p12);
		}
	}
	fclose(fp);
	ERR_clear_error();
	if (pk == NULL) {
		report_error("regulator key %s: not a PEM private key nor a PKCS#12 "
		    "file (or wrong pass phrase)", ctx->key_path);
		return (-1);
	}
	ctx->regkey = pk;
	ctx->regcert = x;
	/* NULL (not RSA, say): every event goes through the CMS code */
	ctx->fast = cms_fast_new(pk, x);
	return (0);
}

/* The global elements a schema file declares, read from its text. */
static void
xsd_roots(struct xsdset *set, size_t idx, const char *path)
{
	xmlDocPtr	 doc;
	xmlNodePtr	 n;
	xmlChar		*name;

	if ((doc = xmlReadFile(path, NULL, XML_PARSE_NONET |
	    XML_PARSE_NOERROR | XML_PARSE_NOWARNING)) == NULL)
		return;
	for (n = xmlDocGetRootElement(doc)->children; n != NULL; n = n->next) {
		if (n->type != XML_ELEMENT_NODE ||
		    strcmp((char *)n->name, "element") != 0)
			continue;
		if ((name = xmlGetNoNsProp(n, (const xmlChar *)"name")) ==
		    NULL)
			continue;
		if (set->nroots < XSD_ROOTS_MAX &&
		    strlen((char *)name) < V_ROOT_MAX) {
			strlcpy(set->roots[set->nroots].name, (char *)name,
			    V_ROOT_MAX);
			set->roots[set->nroots].schema = idx;
			set->nroots++;
		}
		xmlFree(name);
	}
	xmlFreeDoc(doc);
}

/* Every *.xsd at the top of the directory (include/ is for includes). */
int
event_xsd_load(struct vctx *ctx)
{
	struct xsdset		*set;
	struct dirent		*de;
	DIR			*d;
	xmlSchemaParserCtxtPtr	 pctx;
	char			 path[PATH_MAX];
	size_t			 l;

	if ((d = opendir(ctx->xsd_dir)) == NULL) {
		report_error("schema directory %s: %s", ctx->xsd_dir,
		    strerror(errno));
		return (-1);
	}
	set = xcalloc(1, sizeof(*set));
	while ((de = readdir(d)) != NULL) {
		l = strlen(de->d_name);
		if (l < 5 || strcmp(de->d_name + l - 4, ".xsd") != 0)
			continue;
		if (set->nschemas == XSD_FILES_MAX)
			break;
		snprintf(path, sizeof(path), "%s/%s", ctx->xsd_dir,
		    de->d_name);
		if ((pctx = xmlSchemaNewParserCtxt(path)) == NULL)
			continue;
		xmlSchemaSetParserErrors(pctx, xml_silent, xml_silent, NULL);
		set->schemas[set->nschemas] = xmlSchemaParse(pctx);
		xmlSchemaFreeParserCtxt(pctx);
		if (set->schemas[set->nschemas] == NULL) {
			report_error("schema %s does not load", path);
			continue;
		}
		set->files[set->nschemas] = xstrdup(de->d_name);
		xsd_roots(set, set->nschemas, path);
		set->nschemas++;
	}
	closedir(d);
	if (set->nroots == 0) {
		report_error("schema directory %s: no schema declares an element",
		    ctx->xsd_dir);
		event_xsd_free(ctx);
		free(set);
		return (-1);
	}
	ctx->xsd = set;
	return (0);
}

void
event_xsd_free(struct vctx *ctx)
{
	size_t	 i;

	if (ctx->xsd == NULL)
		return;
	for (i = 0; i < ctx->xsd->nschemas; i++) {
		xmlSchemaFree(ctx->xsd->schemas[i]);
		free(ctx->xsd->files[i]);
	}
	free(ctx->xsd);
	ctx->xsd = NULL;
}

/* Until its verdict, a trace is written under a name no one takes. */
static void
event_path(struct vctx *ctx, uint64_t idevt, int tmp, char *path,
    size_t len)
{
	snprintf(path, len, "%s/%s%012llu.xml%s", ctx->out_dir,
	    tmp ? "." : "", (unsigned long long)idevt, tmp ? ".unchecked" : "");
}

static void
event_write(struct vctx *ctx, struct vevent *ev, const uint8_t *buf,
    size_t len)
{
	char	 path[PATH_MAX];
	int	 fd;

	event_path(ctx, ev->idevt, 1, path, sizeof(path));
	ev->written = 1;
	if ((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW,
	    0600)) == -1 || write(fd, buf, len) != (ssize_t)len) {
		report_error("cannot write %s: %s", path, strerror(errno));
		if (fd != -1)
			close(fd);
		return;
	}
	if (close(fd) == -1)
		report_error("cannot write %s: %s", path, strerror(errno));
}

/*
 * The verdict on a written trace (chain.c): it gets its name if every
 * check of the event and of its lot's seal held, else it is removed.
 */
void
event_publish(struct vctx *ctx, struct vevent *ev, int ok)
{
	char	 tmp[PATH_MAX], path[PATH_MAX];

	if (ctx->out_dir == NULL || !ev->written)
		return;
	ev->written = 0;
	event_path(ctx, ev->idevt, 1, tmp, sizeof(tmp));
	event_path(ctx, ev->idevt, 0, path, sizeof(path));
	if (ok) {
		if (chmod(tmp, 0644) == -1 || rename(tmp, path) == -1)
			report_error("cannot rename %s: %s", tmp, strerror(errno));
		return;
	}
	if (unlink(tmp) == -1 && errno != ENOENT)
		report_error("cannot remove %s: %s", tmp, strerror(errno));
}

/* The first problem found with an event (kept only for those). */
static void
event_why(struct vevent *ev, const char *fmt, ...)
{
	va_list	 ap;
	char	 buf[256];

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	free(ev->why);
	ev->why = xstrdup(buf);
}

void
event_cleanup(struct vctx *ctx)
{
	cms_fast_free(ctx->fast);
	ctx->fast = NULL;
}

/* The tools of one checking thread; NULL if out of memory. */
struct vwork *
event_work_new(struct vctx *ctx)
{
	struct vwork	*w;
	size_t		 i;

	w = xcalloc(1, sizeof(*w));
	if (ctx->regkey == NULL)
		return (w);
	if ((ctx->fast != NULL && (w->dec = cms_dec_new(ctx->fast)) == NULL) ||
	    (w->xmlctx = xmlNewParserCtxt()) == NULL)
		goto fail;
	for (i = 0; ctx->xsd != NULL && i < ctx->xsd->nschemas; i++) {
		if ((w->valid[i] = xmlSchemaNewValidCtxt(
		    ctx->xsd->schemas[i])) == NULL)
			goto fail;
		xmlSchemaSetValidErrors(w->valid[i], xml_silent, xml_silent,
		    NULL);
	}
	return (w);
fail:
	event_work_free(w);
	return (NULL);
}

void
event_work_free(struct vwork *w)
{
	size_t	 i;

	if (w == NULL)
		return;
	cms_dec_free(w->dec);
	if (w->xmlctx != NULL)
		xmlFreeParserCtxt(w->xmlctx);
	for (i = 0; i < XSD_FILES_MAX; i++)
		if (w->valid[i] != NULL)
			xmlSchemaFreeValidCtxt(w->valid[i]);
	free(w);
}

/* One event file: its digest, and with -k its trace. */
void
event_check(struct vctx *ctx, struct vwork *w, struct vevent *ev,
    const uint8_t *der, size_t len)
{
	util_sha256(der, len, ev->sha);
	if (ctx->regkey != NULL)
		event_decrypt(ctx, w, ev, der, len);
}

/* The clear trace: written out (-o), parsed, validated (-x). */
static void
event_trace(struct vctx *ctx, struct vwork *w, struct vevent *ev,
    const char *plain, size_t plen)
{
	xmlDocPtr		 doc = NULL;
	xmlNodePtr		 root, n;
	xmlChar			*c;
	size_t			 i, s;

	static const struct xbound lim = { V_EVENT_MAX, V_TRACE_ELEMENTS,
	    V_TRACE_ATTRS, V_TRACE_DEPTH };
	struct xcount		 cnt;
	char			 why[256];
	size_t			 cost = 0;

	ev->dec = DEC_OK;
	if (xmlbound_scan(plain, plen, &lim, &cnt, why, sizeof(why)) == -1) {
		event_why(ev, "the trace is refused before parsing: %s", why);
		ev->dec = DEC_FAIL;
		return;
	}
	if ((cost = xmlbound_cost(plen, &cnt)) > V_PARSE_BUDGET) {
		event_why(ev, "the trace is refused before parsing: %zu "
		    "elements and %zu attributes need more than %d MiB",
		    cnt.elements, cnt.attrs, V_PARSE_BUDGET >> 20);
		ev->dec = DEC_FAIL;
		return;
	}
	cost = work_budget_take(cost);
	if (plen > INT32_MAX ||
	    (doc = xmlCtxtReadMemory(w->xmlctx, plain, (int)plen, NULL, NULL,
	    XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING)) ==
	    NULL || doc->intSubset != NULL ||
	    (root = xmlDocGetRootElement(doc)) == NULL) {
		event_why(ev, "the trace is not "
		    "well-formed XML");
		ev->dec = DEC_FAIL;
		goto done;
	}
	strlcpy(ev->root, (const char *)root->name, sizeof(ev->root));
	for (n = root->children; n != NULL; n = n->next) {
		if (n->type != XML_ELEMENT_NODE)
			continue;
		if (strcmp((char *)n->name, "IDEvt") == 0 && !ev->has_idevt) {
			c = xmlNodeGetContent(n);
			if (c != NULL && util_parse_u64((char *)c,
			    &ev->inner_idevt) == 0)
				ev->has_idevt = 1;
			xmlFree(c);
		} else if (strcmp((char *)n->name, "DateEvt") == 0) {
			c = xmlNodeGetContent(n);
			if (c != NULL)
				strlcpy(ev->inner_dateevt, (char *)c,
				    sizeof(ev->inner_dateevt));
			xmlFree(c);
		}
	}
	if (ctx->xsd != NULL) {
		ev->xsd = -1;
		for (i = 0; i < ctx->xsd->nroots; i++)
			if (strcmp(ctx->xsd->roots[i].name, ev->root) == 0)
				break;
		if (i == ctx->xsd->nroots)
			event_why(ev, "no schema declares "
			    "the element %s", ev->root);
		else {
			s = ctx->xsd->roots[i].schema;
			if (xmlSchemaValidateDoc(w->valid[s], doc) == 0)
				ev->xsd = 1;
			else
				event_why(ev, "the trace "
				    "is not valid against %s",
				    ctx->xsd->files[s]);
		}
	}
done:
	xmlFreeDoc(doc);
	work_trim(cost);
	work_budget_give(cost);
	if (ctx->out_dir != NULL && ev->dec == DEC_OK && ev->xsd >= 0)
		event_write(ctx, ev, (const uint8_t *)plain, plen);
}

void
event_decrypt(struct vctx *ctx, struct vwork *w, struct vevent *ev,
    const uint8_t *der, size_t len)
{
	CMS_ContentInfo		*cms = NULL;
	BIO			*in = NULL, *out = NULL;
	const uint8_t		*fplain;
	char			*plain, why[160];
	size_t			 flen;
	long			 plen;

	ev->dec = DEC_FAIL;
	/* stored's own shape: the content key is unwrapped once a run */
	if (w->dec != NULL) {
		switch (cms_fast_decrypt(w->dec, der, len, &fplain, &flen,
		    why, sizeof(why))) {
		case 1:
			event_trace(ctx, w, ev, (const char *)fplain, flen);
			return;
		case -1:
			event_why(ev, "%s", why);
			return;
		default:
			break;
		}
	}
	if (len > INT32_MAX || (in = BIO_new_mem_buf(der, (int)len)) == NULL ||
	    (cms = d2i_CMS_bio(in, NULL)) == NULL) {
		event_why(ev, "not a CMS structure");
		goto done;
	}
	if (OBJ_obj2nid(CMS_get0_type(cms)) != NID_pkcs7_enveloped &&
	    OBJ_obj2nid(CMS_get0_type(cms)) != NID_id_smime_ct_authEnvelopedData) {
		event_why(ev, "not CMS enveloped data");
		goto done;
	}
	if ((out = BIO_new(BIO_s_mem())) == NULL ||
	    !CMS_decrypt(cms, ctx->regkey, ctx->regcert, NULL, out,
	    CMS_BINARY | CMS_DEBUG_DECRYPT)) {
		event_why(ev, "cannot be decrypted with "
		    "the regulator key");
		goto done;
	}
	plen = BIO_get_mem_data(out, &plain);
	event_trace(ctx, w, ev, plain, (size_t)plen);
done:
	ERR_clear_error();
	BIO_free(out);
	BIO_free(in);
	CMS_ContentInfo_free(cms);
}
