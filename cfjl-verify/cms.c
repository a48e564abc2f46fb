/*
 * Decryption of event files without redoing the RSA operation for each.
 * stored wraps one content-encryption key (CEK) for a run of events, so
 * their RecipientInfos are byte for byte the same: the unwrapped CEK is
 * cached under the exact bytes of the KeyTransRecipientInfo (version,
 * recipient, key-encryption algorithm and encryptedKey), and each event
 * costs one AES pass.
 *
 * Only the exact shape stored writes is read here, parsed strictly as
 * DER and bounded by the file: ContentInfo of AuthEnvelopedData
 * (AES-256-GCM, 12-byte nonce, 16-byte tag, no attributes) or of
 * EnvelopedData (AES-256-CBC), one KeyTransRecipientInfo (version 0,
 * IssuerAndSerialNumber, RSA-OAEP with SHA-256 and MGF1 SHA-256),
 * definite primitive content.  Anything else is left to OpenSSL's CMS
 * code (event.c).  The GCM tag is always checked.
 *
 * The cache (struct cms_fast) is shared by the checking threads, under a
 * lock held across an unwrap so that a key is unwrapped once; each
 * thread decrypts with its own cipher context (struct cms_dec).
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include "verify.h"

#define CEK_LEN		32
#define CEK_CACHE	16
#define GCM_NONCE	12
#define GCM_TAG		16
#define CBC_IV		16

static const uint8_t oid_authenveloped[] = {
	0x06, 0x0b, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x09, 0x10,
	0x01, 0x17
};
static const uint8_t oid_enveloped[] = {
	0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x03
};
static const uint8_t oid_data[] = {
	0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x01
};
static const uint8_t oid_aes256gcm[] = {
	0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x01, 0x2e
};
static const uint8_t oid_aes256cbc[] = {
	0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x01, 0x2a
};
/* AlgorithmIdentifier rsaesOaep { sha256, mgf1 sha256 }, DER */
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
static const uint8_t der_v0[] = { 0x02, 0x01, 0x00 };
static const uint8_t der_icv16[] = { 0x02, 0x01, GCM_TAG };

/* a DER element: its tag, where its contents start, how long they are */
struct der {
	const uint8_t	*p;		/* the contents */
	size_t		 len;
	const uint8_t	*end;		/* just after the element */
};

struct cek {
	uint8_t		*ktri;		/* the cache key, exact bytes */
	size_t		 ktrilen;
	int		 ok;		/* 0: the RSA decryption failed */
	uint8_t		 key[CEK_LEN];
	uint64_t	 used;		/* for eviction */
};

struct cms_fast {
	pthread_mutex_t	 lock;		/* the cache, pctx, counters */
	EVP_PKEY_CTX	*pctx;		/* RSA-OAEP SHA-256 decryption */
	EVP_CIPHER	*gcm, *cbc;
	uint8_t		*rid;		/* our certificate's issuer+serial */
	size_t		 ridlen;
	struct cek	 cache[CEK_CACHE];
	uint64_t	 tick;
	uint64_t	 unwraps;	/* RSA operations done */
};

/* one thread's decryption */
struct cms_dec {
	struct cms_fast	*f;
	EVP_CIPHER_CTX	*cctx;
	int		 loaded;	/* cctx holds key, for the cipher */
	int		 loaded_gcm;
	uint8_t		 key[CEK_LEN];
	uint8_t		*out;
	size_t		 outcap;
};

static int	 der_get(const uint8_t *, const uint8_t *, uint8_t,
		    struct der *);
static int	 der_fixed(const uint8_t **, const uint8_t *,
		    const uint8_t *, size_t);
static int	 cek_get(struct cms_fast *, const uint8_t *, size_t,
		    const uint8_t *, size_t, uint8_t *);
static int	 rid_make(struct cms_fast *, X509 *);

/*
 * One element with the given tag at p (within end): DER definite length,
 * minimally encoded, at most 4 length bytes.  -1 if it is not there.
 */
static int
der_get(const uint8_t *p, const uint8_t *end, uint8_t tag, struct der *d)
{
	size_t	 len, n, i;

	if (end - p < 2 || p[0] != tag)
		return (-1);
	p++;
	if (*p < 0x80)
		len = *p++;
	else {
		n = *p++ & 0x7f;
		if (n == 0 || n > 4 || (size_t)(end - p) < n || *p == 0)
			return (-1);
		for (len = 0, i = 0; i < n; i++)
			len = (len << 8) | *p++;
		if (len < 0x80)
			return (-1);	/* not minimal */
	}
	if (len > (size_t)(end - p))
		return (-1);
	d->p = p;
	d->len = len;
	d->end = p + len;
	return (0);
}

