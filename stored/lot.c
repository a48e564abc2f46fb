/*
 * Numbering and lots.  The next IDEvt and the open lot live here, read
 * back from the database whenever the connection (re)starts, so that a
 * kill or a failed transaction never leaves a gap: numbers are handed
 * out to a group about to be written, and given back (lot_rewind) if
 * its transaction fails.
 *
 * A lot closes when it holds lot max-events events (in the transaction
 * of its last event) or when its first event is lot max-age old (a
 * timer; the lots row goes in with the next write).  An idle vault opens
 * no lot.  Closed lots go to sealerd one at a time, in order, each
 * chained to the previous one's SignatureValue; deposits never wait.
 */
#include <sys/types.h>
#include <sys/queue.h>
#include <sys/uio.h>

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event.h>

#include "audit.h"
#include "config.h"
#include "log.h"
#include "peer.h"
#include "stored.h"

/* A closed lot waiting for its seal. */
struct lot_pending {
	TAILQ_ENTRY(lot_pending) entry;
	struct lot_closed	 l;
};
TAILQ_HEAD(lot_pendings, lot_pending);

enum seal_state {
	SEAL_IDLE,
	SEAL_LOADING,	/* reading the lot's events */
	SEAL_SENT,	/* waiting for sealerd */
	SEAL_STORING,	/* writing the seal */
	SEAL_WAIT	/* failed: retry timer */
};

static struct {
	int			 ready;
	int			 loading;
	void			(*ready_cb)(void);

	/* Assignment state (may run ahead of the database). */
	struct lot_mark		 cur;
	int			 close_due;
	struct event		 age_timer;

	/* Committed state. */
	uint64_t		 last_idevt;
	uint64_t		 last_closed;
	uint64_t		 last_sealed;
	uint64_t		 sealed_last_idevt;	/* last IDEvt sealed */
	int64_t			 open_first_ms;		/* committed open lot */
	struct lot_pendings	 pending;
	size_t			 npending;

	/* Sealing. */
	enum seal_state		 seal;
	uint64_t		 seal_lot;
	struct event		 seal_timer;
	uint8_t			*seal_msg;
	size_t			 seal_msglen;
	size_t			 seal_nev;
	uint8_t			 seal_prev[SHA256_LEN];
	int			 seal_prev_ok;
	struct seal_lot		 seal_hdr;
} lot;

static void	 lot_loaded(int, const char *, void *);
static void	 lot_load_max(PGresult *, void *);
static void	 lot_load_lots(PGresult *, void *);
static void	 lot_load_open(PGresult *, void *);
static void	 lot_load_sealed(PGresult *, void *);
static void	 lot_load_pending(PGresult *, void *);
static void	 lot_arm(void);
static void	 lot_age(int, short, void *);
static void	 lot_seal_events(PGresult *, void *);
static void	 lot_seal_prev(PGresult *, void *);
static void	 lot_seal_loaded(int, const char *, void *);
static void	 lot_seal_stored(int, const char *, void *);
static void	 lot_seal_retry(int, short, void *);
static void	 lot_seal_wait(unsigned int);
static void	 lot_pending_add(const struct lot_closed *);

void
lot_init(void)
{
	TAILQ_INIT(&lot.pending);
	evtimer_set(&lot.age_timer, lot_age, NULL);
	evtimer_set(&lot.seal_timer, lot_seal_retry, NULL);
}

int
lot_ready(void)
{
	return lot.ready;
}

