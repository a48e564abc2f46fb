/*
 * The Client-Ids certainly never stored: a Bloom filter of every id in
 * client_ids and of every id claimed since, so that a new id, the
 * common case, is settled without asking the database.  An id the
 * filter may hold is looked up as before: a false positive costs that
 * lookup, nothing else.
 *
 * The filter answers only once complete, and it is:
 * - loaded page by page on the read-only connection, once the writer
 *   session holds the advisory lock (db_job_begin_read): every id
 *   another session stored was committed before it let the lock go,
 *   and each page is a statement whose snapshot is taken after that;
 * - seeded, when its load starts, with every id the cache holds (those
 *   of writes in flight), and given every id claimed from then on
 *   (cidcache_claim), whether its write commits or not;
 * - dropped when the writer is lost, since another session may write
 *   meanwhile, and loaded again once it is back.
 * Past one id for CIDFILTER_BITS_PER_ID bits, one four times larger is
 * loaded while the full one still answers; at CIDFILTER_BITS_MAX it only
 * fills up, and more ids are looked up.
 */
#include <sys/types.h>
#include <sys/queue.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

#include "log.h"
#include "proto.h"
#include "stored.h"
#include "cidcache.h"
#include "cidfilter.h"
#include "db.h"
#include "dbval.h"

#define CIDFILTER_BITS_MIN	(1UL << 25)	/* 4 MiB */
#define CIDFILTER_BITS_MAX	(1UL << 30)	/* 128 MiB */
#define CIDFILTER_BITS_PER_ID	16		/* about 0.05 % false */
#define CIDFILTER_PROBES	8		/* one SHA-256: 8 x 32 bits */
#define CIDFILTER_PAGE		20000		/* ids a statement */

struct bloom {
	uint64_t	*words;
	uint64_t	 mask;		/* bits - 1 */
	size_t		 n;		/* ids added, less those it had */
	uint8_t		 salt[16];
};

static struct {
	struct bloom	*ready;		/* complete: answers */
	struct bloom	*loading;	/* being loaded: only fed */
	uint64_t	 gen;		/* a page of another load is dropped */
	uint64_t	 after;		/* the last IDEvt loaded */
	int		 more;		/* a page came full */
	size_t		 estimate;	/* rows, said the planner */
	int64_t		 t0;
} cf;

static const struct db_stmt cidfilter_stmt = { "cfjl_client_id_page",
    "SELECT client_id, idevt FROM client_ids WHERE idevt > $1"
    " ORDER BY idevt LIMIT $2" };

/* For the status: "ready", "loading" or "off" (the writer is down). */
const char *
cidfilter_state(size_t *ids, size_t *kib)
{
	const struct bloom	*b = cf.ready != NULL ? cf.ready : cf.loading;

	*ids = b != NULL ? b->n : 0;
	*kib = (cf.ready != NULL ? (cf.ready->mask + 1) / 8 / 1024 : 0) +
	    (cf.loading != NULL ? (cf.loading->mask + 1) / 8 / 1024 : 0);
	return cf.ready != NULL ? "ready" : cf.loading != NULL ? "loading" :
	    "off";
}

static struct bloom	*bloom_new(size_t);
static void		 bloom_free(struct bloom *);
static void		 bloom_add(struct bloom *, const char *);
static int		 bloom_has(const struct bloom *, const char *);
static void		 cidfilter_start(size_t);
static void		 cidfilter_seed(const char *);
static void		 cidfilter_estimate(PGresult *, void *);
static void		 cidfilter_estimated(int, const char *, void *);
static void		 cidfilter_page(void);
static void		 cidfilter_rows(PGresult *, void *);
static void		 cidfilter_paged(int, const char *, void *);

void
cidfilter_init(void)
{
	db_prepare(&cidfilter_stmt, 1);
}

/* 1: the id was certainly never stored (nor claimed by this process). */
int
cidfilter_absent(const char *id)
{
	return cf.ready != NULL && !bloom_has(cf.ready, id);
}

void
cidfilter_add(const char *id)
{
	if (cf.ready != NULL)
		bloom_add(cf.ready, id);
	if (cf.loading != NULL)
		bloom_add(cf.loading, id);
	if (cf.ready != NULL && cf.loading == NULL &&
	    cf.ready->n > (cf.ready->mask + 1) / CIDFILTER_BITS_PER_ID &&
	    cf.ready->mask + 1 < CIDFILTER_BITS_MAX)
		cidfilter_start(cf.ready->n * 2);
}

/* The writer is up: load, sized from the planner's estimate. */
void
cidfilter_db_up(void)
{
	struct db_job	*job;

	cidfilter_db_down();
	if ((job = db_job_begin_read(cidfilter_estimated,
	    (void *)(uintptr_t)cf.gen)) == NULL)
		return;
	db_job_query(job, "SELECT greatest(reltuples, 0)::bigint FROM pg_class"
	    " WHERE oid = 'client_ids'::regclass", NULL, cidfilter_estimate,
	    NULL);
	db_job_end(job);
}

/* The writer is lost: another session may store ids meanwhile. */
void
cidfilter_db_down(void)
{
	bloom_free(cf.ready);
	bloom_free(cf.loading);
	cf.ready = cf.loading = NULL;
	cf.gen++;
}

static void
cidfilter_estimate(PGresult *res, void *arg)
{
	if (PQntuples(res) == 1)
		cf.estimate = dbval_get_u64(res, 0, 0);
}

