/*
 * The events of lots to seal, kept in memory for sealerd: a bounded
 * number of lots and bytes (beyond that, sealqueue.c reads them back
 * from the database when their turn comes).  The write that closes a
 * lot reads its events back in the same transaction (they are there,
 * this write's and earlier ones'), so that the lot can go to sealerd
 * without another query: such a capture is staged until the write
 * commits, then handed to the queue.
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

static struct {
	TAILQ_HEAD(, sealmem_capture)	 staged;
	size_t				 lots;
	size_t				 bytes;
} sealmem = { TAILQ_HEAD_INITIALIZER(sealmem.staged), 0, 0 };

static void	 sealmem_captured(PGresult *, void *);

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

/* The write that closes lot c reads its events too, if there is room. */
void
sealmem_capture(struct db_job *job, const struct lot_closed *c)
{
	struct dbval_params	 p;
	struct sealmem_capture	*s;
	uint64_t		 n = c->last - c->first + 1;

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
		return NULL;
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
