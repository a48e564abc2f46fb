/*
 * cfjl-verify's reader of event files (cfjl-verify/cms.c): the strict
 * DER parser of the CMS shape stored writes, the content-key cache and
 * the decryption, on arbitrary bytes.  The regulator's key is a test
 * key kept beside the harness (lib/regulator.pem, made for this and
 * nothing else), so that the seeds, samples encrypted to it by stored's
 * own code (make cms-seeds), decrypt.  What is not that shape goes to
 * OpenSSL's CMS reader, as event.c does.
 */
#include <sys/types.h>

#include <limits.h>
#include <libgen.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/cms.h>
#include <openssl/err.h>
#include <openssl/pem.h>

#include "../cfjl-verify/verify.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);
int	LLVMFuzzerInitialize(int *, char ***);

static struct cms_fast	*fast;
static struct cms_dec	*dec;
static EVP_PKEY		*key;
static X509		*cert;
static volatile uint8_t	 sink;

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char	 exe[PATH_MAX], path[PATH_MAX];
	ssize_t	 n;
	FILE	*fp;

	if ((n = readlink("/proc/self/exe", exe, sizeof(exe) - 1)) == -1)
		abort();
	exe[n] = '\0';
	snprintf(path, sizeof(path), "%s/lib/regulator.pem", dirname(exe));
	if ((fp = fopen(path, "r")) == NULL ||
	    (key = PEM_read_PrivateKey(fp, NULL, NULL, NULL)) == NULL ||
	    (cert = PEM_read_X509(fp, NULL, NULL, NULL)) == NULL) {
		fprintf(stderr, "%s: no key and certificate\n", path);
		abort();
	}
	fclose(fp);
	if ((fast = cms_fast_new(key, cert)) == NULL ||
	    (dec = cms_dec_new(fast)) == NULL)
		abort();
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	CMS_ContentInfo	*cms;
	BIO		*in, *out;
	const uint8_t	*plain;
	size_t		 plen, i;
	char		 why[160];

	switch (cms_fast_decrypt(dec, data, size, &plain, &plen, why,
	    sizeof(why))) {
	case 1:
		/* Every byte handed back is there: the sanitizers look. */
		for (i = 0; i < plen; i++)
			sink ^= plain[i];
		return 0;
	case -1:
		if (why[0] == '\0')
			abort();
		return 0;
	}
	if (size > INT32_MAX ||
	    (in = BIO_new_mem_buf(data, (int)size)) == NULL)
		return 0;
	if ((cms = d2i_CMS_bio(in, NULL)) != NULL) {
		if ((out = BIO_new(BIO_s_mem())) != NULL) {
			(void)CMS_decrypt(cms, key, cert, NULL, out, 0);
			BIO_free(out);
		}
		CMS_ContentInfo_free(cms);
	}
	BIO_free(in);
	ERR_clear_error();
	return 0;
}
