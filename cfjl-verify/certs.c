/*
 * Certificates: the trust anchors given with -t, the chains carried by
 * a bundle (certs/seal.pem, certs/tsa.pem), path validation at the time
 * a signature was made, the digests those signatures may use, and the
 * key usages each role needs.  A seal certificate (lots and journal) has
 * the critical extended key usage documentSigning (RFC 9336) alone, a
 * time-stamping one timeStamping alone: neither can pass for the other,
 * and no TLS certificate of the same authority passes for either.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "verify.h"

#define OID_DOCSIGN	"1.3.6.1.5.5.7.3.36"	/* id-kp-documentSigning */

static int	 certs_eku_alone(X509 *, const ASN1_OBJECT *, const char *,
		    char *, size_t);
static int	 certs_chain_digests(STACK_OF(X509) *, char *, size_t);

int
certs_trust_load(struct vctx *ctx)
{
	FILE	*fp;
	X509	*x;
	int	 n = 0;

	if ((fp = fopen(ctx->trust_path, "r")) == NULL) {
		report_error("trust file %s: %s", ctx->trust_path, strerror(errno));
		return (-1);
	}
	if ((ctx->trust = X509_STORE_new()) == NULL ||
	    (ctx->trust_certs = sk_X509_new_null()) == NULL) {
		fclose(fp);
		report_error("out of memory");
		return (-1);
	}
	while ((x = PEM_read_X509(fp, NULL, NULL, NULL)) != NULL) {
		if (!X509_STORE_add_cert(ctx->trust, x) ||
		    !sk_X509_push(ctx->trust_certs, x)) {
			X509_free(x);
			fclose(fp);
			report_error("trust file %s: cannot add a certificate",
			    ctx->trust_path);
			return (-1);
		}
		n++;
	}
	ERR_clear_error();
	fclose(fp);
	if (n == 0) {
		report_error("trust file %s: no PEM certificate in it",
		    ctx->trust_path);
		return (-1);
	}
	return (0);
}

/* Every PEM certificate of a buffer, in order; NULL if there is none. */
STACK_OF(X509) *
certs_parse_pem(const char *buf, size_t len)
{
	STACK_OF(X509)	*sk;
	BIO		*bio;
	X509		*x;

	if ((bio = BIO_new_mem_buf(buf, (int)len)) == NULL)
		return (NULL);
	if ((sk = sk_X509_new_null()) == NULL) {
		BIO_free(bio);
		return (NULL);
	}
	while ((x = PEM_read_bio_X509(bio, NULL, NULL, NULL)) != NULL)
		if (!sk_X509_push(sk, x)) {
			X509_free(x);
			break;
		}
	ERR_clear_error();
	BIO_free(bio);
	if (sk_X509_num(sk) == 0) {
		sk_X509_free(sk);
		return (NULL);
	}
	return (sk);
}

/*
 * Does leaf chain to a trust anchor, with chain as untrusted
 * intermediates, at time when?  A trust anchor need not be a root.
 */
int
certs_verify(struct vctx *ctx, X509 *leaf, STACK_OF(X509) *chain,
    time_t when, char *err, size_t errlen)
{
	X509_STORE_CTX	*sctx;
	X509_VERIFY_PARAM *param;
	int		 rc;

	if ((sctx = X509_STORE_CTX_new()) == NULL ||
	    !X509_STORE_CTX_init(sctx, ctx->trust, leaf, chain)) {
		X509_STORE_CTX_free(sctx);
		snprintf(err, errlen, "out of memory");
		return (-1);
	}
	param = X509_STORE_CTX_get0_param(sctx);
	X509_VERIFY_PARAM_set_time(param, when);	/* USE_CHECK_TIME */
	X509_VERIFY_PARAM_set_flags(param, X509_V_FLAG_PARTIAL_CHAIN);
	rc = X509_verify_cert(sctx);
	if (rc != 1)
		snprintf(err, errlen, "%s", X509_verify_cert_error_string(
		    X509_STORE_CTX_get_error(sctx)));
	else if (certs_chain_digests(X509_STORE_CTX_get0_chain(sctx), err,
	    errlen) == -1)
		rc = 0;
	X509_STORE_CTX_free(sctx);
	ERR_clear_error();
	return (rc == 1 ? 0 : -1);
}

/*
 * A digest a signature may be made with: SHA-256 or stronger.  SHA-1,
 * MD5 and the like are refused wherever they appear.
 */
int
certs_digest_ok(int nid)
{
	switch (nid) {
	case NID_sha256:
	case NID_sha384:
	case NID_sha512:
	case NID_sha3_256:
	case NID_sha3_384:
	case NID_sha3_512:
		return (1);
	default:
		return (0);
	}
}

/*
 * Every certificate of a validated path but the anchor is signed with
 * an accepted digest (the anchor is trusted as given, its own
 * signature means nothing).
 */
