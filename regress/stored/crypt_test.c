/*
 * Drives stored's trace numbering and encryption from the shell tests:
 *
 *	crypt_test encrypt CERT CIPHER <trace >p7m
 *	crypt_test number OFF LEN IDEVT <trace >numbered
 */
#include <sys/types.h>

#include <err.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "stored.h"

static uint8_t	*slurp(size_t *);
static void	 spill(const uint8_t *, size_t);

static uint8_t *
slurp(size_t *len)
{
	uint8_t	*buf = NULL, *nbuf;
	size_t	 cap = 0;
	ssize_t	 n;

	*len = 0;
	for (;;) {
		if (*len == cap) {
			cap = cap ? cap * 2 : 4096;
			if ((nbuf = realloc(buf, cap)) == NULL)
				err(1, "realloc");
			buf = nbuf;
		}
		if ((n = read(STDIN_FILENO, buf + *len, cap - *len)) == -1)
			err(1, "read");
		if (n == 0)
			return buf;
		*len += n;
	}
}

static void
spill(const uint8_t *buf, size_t len)
{
	if (fwrite(buf, 1, len, stdout) != len || fflush(stdout) != 0)
		err(1, "write");
}

int
main(int argc, char *argv[])
{
	uint8_t		*in, *out;
	size_t		 inlen, outlen;
	const char	*e;

	log_init(1, 0, 0);
	log_procinit("crypt_test");
	if (argc == 4 && strcmp(argv[1], "encrypt") == 0) {
		crypt_init(argv[2], argv[3]);
		in = slurp(&inlen);
		if (crypt_encrypt(in, inlen, &out, &outlen) == -1)
			errx(1, "encryption failed");
		spill(out, outlen);
	} else if (argc == 5 && strcmp(argv[1], "number") == 0) {
		uint32_t off, len;
		uint64_t idevt;

		off = strtonum(argv[2], 0, UINT32_MAX, &e);
		if (e != NULL)
			errx(1, "offset %s", e);
		len = strtonum(argv[3], 0, UINT32_MAX, &e);
		if (e != NULL)
			errx(1, "length %s", e);
		idevt = strtonum(argv[4], 1, INT64_MAX, &e);
		if (e != NULL)
			errx(1, "idevt %s", e);
		in = slurp(&inlen);
		if (trace_number(in, inlen, off, len, idevt, &out,
		    &outlen) == -1)
			errx(3, "range outside the trace");
		spill(out, outlen);
	} else {
		fprintf(stderr, "usage: crypt_test encrypt cert cipher\n"
		    "       crypt_test number off len idevt\n");
		return 2;
	}
	free(in);
	free(out);
	return 0;
}
