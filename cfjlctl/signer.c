/*
 * cfjlctl's signing key: an administrator's PKCS#12 file or a key in a
 * PKCS#11 token, and the signature of one command for one daemon (the
 * canonical text of ctlsig.h, a fresh nonce, the time now).
 */
#include <sys/types.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/pkcs12.h>
#include <openssl/x509.h>

#include "cfjlctl.h"
#include "ctlsig.h"
#include "ossl.h"
#include "pinfile.h"

struct signer {
	EVP_PKEY	*key;
	X509		*cert;
	STACK_OF(X509)	*chain;
	struct p11key	*p11;
};

struct signer *
signer_p12(const char *file, const char *passfile, char *err, size_t errlen)
{
	struct signer	*s;
	PKCS12		*p12 = NULL;
	BIO		*in = NULL;
	const char	*env;
	char		 pass[PIN_MAX + 1];

	pass[0] = '\0';
	if (passfile != NULL) {
		if (pinfile_read(passfile, pass, sizeof(pass), err,
		    errlen) == -1)
			return NULL;
	} else if ((env = getenv("CFJL_P12_PASS")) != NULL &&
	    strlcpy(pass, env, sizeof(pass)) >= sizeof(pass)) {
		snprintf(err, errlen, "the passphrase in the environment is "
		    "too long");
		return NULL;
	}
	if ((s = calloc(1, sizeof(*s))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	if ((in = BIO_new_file(file, "rb")) == NULL ||
	    (p12 = d2i_PKCS12_bio(in, NULL)) == NULL) {
		snprintf(err, errlen, "%s: not a PKCS#12 file: %s", file,
		    ossl_error());
		goto fail;
	}
	if (PKCS12_parse(p12, pass, &s->key, &s->cert, &s->chain) != 1 ||
	    s->key == NULL || s->cert == NULL) {
		snprintf(err, errlen, "%s: cannot open it (wrong passphrase? "
		    "-p FILE or CFJL_P12_PASS): %s", file, ossl_error());
		goto fail;
	}
	PKCS12_free(p12);
	BIO_free(in);
	OPENSSL_cleanse(pass, sizeof(pass));
	return s;
 fail:
	PKCS12_free(p12);
	BIO_free(in);
	OPENSSL_cleanse(pass, sizeof(pass));
	signer_free(s);
	return NULL;
}

struct signer *
signer_pkcs11(const char *uri, const char *pinfile, char *err, size_t errlen)
{
	struct signer	*s;

	if ((s = calloc(1, sizeof(*s))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	if ((s->p11 = p11key_open(uri, pinfile, &s->key, &s->cert, err,
	    errlen)) == NULL) {
		free(s);
		return NULL;
	}
	return s;
}

int
signer_sign(struct signer *s, const char *daemon, const char *command,
    const char *arg1, const char *arg2, uint8_t **der, size_t *len,
    char *err, size_t errlen)
{
	struct ctlsig_cmd	 c;

	memset(&c, 0, sizeof(c));
	if (strlcpy(c.daemon, daemon, sizeof(c.daemon)) >= sizeof(c.daemon) ||
	    strlcpy(c.command, command, sizeof(c.command)) >=
	    sizeof(c.command) ||
	    strlcpy(c.arg1, arg1 != NULL ? arg1 : "", sizeof(c.arg1)) >=
	    sizeof(c.arg1) ||
	    strlcpy(c.arg2, arg2 != NULL ? arg2 : "", sizeof(c.arg2)) >=
	    sizeof(c.arg2)) {
		snprintf(err, errlen, "argument too long");
		return -1;
	}
	if (ctlsig_fresh(&c) == -1) {
		snprintf(err, errlen, "no random nonce: %s", ossl_error());
		return -1;
	}
	return ctlsig_sign(&c, s->key, s->cert, s->chain, der, len, err,
	    errlen);
}

void
signer_free(struct signer *s)
{
	if (s == NULL)
		return;
	EVP_PKEY_free(s->key);
	X509_free(s->cert);
	sk_X509_pop_free(s->chain, X509_free);
	if (s->p11 != NULL)
		p11key_close(s->p11);
	free(s);
}
