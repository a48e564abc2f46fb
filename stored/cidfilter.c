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
 *   and each page is a statement whose snapshot is taken after that.
 *   A reader still being made is waited for: a load on the writer
 *   would put its pages in the pipeline of the commits;
 * - seeded, when its load starts, with every id the cache holds (those
 *   of writes in flight), and given every id claimed from then on
 *   (cidcache_claim), whether its write commits or not;
 * - dropped when the writer is lost, since another session may write
 *   meanwhile, and loaded again once it is back.
 * When it fills up it grows by a layer (bloomset.c), without reading the
 * ids again: a load under way would cost seconds of the reader and of
 * this event loop while deposits wait.  At CIDFILTER_BITS_MAX in all it
 * only fills up, and more ids are looked up.
 */
#include <sys/types.h>
#include <sys/queue.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "log.h"
#include "proto.h"
#include "stored.h"
#include "cidcache.h"
#include "bloomset.h"
#include "cidfilter.h"
#include "db.h"
#include "dbval.h"

#define CIDFILTER_BITS_MIN	(1UL << 25)	/* 4 MiB, the first layer */
#define CIDFILTER_BITS_MAX	(1UL << 30)	/* 128 MiB in all */
#define CIDFILTER_PAGE		20000		/* ids a statement */

static struct {
	struct bloomset	*ready;		/* complete: answers */
	struct bloomset	*loading;	/* being loaded: only fed */
	uint64_t	 gen;		/* a page of another load is dropped */
	uint64_t	 after;		/* the last IDEvt loaded */
	int		 more;		/* a page came full */
	size_t		 estimate;	/* rows, said the planner */
	int64_t		 t0;
	int		 waiting;	/* for the reader, to load */
} cf;

static const struct db_stmt cidfilter_stmt = { "cfjl_client_id_page",
    "SELECT client_id, idevt FROM client_ids WHERE idevt > $1"
    " ORDER BY idevt LIMIT $2" };

/* For the status: "ready", "loading" or "off" (the writer is down). */
const char *
cidfilter_state(size_t *ids, size_t *kib)
{
	const struct bloomset	*b = cf.ready != NULL ? cf.ready : cf.loading;

	*ids = b != NULL ? bloomset_ids(b) : 0;
	*kib = (cf.ready != NULL ? bloomset_kib(cf.ready) : 0) +
	    (cf.loading != NULL ? bloomset_kib(cf.loading) : 0);
	return cf.ready != NULL ? "ready" :
	    cf.loading != NULL || cf.waiting ? "loading" : "off";
}

static void		 cidfilter_reader(void);
static void		 cidfilter_load(void);
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
	db_on_reader(cidfilter_reader);
}

/* 1: the id was certainly never stored (nor claimed by this process). */
int
cidfilter_absent(const char *id)
{
	return cf.ready != NULL && !bloomset_has(cf.ready, id);
}

void
cidfilter_add(const char *id)
{
	if (cf.ready != NULL)
		bloomset_add(cf.ready, id);
	if (cf.loading != NULL)
		bloomset_add(cf.loading, id);
}

/* The writer is up: load, once the reader is up or has failed. */
void
cidfilter_db_up(void)
{
	cidfilter_db_down();
	if (db_reader_pending())
		cf.waiting = 1;
	else
		cidfilter_load();
}

static void
cidfilter_reader(void)
{
	if (!cf.waiting)
		return;
	cf.waiting = 0;
	cidfilter_load();
}

/* Sized from the planner's estimate. */
static void
cidfilter_load(void)
{
	struct db_job	*job;

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
	bloomset_free(cf.ready);
	bloomset_free(cf.loading);
	cf.ready = cf.loading = NULL;
	cf.waiting = 0;
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
	cf.loading = bloomset_new(n, CIDFILTER_BITS_MIN, CIDFILTER_BITS_MAX);
	cf.after = 0;
	cf.more = 1;
	cf.t0 = stored_env_mono_us();
	cidcache_each(cidfilter_seed);
	cidfilter_page();
}

static void
cidfilter_seed(const char *id)
{
	bloomset_add(cf.loading, id);
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
		bloomset_add(cf.loading, id);
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
		bloomset_free(cf.loading);
		cf.loading = NULL;
		if (db_ready())
			cidfilter_start(cf.ready != NULL ?
			    bloomset_ids(cf.ready) * 2 : cf.estimate);
		return;
	}
	if (cf.more) {
		cidfilter_page();
		return;
	}
	bloomset_free(cf.ready);
	cf.ready = cf.loading;
	cf.loading = NULL;
	log_info("Client-Id filter: %zu ids, %zu KiB, loaded in %lld ms",
	    bloomset_ids(cf.ready), bloomset_kib(cf.ready),
	    (long long)(stored_env_mono_us() - cf.t0) / 1000);
}
