/*
 * Audit paths for an export: one line an event, its IDEvt then the
 * hashes of its RFC 6962 audit path in base64, nearest the leaf first,
 * so that a verifier proves each event in the lot's Racine from its
 * own digest alone.  The tree is built once for all the lot's paths.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include <openssl/evp.h>

#include "merkle.h"
#include "auditpath.h"

/* "18446744073709551615" and 64 times " " and 44 base64 and "\n". */
#define AUDITPATH_LINE_MAX	(20 + MERKLE_PATH_MAX * 45 + 1)

char *
auditpath_text(uint64_t first, const uint8_t *leaves, size_t n, size_t *len)
{
	struct merkle	 t;
	uint8_t		 path[MERKLE_PATH_MAX][MERKLE_HASH_LEN];
	char		*buf = NULL, *p;
	size_t		 m, k, np, cap;

	if (merkle_build(&t, leaves, MERKLE_HASH_LEN, MERKLE_HASH_LEN,
	    n) == -1)
		return NULL;
	/* Each line is as long as its path: at most one hash a level. */
	cap = n * (20 + (t.nlevels - 1) * 45 + 1) + 1;
	if (n > SIZE_MAX / AUDITPATH_LINE_MAX || (buf = malloc(cap)) == NULL)
		goto done;
	p = buf;
	for (m = 0; m < n; m++) {
		p += snprintf(p, 21, "%" PRIu64, first + m);
		np = merkle_path(&t, m, path);
		for (k = 0; k < np; k++) {
			*p++ = ' ';
			p += EVP_EncodeBlock((unsigned char *)p, path[k],
			    MERKLE_HASH_LEN);
		}
		*p++ = '\n';
	}
	*len = p - buf;
 done:
	merkle_free(&t);
	return buf;
}