/* Exactly these bytes at *p; moves past them. */
static int
der_fixed(const uint8_t **p, const uint8_t *end, const uint8_t *want,
    size_t len)
{
	if ((size_t)(end - *p) < len || memcmp(*p, want, len) != 0)
		return (-1);
	*p += len;
	return (0);
}

static int
rid_make(struct cms_fast *f, X509 *cert)
{
	uint8_t		*issuer = NULL, *serial = NULL, *p;
	int		 ilen, slen;
	size_t		 body, hl;

	if ((ilen = i2d_X509_NAME(X509_get_issuer_name(cert), &issuer)) <= 0 ||
	    (slen = i2d_ASN1_INTEGER((ASN1_INTEGER *)
	    X509_get0_serialNumber(cert), &serial)) <= 0) {
		OPENSSL_free(issuer);
		return (-1);
	}
	body = (size_t)ilen + (size_t)slen;
	hl = body < 0x80 ? 2 : body < 0x100 ? 3 : body < 0x10000 ? 4 : 5;
	f->ridlen = hl + body;
	f->rid = xcalloc(1, f->ridlen);
	p = f->rid;
	*p++ = 0x30;
	if (body < 0x80)
		*p++ = body;
	else if (body < 0x100) {
		*p++ = 0x81;
		*p++ = body;
	} else if (body < 0x10000) {
		*p++ = 0x82;
		*p++ = body >> 8;
		*p++ = body & 0xff;
	} else {
		*p++ = 0x83;
		*p++ = body >> 16;
		*p++ = (body >> 8) & 0xff;
		*p++ = body & 0xff;
	}
	memcpy(p, issuer, ilen);
	memcpy(p + ilen, serial, slen);
	OPENSSL_free(issuer);
	OPENSSL_free(serial);
	return (0);
}

struct cms_fast *
cms_fast_new(EVP_PKEY *key, X509 *cert)
{
	struct cms_fast	*f;

	if (EVP_PKEY_get_base_id(key) != EVP_PKEY_RSA)
		return (NULL);
	f = xcalloc(1, sizeof(*f));
	if (pthread_mutex_init(&f->lock, NULL) != 0) {
		free(f);
		return (NULL);
	}
	if ((f->pctx = EVP_PKEY_CTX_new(key, NULL)) == NULL ||
	    EVP_PKEY_decrypt_init(f->pctx) <= 0 ||
	    EVP_PKEY_CTX_set_rsa_padding(f->pctx, RSA_PKCS1_OAEP_PADDING) <= 0 ||
	    EVP_PKEY_CTX_set_rsa_oaep_md(f->pctx, EVP_sha256()) <= 0 ||
	    EVP_PKEY_CTX_set_rsa_mgf1_md(f->pctx, EVP_sha256()) <= 0 ||
	    (f->gcm = EVP_CIPHER_fetch(NULL, "AES-256-GCM", NULL)) == NULL ||
	    (f->cbc = EVP_CIPHER_fetch(NULL, "AES-256-CBC", NULL)) == NULL ||
	    (cert != NULL && rid_make(f, cert) == -1)) {
		ERR_clear_error();
		cms_fast_free(f);
		return (NULL);
	}
	return (f);
}

void
cms_fast_free(struct cms_fast *f)
{
	size_t	 i;

	if (f == NULL)
		return;
	for (i = 0; i < CEK_CACHE; i++) {
		free(f->cache[i].ktri);
		OPENSSL_cleanse(f->cache[i].key, CEK_LEN);
	}
	EVP_PKEY_CTX_free(f->pctx);
	EVP_CIPHER_free(f->gcm);
	EVP_CIPHER_free(f->cbc);
	free(f->rid);
	pthread_mutex_destroy(&f->lock);
	free(f);
}

uint64_t
cms_fast_unwraps(struct cms_fast *f)
{
	uint64_t	 n;

	if (f == NULL)
		return (0);
	pthread_mutex_lock(&f->lock);
	n = f->unwraps;
	pthread_mutex_unlock(&f->lock);
	return (n);
}

