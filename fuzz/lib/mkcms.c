/*
 * Seeds of verify_cms: the regulator's samples encrypted the way stored
 * encrypts them (stored/crypt.c), to the test key of lib/regulator.pem,
 * with each cipher stored offers.  Each run draws new content keys: the
 * files differ from one run to the next, so they are written once and
 * kept.
 *
 *	mkcms corpusdir/verify_cms samplesdir sample ...
 */
#include <err.h>
#include <stdio.h>
#include <stdlib.h>

#include "log.h"
#include "../../stored/stored.h"

int
main(int argc, char *argv[])
{
	const char	*ciphers[] = { "aes-256-gcm", "aes-256-cbc" };
	char		 path[1024];
	uint8_t		*in, *out;
	size_t		 inlen, outlen;
	long		 n;
	FILE		*fp;
	int		 c, i;

	if (argc < 4)
		errx(2, "usage: mkcms outdir samplesdir sample ...");
	log_init(1, 0, 0);
	for (c = 0; c < 2; c++) {
		crypt_init("lib/regulator.pem", ciphers[c]);
		for (i = 3; i < argc; i++) {
			snprintf(path, sizeof(path), "%s/%s.xml", argv[2],
			    argv[i]);
			if ((fp = fopen(path, "rb")) == NULL)
				err(1, "%s", path);
			fseek(fp, 0, SEEK_END);
			n = ftell(fp);
			rewind(fp);
			inlen = n;
			if ((in = malloc(inlen)) == NULL ||
			    fread(in, 1, inlen, fp) != inlen)
				err(1, "%s", path);
			fclose(fp);
			if (crypt_encrypt(in, inlen, &out, &outlen) == -1)
				errx(1, "%s: not encrypted", path);
			snprintf(path, sizeof(path), "%s/%s-%s.p7m", argv[1],
			    argv[i], ciphers[c] + 8);
			if ((fp = fopen(path, "wb")) == NULL ||
			    fwrite(out, 1, outlen, fp) != outlen ||
			    fclose(fp) == EOF)
				err(1, "%s", path);
			free(in);
			free(out);
		}
	}
	return 0;
}
