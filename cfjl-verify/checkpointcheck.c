/*
 * Checkpoints (cfjl-export(5) "checkpoint.xml"): a document sealed like
 * a lot, naming the last sealed lot with the digest of its
 * SignatureValue and the newest sealed journal file with the digest of
 * its metadata.  Checked here: its form, its seal (xadescheck.c, with
 * the certificates of the bundle or, alone, those it carries, both
 * against the trust anchors), and what it proves: a bundle that ends
 * before the lots it names, unless the range asked for ends earlier; a
 * lot of the bundle that is not the one it names; a checkpoint kept
 * from before (--since-checkpoint) that the bundle's contradicts (same
 * number, other content: a fork); a journal without the file it names
 * or with other metadata (journal -c: a rollback).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xpath.h>
#include <libxml/xpathInternals.h>

#include <openssl/pkcs7.h>
#include <openssl/x509.h>

#include "verify.h"

#define CK_NS		"urn:cfjl:checkpoint:1"
#define CK_DSIG_NS	"http://www.w3.org/2000/09/xmldsig#"
#define CK_XADES_NS	"http://uri.etsi.org/01903/v1.3.2#"

/* A checkpoint is a few kB: its seal is most of it. */
static const struct xbound checkpoint_bound = { V_CHECKPOINT_MAX, 256, 16,
    V_XML_DEPTH };

static int	 checkpointcheck_is(xmlNodePtr, const char *, const char *);
static int	 checkpointcheck_attrs(xmlNodePtr, const char *const *);
static int	 checkpointcheck_attr(xmlNodePtr, const char *, char *, size_t);
static int	 checkpointcheck_u64(xmlNodePtr, const char *, uint64_t *);
static int	 checkpointcheck_b64(xmlNodePtr, const char *, uint8_t *);
static int	 checkpointcheck_fields(struct vcheckpoint *, xmlNodePtr,
		    xmlNodePtr *);
static void	 checkpointcheck_own_certs(xmlDocPtr, xmlNodePtr,
		    struct bundle *);
static void	 checkpointcheck_read(struct vctx *, struct bundle *,
		    const char *, size_t, struct vcheckpoint *);

#define ULL(x)	((unsigned long long)(x))

static int
checkpointcheck_is(xmlNodePtr n, const char *ns, const char *name)
{
	return (n->type == XML_ELEMENT_NODE && n->ns != NULL &&
	    strcmp((const char *)n->ns->href, ns) == 0 &&
	    strcmp((const char *)n->name, name) == 0);
}

/* Only the attributes named, without namespace. */
static int
checkpointcheck_attrs(xmlNodePtr n, const char *const *names)
{
	xmlAttrPtr	 a;
	size_t		 i;

	for (a = n->properties; a != NULL; a = a->next) {
		for (i = 0; names[i] != NULL; i++)
			if (a->ns == NULL &&
			    strcmp((const char *)a->name, names[i]) == 0)
				break;
		if (names[i] == NULL)
			return (-1);
	}
	return (0);
}

static int
checkpointcheck_attr(xmlNodePtr n, const char *name, char *buf, size_t len)
{
	xmlChar	*v;
	int	 rc = 0;

	if ((v = xmlGetNoNsProp(n, (const xmlChar *)name)) == NULL)
		return (-1);
	if (strlcpy(buf, (const char *)v, len) >= len)
		rc = -1;
	xmlFree(v);
	return (rc);
}

static int
checkpointcheck_u64(xmlNodePtr n, const char *name, uint64_t *v)
{
	char	 buf[32];

	if (checkpointcheck_attr(n, name, buf, sizeof(buf)) == -1)
		return (-1);
	return (util_parse_u64(buf, v));
}

static int
checkpointcheck_b64(xmlNodePtr n, const char *name, uint8_t *out)
{
	char	 buf[64];
	uint8_t	 md[V_SHA256_LEN + 3];
	size_t	 len;

	if (checkpointcheck_attr(n, name, buf, sizeof(buf)) == -1 ||
	    util_b64_decode(buf, md, sizeof(md), &len) == -1 ||
	    len != V_SHA256_LEN)
		return (-1);
	memcpy(out, md, V_SHA256_LEN);
	return (0);
}

