/*
 * The seal of a lot: an enveloped XAdES-T signature (ETSI EN 319 132-1).
 * Its form is checked first (sigform.c): exactly what sealerd writes.
 * The signature is verified by xmlsec with the public key of the first
 * certificate in ds:KeyInfo, which must be one of certs/seal.pem (one a
 * sealing site); its path to the trust anchors is checked by OpenSSL at
 * the signing time.  The references must be exactly the
 * whole lot (URI "") and the SignedProperties; the properties are read
 * from the one node that reference resolves to, whose digest is checked
 * again here; SigningCertificateV2 must name the certificate; the
 * SignatureTimeStamp is handed to tsacheck.c with its imprint: SHA-256 over
 * the exclusive canonical form of ds:SignatureValue.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/c14n.h>
#include <libxml/tree.h>
#include <libxml/valid.h>
#include <libxml/xpath.h>
#include <libxml/xpathInternals.h>

#include <xmlsec/xmlsec.h>
#include <xmlsec/errors.h>
#include <xmlsec/xmldsig.h>
#include <xmlsec/xmltree.h>
#include <xmlsec/keys.h>
#include <xmlsec/transforms.h>
#include <xmlsec/crypto.h>
#include <xmlsec/openssl/evp.h>
#include <xmlsec/openssl/crypto.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "verify.h"

#define NS_DS		"http://www.w3.org/2000/09/xmldsig#"
#define NS_XADES	"http://uri.etsi.org/01903/v1.3.2#"
#define TYPE_SIGNEDPROPS "http://uri.etsi.org/01903#SignedProperties"
#define ALG_EXC_C14N	"http://www.w3.org/2001/10/xml-exc-c14n#"

static xmlNodePtr	 xp_node(xmlXPathContextPtr, const char *);
static char		*xp_text(xmlXPathContextPtr, const char *);
static int		 xp_count(xmlXPathContextPtr, const char *);
static int		 xades_spid(xmlDocPtr, xmlNodePtr, const char *);
static int		 xades_spcheck(struct vlot *, xmlXPathContextPtr,
			    xmlNodePtr);
static int		 xades_c14n_subtree(xmlNodePtr, uint8_t [32]);
static int		 xades_dsig(struct vlot *, xmlNodePtr, X509 *);
static int		 xades_certdigest(struct vlot *, xmlXPathContextPtr,
			    X509 *);
static int		 xades_transforms(xmlSecDSigCtxPtr);
static void		 xades_silent(const char *, int, const char *,
			    const char *, const char *, int, const char *);

/* xmlsec's own complaints: the verdict lines say what matters. */
static void
xades_silent(const char *file, int line, const char *func,
    const char *obj, const char *subj, int reason, const char *msg)
{
}

/*
 * The only algorithms a lot seal may use, those sealerd writes: no
 * XSLT, XPath or remote retrieval, no SHA-1, whatever the document asks
 * for (sigform.c has refused any other already; this is the second
 * lock).
 */
static int
xades_transforms(xmlSecDSigCtxPtr d)
{
	xmlSecTransformId	 ref[] = {
		xmlSecTransformEnvelopedId, xmlSecTransformExclC14NId,
		xmlSecTransformSha256Id
	};
	xmlSecTransformId	 sig[] = {
		xmlSecTransformExclC14NId, xmlSecTransformRsaSha256Id
	};
	size_t			 i;

	for (i = 0; i < sizeof(ref) / sizeof(ref[0]); i++)
		if (xmlSecDSigCtxEnableReferenceTransform(d, ref[i]) < 0)
			return (-1);
	for (i = 0; i < sizeof(sig) / sizeof(sig[0]); i++)
		if (xmlSecDSigCtxEnableSignatureTransform(d, sig[i]) < 0)
			return (-1);
	return (0);
}

