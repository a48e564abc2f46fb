/*
 * Sealing: closed lots go to sealerd (sealer.sock) strictly in order,
 * each chained to the previous lot's SignatureValue, and their seals are
 * stored.  One lot is at sealerd at a time; the next goes as soon as the
 * previous one's seal comes back, chained to the digest in that answer,
 * without waiting for the seal to be written: seals are written in
 * order, several in one transaction, behind the deposits on the one
 * connection.
 *
 * A closed lot's events are kept in memory (sealmem.c: a bounded
 * number of lots and bytes) as their writes commit, or, when some were
 * not seen committed, read in the transaction that closes the lot;
 * beyond the bound, and after a restart, they are read back from the
 * database, several lots in one query.  What is not written is sent again: after a restart, a lost
 * link, or a seal that could not be written, the sealing state is read
 * back from the database and sealing resumes from the first lot without
 * a seal.  The link itself is in sealerlink.c.
 */
#include <sys/types.h>
#include <sys/queue.h>
#include <sys/uio.h>

#include <inttypes.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <event.h>

#include "audit.h"
#include "config.h"
#include "log.h"
#include "msg.h"
#include "peer.h"
#include "proto.h"
#include "stored.h"
#include "db.h"
#include "dbval.h"
#include "front.h"
#include "lotstate.h"
#include "sealcert.h"
#include "sealerlink.h"
#include "sealmem.h"
#include "sealqueue.h"

#define SEAL_LOAD_LOTS		32	/* lots read back in one query */
#define SEAL_UNSTORED_MAX	128	/* seals made, not written yet */
#define SEAL_STORE_LOTS		64	/* seals written in one transaction */
#define SEAL_STORE_BYTES	(16 * 1024 * 1024)
#define SEAL_RETRY_MAX		300	/* seconds */

enum seal_state {
	SQ_WAIT,	/* to send */
	SQ_SENT,	/* at sealerd */
	SQ_DONE,	/* sealed, the seal to write */
	SQ_STORING	/* its seal being written */
};

/* A closed lot without a stored seal; or its events, being read. */
struct sealq {
	TAILQ_ENTRY(sealq)	 entry;
	struct lot_closed	 l;
	enum seal_state		 state;
	struct seal_event	*ev;	/* NULL: in the database only */
	size_t			 nev;	/* events filled in */
	int			 loading;
	uint8_t			*xml;	/* SQ_DONE, SQ_STORING */
	size_t			 xmllen;
	uint8_t			 sig[SHA256_LEN];
	uint8_t			 seal_cert[SHA256_LEN];	/* which sealed it */
	uint8_t			 tsa_cert[SHA256_LEN];
};
TAILQ_HEAD(sealqs, sealq);

static struct {
	struct sealqs	 pending;	/* by numero */
	size_t		 npending;
	struct sealqs	 reload;	/* being read back from the database */

	/* What the database holds; valid once read back (known). */
	int		 known;
	uint64_t	 gen;		/* a new reading: older answers void */
	uint64_t	 reread_gen;
	uint64_t	 last_sealed;
	uint64_t	 sealed_last_idevt;
	uint64_t	 head_lot;	/* the last seal, being read back */
	uint64_t	 head_idevt;
	uint8_t		 head_sig[SHA256_LEN];

	/* The chain as sent: the SignatureValue digest of the last lot. */
	uint8_t		 prev[SHA256_LEN];

	int		 inflight;	/* a lot at sealerd, answer due */
	uint64_t	 inflight_lot;
	int		 stale;		/* its answer is to be ignored */
	int		 loading;	/* events being read */
	int		 storing;	/* seals being written */
	size_t		 unstored;	/* SQ_DONE and SQ_STORING */
	int		 waiting;	/* sealerd asked us to wait */
	struct event	 retry_ev;
	struct event	 reread_ev;
} sq;

static struct sealq	*sq_new(const struct lot_closed *);
static void		 sq_free(struct sealq *);
static void		 sq_ev_free(struct sealq *);
static void		 sq_invalidate(void);
static void		 sq_reread_later(void);
static void		 sq_head_row(PGresult *, void *);
static void		 sq_pending_rows(PGresult *, void *);
static void		 sq_reread(int, short, void *);
static void		 sq_reread_done(int, const char *, void *);
static void		 sq_load(void);
static void		 sq_load_rows(PGresult *, void *);
static void		 sq_load_done(int, const char *, void *);
static void		 sq_store(void);
static void		 sq_stored(int, const char *, void *);
static void		 sq_send(void);
static void		 sq_retry(int, short, void *);