struct cms_dec *
cms_dec_new(struct cms_fast *f)
{
	struct cms_dec	*d;

	if (f == NULL)
		return (NULL);
	d = xcalloc(1, sizeof(*d));
	d->f = f;
	if ((d->cctx = EVP_CIPHER_CTX_new()) == NULL) {
		free(d);
		return (NULL);
	}
	return (d);
}

void
cms_dec_free(struct cms_dec *d)
{
	if (d == NULL)
		return;
	EVP_CIPHER_CTX_free(d->cctx);
	OPENSSL_cleanse(d->key, sizeof(d->key));
	free(d->out);
	free(d);
}

/*
 * The CEK of this KeyTransRecipientInfo (ktri, whole element) into key,
 * from the cache or by one RSA-OAEP decryption of ek: 1, or 0 if the
 * regulator key does not open it (remembered too).
 */
static int
cek_get(struct cms_fast *f, const uint8_t *ktri, size_t ktrilen,
    const uint8_t *ek, size_t eklen, uint8_t *key)
{
	struct cek	*c, *victim = &f->cache[0];
	uint8_t		 buf[1024];
	size_t		 i, outlen;
	int		 ok;

	pthread_mutex_lock(&f->lock);
	f->tick++;
	for (i = 0; i < CEK_CACHE; i++) {
		c = &f->cache[i];
		if (c->ktri != NULL && c->ktrilen == ktrilen &&
		    memcmp(c->ktri, ktri, ktrilen) == 0) {
			c->used = f->tick;
			goto found;
		}
		if (c->used < victim->used)
			victim = c;
	}
	c = victim;
	free(c->ktri);
	c->ktri = xcalloc(1, ktrilen);
	memcpy(c->ktri, ktri, ktrilen);
	c->ktrilen = ktrilen;
	c->used = f->tick;
	c->ok = 0;
	f->unwraps++;
	outlen = sizeof(buf);
	if (EVP_PKEY_decrypt(f->pctx, buf, &outlen, ek, eklen) > 0 &&
	    outlen == CEK_LEN) {
		memcpy(c->key, buf, CEK_LEN);
		c->ok = 1;
	}
	OPENSSL_cleanse(buf, sizeof(buf));
	ERR_clear_error();
 found:
	if ((ok = c->ok))
		memcpy(key, c->key, CEK_LEN);
	pthread_mutex_unlock(&f->lock);
	return (ok);
}

/*
 * Decrypt one event file.  1: *plain (valid until the next call) holds
 * *plen bytes; 0: not the shape read here, use the CMS code; -1: it is
 * that shape but does not decrypt (why says what).
 */
