/*
 * The HSM as sealerd sees it: a PKCS#11 token found by its label, logged
 * in with the PIN from the pin file, and the sealing and time-stamping
 * keys found by their labels, with the certificates that go with them.
 */
#ifndef CFJL_HSM_H
#define CFJL_HSM_H

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "pinfile.h"

struct cfjl_sealerd_conf;

struct hsm_key {
	EVP_PKEY	*key;		/* token-backed: signs inside the HSM */
	X509		*cert;		/* the certificate of that key */
	STACK_OF(X509)	*chain;		/* the rest of the file, may be empty */
};

struct hsm {
	void		*ctx;		/* PKCS11_CTX */
	void		*slots;		/* PKCS11_SLOT[] */
	unsigned int	 nslots;
	void		*dl;		/* keeps the module mapped */
	int		 loaded;	/* C_Initialize done */
	char		 module[4096];
	char		 token[64];
	char		 seal_label[64];
	char		 tsa_label[64];
	char		 pin[PIN_MAX + 1];
	struct hsm_key	 seal;
	struct hsm_key	 tsa;
	int		 up;		/* logged in, both keys found */
	int		 certs;		/* certificates loaded */
	unsigned long	 failures;	/* opens that failed since the last up */
	char		 err[512];	/* why it is not up, for people */
};

/*
 * Load the certificates, read the PIN and load the module: what needs
 * the filesystem, before any confinement.  -1 with hsm->err for a
 * fault no retry can mend (unreadable certificate, PIN file refused).
 */
int	hsm_init(struct hsm *, const struct cfjl_sealerd_conf *);
/* Find the token, log in, find both keys; 0, or -1 with hsm->err. */
int	hsm_open(struct hsm *);
/* Forget the session and keys (after a failure); hsm_open again later. */
void	hsm_close(struct hsm *);
/* Everything, the PIN wiped. */
void	hsm_free(struct hsm *);
/* Certificate and chain from a PEM file; -1 with err. */
int	hsm_cert_load(const char *path, X509 **, STACK_OF(X509) **,
	    char *err, size_t errlen);

#endif