#define SQ_GEN(p)	((uint64_t)(uintptr_t)(p))
#define SQ_ARG(g)	((void *)(uintptr_t)(g))

/* Its events are no longer needed in memory. */
static void
sq_ev_free(struct sealq *q)
{
	sealmem_free(q->ev, q->l.last - q->l.first + 1);
	q->ev = NULL;
	q->nev = 0;
	q->loading = 0;
}

static struct sealq *
sq_new(const struct lot_closed *c)
{
	struct sealq	*q;

	if ((q = calloc(1, sizeof(*q))) == NULL)
		fatal(NULL);
	q->l = *c;
	q->state = SQ_WAIT;
	return q;
}

static void
sq_free(struct sealq *q)
{
	sq_ev_free(q);
	free(q->xml);
	free(q);
}

/* Lot c is closed for good (committed): queue it, with its events. */
void
sealqueue_closed(const struct lot_closed *c)
{
	struct sealq	*q;

	q = sq_new(c);
	q->ev = sealmem_capture_take(c, &q->nev);
	TAILQ_INSERT_TAIL(&sq.pending, q, entry);
	sq.npending++;
	sealqueue_kick();
}

/*
 * The sealing state is to be read back from the database: after a
 * reconnection, after a seal that could not be written.  What was made
 * and not written is dropped; an answer still due from sealerd is
 * ignored.  The lots and the events in memory stay until the reading
 * replaces them.
 */
static void
sq_invalidate(void)
{
	struct sealq	*q;

	sq.known = 0;
	sq.gen++;
	sq.loading = 0;
	sq.storing = 0;
	sq.unstored = 0;
	if (sq.inflight)
		sq.stale = 1;
	TAILQ_FOREACH(q, &sq.pending, entry) {
		if (q->loading)
			sq_ev_free(q);
		q->state = SQ_WAIT;
		free(q->xml);
		q->xml = NULL;
		q->xmllen = 0;
	}
	while ((q = TAILQ_FIRST(&sq.reload)) != NULL) {
		TAILQ_REMOVE(&sq.reload, q, entry);
		sq_free(q);
	}
	evtimer_del(&sq.reread_ev);
}

/* The database went away: the state is read again once it is back. */
void
sealqueue_db_down(void)
{
	sq_invalidate();
	sealmem_capture_drop();
}

/*
 * Add to job the reading of the sealing state: the last seal and the
 * lots without one.  sealqueue_db_loaded(ok) ends it.
 */
void
sealqueue_db_load(struct db_job *job)
{
	sq_invalidate();
	sq.head_lot = 0;
	sq.head_idevt = 0;
	memset(sq.head_sig, 0, sizeof(sq.head_sig));
	db_job_query(job, "SELECT s.numero, l.last, s.sigvalue_sha256"
	    " FROM lot_seals s JOIN lots l USING (numero)"
	    " ORDER BY s.numero DESC LIMIT 1", NULL, sq_head_row,
	    SQ_ARG(sq.gen));
	db_job_query(job, "SELECT l.numero, l.first, l.last, l.opened,"
	    " l.closed FROM lots l WHERE l.numero >"
	    " (SELECT coalesce(max(numero), 0) FROM lot_seals)"
	    " ORDER BY l.numero", NULL, sq_pending_rows, SQ_ARG(sq.gen));
}

static void
sq_head_row(PGresult *res, void *arg)
{
	const uint8_t	*b;
	size_t		 len;

	if (SQ_GEN(arg) != sq.gen || PQntuples(res) != 1)
		return;
	sq.head_lot = dbval_get_u64(res, 0, 0);
	sq.head_idevt = dbval_get_u64(res, 0, 1);
	b = dbval_get_bytes(res, 0, 2, &len);
	if (len != SHA256_LEN)
		fatalx("database %s is inconsistent: the seal of lot %" PRIu64
		    " has no SignatureValue digest", env->dbname,
		    sq.head_lot);
	memcpy(sq.head_sig, b, len);
}

