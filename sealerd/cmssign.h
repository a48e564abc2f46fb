/*
 * Journal seals: a detached CMS SignedData over the exact bytes of a
 * closed journal file, made with the sealing key in the HSM.
 */
#ifndef CFJL_JOURNAL_H
#define CFJL_JOURNAL_H

#include <stddef.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#define JOURNAL_FILE_MAX	(1024L * 1024 * 1024)	/* 1 GiB */

/*
 * Sign what fd holds, from its start, with key; the signing certificate
 * and its chain go into the SignedData.  The DER is malloc'd.  0, or -1
 * with a sentence in err.
 */
int	cmssign_journal(int fd, EVP_PKEY *, X509 *, STACK_OF(X509) *,
	    unsigned char **der, size_t *len, char *err, size_t errlen);

#endif
