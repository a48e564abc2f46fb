/*
 * Certificates of the key ceremony: a certificate request signed by the
 * key inside the token, and the checks a returned certificate must pass
 * before it is installed where sealerd reads it.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "p11.h"
#include "keys.h"

static int	 csr_subject(X509_NAME *, const char *);
static int	 cert_check_usage(X509 *, enum keys_kind, char *, size_t);

/* "C=FR,O=Operateur 48,CN=..." in that order; commas may not be escaped. */
static int
csr_subject(X509_NAME *name, const char *dn)
{
	char	*s, *p, *f, *eq;
	int	 rc = -1;

	if ((s = strdup(dn)) == NULL)
		return -1;
	for (p = s; (f = strsep(&p, ",")) != NULL; ) {
		while (*f == ' ')
			f++;
		if ((eq = strchr(f, '=')) == NULL)
			goto done;
		*eq++ = '\0';
		if (!X509_NAME_add_entry_by_txt(name, f, MBSTRING_UTF8,
		    (unsigned char *)eq, -1, -1, 0))
			goto done;
	}
	rc = 0;
 done:
	free(s);
	return rc;
}

int
csr_write(struct p11 *p, const char *label, const char *dn,
    const char *path, char *err, size_t errlen)
{
	X509_REQ	*req = NULL;
	X509_ALGOR	*alg = NULL;
	ASN1_BIT_STRING	*bs = NULL;
	EVP_PKEY	*pub = NULL;
	unsigned char	*tbs = NULL, sig[1024];
	BIO		*out = NULL;
	int		 tbslen, siglen, rc = -1;

	if ((pub = p11_key_public(p, label)) == NULL) {
		snprintf(err, errlen, "no key \"%s\" in the token", label);
		goto done;
	}
	if ((req = X509_REQ_new()) == NULL ||
	    !X509_REQ_set_version(req, 0) ||
	    csr_subject(X509_REQ_get_subject_name(req), dn) == -1 ||
	    !X509_REQ_set_pubkey(req, pub)) {
		snprintf(err, errlen, "cannot build the request for \"%s\" "
		    "(subject %s)", label, dn);
		goto done;
	}
	if ((alg = X509_ALGOR_new()) == NULL ||
	    !X509_ALGOR_set0(alg, OBJ_nid2obj(NID_sha256WithRSAEncryption),
	    V_ASN1_NULL, NULL) ||
	    !X509_REQ_set1_signature_algo(req, alg))
		goto done;
	/* The request body is signed inside the token. */
	if ((tbslen = i2d_re_X509_REQ_tbs(req, &tbs)) <= 0)
		goto done;
	if ((siglen = p11_key_sign_sha256(p, label, tbs, tbslen, sig,
	    sizeof(sig))) <= 0) {
		snprintf(err, errlen, "the token refused to sign with \"%s\"",
		    label);
		goto done;
	}
	if ((bs = ASN1_BIT_STRING_new()) == NULL ||
	    !ASN1_BIT_STRING_set(bs, sig, siglen))
		goto done;
	/* A whole number of bytes: no unused bits. */
	bs->flags &= ~(ASN1_STRING_FLAG_BITS_LEFT | 0x07);
	bs->flags |= ASN1_STRING_FLAG_BITS_LEFT;
	X509_REQ_set0_signature(req, bs);
	bs = NULL;
	if (X509_REQ_verify(req, pub) != 1) {
		snprintf(err, errlen, "the request signed by \"%s\" does not "
		    "verify", label);
		goto done;
	}
	if ((out = BIO_new_file(path, "w")) == NULL ||
	    !PEM_write_bio_X509_REQ(out, req) || BIO_flush(out) != 1) {
		snprintf(err, errlen, "cannot write %s", path);
		goto done;
	}
	rc = 0;
 done:
	if (rc == -1 && err[0] == '\0')
		snprintf(err, errlen, "cannot make the request for \"%s\"",
		    label);
	BIO_free(out);
	OPENSSL_free(tbs);
	ASN1_BIT_STRING_free(bs);
	X509_ALGOR_free(alg);
	X509_REQ_free(req);
	EVP_PKEY_free(pub);
	return rc;
}

/*
 * A time-stamping certificate must say timeStamping alone in a critical
 * extended key usage (RFC 3161 2.3); a sealing certificate must say
 * documentSigning (1.3.6.1.5.5.7.3.36, RFC 9336) alone in a critical
 * one, so that no TLS or time-stamping certificate of the same authority
 * can pass for it (cfjl-verify(1) refuses any other).  Both must allow
 * digitalSignature or nonRepudiation.
 */