int
xadescheck_init(void)
{
	xmlInitParser();
	if (xmlSecInit() < 0 || xmlSecCheckVersion() != 1 ||
	    xmlSecCryptoAppInit(NULL) < 0 || xmlSecCryptoInit() < 0)
		return (-1);
	xmlSecErrorsSetCallback(xades_silent);
	return (0);
}

void
xadescheck_cleanup(void)
{
	xmlSecCryptoShutdown();
	xmlSecCryptoAppShutdown();
	xmlSecShutdown();
	xmlCleanupParser();
}

static xmlNodePtr
xp_node(xmlXPathContextPtr xp, const char *expr)
{
	xmlXPathObjectPtr	 o;
	xmlNodePtr		 n = NULL;

	o = xmlXPathEvalExpression((const xmlChar *)expr, xp);
	if (o != NULL && o->nodesetval != NULL &&
	    o->nodesetval->nodeNr == 1)
		n = o->nodesetval->nodeTab[0];
	xmlXPathFreeObject(o);
	return (n);
}

static int
xp_count(xmlXPathContextPtr xp, const char *expr)
{
	xmlXPathObjectPtr	 o;
	int			 n = 0;

	o = xmlXPathEvalExpression((const xmlChar *)expr, xp);
	if (o != NULL && o->nodesetval != NULL)
		n = o->nodesetval->nodeNr;
	xmlXPathFreeObject(o);
	return (n);
}

/* The text of exactly one matching node, or NULL. */
static char *
xp_text(xmlXPathContextPtr xp, const char *expr)
{
	xmlNodePtr	 n;
	xmlChar		*c;
	char		*s;

	if ((n = xp_node(xp, expr)) == NULL)
		return (NULL);
	if ((c = xmlNodeGetContent(n)) == NULL)
		return (NULL);
	s = xstrdup((char *)c);
	xmlFree(c);
	return (s);
}

/*
 * The one target of a same-document reference: the SignedProperties'
 * Id, registered alone (sigform.c made sure no other attribute, xml:id
 * included, claims that value and the document has no DTD).
 */
static int
xades_spid(xmlDocPtr doc, xmlNodePtr sp, const char *want)
{
	xmlAttrPtr	 a;

	if ((a = xmlHasNsProp(sp, (const xmlChar *)"Id", NULL)) == NULL)
		return (-1);
	if (xmlGetID(doc, (const xmlChar *)want) != NULL)
		return (-1);
	return (xmlAddID(NULL, doc, (const xmlChar *)want, a) == NULL ?
	    -1 : 0);
}

/*
 * After xmlsec: the reference to the SignedProperties resolves to sp,
 * and the digest signed for it is that of sp's canonical form, so that
 * what is read below is what was signed.
 */
static int
xades_spcheck(struct vlot *lot, xmlXPathContextPtr xp, xmlNodePtr sp)
{
	xmlAttrPtr	 a;
	char		*dv, want[80];
	uint8_t		 md[V_SHA256_LEN], got[V_SHA256_LEN + 3];
	size_t		 glen;
	int		 rc = -1;

	snprintf(want, sizeof(want), "xades-%s", lot->id);
	a = xmlGetID(sp->doc, (const xmlChar *)want);
	dv = xp_text(xp, "ds:SignedInfo/ds:Reference[2]/ds:DigestValue");
	if (a == NULL || a->parent != sp || dv == NULL ||
	    xades_c14n_subtree(sp, md) == -1 ||
	    util_b64_decode(dv, got, sizeof(got), &glen) == -1 ||
	    glen != V_SHA256_LEN || memcmp(md, got, V_SHA256_LEN) != 0)
		report_fail("%s %llu: the signed reference #%s does not resolve "
		    "to the SignedProperties that are read",
		    VLOT_KIND(lot), (unsigned long long)lot->numero, want);
	else
		rc = 0;
	free(dv);
	return (rc);
}

/*
 * The exclusive canonical form of one element's subtree, made on a copy
 * of it in a document of its own (the namespaces it uses declared on
 * the copy), so that the rest of the lot is not walked.
 */