/* The lots to seal, in order; those in memory keep their events. */
static void
sq_pending_rows(PGresult *res, void *arg)
{
	struct lot_closed	 l;
	struct sealq		*q, *old;
	int			 i;

	if (SQ_GEN(arg) != sq.gen)
		return;
	old = TAILQ_FIRST(&sq.pending);
	for (i = 0; i < PQntuples(res); i++) {
		l.numero = dbval_get_u64(res, i, 0);
		l.first = dbval_get_u64(res, i, 1);
		l.last = dbval_get_u64(res, i, 2);
		l.opened_ms = dbval_get_time_ms(res, i, 3);
		l.closed_ms = dbval_get_time_ms(res, i, 4);
		q = sq_new(&l);
		while (old != NULL && old->l.numero < l.numero)
			old = TAILQ_NEXT(old, entry);
		if (old != NULL && old->l.numero == l.numero &&
		    old->ev != NULL && !old->loading &&
		    old->l.first == l.first && old->l.last == l.last) {
			q->ev = old->ev;	/* moved: still counted once */
			q->nev = old->nev;
			old->ev = NULL;
			old->nev = 0;
		}
		TAILQ_INSERT_TAIL(&sq.reload, q, entry);
	}
}

/*
 * The reading ended.  The lots read replace the queue; lots closed
 * since (committed after the reading) stay behind them.
 */
void
sealqueue_db_loaded(int ok)
{
	struct sealq	*q, *last;
	uint64_t	 upto;

	if (!ok) {
		sq_invalidate();
		return;
	}
	last = TAILQ_LAST(&sq.reload, sealqs);
	upto = last != NULL ? last->l.numero : sq.head_lot;
	while ((q = TAILQ_FIRST(&sq.pending)) != NULL) {
		TAILQ_REMOVE(&sq.pending, q, entry);
		if (q->l.numero > upto)
			TAILQ_INSERT_TAIL(&sq.reload, q, entry);
		else
			sq_free(q);
	}
	TAILQ_CONCAT(&sq.pending, &sq.reload, entry);
	sq.npending = 0;
	TAILQ_FOREACH(q, &sq.pending, entry)
		sq.npending++;
	if ((q = TAILQ_FIRST(&sq.pending)) != NULL &&
	    q->l.numero != sq.head_lot + 1)
		fatalx("database %s is inconsistent: lot %" PRIu64 " is the "
		    "first without a seal, the last seal is of lot %" PRIu64,
		    env->dbname, q->l.numero, sq.head_lot);
	sq.last_sealed = sq.head_lot;
	sq.sealed_last_idevt = sq.head_idevt;
	memcpy(sq.prev, sq.head_sig, sizeof(sq.prev));
	sq.known = 1;
	sealqueue_kick();
}

/* A seal could not be written: read the state back in a second. */
static void
sq_reread_later(void)
{
	struct timeval	 tv = { 1, 0 };

	sq_invalidate();
	evtimer_add(&sq.reread_ev, &tv);
}

static void
sq_reread(int fd, short ev, void *arg)
{
	struct db_job	*job;

	if (sq.known || !lotstate_ready())
		return;		/* the reconnection reads it */
	if ((job = db_job_begin(sq_reread_done, NULL)) == NULL)
		return;
	sealqueue_db_load(job);
	sq.reread_gen = sq.gen;
	db_job_end(job);
}

static void
sq_reread_done(int ok, const char *err, void *arg)
{
	if (sq.known || sq.reread_gen != sq.gen)
		return;
	if (!ok) {
		log_warnx("cannot read the sealing state: %s", err);
		if (db_ready())
			sq_reread_later();
		return;
	}
	sealqueue_db_loaded(1);
}

/*
 * Move on: write the seals made, read the events of the lots ahead,
 * send the next lot.
 */
void
sealqueue_kick(void)
{
	if (!sq.known)
		return;
	sq_store();
	sq_load();
	sq_send();
}

/*
 * Read back the events of the lots ahead that are not in memory, a run
 * of them in one query: the next lot to send always, the others within
 * the bound.
 */
