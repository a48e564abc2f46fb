/*
 * Encryption of each trace for the regulator: CMS (RFC 5652), hybrid.
 * AES-256 (GCM as AuthEnvelopedData, RFC 5083, or CBC as EnvelopedData)
 * under a content-encryption key (CEK) wrapped for the regulator's
 * certificate with RSA-OAEP (SHA-256, MGF1 SHA-256).  Each result is a
 * whole DER ContentInfo, what `openssl cms -decrypt -inform DER` reads on
 * its own.  The plaintext stays in memory: nothing here writes a file.
 *
 * One CEK serves a run of events, so that the RSA operation and the CMS
 * RecipientInfos are made once a run, not once an event; each event's
 * DER is that precomputed part plus its own content-encryption
 * parameters, ciphertext and tag, written here directly.
 *
 * Why reusing a CEK across events is sound:
 *  - Every event still carries the RecipientInfo with the CEK wrapped
 *    for the regulator: each .p7m decrypts alone, with the regulator's
 *    key only; nothing links events but the same wrapped key bytes.
 *  - GCM: the nonce is 12 bytes, 4 random bytes fixed for the CEK then a
 *    64-bit counter of the events under it (NIST SP 800-38D, 8.2.1, the
 *    deterministic construction), so no nonce repeats under one key.  A
 *    CEK lives at most CRYPT_CEK_EVENTS events and CRYPT_CEK_MS
 *    milliseconds, far below the 2^32 invocations that SP 800-38D
 *    allows, and a forked child never uses its parent's CEK (its
 *    counter would repeat nonces).  CBC: a fresh random IV each event,
 *    the usual use of one CBC key for many messages.
 *  - The CEK is made by the private DRBG and wiped as soon as it is
 *    wrapped and loaded; the cipher context that holds its schedule is
 *    reset (and so wiped) when the key is replaced.
 *  - What is given up: whoever learns one CEK (only the regulator can
 *    unwrap it, or a reader of stored's memory, who sees the clear
 *    traces anyway) reads the other events of its run.  A regulator
 *    that shows a third party one event should show the plaintext, not
 *    the CEK.
 */
#include <sys/types.h>

#include <endian.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include "log.h"
#include "crypt.h"

#define CRYPT_KEY_LEN		32	/* AES-256 */
#define CRYPT_GCM_NONCE		12
#define CRYPT_GCM_SALT		4	/* random, fixed for a CEK */
#define CRYPT_GCM_TAG		16
#define CRYPT_CBC_IV		16

/* The fixed DER pieces (OIDs with their tag and length). */
static const uint8_t oid_authenveloped[] = {	/* 1.2.840.113549.1.9.16.1.23 */
	0x06, 0x0b, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x09, 0x10,
	0x01, 0x17
};
static const uint8_t oid_enveloped[] = {	/* 1.2.840.113549.1.7.3 */
	0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x03
};
static const uint8_t oid_data[] = {		/* 1.2.840.113549.1.7.1 */
	0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x01
};
static const uint8_t oid_aes256gcm[] = {	/* 2.16.840.1.101.3.4.1.46 */
	0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x01, 0x2e
};
static const uint8_t oid_aes256cbc[] = {	/* 2.16.840.1.101.3.4.1.42 */
	0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x01, 0x2a
};
/* rsaesOaep, RSAES-OAEP-params { sha256, mgf1 sha256 }, as OpenSSL writes. */
static const uint8_t alg_oaep_sha256[] = {
	0x30, 0x38,
	0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x07,
	0x30, 0x2b,
	0xa0, 0x0d, 0x30, 0x0b,
	0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01,
	0xa1, 0x1a, 0x30, 0x18,
	0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x08,
	0x30, 0x0b,
	0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01
};
static const uint8_t der_version0[] = { 0x02, 0x01, 0x00 };

static struct {
	X509			*cert;
	EVP_PKEY_CTX		*pctx;		/* RSA-OAEP, for each CEK */
	const EVP_CIPHER	*evp;
	int			 gcm;
	char			 name[32];
	uint8_t			*rid;		/* IssuerAndSerialNumber */
	size_t			 ridlen;

	/* The current CEK. */
	int			 live;
	EVP_CIPHER_CTX		*ctx;		/* keyed: its schedule */
	uint8_t			*head;		/* version, RecipientInfos */
	size_t			 headlen;
	uint8_t			 salt[CRYPT_GCM_SALT];
	uint64_t		 count;		/* events under it */
	int64_t			 born_ms;
	uint64_t		 keys;		/* CEKs made */
} cr;

