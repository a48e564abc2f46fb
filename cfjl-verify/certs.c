/*
 * Certificates: the trust anchors given with -t, the chains carried by
 * a bundle (certs/seal.pem, certs/tsa.pem), path validation at the time
 * a signature was made, and the key usages each role needs.
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

int
certs_trust_load(struct vctx *ctx)
{
	FILE	*fp;
	X509	*x;
	int	 n = 0;

	if ((fp = fopen(ctx->trust_path, "r")) == NULL) {
		v_error("trust file %s: %s", ctx->trust_path, strerror(errno));
		return (-1);
	}
	if ((ctx->trust = X509_STORE_new()) == NULL ||
	    (ctx->trust_certs = sk_X509_new_null()) == NULL) {
		fclose(fp);
		v_error("out of memory");
		return (-1);
	}
	while ((x = PEM_read_X509(fp, NULL, NULL, NULL)) != NULL) {
		if (!X509_STORE_add_cert(ctx->trust, x) ||
		    !sk_X509_push(ctx->trust_certs, x)) {
			X509_free(x);
			fclose(fp);
			v_error("trust file %s: cannot add a certificate",
			    ctx->trust_path);
			return (-1);
		}
		n++;
	}
	ERR_clear_error();
	fclose(fp);
	if (n == 0) {
		v_error("trust file %s: no PEM certificate in it",
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
	X509_STORE_CTX_free(sctx);
	ERR_clear_error();
	return (rc == 1 ? 0 : -1);
}

/* A seal key signs: digitalSignature or nonRepudiation, not a CA. */
int
certs_seal_usage(X509 *x, char *err, size_t errlen)
{
	uint32_t	 ku;

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
	return (0);
}

/* RFC 3161 2.3: a critical extended key usage of timeStamping alone. */
int
certs_tsa_usage(X509 *x, char *err, size_t errlen)
{
	X509_EXTENSION	*ext;
	uint32_t	 ku;
	int		 i;

	if (X509_check_ca(x) != 0) {
		snprintf(err, errlen, "it is a CA certificate");
		return (-1);
	}
	if ((i = X509_get_ext_by_NID(x, NID_ext_key_usage, -1)) < 0 ||
	    (ext = X509_get_ext(x, i)) == NULL) {
		snprintf(err, errlen, "it has no extended key usage");
		return (-1);
	}
	if (!X509_EXTENSION_get_critical(ext)) {
		snprintf(err, errlen, "its extended key usage is not critical");
		return (-1);
	}
	if (X509_get_extended_key_usage(x) != XKU_TIMESTAMP) {
		snprintf(err, errlen, "its extended key usage is not "
		    "timeStamping alone");
		return (-1);
	}
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
