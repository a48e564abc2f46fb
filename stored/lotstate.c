/*
 * Numbering and lots.  The next IDEvt and the open lot live here, read
 * back from the database whenever the connection (re)starts, so that a
 * kill or a failed transaction never leaves a gap: numbers are handed
 * out to a group about to be written, and given back (lotstate_rewind) if
 * its transaction fails.
 *
 * A lot closes when it holds lot max-events events (in the transaction
 * of its last event) or when its first event is lot max-age old (a
 * timer; the lots row goes in with the next write).  An idle vault opens
 * no lot.  Closed lots are handed to sealqueue.c, which seals them in
 * order; deposits never wait.
 */
#include <sys/types.h>
#include <sys/queue.h>

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event.h>

#include "audit.h"
#include "config.h"
#include "log.h"
#include "peer.h"
#include "proto.h"
#include "stored.h"
#include "commit.h"
#include "db.h"
#include "dbval.h"
#include "lotstate.h"
#include "sealmem.h"
#include "sealqueue.h"

static struct {
	int			 ready;
	int			 loading;
	void			(*ready_cb)(void);

	/* Assignment state (may run ahead of the database). */
	struct lotstate_mark		 cur;
	int			 close_due;
	struct event		 age_timer;

	/* Committed state. */
	uint64_t		 last_idevt;
	uint64_t		 last_closed;
	int64_t			 open_first_ms;		/* committed open lot */
} lot;

static void	 lot_loaded(int, const char *, void *);
static void	 lot_load_max(PGresult *, void *);
static void	 lot_load_lots(PGresult *, void *);
static void	 lot_load_open(PGresult *, void *);
static void	 lot_arm(void);
static void	 lot_age(int, short, void *);

void
lotstate_init(void)
{
	evtimer_set(&lot.age_timer, lot_age, NULL);
}

int
lotstate_ready(void)
{
	return lot.ready;
}

/* Read the numbering state back: at start and after every reconnect. */
void
lotstate_db_up(void (*ready)(void))
{
	struct db_job	*job;

	lot.ready = 0;
	lot.ready_cb = ready;
	lot.loading = 1;
	memset(&lot.cur, 0, sizeof(lot.cur));
	lot.close_due = 0;
	if ((job = db_job_begin(lot_loaded, NULL)) == NULL)
		return;
	db_job_query(job, "SELECT coalesce(max(idevt), 0) FROM events", NULL,
	    lot_load_max, NULL);
	/* The newest lot ends at the highest IDEvt: no scan of them all. */
	db_job_query(job, "SELECT numero, last FROM lots"
	    " ORDER BY numero DESC LIMIT 1", NULL, lot_load_lots, NULL);
	db_job_query(job, "SELECT count(*), coalesce(min(idevt), 0),"
	    " min(received) FROM events WHERE lot ="
	    " (SELECT coalesce(max(numero), 0) + 1 FROM lots)", NULL,
	    lot_load_open, NULL);
	sealqueue_db_load(job);
	db_job_end(job);
}

static void
lot_load_max(PGresult *res, void *arg)
{
	lot.last_idevt = dbval_get_u64(res, 0, 0);
}

static void
lot_load_lots(PGresult *res, void *arg)
{
	if (PQntuples(res) == 0) {
		lot.last_closed = 0;
		lot.cur.lot_first = 0;
		return;
	}
	lot.last_closed = dbval_get_u64(res, 0, 0);
	lot.cur.lot_first = dbval_get_u64(res, 0, 1);	/* last closed IDEvt */
}

static void
lot_load_open(PGresult *res, void *arg)
{
	lot.cur.lot_count = dbval_get_u64(res, 0, 0);
	if (lot.cur.lot_count > 0) {
		lot.cur.lot_first = dbval_get_u64(res, 0, 1);
		lot.cur.lot_opened_ms = dbval_get_time_ms(res, 0, 2);
	} else
		lot.cur.lot_first = 0;
}