static const char	*crypt_error(void);
static void		 crypt_forked(void);
static int64_t		 crypt_mono_ms(void);
static int		 crypt_rekey(void);
static void		 crypt_drop(void);
static size_t		 der_hlen(size_t);
static uint8_t		*der_put(uint8_t *, uint8_t, size_t);

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

/* A child must never go on with the parent's CEK and nonce counter. */
static void
crypt_forked(void)
{
	cr.live = 0;
}

static int64_t
crypt_mono_ms(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Bytes of a DER tag and length for contents of len bytes. */
static size_t
der_hlen(size_t len)
{
	if (len < 0x80)
		return 2;
	if (len <= 0xff)
		return 3;
	if (len <= 0xffff)
		return 4;
	if (len <= 0xffffff)
		return 5;
	return 6;
}

static uint8_t *
der_put(uint8_t *p, uint8_t tag, size_t len)
{
	size_t	 n, i;

	*p++ = tag;
	if (len < 0x80) {
		*p++ = (uint8_t)len;
		return p;
	}
	n = der_hlen(len) - 2;
	*p++ = 0x80 | (uint8_t)n;
	for (i = n; i > 0; i--)
		*p++ = (uint8_t)(len >> (8 * (i - 1)));
	return p;
}

/* Read the regulator's certificate and choose the cipher; fatal on error. */
void
crypt_init(const char *certfile, const char *cipher)
{
	EVP_PKEY	*pkey;
	FILE		*fp;
	uint8_t		*p, *issuer = NULL, *serial = NULL;
	int		 ilen, slen;

	if (cipher == NULL || cipher[0] == '\0')
		cipher = "aes-256-gcm";
	if (strcmp(cipher, "aes-256-gcm") == 0) {
		cr.evp = EVP_aes_256_gcm();
		cr.gcm = 1;
	} else if (strcmp(cipher, "aes-256-cbc") == 0) {
		cr.evp = EVP_aes_256_cbc();
		cr.gcm = 0;
	} else
		fatalx("cipher %s: use aes-256-gcm or aes-256-cbc", cipher);
	strlcpy(cr.name, cipher, sizeof(cr.name));

	if ((fp = fopen(certfile, "r")) == NULL)
		fatal("regulator certificate %s", certfile);
	cr.cert = PEM_read_X509(fp, NULL, NULL, NULL);
	fclose(fp);
	if (cr.cert == NULL)
		fatalx("regulator certificate %s: %s", certfile, crypt_error());
	if ((pkey = X509_get0_pubkey(cr.cert)) == NULL ||
	    EVP_PKEY_get_base_id(pkey) != EVP_PKEY_RSA)
		fatalx("regulator certificate %s: not an RSA key", certfile);
	if (EVP_PKEY_get_bits(pkey) < 2048)
		fatalx("regulator certificate %s: RSA key of %d bits, at "
		    "least 2048 needed", certfile, EVP_PKEY_get_bits(pkey));

	if ((cr.pctx = EVP_PKEY_CTX_new(pkey, NULL)) == NULL ||
	    EVP_PKEY_encrypt_init(cr.pctx) <= 0 ||
	    EVP_PKEY_CTX_set_rsa_padding(cr.pctx, RSA_PKCS1_OAEP_PADDING) <= 0 ||
	    EVP_PKEY_CTX_set_rsa_oaep_md(cr.pctx, EVP_sha256()) <= 0 ||
	    EVP_PKEY_CTX_set_rsa_mgf1_md(cr.pctx, EVP_sha256()) <= 0)
		fatalx("RSA-OAEP for the regulator: %s", crypt_error());
	if ((cr.ctx = EVP_CIPHER_CTX_new()) == NULL)
		fatalx("cipher context: %s", crypt_error());

	/* The recipient: IssuerAndSerialNumber of the certificate. */
	if ((ilen = i2d_X509_NAME(X509_get_issuer_name(cr.cert),
	    &issuer)) <= 0 ||
	    (slen = i2d_ASN1_INTEGER(
	    (ASN1_INTEGER *)X509_get0_serialNumber(cr.cert), &serial)) <= 0)
		fatalx("regulator certificate %s: %s", certfile,
		    crypt_error());
	cr.ridlen = der_hlen(ilen + slen) + ilen + slen;
	if ((cr.rid = malloc(cr.ridlen)) == NULL)
		fatal(NULL);
	p = der_put(cr.rid, 0x30, ilen + slen);
	memcpy(p, issuer, ilen);
	memcpy(p + ilen, serial, slen);
	OPENSSL_free(issuer);
	OPENSSL_free(serial);

	cr.live = 0;
	if (pthread_atfork(NULL, NULL, crypt_forked) != 0)
		fatalx("%s: pthread_atfork failed", __func__);
}

const char *
crypt_cipher(void)
{
	return cr.name;
}

uint64_t
crypt_keys(void)
{
	return cr.keys;
}

/* Forget the current CEK: its schedule is wiped with the context. */
static void
crypt_drop(void)
{
	if (cr.ctx != NULL)
		EVP_CIPHER_CTX_reset(cr.ctx);
	free(cr.head);
	cr.head = NULL;
	cr.headlen = 0;
	cr.live = 0;
}

/*
 * A fresh CEK: wrapped for the regulator (the one RSA operation of the
 * run), the CMS part that does not change from event to event written
 * out, and the cipher keyed.  The CEK itself is wiped at once.
 */
static int
crypt_rekey(void)
{
	uint8_t		 cek[CRYPT_KEY_LEN], *ek = NULL, *p;
	size_t		 eklen = 0, ktri, set;
	int		 ret = -1;

	crypt_drop();
	if (RAND_priv_bytes(cek, sizeof(cek)) != 1 ||
	    RAND_bytes(cr.salt, sizeof(cr.salt)) != 1)
		goto done;
	if (EVP_PKEY_encrypt(cr.pctx, NULL, &eklen, cek, sizeof(cek)) <= 0)
		goto done;
	if ((ek = malloc(eklen)) == NULL)
		fatal(NULL);
	if (EVP_PKEY_encrypt(cr.pctx, ek, &eklen, cek, sizeof(cek)) <= 0)
		goto done;
	if (EVP_EncryptInit_ex(cr.ctx, cr.evp, NULL, cek, NULL) != 1)
		goto done;

	/* CMSVersion 0, then SET OF one KeyTransRecipientInfo. */
	ktri = sizeof(der_version0) + cr.ridlen + sizeof(alg_oaep_sha256) +
	    der_hlen(eklen) + eklen;
	set = der_hlen(ktri) + ktri;
	cr.headlen = sizeof(der_version0) + der_hlen(set) + set;
	if ((cr.head = malloc(cr.headlen)) == NULL)
		fatal(NULL);
	p = cr.head;
	memcpy(p, der_version0, sizeof(der_version0));
	p += sizeof(der_version0);
	p = der_put(p, 0x31, set);
	p = der_put(p, 0x30, ktri);
	memcpy(p, der_version0, sizeof(der_version0));
	p += sizeof(der_version0);
	memcpy(p, cr.rid, cr.ridlen);
	p += cr.ridlen;
	memcpy(p, alg_oaep_sha256, sizeof(alg_oaep_sha256));
	p += sizeof(alg_oaep_sha256);
	p = der_put(p, 0x04, eklen);
	memcpy(p, ek, eklen);

	cr.count = 0;
	cr.born_ms = crypt_mono_ms();
	cr.keys++;
	cr.live = 1;
	ret = 0;
 done:
	OPENSSL_cleanse(cek, sizeof(cek));
	free(ek);
	if (ret == -1)
		crypt_drop();
	return ret;
}

/*
 * Encrypt len bytes; *out is a malloc'd DER CMS ContentInfo.  Returns
 * 0, or -1 with a log line (the trace is then refused, not stored).
 */
int
crypt_encrypt(const uint8_t *in, size_t len, uint8_t **out, size_t *outlen)
{
	uint8_t		 iv[CRYPT_CBC_IV], *buf = NULL, *p, *ct;
	uint64_t	 be;
	size_t		 ivlen, ctlen, params, alg, eci, ecilen, mac, aed;
	size_t		 wrap, ci, total;
	int		 n, fin;

	*out = NULL;
	*outlen = 0;
	if (len > INT32_MAX - 2 * CRYPT_CBC_IV)
		goto fail;
	if (!cr.live || cr.count >= CRYPT_CEK_EVENTS ||
	    crypt_mono_ms() - cr.born_ms >= CRYPT_CEK_MS) {
		if (crypt_rekey() == -1)
			goto fail;
	}

	if (cr.gcm) {
		ivlen = CRYPT_GCM_NONCE;
		memcpy(iv, cr.salt, CRYPT_GCM_SALT);
		be = htobe64(cr.count);
		memcpy(iv + CRYPT_GCM_SALT, &be, sizeof(be));
		ctlen = len;
		/* GCMParameters { aes-nonce, aes-ICVlen 16 } */
		params = 2 + 2 + CRYPT_GCM_NONCE + 3;
		mac = 2 + CRYPT_GCM_TAG;
	} else {
		ivlen = CRYPT_CBC_IV;
		if (RAND_bytes(iv, CRYPT_CBC_IV) != 1)
			goto fail;
		ctlen = (len / CRYPT_CBC_IV + 1) * CRYPT_CBC_IV;
		params = 2 + CRYPT_CBC_IV;	/* the IV, an OCTET STRING */
		mac = 0;
	}
	/* The IV is used once: the counter moves even if this fails. */
	cr.count++;

	alg = sizeof(oid_aes256gcm) + params;
	ecilen = sizeof(oid_data) + der_hlen(alg) + alg + der_hlen(ctlen) +
	    ctlen;
	eci = der_hlen(ecilen) + ecilen;
	aed = cr.headlen + eci + mac;
	wrap = der_hlen(aed) + aed;
	ci = (cr.gcm ? sizeof(oid_authenveloped) : sizeof(oid_enveloped)) +
	    der_hlen(wrap) + wrap;
	total = der_hlen(ci) + ci;
	if ((buf = malloc(total)) == NULL)
		fatal(NULL);

	/* ContentInfo { contentType, [0] EXPLICIT (Auth)EnvelopedData } */
	p = der_put(buf, 0x30, ci);
	if (cr.gcm) {
		memcpy(p, oid_authenveloped, sizeof(oid_authenveloped));
		p += sizeof(oid_authenveloped);
	} else {
		memcpy(p, oid_enveloped, sizeof(oid_enveloped));
		p += sizeof(oid_enveloped);
	}
	p = der_put(p, 0xa0, wrap);
	p = der_put(p, 0x30, aed);
	memcpy(p, cr.head, cr.headlen);
	p += cr.headlen;
	/* EncryptedContentInfo { id-data, algorithm, [0] IMPLICIT content } */
	p = der_put(p, 0x30, ecilen);
	memcpy(p, oid_data, sizeof(oid_data));
	p += sizeof(oid_data);
	p = der_put(p, 0x30, alg);
	if (cr.gcm) {
		memcpy(p, oid_aes256gcm, sizeof(oid_aes256gcm));
		p += sizeof(oid_aes256gcm);
		p = der_put(p, 0x30, params - 2);
		p = der_put(p, 0x04, ivlen);
		memcpy(p, iv, ivlen);
		p += ivlen;
		*p++ = 0x02;
		*p++ = 0x01;
		*p++ = CRYPT_GCM_TAG;
	} else {
		memcpy(p, oid_aes256cbc, sizeof(oid_aes256cbc));
		p += sizeof(oid_aes256cbc);
		p = der_put(p, 0x04, ivlen);
		memcpy(p, iv, ivlen);
		p += ivlen;
	}
	p = der_put(p, 0x80, ctlen);
	ct = p;

	/* The key stays; only the IV changes. */
	if (EVP_EncryptInit_ex(cr.ctx, NULL, NULL, NULL, iv) != 1)
		goto fail;
	if (EVP_EncryptUpdate(cr.ctx, ct, &n, in, (int)len) != 1)
		goto fail;
	if (EVP_EncryptFinal_ex(cr.ctx, ct + n, &fin) != 1 ||
	    (size_t)n + fin != ctlen)
		goto fail;
	p = ct + ctlen;
	if (cr.gcm) {
		/* MessageAuthenticationCode: the GCM tag. */
		p = der_put(p, 0x04, CRYPT_GCM_TAG);
		if (EVP_CIPHER_CTX_ctrl(cr.ctx, EVP_CTRL_GCM_GET_TAG,
		    CRYPT_GCM_TAG, p) != 1)
			goto fail;
		p += CRYPT_GCM_TAG;
	}
	if ((size_t)(p - buf) != total)
		fatalx("%s: CMS of %zu bytes, %zu written", __func__, total,
		    (size_t)(p - buf));
	*out = buf;
	*outlen = total;
	return 0;
 fail:
	log_warnx("encryption for the regulator failed: %s", crypt_error());
	free(buf);
	/* A context in an unknown state is not used again. */
	crypt_drop();
	return -1;
}