static void
sq_load(void)
{
	struct sealq		*q, *first = NULL, *lastq = NULL;
	struct dbval_params	 p;
	struct db_job		*job;
	uint64_t		 n;
	int			 nlots = 0, next = 1;

	if (sq.loading)
		return;
	TAILQ_FOREACH(q, &sq.pending, entry) {
		if (q->state != SQ_WAIT)
			continue;
		if (q->ev != NULL) {
			if (first != NULL)
				break;
			next = 0;
			continue;
		}
		n = q->l.last - q->l.first + 1;
		if (!(next && first == NULL) && !sealmem_room(n))
			break;
		if (first == NULL)
			first = q;
		lastq = q;
		q->ev = sealmem_alloc(n);
		q->nev = 0;
		q->loading = 1;
		if (++nlots == SEAL_LOAD_LOTS)
			break;
	}
	if (first == NULL)
		return;
	if ((job = db_job_begin(sq_load_done, SQ_ARG(sq.gen))) == NULL) {
		for (q = first; q != NULL; q = TAILQ_NEXT(q, entry)) {
			sq_ev_free(q);
			if (q == lastq)
				break;
		}
		return;
	}
	sq.loading = 1;
	dbval_params_init(&p);
	dbval_param_u64(&p, first->l.numero);
	dbval_param_u64(&p, lastq->l.numero);
	db_job_query(job, "SELECT lot, idevt, received, type, dateevt,"
	    " depositor, p7m_sha256, stamp FROM events WHERE lot BETWEEN $1"
	    " AND $2"
	    " ORDER BY idevt", &p, sq_load_rows, SQ_ARG(sq.gen));
	dbval_params_free(&p);
	db_job_end(job);
	log_debug("reading the events of lots %" PRIu64 " to %" PRIu64,
	    first->l.numero, lastq->l.numero);
}

static void
sq_load_rows(PGresult *res, void *arg)
{
	struct sealq	*q = NULL;
	uint64_t	 lotn, idevt;
	int		 i;

	if (SQ_GEN(arg) != sq.gen)
		return;
	for (i = 0; i < PQntuples(res); i++) {
		lotn = dbval_get_u64(res, i, 0);
		idevt = dbval_get_u64(res, i, 1);
		if (q == NULL || q->l.numero != lotn)
			TAILQ_FOREACH(q, &sq.pending, entry)
				if (q->l.numero == lotn)
					break;
		if (q == NULL || !q->loading || idevt < q->l.first ||
		    idevt > q->l.last || idevt != q->l.first + q->nev)
			fatalx("database %s is inconsistent: IDEvt %" PRIu64
			    " of lot %" PRIu64 " out of place",
			    env->dbname, idevt, lotn);
		sealmem_event_row(&q->ev[q->nev++], res, i, 1);
	}
}

static void
sq_load_done(int ok, const char *err, void *arg)
{
	struct sealq	*q;

	if (SQ_GEN(arg) != sq.gen)
		return;
	sq.loading = 0;
	TAILQ_FOREACH(q, &sq.pending, entry) {
		if (!q->loading)
			continue;
		if (!ok) {
			sq_ev_free(q);
			continue;
		}
		if (q->nev != q->l.last - q->l.first + 1)
			fatalx("lot %" PRIu64 " holds %zu events, expected %"
			    PRIu64, q->l.numero, q->nev,
			    q->l.last - q->l.first + 1);
		q->loading = 0;
	}
	if (!ok) {
		log_warnx("cannot read the events of the lots to seal: %s",
		    err);
		return;		/* again with the next kick */
	}
	sealqueue_kick();
}

/* The next lot goes to sealerd, chained to the last seal made. */
static void
sq_send(void)
{
	struct sealq	*q;
	struct seal_lot	 hdr;
	struct iovec	 iov[2];
	const struct cfjl_conf *conf = env->conf;

	if (sq.inflight || sq.waiting || !sealerlink_ready() ||
	    sq.unstored >= SEAL_UNSTORED_MAX)
		return;
	TAILQ_FOREACH(q, &sq.pending, entry)
		if (q->state == SQ_WAIT || q->state == SQ_SENT)
			break;
	if (q == NULL || q->state != SQ_WAIT || q->ev == NULL || q->loading)
		return;
	memset(&hdr, 0, sizeof(hdr));
	hdr.lot = q->l.numero;
	hdr.first = q->l.first;
	hdr.last = q->l.last;
	hdr.nevents = q->nev;
	hdr.operator_id = conf->operator_id;
	hdr.vault_id = conf->vault_id;
	memcpy(hdr.precedent, sq.prev, SHA256_LEN);
	iov[0].iov_base = &hdr;
	iov[0].iov_len = sizeof(hdr);
	iov[1].iov_base = q->ev;
	iov[1].iov_len = q->nev * sizeof(*q->ev);
	if (sealerlink_send_lot(iov, 2) == -1)
		return;		/* sent again when sealerd is up */
	q->state = SQ_SENT;
	sq.inflight = 1;
	sq.inflight_lot = q->l.numero;
	sq.stale = 0;
	log_debug("lot %" PRIu64 " sent for sealing (%zu events)",
	    q->l.numero, q->nev);
}

