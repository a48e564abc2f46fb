/*
 * The lot seal: an enveloped XAdES-T signature.  ds:SignedInfo has two
 * references, the document (URI "", enveloped-signature then exclusive
 * c14n) and the xades:SignedProperties (SigningTime, SigningCertificateV2,
 * DataObjectFormat).  The SignatureTimeStamp in the unsigned properties
 * is an RFC 3161 token over the SHA-256 of the exclusive canonical form
 * (without comments) of the ds:SignatureValue element.
 *
 * xmlsec's key manager cannot sign with a key held in a token, so the
 * canonical forms are made by c14n.c and only the SignedInfo bytes are
 * handed to the token-backed EVP_PKEY.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/asn1.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/sha.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "b64.h"
#include "c14n.h"
#include "xades.h"

#define DS_ENVELOPED	"http://www.w3.org/2000/09/xmldsig#enveloped-signature"
#define DS_RSA_SHA256	"http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"
#define DS_SHA256	"http://www.w3.org/2001/04/xmlenc#sha256"
#define XADES_SP_TYPE	"http://uri.etsi.org/01903#SignedProperties"

struct xades_ctx {
	xmlDocPtr	 doc;
	xmlNsPtr	 ds;
	xmlNsPtr	 xa;
	int		 oom;
};

static xmlNodePtr xades_add(struct xades_ctx *, xmlNodePtr, xmlNsPtr,
		    const char *, const char *);
static void	 xades_prop(struct xades_ctx *, xmlNodePtr, const char *,
		    const char *);
static xmlNodePtr xades_reference(struct xades_ctx *, xmlNodePtr,
		    const char *, const char *, const char *, int);
static int	 xades_set_b64(xmlNodePtr, const void *, size_t);
static unsigned char *xades_issuer_serial(X509 *, int *);
static int	 xades_x509(struct xades_ctx *, xmlNodePtr, X509 *);

static xmlNodePtr
xades_add(struct xades_ctx *c, xmlNodePtr parent, xmlNsPtr ns,
    const char *name, const char *content)
{
	xmlNodePtr	 n;

	if (c->oom)
		return NULL;
	n = xmlNewChild(parent, ns, (const xmlChar *)name,
	    (const xmlChar *)content);
	if (n == NULL)
		c->oom = 1;
	return n;
}

static void
xades_prop(struct xades_ctx *c, xmlNodePtr n, const char *name,
    const char *v)
{
	if (n == NULL || c->oom)
		return;
	if (xmlNewProp(n, (const xmlChar *)name, (const xmlChar *)v) == NULL)
		c->oom = 1;
}

/* A ds:Reference with its transforms; the DigestValue is filled later. */
static xmlNodePtr
xades_reference(struct xades_ctx *c, xmlNodePtr si, const char *id,
    const char *uri, const char *type, int enveloped)
{
	xmlNodePtr	 r, t;

	r = xades_add(c, si, c->ds, "Reference", NULL);
	if (id != NULL)
		xades_prop(c, r, "Id", id);
	if (type != NULL)
		xades_prop(c, r, "Type", type);
	xades_prop(c, r, "URI", uri);
	t = xades_add(c, r, c->ds, "Transforms", NULL);
	if (enveloped)
		xades_prop(c, xades_add(c, t, c->ds, "Transform", NULL),
		    "Algorithm", DS_ENVELOPED);
	xades_prop(c, xades_add(c, t, c->ds, "Transform", NULL),
	    "Algorithm", XADES_EXC_C14N);
	xades_prop(c, xades_add(c, r, c->ds, "DigestMethod", NULL),
	    "Algorithm", DS_SHA256);
	return xades_add(c, r, c->ds, "DigestValue", NULL);
}

static int
xades_set_b64(xmlNodePtr n, const void *p, size_t len)
{
	char	*s;

	if (n == NULL || (s = b64_encode(p, len)) == NULL)
		return -1;
	xmlNodeSetContent(n, (xmlChar *)s);
	free(s);
	return 0;
}

/*
 * DER of IssuerSerial (RFC 5035): SEQUENCE { GeneralNames with the
 * issuer as directoryName, serialNumber }, for xades:IssuerSerialV2.
 */