static int
certs_chain_digests(STACK_OF(X509) *path, char *err, size_t errlen)
{
	X509	*x;
	char	 name[256];
	int	 i, mdnid;

	for (i = 0; i + 1 < sk_X509_num(path); i++) {
		x = sk_X509_value(path, i);
		if (!X509_get_signature_info(x, &mdnid, NULL, NULL, NULL) ||
		    !certs_digest_ok(mdnid)) {
			snprintf(err, errlen, "%s is signed with %s (only "
			    "SHA-256 or stronger is accepted)",
			    certs_name(x, name, sizeof(name)),
			    mdnid != NID_undef ? OBJ_nid2sn(mdnid) :
			    "an unknown digest");
			return (-1);
		}
	}
	return (0);
}

/*
 * The extended key usage is critical and holds want alone.
 */
static int
certs_eku_alone(X509 *x, const ASN1_OBJECT *want, const char *what,
    char *err, size_t errlen)
{
	EXTENDED_KEY_USAGE	*eku;
	X509_EXTENSION		*ext;
	int			 i, crit, ok;

	if ((i = X509_get_ext_by_NID(x, NID_ext_key_usage, -1)) < 0 ||
	    (ext = X509_get_ext(x, i)) == NULL) {
		snprintf(err, errlen, "it has no extended key usage (%s "
		    "required)", what);
		return (-1);
	}
	if (X509_get_ext_by_NID(x, NID_ext_key_usage, i) >= 0) {
		snprintf(err, errlen, "it has two extended key usage "
		    "extensions");
		return (-1);
	}
	if ((eku = X509_get_ext_d2i(x, NID_ext_key_usage, &crit, NULL)) ==
	    NULL) {
		snprintf(err, errlen, "its extended key usage is unreadable");
		return (-1);
	}
	ok = sk_ASN1_OBJECT_num(eku) == 1 &&
	    OBJ_cmp(sk_ASN1_OBJECT_value(eku, 0), want) == 0;
	sk_ASN1_OBJECT_pop_free(eku, ASN1_OBJECT_free);
	if (!ok) {
		snprintf(err, errlen, "its extended key usage is not %s "
		    "alone", what);
		return (-1);
	}
	if (!X509_EXTENSION_get_critical(ext)) {
		snprintf(err, errlen, "its extended key usage is not critical");
		return (-1);
	}
	return (0);
}

/*
 * A seal key (a lot seal, a journal file's signature): not a CA, key
 * usage digitalSignature or nonRepudiation, and the critical extended
 * key usage documentSigning alone.
 */
int
certs_seal_usage(X509 *x, char *err, size_t errlen)
{
	ASN1_OBJECT	*docsign;
	uint32_t	 ku;
	int		 rc;

	if (X509_check_ca(x) != 0) {
		snprintf(err, errlen, "it is a CA certificate");
		return (-1);
	}
	ku = X509_get_key_usage(x);
	if (ku == UINT32_MAX) {
		snprintf(err, errlen, "it has no key usage extension");
		return (-1);
	}
	if ((ku & (KU_DIGITAL_SIGNATURE | KU_NON_REPUDIATION)) == 0) {
		snprintf(err, errlen, "its key usage allows neither "
		    "digitalSignature nor nonRepudiation");
		return (-1);
	}
	if ((docsign = OBJ_txt2obj(OID_DOCSIGN, 1)) == NULL) {
		snprintf(err, errlen, "out of memory");
		return (-1);
	}
	rc = certs_eku_alone(x, docsign, "documentSigning (" OID_DOCSIGN
	    ")", err, errlen);
	ASN1_OBJECT_free(docsign);
	return (rc);
}

/* RFC 3161 2.3: a critical extended key usage of timeStamping alone. */
int
certs_tsa_usage(X509 *x, char *err, size_t errlen)
{
	uint32_t	 ku;

	if (X509_check_ca(x) != 0) {
		snprintf(err, errlen, "it is a CA certificate");
		return (-1);
	}
	if (certs_eku_alone(x, OBJ_nid2obj(NID_time_stamp), "timeStamping",
	    err, errlen) == -1)
		return (-1);
	ku = X509_get_key_usage(x);
	if (ku != UINT32_MAX &&
	    (ku & (KU_DIGITAL_SIGNATURE | KU_NON_REPUDIATION)) == 0) {
		snprintf(err, errlen, "its key usage does not allow signing");
		return (-1);
	}
	return (0);
}

int
certs_equal(X509 *a, X509 *b)
{
	return (a != NULL && b != NULL && X509_cmp(a, b) == 0);
}

char *
certs_name(X509 *x, char *buf, size_t len)
{
	X509_NAME_oneline(X509_get_subject_name(x), buf, (int)len);
	return (buf);
}
