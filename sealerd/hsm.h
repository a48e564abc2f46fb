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
	STACK_OF(X509)	*chain;		/* its chain, may be empty */
	char		*pem;		/* both, as PEM, for stored's exports */
	size_t		 pemlen;
	unsigned char	 fp[32];	/* SHA-256 of the certificate (DER) */
	int		 from_token;	/* 0: from the file of cfjl.conf */
	int		 file_warned;	/* the file's use is logged once */
	X509		*file_cert;	/* the file's, read before confinement */
	STACK_OF(X509)	*file_chain;
	char		 file[1024];
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
	unsigned long	 failures;	/* opens that failed since the last up */
	char		 err[512];	/* why it is not up, for people */
};

/*
 * Read the certificate files if any, the PIN, and load the module: what
 * needs the filesystem, before any confinement.  -1 with hsm->err for a
 * fault no retry can mend (a certificate file that is not one, PIN file
 * refused).
 */
int	hsm_init(struct hsm *, const struct cfjl_sealerd_conf *);
/*
 * Find the token, log in, find both keys and their certificates (the
 * token's objects, else the files), check them; 0, or -1 with hsm->err.
 */
int	hsm_open(struct hsm *);
/* Forget the session and keys (after a failure); hsm_open again later. */
void	hsm_close(struct hsm *);
/* Everything, the PIN wiped. */
void	hsm_free(struct hsm *);

#endif
