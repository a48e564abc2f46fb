/*
 * cfjl-verify's bundle reader on arbitrary bytes: the tar stream, the
 * manifest JSON, the lot documents and their seals, the chain checks.
 * No trust anchor is given, so seals fail; parsing is what is fuzzed.
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
	struct bundle		 b;
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
	if (bundle_read_fp(&ctx, &b, "fuzz", fp) == 0) {
		chain_bundle(&ctx, &b);
		checkpointcheck_bundle(&ctx, &b);
	}
	bundle_free(&b);
	fclose(fp);
	report_reset();
	return 0;
}