static unsigned char *
xades_issuer_serial(X509 *x, int *len)
{
	GENERAL_NAMES	*gns = NULL;
	GENERAL_NAME	*gn = NULL;
	X509_NAME	*name = NULL;
	unsigned char	*g = NULL, *s = NULL, *out = NULL, *p;
	int		 gl, sl, total;

	if ((gns = GENERAL_NAMES_new()) == NULL ||
	    (gn = GENERAL_NAME_new()) == NULL ||
	    (name = X509_NAME_dup(X509_get_issuer_name(x))) == NULL)
		goto done;
	GENERAL_NAME_set0_value(gn, GEN_DIRNAME, name);
	name = NULL;
	if (!sk_GENERAL_NAME_push(gns, gn))
		goto done;
	gn = NULL;
	if ((gl = i2d_GENERAL_NAMES(gns, &g)) <= 0 ||
	    (sl = i2d_ASN1_INTEGER(X509_get0_serialNumber(x), &s)) <= 0)
		goto done;
	total = ASN1_object_size(1, gl + sl, V_ASN1_SEQUENCE);
	if (total <= 0 || (out = malloc(total)) == NULL)
		goto done;
	p = out;
	ASN1_put_object(&p, 1, gl + sl, V_ASN1_SEQUENCE, V_ASN1_UNIVERSAL);
	memcpy(p, g, gl);
	memcpy(p + gl, s, sl);
	*len = total;
 done:
	OPENSSL_free(g);
	OPENSSL_free(s);
	X509_NAME_free(name);
	GENERAL_NAME_free(gn);
	GENERAL_NAMES_free(gns);
	return out;
}

static int
xades_x509(struct xades_ctx *c, xmlNodePtr x509data, X509 *x)
{
	unsigned char	*der = NULL;
	int		 len, rc;

	if ((len = i2d_X509(x, &der)) <= 0)
		return -1;
	rc = xades_set_b64(xades_add(c, x509data, c->ds, "X509Certificate",
	    NULL), der, len);
	OPENSSL_free(der);
	return rc;
}

/*
 * The signature over a document whose enveloped-Reference digest is
 * known, made as the root of a document of its own: canonicalising its
 * parts then walks a few dozen nodes, not the lot.  The exclusive
 * canonical form of an element depends only on its subtree and the
 * namespaces it uses, so that it is the same here as in the lot.
 */
