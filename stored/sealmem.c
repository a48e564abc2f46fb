/*
 * The events of lots to seal, kept in memory for sealerd: a bounded
 * number of lots and bytes (beyond that, sealqueue.c reads them back
 * from the database when their turn comes).
 *
 * Each write's events are kept as it commits, lot by lot, exactly as
 * they were inserted: when a lot closes and all its events were seen
 * committed here, in order and without a gap, it goes to sealerd with
 * nothing read back.  Otherwise (after a restart, a write whose outcome
 * was not known, a lot too large for the bound) the write that closes
 * the lot reads its events back in the same transaction: such a
 * capture is staged until the write commits, then handed to the queue.
 */
#include <sys/types.h>
#include <sys/queue.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "log.h"
#include "proto.h"
#include "db.h"
#include "dbval.h"
#include "lotstate.h"
#include "sealmem.h"

#define SEALMEM_LOTS		256
#define SEALMEM_BYTES		(16 * 1024 * 1024)

/* A closing lot's events, read in a write not committed yet. */
struct sealmem_capture {
	TAILQ_ENTRY(sealmem_capture)	 entry;
	struct lot_closed		 l;
	struct seal_event		*ev;
	size_t				 nev;	/* 0: not read (yet) */
};

/* An open lot's events, as they were committed. */
struct sealmem_open {
	TAILQ_ENTRY(sealmem_open)	 entry;
	uint64_t			 lot;
	uint64_t			 first;	/* IDEvt of ev[0] */
	struct seal_event		*ev;	/* NULL: incomplete */
	size_t				 n;
	size_t				 cap;
};

static struct {
	TAILQ_HEAD(, sealmem_capture)	 staged;
	TAILQ_HEAD(, sealmem_open)	 open;
	size_t				 lots;
	size_t				 bytes;
} sealmem = {
	TAILQ_HEAD_INITIALIZER(sealmem.staged),
	TAILQ_HEAD_INITIALIZER(sealmem.open), 0, 0
};

static void	 sealmem_captured(PGresult *, void *);
static struct seal_event *sealmem_open_take(const struct lot_closed *,
		    size_t *);
static struct sealmem_open *sealmem_open_find(uint64_t);
static void	 sealmem_open_forget(uint64_t);
static void	 sealmem_open_drop(struct sealmem_open *, int);

#define SEALMEM_ARG(n)	((void *)(uintptr_t)(n))
#define SEALMEM_NUM(p)	((uint64_t)(uintptr_t)(p))

/*
 * Memory for n events.  Every array counts against the bound, which new
 * lots respect (sealmem_room); the next lot to send is read back even
 * beyond it.
 */
struct seal_event *
sealmem_alloc(uint64_t n)
{
	struct seal_event	*ev;

	if ((ev = calloc(n ? n : 1, sizeof(*ev))) == NULL)
		fatal(NULL);
	sealmem.lots++;
	sealmem.bytes += n * sizeof(*ev);
	return ev;
}

void
sealmem_free(struct seal_event *ev, uint64_t n)
{
	if (ev == NULL)
		return;
	sealmem.lots--;
	sealmem.bytes -= n * sizeof(*ev);
	free(ev);
}

int
sealmem_room(uint64_t n)
{
	return sealmem.lots < SEALMEM_LOTS &&
	    sealmem.bytes + n * sizeof(struct seal_event) <= SEALMEM_BYTES;
}

/* Columns: idevt, received, type, dateevt, depositor, p7m_sha256, stamp. */
void
sealmem_event_row(struct seal_event *ev, PGresult *res, int row, int col)
{
	const uint8_t	*b;
	size_t		 len;

	memset(ev, 0, sizeof(*ev));
	ev->idevt = dbval_get_u64(res, row, col);
	ev->received_ms = dbval_get_time_ms(res, row, col + 1);
	dbval_get_text(res, row, col + 2, ev->type, sizeof(ev->type));
	dbval_get_text(res, row, col + 3, ev->dateevt, sizeof(ev->dateevt));
	b = dbval_get_bytes(res, row, col + 4, &len);
	if (len == SHA256_LEN)
		memcpy(ev->depositor, b, len);
	b = dbval_get_bytes(res, row, col + 5, &len);
	if (len == SHA256_LEN)
		memcpy(ev->file_sha256, b, len);
	dbval_get_text(res, row, col + 6, ev->stamp, sizeof(ev->stamp));
}

/*
 * The write that closes lot c reads its events too, if there is room,
 * unless they were all seen committed so far (this write's own follow
 * them when it commits).
 */
void
sealmem_capture(struct db_job *job, const struct lot_closed *c)
{
	struct dbval_params	 p;
	struct sealmem_capture	*s;
	struct sealmem_open	*o;
	uint64_t		 n = c->last - c->first + 1;

	if ((o = sealmem_open_find(c->numero)) != NULL && o->ev != NULL &&
	    o->first == c->first)
		return;		/* taken from memory at commit */
	if (!sealmem_room(n))
		return;		/* read back later */
	if ((s = calloc(1, sizeof(*s))) == NULL)
		fatal(NULL);
	s->l = *c;
	s->ev = sealmem_alloc(n);
	TAILQ_INSERT_TAIL(&sealmem.staged, s, entry);
	dbval_params_init(&p);
	dbval_param_u64(&p, c->numero);
	db_job_query(job, "SELECT idevt, received, type, dateevt, depositor,"
	    " p7m_sha256, stamp FROM events WHERE lot = $1 ORDER BY idevt", &p,
	    sealmem_captured, SEALMEM_ARG(c->numero));
	dbval_params_free(&p);
}

