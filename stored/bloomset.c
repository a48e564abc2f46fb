/*
 * A Bloom filter that grows without being rebuilt: when its newest
 * layer holds as many ids as it was sized for, a new layer, sized for
 * twice the ids held so far, takes the ids that follow.  An id is held
 * if any layer holds it; an id added is never reported absent.  So a
 * filter that fills up under load costs one allocation, not a reload
 * of every id from the database.
 *
 * Each layer holds 16 bits an id at capacity (about 0.05 % false
 * positives with 8 probes), so the whole set stays under a few tenths
 * of a percent with its few layers.  Past the total bits given at
 * creation no layer is added and the newest one only fills up: more
 * false positives, never a false negative.
 *
 * The probes come from one SHA-256 of a random salt and the id, shared
 * by the layers: unknown to depositors, who cannot choose ids that
 * collide.
 */
#include <sys/types.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/rand.h>
#include <openssl/sha.h>

#include "log.h"
#include "proto.h"
#include "bloomset.h"

#define BLOOMSET_BITS_PER_ID	16
#define BLOOMSET_PROBES		8	/* one SHA-256: 8 x 32 bits */
#define BLOOMSET_LAYERS		8

struct bloom_layer {
	uint64_t	*words;
	uint64_t	 mask;		/* bits - 1 */
	size_t		 n;		/* ids added, less those it had */
};

struct bloomset {
	struct bloom_layer	 l[BLOOMSET_LAYERS];
	int			 nl;
	uint64_t		 minbits;
	uint64_t		 maxbits;	/* all layers together */
	uint64_t		 bits;		/* held now */
	uint8_t			 salt[16];
};

static int	 bloomset_grow(struct bloomset *, size_t);
static void	 bloomset_probes(const struct bloomset *, const char *,
		    uint32_t *);

/*
 * A set sized for about n ids; minbits and maxbits, powers of two, bound
 * a layer and the whole.
 */
struct bloomset *
bloomset_new(size_t n, uint64_t minbits, uint64_t maxbits)
{
	struct bloomset	*s;

	if ((s = calloc(1, sizeof(*s))) == NULL)
		fatal("Client-Id filter");
	s->minbits = minbits;
	s->maxbits = maxbits;
	if (RAND_bytes(s->salt, sizeof(s->salt)) != 1)
		fatalx("Client-Id filter: no random salt");
	if (bloomset_grow(s, n) == -1)
		fatalx("Client-Id filter: no room for one layer");
	return s;
}

void
bloomset_free(struct bloomset *s)
{
	int	 i;

	if (s == NULL)
		return;
	for (i = 0; i < s->nl; i++)
		free(s->l[i].words);
	free(s);
}

/* A new layer for twice n ids, within what is left; -1: no room. */
static int
bloomset_grow(struct bloomset *s, size_t n)
{
	struct bloom_layer	*l;
	uint64_t		 bits = s->minbits;

	if (s->nl == BLOOMSET_LAYERS)
		return -1;
	while (bits < s->maxbits && bits / BLOOMSET_BITS_PER_ID <
	    2 * (uint64_t)n)
		bits <<= 1;
	while (bits > s->minbits && s->bits + bits > s->maxbits)
		bits >>= 1;
	if (s->bits + bits > s->maxbits)
		return -1;
	l = &s->l[s->nl];
	if ((l->words = calloc(bits / 64, sizeof(uint64_t))) == NULL)
		fatal("Client-Id filter");
	l->mask = bits - 1;
	l->n = 0;
	s->bits += bits;
	s->nl++;
	return 0;
}

static void
bloomset_probes(const struct bloomset *s, const char *id, uint32_t *p)
{
	uint8_t		 in[sizeof(s->salt) + CLIENT_ID_MAX];
	uint8_t		 h[SHA256_DIGEST_LENGTH];
	size_t		 len = strnlen(id, CLIENT_ID_MAX);
	int		 i;

	memcpy(in, s->salt, sizeof(s->salt));
	memcpy(in + sizeof(s->salt), id, len);
	SHA256(in, sizeof(s->salt) + len, h);
	for (i = 0; i < BLOOMSET_PROBES; i++)
		p[i] = (uint32_t)h[4 * i] << 24 | (uint32_t)h[4 * i + 1] << 16 |
		    (uint32_t)h[4 * i + 2] << 8 | h[4 * i + 3];
}

void
bloomset_add(struct bloomset *s, const char *id)
{
	struct bloom_layer	*l = &s->l[s->nl - 1];
	uint32_t		 p[BLOOMSET_PROBES];
	uint64_t		 bit, m, fresh = 0;
	int			 i;

	bloomset_probes(s, id, p);
	for (i = 0; i < BLOOMSET_PROBES; i++) {
		bit = p[i] & l->mask;
		m = 1ULL << (bit % 64);
		fresh |= ~l->words[bit / 64] & m;
		l->words[bit / 64] |= m;
	}
	if (!fresh)
		return;		/* counted once, however often added */
	l->n++;
	if (l->n > (l->mask + 1) / BLOOMSET_BITS_PER_ID)
		(void)bloomset_grow(s, bloomset_ids(s));
}

int
bloomset_has(const struct bloomset *s, const char *id)
{
	const struct bloom_layer	*l;
	uint32_t			 p[BLOOMSET_PROBES];
	uint64_t			 bit;
	int				 i, k;

	bloomset_probes(s, id, p);
	for (k = 0; k < s->nl; k++) {
		l = &s->l[k];
		for (i = 0; i < BLOOMSET_PROBES; i++) {
			bit = p[i] & l->mask;
			if ((l->words[bit / 64] & 1ULL << (bit % 64)) == 0)
				break;
		}
		if (i == BLOOMSET_PROBES)
			return 1;
	}
	return 0;
}

size_t
bloomset_ids(const struct bloomset *s)
{
	size_t	 n = 0;
	int	 i;

	for (i = 0; i < s->nl; i++)
		n += s->l[i].n;
	return n;
}

size_t
bloomset_kib(const struct bloomset *s)
{
	return s->bits / 8 / 1024;
}

int
bloomset_layers(const struct bloomset *s)
{
	return s->nl;
}
