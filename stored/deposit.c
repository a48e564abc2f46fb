/*
 * Deposits from frontd: Client-Id checks, then group commit.  Requests
 * that arrive within commit-delay (or until commit-max events) are
 * numbered, encrypted and written in one transaction; while it commits,
 * the next group gathers.  Every request of a group is answered once
 * the commit returned: IMSG_DEPOSIT_OK only for what is durable.  A
 * failed transaction gives its numbers back, so none is ever skipped.
 *
 * A Client-Id seen before with the same body gets the original answer
 * (duplicate) and stores nothing; with another body, 409.  Ids still on
 * their way to the database hold back a second request with the same
 * id until the first is settled.
 *
 * Lookups and writes share the one pipelined connection, so a lookup
 * sent during a commit is answered right after it: the next write waits
 * for that answer, so that its requests join that write rather than the
 * one after (an extra commit of latency for most requests under load).
 */
#include <sys/types.h>
#include <sys/queue.h>
#include <sys/tree.h>
#include <sys/uio.h>

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event.h>
#include <openssl/sha.h>

#include "audit.h"
#include "config.h"
#include "log.h"
#include "msg.h"
#include "refusal.h"
#include "rfc3339.h"
#include "stored.h"

#define DEP_TRACES_MAX		100000	/* in one request */
#define DEP_QUEUE_MAX		200000	/* events waiting, then 503 */
#define DEP_CACHE_MAX		65536	/* settled Client-Ids remembered */
#define DEP_ROWS_MAX		4000	/* rows in one INSERT */
#define DEP_RETRY_AFTER		2	/* seconds, with 503 */
#define DEP_SLOW_US		15000	/* logged at -vv */