static int
cert_check_usage(X509 *x, enum keys_kind kind, char *err, size_t errlen)
{
	EXTENDED_KEY_USAGE	*eku;
	X509_EXTENSION		*ext;
	ASN1_OBJECT		*want;
	const char		*what;
	uint32_t		 ku;
	int			 i, n, ok;

	ku = X509_get_key_usage(x);
	if (ku == UINT32_MAX ||
	    (ku & (KU_DIGITAL_SIGNATURE | KU_NON_REPUDIATION)) == 0) {
		snprintf(err, errlen, "the certificate's key usage allows "
		    "neither digitalSignature nor nonRepudiation");
		return -1;
	}
	if (kind == KEYS_SEAL) {
		want = OBJ_txt2obj("1.3.6.1.5.5.7.3.36", 1);
		what = "a sealing certificate";
	} else {
		want = OBJ_dup(OBJ_nid2obj(NID_time_stamp));
		what = "a time-stamping certificate";
	}
	if (want == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	i = X509_get_ext_by_NID(x, NID_ext_key_usage, -1);
	if (i < 0) {
		snprintf(err, errlen, "%s needs an extended key usage %s",
		    what, kind == KEYS_SEAL ? "documentSigning "
		    "(1.3.6.1.5.5.7.3.36)" : "timeStamping");
		ASN1_OBJECT_free(want);
		return -1;
	}
	ext = X509_get_ext(x, i);
	if (!X509_EXTENSION_get_critical(ext)) {
		snprintf(err, errlen, "the extended key usage of %s must be "
		    "critical", what);
		ASN1_OBJECT_free(want);
		return -1;
	}
	if ((eku = X509_get_ext_d2i(x, NID_ext_key_usage, NULL, NULL)) ==
	    NULL) {
		snprintf(err, errlen, "unreadable extended key usage");
		ASN1_OBJECT_free(want);
		return -1;
	}
	n = sk_ASN1_OBJECT_num(eku);
	ok = n == 1 && OBJ_cmp(sk_ASN1_OBJECT_value(eku, 0), want) == 0;
	sk_ASN1_OBJECT_pop_free(eku, ASN1_OBJECT_free);
	ASN1_OBJECT_free(want);
	if (!ok) {
		snprintf(err, errlen, "the extended key usage of %s must be "
		    "%s only", what, kind == KEYS_SEAL ? "documentSigning "
		    "(1.3.6.1.5.5.7.3.36)" : "timeStamping");
		return -1;
	}
	return 0;
}

int
csr_cert_install(struct p11 *p, const char *label, enum keys_kind kind,
    const char *in, const char *dest, char *err, size_t errlen)
{
	STACK_OF(X509)	*certs = NULL, *chain = NULL;
	X509		*x;
	EVP_PKEY	*pub = NULL;
	BIO		*bin = NULL, *bout = NULL;
	char		 tmp[4096];
	int		 i, fd = -1, rc = -1;

	if ((certs = sk_X509_new_null()) == NULL)
		goto done;
	if ((bin = BIO_new_file(in, "r")) == NULL) {
		snprintf(err, errlen, "cannot read %s: %s", in,
		    strerror(errno));
		goto done;
	}
	while ((x = PEM_read_bio_X509(bin, NULL, NULL, NULL)) != NULL)
		if (!sk_X509_push(certs, x)) {
			X509_free(x);
			goto done;
		}
	ERR_clear_error();
	if (sk_X509_num(certs) == 0) {
		snprintf(err, errlen, "%s holds no PEM certificate", in);
		goto done;
	}
	x = sk_X509_value(certs, 0);
	if ((pub = p11_key_public(p, label)) == NULL) {
		snprintf(err, errlen, "no key \"%s\" in the token", label);
		goto done;
	}
	if (EVP_PKEY_eq(X509_get0_pubkey(x), pub) != 1) {
		snprintf(err, errlen, "the certificate in %s is not for the "
		    "token's key \"%s\"", in, label);
		goto done;
	}
	if (X509_cmp_current_time(X509_get0_notAfter(x)) <= 0) {
		snprintf(err, errlen, "the certificate in %s has expired", in);
		goto done;
	}
	if (cert_check_usage(x, kind, err, errlen) == -1)
		goto done;

	/* In the token beside its key: what sealerd reads. */
	if ((chain = sk_X509_new_null()) == NULL)
		goto done;
	for (i = 1; i < sk_X509_num(certs); i++)
		if (!sk_X509_push(chain, sk_X509_value(certs, i)))
			goto done;
	if (p11_cert_store(p, label, x, chain, err, errlen) == -1)
		goto done;
	if (dest == NULL || *dest == '\0') {
		rc = 0;
		goto done;
	}

	/* A copy in the file, for the tools that read one. */
	/* Written beside the destination, then renamed over it. */
	if (snprintf(tmp, sizeof(tmp), "%s.new", dest) >= (int)sizeof(tmp)) {
		snprintf(err, errlen, "path too long: %s", dest);
		goto done;
	}
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
	    0644)) == -1 || (bout = BIO_new_fd(fd, BIO_NOCLOSE)) == NULL) {
		snprintf(err, errlen, "cannot write %s: %s", tmp,
		    strerror(errno));
		goto done;
	}
	for (i = 0; i < sk_X509_num(certs); i++)
		if (!PEM_write_bio_X509(bout, sk_X509_value(certs, i)))
			goto done;
	if (BIO_flush(bout) != 1 || fsync(fd) == -1 || close(fd) == -1) {
		fd = -1;
		snprintf(err, errlen, "cannot write %s", tmp);
		goto done;
	}
	fd = -1;
	if (rename(tmp, dest) == -1) {
		snprintf(err, errlen, "cannot rename %s to %s: %s", tmp, dest,
		    strerror(errno));
		goto done;
	}
	rc = 0;
 done:
	if (rc == -1 && err[0] == '\0')
		snprintf(err, errlen, "cannot install %s", in);
	if (fd != -1) {
		close(fd);
		unlink(tmp);
	}
	BIO_free(bout);
	BIO_free(bin);
	EVP_PKEY_free(pub);
	sk_X509_free(chain);	/* references to certs' */
	sk_X509_pop_free(certs, X509_free);
	return rc;
}
