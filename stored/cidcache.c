/*
 * The Client-Id cache: every id a request holds while it is looked up
 * or stored (so that a second request with the same id waits for it),
 * and the settled ids with their answers, the oldest forgotten first.
 * What the cache does not know, and the filter of the ids stored
 * (cidfilter.c) cannot rule out, is asked of the database, the ids of
 * many requests in one query.
 *
 * The query goes on the read-only connection, never behind a commit on
 * the writer.  It cannot miss a Client-Id being stored, nor let one be
 * stored twice:
 * - an id is held in the cache (CID_LOOKUP, then CID_PENDING) from the
 *   moment a request asks for it until its write has committed (it is
 *   then CID_DONE) or failed (it is dropped); meanwhile a second request
 *   with that id waits for the first and asks nothing;
 * - so an id is asked for only when it is in no write in flight: it was
 *   never stored, or its write committed before it was forgotten by the
 *   cache (the oldest settled ids are), or its write failed;
 * - the commit is visible to every snapshot taken after the server
 *   acknowledged it, and each lookup is a statement of its own, whose
 *   snapshot is taken after it is sent: after the acknowledgement, for
 *   an id settled then forgotten;
 * - a write whose outcome is unknown (the writer's link lost during the
 *   commit) is settled before any lookup: lookups are made only while
 *   the writer is up (db_job_begin_read), and a new writer session is up
 *   only once it holds the advisory lock, which the old session holds
 *   until it is gone, its transaction committed or not;
 * - and the primary key of client_ids refuses a second row whatever
 *   happens: the group fails and its requests are written one by one.
 */
#include <sys/types.h>
#include <sys/queue.h>
#include <sys/tree.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "log.h"
#include "proto.h"
#include "cidcache.h"
#include "cidfilter.h"
#include "db.h"
#include "dbval.h"

#define CIDCACHE_MAX		65536	/* settled Client-Ids remembered */

RB_HEAD(cidcache_tree, cid);

static struct {
	struct cidcache_tree	 tree;
	TAILQ_HEAD(, cid)	 lru;
	size_t			 nsettled;
} cidcache;

static const struct db_stmt cidcache_stmt = { "cfjl_client_id_lookup",
    "SELECT c.client_id, e.idevt, e.lot, e.received, e.digest,"
    " e.body_sha256, e.p7m_sha256 FROM client_ids c"
    " JOIN events e USING (idevt)"
    " WHERE c.client_id = ANY ($1::text[])" };

/* One lookup, kept to be asked again if the reader is lost with it. */
struct cidcache_ask {
	struct cid	**ids;
	size_t		  n;
	int		  tries;
	db_done_cb	  done;
	void		 *arg;
};

static int	 cidcache_cmp(struct cid *, struct cid *);
static int	 cidcache_send(struct cidcache_ask *);
static void	 cidcache_asked(int, const char *, void *);
static void	 cidcache_rows(PGresult *, void *);

RB_PROTOTYPE_INTERNAL(cidcache_tree, cid, node, cidcache_cmp,
    static __attribute__((__unused__)));
RB_GENERATE_INTERNAL(cidcache_tree, cid, node, cidcache_cmp,
    static __attribute__((__unused__)));

static int
cidcache_cmp(struct cid *a, struct cid *b)
{
	return strcmp(a->id, b->id);
}

void
cidcache_init(void)
{
	RB_INIT(&cidcache.tree);
	TAILQ_INIT(&cidcache.lru);
	db_prepare(&cidcache_stmt, 1);
}

struct cid *
cidcache_find(const char *id)
{
	struct cid	 key;

	strlcpy(key.id, id, sizeof(key.id));
	return RB_FIND(cidcache_tree, &cidcache.tree, &key);
}

/* A new id, held by owner while it is looked up (CID_LOOKUP). */
struct cid *
cidcache_claim(const char *id, const uint8_t *body, void *owner)
{
	struct cid	*c;

	if ((c = calloc(1, sizeof(*c))) == NULL)
		fatal(NULL);
	strlcpy(c->id, id, sizeof(c->id));
	c->state = CID_LOOKUP;
	c->owner = owner;
	memcpy(c->body, body, SHA256_LEN);
	if (RB_INSERT(cidcache_tree, &cidcache.tree, c) != NULL)
		fatalx("%s: Client-Id claimed twice", __func__);
	cidfilter_add(id);	/* before it can be written */
	return c;
}

/* Most recently used: kept longest. */
void
cidcache_touch(struct cid *c)
{
	if (c->state != CID_DONE)
		return;
	TAILQ_REMOVE(&cidcache.lru, c, lru);
	TAILQ_INSERT_TAIL(&cidcache.lru, c, lru);
}

