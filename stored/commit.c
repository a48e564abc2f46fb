/*
 * Group commit of the deposits whose Client-Ids are settled: requests
 * that arrive within commit-delay (or until commit-max events) are
 * numbered, encrypted and written in one transaction; while it commits,
 * the next group gathers.  Every request of a group is answered once
 * the commit returned: IMSG_DEPOSIT_OK only for what is durable.  A
 * failed transaction gives its numbers back, so none is ever skipped.
 */
#include <sys/types.h>
#include <sys/queue.h>
#include <sys/uio.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <event.h>
#include <openssl/sha.h>

#include "audit.h"
#include "config.h"
#include "log.h"
#include "proto.h"
#include "refusal.h"
#include "stored.h"
#include "commit.h"
#include "crypt.h"
#include "db.h"
#include "dbval.h"
#include "deposit.h"
#include "lotstate.h"
#include "tracenum.h"

#define COMMIT_ROWS_MAX		4000	/* rows in one INSERT */
#define COMMIT_SLOW_US		15000	/* logged at -vv */

struct dgroup {
	struct dreqs		 reqs;
	struct lotstate_mark	 mark;
	struct lot_closed	*closes;
	size_t			 ncloses;
	size_t			 nevents;
	uint64_t		 first;
	uint64_t		 last;
};

static struct {
	struct dreqs		 ready;
	size_t			 nready;	/* events */
	struct dgroup		*writing;
	struct event		 timer;
	uint64_t		 groups;
	int			 lookwait;	/* the next write waits for it */
} commit;

/* A group's rows: the columns of events, sent as arrays. */
enum {
	EV_IDEVT, EV_LOT, EV_TYPE, EV_DATEEVT, EV_RECEIVED, EV_DEPOSITOR,
	EV_CLIENT_ID, EV_BODY, EV_DIGEST, EV_P7M, EV_P7M_SHA, EV_STAMP, EV_NCOLS
};
static const uint32_t commit_ev_oids[EV_NCOLS] = {
	DBVAL_OID_INT8, DBVAL_OID_INT8, DBVAL_OID_TEXT, DBVAL_OID_TEXT,
	DBVAL_OID_TIMESTAMPTZ, DBVAL_OID_BYTEA, DBVAL_OID_TEXT, DBVAL_OID_BYTEA,
	DBVAL_OID_BYTEA, DBVAL_OID_BYTEA, DBVAL_OID_BYTEA, DBVAL_OID_TEXT
};
static const struct db_stmt commit_ev_stmt = { "cfjl_events",
    "INSERT INTO events (idevt, lot, type, dateevt, received, depositor,"
    " client_id, body_sha256, digest, p7m, p7m_sha256, stamp) SELECT * FROM"
    " unnest($1::bigint[], $2::bigint[], $3::text[], $4::text[],"
    " $5::timestamptz[], $6::bytea[], $7::text[], $8::bytea[],"
    " $9::bytea[], $10::bytea[], $11::bytea[], $12::text[])" };
static const struct db_stmt commit_cid_stmt = { "cfjl_client_ids",
    "INSERT INTO client_ids (client_id, idevt) SELECT * FROM"
    " unnest($1::text[], $2::bigint[])" };

static void	 commit_timer(int, short, void *);
static void	 commit_flush(void);
static int	 commit_prepare(struct dgroup *, struct dreq *);
static void	 commit_send(struct db_job *, const struct db_stmt *,
		    struct dbval_array *, int);
static void	 commit_write(struct dgroup *, struct db_job *);
static void	 commit_written(int, const char *, void *);
static void	 commit_slow(struct dreq *, struct dgroup *);

void
commit_init(void)
{
	TAILQ_INIT(&commit.ready);
	evtimer_set(&commit.timer, commit_timer, NULL);
	db_prepare(&commit_ev_stmt, 0);
	db_prepare(&commit_cid_stmt, 0);
}

int
commit_writing(void)
{
	return commit.writing != NULL;
}

/* Settled, with traces to store: in the next group. */
void
commit_queue(struct dreq *r)
{
	struct timeval	 tv;
	unsigned int	 delay, max;

	r->state = DREQ_READY;
	r->t_ready = stored_env_mono_us();
	TAILQ_INSERT_TAIL(&commit.ready, r, entry);
	commit.nready += r->nnew;

	if (commit.writing != NULL)
		return;		/* the next group gathers meanwhile */
	delay = env->conf->stored.commit_delay_us;
	max = env->conf->stored.commit_max;
	if (delay == 0 || (max != 0 && commit.nready >= max)) {
		evtimer_del(&commit.timer);
		commit_flush();
	} else if (!evtimer_pending(&commit.timer, NULL)) {
		tv.tv_sec = delay / 1000000;
		tv.tv_usec = delay % 1000000;
		evtimer_add(&commit.timer, &tv);
	}
}