int
cms_fast_decrypt(struct cms_dec *d, const uint8_t *der, size_t len,
    const uint8_t **plain, size_t *plen, char *why, size_t whylen)
{
	struct cms_fast	*f = d->f;
	struct der	 ci, w, env, set, ktri, ek, eci, alg, par, iv, ct, mac;
	const uint8_t	*p, *end = der + len, *rid;
	uint8_t		 key[CEK_LEN];
	int		 gcm, n, fin;
	size_t		 ridlen;

	/* ContentInfo { contentType, [0] EXPLICIT content }, nothing after */
	if (der_get(der, end, 0x30, &ci) == -1 || ci.end != end)
		return (0);
	p = ci.p;
	if (der_fixed(&p, ci.end, oid_authenveloped,
	    sizeof(oid_authenveloped)) == 0)
		gcm = 1;
	else if (der_fixed(&p, ci.end, oid_enveloped,
	    sizeof(oid_enveloped)) == 0)
		gcm = 0;
	else
		return (0);
	if (der_get(p, ci.end, 0xa0, &w) == -1 || w.end != ci.end ||
	    der_get(w.p, w.end, 0x30, &env) == -1 || env.end != w.end)
		return (0);
	p = env.p;
	/* version 0, no originatorInfo, one KeyTransRecipientInfo */
	if (der_fixed(&p, env.end, der_v0, sizeof(der_v0)) == -1 ||
	    der_get(p, env.end, 0x31, &set) == -1 ||
	    der_get(set.p, set.end, 0x30, &ktri) == -1 || ktri.end != set.end)
		return (0);
	p = ktri.p;
	if (der_fixed(&p, ktri.end, der_v0, sizeof(der_v0)) == -1 ||
	    der_get(p, ktri.end, 0x30, &w) == -1)
		return (0);
	rid = p;
	ridlen = w.end - p;
	p = w.end;
	if (der_fixed(&p, ktri.end, alg_oaep_sha256,
	    sizeof(alg_oaep_sha256)) == -1 ||
	    der_get(p, ktri.end, 0x04, &ek) == -1 || ek.end != ktri.end ||
	    ek.len == 0)
		return (0);
	/* a recipient that is not our certificate: the CMS code decides */
	if (f->rid != NULL && (ridlen != f->ridlen ||
	    memcmp(rid, f->rid, ridlen) != 0))
		return (0);

	/* EncryptedContentInfo { id-data, algorithm, [0] IMPLICIT octets } */
	if (der_get(set.end, env.end, 0x30, &eci) == -1)
		return (0);
	p = eci.p;
	if (der_fixed(&p, eci.end, oid_data, sizeof(oid_data)) == -1 ||
	    der_get(p, eci.end, 0x30, &alg) == -1)
		return (0);
	p = alg.p;
	if (gcm) {
		/* GCMParameters { nonce 12 bytes, ICV length 16 } */
		if (der_fixed(&p, alg.end, oid_aes256gcm,
		    sizeof(oid_aes256gcm)) == -1 ||
		    der_get(p, alg.end, 0x30, &par) == -1 ||
		    par.end != alg.end ||
		    der_get(par.p, par.end, 0x04, &iv) == -1 ||
		    iv.len != GCM_NONCE || (p = iv.end,
		    der_fixed(&p, par.end, der_icv16, sizeof(der_icv16)) == -1) ||
		    p != par.end)
			return (0);
	} else {
		if (der_fixed(&p, alg.end, oid_aes256cbc,
		    sizeof(oid_aes256cbc)) == -1 ||
		    der_get(p, alg.end, 0x04, &iv) == -1 ||
		    iv.len != CBC_IV || iv.end != alg.end)
			return (0);
	}
	if (der_get(alg.end, eci.end, 0x80, &ct) == -1 || ct.end != eci.end ||
	    ct.len > INT32_MAX - 2 * CBC_IV)
		return (0);
	if (gcm) {
		/* no authAttrs: the mac, then nothing (no unauthAttrs) */
		if (der_get(eci.end, env.end, 0x04, &mac) == -1 ||
		    mac.len != GCM_TAG || mac.end != env.end)
			return (0);
	} else if (eci.end != env.end || ct.len == 0 || ct.len % CBC_IV != 0)
		return (0);

	/* the cache key: the whole KeyTransRecipientInfo element */
	if (!cek_get(f, set.p, ktri.end - set.p, ek.p, ek.len, key)) {
		snprintf(why, whylen, "cannot be decrypted with the regulator "
		    "key");
		return (-1);
	}
	if (ct.len + CBC_IV > d->outcap) {
		d->outcap = ct.len + CBC_IV;
		free(d->out);
		d->out = xcalloc(1, d->outcap);
	}
	if (!d->loaded || d->loaded_gcm != gcm ||
	    memcmp(d->key, key, CEK_LEN) != 0) {
		/* a new key or cipher: its schedule, once */
		d->loaded = 0;
		if (EVP_DecryptInit_ex(d->cctx, gcm ? f->gcm : f->cbc, NULL,
		    NULL, NULL) != 1 ||
		    (gcm && EVP_CIPHER_CTX_ctrl(d->cctx, EVP_CTRL_GCM_SET_IVLEN,
		    GCM_NONCE, NULL) != 1) ||
		    EVP_DecryptInit_ex(d->cctx, NULL, NULL, key, NULL) != 1)
			goto bad;
		memcpy(d->key, key, CEK_LEN);
		d->loaded = 1;
		d->loaded_gcm = gcm;
	}
	OPENSSL_cleanse(key, sizeof(key));
	if (EVP_DecryptInit_ex(d->cctx, NULL, NULL, NULL, iv.p) != 1 ||
	    EVP_DecryptUpdate(d->cctx, d->out, &n, ct.p, (int)ct.len) != 1 ||
	    (gcm && EVP_CIPHER_CTX_ctrl(d->cctx, EVP_CTRL_GCM_SET_TAG,
	    GCM_TAG, (void *)mac.p) != 1) ||
	    EVP_DecryptFinal_ex(d->cctx, d->out + n, &fin) != 1)
		goto bad;
	*plain = d->out;
	*plen = (size_t)n + (size_t)fin;
	return (1);
bad:
	/* the context is set up again for the next event */
	ERR_clear_error();
	OPENSSL_cleanse(key, sizeof(key));
	d->loaded = 0;
	snprintf(why, whylen, "cannot be decrypted with the regulator key");
	return (-1);
}