static xmlDocPtr
xades_make(const unsigned char docdigest[32], const char *id,
    const struct xades_signer *sg, time_t signing_time,
    unsigned char sigvalue_sha256[32], char *err, size_t errlen)
{
	struct xades_ctx c = { NULL, NULL, NULL, 0 };
	xmlDocPtr	 doc;
	xmlNodePtr	 sig, si, dv_doc, dv_sp, sv, ki, xd, qp, sp, ssp;
	xmlNodePtr	 cert, cd, usp, st, ets, n;
	EVP_MD_CTX	*md = NULL;
	unsigned char	 digest[32], *der = NULL, *sib = NULL, *sigb = NULL;
	unsigned char	*svb = NULL, *tok = NULL;
	char		 sig_id[96], sp_id[96], ref_id[96], sv_id[96], ts_id[96];
	char		 when[32], uri[100], *s;
	unsigned int	 dl;
	size_t		 sil, siglen, svl, tokl;
	struct tm	 tm;
	int		 i, len;

	err[0] = '\0';
	snprintf(sig_id, sizeof(sig_id), "sig-%s", id);
	snprintf(sp_id, sizeof(sp_id), "xades-%s", id);
	snprintf(ref_id, sizeof(ref_id), "ref-%s", id);
	snprintf(sv_id, sizeof(sv_id), "value-%s", id);
	snprintf(ts_id, sizeof(ts_id), "ts-%s", id);
	if (gmtime_r(&signing_time, &tm) == NULL ||
	    strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm) == 0) {
		snprintf(err, errlen, "bad signing time");
		return NULL;
	}
	if ((doc = c.doc = xmlNewDoc((const xmlChar *)"1.0")) == NULL) {
		snprintf(err, errlen, "out of memory while signing");
		return NULL;
	}

	/* The skeleton, in document order. */
	if ((sig = xmlNewDocNode(doc, NULL, (const xmlChar *)"Signature",
	    NULL)) == NULL)
		goto oom;
	xmlDocSetRootElement(doc, sig);
	if ((c.ds = xmlNewNs(sig, (const xmlChar *)XADES_NS_DS,
	    (const xmlChar *)"ds")) == NULL)
		goto oom;
	xmlSetNs(sig, c.ds);
	xades_prop(&c, sig, "Id", sig_id);

	si = xades_add(&c, sig, c.ds, "SignedInfo", NULL);
	xades_prop(&c, xades_add(&c, si, c.ds, "CanonicalizationMethod", NULL),
	    "Algorithm", XADES_EXC_C14N);
	xades_prop(&c, xades_add(&c, si, c.ds, "SignatureMethod", NULL),
	    "Algorithm", DS_RSA_SHA256);
	dv_doc = xades_reference(&c, si, ref_id, "", NULL, 1);
	snprintf(uri, sizeof(uri), "#%s", sp_id);
	dv_sp = xades_reference(&c, si, NULL, uri, XADES_SP_TYPE, 0);
	sv = xades_add(&c, sig, c.ds, "SignatureValue", NULL);
	xades_prop(&c, sv, "Id", sv_id);

	ki = xades_add(&c, sig, c.ds, "KeyInfo", NULL);
	xd = xades_add(&c, ki, c.ds, "X509Data", NULL);
	if (c.oom || xades_x509(&c, xd, sg->cert) == -1)
		goto oom;
	for (i = 0; sg->chain != NULL && i < sk_X509_num(sg->chain); i++)
		if (xades_x509(&c, xd, sk_X509_value(sg->chain, i)) == -1)
			goto oom;

	n = xades_add(&c, sig, c.ds, "Object", NULL);
	if ((qp = xades_add(&c, n, NULL, "QualifyingProperties", NULL)) ==
	    NULL || (c.xa = xmlNewNs(qp, (const xmlChar *)XADES_NS,
	    (const xmlChar *)"xades")) == NULL)
		goto oom;
	xmlSetNs(qp, c.xa);
	snprintf(uri, sizeof(uri), "#%s", sig_id);
	xades_prop(&c, qp, "Target", uri);
	sp = xades_add(&c, qp, c.xa, "SignedProperties", NULL);
	xades_prop(&c, sp, "Id", sp_id);
	ssp = xades_add(&c, sp, c.xa, "SignedSignatureProperties", NULL);
	xades_add(&c, ssp, c.xa, "SigningTime", when);
	n = xades_add(&c, ssp, c.xa, "SigningCertificateV2", NULL);
	cert = xades_add(&c, n, c.xa, "Cert", NULL);
	cd = xades_add(&c, cert, c.xa, "CertDigest", NULL);
	xades_prop(&c, xades_add(&c, cd, c.ds, "DigestMethod", NULL),
	    "Algorithm", DS_SHA256);
	if (c.oom || !X509_digest(sg->cert, EVP_sha256(), digest, &dl) ||
	    xades_set_b64(xades_add(&c, cd, c.ds, "DigestValue", NULL),
	    digest, dl) == -1)
		goto oom;
	if ((der = xades_issuer_serial(sg->cert, &len)) == NULL ||
	    xades_set_b64(xades_add(&c, cert, c.xa, "IssuerSerialV2", NULL),
	    der, len) == -1)
		goto oom;
	n = xades_add(&c, sp, c.xa, "SignedDataObjectProperties", NULL);
	n = xades_add(&c, n, c.xa, "DataObjectFormat", NULL);
	snprintf(uri, sizeof(uri), "#%s", ref_id);
	xades_prop(&c, n, "ObjectReference", uri);
	xades_add(&c, n, c.xa, "MimeType", "text/xml");
	usp = xades_add(&c, qp, c.xa, "UnsignedProperties", NULL);
	usp = xades_add(&c, usp, c.xa, "UnsignedSignatureProperties", NULL);
	st = xades_add(&c, usp, c.xa, "SignatureTimeStamp", NULL);
	xades_prop(&c, st, "Id", ts_id);
	xades_prop(&c, xades_add(&c, st, c.ds, "CanonicalizationMethod",
	    NULL), "Algorithm", XADES_EXC_C14N);
	ets = xades_add(&c, st, c.xa, "EncapsulatedTimeStamp", NULL);
	if (c.oom)
		goto oom;

	/* The two references. */
	if (xades_set_b64(dv_doc, docdigest, 32) == -1 ||
	    c14n_exc_sha256(doc, sp, NULL, digest) == -1 ||
	    xades_set_b64(dv_sp, digest, sizeof(digest)) == -1) {
		snprintf(err, errlen, "cannot canonicalise the document");
		goto fail;
	}

	/* SignedInfo, signed in the HSM. */
	if ((sib = c14n_exc(doc, si, NULL, &sil)) == NULL) {
		snprintf(err, errlen, "cannot canonicalise SignedInfo");
		goto fail;
	}
	if ((md = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, sg->key) != 1 ||
	    EVP_DigestSign(md, NULL, &siglen, sib, sil) != 1 ||
	    (sigb = malloc(siglen)) == NULL ||
	    EVP_DigestSign(md, sigb, &siglen, sib, sil) != 1) {
		unsigned long	 e = ERR_peek_last_error();

		snprintf(err, errlen, "the HSM did not sign: %s",
		    e != 0 ? ERR_reason_error_string(e) : "no detail");
		ERR_clear_error();
		goto fail;
	}
	if (xades_set_b64(sv, sigb, siglen) == -1)
		goto oom;
	SHA256(sigb, siglen, sigvalue_sha256);

	/* The time-stamp over the canonical ds:SignatureValue. */
	if ((svb = c14n_exc(doc, sv, NULL, &svl)) == NULL) {
		snprintf(err, errlen, "cannot canonicalise SignatureValue");
		goto fail;
	}
	SHA256(svb, svl, digest);
	if (sg->stamp(sg->stamp_arg, digest, &tok, &tokl, err, errlen) == -1)
		goto fail;
	if ((s = b64_encode(tok, tokl)) == NULL)
		goto oom;
	xmlNodeSetContent(ets, (xmlChar *)s);
	free(s);
	goto done;
 oom:
	snprintf(err, errlen, "out of memory while signing");
 fail:
	xmlFreeDoc(doc);
	doc = NULL;
 done:
	EVP_MD_CTX_free(md);
	free(der);
	free(sib);
	free(sigb);
	free(svb);
	free(tok);
	return doc;
}