/* Microseconds, monotonic: where a slow deposit spent its time. */
static int64_t
dep_now(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

enum cid_state {
	CID_LOOKUP,	/* its request asks the database */
	CID_PENDING,	/* its request will store it */
	CID_DONE	/* stored: item is the answer */
};

struct dreq;
struct cid {
	RB_ENTRY(cid)		 node;
	TAILQ_ENTRY(cid)	 lru;
	char			 id[CLIENT_ID_MAX];
	enum cid_state		 state;
	struct dreq		*owner;
	uint8_t			 body[SHA256_LEN];
	struct deposit_item	 item;
};
RB_HEAD(cid_tree, cid);

struct dtrace {
	struct deposit_trace	 h;
	const uint8_t		*xml;
	struct cid		*cid;	/* owned: LOOKUP or PENDING */
	int			 dup;
	struct deposit_item	 item;
	uint8_t			*p7m;
	size_t			 p7mlen;
	uint8_t			 p7m_sha[SHA256_LEN];
};

enum dreq_state {
	DREQ_WAIT,	/* Client-Id checks */
	DREQ_READY,	/* in the queue for the next group */
	DREQ_WRITING
};

struct dreq {
	TAILQ_ENTRY(dreq)	 entry;
	uint64_t		 front;
	struct deposit_req	 h;
	uint8_t			*buf;	/* the message, traces in clear */
	size_t			 buflen;
	struct dtrace		*t;
	uint32_t		 nnew;	/* traces to store */
	int			 counted;	/* in dep.nwaiting */
	int			 solo;	/* its group failed: retry alone */
	enum dreq_state		 state;
	int64_t			 t_in;	/* us, monotonic: came in */
	int64_t			 t_look;	/* Client-Ids looked up */
	int64_t			 t_ready;	/* queued for a write */
	int64_t			 t_sent;	/* in a write */
};
TAILQ_HEAD(dreqs, dreq);

struct dgroup {
	struct dreqs		 reqs;
	struct lotstate_mark		 mark;
	struct lot_closed	*closes;
	size_t			 ncloses;
	size_t			 nevents;
	uint64_t		 first;
	uint64_t		 last;
};

static struct {
	struct cid_tree		 cids;
	TAILQ_HEAD(, cid)	 lru;
	size_t			 ncached;
	struct dreqs		 blocked;
	struct dreqs		 ready;
	size_t			 nready;	/* events */
	size_t			 nwaiting;	/* events, all states */
	struct dgroup		*writing;
	struct event		 timer;
	uint64_t		 groups;
	struct dreqs		 lookq;		/* Client-Ids to ask for */
	int			 looking;	/* a lookup in flight */
	int			 lookwait;	/* the next write waits for it */
} dep;

/* One lookup of Client-Ids for the requests that queued meanwhile. */
struct dlookup {
	struct dreqs		 reqs;
	int64_t			 t0;
	size_t			 nids;
	int			 behind;
};

/* A group's rows: the columns of events, sent as arrays. */
enum {
	EV_IDEVT, EV_LOT, EV_TYPE, EV_DATEEVT, EV_RECEIVED, EV_DEPOSITOR,
	EV_CLIENT_ID, EV_BODY, EV_DIGEST, EV_P7M, EV_P7M_SHA, EV_STAMP, EV_NCOLS
};
static const uint32_t dep_ev_oids[EV_NCOLS] = {
	DB_OID_INT8, DB_OID_INT8, DB_OID_TEXT, DB_OID_TEXT,
	DB_OID_TIMESTAMPTZ, DB_OID_BYTEA, DB_OID_TEXT, DB_OID_BYTEA,
	DB_OID_BYTEA, DB_OID_BYTEA, DB_OID_BYTEA, DB_OID_TEXT
};
static const struct db_stmt dep_ev_stmt = { "cfjl_events",
    "INSERT INTO events (idevt, lot, type, dateevt, received, depositor,"
    " client_id, body_sha256, digest, p7m, p7m_sha256, stamp) SELECT * FROM"
    " unnest($1::bigint[], $2::bigint[], $3::text[], $4::text[],"
    " $5::timestamptz[], $6::bytea[], $7::text[], $8::bytea[],"
    " $9::bytea[], $10::bytea[], $11::bytea[], $12::text[])" };
static const struct db_stmt dep_cid_stmt = { "cfjl_client_ids",
    "INSERT INTO client_ids (client_id, idevt) SELECT * FROM"
    " unnest($1::text[], $2::bigint[])" };

static int	 cid_cmp(struct cid *, struct cid *);
RB_PROTOTYPE_INTERNAL(cid_tree, cid, node, cid_cmp, static __attribute__((__unused__)));

static int	 dep_parse(struct dreq *, struct msg *);
static int	 dep_batch_dups(struct dreq *);
static void	 dep_eval(struct dreq *);
static void	 dep_lookup(struct dreq *);
static void	 dep_lookup_flush(void);
static void	 dep_lookup_rows(PGresult *, void *);
static void	 dep_lookup_done(int, const char *, void *);
static void	 dep_ready(struct dreq *);
static void	 dep_timer(int, short, void *);
static void	 dep_flush(void);
static int	 dep_prepare(struct dgroup *, struct dreq *);
static void	 dep_send(struct db_job *, const struct db_stmt *,
		    struct db_array *, int);
static void	 dep_write(struct dgroup *, struct db_job *);
static void	 dep_written(int, const char *, void *);
static void	 dep_answer(struct dreq *);
static void	 dep_slow(struct dreq *, struct dgroup *);
static void	 dep_refuse(struct dreq *, enum refusal, int, const char *,
		    const char *, ...)
		    __attribute__((__format__(printf, 5, 6)));
static void	 dep_release(struct dreq *, int);
static void	 dep_free(struct dreq *);
static void	 dep_wake(void);
static struct cid *cid_find(const char *);
static void	 cid_cache(struct cid *);
static void	 cid_drop(struct cid *);

RB_GENERATE_INTERNAL(cid_tree, cid, node, cid_cmp, static __attribute__((__unused__)));

int
cid_cmp(struct cid *a, struct cid *b)
{
	return strcmp(a->id, b->id);
}

void
deposit_init(void)
{
	RB_INIT(&dep.cids);
	TAILQ_INIT(&dep.lru);
	TAILQ_INIT(&dep.blocked);
	TAILQ_INIT(&dep.ready);
	TAILQ_INIT(&dep.lookq);
	evtimer_set(&dep.timer, dep_timer, NULL);
	db_prepare(&dep_ev_stmt);
	db_prepare(&dep_cid_stmt);
}

int
deposit_writing(void)
{
	return dep.writing != NULL;
}

size_t
deposit_pending(void)
{
	return dep.nwaiting;
}

/*
 * IMSG_DEPOSIT: struct deposit_req, then ntraces times a struct
 * deposit_trace and its XML.  -1 if malformed (the peer is dropped).
 */
int
deposit_request(uint64_t front, struct msg *m)
{
	struct dreq	*r;

	if ((r = calloc(1, sizeof(*r))) == NULL)
		fatal(NULL);
	r->front = front;
	r->t_in = dep_now();
	if (dep_parse(r, m) == -1) {
		dep_free(r);
		return -1;
	}
	if (!db_ready() || !lotstate_ready()) {
		dep_refuse(r, REFUSE_UNAVAILABLE, -1,
		    "storage unavailable", "the database is not reachable; "
		    "nothing was stored, try again later");
		return 0;
	}
	if (dep.nwaiting + r->h.ntraces > DEP_QUEUE_MAX) {
		dep_refuse(r, REFUSE_UNAVAILABLE, -1,
		    "storage busy", "%zu events are waiting to be stored; "
		    "nothing was stored, try again later", dep.nwaiting);
		return 0;
	}
	if (dep_batch_dups(r) == -1)
		return 0;
	dep.nwaiting += r->h.ntraces;
	r->counted = 1;
	dep_eval(r);
	return 0;
}

static int
dep_parse(struct dreq *r, struct msg *m)
{
	struct dtrace	*t;
	const void	*xml;
	uint32_t	 i;

	r->buflen = m_left(m);
	if (m_get_struct(m, proto_deposit_req, &r->h) == -1)
		return -1;
	if (r->h.ntraces == 0 || r->h.ntraces > DEP_TRACES_MAX ||
	    (r->h.batch == 0 && r->h.ntraces != 1))
		return m_fail(m, "%u traces (batch %u)", r->h.ntraces,
		    r->h.batch);
	/* frontd refuses another form: the lot must not carry one. */
	if (r->h.stamp[0] != '\0' &&
	    rfc3339_check(r->h.stamp, strlen(r->h.stamp)) == -1)
		return m_fail(m, "Timestamp is not RFC 3339");
	if ((r->t = calloc(r->h.ntraces, sizeof(*r->t))) == NULL)
		fatal(NULL);
	for (i = 0; i < r->h.ntraces; i++) {
		t = &r->t[i];
		if (m_get_struct(m, proto_deposit_trace, &t->h) == -1 ||
		    m_get_ptr(m, &xml, t->h.len) == -1)
			return -1;
		if (t->h.len == 0 || t->h.idevt_off > t->h.len ||
		    t->h.idevt_len > t->h.len - t->h.idevt_off)
			return m_fail(m, "trace %u: IDEvt outside its trace", i);
		t->xml = xml;
	}
	if (m_end(m) == -1)
		return -1;
	/* The traces stay where they arrived: the payload is ours now. */
	r->buf = m_keep(m);
	return 0;
}

static int
dep_cid_sort(const void *a, const void *b)
{
	const struct dtrace	*x = *(struct dtrace *const *)a;
	const struct dtrace	*y = *(struct dtrace *const *)b;

	return strcmp(x->h.client_id, y->h.client_id);
}

/* The same Client-Id twice in one batch: refused whole. */
static int
dep_batch_dups(struct dreq *r)
{
	struct dtrace	**v;
	uint32_t	  i, n = 0;
	int		  ret = 0;

	if (r->h.ntraces < 2)
		return 0;
	if ((v = calloc(r->h.ntraces, sizeof(*v))) == NULL)
		fatal(NULL);
	for (i = 0; i < r->h.ntraces; i++)
		if (r->t[i].h.client_id[0] != '\0')
			v[n++] = &r->t[i];
	qsort(v, n, sizeof(*v), dep_cid_sort);
	for (i = 1; i < n; i++)
		if (strcmp(v[i - 1]->h.client_id, v[i]->h.client_id) == 0) {
			dep_refuse(r, REFUSE_CLIENT_ID_REUSED,
			    (int)(v[i] - r->t), "Client-Id reused",
			    "Client-Id \"%s\" appears twice in the batch; "
			    "nothing was stored", v[i]->h.client_id);
			ret = -1;
			break;
		}
	free(v);
	return ret;
}

/*
 * Settle the request's Client-Ids: from the cache, by asking the
 * database, or by waiting for a request that holds the same id.
 */
static void
dep_eval(struct dreq *r)
{
	struct dtrace	*t;
	struct cid	*c;
	uint32_t	 i, need = 0;

	r->state = DREQ_WAIT;
	for (i = 0; i < r->h.ntraces; i++) {
		t = &r->t[i];
		if (t->h.client_id[0] == '\0' || t->dup || t->cid != NULL)
			continue;
		if ((c = cid_find(t->h.client_id)) == NULL) {
			need++;
			continue;
		}
		if (c->state != CID_DONE) {
			/* Another request holds it: wait until it settles. */
			TAILQ_INSERT_TAIL(&dep.blocked, r, entry);
			return;
		}
		if (memcmp(c->body, t->h.body_sha256, SHA256_LEN) != 0) {
			dep_refuse(r, REFUSE_CLIENT_ID_REUSED,
			    r->h.batch ? (int)i : -1, "Client-Id reused",
			    "Client-Id \"%s\" was used for another trace "
			    "(IDEvt %" PRIu64 "); nothing was stored",
			    t->h.client_id, c->item.idevt);
			return;
		}
		t->dup = 1;
		t->item = c->item;
		/* Most recently used: kept longest. */
		TAILQ_REMOVE(&dep.lru, c, lru);
		TAILQ_INSERT_TAIL(&dep.lru, c, lru);
	}
	if (need > 0) {
		dep_lookup(r);
		return;
	}
	dep_ready(r);
}

/*
 * Claim the request's unknown Client-Ids (a second request with one of
 * them waits for this one), then queue it for the next lookup: while
 * one lookup is in flight the next gathers, so that under load a single
 * query asks for the ids of many requests.
 */
static void
dep_lookup(struct dreq *r)
{
	struct dtrace	*t;
	struct cid	*c;
	uint32_t	 i;

	for (i = 0; i < r->h.ntraces; i++) {
		t = &r->t[i];
		if (t->h.client_id[0] == '\0' || t->dup || t->cid != NULL ||
		    cid_find(t->h.client_id) != NULL)
			continue;
		if ((c = calloc(1, sizeof(*c))) == NULL)
			fatal(NULL);
		strlcpy(c->id, t->h.client_id, sizeof(c->id));
		c->state = CID_LOOKUP;
		c->owner = r;
		memcpy(c->body, t->h.body_sha256, SHA256_LEN);
		RB_INSERT(cid_tree, &dep.cids, c);
		t->cid = c;
	}
	TAILQ_INSERT_TAIL(&dep.lookq, r, entry);
	dep_lookup_flush();
}

/* Ask for the Client-Ids of every queued request in one query. */
static void
dep_lookup_flush(void)
{
	struct dlookup		*l;
	struct db_job		*job;
	struct db_params	 p;
	struct dreq		*r;
	struct dtrace		*t;
	char			*arr = NULL, *np;
	size_t			 alen = 0, asize = 0, need, nids = 0;
	uint32_t		 i;
	const char		*s;

	if (dep.looking || TAILQ_EMPTY(&dep.lookq))
		return;
	if ((l = calloc(1, sizeof(*l))) == NULL)
		fatal(NULL);
	TAILQ_INIT(&l->reqs);
	if ((job = db_job_begin(dep_lookup_done, l)) == NULL) {
		free(l);
		while ((r = TAILQ_FIRST(&dep.lookq)) != NULL) {
			TAILQ_REMOVE(&dep.lookq, r, entry);
			dep_refuse(r, REFUSE_UNAVAILABLE, -1,
			    "storage unavailable", "the database is not "
			    "reachable; nothing was stored, try again later");
		}
		return;
	}
	TAILQ_CONCAT(&l->reqs, &dep.lookq, entry);
	/* A text[] literal: {"id1","id2"} with quotes and backslashes escaped. */
	TAILQ_FOREACH(r, &l->reqs, entry)
		for (i = 0; i < r->h.ntraces; i++) {
			t = &r->t[i];
			if (t->cid == NULL || t->cid->state != CID_LOOKUP ||
			    t->cid->owner != r)
				continue;
			need = alen + 2 * strlen(t->cid->id) + 4;
			if (need > asize) {
				asize = need * 2;
				if ((np = realloc(arr, asize)) == NULL)
					fatal(NULL);
				arr = np;
			}
			arr[alen] = alen == 0 ? '{' : ',';
			alen++;
			arr[alen++] = '"';
			for (s = t->cid->id; *s != '\0'; s++) {
				if (*s == '"' || *s == '\\')
					arr[alen++] = '\\';
				arr[alen++] = *s;
			}
			arr[alen++] = '"';
			nids++;
		}
	if (arr == NULL) {
		/* Not reached: each queued request claimed an id. */
		if ((arr = strdup("{")) == NULL)
			fatal(NULL);
		alen = 1;
	}
	arr[alen++] = '}';
	arr[alen] = '\0';
	log_debug("Client-Id lookup: %zu ids", nids);

	dep.looking = 1;
	l->t0 = dep_now();
	l->nids = nids;
	l->behind = dep.writing != NULL;
	db_params_init(&p);
	db_param_text(&p, arr);
	db_job_query(job, "SELECT c.client_id, e.idevt, e.lot, e.received,"
	    " e.digest, e.body_sha256, e.p7m_sha256 FROM client_ids c"
	    " JOIN events e"
	    " USING (idevt) WHERE c.client_id = ANY ($1::text[])", &p,
	    dep_lookup_rows, l);
	db_params_free(&p);
	db_job_end(job);
	free(arr);
}

static void
dep_lookup_rows(PGresult *res, void *arg)
{
	struct dreq	*r;
	struct cid	*c;
	const uint8_t	*b;
	size_t		 len;
	char		 id[CLIENT_ID_MAX];
	int		 i;
	uint32_t	 j;

	/* Each id asked for is claimed by one request of the lookup. */
	for (i = 0; i < PQntuples(res); i++) {
		db_get_text(res, i, 0, id, sizeof(id));
		if ((c = cid_find(id)) == NULL || c->state != CID_LOOKUP ||
		    (r = c->owner) == NULL)
			continue;
		memset(&c->item, 0, sizeof(c->item));
		c->item.idevt = db_get_u64(res, i, 1);
		c->item.lot = db_get_u64(res, i, 2);
		c->item.received_ms = db_get_time_ms(res, i, 3);
		b = db_get_bytes(res, i, 4, &len);
		if (len == SHA256_LEN)
			memcpy(c->item.digest, b, len);
		b = db_get_bytes(res, i, 5, &len);
		if (len == SHA256_LEN)
			memcpy(c->body, b, len);
		b = db_get_bytes(res, i, 6, &len);
		if (len == SHA256_LEN)
			memcpy(c->item.record, b, len);
		c->item.duplicate = 1;
		strlcpy(c->item.client_id, id, sizeof(c->item.client_id));
		/* Settled: the cache owns it now, not the request. */
		for (j = 0; j < r->h.ntraces; j++)
			if (r->t[j].cid == c)
				r->t[j].cid = NULL;
		cid_cache(c);
	}
}

static void
dep_lookup_done(int ok, const char *err, void *arg)
{
	struct dlookup	*l = arg;
	struct dreq	*r;

	dep.looking = 0;
	if (log_getverbose() > 1 && dep_now() - l->t0 > DEP_SLOW_US / 2)
		log_info("slow Client-Id lookup: %lld us, %zu ids, %s",
		    (long long)(dep_now() - l->t0), l->nids, l->behind ?
		    "behind a write" : "alone");
	while ((r = TAILQ_FIRST(&l->reqs)) != NULL) {
		TAILQ_REMOVE(&l->reqs, r, entry);
		r->t_look = dep_now();
		if (!ok)
			dep_refuse(r, REFUSE_UNAVAILABLE, -1,
			    "storage unavailable", "the database failed "
			    "(%s); nothing was stored, try again later", err);
		else
			dep_eval(r);
	}
	free(l);
	dep_wake();
	/*
	 * The next lookup goes first: with no write in front of it, it is
	 * answered at once, in time for the write after this one.
	 */
	dep_lookup_flush();
	if (dep.lookwait) {
		/* The write that waited for this lookup. */
		dep.lookwait = 0;
		dep_flush();
	}
}

/* All Client-Ids settled: answer duplicates at once, queue the rest. */
static void
dep_ready(struct dreq *r)
{
	struct timeval	 tv;
	uint32_t	 i;
	unsigned int	 delay, max;

	r->nnew = 0;
	for (i = 0; i < r->h.ntraces; i++) {
		if (r->t[i].dup)
			continue;
		r->nnew++;
		if (r->t[i].cid != NULL)
			r->t[i].cid->state = CID_PENDING;
	}
	if (r->nnew == 0) {
		dep_answer(r);
		return;
	}
	r->state = DREQ_READY;
	r->t_ready = dep_now();
	TAILQ_INSERT_TAIL(&dep.ready, r, entry);
	dep.nready += r->nnew;

	if (dep.writing != NULL)
		return;		/* the next group gathers meanwhile */
	delay = env->conf->stored.commit_delay_us;
	max = env->conf->stored.commit_max;
	if (delay == 0 || (max != 0 && dep.nready >= max)) {
		evtimer_del(&dep.timer);
		dep_flush();
	} else if (!evtimer_pending(&dep.timer, NULL)) {
		tv.tv_sec = delay / 1000000;
		tv.tv_usec = delay % 1000000;
		evtimer_add(&dep.timer, &tv);
	}
}

static void
dep_timer(int fd, short ev, void *arg)
{
	dep_flush();
}

/* Start a write if none is running: queued requests, a lot to close. */
void
deposit_kick(void)
{
	if (dep.writing == NULL && !evtimer_pending(&dep.timer, NULL))
		dep_flush();
}

static void
dep_flush(void)
{
	struct dgroup		*g;
	struct db_job		*job;
	struct dreq		*r;
	struct lot_closed	 c;
	unsigned int		 max;

	if (dep.writing != NULL || !db_ready() || !lotstate_ready())
		return;
	if (TAILQ_EMPTY(&dep.ready) && !lotstate_closing())
		return;
	evtimer_del(&dep.timer);
	if ((g = calloc(1, sizeof(*g))) == NULL)
		fatal(NULL);
	TAILQ_INIT(&g->reqs);
	lotstate_mark(&g->mark);
	if (lotstate_close_due(&c)) {
		if ((g->closes = malloc(sizeof(c))) == NULL)
			fatal(NULL);
		g->closes[g->ncloses++] = c;
	}
	max = env->conf->stored.commit_max;
	while ((r = TAILQ_FIRST(&dep.ready)) != NULL) {
		if (g->nevents > 0 && max != 0 && g->nevents + r->nnew > max)
			break;
		if (g->nevents > 0 && r->solo)
			break;
		TAILQ_REMOVE(&dep.ready, r, entry);
		dep.nready -= r->nnew;
		if (dep_prepare(g, r) == -1)
			continue;	/* refused alone, numbers given back */
		r->state = DREQ_WRITING;
		r->t_sent = dep_now();
		TAILQ_INSERT_TAIL(&g->reqs, r, entry);
		g->nevents += r->nnew;
		if (r->solo)
			break;
	}
	if (g->nevents == 0 && g->ncloses == 0) {
		lotstate_rewind(&g->mark);
		free(g->closes);
		free(g);
		return;
	}
	if ((job = db_job_begin(dep_written, g)) == NULL) {
		/* Not reached: db_ready() said yes. */
		fatalx("%s: no database job", __func__);
	}
	dep.writing = g;
	dep.groups++;
	log_debug("group %llu: %zu events, %zu more waiting",
	    (unsigned long long)dep.groups, g->nevents, dep.nready);
	dep_write(g, job);
	db_job_end(job);
}

/*
 * Number, write in, digest and encrypt the request's new traces.  On
 * failure the request alone is refused and its numbers are given back.
 */
static int
dep_prepare(struct dgroup *g, struct dreq *r)
{
	struct lotstate_mark		 m;
	struct lot_closed	 c, *nc;
	struct dtrace		*t;
	size_t			 ncloses = g->ncloses;
	uint8_t			*xml;
	size_t			 xlen;
	uint32_t		 i;
	int			 closed;

	lotstate_mark(&m);
	for (i = 0; i < r->h.ntraces; i++) {
		t = &r->t[i];
		if (t->dup)
			continue;
		free(t->p7m);	/* prepared before, in a group that failed */
		t->p7m = NULL;
		memset(&t->item, 0, sizeof(t->item));
		t->item.idevt = lotstate_assign(r->h.received_ms, &t->item.lot, &c,
		    &closed);
		t->item.received_ms = r->h.received_ms;
		strlcpy(t->item.client_id, t->h.client_id,
		    sizeof(t->item.client_id));
		if (closed) {
			if ((nc = reallocarray(g->closes, g->ncloses + 1,
			    sizeof(*nc))) == NULL)
				fatal(NULL);
			g->closes = nc;
			g->closes[g->ncloses++] = c;
		}
		if (tracenum_write(t->xml, t->h.len, t->h.idevt_off,
		    t->h.idevt_len, t->item.idevt, &xml, &xlen) == -1)
			goto fail;
		SHA256(xml, xlen, t->item.digest);
		if (crypt_encrypt(xml, xlen, &t->p7m, &t->p7mlen) == -1) {
			freezero(xml, xlen);
			goto fail;
		}
		freezero(xml, xlen);
		SHA256(t->p7m, t->p7mlen, t->p7m_sha);
		memcpy(t->item.record, t->p7m_sha, SHA256_LEN);
	}
	return 0;
 fail:
	lotstate_rewind(&m);
	g->ncloses = ncloses;
	dep_refuse(r, REFUSE_INTERNAL, r->h.batch ? (int)i : -1,
	    "encryption failed", "the trace could not be encrypted for the "
	    "regulator; nothing was stored");
	return -1;
}

/*
 * The group's statements: events, closed lots, Client-Ids.  Each table
 * gets one INSERT of up to DEP_ROWS_MAX rows, its columns sent as
 * binary arrays and unnested by the server: no SQL text, no number
 * formatting and no parameter list that grows with the rows.
 */

/* One INSERT of the rows gathered in the columns, which are emptied. */
static void
dep_send(struct db_job *job, const struct db_stmt *st, struct db_array *cols,
    int ncols)
{
	struct db_params	 p;
	int			 i;

	if (cols[0].n == 0)
		return;
	db_params_init(&p);
	for (i = 0; i < ncols; i++)
		db_param_array(&p, &cols[i]);
	db_job_exec(job, st, &p, NULL, NULL);
	db_params_free(&p);
	for (i = 0; i < ncols; i++)
		db_array_reset(&cols[i]);
}

static void
dep_write(struct dgroup *g, struct db_job *job)
{
	struct db_array	 ev[EV_NCOLS], cid[2];
	struct dreq	*r;
	struct dtrace	*t;
	size_t		 i;
	uint32_t	 j;

	for (i = 0; i < EV_NCOLS; i++)
		db_array_init(&ev[i], dep_ev_oids[i]);
	db_array_init(&cid[0], DB_OID_TEXT);
	db_array_init(&cid[1], DB_OID_INT8);
	TAILQ_FOREACH(r, &g->reqs, entry) {
		for (j = 0; j < r->h.ntraces; j++) {
			t = &r->t[j];
			if (t->dup)
				continue;
			db_array_u64(&ev[EV_IDEVT], t->item.idevt);
			db_array_u64(&ev[EV_LOT], t->item.lot);
			db_array_text(&ev[EV_TYPE], t->h.type);
			db_array_text(&ev[EV_DATEEVT], t->h.dateevt);
			db_array_time_ms(&ev[EV_RECEIVED], r->h.received_ms);
			db_array_bytes(&ev[EV_DEPOSITOR], r->h.depositor,
			    SHA256_LEN);
			if (t->h.client_id[0] != '\0') {
				db_array_text(&ev[EV_CLIENT_ID],
				    t->h.client_id);
				db_array_text(&cid[0], t->h.client_id);
				db_array_u64(&cid[1], t->item.idevt);
			} else
				db_array_null(&ev[EV_CLIENT_ID]);
			db_array_bytes(&ev[EV_BODY], t->h.body_sha256,
			    SHA256_LEN);
			db_array_bytes(&ev[EV_DIGEST], t->item.digest,
			    SHA256_LEN);
			db_array_bytes(&ev[EV_P7M], t->p7m, t->p7mlen);
			db_array_bytes(&ev[EV_P7M_SHA], t->p7m_sha,
			    SHA256_LEN);
			if (r->h.stamp[0] != '\0')
				db_array_text(&ev[EV_STAMP], r->h.stamp);
			else
				db_array_null(&ev[EV_STAMP]);
			if (ev[0].n == DEP_ROWS_MAX)
				dep_send(job, &dep_ev_stmt, ev, EV_NCOLS);
			if (cid[0].n == DEP_ROWS_MAX) {
				/* Their events go first. */
				dep_send(job, &dep_ev_stmt, ev, EV_NCOLS);
				dep_send(job, &dep_cid_stmt, cid, 2);
			}
		}
	}
	dep_send(job, &dep_ev_stmt, ev, EV_NCOLS);
	for (i = 0; i < g->ncloses; i++)
		lotstate_add_close(job, &g->closes[i]);
	dep_send(job, &dep_cid_stmt, cid, 2);
	for (i = 0; i < EV_NCOLS; i++)
		db_array_free(&ev[i]);
	db_array_free(&cid[0]);
	db_array_free(&cid[1]);
}

/* The commit returned: answer everyone, or give the numbers back. */
static void
dep_written(int ok, const char *err, void *arg)
{
	struct dgroup	*g = arg;
	struct dreq	*r, *next;
	struct dtrace	*t;
	uint64_t	 last = 0;
	uint32_t	 i;

	dep.writing = NULL;
	/*
	 * The database refused the group but is still there: one request
	 * must be at fault.  Each goes again alone, so that the others are
	 * not refused for it.
	 */
	if (!ok && db_ready() && (r = TAILQ_FIRST(&g->reqs)) != NULL &&
	    TAILQ_NEXT(r, entry) != NULL) {
		lotstate_rewind(&g->mark);
		log_warnx("a group of %zu events was not stored (%s): "
		    "retrying its requests one by one", g->nevents, err);
		for (r = TAILQ_LAST(&g->reqs, dreqs); r != NULL; r = next) {
			next = TAILQ_PREV(r, dreqs, entry);
			TAILQ_REMOVE(&g->reqs, r, entry);
			r->solo = 1;
			r->state = DREQ_READY;
			TAILQ_INSERT_HEAD(&dep.ready, r, entry);
			dep.nready += r->nnew;
		}
		/* Closes by time are decided again with the next write. */
		free(g->closes);
		free(g);
		dep_flush();
		return;
	}
	if (ok) {
		TAILQ_FOREACH(r, &g->reqs, entry)
			for (i = 0; i < r->h.ntraces; i++) {
				t = &r->t[i];
				if (!t->dup && t->item.idevt > last)
					last = t->item.idevt;
			}
		lotstate_committed(g->closes, g->ncloses, last);
	} else {
		lotstate_rewind(&g->mark);
		log_warnx("a group of %zu events was not stored: %s",
		    g->nevents, err);
		audit_record("storage", "database", "error", "%zu events not "
		    "stored, no IDEvt used: %s", g->nevents, err);
	}
	while ((r = TAILQ_FIRST(&g->reqs)) != NULL) {
		TAILQ_REMOVE(&g->reqs, r, entry);
		if (ok) {
			dep_slow(r, g);
			dep_answer(r);
		} else
			dep_refuse(r, REFUSE_UNAVAILABLE, -1,
			    "storage unavailable", "the database did not "
			    "commit the trace (%s); nothing was stored, try "
			    "again later", err);
	}
	free(g->closes);
	free(g);
	dep_wake();
	/*
	 * Lookups sent while this write committed are answered right
	 * behind it: wait for them, so that their requests go in the next
	 * write instead of waiting for the one after.
	 */
	if (dep.looking) {
		dep.lookwait = 1;
		return;
	}
	if (!TAILQ_EMPTY(&dep.ready) || lotstate_closing())
		dep_flush();
}

/*
 * At -vv, where a slow request spent its time (microseconds since it
 * came in): Client-Id lookup answered, queued for a write, in a write,
 * committed.
 */
static void
dep_slow(struct dreq *r, struct dgroup *g)
{
	int64_t	 now;

	if (log_getverbose() < 2)
		return;
	now = dep_now();
	if (now - r->t_in < DEP_SLOW_US)
		return;
	log_info("slow deposit: %lld us: looked up %lld, ready %lld, "
	    "written %lld; group of %zu events, %zu lots closed",
	    (long long)(now - r->t_in),
	    (long long)(r->t_look ? r->t_look - r->t_in : 0),
	    (long long)(r->t_ready - r->t_in),
	    (long long)(r->t_sent - r->t_in), g->nevents, g->ncloses);
}

/* IMSG_DEPOSIT_OK, then forget the request. */
static void
dep_answer(struct dreq *r)
{
	struct deposit_ok	 ok;
	struct deposit_item	*items;
	struct iovec		 iov[2];
	struct cid		*c;
	uint32_t		 i;

	if ((items = calloc(r->h.ntraces, sizeof(*items))) == NULL)
		fatal(NULL);
	for (i = 0; i < r->h.ntraces; i++) {
		items[i] = r->t[i].item;
		if ((c = r->t[i].cid) != NULL) {
			/* Settled: remember the answer for a retry. */
			c->item = r->t[i].item;
			c->item.duplicate = 1;
			r->t[i].cid = NULL;
			cid_cache(c);
		}
	}
	memset(&ok, 0, sizeof(ok));
	ok.reqid = r->h.reqid;
	ok.nitems = r->h.ntraces;
	iov[0].iov_base = &ok;
	iov[0].iov_len = sizeof(ok);
	iov[1].iov_base = items;
	iov[1].iov_len = r->h.ntraces * sizeof(*items);
	front_send(r->front, IMSG_DEPOSIT_OK, iov, 2);
	free(items);
	dep_free(r);
}

static void
dep_refuse(struct dreq *r, enum refusal code, int index, const char *error,
    const char *fmt, ...)
{
	struct deposit_err	 e;
	struct iovec		 iov[1];
	va_list			 ap;

	memset(&e, 0, sizeof(e));
	e.reqid = r->h.reqid;
	e.code = code;
	e.index = index;
	e.retry_after = code == REFUSE_UNAVAILABLE ? DEP_RETRY_AFTER : 0;
	strlcpy(e.error, error, sizeof(e.error));
	va_start(ap, fmt);
	vsnprintf(e.detail, sizeof(e.detail), fmt, ap);
	va_end(ap);
	iov[0].iov_base = &e;
	iov[0].iov_len = sizeof(e);
	front_send(r->front, IMSG_DEPOSIT_ERR, iov, 1);
	if (code != REFUSE_UNAVAILABLE)
		audit_record("refusal", r->h.subject, "refused", "%s: %s",
		    refusal_status(code), e.detail);
	dep_release(r, 1);
	dep_free(r);
}

/* Give up the request's Client-Ids (refused or failed). */
static void
dep_release(struct dreq *r, int wake)
{
	uint32_t	 i;

	for (i = 0; i < r->h.ntraces; i++)
		if (r->t[i].cid != NULL) {
			cid_drop(r->t[i].cid);
			r->t[i].cid = NULL;
		}
	if (wake)
		dep_wake();
}

static void
dep_free(struct dreq *r)
{
	uint32_t	 i;

	if (r->t != NULL)
		for (i = 0; i < r->h.ntraces; i++)
			free(r->t[i].p7m);
	if (r->counted)
		dep.nwaiting -= r->h.ntraces;
	if (r->buf != NULL)
		freezero(r->buf, r->buflen);
	free(r->t);
	free(r);
}

/* Held-back requests look again: an id they waited for has settled. */
static void
dep_wake(void)
{
	struct dreqs	 list;
	struct dreq	*r;

	if (TAILQ_EMPTY(&dep.blocked))
		return;
	TAILQ_INIT(&list);
	TAILQ_CONCAT(&list, &dep.blocked, entry);
	while ((r = TAILQ_FIRST(&list)) != NULL) {
		TAILQ_REMOVE(&list, r, entry);
		dep_eval(r);
	}
}

/* The database went away: everything queued is answered 503. */
void
deposit_db_down(void)
{
	struct dreq	*r;

	evtimer_del(&dep.timer);
	dep.lookwait = 0;
	while ((r = TAILQ_FIRST(&dep.lookq)) != NULL) {
		TAILQ_REMOVE(&dep.lookq, r, entry);
		dep_refuse(r, REFUSE_UNAVAILABLE, -1,
		    "storage unavailable", "the database connection was "
		    "lost; nothing was stored, try again later");
	}
	while ((r = TAILQ_FIRST(&dep.ready)) != NULL) {
		TAILQ_REMOVE(&dep.ready, r, entry);
		dep.nready -= r->nnew;
		dep_refuse(r, REFUSE_UNAVAILABLE, -1,
		    "storage unavailable", "the database connection was "
		    "lost; nothing was stored, try again later");
	}
}

void
deposit_db_up(void)
{
	dep_flush();
}

static struct cid *
cid_find(const char *id)
{
	struct cid	 key;

	strlcpy(key.id, id, sizeof(key.id));
	return RB_FIND(cid_tree, &dep.cids, &key);
}

/* Settled ids stay for retries, the oldest forgotten first. */
static void
cid_cache(struct cid *c)
{
	struct cid	*old;

	c->state = CID_DONE;
	c->owner = NULL;
	TAILQ_INSERT_TAIL(&dep.lru, c, lru);
	if (++dep.ncached > DEP_CACHE_MAX &&
	    (old = TAILQ_FIRST(&dep.lru)) != NULL)
		cid_drop(old);
}

static void
cid_drop(struct cid *c)
{
	RB_REMOVE(cid_tree, &dep.cids, c);
	if (c->state == CID_DONE) {
		TAILQ_REMOVE(&dep.lru, c, lru);
		dep.ncached--;
	}
	free(c);
}