/*
 * The root's attributes and its children in order: Precedent,
 * DernierLot, Journal (absent before the first journal seal), then the
 * seal.  0, or -1 with what is wrong reported.
 */
static int
checkpointcheck_fields(struct vcheckpoint *ck, xmlNodePtr root,
    xmlNodePtr *sig)
{
	static const char *const rootattrs[] = { "Id", "Numero", "Operateur",
	    "Coffre", "Heure", NULL };
	static const char *const lotattrs[] = { "Numero", "IDEvt", "Sceau",
	    NULL };
	static const char *const jattrs[] = { "Fichier", "Metadonnees", NULL };
	const char	*w = ck->what;
	xmlNodePtr	 n;
	xmlChar		*c;
	char		 buf[64], want[32];
	uint8_t		 md[V_SHA256_LEN + 3];
	size_t		 len;
	int		 step = 0;

	*sig = NULL;
	if (checkpointcheck_attrs(root, rootattrs) == -1 ||
	    checkpointcheck_u64(root, "Numero", &ck->numero) == -1 ||
	    ck->numero == 0 ||
	    checkpointcheck_attr(root, "Id", ck->id, sizeof(ck->id)) == -1 ||
	    checkpointcheck_attr(root, "Operateur", ck->operateur,
	    sizeof(ck->operateur)) == -1 ||
	    checkpointcheck_attr(root, "Coffre", ck->coffre,
	    sizeof(ck->coffre)) == -1 ||
	    checkpointcheck_attr(root, "Heure", buf, sizeof(buf)) == -1 ||
	    util_parse_iso8601_ms(buf, &ck->heure_ms) == -1) {
		report_fail("%s: the Checkpoint element lacks Id, Numero, "
		    "Operateur, Coffre or Heure, or has another attribute", w);
		return (-1);
	}
	snprintf(want, sizeof(want), "checkpoint-%012llu", ULL(ck->numero));
	if (strcmp(ck->id, want) != 0) {
		report_fail("%s: Id is \"%s\", expected \"%s\"", w, ck->id, want);
		return (-1);
	}
	for (n = root->children; n != NULL; n = n->next) {
		if (n->type == XML_TEXT_NODE && xmlIsBlankNode(n))
			continue;
		if (n->type == XML_COMMENT_NODE)
			continue;
		if (*sig != NULL || n->type != XML_ELEMENT_NODE) {
			report_fail("%s: something after the signature or "
			    "outside elements", w);
			return (-1);
		}
		if (step == 0 && checkpointcheck_is(n, CK_NS, "Precedent")) {
			c = xmlNodeGetContent(n);
			if (c == NULL || n->properties != NULL ||
			    util_b64_decode((char *)c, md, sizeof(md),
			    &len) == -1 || len != V_SHA256_LEN) {
				xmlFree(c);
				report_fail("%s: Precedent is not a base64 "
				    "SHA-256", w);
				return (-1);
			}
			xmlFree(c);
			memcpy(ck->precedent, md, V_SHA256_LEN);
			step = 1;
		} else if (step == 1 &&
		    checkpointcheck_is(n, CK_NS, "DernierLot")) {
			if (n->children != NULL ||
			    checkpointcheck_attrs(n, lotattrs) == -1 ||
			    checkpointcheck_u64(n, "Numero",
			    &ck->last_lot) == -1 ||
			    checkpointcheck_u64(n, "IDEvt",
			    &ck->last_idevt) == -1 ||
			    checkpointcheck_b64(n, "Sceau",
			    ck->lot_sigvalue) == -1 ||
			    (ck->last_lot == 0) != (ck->last_idevt == 0) ||
			    ck->last_idevt < ck->last_lot) {
				report_fail("%s: DernierLot is malformed", w);
				return (-1);
			}
			step = 2;
		} else if (step == 2 &&
		    checkpointcheck_is(n, CK_NS, "Journal")) {
			if (n->children != NULL ||
			    checkpointcheck_attrs(n, jattrs) == -1 ||
			    checkpointcheck_attr(n, "Fichier", ck->journal_file,
			    sizeof(ck->journal_file)) == -1 ||
			    strlen(ck->journal_file) != 12 ||
			    strspn(ck->journal_file, "0123456789") != 8 ||
			    strcmp(ck->journal_file + 8, ".log") != 0 ||
			    checkpointcheck_b64(n, "Metadonnees",
			    ck->journal_meta) == -1) {
				report_fail("%s: Journal is malformed", w);
				return (-1);
			}
			ck->has_journal = 1;
			step = 3;
		} else if (checkpointcheck_is(n, CK_DSIG_NS, "Signature")) {
			if (step < 2)
				break;
			*sig = n;
		} else {
			report_fail("%s: unexpected element %s", w, n->name);
			return (-1);
		}
	}
	if (step < 2) {
		report_fail("%s: Precedent or DernierLot is missing", w);
		return (-1);
	}
	if (*sig == NULL) {
		report_fail("%s: no ds:Signature: the checkpoint is not sealed",
		    w);
		return (-1);
	}
	return (0);
}

