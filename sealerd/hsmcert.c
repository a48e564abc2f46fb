/*
 * The certificates of sealerd's keys.  Since cfjl-keys(8) stores each
 * certificate in the token, next to its key (same CKA_ID, same label),
 * with its chain as objects labelled "LABEL chain", the token alone is
 * enough to seal: a standby site's token carries what its seals name.
 * A token prepared before holds no certificate object; the file of
 * cfjl.conf is then used (hsm.c warns) until the certificate is
 * installed again.
 */
#include <sys/types.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/buffer.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <libp11.h>

#include "hsmcert.h"

static int	 hsmcert_is_chain(const char *, const char *);

int
hsmcert_file(const char *path, X509 **cert, STACK_OF(X509) **chain,
    char *err, size_t errlen)
{
	BIO	*b;
	X509	*x;

	*cert = NULL;
	*chain = NULL;
	if (path == NULL || *path == '\0')
		return 1;
	if ((b = BIO_new_file(path, "r")) == NULL) {
		ERR_clear_error();
		if (errno == ENOENT)
			return 1;
		snprintf(err, errlen, "cannot read certificate %s: %s", path,
		    strerror(errno));
		return -1;
	}
	if ((*chain = sk_X509_new_null()) == NULL) {
		BIO_free(b);
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	while ((x = PEM_read_bio_X509(b, NULL, NULL, NULL)) != NULL) {
		if (*cert == NULL)
			*cert = x;
		else if (!sk_X509_push(*chain, x))
			X509_free(x);
	}
	ERR_clear_error();
	BIO_free(b);
	if (*cert == NULL) {
		sk_X509_free(*chain);
		*chain = NULL;
		snprintf(err, errlen, "%s holds no PEM certificate", path);
		return -1;
	}
	return 0;
}

/* "LABEL chain" for key LABEL. */
static int
hsmcert_is_chain(const char *label, const char *key)
{
	size_t	 n = strlen(key);

	return strncmp(label, key, n) == 0 &&
	    strcmp(label + n, HSMCERT_CHAIN_SUFFIX) == 0;
}

int
hsmcert_token(PKCS11_TOKEN *tok, PKCS11_KEY *key, X509 **cert,
    STACK_OF(X509) **chain, char *err, size_t errlen)
{
	PKCS11_CERT	*certs;
	unsigned int	 n, i;
	X509		*found = NULL;

	*cert = NULL;
	*chain = NULL;
	if (PKCS11_enumerate_certs(tok, &certs, &n) != 0) {
		snprintf(err, errlen, "cannot list the certificates of the "
		    "token");
		ERR_clear_error();
		return -1;
	}
	for (i = 0; i < n; i++) {
		if (certs[i].x509 == NULL || certs[i].label == NULL ||
		    strcmp(certs[i].label, key->label) != 0)
			continue;
		/* The key's own: its CKA_ID, as cfjl-keys stores it. */
		if (certs[i].id_len != key->id_len || key->id_len == 0 ||
		    memcmp(certs[i].id, key->id, key->id_len) != 0) {
			snprintf(err, errlen, "the certificate labelled \"%s\" "
			    "in the token does not have its key's id",
			    key->label);
			return -1;
		}
		if (found != NULL) {
			snprintf(err, errlen, "the token holds two "
			    "certificates for key \"%s\"", key->label);
			return -1;
		}
		found = certs[i].x509;
	}
	if (found == NULL)
		return 1;
	if ((*chain = sk_X509_new_null()) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	for (i = 0; i < n; i++) {
		if (certs[i].x509 == NULL || certs[i].label == NULL ||
		    !hsmcert_is_chain(certs[i].label, key->label))
			continue;
		/* libp11 owns what it listed: ours are references. */
		if (!X509_up_ref(certs[i].x509) ||
		    !sk_X509_push(*chain, certs[i].x509)) {
			sk_X509_pop_free(*chain, X509_free);
			*chain = NULL;
			snprintf(err, errlen, "out of memory");
			return -1;
		}
	}
	X509_up_ref(found);
	*cert = found;
	return 0;
}

/*
 * The usage cfjl-verify(1) requires of each: documentSigning
 * (1.3.6.1.5.5.7.3.36) for the seal, timeStamping for the time-stamping
 * unit (RFC 3161), critical and alone.  A certificate without it would
 * make seals or tokens that are all refused.
 */
int
hsmcert_usage(X509 *x, enum hsmcert_kind kind, char *err, size_t errlen)
{
	EXTENDED_KEY_USAGE	*eku;
	ASN1_OBJECT		*want;
	int			 crit, ok = 0;

	if (kind == HSMCERT_SEAL)
		want = OBJ_txt2obj("1.3.6.1.5.5.7.3.36", 1);
	else
		want = OBJ_nid2obj(NID_time_stamp);
	if (want == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	if ((eku = X509_get_ext_d2i(x, NID_ext_key_usage, &crit,
	    NULL)) != NULL) {
		ok = crit == 1 && sk_ASN1_OBJECT_num(eku) == 1 &&
		    OBJ_cmp(sk_ASN1_OBJECT_value(eku, 0), want) == 0;
		sk_ASN1_OBJECT_pop_free(eku, ASN1_OBJECT_free);
	}
	ASN1_OBJECT_free(want);
	ERR_clear_error();
	if (ok)
		return 0;
	if (kind == HSMCERT_SEAL)
		snprintf(err, errlen, "lacks the critical extended key usage "
		    "documentSigning (1.3.6.1.5.5.7.3.36) alone: its seals "
		    "would be refused");
	else
		snprintf(err, errlen, "lacks the critical extended key usage "
		    "timeStamping alone: its time-stamps would be refused");
	return -1;
}

char *
hsmcert_pem(X509 *cert, STACK_OF(X509) *chain, size_t *len)
{
	BIO	*b;
	BUF_MEM	*m;
	char	*pem = NULL;
	int	 i;

	if ((b = BIO_new(BIO_s_mem())) == NULL)
		return NULL;
	if (!PEM_write_bio_X509(b, cert))
		goto done;
	for (i = 0; chain != NULL && i < sk_X509_num(chain); i++)
		if (!PEM_write_bio_X509(b, sk_X509_value(chain, i)))
			goto done;
	BIO_get_mem_ptr(b, &m);
	if ((pem = malloc(m->length)) == NULL)
		goto done;
	memcpy(pem, m->data, m->length);
	*len = m->length;
 done:
	BIO_free(b);
	ERR_clear_error();
	return pem;
}

char *
hsmcert_name(X509 *x, char *buf, size_t len)
{
	BIGNUM	*bn;
	char	 subj[256], *hex = NULL;

	X509_NAME_oneline(X509_get_subject_name(x), subj, sizeof(subj));
	if ((bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(x),
	    NULL)) != NULL)
		hex = BN_bn2hex(bn);
	snprintf(buf, len, "%s, serial %s", subj, hex != NULL ? hex : "?");
	OPENSSL_free(hex);
	BN_free(bn);
	return buf;
}
