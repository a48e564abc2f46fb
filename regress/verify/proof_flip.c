/*
 * A proof holds alone, and not with any byte of it changed: the proof
 * file is checked as "cfjl-verify proof" checks it (same code, in this
 * process to check thousands of variants quickly), then again with each
 * byte, or every stride-th, XORed with 0x01 and with 0xff.
 *
 *	proof_flip TRUST.pem PROOF [STRIDE]
 */
#include <err.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "verify.h"

static int
check(struct vctx *ctx, uint8_t *buf, size_t len)
{
	FILE	*fp;
	int	 rc;

	if ((fp = fmemopen(buf, len, "rb")) == NULL)
		err(2, "fmemopen");
	rc = proof_check(ctx, fp, "proof");
	fclose(fp);
	/* a failure reported without -1 would be a verdict lost */
	if (rc == 0 && report_failures() != 0)
		rc = -1;
	report_reset();
	return rc;
}

int
main(int argc, char *argv[])
{
	static const uint8_t masks[] = { 0x01, 0xff };
	struct vctx	 ctx;
	uint8_t		*buf;
	unsigned long	 flips = 0, accepted = 0;
	size_t		 len, off, stride = 1, k;
	FILE		*fp;
	long		 n;

	if (argc < 3)
		errx(2, "usage: proof_flip trust.pem proof [stride]");
	if (argc > 3)
		stride = strtoul(argv[3], NULL, 10);
	if ((fp = fopen(argv[2], "rb")) == NULL)
		err(2, "%s", argv[2]);
	fseek(fp, 0, SEEK_END);
	n = ftell(fp);
	rewind(fp);
	len = (size_t)n;
	if ((buf = malloc(len)) == NULL || fread(buf, 1, len, fp) != len)
		err(2, "%s", argv[2]);
	fclose(fp);

	memset(&ctx, 0, sizeof(ctx));
	ctx.trust_path = argv[1];
	report_init(1);
	if (xadescheck_init() == -1 || certs_trust_load(&ctx) == -1)
		errx(2, "cannot set up the checks");
	if (check(&ctx, buf, len) != 0) {
		printf("not ok - the untouched proof is refused\n");
		return 1;
	}
	printf("ok - the untouched proof holds\n");
	for (off = 0; off < len; off += stride) {
		for (k = 0; k < sizeof(masks); k++) {
			buf[off] ^= masks[k];
			flips++;
			if (check(&ctx, buf, len) == 0) {
				accepted++;
				printf("not ok - byte %zu ^ 0x%02x accepted\n",
				    off, masks[k]);
			}
			buf[off] ^= masks[k];
		}
	}
	printf("%lu flips of %zu bytes, %lu accepted\n", flips, len, accepted);
	sk_X509_pop_free(ctx.trust_certs, X509_free);
	X509_STORE_free(ctx.trust);
	free(buf);
	return accepted != 0;
}
