/*
 * Encryption of each trace for the regulator: CMS (RFC 5652), hybrid.
 * A fresh AES-256 key per trace (GCM as AuthEnvelopedData, RFC 5083, or
 * CBC as EnvelopedData), wrapped for the regulator's certificate with
 * RSA-OAEP (SHA-256, MGF1 SHA-256).  The result is DER, what
 * `openssl cms -decrypt -inform DER` reads.  The plaintext stays in
 * memory: nothing here writes a file.
 */
#include <sys/types.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/cms.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include "log.h"
#include "stored.h"

static X509		*crypt_cert;
static const EVP_CIPHER	*crypt_evp;
static char		 crypt_name[32];

static const char	*crypt_error(void);

static const char *
crypt_error(void)
{
	static char	 buf[256];
	unsigned long	 e;

	if ((e = ERR_get_error()) == 0)
		return "unknown error";
	ERR_error_string_n(e, buf, sizeof(buf));
	ERR_clear_error();
	return buf;
}

/* Read the regulator's certificate and choose the cipher; fatal on error. */
void
crypt_init(const char *certfile, const char *cipher)
{
	EVP_PKEY	*pkey;
	FILE		*fp;

	if (cipher == NULL || cipher[0] == '\0')
		cipher = "aes-256-gcm";
	if (strcmp(cipher, "aes-256-gcm") == 0)
		crypt_evp = EVP_aes_256_gcm();
	else if (strcmp(cipher, "aes-256-cbc") == 0)
		crypt_evp = EVP_aes_256_cbc();
	else
		fatalx("cipher %s: use aes-256-gcm or aes-256-cbc", cipher);
	strlcpy(crypt_name, cipher, sizeof(crypt_name));

	if ((fp = fopen(certfile, "r")) == NULL)
		fatal("regulator certificate %s", certfile);
	crypt_cert = PEM_read_X509(fp, NULL, NULL, NULL);
	fclose(fp);
	if (crypt_cert == NULL)
		fatalx("regulator certificate %s: %s", certfile, crypt_error());
	if ((pkey = X509_get0_pubkey(crypt_cert)) == NULL ||
	    EVP_PKEY_get_base_id(pkey) != EVP_PKEY_RSA)
		fatalx("regulator certificate %s: not an RSA key", certfile);
	if (EVP_PKEY_get_bits(pkey) < 2048)
		fatalx("regulator certificate %s: RSA key of %d bits, at "
		    "least 2048 needed", certfile, EVP_PKEY_get_bits(pkey));
}

const char *
crypt_cipher(void)
{
	return crypt_name;
}

/*
 * Encrypt len bytes; *out is a malloc'd DER CMS ContentInfo.  Returns
 * 0, or -1 with a log line (the trace is then refused, not stored).
 */
int
crypt_encrypt(const uint8_t *in, size_t len, uint8_t **out, size_t *outlen)
{
	CMS_ContentInfo		*cms = NULL;
	CMS_RecipientInfo	*ri;
	EVP_PKEY_CTX		*pctx;
	BIO			*bin = NULL;
	unsigned char		*der = NULL;
	int			 n, ret = -1;
	const unsigned int	 flags = CMS_BINARY | CMS_PARTIAL |
				    CMS_KEY_PARAM;

	*out = NULL;
	*outlen = 0;
	if (len > INT32_MAX)
		goto done;
	if ((bin = BIO_new_mem_buf(in, (int)len)) == NULL)
		goto done;
	if ((cms = CMS_encrypt(NULL, NULL, crypt_evp, flags)) == NULL)
		goto done;
	if ((ri = CMS_add1_recipient_cert(cms, crypt_cert, flags)) == NULL)
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
		goto done;
	memcpy(*out, der, n);
	*outlen = n;
	ret = 0;
 done:
	if (ret == -1)
		log_warnx("encryption for the regulator failed: %s",
		    crypt_error());
	OPENSSL_free(der);
	CMS_ContentInfo_free(cms);
	BIO_free(bin);
	return ret;
}
