/*
 * sealerd's embedded RFC 3161 time-stamping unit: its key in the HSM,
 * its serial numbers from serial.c, its clock checked by clock.c.
 */
#ifndef CFJL_TSA_H
#define CFJL_TSA_H

#include <stddef.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "clock.h"
#include "serial.h"

struct cfjl_sealerd_conf;

struct tsa {
	EVP_PKEY	*key;		/* not owned: from hsm.c */
	X509		*cert;
	STACK_OF(X509)	*chain;
	char		 policy[128];
	unsigned int	 accuracy_ms;
	struct serial	 serial;
	struct clock_state clock;
	unsigned long	 tokens;	/* issued since start */
};

/* Open the serial counter and set up the clock check; -1 with err. */
int	tsa_init(struct tsa *, const struct cfjl_sealerd_conf *, char *err,
	    size_t errlen);
void	tsa_set_signer(struct tsa *, EVP_PKEY *, X509 *, STACK_OF(X509) *);
/*
 * A DER time-stamp token (RFC 3161 TimeStampToken, a CMS SignedData)
 * over a SHA-256 imprint, malloc'd.  -1 with err when the clock may not
 * be trusted, the key is gone or signing failed; *clock_refused says
 * whether the clock was the reason.
 */
int	tsa_stamp(struct tsa *, const unsigned char imprint[32],
	    unsigned char **der, size_t *len, int *clock_refused, char *err,
	    size_t errlen);
void	tsa_close(struct tsa *);

#endif