static void
commit_timer(int fd, short ev, void *arg)
{
	commit_flush();
}

/* Start a write if none is running: queued requests, a lot to close. */
void
commit_kick(void)
{
	if (commit.writing == NULL && !evtimer_pending(&commit.timer, NULL))
		commit_flush();
}

static void
commit_flush(void)
{
	struct dgroup		*g;
	struct db_job		*job;
	struct dreq		*r;
	struct lot_closed	 c;
	unsigned int		 max;

	if (commit.writing != NULL || !db_ready() || !lotstate_ready())
		return;
	if (TAILQ_EMPTY(&commit.ready) && !lotstate_closing())
		return;
	evtimer_del(&commit.timer);
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
	while ((r = TAILQ_FIRST(&commit.ready)) != NULL) {
		if (g->nevents > 0 && max != 0 && g->nevents + r->nnew > max)
			break;
		if (g->nevents > 0 && r->solo)
			break;
		TAILQ_REMOVE(&commit.ready, r, entry);
		commit.nready -= r->nnew;
		if (commit_prepare(g, r) == -1)
			continue;	/* refused alone, numbers given back */
		r->state = DREQ_WRITING;
		r->t_sent = stored_env_mono_us();
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
	if ((job = db_job_begin(commit_written, g)) == NULL) {
		/* Not reached: db_ready() said yes. */
		fatalx("%s: no database job", __func__);
	}
	commit.writing = g;
	commit.groups++;
	log_debug("group %llu: %zu events, %zu more waiting",
	    (unsigned long long)commit.groups, g->nevents, commit.nready);
	commit_write(g, job);
	db_job_end(job);
}

/*
 * Number, write in, digest and encrypt the request's new traces.  On
 * failure the request alone is refused and its numbers are given back.
 */
static int
commit_prepare(struct dgroup *g, struct dreq *r)
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
	deposit_refuse(r, REFUSE_INTERNAL, r->h.batch ? (int)i : -1,
	    "encryption failed", "the trace could not be encrypted for the "
	    "regulator; nothing was stored");
	return -1;
}

/*
 * The group's statements: events, closed lots, Client-Ids.  Each table
 * gets one INSERT of up to COMMIT_ROWS_MAX rows, its columns sent as
 * binary arrays and unnested by the server: no SQL text, no number
 * formatting and no parameter list that grows with the rows.
 */

/* One INSERT of the rows gathered in the columns, which are emptied. */
static void
commit_send(struct db_job *job, const struct db_stmt *st, struct dbval_array *cols,
    int ncols)
{
	struct dbval_params	 p;
	int			 i;

	if (cols[0].n == 0)
		return;
	dbval_params_init(&p);
	for (i = 0; i < ncols; i++)
		dbval_param_array(&p, &cols[i]);
	db_job_exec(job, st, &p, NULL, NULL);
	dbval_params_free(&p);
	for (i = 0; i < ncols; i++)
		dbval_array_reset(&cols[i]);
}