/*
 * IMSG_SEAL_DONE: struct seal_done, the sealed lot XML, and the
 * certificates that sealed it (sealcert.c).
 */
int
sealqueue_done(struct msg *m)
{
	struct seal_done	 sd;
	struct sealq		*q;
	char			*xml = NULL;

	/* Copied: kept until stored, after the message is gone. */
	if (m_get_struct(m, proto_seal_done, &sd) == -1 ||
	    m_get_dup(m, &xml, sd.len) == -1 ||
	    sealcert_read(m, sd.seal_cert, sd.seal_pem_len, sd.tsa_cert,
	    sd.tsa_pem_len) == -1 || m_end(m) == -1 ||
	    (sd.len == 0 && m_fail(m, "empty lot") == -1)) {
		free(xml);
		return -1;
	}
	if (!sq.inflight || sd.lot != sq.inflight_lot) {
		log_warnx("sealerd sealed lot %" PRIu64 ", which was not "
		    "asked for: ignored", sd.lot);
		free(xml);
		return 0;
	}
	sq.inflight = 0;
	if (sq.stale) {
		sq.stale = 0;	/* sent before the state was read again */
		sealqueue_kick();
		free(xml);
		return 0;
	}
	TAILQ_FOREACH(q, &sq.pending, entry)
		if (q->l.numero == sd.lot)
			break;
	if (q == NULL || q->state != SQ_SENT) {
		log_warnx("sealerd sealed lot %" PRIu64 ", which was not "
		    "asked for: ignored", sd.lot);
		sealqueue_kick();
		free(xml);
		return 0;
	}
	q->xml = (uint8_t *)xml;
	q->xmllen = sd.len;
	memcpy(q->sig, sd.sigvalue_sha256, SHA256_LEN);
	memcpy(q->seal_cert, sd.seal_cert, SHA256_LEN);
	memcpy(q->tsa_cert, sd.tsa_cert, SHA256_LEN);
	memcpy(sq.prev, sd.sigvalue_sha256, SHA256_LEN);
	q->state = SQ_DONE;
	sq.unstored++;
	sq_ev_free(q);
	log_debug("lot %" PRIu64 " sealed", q->l.numero);
	sealqueue_kick();
	return 0;
}

/* IMSG_SEAL_FAIL: the same lot again later, nothing after it before. */
int
sealqueue_fail(struct msg *m)
{
	struct seal_fail	 sf;
	struct sealq		*q;
	struct timeval		 tv;

	if (m_get_struct(m, proto_seal_fail, &sf) == -1 || m_end(m) == -1)
		return -1;
	if (!sq.inflight || sf.lot != sq.inflight_lot)
		return 0;
	sq.inflight = 0;
	if (sq.stale) {
		sq.stale = 0;
		sealqueue_kick();
		return 0;
	}
	TAILQ_FOREACH(q, &sq.pending, entry)
		if (q->l.numero == sf.lot && q->state == SQ_SENT)
			q->state = SQ_WAIT;
	tv.tv_sec = sf.retry_after == 0 ? 1 : sf.retry_after > SEAL_RETRY_MAX ?
	    SEAL_RETRY_MAX : sf.retry_after;
	tv.tv_usec = 0;
	log_warnx("lot %" PRIu64 " not sealed: %s; retrying in %llds",
	    sf.lot, sf.reason, (long long)tv.tv_sec);
	audit_record("seal", "lot", "error", "lot %" PRIu64 " not sealed: %s",
	    sf.lot, sf.reason);
	sq.waiting = 1;
	evtimer_add(&sq.retry_ev, &tv);
	sealqueue_kick();	/* the seals made are written meanwhile */
	return 0;
}

static void
sq_retry(int fd, short ev, void *arg)
{
	sq.waiting = 0;
	sealqueue_kick();
}