/*
 * A checkpoint read alone carries its certificates: the seal's in
 * ds:KeyInfo, the time-stamping unit's in its token.  They are only
 * believed once they chain to the trust anchors (xadescheck.c,
 * tsacheck.c), as those of a bundle.
 */
static void
checkpointcheck_own_certs(xmlDocPtr doc, xmlNodePtr sig, struct bundle *b)
{
	xmlXPathContextPtr	 xp;
	xmlXPathObjectPtr	 o = NULL;
	xmlChar			*c;
	STACK_OF(X509)		*signers;
	PKCS7			*p7 = NULL;
	X509			*x;
	uint8_t			*der = NULL;
	const unsigned char	*p;
	size_t			 len;
	int			 i;

	b->seal_certs = sk_X509_new_null();
	b->tsa_certs = sk_X509_new_null();
	if ((xp = xmlXPathNewContext(doc)) == NULL)
		return;
	xmlXPathRegisterNs(xp, (const xmlChar *)"ds",
	    (const xmlChar *)CK_DSIG_NS);
	xmlXPathRegisterNs(xp, (const xmlChar *)"xades",
	    (const xmlChar *)CK_XADES_NS);
	xp->node = sig;
	o = xmlXPathEvalExpression((const xmlChar *)
	    "ds:KeyInfo/ds:X509Data/ds:X509Certificate", xp);
	for (i = 0; o != NULL && o->nodesetval != NULL &&
	    i < o->nodesetval->nodeNr; i++) {
		c = xmlNodeGetContent(o->nodesetval->nodeTab[i]);
		if (c != NULL && util_b64_decode_alloc((char *)c, &der,
		    &len) == 0) {
			p = der;
			if ((x = d2i_X509(NULL, &p, (long)len)) != NULL)
				sk_X509_push(b->seal_certs, x);
		}
		xmlFree(c);
		free(der);
		der = NULL;
	}
	xmlXPathFreeObject(o);
	o = xmlXPathEvalExpression((const xmlChar *)"ds:Object/"
	    "xades:QualifyingProperties/xades:UnsignedProperties/"
	    "xades:UnsignedSignatureProperties/xades:SignatureTimeStamp/"
	    "xades:EncapsulatedTimeStamp", xp);
	if (o != NULL && o->nodesetval != NULL &&
	    o->nodesetval->nodeNr == 1 &&
	    (c = xmlNodeGetContent(o->nodesetval->nodeTab[0])) != NULL) {
		if (util_b64_decode_alloc((char *)c, &der, &len) == 0 &&
		    (p = der, p7 = d2i_PKCS7(NULL, &p, (long)len)) != NULL &&
		    PKCS7_type_is_signed(p7) &&
		    (signers = PKCS7_get0_signers(p7, NULL, 0)) != NULL) {
			/* the signer first, then the rest of the token's */
			if (sk_X509_num(signers) == 1) {
				x = sk_X509_value(signers, 0);
				X509_up_ref(x);
				sk_X509_push(b->tsa_certs, x);
				for (i = 0; p7->d.sign->cert != NULL &&
				    i < sk_X509_num(p7->d.sign->cert); i++) {
					x = sk_X509_value(p7->d.sign->cert, i);
					if (X509_cmp(x, sk_X509_value(
					    b->tsa_certs, 0)) == 0)
						continue;
					X509_up_ref(x);
					sk_X509_push(b->tsa_certs, x);
				}
			}
			sk_X509_free(signers);
		}
		xmlFree(c);
	}
	PKCS7_free(p7);
	free(der);
	xmlXPathFreeObject(o);
	xmlXPathFreeContext(xp);
	if (sk_X509_num(b->seal_certs) == 0) {
		sk_X509_free(b->seal_certs);
		b->seal_certs = NULL;
	}
	if (sk_X509_num(b->tsa_certs) == 0) {
		sk_X509_free(b->tsa_certs);
		b->tsa_certs = NULL;
	}
}