/*
 * Settled: c->item is the answer to a retry.  The cache owns it now and
 * may forget it (the oldest settled id goes when the cache is full).
 */
void
cidcache_settle(struct cid *c)
{
	struct cid	*old;

	c->state = CID_DONE;
	c->owner = NULL;
	c->found = 0;
	TAILQ_INSERT_TAIL(&cidcache.lru, c, lru);
	if (++cidcache.nsettled > CIDCACHE_MAX &&
	    (old = TAILQ_FIRST(&cidcache.lru)) != NULL)
		cidcache_drop(old);
}

void
cidcache_drop(struct cid *c)
{
	RB_REMOVE(cidcache_tree, &cidcache.tree, c);
	if (c->state == CID_DONE) {
		TAILQ_REMOVE(&cidcache.lru, c, lru);
		cidcache.nsettled--;
	}
	free(c);
}

/* Every id held, whatever its state: a new filter's seed. */
void
cidcache_each(void (*fn)(const char *))
{
	struct cid	*c;

	RB_FOREACH(c, cidcache_tree, &cidcache.tree)
		fn(c->id);
}

/*
 * Ask the database for n ids in CID_LOOKUP.  Those it holds are marked
 * found, their answer in item; their owners settle them once done(ok)
 * runs.  -1 if the database is not there (done is not called).
 */
int
cidcache_lookup(struct cid **ids, size_t n, db_done_cb done, void *arg)
{
	struct cidcache_ask	*a;

	if ((a = calloc(1, sizeof(*a))) == NULL ||
	    (a->ids = reallocarray(NULL, n ? n : 1, sizeof(*ids))) == NULL)
		fatal(NULL);
	memcpy(a->ids, ids, n * sizeof(*ids));
	a->n = n;
	a->done = done;
	a->arg = arg;
	if (cidcache_send(a) == -1) {
		free(a->ids);
		free(a);
		return -1;
	}
	return 0;	/* a may be gone: done may have run already */
}

static int
cidcache_send(struct cidcache_ask *a)
{
	struct db_job		*job;
	struct dbval_params	 p;
	struct dbval_array	 arr;
	size_t			 i;

	if ((job = db_job_begin_read(cidcache_asked, a)) == NULL)
		return -1;
	a->tries++;
	dbval_array_init(&arr, DBVAL_OID_TEXT);
	for (i = 0; i < a->n; i++)
		dbval_array_text(&arr, a->ids[i]->id);
	dbval_params_init(&p);
	dbval_param_array(&p, &arr);
	db_job_exec(job, &cidcache_stmt, &p, cidcache_rows, NULL);
	dbval_params_free(&p);
	dbval_array_free(&arr);
	db_job_end(job);
	return 0;
}

/*
 * A lookup that failed, the reader lost with it, is asked once more (on
 * the writer, or on a new reader): a lost reader costs no refusal.
 */
static void
cidcache_asked(int ok, const char *err, void *arg)
{
	struct cidcache_ask	*a = arg;

	if (!ok && a->tries == 1 && db_ready()) {
		log_debug("Client-Id lookup failed (%s): asked again", err);
		if (cidcache_send(a) == 0)
			return;
	}
	a->done(ok, err, a->arg);
	free(a->ids);
	free(a);
}

static void
cidcache_rows(PGresult *res, void *arg)
{
	struct cid	*c;
	const uint8_t	*b;
	size_t		 len;
	char		 id[CLIENT_ID_MAX];
	int		 i;

	for (i = 0; i < PQntuples(res); i++) {
		dbval_get_text(res, i, 0, id, sizeof(id));
		if ((c = cidcache_find(id)) == NULL || c->state != CID_LOOKUP)
			continue;
		memset(&c->item, 0, sizeof(c->item));
		c->item.idevt = dbval_get_u64(res, i, 1);
		c->item.lot = dbval_get_u64(res, i, 2);
		c->item.received_ms = dbval_get_time_ms(res, i, 3);
		b = dbval_get_bytes(res, i, 4, &len);
		if (len == SHA256_LEN)
			memcpy(c->item.digest, b, len);
		b = dbval_get_bytes(res, i, 5, &len);
		if (len == SHA256_LEN)
			memcpy(c->body, b, len);
		b = dbval_get_bytes(res, i, 6, &len);
		if (len == SHA256_LEN)
			memcpy(c->item.record, b, len);
		c->item.duplicate = 1;
		strlcpy(c->item.client_id, id, sizeof(c->item.client_id));
		c->found = 1;
	}
}