/* Read the numbering state back: at start and after every reconnect. */
void
lot_db_up(void (*ready)(void))
{
	struct db_job	*job;

	lot.ready = 0;
	lot.ready_cb = ready;
	lot.loading = 1;
	memset(&lot.cur, 0, sizeof(lot.cur));
	lot.close_due = 0;
	while (lot.npending > 0) {
		struct lot_pending *lp = TAILQ_FIRST(&lot.pending);

		TAILQ_REMOVE(&lot.pending, lp, entry);
		free(lp);
		lot.npending--;
	}
	if ((job = db_job_begin(lot_loaded, NULL)) == NULL)
		return;
	db_job_query(job, "SELECT coalesce(max(idevt), 0) FROM events", NULL,
	    lot_load_max, NULL);
	db_job_query(job, "SELECT coalesce(max(numero), 0),"
	    " coalesce(max(last), 0) FROM lots", NULL, lot_load_lots, NULL);
	db_job_query(job, "SELECT count(*), coalesce(min(idevt), 0),"
	    " min(received) FROM events WHERE lot ="
	    " (SELECT coalesce(max(numero), 0) + 1 FROM lots)", NULL,
	    lot_load_open, NULL);
	db_job_query(job, "SELECT coalesce(max(s.numero), 0),"
	    " coalesce(max(l.last), 0) FROM lot_seals s JOIN lots l"
	    " USING (numero)", NULL, lot_load_sealed, NULL);
	db_job_query(job, "SELECT l.numero, l.first, l.last, l.opened,"
	    " l.closed FROM lots l WHERE l.numero >"
	    " (SELECT coalesce(max(numero), 0) FROM lot_seals)"
	    " ORDER BY l.numero", NULL, lot_load_pending, NULL);
	db_job_end(job);
}

static void
lot_load_max(PGresult *res, void *arg)
{
	lot.last_idevt = db_get_u64(res, 0, 0);
}

static void
lot_load_lots(PGresult *res, void *arg)
{
	lot.last_closed = db_get_u64(res, 0, 0);
	lot.cur.lot_first = db_get_u64(res, 0, 1);	/* last closed IDEvt */
}

static void
lot_load_open(PGresult *res, void *arg)
{
	lot.cur.lot_count = db_get_u64(res, 0, 0);
	if (lot.cur.lot_count > 0) {
		lot.cur.lot_first = db_get_u64(res, 0, 1);
		lot.cur.lot_opened_ms = db_get_time_ms(res, 0, 2);
	} else
		lot.cur.lot_first = 0;
}

static void
lot_load_sealed(PGresult *res, void *arg)
{
	lot.last_sealed = db_get_u64(res, 0, 0);
	lot.sealed_last_idevt = db_get_u64(res, 0, 1);
}

static void
lot_load_pending(PGresult *res, void *arg)
{
	struct lot_closed	 l;
	int			 i;

	for (i = 0; i < PQntuples(res); i++) {
		l.numero = db_get_u64(res, i, 0);
		l.first = db_get_u64(res, i, 1);
		l.last = db_get_u64(res, i, 2);
		l.opened_ms = db_get_time_ms(res, i, 3);
		l.closed_ms = db_get_time_ms(res, i, 4);
		lot_pending_add(&l);
	}
}

static void
lot_loaded(int ok, const char *err, void *arg)
{
	lot.loading = 0;
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
		    stored_env->dbname, lot.cur.lot, lot.cur.lot_count,
		    lot.cur.lot_first, lot.last_idevt);
	lot.open_first_ms = lot.cur.lot_opened_ms;
	lot.ready = 1;
	log_info("next IDEvt %" PRIu64 ", open lot %" PRIu64 " (%u events), "
	    "last sealed lot %" PRIu64 ", %zu lots to seal", lot.cur.next_idevt,
	    lot.cur.lot, lot.cur.lot_count, lot.last_sealed, lot.npending);
	lot_arm();
	if (lot.ready_cb != NULL)
		lot.ready_cb();
	lot_seal_kick();
}

void
lot_db_down(void)
{
	lot.ready = 0;
	evtimer_del(&lot.age_timer);
	if (lot.seal == SEAL_LOADING || lot.seal == SEAL_STORING)
		lot.seal = SEAL_IDLE;
}

void
lot_mark(struct lot_mark *m)
{
	*m = lot.cur;
	m->close_due = lot.close_due;
}

void
lot_rewind(const struct lot_mark *m)
{
	lot.cur = *m;
	lot.close_due = m->close_due;
	lot_arm();
}

/*
 * The next IDEvt and its lot.  When the event fills the lot, *closed is
 * set and c describes the lot, whose row goes in the same transaction.
 */
uint64_t
lot_assign(int64_t received_ms, uint64_t *lotp, struct lot_closed *c,
    int *closed)
{
	const struct cfjl_conf	*conf = stored_env->conf;
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
		c->closed_ms = stored_now_ms();
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
lot_close_due(struct lot_closed *c)
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
	c->closed_ms = stored_now_ms();
	lot.cur.lot++;
	lot.cur.lot_count = 0;
	lot.cur.lot_first = 0;
	return 1;
}

