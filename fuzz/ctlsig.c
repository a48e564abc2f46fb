/*
 * The signed administration command as a daemon reads it
 * (common/ctlsig.c): arbitrary bytes through the CMS reader, the
 * signature check against the certificate it carries, and the parser of
 * the canonical text; and the same bytes through the text parser alone,
 * which must give back exactly what it was given or refuse it.
 */
#include <sys/types.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/x509.h>

#include "ctlsig.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ctlsig_cmd	 c;
	STACK_OF(X509)		*certs;
	X509			*signer;
	char			 err[512], again[CTLSIG_TEXT_MAX];
	int			 n;

	if (ctlsig_open(data, size, &c, &signer, &certs, err,
	    sizeof(err)) == 0) {
		X509_free(signer);
		sk_X509_pop_free(certs, X509_free);
	}
	if (ctlsig_parse((const char *)data, size, &c, err,
	    sizeof(err)) == 0) {
		n = ctlsig_text(&c, again, sizeof(again));
		if (n < 0 || (size_t)n != size || memcmp(again, data, size) != 0)
			abort();
	}
	return 0;
}
