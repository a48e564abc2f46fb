/*
 * cfjl-verify's journal reader (cfjl-verify journal) on arbitrary
 * bytes: the input is a journal file and its metadata, split at the
 * first NUL byte (the metadata, with its CMS signature, after it),
 * written as 00000001.log and 00000001.xml in a directory of its own.
 * No trust anchor is given, so signatures fail; reading is what is
 * fuzzed.
 */
#include <err.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../cfjl-verify/verify.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void	 put(const char *, const char *, const uint8_t *, size_t);

static void
put(const char *dir, const char *name, const uint8_t *p, size_t len)
{
	char	 path[PATH_MAX];
	FILE	*fp;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if ((fp = fopen(path, "wb")) == NULL ||
	    fwrite(p, 1, len, fp) != len || fclose(fp) != 0)
		err(1, "%s", path);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	static struct vctx	 ctx;
	static char		 dir[] = "/tmp/cfjl-fuzz-journal.XXXXXX";
	static int		 ready;
	const uint8_t		*nul;
	size_t			 loglen;

	if (!ready) {
		if (xadescheck_init() == -1 || mkdtemp(dir) == NULL)
			abort();
		ctx.trust = X509_STORE_new();
		ctx.trust_certs = sk_X509_new_null();
		report_init(1);
		ready = 1;
	}
	nul = memchr(data, '\0', len);
	loglen = nul != NULL ? (size_t)(nul - data) : len;
	put(dir, "00000001.log", data, loglen);
	put(dir, "00000001.xml", nul != NULL ? nul + 1 : data,
	    nul != NULL ? len - loglen - 1 : 0);
	journalcheck_run(&ctx, dir);
	report_reset();
	return 0;
}
