/*
 * The TLS server: TLS 1.2 or 1.3 only, a client certificate from the
 * operator's or the regulator's CA always required (clientca.c, which
 * also keeps the CRLs), everything loaded into memory before the
 * sandbox.  A client is known by its issuing CA and certificate subject
 * (RFC 2253, UTF-8) for roles, and by the SHA-256 of its certificate
 * (DER) as depositor.
 */
#include <sys/types.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <tls.h>

#include "clientca.h"
#include "config.h"
#include "log.h"
#include "p12.h"
#include "tlsserver.h"

struct tls *
tlsserver_setup(const struct cfjl_conf *conf)
{
	const struct cfjl_frontd_conf	*fc = &conf->frontd;
	struct tls			*ctx;
	uint8_t				*cert, *key;
	size_t				 certlen, keylen;

	if (tls_init() == -1)
		fatalx("tls_init failed");
	if (fc->tls_pkcs12[0] != '\0')
		p12_load(fc->tls_pkcs12, fc->tls_passfile, &cert, &certlen,
		    &key, &keylen);
	else {
		if (fc->tls_cert[0] == '\0' || fc->tls_key[0] == '\0')
			fatalx("frontd needs tls certificate and tls key, or "
			    "tls pkcs12");
		if ((cert = tls_load_file(fc->tls_cert, &certlen,
		    NULL)) == NULL)
			fatal("tls certificate %s", fc->tls_cert);
		if ((key = tls_load_file(fc->tls_key, &keylen, NULL)) == NULL)
			fatal("tls key %s", fc->tls_key);
	}
	if ((ctx = tls_server()) == NULL)
		fatalx("tls_server failed");
	/* The client CAs and their CRLs; configured again on reload. */
	clientca_init(conf, ctx, cert, certlen, key, keylen);
	return ctx;
}

/*
 * The identities of the last few client certificates seen, by their PEM
 * chain as libtls gives it: a capture agent reconnects with the same
 * certificate, and decoding one (its public key above all) costs more
 * than the rest of the handshake's own work.
 */
#define TLS_ID_CACHE	8
#define TLS_ID_PEM_MAX	(16 * 1024)

static struct tls_id {
	uint8_t		*pem;
	size_t		 pemlen;
	char		 subject[CFJL_SUBJECT_MAX];
	uint8_t		 depositor[SHA256_LEN];
	enum cfjl_ca	 ca;
} tls_ids[TLS_ID_CACHE];
static unsigned int	 tls_id_next;

static int	tlsserver_decode(const uint8_t *, size_t, char *, size_t,
		    uint8_t *, enum cfjl_ca *);

/*
 * After the handshake: the subject and issuing CA for roles, and the
 * depositor digest (the certificate's SHA-256 fingerprint).  0, or -1 if
 * the certificate cannot be read (the connection is dropped).
 */
int
tlsserver_identity(struct tls *cctx, char *subject, size_t size,
    uint8_t depositor[SHA256_LEN], enum cfjl_ca *ca)
{
	const uint8_t	*pem;
	size_t		 pemlen;
	struct tls_id	*id;
	unsigned int	 i;

	if (!tls_peer_cert_provided(cctx) ||
	    (pem = tls_peer_cert_chain_pem(cctx, &pemlen)) == NULL)
		return -1;
	for (i = 0; i < TLS_ID_CACHE; i++) {
		id = &tls_ids[i];
		if (id->pem != NULL && id->pemlen == pemlen &&
		    memcmp(id->pem, pem, pemlen) == 0) {
			if (strlcpy(subject, id->subject, size) >= size)
				return -1;
			memcpy(depositor, id->depositor, SHA256_LEN);
			*ca = id->ca;
			return 0;
		}
	}
	if (tlsserver_decode(pem, pemlen, subject, size, depositor,
	    ca) == -1)
		return -1;
	if (pemlen > TLS_ID_PEM_MAX || strlen(subject) >= CFJL_SUBJECT_MAX)
		return 0;
	id = &tls_ids[tls_id_next++ % TLS_ID_CACHE];
	free(id->pem);
	if ((id->pem = malloc(pemlen)) == NULL)
		return 0;
	memcpy(id->pem, pem, pemlen);
	id->pemlen = pemlen;
	strlcpy(id->subject, subject, sizeof(id->subject));
	memcpy(id->depositor, depositor, SHA256_LEN);
	id->ca = *ca;
	return 0;
}

static int
tlsserver_decode(const uint8_t *pem, size_t pemlen, char *subject,
    size_t size, uint8_t *depositor, enum cfjl_ca *ca)
{
	BIO		*bio = NULL, *mem = NULL;
	X509		*x = NULL, *y;
	STACK_OF(X509)	*chain = NULL;
	unsigned char	*der = NULL;
	unsigned int	 mdlen;
	char		*p;
	long		 n;
	int		 derlen, rc = -1;
	unsigned long	 flags;

	if ((bio = BIO_new_mem_buf(pem, (int)pemlen)) == NULL ||
	    (x = PEM_read_bio_X509(bio, NULL, NULL, NULL)) == NULL)
		goto done;

	/* RFC 2253, but UTF-8 kept as such rather than \XX escapes. */
	flags = (XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB);
	if ((mem = BIO_new(BIO_s_mem())) == NULL ||
	    X509_NAME_print_ex(mem, X509_get_subject_name(x), 0, flags) < 0)
		goto done;
	n = BIO_get_mem_data(mem, &p);
	if (n <= 0 || (size_t)n >= size)
		goto done;
	memcpy(subject, p, (size_t)n);
	subject[n] = '\0';

	if ((derlen = i2d_X509(x, &der)) <= 0)
		goto done;
	if (EVP_Digest(der, (size_t)derlen, depositor, &mdlen, EVP_sha256(),
	    NULL) != 1 || mdlen != SHA256_LEN)
		goto done;

	/* The rest of what the client sent may hold intermediate CAs. */
	if ((chain = sk_X509_new_null()) == NULL)
		goto done;
	while ((y = PEM_read_bio_X509(bio, NULL, NULL, NULL)) != NULL)
		if (sk_X509_push(chain, y) == 0) {
			X509_free(y);
			goto done;
		}
	ERR_clear_error();
	*ca = clientca_issuer(x, chain);
	rc = 0;
 done:
	sk_X509_pop_free(chain, X509_free);
	OPENSSL_free(der);
	X509_free(x);
	BIO_free(bio);
	BIO_free(mem);
	return rc;
}