static void
lot_loaded(int ok, const char *err, void *arg)
{
	int64_t	 opened;

	lot.loading = 0;
	sealqueue_db_loaded(ok);
	if (!ok) {
		log_warnx("cannot read the numbering state: %s", err);
		return;	/* the connection is retried; so is this */
	}
	lot.cur.next_idevt = lot.last_idevt + 1;
	lot.cur.lot = lot.last_closed + 1;
	if (lot.cur.lot_count > 0 &&
	    lot.cur.lot_first + lot.cur.lot_count - 1 != lot.last_idevt)
		fatalx("database %s is inconsistent: lot %" PRIu64 " holds %u "
		    "events from IDEvt %" PRIu64 ", the last IDEvt is %" PRIu64,
		    env->dbname, lot.cur.lot, lot.cur.lot_count,
		    lot.cur.lot_first, lot.last_idevt);
	lot.open_first_ms = lot.cur.lot_opened_ms;
	lot.ready = 1;
	log_info("next IDEvt %" PRIu64 ", open lot %" PRIu64 " (%u events), "
	    "last sealed lot %" PRIu64 ", %" PRIu64 " lots to seal",
	    lot.cur.next_idevt, lot.cur.lot, lot.cur.lot_count,
	    sealqueue_last_sealed(NULL), sealqueue_pending(&opened));
	lot_arm();
	if (lot.ready_cb != NULL)
		lot.ready_cb();
}

void
lotstate_db_down(void)
{
	lot.ready = 0;
	evtimer_del(&lot.age_timer);
	sealqueue_db_down();
}

void
lotstate_mark(struct lotstate_mark *m)
{
	*m = lot.cur;
	m->close_due = lot.close_due;
}

void
lotstate_rewind(const struct lotstate_mark *m)
{
	lot.cur = *m;
	lot.close_due = m->close_due;
	sealmem_capture_drop();	/* what the failed write read */
	lot_arm();
}

/*
 * The next IDEvt and its lot.  When the event fills the lot, *closed is
 * set and c describes the lot, whose row goes in the same transaction.
 */
uint64_t
lotstate_assign(int64_t received_ms, uint64_t *lotp, struct lot_closed *c,
    int *closed)
{
	const struct cfjl_conf	*conf = env->conf;
	uint64_t		 idevt;

	*closed = 0;
	idevt = lot.cur.next_idevt++;
	if (lot.cur.lot_count == 0) {
		lot.cur.lot_first = idevt;
		lot.cur.lot_opened_ms = received_ms;
	}
	*lotp = lot.cur.lot;
	lot.cur.lot_count++;
	if (lot.cur.lot_count >= conf->lot.max_events) {
		c->numero = lot.cur.lot;
		c->first = lot.cur.lot_first;
		c->last = idevt;
		c->opened_ms = lot.cur.lot_opened_ms;
		c->closed_ms = stored_env_now_ms();
		lot.cur.lot++;
		lot.cur.lot_count = 0;
		lot.cur.lot_first = 0;
		lot.close_due = 0;
		*closed = 1;
	}
	return idevt;
}

/* Close the open lot now if its time has come (or seal-now asked). */
int
lotstate_close_due(struct lot_closed *c)
{
	if (!lot.close_due)
		return 0;
	lot.close_due = 0;
	if (lot.cur.lot_count == 0)
		return 0;
	c->numero = lot.cur.lot;
	c->first = lot.cur.lot_first;
	c->last = lot.cur.lot_first + lot.cur.lot_count - 1;
	c->opened_ms = lot.cur.lot_opened_ms;
	c->closed_ms = stored_env_now_ms();
	lot.cur.lot++;
	lot.cur.lot_count = 0;
	lot.cur.lot_first = 0;
	return 1;
}

int
lotstate_closing(void)
{
	return lot.close_due && lot.cur.lot_count > 0;
}

/* cfjlctl lot seal-now: close the open lot at the next write. */
int
lotstate_seal_now(void)
{
	if (lot.cur.lot_count == 0)
		return 0;
	lot.close_due = 1;
	commit_kick();
	return 1;
}