static int
xades_c14n_subtree(xmlNodePtr node, uint8_t md[32])
{
	xmlDocPtr		 tmp;
	xmlNodePtr		 cp;
	xmlOutputBufferPtr	 out;
	int			 rc = -1;

	if ((tmp = xmlNewDoc((const xmlChar *)"1.0")) == NULL)
		return (-1);
	if ((cp = xmlDocCopyNode(node, tmp, 1)) == NULL) {
		xmlFreeDoc(tmp);
		return (-1);
	}
	xmlDocSetRootElement(tmp, cp);
	if ((out = xmlAllocOutputBuffer(NULL)) != NULL &&
	    xmlC14NExecute(tmp, NULL, NULL, XML_C14N_EXCLUSIVE_1_0, NULL, 0,
	    out) >= 0) {
		util_sha256(xmlOutputBufferGetContent(out),
		    xmlOutputBufferGetSize(out), md);
		rc = 0;
	}
	if (out != NULL)
		xmlOutputBufferClose(out);
	xmlFreeDoc(tmp);
	return (rc);
}

/* The xmlsec verification proper, with the key given, not looked up. */
static int
xades_dsig(struct vlot *lot, xmlNodePtr sig, X509 *cert)
{
	xmlSecDSigCtxPtr	 dctx;
	xmlSecDSigReferenceCtxPtr ref;
	xmlSecKeyDataPtr	 data;
	xmlSecKeyPtr		 key;
	EVP_PKEY		*pk;
	xmlSecSize		 i, n;
	int			 ok = 0, whole = 0, props = 0, other = 0;
	unsigned long long	 num = lot->numero;

	if ((pk = X509_get_pubkey(cert)) == NULL) {
		report_fail("%s %llu: the seal certificate has no usable key", VLOT_KIND(lot), num);
		return (-1);
	}
	if ((data = xmlSecOpenSSLEvpKeyAdopt(pk)) == NULL) {
		EVP_PKEY_free(pk);
		report_error("%s %llu: xmlsec cannot use the seal key", VLOT_KIND(lot), num);
		return (-1);
	}
	if ((key = xmlSecKeyCreate()) == NULL ||
	    xmlSecKeySetValue(key, data) < 0) {
		xmlSecKeyDataDestroy(data);
		if (key != NULL)
			xmlSecKeyDestroy(key);
		report_error("%s %llu: xmlsec key set-up failed", VLOT_KIND(lot), num);
		return (-1);
	}
	if ((dctx = xmlSecDSigCtxCreate(NULL)) == NULL) {
		xmlSecKeyDestroy(key);
		report_error("%s %llu: xmlsec context failed", VLOT_KIND(lot), num);
		return (-1);
	}
	dctx->signKey = key;
	/* no remote or file references: only this document */
	dctx->enabledReferenceUris = xmlSecTransformUriTypeEmpty |
	    xmlSecTransformUriTypeSameDocument;
	if (xades_transforms(dctx) == -1) {
		xmlSecDSigCtxDestroy(dctx);
		report_error("%s %llu: xmlsec transform set-up failed", VLOT_KIND(lot), num);
		return (-1);
	}
	if (xmlSecDSigCtxVerify(dctx, sig) < 0) {
		report_fail("%s %llu: the XAdES signature cannot be processed "
		    "(malformed or unsupported)", VLOT_KIND(lot), num);
		xmlSecDSigCtxDestroy(dctx);
		return (-1);
	}
	n = xmlSecPtrListGetSize(&dctx->signedInfoReferences);
	for (i = 0; i < n; i++) {
		ref = xmlSecPtrListGetItem(&dctx->signedInfoReferences, i);
		if (ref == NULL)
			continue;
		if (ref->uri != NULL && *ref->uri == '\0')
			whole++;
		else if (ref->type != NULL &&
		    strcmp((char *)ref->type, TYPE_SIGNEDPROPS) == 0)
			props++;
		else
			other++;
		if (ref->status != xmlSecDSigStatusSucceeded)
			report_fail("%s %llu: signed reference %s does not match: "
			    "%s changed after sealing", VLOT_KIND(lot), num,
			    ref->uri && *ref->uri ? (char *)ref->uri : "\"\"",
			    ref->uri && *ref->uri ? "the signed properties" :
			    lot->kind != NULL ? "the checkpoint" : "the lot");
	}
	if (dctx->status == xmlSecDSigStatusSucceeded)
		ok = 1;
	else if (n > 0)
		report_fail("%s %llu: the XAdES signature does not verify with "
		    "the key of its certificate", VLOT_KIND(lot), num);
	if (whole != 1 || props != 1 || other != 0) {
		report_fail("%s %llu: the signature must reference the whole lot "
		    "and the SignedProperties once each (found %d, %d, "
		    "and %d other)", VLOT_KIND(lot), num, whole, props, other);
		ok = 0;
	}
	xmlSecDSigCtxDestroy(dctx);	/* frees the key too */
	return (ok ? 0 : -1);
}