static void
cidfilter_estimated(int ok, const char *err, void *arg)
{
	if ((uintptr_t)arg != cf.gen)
		return;
	if (!ok)
		log_warnx("Client-Id filter: no estimate (%s)", err);
	cidfilter_start(ok ? cf.estimate : 0);
}

/* A new filter for about n ids, fed from now, loaded from IDEvt 0. */
static void
cidfilter_start(size_t n)
{
	cf.loading = bloom_new(n);
	cf.after = 0;
	cf.more = 1;
	cf.t0 = stored_env_mono_us();
	cidcache_each(cidfilter_seed);
	cidfilter_page();
}

static void
cidfilter_seed(const char *id)
{
	bloom_add(cf.loading, id);
}

static void
cidfilter_page(void)
{
	struct db_job		*job;
	struct dbval_params	 p;

	if ((job = db_job_begin_read(cidfilter_paged,
	    (void *)(uintptr_t)cf.gen)) == NULL) {
		/* The writer is going: its down drops the load. */
		return;
	}
	dbval_params_init(&p);
	dbval_param_u64(&p, cf.after);
	dbval_param_u64(&p, CIDFILTER_PAGE);
	db_job_exec(job, &cidfilter_stmt, &p, cidfilter_rows,
	    (void *)(uintptr_t)cf.gen);
	dbval_params_free(&p);
	db_job_end(job);
}

static void
cidfilter_rows(PGresult *res, void *arg)
{
	char	 id[CLIENT_ID_MAX];
	int	 i, n;

	if ((uintptr_t)arg != cf.gen || cf.loading == NULL)
		return;
	n = PQntuples(res);
	for (i = 0; i < n; i++) {
		dbval_get_text(res, i, 0, id, sizeof(id));
		bloom_add(cf.loading, id);
		cf.after = dbval_get_u64(res, i, 1);
	}
	cf.more = n == CIDFILTER_PAGE;
}

static void
cidfilter_paged(int ok, const char *err, void *arg)
{
	if ((uintptr_t)arg != cf.gen || cf.loading == NULL)
		return;
	if (!ok) {
		/*
		 * The reader failed under it: start over (on the writer
		 * while the reader is down); a lost writer drops it.
		 */
		log_warnx("Client-Id filter: %s; loaded again", err);
		bloom_free(cf.loading);
		cf.loading = NULL;
		if (db_ready())
			cidfilter_start(cf.ready != NULL ? cf.ready->n * 2 :
			    cf.estimate);
		return;
	}
	if (cf.more) {
		cidfilter_page();
		return;
	}
	bloom_free(cf.ready);
	cf.ready = cf.loading;
	cf.loading = NULL;
	log_info("Client-Id filter: %zu ids, %llu KiB, loaded in %lld ms",
	    cf.ready->n, (unsigned long long)((cf.ready->mask + 1) / 8 / 1024),
	    (long long)(stored_env_mono_us() - cf.t0) / 1000);
}

static struct bloom *
bloom_new(size_t n)
{
	struct bloom	*b;
	uint64_t	 bits = CIDFILTER_BITS_MIN;

	while (bits < CIDFILTER_BITS_MAX &&
	    bits / CIDFILTER_BITS_PER_ID < 2 * (uint64_t)n)
		bits <<= 1;
	if ((b = calloc(1, sizeof(*b))) == NULL ||
	    (b->words = calloc(bits / 64, sizeof(uint64_t))) == NULL)
		fatal("Client-Id filter");
	b->mask = bits - 1;
	/* Unknown to depositors: they cannot choose ids that collide. */
	if (RAND_bytes(b->salt, sizeof(b->salt)) != 1)
		fatalx("Client-Id filter: no random salt");
	return b;
}

static void
bloom_free(struct bloom *b)
{
	if (b == NULL)
		return;
	free(b->words);
	free(b);
}

static void
bloom_probes(const struct bloom *b, const char *id, uint64_t *bit)
{
	uint8_t		 in[sizeof(b->salt) + CLIENT_ID_MAX];
	uint8_t		 h[SHA256_DIGEST_LENGTH];
	size_t		 len = strnlen(id, CLIENT_ID_MAX);
	int		 i;

	memcpy(in, b->salt, sizeof(b->salt));
	memcpy(in + sizeof(b->salt), id, len);
	SHA256(in, sizeof(b->salt) + len, h);
	for (i = 0; i < CIDFILTER_PROBES; i++)
		bit[i] = ((uint64_t)h[4 * i] << 24 | (uint64_t)h[4 * i + 1] <<
		    16 | (uint64_t)h[4 * i + 2] << 8 | h[4 * i + 3]) & b->mask;
}

static void
bloom_add(struct bloom *b, const char *id)
{
	uint64_t	 bit[CIDFILTER_PROBES], m, fresh = 0;
	int		 i;

	bloom_probes(b, id, bit);
	for (i = 0; i < CIDFILTER_PROBES; i++) {
		m = 1ULL << (bit[i] % 64);
		fresh |= ~b->words[bit[i] / 64] & m;
		b->words[bit[i] / 64] |= m;
	}
	if (fresh)
		b->n++;		/* counted once, however often added */
}

static int
bloom_has(const struct bloom *b, const char *id)
{
	uint64_t	 bit[CIDFILTER_PROBES];
	int		 i;

	bloom_probes(b, id, bit);
	for (i = 0; i < CIDFILTER_PROBES; i++)
		if ((b->words[bit[i] / 64] & 1ULL << (bit[i] % 64)) == 0)
			return 0;
	return 1;
}
