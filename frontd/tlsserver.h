/*
 * The TLS server context, and who a client is by its certificate.
 */
#ifndef FRONTD_TLSSERVER_H
#define FRONTD_TLSSERVER_H

#include <stddef.h>
#include <stdint.h>

#include "proto.h"

#include "config.h"

struct tls;

struct tls	*tlsserver_setup(const struct cfjl_conf *);
/* Subject, depositor fingerprint and issuing CA of a client. */
int		 tlsserver_identity(struct tls *, char *subject, size_t,
		    uint8_t depositor[SHA256_LEN], enum cfjl_ca *);

#endif