/* Write the seals made, in order, several in one transaction. */
static void
sq_store(void)
{
	struct sealq		*q;
	struct dbval_array	 a[5];
	struct dbval_params	 p;
	struct db_job		*job;
	size_t			 bytes = 0;
	int			 i, n = 0;

	if (sq.storing || sq.unstored == 0)
		return;
	if ((job = db_job_begin(sq_stored, SQ_ARG(sq.gen))) == NULL)
		return;		/* again when the database is back */
	sealcert_store(job);
	dbval_array_init(&a[0], DBVAL_OID_INT8);
	for (i = 1; i < 5; i++)
		dbval_array_init(&a[i], DBVAL_OID_BYTEA);
	TAILQ_FOREACH(q, &sq.pending, entry) {
		if (q->state != SQ_DONE)
			break;
		if (n > 0 && (n == SEAL_STORE_LOTS ||
		    bytes + q->xmllen > SEAL_STORE_BYTES))
			break;
		dbval_array_u64(&a[0], q->l.numero);
		dbval_array_bytes(&a[1], q->xml, q->xmllen);
		dbval_array_bytes(&a[2], q->sig, SHA256_LEN);
		dbval_array_bytes(&a[3], q->seal_cert, SHA256_LEN);
		dbval_array_bytes(&a[4], q->tsa_cert, SHA256_LEN);
		q->state = SQ_STORING;
		bytes += q->xmllen;
		n++;
	}
	dbval_params_init(&p);
	for (i = 0; i < 5; i++)
		dbval_param_array(&p, &a[i]);
	db_job_query(job, "INSERT INTO lot_seals (numero, xml,"
	    " sigvalue_sha256, seal_cert, tsa_cert) SELECT * FROM"
	    " unnest($1::bigint[], $2::bytea[], $3::bytea[], $4::bytea[],"
	    " $5::bytea[])", &p, NULL, NULL);
	dbval_params_free(&p);
	for (i = 0; i < 5; i++)
		dbval_array_free(&a[i]);
	db_job_end(job);
	sq.storing = 1;
}

static void
sq_stored(int ok, const char *err, void *arg)
{
	struct sealq	*q;

	sealcert_stored(ok);
	if (SQ_GEN(arg) != sq.gen)
		return;
	sq.storing = 0;
	if (!ok) {
		q = TAILQ_FIRST(&sq.pending);
		log_warnx("lot %" PRIu64 ": the seal could not be stored: %s",
		    q != NULL ? q->l.numero : 0, err);
		audit_record("seal", "lot", "error", "lot %" PRIu64 ": seal "
		    "not stored: %s", q != NULL ? q->l.numero : 0, err);
		if (db_ready())
			sq_reread_later();
		return;
	}
	while ((q = TAILQ_FIRST(&sq.pending)) != NULL &&
	    q->state == SQ_STORING) {
		TAILQ_REMOVE(&sq.pending, q, entry);
		sq.npending--;
		sq.unstored--;
		sq.last_sealed = q->l.numero;
		sq.sealed_last_idevt = q->l.last;
		audit_record("seal", "lot", "ok", "lot %" PRIu64 " sealed",
		    q->l.numero);
		front_lot_sealed(q->l.numero, q->l.first, q->l.last,
		    stored_env_now_ms());
		sq_free(q);
	}
	sealqueue_kick();
}

/* The last lot whose seal is stored, and its last IDEvt. */
uint64_t
sealqueue_last_sealed(uint64_t *last_idevt)
{
	if (last_idevt != NULL)
		*last_idevt = sq.sealed_last_idevt;
	return sq.last_sealed;
}

/* Lots closed without a stored seal, and when the oldest opened. */
uint64_t
sealqueue_pending(int64_t *oldest_opened_ms)
{
	struct sealq	*q;

	q = TAILQ_FIRST(&sq.pending);
	*oldest_opened_ms = q != NULL ? q->l.opened_ms : 0;
	return sq.npending;
}

/* The link to sealerd is gone: what was there is sent again later. */
void
sealqueue_lost(void)
{
	struct sealq	*q;

	TAILQ_FOREACH(q, &sq.pending, entry)
		if (q->state == SQ_SENT)
			q->state = SQ_WAIT;
	sq.inflight = 0;
	sq.stale = 0;
}

void
sealqueue_queue_init(void)
{
	TAILQ_INIT(&sq.pending);
	TAILQ_INIT(&sq.reload);
	evtimer_set(&sq.retry_ev, sq_retry, NULL);
	evtimer_set(&sq.reread_ev, sq_reread, NULL);
}