/* Parse and check one checkpoint; b gives the certificates, or NULL. */
static void
checkpointcheck_read(struct vctx *ctx, struct bundle *b, const char *buf,
    size_t len, struct vcheckpoint *ck)
{
	struct bundle	 own;
	struct vlot	 shell;
	struct xcount	 cnt;
	xmlDocPtr	 doc;
	xmlNodePtr	 root, sig;
	char		 why[256];

	util_sha256(buf, len, ck->raw_sha);
	if (xmlbound_scan(buf, len, &checkpoint_bound, &cnt, why,
	    sizeof(why)) == -1) {
		report_fail("%s refused before parsing: %s", ck->what, why);
		return;
	}
	doc = xmlReadMemory(buf, (int)len, "checkpoint.xml", NULL,
	    XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
	if (doc == NULL) {
		report_fail("%s is not well-formed XML", ck->what);
		return;
	}
	root = xmlDocGetRootElement(doc);
	if (doc->intSubset != NULL || doc->extSubset != NULL ||
	    root == NULL || !checkpointcheck_is(root, CK_NS, "Checkpoint")) {
		report_fail("%s: the root element is not {%s}Checkpoint (or "
		    "the document has a DTD)", ck->what, CK_NS);
		xmlFreeDoc(doc);
		return;
	}
	if (checkpointcheck_fields(ck, root, &sig) == -1) {
		xmlFreeDoc(doc);
		return;
	}
	ck->parsed = 1;

	memset(&shell, 0, sizeof(shell));
	shell.kind = "checkpoint";
	shell.numero = ck->numero;
	strlcpy(shell.id, ck->id, sizeof(shell.id));
	if (b == NULL) {
		memset(&own, 0, sizeof(own));
		checkpointcheck_own_certs(doc, sig, &own);
		b = &own;
	}
	xadescheck_verify(ctx, b, &shell, doc, sig);
	if (b == &own) {
		if (own.seal_certs != NULL)
			sk_X509_pop_free(own.seal_certs, X509_free);
		if (own.tsa_certs != NULL)
			sk_X509_pop_free(own.tsa_certs, X509_free);
	}
	if (shell.has_sigvalue)
		memcpy(ck->sigvalue_sha, shell.sigvalue_sha, V_SHA256_LEN);
	ck->has_seal_fp = shell.has_seal_fp;
	ck->has_tsa_fp = shell.has_tsa_fp;
	memcpy(ck->seal_fp, shell.seal_fp, V_SHA256_LEN);
	memcpy(ck->tsa_fp, shell.tsa_fp, V_SHA256_LEN);
	ck->sealed = shell.sig_ok && shell.tst_ok && shell.has_sigvalue;
	ck->signing_ms = shell.signing_ms;
	if (ck->sealed && (shell.signing_ms > ck->heure_ms + V_SKEW_MS ||
	    shell.signing_ms + V_SKEW_MS < ck->heure_ms)) {
		report_fail("%s: Heure is not the time it was signed", ck->what);
		ck->sealed = 0;
	}
	xmlFreeDoc(doc);
}

int
checkpointcheck_file(struct vctx *ctx, const char *path,
    struct vcheckpoint *ck)
{
	FILE	*fp;
	char	*buf;
	size_t	 len;

	memset(ck, 0, sizeof(*ck));
	snprintf(ck->what, sizeof(ck->what), "checkpoint %s", path);
	if ((fp = fopen(path, "rb")) == NULL) {
		report_error("cannot open %s: %s", path, strerror(errno));
		return (-1);
	}
	buf = xcalloc(1, V_CHECKPOINT_MAX + 1);
	len = fread(buf, 1, V_CHECKPOINT_MAX + 1, fp);
	if (ferror(fp) || len > V_CHECKPOINT_MAX) {
		report_error("%s: unreadable, or more than %d bytes", path,
		    V_CHECKPOINT_MAX);
		fclose(fp);
		free(buf);
		return (-1);
	}
	fclose(fp);
	checkpointcheck_read(ctx, NULL, buf, len, ck);
	free(buf);
	if (ck->sealed)
		report_ok("%s: checkpoint %llu, lot %llu (IDEvt %llu), "
		    "journal %s", path, ULL(ck->numero), ULL(ck->last_lot),
		    ULL(ck->last_idevt), ck->has_journal ? ck->journal_file :
		    "none");
	return (ck->sealed ? 0 : -1);
}

/* The bundle's checkpoint.xml: its seal, then what it proves. */
void
checkpointcheck_bundle(struct vctx *ctx, struct bundle *b)
{
	struct vcheckpoint	*ck = &b->ck;
	struct manifest		*m = &b->m;
	struct vlot		*last, *named;
	char			 vault[32], when[40];
	int64_t			 created, until;
	int			 bad = 0;

	if (b->checkpoint == NULL) {
		if (!b->checkpoint_dup)
			report_fail("checkpoint.xml is missing: nothing proves "
			    "that the bundle holds every lot sealed before it "
			    "was made");
		return;
	}
	snprintf(ck->what, sizeof(ck->what), "checkpoint.xml");
	checkpointcheck_read(ctx, b, b->checkpoint, b->checkpoint_len, ck);
	if (!ck->sealed)
		return;
	snprintf(ck->what, sizeof(ck->what), "checkpoint %llu",
	    ULL(ck->numero));
	if (m->valid) {
		snprintf(vault, sizeof(vault), "%llu", ULL(m->vault));
		if (strcmp(ck->operateur, m->operator) != 0 ||
		    strcmp(ck->coffre, vault) != 0) {
			report_fail("%s: Operateur %s, Coffre %s: the manifest "
			    "says operator %s, vault %s", ck->what,
			    ck->operateur, ck->coffre, m->operator, vault);
			bad++;
		}
		if (util_parse_iso8601_ms(m->created, &created) == 0 &&
		    ck->heure_ms > created + V_SKEW_MS) {
			report_fail("%s: made after the bundle (%s)", ck->what,
			    m->created);
			bad++;
		}
		if (m->has_sealed && m->sealed_lot < ck->last_lot) {
			report_fail("manifest.json says sealing had reached "
			    "lot %llu; %s proves lot %llu was sealed before",
			    ULL(m->sealed_lot), ck->what, ULL(ck->last_lot));
			bad++;
		}
	}

	/* the lot it names, when the bundle holds it */
	if (ck->last_lot != 0 &&
	    (named = bundle_lot(b, ck->last_lot)) != NULL && named->parsed) {
		if (!named->has_sigvalue || memcmp(named->sigvalue_sha,
		    ck->lot_sigvalue, V_SHA256_LEN) != 0) {
			report_fail("lot %llu is not the one %s names: its "
			    "SignatureValue differs", ULL(named->numero),
			    ck->what);
			bad++;
		}
		if (named->dernier != ck->last_idevt) {
			report_fail("lot %llu ends at IDEvt %llu; %s says "
			    "%llu", ULL(named->numero), ULL(named->dernier),
			    ck->what, ULL(ck->last_idevt));
			bad++;
		}
	}

	/* the end of the bundle against what the checkpoint proves */
	last = b->nlots > 0 ? &b->lots[b->nlots - 1] : NULL;
	if (ck->last_lot != 0 && (last == NULL ||
	    last->numero < ck->last_lot) && m->valid) {
		util_fmt_time_ms(ck->heure_ms, when, sizeof(when));
		if (!m->req_by_time && ((last != NULL && last->parsed &&
		    m->req_to <= last->dernier) || (last == NULL &&
		    m->req_from > ck->last_idevt)))
			report_note("the range asked for ends at IDEvt %llu; "
			    "%s (%s) shows the vault held lots up to %llu "
			    "(IDEvt %llu)", ULL(m->req_to), ck->what, when,
			    ULL(ck->last_lot), ULL(ck->last_idevt));
		else if (m->req_by_time && util_parse_compact_time(m->req_to,
		    &until) == 0 && until + 1000 <= ck->heure_ms - V_SKEW_MS)
			report_note("the time range asked for ends before %s "
			    "(%s), which shows the vault held lots up to %llu "
			    "(IDEvt %llu): the lots after %llu are outside it "
			    "only if their events came later", ck->what, when,
			    ULL(ck->last_lot), ULL(ck->last_idevt),
			    last != NULL ? ULL(last->numero) : 0ULL);
		else if (last == NULL) {
			report_fail("the bundle holds no lot, but %s (%s) proves "
			    "lots up to %llu (IDEvt %llu) were sealed",
			    ck->what, when, ULL(ck->last_lot),
			    ULL(ck->last_idevt));
			bad++;
		} else {
			report_fail("the bundle ends at lot %llu, but %s (%s) "
			    "proves lots up to %llu (IDEvt %llu) were sealed: "
			    "lots %llu to %llu are missing", ULL(last->numero),
			    ck->what, when, ULL(ck->last_lot),
			    ULL(ck->last_idevt), ULL(last->numero + 1),
			    ULL(ck->last_lot));
			bad++;
		}
	}
	if (bad == 0)
		report_ok("%s: the bundle holds every lot it proves, up to "
		    "lot %llu (IDEvt %llu)%s", ck->what, ULL(ck->last_lot),
		    ULL(ck->last_idevt), ck->last_lot == 0 ? ", none sealed" :
		    "");
}

/*
 * --since-checkpoint: the bundle's checkpoint against one kept from
 * before.  The same number must be the same document; a newer one may
 * not go back, and must chain to it: directly when it is the next one,
 * and through the lots when the bundle holds the lot the kept one names
 * (a lot's seal covers the chain of all lots before it).
 */
void
checkpointcheck_since(struct vctx *ctx, struct bundle *b,
    const struct vcheckpoint *old)
{
	const struct vcheckpoint *ck = &b->ck;
	struct vlot		*named;
	int			 bad = 0;

	if (!ck->sealed || !old->sealed)
		return;
	if (strcmp(ck->operateur, old->operateur) != 0 ||
	    strcmp(ck->coffre, old->coffre) != 0) {
		report_fail("%s is of operator %s, vault %s; the checkpoint "
		    "kept is of operator %s, vault %s", ck->what,
		    ck->operateur, ck->coffre, old->operateur, old->coffre);
		return;
	}
	if (ck->numero == old->numero) {
		if (memcmp(ck->raw_sha, old->raw_sha, V_SHA256_LEN) != 0) {
			report_fail("fork: the bundle's checkpoint %llu is not "
			    "the checkpoint %llu kept (same number, other "
			    "content)", ULL(ck->numero), ULL(old->numero));
			return;
		}
		report_ok("%s is the checkpoint kept", ck->what);
		return;
	}
	if (ck->numero < old->numero) {
		report_fail("the bundle carries checkpoint %llu, older than "
		    "checkpoint %llu kept: the vault went back", ULL(ck->numero),
		    ULL(old->numero));
		return;
	}
	if (ck->last_lot < old->last_lot || ck->heure_ms < old->heure_ms) {
		report_fail("%s goes back from checkpoint %llu kept (lot %llu "
		    "after lot %llu)", ck->what, ULL(old->numero),
		    ULL(ck->last_lot), ULL(old->last_lot));
		bad++;
	}
	if (ck->numero == old->numero + 1 && memcmp(ck->precedent,
	    old->sigvalue_sha, V_SHA256_LEN) != 0) {
		report_fail("fork: %s does not chain to checkpoint %llu kept "
		    "(Precedent differs)", ck->what, ULL(old->numero));
		bad++;
	}
	if (old->last_lot != 0 &&
	    (named = bundle_lot(b, old->last_lot)) != NULL && named->parsed) {
		if (!named->has_sigvalue || memcmp(named->sigvalue_sha,
		    old->lot_sigvalue, V_SHA256_LEN) != 0 ||
		    named->dernier != old->last_idevt) {
			report_fail("fork: lot %llu of the bundle is not the one "
			    "checkpoint %llu kept names: lots were rewritten",
			    ULL(old->last_lot), ULL(old->numero));
			bad++;
		} else if (bad == 0)
			report_ok("%s follows checkpoint %llu kept: lot %llu "
			    "is the one it names, and the lots chain from it",
			    ck->what, ULL(old->numero), ULL(old->last_lot));
	} else if (bad == 0) {
		if (old->last_lot == 0)
			report_ok("%s follows checkpoint %llu kept, made before "
			    "any lot was sealed", ck->what, ULL(old->numero));
		else if (ck->numero == old->numero + 1)
			report_ok("%s chains to checkpoint %llu kept",
			    ck->what, ULL(old->numero));
		else
			report_note("lot %llu, which checkpoint %llu kept names, "
			    "is not in the bundle: ask for a range holding it "
			    "to prove that nothing before it was rewritten",
			    ULL(old->last_lot), ULL(old->numero));
	}
}

/*
 * journal -c: the file the checkpoint names must be there with the same
 * metadata; journalcheck.c tells each file's metadata digest, then the
 * end of the directory.
 */
void
checkpointcheck_journal_file(struct vctx *ctx, uint64_t n,
    const uint8_t *meta)
{
	struct vcheckpoint	*ck = ctx->anchor;
	char			 name[32];

	if (ck == NULL || !ck->has_journal)
		return;
	snprintf(name, sizeof(name), "%08llu.log", ULL(n));
	if (strcmp(name, ck->journal_file) != 0)
		return;
	ck->journal_seen = 1;
	if (meta == NULL)
		report_fail("%s names %s, whose metadata is missing",
		    ck->what, name);
	else if (memcmp(meta, ck->journal_meta, V_SHA256_LEN) != 0)
		report_fail("%s names %s with other metadata: the journal "
		    "was rewritten from that file on", ck->what, name);
	else
		report_ok("%s names %s: it is there, with the same metadata",
		    ck->what, name);
}

void
checkpointcheck_journal_end(struct vctx *ctx)
{
	struct vcheckpoint	*ck = ctx->anchor;

	if (ck == NULL)
		return;
	if (!ck->has_journal)
		report_note("%s names no journal file (none was sealed yet): "
		    "nothing to anchor", ck->what);
	else if (!ck->journal_seen)
		report_fail("%s names %s, which is missing: the journal was "
		    "rolled back", ck->what, ck->journal_file);
}