static int
xades_certdigest(struct vlot *lot, xmlXPathContextPtr xp, X509 *cert)
{
	const EVP_MD	*md;
	char		*alg, *val;
	uint8_t		 want[EVP_MAX_MD_SIZE], got[EVP_MAX_MD_SIZE + 3];
	unsigned int	 wlen;
	size_t		 glen;
	int		 rc = -1;

	alg = xp_text(xp, "xades:SignedSignatureProperties/"
	    "xades:SigningCertificateV2/xades:Cert/xades:CertDigest/"
	    "ds:DigestMethod/@Algorithm");
	val = xp_text(xp, "xades:SignedSignatureProperties/"
	    "xades:SigningCertificateV2/xades:Cert/xades:CertDigest/"
	    "ds:DigestValue");
	if (alg == NULL || val == NULL) {
		report_fail("%s %llu: SigningCertificateV2 with one CertDigest is "
		    "missing", VLOT_KIND(lot), (unsigned long long)lot->numero);
		goto done;
	}
	if (strcmp(alg, "http://www.w3.org/2001/04/xmlenc#sha256") == 0)
		md = EVP_sha256();
	else {
		report_fail("%s %llu: SigningCertificateV2 digest algorithm %s is "
		    "not accepted", VLOT_KIND(lot), (unsigned long long)lot->numero, alg);
		goto done;
	}
	if (!X509_digest(cert, md, want, &wlen) ||
	    util_b64_decode(val, got, sizeof(got), &glen) == -1 ||
	    glen != wlen || memcmp(want, got, wlen) != 0) {
		report_fail("%s %llu: SigningCertificateV2 does not match the "
		    "signing certificate", VLOT_KIND(lot), (unsigned long long)lot->numero);
		goto done;
	}
	rc = 0;
done:
	free(alg);
	free(val);
	return (rc);
}

