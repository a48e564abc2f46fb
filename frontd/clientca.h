/*
 * The two client CAs (the operator's, the regulator's) and their CRLs,
 * read again without a restart.
 */
#ifndef FRONTD_CLIENTCA_H
#define FRONTD_CLIENTCA_H

#include <stddef.h>
#include <stdint.h>

#include "config.h"

struct tls;

void		 clientca_init(const struct cfjl_conf *, struct tls *,
		    uint8_t *cert, size_t, uint8_t *key, size_t);
/* The refresh timer, in each process that serves TLS. */
void		 clientca_start(void);
/* Read the CRLs again now; -1 with msg when they do not check. */
int		 clientca_reload(char *msg, size_t);
#ifdef OPENSSL_X509_H
enum cfjl_ca	 clientca_issuer(X509 *, STACK_OF(X509) *);
#endif

#endif
