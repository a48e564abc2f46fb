/*
 * cfjl-verify's proof reader on arbitrary bytes: the tar stream, the
 * certificate files, the lot document and its seal, the path line.  No
 * trust anchor is given, so seals fail; the path line parser is also
 * given the input as it is.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../cfjl-verify/verify.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	static struct vctx	 ctx;
	static int		 ready;
	uint8_t			 path[V_PATH_MAX][V_SHA256_LEN];
	uint64_t		 idevt;
	size_t			 np;
	FILE			*fp;

	if (!ready) {
		if (xadescheck_init() == -1)
			abort();
		ctx.trust = X509_STORE_new();
		ctx.trust_certs = sk_X509_new_null();
		report_init(1);
		ready = 1;
	}
	if (len == 0 || (fp = fmemopen((void *)data, len, "rb")) == NULL)
		return 0;
	proof_check(&ctx, fp, "fuzz");
	fclose(fp);
	pathcheck_parse((const char *)data, len, &idevt, path, &np);
	report_reset();
	return 0;
}
