/*
 * frontd's TLS key and certificate from a PKCS#12 file, its passphrase
 * from a file only its owner may read, both read once at start while
 * privileged: once frontd has dropped to its user the passphrase cannot
 * be read again.  What libtls is given is the same PEM it would read
 * from files, kept in memory (clientca.c configures libtls anew from it
 * when the CRLs change).
 */
#include <sys/types.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/pkcs12.h>
#include <openssl/x509.h>

#include "p12.h"
#include "log.h"
#include "ossl.h"
#include "pinfile.h"

static uint8_t	*p12_out(BIO *, size_t *);

/* Fatal on error: frontd does not start without its key. */
void
p12_load(const char *path, const char *passfile, uint8_t **cert,
    size_t *certlen, uint8_t **key, size_t *keylen)
{
	FILE		*fp;
	PKCS12		*p12;
	EVP_PKEY	*pk = NULL;
	X509		*x = NULL;
	STACK_OF(X509)	*chain = NULL;
	BIO		*cb, *kb;
	char		 pass[PIN_MAX + 1], err[256];
	int		 i;

	if (pinfile_read(passfile, pass, sizeof(pass), err,
	    sizeof(err)) == -1)
		fatalx("tls passphrase-file %s: %s", passfile, err);
	if ((fp = fopen(path, "rb")) == NULL)
		fatal("tls pkcs12 %s", path);
	p12 = d2i_PKCS12_fp(fp, NULL);
	fclose(fp);
	if (p12 == NULL)
		fatalx("tls pkcs12 %s: not a PKCS#12 file: %s", path,
		    ossl_error());
	if (PKCS12_parse(p12, pass, &pk, &x, &chain) != 1) {
		OPENSSL_cleanse(pass, sizeof(pass));
		fatalx("tls pkcs12 %s: cannot be opened (wrong passphrase?): "
		    "%s", path, ossl_error());
	}
	OPENSSL_cleanse(pass, sizeof(pass));
	PKCS12_free(p12);
	if (pk == NULL || x == NULL)
		fatalx("tls pkcs12 %s: no key and certificate in it", path);
	if (X509_check_private_key(x, pk) != 1)
		fatalx("tls pkcs12 %s: the key is not the certificate's",
		    path);

	/* The certificate, then its chain, as in a PEM certificate file. */
	if ((cb = BIO_new(BIO_s_mem())) == NULL ||
	    (kb = BIO_new(BIO_s_secmem())) == NULL ||
	    PEM_write_bio_X509(cb, x) != 1 ||
	    PEM_write_bio_PrivateKey(kb, pk, NULL, NULL, 0, NULL, NULL) != 1)
		fatalx("tls pkcs12 %s: %s", path, ossl_error());
	for (i = 0; chain != NULL && i < sk_X509_num(chain); i++)
		if (PEM_write_bio_X509(cb, sk_X509_value(chain, i)) != 1)
			fatalx("tls pkcs12 %s: %s", path, ossl_error());
	*cert = p12_out(cb, certlen);
	*key = p12_out(kb, keylen);
	EVP_PKEY_free(pk);
	X509_free(x);
	sk_X509_pop_free(chain, X509_free);
	ERR_clear_error();
	log_debug("tls pkcs12 %s: key and certificate read", path);
}

/* A copy of what b holds; b is wiped and freed. */
static uint8_t *
p12_out(BIO *b, size_t *len)
{
	char	*p;
	uint8_t	*out;
	long	 n;

	if ((n = BIO_get_mem_data(b, &p)) <= 0)
		fatalx("%s: nothing written", __func__);
	if ((out = malloc((size_t)n)) == NULL)
		fatal(NULL);
	memcpy(out, p, (size_t)n);
	OPENSSL_cleanse(p, (size_t)n);
	BIO_free(b);
	*len = (size_t)n;
	return out;
}