void
xadescheck_verify(struct vctx *ctx, struct bundle *b, struct vlot *lot,
    xmlDocPtr doc, xmlNodePtr sig)
{
	xmlXPathContextPtr	 xp;
	xmlNodePtr		 sv, sp;
	X509			*cert = NULL, *kicert = NULL;
	char			*text = NULL, err[256], name[256], spid[80];
	uint8_t			*der = NULL, *svbytes = NULL, imprint[32];
	const unsigned char	*p;
	size_t			 len, i;
	int64_t			 last_recu = 0;
	unsigned long long	 num = lot->numero;
	int			 bad = 0;

	if ((xp = xmlXPathNewContext(doc)) == NULL) {
		report_error("%s %llu: out of memory", VLOT_KIND(lot), num);
		return;
	}
	xmlXPathRegisterNs(xp, (const xmlChar *)"ds", (const xmlChar *)NS_DS);
	xmlXPathRegisterNs(xp, (const xmlChar *)"xades",
	    (const xmlChar *)NS_XADES);
	xp->node = sig;
	for (i = 0; i < lot->nentries; i++)
		if (lot->entries[i].recu_ms > last_recu)
			last_recu = lot->entries[i].recu_ms;

	/* SignatureValue: the next lot's Precedent is its digest */
	if ((sv = xp_node(xp, "ds:SignatureValue")) == NULL ||
	    (text = xp_text(xp, "ds:SignatureValue")) == NULL ||
	    util_b64_decode_alloc(text, &svbytes, &len) == -1 || len == 0) {
		report_fail("%s %llu: ds:SignatureValue missing or not base64",
		    VLOT_KIND(lot), num);
		goto done;
	}
	util_sha256(svbytes, len, lot->sigvalue_sha);
	lot->has_sigvalue = 1;
	free(text);
	text = NULL;

	/* nothing of it is read before its form is that of the vault */
	if (sigform_check(xmlDocGetRootElement(doc), sig, lot->id, &sp, err,
	    sizeof(err)) == -1) {
		report_fail("%s %llu: the seal is not of the form the vault "
		    "writes: %s", VLOT_KIND(lot), num, err);
		bad = 1;
		goto done;
	}

	/*
	 * The certificate: the one in KeyInfo, which must be one of
	 * certs/seal.pem (a bundle sealed by two sites carries both), and
	 * is then checked as the only one would be.
	 */
	if (b->seal_certs == NULL) {
		report_fail("%s %llu: no seal certificate to check it with", VLOT_KIND(lot), num);
		goto done;
	}
	if ((text = xp_text(xp, "ds:KeyInfo/ds:X509Data/"
	    "ds:X509Certificate[1]")) == NULL ||
	    util_b64_decode_alloc(text, &der, &len) == -1 ||
	    (p = der, kicert = d2i_X509(NULL, &p, (long)len)) == NULL) {
		report_fail("%s %llu: the first X509Certificate of ds:KeyInfo is "
		    "not a certificate", VLOT_KIND(lot), num);
		bad = 1;
		goto done;
	}
	for (i = 0; i < (size_t)sk_X509_num(b->seal_certs) && cert == NULL;
	    i++)
		if (certs_equal(sk_X509_value(b->seal_certs, i), kicert))
			cert = sk_X509_value(b->seal_certs, i);
	if (cert == NULL) {
		report_fail("%s %llu: the certificate in ds:KeyInfo (%s) is not "
		    "in certs/seal.pem", VLOT_KIND(lot), num,
		    certs_name(kicert, name, sizeof(name)));
		bad = 1;
		goto done;
	}
	if (X509_digest(cert, EVP_sha256(), lot->seal_fp, NULL))
		lot->has_seal_fp = 1;
	free(text);
	text = NULL;

	/* the signed properties: read from sp only */
	xp->node = sp;
	if ((text = xp_text(xp, "xades:SignedSignatureProperties/"
	    "xades:SigningTime")) == NULL ||
	    util_parse_iso8601_ms(text, &lot->signing_ms) == -1) {
		report_fail("%s %llu: SigningTime missing or not a UTC time", VLOT_KIND(lot), num);
		bad = 1;
		lot->signing_ms = 0;
	} else if (lot->signing_ms + V_SKEW_MS < last_recu) {
		report_fail("%s %llu: SigningTime %s is before its last event was "
		    "received", VLOT_KIND(lot), num, text);
		bad = 1;
	}
	free(text);
	text = NULL;
	if (xades_certdigest(lot, xp, cert) == -1)
		bad = 1;
	xp->node = sig;

	if (lot->signing_ms != 0) {
		if (certs_verify(ctx, cert, b->seal_certs,
		    (time_t)(lot->signing_ms / 1000), err, sizeof(err)) == -1) {
			report_fail("%s %llu: the seal certificate %s does not "
			    "chain to the trust anchors at SigningTime: %s",
			    VLOT_KIND(lot), num, certs_name(cert, name, sizeof(name)), err);
			bad = 1;
		}
		if (certs_seal_usage(cert, err, sizeof(err)) == -1) {
			report_fail("%s %llu: the seal certificate may not seal: "
			    "%s", VLOT_KIND(lot), num, err);
			bad = 1;
		}
		/* The time-stamp proves when the seal was made, if any. */
		if (revoke_check(ctx, cert, b->seal_certs, (time_t)((lot->gentime_ms
		    != 0 ? lot->gentime_ms : lot->signing_ms) / 1000), err,
		    sizeof(err)) == -1) {
			report_fail("lot %llu: the seal certificate %s is refused: "
			    "%s", num, certs_name(cert, name, sizeof(name)), err);
			bad = 1;
		}
	}

	snprintf(spid, sizeof(spid), "xades-%s", lot->id);
	if (xades_spid(doc, sp, spid) == -1) {
		report_fail("%s %llu: the SignedProperties' Id cannot be "
		    "registered alone", VLOT_KIND(lot), num);
		bad = 1;
	} else if (xades_dsig(lot, sig, cert) == -1 ||
	    xades_spcheck(lot, xp, sp) == -1)
		bad = 1;
	else
		lot->sig_ok = 1;

	/* XAdES-T: the time-stamp over the SignatureValue */
	if (xp_count(xp, "ds:Object/xades:QualifyingProperties/"
	    "xades:UnsignedProperties/xades:UnsignedSignatureProperties/"
	    "xades:SignatureTimeStamp") != 1) {
		report_fail("%s %llu: there must be exactly one "
		    "SignatureTimeStamp (XAdES-T)", VLOT_KIND(lot), num);
		bad = 1;
		goto done;
	}
	text = xp_text(xp, "ds:Object/xades:QualifyingProperties/"
	    "xades:UnsignedProperties/xades:UnsignedSignatureProperties/"
	    "xades:SignatureTimeStamp/ds:CanonicalizationMethod/@Algorithm");
	if (text != NULL && strcmp(text, ALG_EXC_C14N) != 0) {
		report_fail("%s %llu: SignatureTimeStamp canonicalization %s is "
		    "not exclusive XML canonicalization", VLOT_KIND(lot), num, text);
		bad = 1;
		goto done;
	}
	free(text);
	free(der);
	der = NULL;
	if ((text = xp_text(xp, "ds:Object/xades:QualifyingProperties/"
	    "xades:UnsignedProperties/xades:UnsignedSignatureProperties/"
	    "xades:SignatureTimeStamp/xades:EncapsulatedTimeStamp")) ==
	    NULL || util_b64_decode_alloc(text, &der, &len) == -1) {
		report_fail("%s %llu: EncapsulatedTimeStamp missing or not base64",
		    VLOT_KIND(lot), num);
		bad = 1;
		goto done;
	}
	if (xades_c14n_subtree(sv, imprint) == -1) {
		report_error("%s %llu: cannot canonicalize ds:SignatureValue", VLOT_KIND(lot), num);
		goto done;
	}
	if (tsacheck_verify(ctx, b, lot, der, len, imprint) == 0)
		lot->tst_ok = 1;
	else
		bad = 1;
done:
	if (!bad && lot->sig_ok && lot->tst_ok) {
		char	 st[40], gt[40];

		util_fmt_time_ms(lot->signing_ms, st, sizeof(st));
		util_fmt_time_ms(lot->gentime_ms, gt, sizeof(gt));
		report_ok("%s %llu: XAdES-T seal verifies (signed %s, time-stamped "
		    "%s)", VLOT_KIND(lot), num, st, gt);
	}
	X509_free(kicert);
	free(text);
	free(der);
	free(svbytes);
	xmlXPathFreeContext(xp);
}
