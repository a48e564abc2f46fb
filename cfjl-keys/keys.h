/*
 * The key ceremony, cfjl-keys(8): the sealing and time-stamping keys are
 * generated inside the token, their requests signed there, and the
 * certificates that come back checked before sealerd may use them.
 */
#ifndef CFJL_KEYS_H
#define CFJL_KEYS_H

#include <stddef.h>

struct p11;

enum keys_kind {
	KEYS_SEAL,
	KEYS_TSA
};

/* csr.c */
int	csr_write(struct p11 *, const char *label, const char *dn,
	    const char *path, char *err, size_t errlen);
int	csr_cert_install(struct p11 *, const char *label, enum keys_kind,
	    const char *in, const char *dest, char *err, size_t errlen);

#endif
