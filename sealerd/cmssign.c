/*
 * Sealing a closed journal file: CMS SignedData, detached, binary (the
 * bytes are signed as they are, no MIME canonicalisation), so that
 * "openssl cms -verify -binary -inform DER -content FILE" accepts it.
 * The sealing key signs it: one key, one certificate for the regulator
 * to trust, for lots and the journal alike.
 */
#include <sys/stat.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/cms.h>
#include <openssl/err.h>

#include "cmssign.h"

int
cmssign_journal(int fd, EVP_PKEY *key, X509 *cert, STACK_OF(X509) *chain,
    unsigned char **der, size_t *len, char *err, size_t errlen)
{
	struct stat	 st;
	CMS_ContentInfo	*cms = NULL;
	BIO		*in = NULL;
	unsigned char	*p = NULL, *q;
	unsigned long	 e;
	int		 l, rc = -1;

	*der = NULL;
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "the journal file is not a regular file");
		return -1;
	}
	if (st.st_size > JOURNAL_FILE_MAX) {
		snprintf(err, errlen, "journal file too large (%lld bytes)",
		    (long long)st.st_size);
		return -1;
	}
	if (lseek(fd, 0, SEEK_SET) == -1) {
		snprintf(err, errlen, "journal file: %s", strerror(errno));
		return -1;
	}
	if ((in = BIO_new_fd(fd, BIO_NOCLOSE)) == NULL)
		goto fail;
	cms = CMS_sign(cert, key, chain, in,
	    CMS_DETACHED | CMS_BINARY | CMS_NOSMIMECAP);
	if (cms == NULL)
		goto fail;
	if ((l = i2d_CMS_ContentInfo(cms, NULL)) <= 0 ||
	    (p = malloc(l)) == NULL)
		goto fail;
	q = p;
	i2d_CMS_ContentInfo(cms, &q);
	*der = p;
	*len = l;
	rc = 0;
	goto done;
 fail:
	e = ERR_peek_last_error();
	snprintf(err, errlen, "cannot sign the journal file: %s",
	    e != 0 ? ERR_reason_error_string(e) : "no detail");
	ERR_clear_error();
 done:
	BIO_free(in);
	CMS_ContentInfo_free(cms);
	return rc;
}
