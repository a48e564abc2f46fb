/*
 * RFC 6962 Merkle trees (SHA-256) for the vault: sealerd puts a lot's
 * root in its signed content, stored writes each event's audit path in
 * the export bundle.  cfjl-verify has its own code (merkleproof.c).
 */
#ifndef CFJL_MERKLE_H
#define CFJL_MERKLE_H

#include <stddef.h>
#include <stdint.h>

#define MERKLE_HASH_LEN		32
#define MERKLE_PATH_MAX		64	/* hashes: one a level */

/* A tree kept whole, level by level, for the paths of all its leaves. */
struct merkle {
	uint8_t		(*node)[MERKLE_HASH_LEN];	/* every level */
	size_t		 nleaves;
	size_t		 nlevels;
	size_t		 start[MERKLE_PATH_MAX + 1];	/* of each level */
	size_t		 count[MERKLE_PATH_MAX + 1];
};

/* SHA-256(0x00 || data) and SHA-256(0x01 || left || right). */
void	 merkle_leaf(const void *, size_t, uint8_t[MERKLE_HASH_LEN]);
void	 merkle_node(const uint8_t[MERKLE_HASH_LEN],
	    const uint8_t[MERKLE_HASH_LEN], uint8_t[MERKLE_HASH_LEN]);
/*
 * Build the tree over n > 0 leaves of len bytes each, stride bytes
 * apart (they may sit inside an array of structures), or over n leaf
 * hashes; -1 if out of memory.
 */
int	 merkle_build(struct merkle *, const uint8_t *, size_t stride,
	    size_t len, size_t n);
int	 merkle_build_hashes(struct merkle *,
	    const uint8_t (*)[MERKLE_HASH_LEN], size_t n);
void	 merkle_root(const struct merkle *, uint8_t[MERKLE_HASH_LEN]);
/* Leaf m's audit path (RFC 6962 2.1.1): the number of hashes. */
size_t	 merkle_path(const struct merkle *, size_t m,
	    uint8_t (*)[MERKLE_HASH_LEN]);
void	 merkle_free(struct merkle *);

#endif