static void
sealmem_captured(PGresult *res, void *arg)
{
	struct sealmem_capture	*s;
	uint64_t		 numero = SEALMEM_NUM(arg), n;
	int			 i;

	TAILQ_FOREACH(s, &sealmem.staged, entry)
		if (s->l.numero == numero)
			break;
	if (s == NULL || s->nev != 0)
		return;
	n = s->l.last - s->l.first + 1;
	if ((uint64_t)PQntuples(res) != n)
		return;		/* not kept: read back later */
	for (i = 0; i < PQntuples(res); i++) {
		sealmem_event_row(&s->ev[i], res, i, 0);
		if (s->ev[i].idevt != s->l.first + i)
			return;
	}
	s->nev = n;
}

/*
 * Lot c committed: its events if they were read whole (the caller owns
 * them, still counted), else NULL and they are to be read back.
 */
struct seal_event *
sealmem_capture_take(const struct lot_closed *c, size_t *nev)
{
	struct sealmem_capture	*s;
	struct seal_event	*ev = NULL;

	*nev = 0;
	TAILQ_FOREACH(s, &sealmem.staged, entry)
		if (s->l.numero == c->numero)
			break;
	if (s == NULL)
		return sealmem_open_take(c, nev);
	sealmem_open_forget(c->numero);	/* read back instead */
	TAILQ_REMOVE(&sealmem.staged, s, entry);
	if (s->nev != 0 && s->l.first == c->first && s->l.last == c->last) {
		ev = s->ev;
		*nev = s->nev;
	} else
		sealmem_free(s->ev, s->l.last - s->l.first + 1);
	free(s);
	return ev;
}

/* The write that read them failed: forget what it read. */
void
sealmem_capture_drop(void)
{
	struct sealmem_capture	*s;

	while ((s = TAILQ_FIRST(&sealmem.staged)) != NULL) {
		TAILQ_REMOVE(&sealmem.staged, s, entry);
		sealmem_free(s->ev, s->l.last - s->l.first + 1);
		free(s);
	}
}

/*
 * A write committed event e of lot: kept with the lot's earlier ones
 * if it follows them.  Events come in IDEvt order.
 */
void
sealmem_committed(uint64_t lot, const struct seal_event *e)
{
	struct sealmem_open	*o;
	struct seal_event	*nev;
	size_t			 ncap;

	if ((o = sealmem_open_find(lot)) == NULL) {
		if ((o = calloc(1, sizeof(*o))) == NULL)
			fatal(NULL);
		o->lot = lot;
		o->first = e->idevt;
		TAILQ_INSERT_TAIL(&sealmem.open, o, entry);
		sealmem.lots++;
	} else if (o->ev == NULL)
		return;		/* incomplete: read back at its close */
	if (e->idevt != o->first + o->n) {
		sealmem_open_drop(o, 0);
		return;
	}
	if (o->n == o->cap) {
		ncap = o->cap ? o->cap * 2 : 64;
		if (sealmem.bytes + (ncap - o->cap) * sizeof(*e) >
		    SEALMEM_BYTES) {
			sealmem_open_drop(o, 0);
			return;
		}
		if ((nev = reallocarray(o->ev, ncap, sizeof(*e))) == NULL)
			fatal(NULL);
		sealmem.bytes += (ncap - o->cap) * sizeof(*e);
		o->ev = nev;
		o->cap = ncap;
	}
	o->ev[o->n++] = *e;
}

/*
 * Lot c's events if all were seen committed; the caller owns them,
 * counted as sealmem_alloc's are.  Lots before c are forgotten.
 */
static struct seal_event *
sealmem_open_take(const struct lot_closed *c, size_t *nev)
{
	struct sealmem_open	*o;
	struct seal_event	*ev = NULL;
	uint64_t		 n = c->last - c->first + 1;

	*nev = 0;
	sealmem_open_forget(c->numero - 1);
	if ((o = sealmem_open_find(c->numero)) == NULL)
		return NULL;
	if (o->ev != NULL && o->first == c->first && o->n == n) {
		/* Counted from now on as n events, as sealmem_free will. */
		sealmem.bytes -= (o->cap - n) * sizeof(*ev);
		if ((ev = reallocarray(o->ev, n, sizeof(*ev))) == NULL)
			fatal(NULL);
		o->ev = NULL;
		o->cap = o->n = 0;
		*nev = n;
		TAILQ_REMOVE(&sealmem.open, o, entry);
		free(o);
		return ev;
	}
	sealmem_open_drop(o, 1);
	return NULL;
}

static struct sealmem_open *
sealmem_open_find(uint64_t lot)
{
	struct sealmem_open	*o;

	TAILQ_FOREACH(o, &sealmem.open, entry)
		if (o->lot == lot)
			return o;
	return NULL;
}

/* Lots up to lot are closed: what is kept of them goes. */
static void
sealmem_open_forget(uint64_t lot)
{
	struct sealmem_open	*o, *next;

	for (o = TAILQ_FIRST(&sealmem.open); o != NULL; o = next) {
		next = TAILQ_NEXT(o, entry);
		if (o->lot <= lot)
			sealmem_open_drop(o, 1);
	}
}

/*
 * Forget what is kept of lot o; unless gone, the lot stays known as
 * incomplete, so that its later events are not kept either.
 */
static void
sealmem_open_drop(struct sealmem_open *o, int gone)
{
	free(o->ev);
	sealmem.bytes -= o->cap * sizeof(*o->ev);
	o->ev = NULL;
	o->n = o->cap = 0;
	if (gone) {
		sealmem.lots--;
		TAILQ_REMOVE(&sealmem.open, o, entry);
		free(o);
	}
}