static void
commit_write(struct dgroup *g, struct db_job *job)
{
	struct dbval_array	 ev[EV_NCOLS], cid[2];
	struct dreq	*r;
	struct dtrace	*t;
	size_t		 i;
	uint32_t	 j;

	for (i = 0; i < EV_NCOLS; i++)
		dbval_array_init(&ev[i], commit_ev_oids[i]);
	dbval_array_init(&cid[0], DBVAL_OID_TEXT);
	dbval_array_init(&cid[1], DBVAL_OID_INT8);
	TAILQ_FOREACH(r, &g->reqs, entry) {
		for (j = 0; j < r->h.ntraces; j++) {
			t = &r->t[j];
			if (t->dup)
				continue;
			dbval_array_u64(&ev[EV_IDEVT], t->item.idevt);
			dbval_array_u64(&ev[EV_LOT], t->item.lot);
			dbval_array_text(&ev[EV_TYPE], t->h.type);
			dbval_array_text(&ev[EV_DATEEVT], t->h.dateevt);
			dbval_array_time_ms(&ev[EV_RECEIVED], r->h.received_ms);
			dbval_array_bytes(&ev[EV_DEPOSITOR], r->h.depositor,
			    SHA256_LEN);
			if (t->h.client_id[0] != '\0') {
				dbval_array_text(&ev[EV_CLIENT_ID],
				    t->h.client_id);
				dbval_array_text(&cid[0], t->h.client_id);
				dbval_array_u64(&cid[1], t->item.idevt);
			} else
				dbval_array_null(&ev[EV_CLIENT_ID]);
			dbval_array_bytes(&ev[EV_BODY], t->h.body_sha256,
			    SHA256_LEN);
			dbval_array_bytes(&ev[EV_DIGEST], t->item.digest,
			    SHA256_LEN);
			dbval_array_bytes(&ev[EV_P7M], t->p7m, t->p7mlen);
			dbval_array_bytes(&ev[EV_P7M_SHA], t->p7m_sha,
			    SHA256_LEN);
			if (r->h.stamp[0] != '\0')
				dbval_array_text(&ev[EV_STAMP], r->h.stamp);
			else
				dbval_array_null(&ev[EV_STAMP]);
			if (ev[0].n == COMMIT_ROWS_MAX)
				commit_send(job, &commit_ev_stmt, ev, EV_NCOLS);
			if (cid[0].n == COMMIT_ROWS_MAX) {
				/* Their events go first. */
				commit_send(job, &commit_ev_stmt, ev, EV_NCOLS);
				commit_send(job, &commit_cid_stmt, cid, 2);
			}
		}
	}
	commit_send(job, &commit_ev_stmt, ev, EV_NCOLS);
	for (i = 0; i < g->ncloses; i++)
		lotstate_add_close(job, &g->closes[i]);
	commit_send(job, &commit_cid_stmt, cid, 2);
	for (i = 0; i < EV_NCOLS; i++)
		dbval_array_free(&ev[i]);
	dbval_array_free(&cid[0]);
	dbval_array_free(&cid[1]);
}

/* The commit returned: answer everyone, or give the numbers back. */
static void
commit_written(int ok, const char *err, void *arg)
{
	struct dgroup	*g = arg;
	struct dreq	*r, *next;
	struct dtrace	*t;
	uint64_t	 last = 0;
	uint32_t	 i;

	commit.writing = NULL;
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
			TAILQ_INSERT_HEAD(&commit.ready, r, entry);
			commit.nready += r->nnew;
		}
		/* Closes by time are decided again with the next write. */
		free(g->closes);
		free(g);
		commit_flush();
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
			commit_slow(r, g);
			deposit_answer(r);
		} else
			deposit_refuse(r, REFUSE_UNAVAILABLE, -1,
			    "storage unavailable", "the database did not "
			    "commit the trace (%s); nothing was stored, try "
			    "again later", err);
	}
	free(g->closes);
	free(g);
	deposit_wake();
	/*
	 * Lookups sent while this write committed are answered right
	 * behind it: wait for them, so that their requests go in the next
	 * write instead of waiting for the one after.
	 */
	if (deposit_looking()) {
		commit.lookwait = 1;
		return;
	}
	if (!TAILQ_EMPTY(&commit.ready) || lotstate_closing())
		commit_flush();
}

/*
 * At -vv, where a slow request spent its time (microseconds since it
 * came in): Client-Id lookup answered, queued for a write, in a write,
 * committed.
 */
static void
commit_slow(struct dreq *r, struct dgroup *g)
{
	int64_t	 now;

	if (log_getverbose() < 2)
		return;
	now = stored_env_mono_us();
	if (now - r->t_in < COMMIT_SLOW_US)
		return;
	log_info("slow deposit: %lld us: looked up %lld, ready %lld, "
	    "written %lld; group of %zu events, %zu lots closed",
	    (long long)(now - r->t_in),
	    (long long)(r->t_look ? r->t_look - r->t_in : 0),
	    (long long)(r->t_ready - r->t_in),
	    (long long)(r->t_sent - r->t_in), g->nevents, g->ncloses);
}

/* The database went away: the requests queued are answered 503. */
void
commit_db_down(void)
{
	struct dreq	*r;

	evtimer_del(&commit.timer);
	commit.lookwait = 0;
	while ((r = TAILQ_FIRST(&commit.ready)) != NULL) {
		TAILQ_REMOVE(&commit.ready, r, entry);
		commit.nready -= r->nnew;
		deposit_refuse(r, REFUSE_UNAVAILABLE, -1,
		    "storage unavailable", "the database connection was "
		    "lost; nothing was stored, try again later");
	}
}

/* A Client-Id lookup came back: the write that waited for it goes. */
void
commit_looked_up(void)
{
	if (commit.lookwait) {
		commit.lookwait = 0;
		commit_flush();
	}
}
