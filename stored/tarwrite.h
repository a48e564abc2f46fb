/*
 * The deterministic USTAR writer (tarwrite.c) of export bundles, also
 * used by the regress bundle generator.
 */
#ifndef CFJL_TARWRITE_H
#define CFJL_TARWRITE_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>

#define TARWRITE_BLOCK	512	/* a header; data padded to it */

struct tarwrite {
	uint8_t		*buf;
	size_t		 off;		/* buf + off: written, not yet sent */
	size_t		 len, cap;
	uint64_t	 total;		/* bytes in the archive so far */
	EVP_MD_CTX	*sha;		/* over the whole archive */
};

int		 tarwrite_init(struct tarwrite *);
int		 tarwrite_file(struct tarwrite *, const char *path,
		    const void *, size_t);
int		 tarwrite_end(struct tarwrite *, uint8_t sha256[32]);
const uint8_t	*tarwrite_data(const struct tarwrite *);
void		 tarwrite_consume(struct tarwrite *, size_t);
void		 tarwrite_free(struct tarwrite *);

#endif