int
lot_closing(void)
{
	return lot.close_due && lot.cur.lot_count > 0;
}

/* cfjlctl lot seal-now: close the open lot at the next write. */
int
lot_seal_now(void)
{
	if (lot.cur.lot_count == 0)
		return 0;
	lot.close_due = 1;
	deposit_kick();
	return 1;
}

void
lot_add_close(struct db_job *job, const struct lot_closed *c)
{
	struct db_params	 p;

	db_params_init(&p);
	db_param_u64(&p, c->numero);
	db_param_u64(&p, c->first);
	db_param_u64(&p, c->last);
	db_param_u64(&p, c->last - c->first + 1);
	db_param_time_ms(&p, c->opened_ms);
	db_param_time_ms(&p, c->closed_ms);
	db_job_query(job, "INSERT INTO lots (numero, first, last, nevents,"
	    " opened, closed) VALUES ($1, $2, $3, $4, $5, $6)", &p, NULL,
	    NULL);
	db_params_free(&p);
}

/* A write committed: its lots are closed for good; seal them. */
void
lot_committed(const struct lot_closed *c, size_t n, uint64_t last_idevt)
{
	size_t	 i;

	if (last_idevt > lot.last_idevt)
		lot.last_idevt = last_idevt;
	for (i = 0; i < n; i++) {
		lot.last_closed = c[i].numero;
		lot_pending_add(&c[i]);
		audit_record("deposit", "lot", "ok", "lot %" PRIu64 " closed: "
		    "IDEvt %" PRIu64 " to %" PRIu64 ", %" PRIu64 " events",
		    c[i].numero, c[i].first, c[i].last,
		    c[i].last - c[i].first + 1);
	}
	/* One write at a time: what was assigned is now committed. */
	lot.open_first_ms = lot.cur.lot_count > 0 ? lot.cur.lot_opened_ms : 0;
	lot_arm();
	lot_seal_kick();
}

