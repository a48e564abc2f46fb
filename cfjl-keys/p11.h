/*
 * The key ceremony's direct PKCS#11 access: the module's own function
 * list, so that keys are made with exactly the attributes we choose
 * (never extractable, always sensitive) and CSRs are signed in the token.
 */
#ifndef CFJL_KEYS_P11_H
#define CFJL_KEYS_P11_H

#include <stdio.h>
#include <stddef.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

struct p11;

/* Load the module, find the token by label, log in; NULL on error. */
struct p11	*p11_open(const char *module, const char *label,
		    const char *pin, char *err, size_t errlen);
void		 p11_close(struct p11 *);

/* 1 if a private key with this label exists, 0 if not, -1 on error. */
int		 p11_key_exists(struct p11 *, const char *label);
/* A new RSA key pair in the token; 0 or -1. */
int		 p11_key_generate(struct p11 *, const char *label,
		    unsigned int bits, char *err, size_t errlen);
/* The public half of the labelled private key; NULL if none. */
EVP_PKEY	*p11_key_public(struct p11 *, const char *label);
/* RSASSA-PKCS1-v1_5 with SHA-256 in the token; the signature length. */
int		 p11_key_sign_sha256(struct p11 *, const char *label,
		    const unsigned char *, size_t, unsigned char *, size_t);
/* Every key object of the token with its protection attributes. */
int		 p11_key_list(struct p11 *, FILE *);
/*
 * The certificate of the labelled key as a certificate object beside it
 * (same CKA_ID and label), its chain as objects labelled "LABEL chain";
 * those it replaces are destroyed once the new ones are in.  0 or -1.
 */
int		 p11_cert_store(struct p11 *, const char *label, X509 *,
		    STACK_OF(X509) *, char *err, size_t errlen);
/* Every certificate object: label, id, subject, serial. */
int		 p11_cert_list(struct p11 *, FILE *);

#endif
