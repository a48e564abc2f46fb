/*
 * cfjl-verify's lot document reader on arbitrary bytes: the bounds
 * scanned before libxml2 (xmlbound.c), then the document, its entries
 * and its seal.  No certificate is given, so seals fail; reading is
 * what is fuzzed.
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
	struct vlot		 lot;

	if (!ready) {
		if (xadescheck_init() == -1)
			abort();
		ctx.trust = X509_STORE_new();
		ctx.trust_certs = sk_X509_new_null();
		report_init(1);
		ready = 1;
	}
	memset(&b, 0, sizeof(b));
	b.name = "fuzz";
	memset(&lot, 0, sizeof(lot));
	lot.file_numero = 1;
	strlcpy(lot.path, "lots/000000000001.xml", sizeof(lot.path));
	lotcheck_run(&ctx, &b, &lot, (const char *)data, len);
	lotcheck_free(&lot);
	report_reset();
	return 0;
}