static void
lot_pending_add(const struct lot_closed *c)
{
	struct lot_pending	*lp;

	if ((lp = calloc(1, sizeof(*lp))) == NULL)
		fatal(NULL);
	lp->l = *c;
	TAILQ_INSERT_TAIL(&lot.pending, lp, entry);
	lot.npending++;
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
	left = lot.cur.lot_opened_ms + stored_env->conf->lot.max_age_ms -
	    stored_now_ms();
	if (left <= 0) {
		lot.close_due = 1;
		deposit_kick();
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
	deposit_kick();
}

/* Sealing: the oldest closed lot without a seal goes to sealerd. */
void
lot_seal_kick(void)
{
	struct lot_pending	*lp;
	struct db_params	 p;
	struct db_job		*job;

	if (lot.seal != SEAL_IDLE || !lot.ready || !sealer_ready())
		return;
	if ((lp = TAILQ_FIRST(&lot.pending)) == NULL)
		return;
	if ((job = db_job_begin(lot_seal_loaded, NULL)) == NULL)
		return;
	lot.seal = SEAL_LOADING;
	lot.seal_lot = lp->l.numero;
	memset(&lot.seal_hdr, 0, sizeof(lot.seal_hdr));
	lot.seal_hdr.lot = lp->l.numero;
	lot.seal_hdr.first = lp->l.first;
	lot.seal_hdr.last = lp->l.last;
	lot.seal_hdr.operator_id = stored_env->conf->operator_id;
	lot.seal_hdr.vault_id = stored_env->conf->vault_id;
	lot.seal_prev_ok = lp->l.numero == 1;
	memset(lot.seal_prev, 0, sizeof(lot.seal_prev));
	free(lot.seal_msg);
	lot.seal_msg = NULL;
	lot.seal_nev = 0;

	db_params_init(&p);
	db_param_u64(&p, lp->l.numero);
	db_job_query(job, "SELECT idevt, received, type, dateevt, depositor,"
	    " p7m_sha256 FROM events WHERE lot = $1 ORDER BY idevt", &p,
	    lot_seal_events, NULL);
	db_job_query(job, "SELECT sigvalue_sha256 FROM lot_seals"
	    " WHERE numero = $1 - 1", &p, lot_seal_prev, NULL);
	db_params_free(&p);
	db_job_end(job);
}

static void
lot_seal_events(PGresult *res, void *arg)
{
	struct seal_event	*ev;
	const uint8_t		*b;
	size_t			 len;
	int			 i, n = PQntuples(res);

	if ((lot.seal_msg = calloc(n, sizeof(*ev))) == NULL && n > 0)
		fatal(NULL);
	lot.seal_nev = n;
	for (i = 0; i < n; i++) {
		ev = (struct seal_event *)lot.seal_msg + i;
		ev->idevt = db_get_u64(res, i, 0);
		ev->received_ms = db_get_time_ms(res, i, 1);
		db_get_text(res, i, 2, ev->type, sizeof(ev->type));
		db_get_text(res, i, 3, ev->dateevt, sizeof(ev->dateevt));
		b = db_get_bytes(res, i, 4, &len);
		if (len == SHA256_LEN)
			memcpy(ev->depositor, b, len);
		b = db_get_bytes(res, i, 5, &len);
		if (len == SHA256_LEN)
			memcpy(ev->file_sha256, b, len);
	}
}

static void
lot_seal_prev(PGresult *res, void *arg)
{
	const uint8_t	*b;
	size_t		 len;

	if (PQntuples(res) != 1)
		return;
	b = db_get_bytes(res, 0, 0, &len);
	if (len == SHA256_LEN) {
		memcpy(lot.seal_prev, b, len);
		lot.seal_prev_ok = 1;
	}
}

static void
lot_seal_loaded(int ok, const char *err, void *arg)
{
	struct iovec	 iov[2];

	if (lot.seal != SEAL_LOADING)
		return;
	if (!ok) {
		lot.seal = SEAL_IDLE;	/* retried when the database is back */
		return;
	}
	if (!lot.seal_prev_ok)
		fatalx("lot %" PRIu64 " cannot be sealed: lot %" PRIu64
		    " has no seal", lot.seal_lot, lot.seal_lot - 1);
	if (lot.seal_nev != lot.seal_hdr.last - lot.seal_hdr.first + 1)
		fatalx("lot %" PRIu64 " holds %zu events, expected %" PRIu64,
		    lot.seal_lot, lot.seal_nev,
		    lot.seal_hdr.last - lot.seal_hdr.first + 1);
	lot.seal_hdr.nevents = lot.seal_nev;
	memcpy(lot.seal_hdr.precedent, lot.seal_prev, SHA256_LEN);
	iov[0].iov_base = &lot.seal_hdr;
	iov[0].iov_len = sizeof(lot.seal_hdr);
	iov[1].iov_base = lot.seal_msg;
	iov[1].iov_len = lot.seal_nev * sizeof(struct seal_event);
	if (sealer_send(IMSG_SEAL_LOT, iov, 2) == -1) {
		lot.seal = SEAL_IDLE;	/* sent again when sealerd is up */
		return;
	}
	lot.seal = SEAL_SENT;
	free(lot.seal_msg);
	lot.seal_msg = NULL;
	log_debug("lot %" PRIu64 " sent for sealing (%zu events)",
	    lot.seal_lot, lot.seal_nev);
}

/* IMSG_SEAL_DONE: struct seal_done and the sealed lot XML. */
int
lot_seal_done(const void *data, size_t len)
{
	struct seal_done	 sd;
	struct db_params	 p;
	struct db_job		*job;

	if (len < sizeof(sd))
		return -1;
	memcpy(&sd, data, sizeof(sd));
	if (sd.len != len - sizeof(sd) || sd.len == 0)
		return -1;
	if (lot.seal != SEAL_SENT || sd.lot != lot.seal_lot) {
		log_warnx("sealerd sealed lot %" PRIu64 ", which was not "
		    "asked for: ignored", sd.lot);
		return 0;
	}
	if ((job = db_job_begin(lot_seal_stored, NULL)) == NULL) {
		lot.seal = SEAL_IDLE;	/* asked again once the database is up */
		return 0;
	}
	lot.seal = SEAL_STORING;
	db_params_init(&p);
	db_param_u64(&p, sd.lot);
	db_param_bytes(&p, (const uint8_t *)data + sizeof(sd), sd.len);
	db_param_bytes(&p, sd.sigvalue_sha256, SHA256_LEN);
	db_job_query(job, "INSERT INTO lot_seals (numero, xml,"
	    " sigvalue_sha256) VALUES ($1, $2, $3)", &p, NULL, NULL);
	db_params_free(&p);
	db_job_end(job);
	return 0;
}

static void
lot_seal_stored(int ok, const char *err, void *arg)
{
	struct lot_pending	*lp;

	if (lot.seal != SEAL_STORING)
		return;
	if (!ok) {
		log_warnx("lot %" PRIu64 ": the seal could not be stored: %s",
		    lot.seal_lot, err);
		audit_record("seal", "lot", "error", "lot %" PRIu64 ": seal "
		    "not stored: %s", lot.seal_lot, err);
		lot_seal_wait(1);
		return;
	}
	lot.seal = SEAL_IDLE;
	lot.last_sealed = lot.seal_lot;
	if ((lp = TAILQ_FIRST(&lot.pending)) != NULL &&
	    lp->l.numero == lot.seal_lot) {
		lot.sealed_last_idevt = lp->l.last;
		TAILQ_REMOVE(&lot.pending, lp, entry);
		free(lp);
		lot.npending--;
	}
	audit_record("seal", "lot", "ok", "lot %" PRIu64 " sealed",
	    lot.seal_lot);
	lot_seal_kick();
}

/* IMSG_SEAL_FAIL: try the same lot again later. */
int
lot_seal_fail(const void *data, size_t len)
{
	struct seal_fail	 sf;

	if (len != sizeof(sf))
		return -1;
	memcpy(&sf, data, sizeof(sf));
	if (memchr(sf.reason, '\0', sizeof(sf.reason)) == NULL)
		return -1;
	if (lot.seal != SEAL_SENT || sf.lot != lot.seal_lot)
		return 0;
	log_warnx("lot %" PRIu64 " not sealed: %s; retrying in %us",
	    sf.lot, sf.reason, sf.retry_after ? sf.retry_after : 1);
	audit_record("seal", "lot", "error", "lot %" PRIu64 " not sealed: %s",
	    sf.lot, sf.reason);
	lot_seal_wait(sf.retry_after);
	return 0;
}

static void
lot_seal_wait(unsigned int secs)
{
	struct timeval	 tv;

	lot.seal = SEAL_WAIT;
	tv.tv_sec = secs == 0 ? 1 : secs > 300 ? 300 : secs;
	tv.tv_usec = 0;
	evtimer_add(&lot.seal_timer, &tv);
}

static void
lot_seal_retry(int fd, short ev, void *arg)
{
	if (lot.seal == SEAL_WAIT)
		lot.seal = SEAL_IDLE;
	lot_seal_kick();
}

void
lot_sealer_up(void)
{
	if (lot.seal == SEAL_SENT)
		lot.seal = SEAL_IDLE;
	lot_seal_kick();
}

void
lot_sealer_down(void)
{
	/* What was sent is lost with the link: send it again later. */
	if (lot.seal == SEAL_SENT)
		lot.seal = SEAL_IDLE;
}

uint64_t
lot_last_idevt(void)
{
	return lot.last_idevt;
}

uint64_t
lot_last_sealed(void)
{
	return lot.last_sealed;
}

uint64_t
lot_current(void)
{
	return lot.cur.lot;
}

/* Events committed but not sealed yet, and the age of the oldest. */
void
lot_lag(uint64_t *events, int64_t *oldest_ms, uint64_t *lots)
{
	struct lot_pending	*lp;

	*events = lot.last_idevt - lot.sealed_last_idevt;
	*lots = lot.npending;
	if ((lp = TAILQ_FIRST(&lot.pending)) != NULL)
		*oldest_ms = lp->l.opened_ms;
	else if (lot.last_idevt > lot.sealed_last_idevt)
		*oldest_ms = lot.open_first_ms;
	else
		*oldest_ms = 0;
}

/* A lot as frontd sees it; the XML of a sealed lot is read separately. */
enum lot_state
lot_state(uint64_t numero)
{
	if (numero == 0)
		return LOT_UNKNOWN;
	if (numero <= lot.last_sealed)
		return LOT_SEALED;
	if (numero <= lot.last_closed)
		return LOT_PENDING;
	if (numero == lot.last_closed + 1 && lot.open_first_ms != 0)
		return LOT_OPEN;
	return LOT_UNKNOWN;
}