void
lotstate_add_close(struct db_job *job, const struct lot_closed *c)
{
	struct dbval_params	 p;

	dbval_params_init(&p);
	dbval_param_u64(&p, c->numero);
	dbval_param_u64(&p, c->first);
	dbval_param_u64(&p, c->last);
	dbval_param_u64(&p, c->last - c->first + 1);
	dbval_param_time_ms(&p, c->opened_ms);
	dbval_param_time_ms(&p, c->closed_ms);
	db_job_query(job, "INSERT INTO lots (numero, first, last, nevents,"
	    " opened, closed) VALUES ($1, $2, $3, $4, $5, $6)", &p, NULL,
	    NULL);
	dbval_params_free(&p);
	sealmem_capture(job, c);	/* its events, for sealerd */
}

/* A write committed: its lots are closed for good; seal them. */
void
lotstate_committed(const struct lot_closed *c, size_t n, uint64_t last_idevt)
{
	size_t	 i;

	if (last_idevt > lot.last_idevt)
		lot.last_idevt = last_idevt;
	for (i = 0; i < n; i++) {
		lot.last_closed = c[i].numero;
		sealqueue_closed(&c[i]);
		audit_record("deposit", "lot", "ok", "lot %" PRIu64 " closed: "
		    "IDEvt %" PRIu64 " to %" PRIu64 ", %" PRIu64 " events",
		    c[i].numero, c[i].first, c[i].last,
		    c[i].last - c[i].first + 1);
	}
	/* One write at a time: what was assigned is now committed. */
	lot.open_first_ms = lot.cur.lot_count > 0 ? lot.cur.lot_opened_ms : 0;
	sealmem_capture_drop();	/* read for a lot that did not close */
	lot_arm();
}

/* The age timer runs while the open lot has events. */
static void
lot_arm(void)
{
	struct timeval	 tv;
	int64_t		 left;

	evtimer_del(&lot.age_timer);
	if (!lot.ready || lot.cur.lot_count == 0 || lot.close_due)
		return;
	left = lot.cur.lot_opened_ms + env->conf->lot.max_age_ms -
	    stored_env_now_ms();
	if (left <= 0) {
		lot.close_due = 1;
		commit_kick();
		return;
	}
	tv.tv_sec = left / 1000;
	tv.tv_usec = (left % 1000) * 1000;
	evtimer_add(&lot.age_timer, &tv);
}

static void
lot_age(int fd, short ev, void *arg)
{
	if (lot.cur.lot_count == 0)
		return;
	lot.close_due = 1;
	commit_kick();
}

uint64_t
lotstate_last_idevt(void)
{
	return lot.last_idevt;
}

uint64_t
lotstate_last_sealed(void)
{
	return sealqueue_last_sealed(NULL);
}

uint64_t
lotstate_current(void)
{
	return lot.cur.lot;
}

/* Events committed but not sealed yet, and the age of the oldest. */
void
lotstate_lag(uint64_t *events, int64_t *oldest_ms, uint64_t *lots)
{
	uint64_t	 sealed_idevt;
	int64_t		 opened;

	(void)sealqueue_last_sealed(&sealed_idevt);
	*events = lot.last_idevt - sealed_idevt;
	*lots = sealqueue_pending(&opened);
	if (*lots > 0)
		*oldest_ms = opened;
	else if (lot.last_idevt > sealed_idevt)
		*oldest_ms = lot.open_first_ms;
	else
		*oldest_ms = 0;
}

/* A lot as frontd sees it; the XML of a sealed lot is read separately. */
enum lot_state
lotstate_of(uint64_t numero)
{
	if (numero == 0)
		return LOT_UNKNOWN;
	if (numero <= sealqueue_last_sealed(NULL))
		return LOT_SEALED;
	if (numero <= lot.last_closed)
		return LOT_PENDING;
	if (numero == lot.last_closed + 1 && lot.open_first_ms != 0)
		return LOT_OPEN;
	return LOT_UNKNOWN;
}
