/*
 * Group commit of the deposits whose Client-Ids are settled: requests
 * that arrive within commit-delay (or until commit-max events) are
 * numbered, encrypted and written in one transaction; while it commits,
 * the next group gathers.  A failed transaction gives its numbers back,
 * so none is ever skipped.
 *
 * Each group's journal record (IDEvt range, lots, depositors) is sent
 * to auditd as the transaction is: the two are made durable side by
 * side, and the group's requests are answered IMSG_DEPOSIT_OK only once
 * both are.  A group whose record is not durable COMMIT_JOURNAL_WAIT
 * seconds after its commit is answered 503 instead (stored but not
 * acknowledged: a retry with the same Client-Id gets the answer once
 * the journal has it), and until auditd answers again new groups are
 * refused 503 without being written.  A request made only of Client-Ids
 * already stored is answered the same way, behind its own record.
 */
#include <sys/types.h>
#include <sys/queue.h>
#include <sys/uio.h>

#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
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
#include "sealmem.h"
#include "tracenum.h"

#define COMMIT_ROWS_MAX		4000	/* rows in one INSERT */
#define COMMIT_SLOW_US		15000	/* logged at -vv */
#define COMMIT_JOURNAL_WAIT	10	/* seconds for auditd, then 503 */
#define COMMIT_NAMES_MAX	8	/* depositors named in a record */

struct dgroup {
	TAILQ_ENTRY(dgroup)	 entry;		/* commit.journaling */
	struct dreqs		 reqs;
	struct event		 tmo;		/* journal wait */
	uint64_t		 num;
	uint64_t		 audit_id;	/* 0: no record to wait for */
	int			 written;	/* the commit returned ok */
	int			 journaled;	/* the record is durable */
	struct lotstate_mark	 mark;
	struct lot_closed	*closes;
	size_t			 ncloses;
	size_t			 nevents;
	uint64_t		 first;
	uint64_t		 last;
	int64_t			 t_written;	/* us: the commit returned */
	int64_t			 t_journaled;	/* us: the record durable */
};

TAILQ_HEAD(dgroups, dgroup);

