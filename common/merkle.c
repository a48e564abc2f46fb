/*
 * RFC 6962 Merkle trees, built bottom up: each level pairs the nodes of
 * the one below, and an odd last node goes up as it is.  That is the
 * RFC's tree (split at the largest power of two below n): a left
 * subtree is always complete, so only the last node of a level can be
 * without a partner.  Keeping every level gives every audit path for
 * one pass of hashing, which an export of a whole lot needs.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "log.h"
#include "merkle.h"

static EVP_MD_CTX *merkle_ctx(void);
static void	 merkle_hash(uint8_t, const void *, size_t, const void *, size_t,
	    uint8_t[MERKLE_HASH_LEN]);
static int	 merkle_alloc(struct merkle *, size_t);
static int	 merkle_levels(struct merkle *);

/*
 * One SHA-256 context and one fetched digest serve every hash: the
 * one-shot functions fetch the algorithm at each call, which costs more
 * than hashing 65 bytes (a lot's tree is 2000 of them).
 */
static EVP_MD_CTX *
merkle_ctx(void)
{
	static EVP_MD_CTX	*ctx;
	static EVP_MD		*md;

	if (ctx == NULL && ((md = EVP_MD_fetch(NULL, "SHA256", NULL)) == NULL ||
	    (ctx = EVP_MD_CTX_new()) == NULL))
		fatalx("%s: SHA-256 is not available", __func__);
	if (EVP_DigestInit_ex2(ctx, md, NULL) != 1)
		fatalx("%s: SHA-256 failed", __func__);
	return ctx;
}

static void
merkle_hash(uint8_t prefix, const void *a, size_t alen, const void *b,
    size_t blen, uint8_t out[MERKLE_HASH_LEN])
{
	EVP_MD_CTX	*c = merkle_ctx();
	uint8_t		 buf[1 + 2 * MERKLE_HASH_LEN];

	/* A node or a lot's leaf is one update of at most 65 bytes. */
	if (alen + blen < sizeof(buf)) {
		buf[0] = prefix;
		memcpy(buf + 1, a, alen);
		if (blen > 0)
			memcpy(buf + 1 + alen, b, blen);
		if (EVP_DigestUpdate(c, buf, 1 + alen + blen) != 1 ||
		    EVP_DigestFinal_ex(c, out, NULL) != 1)
			fatalx("%s: SHA-256 failed", __func__);
		return;
	}
	if (EVP_DigestUpdate(c, &prefix, 1) != 1 ||
	    EVP_DigestUpdate(c, a, alen) != 1 ||
	    (blen > 0 && EVP_DigestUpdate(c, b, blen) != 1) ||
	    EVP_DigestFinal_ex(c, out, NULL) != 1)
		fatalx("%s: SHA-256 failed", __func__);
}

void
merkle_leaf(const void *data, size_t len, uint8_t out[MERKLE_HASH_LEN])
{
	merkle_hash(0x00, data, len, NULL, 0, out);
}

void
merkle_node(const uint8_t l[MERKLE_HASH_LEN], const uint8_t r[MERKLE_HASH_LEN],
    uint8_t out[MERKLE_HASH_LEN])
{
	merkle_hash(0x01, l, MERKLE_HASH_LEN, r, MERKLE_HASH_LEN, out);
}

/* Level 0 in place: build the levels above it. */
static int
merkle_levels(struct merkle *t)
{
	size_t	 total, c, i, l, s;

	total = t->nleaves;
	for (l = 0, c = t->nleaves; c > 1; l++) {
		if (l + 1 > MERKLE_PATH_MAX) {
			merkle_free(t);
			return -1;
		}
		s = t->start[l];
		t->start[l + 1] = total;
		t->count[l + 1] = (c + 1) / 2;
		for (i = 0; i + 1 < c; i += 2)
			merkle_node(t->node[s + i], t->node[s + i + 1],
			    t->node[total + i / 2]);
		if (c % 2)
			memcpy(t->node[total + c / 2], t->node[s + c - 1],
			    MERKLE_HASH_LEN);
		total += (c + 1) / 2;
		c = (c + 1) / 2;
	}
	t->nlevels = l + 1;
	return 0;
}

static int
merkle_alloc(struct merkle *t, size_t n)
{
	memset(t, 0, sizeof(*t));
	/* Each level holds half the one below, rounded up: < 2n + levels. */
	if (n == 0 || n > SIZE_MAX / 4 / MERKLE_HASH_LEN ||
	    (t->node = calloc(2 * n + MERKLE_PATH_MAX,
	    MERKLE_HASH_LEN)) == NULL)
		return -1;
	t->nleaves = n;
	t->count[0] = n;
	return 0;
}

int
merkle_build(struct merkle *t, const uint8_t *data, size_t stride,
    size_t len, size_t n)
{
	size_t	 i;

	if (merkle_alloc(t, n) == -1)
		return -1;
	for (i = 0; i < n; i++)
		merkle_leaf(data + i * stride, len, t->node[i]);
	return merkle_levels(t);
}

int
merkle_build_hashes(struct merkle *t, const uint8_t (*leaf)[MERKLE_HASH_LEN],
    size_t n)
{
	if (merkle_alloc(t, n) == -1)
		return -1;
	memcpy(t->node, leaf, n * MERKLE_HASH_LEN);
	return merkle_levels(t);
}

void
merkle_root(const struct merkle *t, uint8_t out[MERKLE_HASH_LEN])
{
	memcpy(out, t->node[t->start[t->nlevels - 1]], MERKLE_HASH_LEN);
}

/*
 * From the leaf up, the partner of the node on the path at each level;
 * a promoted last node has none there.  The order is the RFC's: the
 * sibling nearest the leaf first.
 */
size_t
merkle_path(const struct merkle *t, size_t m, uint8_t (*path)[MERKLE_HASH_LEN])
{
	size_t	 l, k = 0, sib;

	if (m >= t->nleaves)
		return 0;
	for (l = 0; l + 1 < t->nlevels; l++, m /= 2) {
		sib = m ^ 1;
		if (sib < t->count[l])
			memcpy(path[k++], t->node[t->start[l] + sib],
			    MERKLE_HASH_LEN);
	}
	return k;
}

void
merkle_free(struct merkle *t)
{
	free(t->node);
	memset(t, 0, sizeof(*t));
}
