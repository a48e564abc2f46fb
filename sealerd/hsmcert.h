/*
 * The certificates of sealerd's keys: certificate objects in the token
 * beside their keys (cfjl-keys install puts them there), or, for a
 * token installed before that, the file named in cfjl.conf.
 */
#ifndef CFJL_HSMCERT_H
#define CFJL_HSMCERT_H

#include <stddef.h>

#include <openssl/x509.h>

#include <libp11.h>

enum hsmcert_kind {
	HSMCERT_SEAL,
	HSMCERT_TSA
};

/* A certificate and its chain as PEM: stored takes no more. */
#define HSMCERT_PEM_MAX		(64 * 1024)

/* What the chain objects of key LABEL are labelled: "LABEL chain". */
#define HSMCERT_CHAIN_SUFFIX	" chain"

/*
 * Certificate and chain from a PEM file: 0, 1 if there is no such file
 * (or no path), -1 with err if it is there but holds no certificate.
 */
int	hsmcert_file(const char *path, X509 **, STACK_OF(X509) **,
	    char *err, size_t errlen);
/*
 * The token's certificate object for this key (its CKA_ID and label) and
 * the chain objects beside it: 0, 1 if the token holds none, -1 with err.
 */
int	hsmcert_token(PKCS11_TOKEN *, PKCS11_KEY *, X509 **,
	    STACK_OF(X509) **, char *err, size_t errlen);
/* The usage the kind needs, critical and alone; -1 with err. */
int	hsmcert_usage(X509 *, enum hsmcert_kind, char *err, size_t errlen);
/* The certificate and its chain as PEM, malloc'd; NULL if out of memory. */
char	*hsmcert_pem(X509 *, STACK_OF(X509) *, size_t *);
/* "subject, serial HEX" for the logs. */
char	*hsmcert_name(X509 *, char *, size_t);

#endif
