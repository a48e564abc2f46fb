/*
 * The deterministic USTAR writer of export bundles (cfjl-export(5)):
 * every header the same but for name and size (mtime 0, mode 0444, uid
 * and gid 0, owner "cfjl"), so that two exports of the same lots hold
 * byte-identical entries; the archive's SHA-256 is kept as it is
 * written.  Bytes wait in the buffer until the caller has sent them.
 */
#include <sys/types.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "tarwrite.h"

static int	 tarwrite_reserve(struct tarwrite *, size_t);
static void	 tarwrite_octal(char *, size_t, uint64_t);

int
tarwrite_init(struct tarwrite *t)
{
	memset(t, 0, sizeof(*t));
	if ((t->sha = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestInit_ex(t->sha, EVP_sha256(), NULL) != 1)
		return -1;
	return 0;
}

void
tarwrite_free(struct tarwrite *t)
{
	free(t->buf);
	EVP_MD_CTX_free(t->sha);
	memset(t, 0, sizeof(*t));
}

/* Room for more bytes; what was sent is dropped only when needed. */
static int
tarwrite_reserve(struct tarwrite *t, size_t more)
{
	uint8_t	*nb;
	size_t	 ncap;

	if (t->off + t->len + more <= t->cap)
		return 0;
	if (t->off > 0) {
		memmove(t->buf, t->buf + t->off, t->len);
		t->off = 0;
		if (t->len + more <= t->cap)
			return 0;
	}
	ncap = t->cap ? t->cap : 64 * 1024;
	while (ncap < t->len + more)
		ncap *= 2;
	if ((nb = realloc(t->buf, ncap)) == NULL)
		return -1;
	t->buf = nb;
	t->cap = ncap;
	return 0;
}

/* An octal field, zero-padded, NUL-terminated, as USTAR wants. */
static void
tarwrite_octal(char *f, size_t len, uint64_t v)
{
	size_t	 i;

	f[len - 1] = '\0';
	for (i = len - 1; i > 0; i--) {
		f[i - 1] = '0' + (v & 7);
		v >>= 3;
	}
}

/* One regular file: a USTAR header, the data, zero padding. */
int
tarwrite_file(struct tarwrite *t, const char *path, const void *data,
    size_t len)
{
	char		 h[TARWRITE_BLOCK];
	uint8_t		*p;
	unsigned int	 sum = 0;
	size_t		 pad, i;

	if (strlen(path) >= 100 || (uint64_t)len >= 077777777777ULL)
		return -1;
	pad = (TARWRITE_BLOCK - len % TARWRITE_BLOCK) % TARWRITE_BLOCK;
	if (tarwrite_reserve(t, TARWRITE_BLOCK + len + pad) == -1)
		return -1;
	memset(h, 0, sizeof(h));
	memcpy(h, path, strlen(path));
	tarwrite_octal(h + 100, 8, 0444);
	tarwrite_octal(h + 108, 8, 0);
	tarwrite_octal(h + 116, 8, 0);
	tarwrite_octal(h + 124, 12, len);
	tarwrite_octal(h + 136, 12, 0);
	h[156] = '0';
	memcpy(h + 257, "ustar", 6);
	memcpy(h + 263, "00", 2);
	memcpy(h + 265, "cfjl", 4);
	memcpy(h + 297, "cfjl", 4);
	memset(h + 148, ' ', 8);
	for (i = 0; i < sizeof(h); i++)
		sum += (unsigned char)h[i];
	tarwrite_octal(h + 148, 7, sum);	/* six digits, NUL, then a space */
	h[155] = ' ';

	p = t->buf + t->off + t->len;
	memcpy(p, h, TARWRITE_BLOCK);
	if (len > 0)
		memcpy(p + TARWRITE_BLOCK, data, len);
	memset(p + TARWRITE_BLOCK + len, 0, pad);
	if (EVP_DigestUpdate(t->sha, p, TARWRITE_BLOCK + len + pad) != 1)
		return -1;
	t->len += TARWRITE_BLOCK + len + pad;
	t->total += TARWRITE_BLOCK + len + pad;
	return 0;
}

/* The two zero blocks that end the archive, and its SHA-256. */
int
tarwrite_end(struct tarwrite *t, uint8_t sha256[32])
{
	unsigned int	 n;

	if (tarwrite_reserve(t, 2 * TARWRITE_BLOCK) == -1)
		return -1;
	memset(t->buf + t->off + t->len, 0, 2 * TARWRITE_BLOCK);
	if (EVP_DigestUpdate(t->sha, t->buf + t->off + t->len,
	    2 * TARWRITE_BLOCK) != 1 ||
	    EVP_DigestFinal_ex(t->sha, sha256, &n) != 1)
		return -1;
	t->len += 2 * TARWRITE_BLOCK;
	t->total += 2 * TARWRITE_BLOCK;
	return 0;
}

/* What waits to be sent: len bytes. */
const uint8_t *
tarwrite_data(const struct tarwrite *t)
{
	return t->buf + t->off;
}

/* The first n bytes went out (moved away later, by tarwrite_reserve). */
void
tarwrite_consume(struct tarwrite *t, size_t n)
{
	if (n > t->len)
		n = t->len;
	t->off += n;
	t->len -= n;
	if (t->len == 0)
		t->off = 0;
}