int
xades_sign(xmlDocPtr doc, const char *id, const struct xades_signer *sg,
    time_t signing_time, unsigned char sigvalue_sha256[32], char *err,
    size_t errlen)
{
	xmlDocPtr	 sdoc;
	xmlNodePtr	 root, sig;
	unsigned char	 digest[32];

	if ((root = xmlDocGetRootElement(doc)) == NULL) {
		snprintf(err, errlen, "nothing to sign");
		return -1;
	}
	/* Before the signature is there: what the enveloped transform sees. */
	if (c14n_exc_sha256(doc, NULL, NULL, digest) == -1) {
		snprintf(err, errlen, "cannot canonicalise the document");
		return -1;
	}
	if ((sdoc = xades_make(digest, id, sg, signing_time, sigvalue_sha256,
	    err, errlen)) == NULL)
		return -1;
	sig = xmlDocCopyNode(xmlDocGetRootElement(sdoc), doc, 1);
	xmlFreeDoc(sdoc);
	if (sig == NULL || xmlAddChild(root, sig) == NULL) {
		xmlFreeNode(sig);
		snprintf(err, errlen, "out of memory while signing");
		return -1;
	}
	return 0;
}

int
xades_sign_digest(const unsigned char digest[32], const char *id,
    const struct xades_signer *sg, time_t signing_time,
    unsigned char sigvalue_sha256[32], unsigned char **xml, size_t *len,
    char *err, size_t errlen)
{
	xmlDocPtr	 sdoc;
	xmlBufferPtr	 b = NULL;
	int		 n, rc = -1;

	*xml = NULL;
	if ((sdoc = xades_make(digest, id, sg, signing_time, sigvalue_sha256,
	    err, errlen)) == NULL)
		return -1;
	if ((b = xmlBufferCreate()) == NULL ||
	    (n = xmlNodeDump(b, sdoc, xmlDocGetRootElement(sdoc), 0, 0)) <= 0 ||
	    (*xml = malloc(n)) == NULL) {
		snprintf(err, errlen, "cannot serialise the signature");
		goto done;
	}
	memcpy(*xml, xmlBufferContent(b), n);
	*len = n;
	rc = 0;
 done:
	xmlBufferFree(b);
	xmlFreeDoc(sdoc);
	return rc;
}
