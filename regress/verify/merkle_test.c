/*
 * Both Merkle trees of the product against the test vectors of
 * Certificate Transparency (RFC 6962), then against each other: every
 * audit path the vault writes (common/merkle.c), for every leaf of
 * every tree of 1 to 200 leaves and a few large ones, is accepted by
 * the verifier's own code (cfjl-verify/merkleproof.c) and leads to the
 * same root; any change of one bit, index, size or length is refused.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "merkle.h"
#include "verify.h"

static unsigned long	 nchecks, nfailed;

#define CHECK(c, ...) do {						\
	nchecks++;							\
	if (!(c)) {							\
		nfailed++;						\
		printf("not ok - ");					\
		printf(__VA_ARGS__);					\
		printf("\n");						\
	}								\
} while (0)

static const char *ct_leaves[] = {
	"", "00", "10", "2021", "3031", "40414243", "5051525354555657",
	"606162636465666768696a6b6c6d6e6f"
};
static const char *ct_roots[] = {
	"6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
	"fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
	"aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
	"d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
	"4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
	"76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
	"ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
	"5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
};
static const struct {
	size_t		 index, size;
	const char	*path[3];
} ct_paths[] = {
	{ 0, 8, { "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
	    "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
	    "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4" } },
	{ 5, 8, { "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
	    "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
	    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7" } },
	{ 2, 3, { "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125" } },
	{ 1, 5, { "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
	    "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
	    "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b" } },
	{ 0, 1, { NULL } },
};

static size_t
unhex(const char *s, uint8_t *out)
{
	size_t	 n = 0;
	unsigned int v;

	for (; s[0] != '\0' && s[1] != '\0'; s += 2) {
		sscanf(s, "%2x", &v);
		out[n++] = (uint8_t)v;
	}
	return n;
}

static void
vectors(void)
{
	uint8_t		 data[8][16], lh[8][32], want[32], got[32];
	uint8_t		 path[MERKLE_PATH_MAX][32], vp[3][32];
	size_t		 len[8], n, i, k, np;
	struct merkle	 t;

	for (i = 0; i < 8; i++) {
		len[i] = unhex(ct_leaves[i], data[i]);
		merkle_leaf(data[i], len[i], lh[i]);
		merkleproof_leaf(data[i], len[i], got);
		CHECK(memcmp(lh[i], got, 32) == 0, "leaf hash %zu", i);
	}
	for (n = 1; n <= 8; n++) {
		unhex(ct_roots[n - 1], want);
		if (merkle_build_hashes(&t, (const uint8_t (*)[32])lh, n) == -1)
			abort();
		merkle_root(&t, got);
		CHECK(memcmp(got, want, 32) == 0, "vault root of %zu leaves",
		    n);
		merkle_free(&t);
		merkleproof_root((const uint8_t (*)[32])lh, n, got);
		CHECK(memcmp(got, want, 32) == 0, "verifier root of %zu "
		    "leaves", n);
	}
	for (i = 0; i < sizeof(ct_paths) / sizeof(ct_paths[0]); i++) {
		for (k = 0; k < 3 && ct_paths[i].path[k] != NULL; k++)
			unhex(ct_paths[i].path[k], vp[k]);
		n = ct_paths[i].size;
		unhex(ct_roots[n - 1], want);
		if (merkle_build_hashes(&t, (const uint8_t (*)[32])lh, n) == -1)
			abort();
		np = merkle_path(&t, ct_paths[i].index, path);
		CHECK(np == k && memcmp(path, vp, k * 32) == 0,
		    "vault path of leaf %zu of %zu", ct_paths[i].index, n);
		merkle_free(&t);
		CHECK(merkleproof_check(ct_paths[i].index, n,
		    lh[ct_paths[i].index], (const uint8_t (*)[32])vp, k,
		    want) == 0, "verifier accepts the path of leaf %zu of %zu",
		    ct_paths[i].index, n);
	}
}

/* Every leaf of a tree of n: the vault's path, the verifier's verdict. */
static void
cross(size_t n, int tamper)
{
	uint8_t		(*leaf)[32], (*lh)[32], root[32], vroot[32];
	uint8_t		 path[MERKLE_PATH_MAX][32];
	struct merkle	 t;
	size_t		 i, m, np, b;

	leaf = calloc(n, 32);
	lh = calloc(n, 32);
	if (leaf == NULL || lh == NULL)
		abort();
	for (i = 0; i < n; i++) {
		memset(leaf[i], 0, 32);
		memcpy(leaf[i], &i, sizeof(i));
		leaf[i][31] = (uint8_t)n;
		merkleproof_leaf(leaf[i], 32, lh[i]);
	}
	/* As sealerd builds it: leaf data inside a larger stride. */
	if (merkle_build(&t, (const uint8_t *)leaf, 32, 32, n) == -1)
		abort();
	merkle_root(&t, root);
	merkleproof_root((const uint8_t (*)[32])lh, n, vroot);
	CHECK(memcmp(root, vroot, 32) == 0, "same root for %zu leaves", n);
	for (m = 0; m < n; m++) {
		np = merkle_path(&t, m, path);
		CHECK(merkleproof_check(m, n, lh[m],
		    (const uint8_t (*)[32])path, np, root) == 0,
		    "path of leaf %zu of %zu accepted", m, n);
		if (!tamper)
			continue;
		if (m + 1 < n)
			CHECK(merkleproof_check(m + 1, n, lh[m],
			    (const uint8_t (*)[32])path, np, root) == -1,
			    "leaf %zu of %zu: the next index refused", m, n);
		/* The size is the lot's, signed: the path does not bind it. */
		CHECK(merkleproof_check(m, 2 * n, lh[m],
		    (const uint8_t (*)[32])path, np, root) == -1,
		    "leaf %zu of %zu: twice the size refused", m, n);
		CHECK(merkleproof_check(m, n / 2, lh[m],
		    (const uint8_t (*)[32])path, np, root) == -1 || n == 1,
		    "leaf %zu of %zu: half the size refused", m, n);
		if (np > 0)
			CHECK(merkleproof_check(m, n, lh[m],
			    (const uint8_t (*)[32])path, np - 1, root) == -1,
			    "leaf %zu of %zu: a hash less refused", m, n);
		CHECK(merkleproof_check(m, n, lh[m],
		    (const uint8_t (*)[32])path, np + 1, root) == -1,
		    "leaf %zu of %zu: a hash more refused", m, n);
		for (b = 0; b < np * 256; b += 37) {
			path[b / 256][(b % 256) / 8] ^= 1 << (b % 8);
			CHECK(merkleproof_check(m, n, lh[m],
			    (const uint8_t (*)[32])path, np, root) == -1,
			    "leaf %zu of %zu: bit %zu of the path refused", m,
			    n, b);
			path[b / 256][(b % 256) / 8] ^= 1 << (b % 8);
		}
	}
	merkle_free(&t);
	free(leaf);
	free(lh);
}

int
main(void)
{
	size_t	 n;

	vectors();
	for (n = 1; n <= 200; n++)
		cross(n, 1);
	cross(1000, 0);
	cross(1023, 0);
	cross(1025, 0);
	cross(65537, 0);
	printf("%lu checks, %lu failed\n", nchecks, nfailed);
	return nfailed != 0;
}
