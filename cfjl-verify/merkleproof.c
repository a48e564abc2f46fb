/*
 * RFC 6962 Merkle trees, the verifier's side, written from the RFC and
 * not from the vault's code: the tree hash by its recursive definition
 * (split at the largest power of two below n), and an audit path
 * checked by the algorithm of RFC 9162 2.1.3.2, which needs neither
 * the other leaves nor the tree.
 */
#include <err.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "verify.h"

static pthread_once_t	 mp_once = PTHREAD_ONCE_INIT;
static EVP_MD		*mp_md;

static void	 merkleproof_fetch(void);
static EVP_MD_CTX *merkleproof_ctx(void);
static void	 merkleproof_node(EVP_MD_CTX *, const uint8_t *,
		    const uint8_t *, uint8_t *);
static void	 merkleproof_mth(EVP_MD_CTX *, const uint8_t (*)[V_SHA256_LEN],
		    size_t, uint8_t *);

static void
merkleproof_fetch(void)
{
	if ((mp_md = EVP_MD_fetch(NULL, "SHA256", NULL)) == NULL)
		errx(2, "SHA-256 is not available");
}

/*
 * A context for the hashes of one tree or one path: a lot's paths are
 * ten hashes an event, and a context a hash would cost more than them.
 */
static EVP_MD_CTX *
merkleproof_ctx(void)
{
	EVP_MD_CTX	*c;

	pthread_once(&mp_once, merkleproof_fetch);
	if ((c = EVP_MD_CTX_new()) == NULL)
		errx(2, "out of memory");
	return (c);
}

void
merkleproof_leaf(const void *data, size_t len, uint8_t out[V_SHA256_LEN])
{
	uint8_t	 sb[1 + 64], *b = sb;

	/* A lot's leaves are 32 bytes; others serve the RFC's examples. */
	if (len >= sizeof(sb))
		b = xcalloc(1, 1 + len);
	b[0] = 0x00;
	memcpy(b + 1, data, len);
	util_sha256(b, 1 + len, out);
	if (b != sb)
		free(b);
}

static void
merkleproof_node(EVP_MD_CTX *c, const uint8_t *l, const uint8_t *r,
    uint8_t *out)
{
	uint8_t		 b[1 + 2 * V_SHA256_LEN];
	unsigned int	 n;

	b[0] = 0x01;
	memcpy(b + 1, l, V_SHA256_LEN);
	memcpy(b + 1 + V_SHA256_LEN, r, V_SHA256_LEN);
	if (!EVP_DigestInit_ex2(c, mp_md, NULL) ||
	    !EVP_DigestUpdate(c, b, sizeof(b)) ||
	    !EVP_DigestFinal_ex(c, out, &n))
		errx(2, "SHA-256 failed");
}

/* MTH(D[n]) over leaf hashes, n > 0. */
static void
merkleproof_mth(EVP_MD_CTX *c, const uint8_t (*leaf)[V_SHA256_LEN], size_t n,
    uint8_t *out)
{
	uint8_t	 l[V_SHA256_LEN], r[V_SHA256_LEN];
	size_t	 k;

	if (n == 1) {
		memcpy(out, leaf[0], V_SHA256_LEN);
		return;
	}
	for (k = 1; k * 2 < n; k *= 2)
		;
	merkleproof_mth(c, leaf, k, l);
	merkleproof_mth(c, leaf + k, n - k, r);
	merkleproof_node(c, l, r, out);
}

void
merkleproof_root(const uint8_t (*leaf)[V_SHA256_LEN], size_t n,
    uint8_t out[V_SHA256_LEN])
{
	EVP_MD_CTX	*c = merkleproof_ctx();

	merkleproof_mth(c, leaf, n, out);
	EVP_MD_CTX_free(c);
}

/*
 * Whether the path leads from the leaf at index m of a tree of n leaves
 * to root: 0 if it does, -1 if not (too long, too short or wrong).
 */
int
merkleproof_check(uint64_t m, uint64_t n, const uint8_t leaf[V_SHA256_LEN],
    const uint8_t (*path)[V_SHA256_LEN], size_t npath,
    const uint8_t root[V_SHA256_LEN])
{
	EVP_MD_CTX	*c;
	uint8_t		 r[V_SHA256_LEN], t[V_SHA256_LEN];
	uint64_t	 fn, sn;
	size_t		 i;
	int		 rc = -1;

	if (n == 0 || m >= n)
		return (-1);
	c = merkleproof_ctx();
	fn = m;
	sn = n - 1;
	memcpy(r, leaf, V_SHA256_LEN);
	for (i = 0; i < npath; i++) {
		if (sn == 0)
			goto done;
		if ((fn & 1) || fn == sn) {
			merkleproof_node(c, path[i], r, t);
			if (!(fn & 1))
				while (!(fn & 1) && fn != 0) {
					fn >>= 1;
					sn >>= 1;
				}
		} else
			merkleproof_node(c, r, path[i], t);
		memcpy(r, t, V_SHA256_LEN);
		fn >>= 1;
		sn >>= 1;
	}
	if (sn == 0 && memcmp(r, root, V_SHA256_LEN) == 0)
		rc = 0;
 done:
	EVP_MD_CTX_free(c);
	return (rc);
}
