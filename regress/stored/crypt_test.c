/*
 * Drives stored's trace numbering and encryption from the shell tests:
 *
 *	crypt_test encrypt CERT CIPHER <trace >p7m
 *	crypt_test series CERT CIPHER N PREFIX <trace	N events in one
 *		process, the first and last three written as PREFIX.i
 *		(unless PREFIX is -); prints the CEKs made
 *	crypt_test aged CERT CIPHER <trace	two events, the key's age
 *		limit apart; prints the CEKs made
 *	crypt_test reference CERT CIPHER <trace >p7m	OpenSSL's own CMS API,
 *		a fresh key per event: what stored did before
 *	crypt_test time CERT CIPHER N <trace	microseconds an event, stored's
 *		encryption and the reference
 *	crypt_test number OFF LEN IDEVT <trace >numbered
 */
#include <sys/types.h>

#include <err.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/cms.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include "log.h"
#include "crypt.h"
#include "tracenum.h"

static uint8_t	*slurp(size_t *);
static void	 spill(const uint8_t *, size_t);
static int	 reference(const char *, const char *, const uint8_t *, size_t,
		    uint8_t **, size_t *);
static double	 now_us(void);

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

/* The CMS API path, a fresh key and RSA operation an event. */
static int
reference(const char *certfile, const char *cipher, const uint8_t *in,
    size_t len, uint8_t **out, size_t *outlen)
{
	static X509		*cert;
	CMS_ContentInfo		*cms = NULL;
	CMS_RecipientInfo	*ri;
	EVP_PKEY_CTX		*pctx;
	BIO			*bin = NULL;
	FILE			*fp;
	unsigned char		*der = NULL;
	int			 n, ret = -1;
	const unsigned int	 flags = CMS_BINARY | CMS_PARTIAL |
				    CMS_KEY_PARAM;

	if (cert == NULL) {
		if ((fp = fopen(certfile, "r")) == NULL)
			err(1, "%s", certfile);
		if ((cert = PEM_read_X509(fp, NULL, NULL, NULL)) == NULL)
			errx(1, "%s: no certificate", certfile);
		fclose(fp);
	}
	if ((bin = BIO_new_mem_buf(in, (int)len)) == NULL)
		goto done;
	if ((cms = CMS_encrypt(NULL, NULL, strcmp(cipher, "aes-256-cbc") == 0 ?
	    EVP_aes_256_cbc() : EVP_aes_256_gcm(), flags)) == NULL)
		goto done;
	if ((ri = CMS_add1_recipient_cert(cms, cert, flags)) == NULL)
		goto done;
	if ((pctx = CMS_RecipientInfo_get0_pkey_ctx(ri)) == NULL ||
	    EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_OAEP_PADDING) <= 0 ||
	    EVP_PKEY_CTX_set_rsa_oaep_md(pctx, EVP_sha256()) <= 0 ||
	    EVP_PKEY_CTX_set_rsa_mgf1_md(pctx, EVP_sha256()) <= 0)
		goto done;
	if (CMS_final(cms, bin, NULL, CMS_BINARY) != 1)
		goto done;
	if ((n = i2d_CMS_ContentInfo(cms, &der)) <= 0)
		goto done;
	if ((*out = malloc(n)) == NULL)
		err(1, NULL);
	memcpy(*out, der, n);
	*outlen = n;
	ret = 0;
 done:
	OPENSSL_free(der);
	CMS_ContentInfo_free(cms);
	BIO_free(bin);
	return ret;
}

static double
now_us(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

int
main(int argc, char *argv[])
{
	uint8_t		*in, *out;
	size_t		 inlen, outlen;
	const char	*e;
	char		 path[1024];
	FILE		*fp;
	double		 t0, t1, t2;
	long long	 i, n;

	log_init(1, 0, 0);
	log_procinit("crypt_test");
	if (argc == 4 && strcmp(argv[1], "encrypt") == 0) {
		crypt_init(argv[2], argv[3]);
		in = slurp(&inlen);
		if (crypt_encrypt(in, inlen, &out, &outlen) == -1)
			errx(1, "encryption failed");
		spill(out, outlen);
	} else if (argc == 6 && strcmp(argv[1], "series") == 0) {
		n = strtonum(argv[4], 1, 1000000, &e);
		if (e != NULL)
			errx(1, "count %s", e);
		crypt_init(argv[2], argv[3]);
		in = slurp(&inlen);
		out = NULL;
		for (i = 0; i < n; i++) {
			free(out);
			if (crypt_encrypt(in, inlen, &out, &outlen) == -1)
				errx(1, "encryption failed");
			if (strcmp(argv[5], "-") == 0 || (i >= 3 && i < n - 3))
				continue;
			snprintf(path, sizeof(path), "%s.%lld", argv[5], i);
			if ((fp = fopen(path, "w")) == NULL)
				err(1, "%s", path);
			if (fwrite(out, 1, outlen, fp) != outlen ||
			    fclose(fp) != 0)
				err(1, "%s", path);
		}
		printf("keys=%llu\n", (unsigned long long)crypt_keys());
	} else if (argc == 4 && strcmp(argv[1], "aged") == 0) {
		crypt_init(argv[2], argv[3]);
		in = slurp(&inlen);
		if (crypt_encrypt(in, inlen, &out, &outlen) == -1)
			errx(1, "encryption failed");
		free(out);
		usleep((CRYPT_CEK_MS + 50) * 1000);
		if (crypt_encrypt(in, inlen, &out, &outlen) == -1)
			errx(1, "encryption failed");
		printf("keys=%llu\n", (unsigned long long)crypt_keys());
	} else if (argc == 4 && strcmp(argv[1], "reference") == 0) {
		in = slurp(&inlen);
		if (reference(argv[2], argv[3], in, inlen, &out, &outlen) == -1)
			errx(1, "encryption failed");
		spill(out, outlen);
	} else if (argc == 5 && strcmp(argv[1], "time") == 0) {
		n = strtonum(argv[4], 1, 10000000, &e);
		if (e != NULL)
			errx(1, "count %s", e);
		crypt_init(argv[2], argv[3]);
		in = slurp(&inlen);
		out = NULL;
		t0 = now_us();
		for (i = 0; i < n; i++) {
			free(out);
			if (crypt_encrypt(in, inlen, &out, &outlen) == -1)
				errx(1, "encryption failed");
		}
		t1 = now_us();
		for (i = 0; i < n; i++) {
			free(out);
			if (reference(argv[2], argv[3], in, inlen, &out,
			    &outlen) == -1)
				errx(1, "encryption failed");
		}
		t2 = now_us();
		printf("%zu bytes, %lld events: stored %.2f us/event, "
		    "CMS API %.2f us/event, %llu keys\n", inlen, n,
		    (t1 - t0) / n, (t2 - t1) / n,
		    (unsigned long long)crypt_keys());
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
		if (tracenum_write(in, inlen, off, len, idevt, &out,
		    &outlen) == -1)
			errx(3, "range outside the trace");
		spill(out, outlen);
	} else {
		fprintf(stderr, "usage: crypt_test encrypt cert cipher\n"
		    "       crypt_test series cert cipher n prefix\n"
		    "       crypt_test aged cert cipher\n"
		    "       crypt_test reference cert cipher\n"
		    "       crypt_test time cert cipher n\n"
		    "       crypt_test number off len idevt\n");
		return 2;
	}
	free(in);
	free(out);
	return 0;
}