static struct {
	struct dreqs		 ready;
	size_t			 nready;	/* events */
	struct dgroup		*writing;
	struct dgroups		 journaling;	/* waiting for their record */
	int			 stalled;	/* a record came too late */
	uint64_t		 stall_id;	/* its id */
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
static void	 commit_keep(const struct dreq *, const struct dtrace *);
static int	 commit_journal(struct dgroup *);
static void	 commit_journaled(void *, uint64_t);
static void	 commit_journal_failed(struct dgroup *, const char *);
static void	 commit_journal_tmo(int, short, void *);
static void	 commit_answer(struct dgroup *);
static void	 commit_group_free(struct dgroup *);
static int	 commit_journal_down(void);
static void	 commit_refuse_journal(struct dreq *);

void
commit_init(void)
{
	TAILQ_INIT(&commit.ready);
	TAILQ_INIT(&commit.journaling);
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
	/* What could not be acknowledged is not written either. */
	if (commit_journal_down()) {
		while ((r = TAILQ_FIRST(&commit.ready)) != NULL) {
			TAILQ_REMOVE(&commit.ready, r, entry);
			commit.nready -= r->nnew;
			commit_refuse_journal(r);
		}
		if (!lotstate_closing())
			return;
	}
	if ((g = calloc(1, sizeof(*g))) == NULL)
		fatal(NULL);
	TAILQ_INIT(&g->reqs);
	evtimer_set(&g->tmo, commit_journal_tmo, g);
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
	g->num = ++commit.groups;
	if (commit_journal(g) == -1) {
		/* No room for its record: refused before it is written. */
		lotstate_rewind(&g->mark);
		while ((r = TAILQ_FIRST(&g->reqs)) != NULL) {
			TAILQ_REMOVE(&g->reqs, r, entry);
			commit_refuse_journal(r);
		}
		commit_group_free(g);
		return;
	}
	if ((job = db_job_begin(commit_written, g)) == NULL) {
		/* Not reached: db_ready() said yes. */
		fatalx("%s: no database job", __func__);
	}
	commit.writing = g;
	log_debug("group %llu: %zu events, %zu more waiting",
	    (unsigned long long)g->num, g->nevents, commit.nready);
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
	if (!ok)
		commit_journal_failed(g, err);
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
		commit_group_free(g);
		commit_flush();
		return;
	}
	if (ok) {
		TAILQ_FOREACH(r, &g->reqs, entry)
			for (i = 0; i < r->h.ntraces; i++) {
				t = &r->t[i];
				if (t->dup)
					continue;
				commit_keep(r, t);
				if (t->item.idevt > last)
					last = t->item.idevt;
			}
		lotstate_committed(g->closes, g->ncloses, last);
		/* Answered once its record is durable too. */
		g->written = 1;
		g->t_written = stored_env_mono_us();
		commit_answer(g);
	} else {
		lotstate_rewind(&g->mark);
		log_warnx("a group of %zu events was not stored: %s",
		    g->nevents, err);
		while ((r = TAILQ_FIRST(&g->reqs)) != NULL) {
			TAILQ_REMOVE(&g->reqs, r, entry);
			deposit_refuse(r, REFUSE_UNAVAILABLE, -1,
			    "storage unavailable", "the database did not "
			    "commit the trace (%s); nothing was stored, try "
			    "again later", err);
		}
		commit_group_free(g);
	}
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
 * A committed event, as its lot's seal will name it: kept so that the
 * lot goes to sealerd without its events read back.  The fields are
 * those commit_write inserted.
 */
static void
commit_keep(const struct dreq *r, const struct dtrace *t)
{
	struct seal_event	 e;

	memset(&e, 0, sizeof(e));
	e.idevt = t->item.idevt;
	e.received_ms = r->h.received_ms;
	strlcpy(e.type, t->h.type, sizeof(e.type));
	strlcpy(e.dateevt, t->h.dateevt, sizeof(e.dateevt));
	memcpy(e.depositor, r->h.depositor, SHA256_LEN);
	memcpy(e.file_sha256, t->p7m_sha, SHA256_LEN);
	strlcpy(e.stamp, r->h.stamp, sizeof(e.stamp));
	sealmem_committed(t->item.lot, &e);
}

/*
 * The group's journal record, sent now, while its transaction is.  The
 * IDEvt are consecutive (lotstate_assign), so are the lots.  -1 if the
 * record could not be queued: the group must not be written.
 */
static int
commit_journal(struct dgroup *g)
{
	const char	*names[COMMIT_NAMES_MAX];
	struct dreq	*r;
	struct dtrace	*t;
	char		 who[AUDIT_DETAILS], subject[64], lots[48];
	uint64_t	 lot0 = 0, lot1 = 0;
	size_t		 nnames = 0, nreqs = 0, i;
	uint32_t	 j;
	int		 more = 0;

	if (g->nevents == 0)
		return 0;	/* lots closed by time: lotstate journals them */
	g->first = g->last = 0;
	who[0] = '\0';
	TAILQ_FOREACH(r, &g->reqs, entry) {
		nreqs++;
		for (j = 0; j < r->h.ntraces; j++) {
			t = &r->t[j];
			if (t->dup)
				continue;
			if (g->first == 0 || t->item.idevt < g->first)
				g->first = t->item.idevt;
			if (t->item.idevt > g->last)
				g->last = t->item.idevt;
			if (lot0 == 0 || t->item.lot < lot0)
				lot0 = t->item.lot;
			if (t->item.lot > lot1)
				lot1 = t->item.lot;
		}
		for (i = 0; i < nnames; i++)
			if (strcmp(names[i], r->h.subject) == 0)
				break;
		if (i < nnames)
			continue;
		if (nnames == COMMIT_NAMES_MAX) {
			more = 1;
			continue;
		}
		names[nnames++] = r->h.subject;
		if (nnames > 1)
			strlcat(who, "; ", sizeof(who));
		strlcat(who, r->h.subject, sizeof(who));
	}
	if (more)
		strlcat(who, "; and others", sizeof(who));
	if (nnames == 1 && !more)
		strlcpy(subject, "", sizeof(subject));
	else
		snprintf(subject, sizeof(subject), "%s%zu depositors",
		    more ? "over " : "", nnames);
	if (lot1 != lot0)
		snprintf(lots, sizeof(lots), "lots %" PRIu64 "-%" PRIu64, lot0,
		    lot1);
	else
		snprintf(lots, sizeof(lots), "lot %" PRIu64, lot0);
	g->audit_id = audit_record_cb(commit_journaled, g, "deposit",
	    subject[0] != '\0' ? subject : names[0], "ok",
	    "group %" PRIu64 ": IDEvt %" PRIu64 "-%" PRIu64 ", %zu events, "
	    "%s, %zu requests; by %s", g->num, g->first, g->last, g->nevents,
	    lots, nreqs, who);
	return g->audit_id == 0 ? -1 : 0;
}

/*
 * The transaction failed: what the group's record announced did not
 * happen, and its numbers will be used again.
 */
static void
commit_journal_failed(struct dgroup *g, const char *err)
{
	if (g->nevents == 0) {
		audit_record("storage", "database", "error", "%zu events not "
		    "stored, no IDEvt used: %s", g->nevents, err);
		return;
	}
	if (g->audit_id != 0)
		audit_cancel(g->audit_id);
	g->audit_id = 0;
	audit_record("deposit", "database", "error", "group %" PRIu64
	    " not stored, IDEvt %" PRIu64 "-%" PRIu64 " given back, no IDEvt "
	    "used: %s", g->num, g->first, g->last, err);
}

static void
commit_journaled(void *arg, uint64_t seq)
{
	struct dgroup	*g = arg;

	g->audit_id = 0;
	g->journaled = 1;
	g->t_journaled = stored_env_mono_us();
	commit_answer(g);
}

/*
 * Answer the group's requests once both its commit and its record are
 * durable; until then it waits, COMMIT_JOURNAL_WAIT seconds at most
 * after its commit.
 */
static void
commit_answer(struct dgroup *g)
{
	struct timeval	 tv = { COMMIT_JOURNAL_WAIT, 0 };
	struct dreq	*r;

	if (!g->written)
		return;
	if (g->audit_id != 0 && !g->journaled) {
		if (!evtimer_pending(&g->tmo, NULL)) {
			TAILQ_INSERT_TAIL(&commit.journaling, g, entry);
			evtimer_add(&g->tmo, &tv);
		}
		return;
	}
	if (evtimer_pending(&g->tmo, NULL)) {
		evtimer_del(&g->tmo);
		TAILQ_REMOVE(&commit.journaling, g, entry);
	}
	while ((r = TAILQ_FIRST(&g->reqs)) != NULL) {
		TAILQ_REMOVE(&g->reqs, r, entry);
		commit_slow(r, g);
		deposit_answer(r);
	}
	commit_group_free(g);
	deposit_wake();
}

/*
 * The record did not become durable in time: stored, not acknowledged.
 * The record stays queued and reaches the journal when auditd is back.
 */
static void
commit_journal_tmo(int fd, short ev, void *arg)
{
	struct dgroup	*g = arg;
	struct dreq	*r;

	TAILQ_REMOVE(&commit.journaling, g, entry);
	audit_cancel(g->audit_id);
	if (g->audit_id > commit.stall_id)
		commit.stall_id = g->audit_id;
	if (!commit.stalled)
		log_warnx("journal silent for %d s: deposits are refused "
		    "until it answers", COMMIT_JOURNAL_WAIT);
	commit.stalled = 1;
	while ((r = TAILQ_FIRST(&g->reqs)) != NULL) {
		TAILQ_REMOVE(&g->reqs, r, entry);
		deposit_refuse(r, REFUSE_UNAVAILABLE, -1, "journal unavailable",
		    "the trace was stored (IDEvt %" PRIu64 "-%" PRIu64 ") but "
		    "its journal record is not durable, so it is not "
		    "acknowledged; send it again with the same Client-Id "
		    "later", g->first, g->last);
	}
	commit_group_free(g);
	deposit_wake();
}

/*
 * auditd is away, or a record came too late and auditd has not caught
 * up with it since.
 */
static int
commit_journal_down(void)
{
	if (commit.stalled && audit_acked() >= commit.stall_id) {
		commit.stalled = 0;
		log_info("journal answering again: deposits acknowledged");
	}
	return commit.stalled || audit_down_secs() > COMMIT_JOURNAL_WAIT;
}

static void
commit_refuse_journal(struct dreq *r)
{
	deposit_refuse(r, REFUSE_UNAVAILABLE, -1, "journal unavailable",
	    "the journal is not reachable, and nothing is acknowledged "
	    "without its record; nothing was stored, try again later");
}

static void
commit_group_free(struct dgroup *g)
{
	free(g->closes);
	free(g);
}

/*
 * A request whose traces were all stored before (Client-Ids seen with
 * the same body): the original answer again, behind a record of its
 * own, so that it too waits for the journal.  The journal keeps each
 * sender's records in order: once this one is durable, the record of
 * the group that stored the traces is too.
 */
void
commit_duplicate(struct dreq *r)
{
	struct dgroup	*g;

	if (commit_journal_down()) {
		commit_refuse_journal(r);
		return;
	}
	if ((g = calloc(1, sizeof(*g))) == NULL)
		fatal(NULL);
	TAILQ_INIT(&g->reqs);
	evtimer_set(&g->tmo, commit_journal_tmo, g);
	g->first = r->t[0].item.idevt;
	g->last = r->t[r->h.ntraces - 1].item.idevt;
	g->written = 1;
	TAILQ_INSERT_TAIL(&g->reqs, r, entry);
	g->audit_id = audit_record_cb(commit_journaled, g, "deposit",
	    r->h.subject, "duplicate", "%u traces already stored (IDEvt %"
	    PRIu64 " first, %" PRIu64 " last), Client-Id \"%s\" first: "
	    "answered again", r->h.ntraces, g->first, g->last,
	    r->t[0].h.client_id);
	if (g->audit_id == 0) {
		TAILQ_REMOVE(&g->reqs, r, entry);
		commit_group_free(g);
		commit_refuse_journal(r);
		return;
	}
	commit_answer(g);
}

/*
 * At -vv, where a slow request spent its time (microseconds since it
 * came in): Client-Id lookup answered, queued for a write, in a write,
 * committed, its record durable.
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
	    "written %lld, committed %lld, journaled %lld; group of %zu "
	    "events, %zu lots closed", (long long)(now - r->t_in),
	    (long long)(r->t_look ? r->t_look - r->t_in : 0),
	    (long long)(r->t_ready - r->t_in),
	    (long long)(r->t_sent - r->t_in),
	    (long long)(g->t_written ? g->t_written - r->t_in : 0),
	    (long long)(g->t_journaled ? g->t_journaled - r->t_in : 0),
	    g->nevents, g->ncloses);
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
