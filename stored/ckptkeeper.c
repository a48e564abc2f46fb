/*
 * Checkpoints: every "checkpoint every" seconds, idle or not, stored
 * asks sealerd to seal what it knows (the last sealed lot with the
 * digest of its SignatureValue, the previous checkpoint) and keeps the
 * sealed document in the checkpoints table, append-only like the lots.
 * sealerd adds the newest sealed journal file, which auditd tells it.
 * The newest checkpoint is what GET /v1/checkpoint answers and what
 * every export carries (export.c), so that a copy cut short, or a
 * journal rolled back, is refused (cfjl-verify(1)).
 *
 *	stored -> sealerd  IMSG_CHECKPOINT_MAKE  struct checkpoint_req
 *	sealerd -> stored  IMSG_CHECKPOINT_DONE  struct checkpoint_done + XML
 *	sealerd -> stored  IMSG_CHECKPOINT_FAIL  struct seal_fail
 *	frontd -> stored   IMSG_CHECKPOINT_GET   struct status_get
 *	stored -> frontd   IMSG_CHECKPOINT_DATA  struct lot_data + XML
 *
 * One checkpoint is made at a time; its number follows the newest one
 * in the database, read again before each, so that a restart or a lost
 * answer costs only a late checkpoint, never a gap or a fork.
 */
#include <sys/types.h>
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
#include "proto.h"
#include "stored.h"
#include "ckptkeeper.h"
#include "sealcert.h"
#include "db.h"
#include "dbval.h"
#include "front.h"
#include "sealerlink.h"

#define CHECKPOINT_WAIT		1	/* seconds, database or sealer away */
#define CHECKPOINT_TIMEOUT	60	/* seconds for sealerd's answer */
#define CHECKPOINT_XML_MAX	(256 * 1024)

struct checkpoint_get {
	uint64_t	 front;
	uint64_t	 reqid;
	uint64_t	 numero;
	uint8_t		*xml;
	size_t		 len;
	char		 subject[AUDIT_SUBJECT];	/* who reads */
};

static struct {
	struct event		 timer;
	int			 reading;	/* the facts, from the database */
	uint64_t		 inflight;	/* the number at sealerd, or 0 */
	int64_t			 sent_ms;
	struct checkpoint_req	 req;
	int			 have_lot;
	uint64_t		 made;		/* since start */
} ck;

static void	 checkpoint_tick(int, short, void *);
static void	 checkpoint_arm(unsigned int);
static void	 checkpoint_prev_row(PGresult *, void *);
static void	 checkpoint_lot_row(PGresult *, void *);
static void	 checkpoint_read_done(int, const char *, void *);
static void	 checkpoint_stored(int, const char *, void *);
static void	 checkpoint_get_row(PGresult *, void *);
static void	 checkpoint_get_done(int, const char *, void *);

void
ckptkeeper_init(void)
{
	evtimer_set(&ck.timer, checkpoint_tick, NULL);
	checkpoint_arm(CHECKPOINT_WAIT);
}

static void
checkpoint_arm(unsigned int secs)
{
	struct timeval	 tv = { secs, 0 };

	evtimer_del(&ck.timer);
	evtimer_add(&ck.timer, &tv);
}

/* The link to sealerd came up: the first checkpoint need not wait. */
void
ckptkeeper_sealer_up(void)
{
	if (ck.made == 0 && ck.inflight == 0 && !ck.reading)
		checkpoint_arm(CHECKPOINT_WAIT);
}

/* What was at sealerd is lost with the link. */
void
ckptkeeper_sealer_down(void)
{
	if (ck.inflight != 0) {
		ck.inflight = 0;
		checkpoint_arm(CHECKPOINT_WAIT);
	}
}

static void
checkpoint_tick(int fd, short ev, void *arg)
{
	struct db_job	*job;

	if (ck.inflight != 0) {
		/* No answer in time: ask again with the same facts read anew. */
		if (stored_env_now_ms() - ck.sent_ms < CHECKPOINT_TIMEOUT *
		    1000) {
			checkpoint_arm(CHECKPOINT_WAIT);
			return;
		}
		log_warnx("checkpoint %" PRIu64 ": no answer from sealerd",
		    ck.inflight);
		ck.inflight = 0;
	}
	if (ck.reading || !sealerlink_ready() ||
	    (job = db_job_begin(checkpoint_read_done, NULL)) == NULL) {
		checkpoint_arm(CHECKPOINT_WAIT);
		return;
	}
	ck.reading = 1;
	ck.have_lot = 0;
	memset(&ck.req, 0, sizeof(ck.req));
	db_job_query(job, "SELECT numero, sigvalue_sha256 FROM checkpoints "
	    "ORDER BY numero DESC LIMIT 1", NULL, checkpoint_prev_row, NULL);
	/* Seals are written in lot order: the newest ends a whole chain. */
	db_job_query(job, "SELECT s.numero, l.last, s.sigvalue_sha256 "
	    "FROM lot_seals s JOIN lots l ON l.numero = s.numero "
	    "ORDER BY s.numero DESC LIMIT 1", NULL, checkpoint_lot_row, NULL);
	db_job_end(job);
}

static void
checkpoint_prev_row(PGresult *res, void *arg)
{
	const uint8_t	*b;
	size_t		 len;

	if (PQntuples(res) != 1)
		return;
	b = dbval_get_bytes(res, 0, 1, &len);
	if (len != SHA256_LEN)
		fatalx("checkpoint: the newest has no SignatureValue digest");
	ck.req.numero = dbval_get_u64(res, 0, 0);
	memcpy(ck.req.precedent, b, SHA256_LEN);
}

static void
checkpoint_lot_row(PGresult *res, void *arg)
{
	const uint8_t	*b;
	size_t		 len;

	if (PQntuples(res) != 1)
		return;
	ck.req.last_lot = dbval_get_u64(res, 0, 0);
	ck.req.last_idevt = dbval_get_u64(res, 0, 1);
	b = dbval_get_bytes(res, 0, 2, &len);
	if (len != SHA256_LEN)
		return;
	memcpy(ck.req.lot_sigvalue, b, SHA256_LEN);
	ck.have_lot = 1;
}

static void
checkpoint_read_done(int ok, const char *err, void *arg)
{
	ck.reading = 0;
	if (!ok) {
		log_warnx("checkpoint: %s", err);
		checkpoint_arm(CHECKPOINT_WAIT);
		return;
	}
	/* Without a previous one: number 1, Precedent 32 zero bytes. */
	if (!ck.have_lot) {
		ck.req.last_lot = ck.req.last_idevt = 0;
		memset(ck.req.lot_sigvalue, 0, SHA256_LEN);
	}
	ck.req.numero++;
	ck.req.operator_id = env->conf->operator_id;
	ck.req.vault_id = env->conf->vault_id;
	if (sealerlink_send_checkpoint(&ck.req, sizeof(ck.req)) == -1) {
		checkpoint_arm(CHECKPOINT_WAIT);
		return;
	}
	ck.inflight = ck.req.numero;
	ck.sent_ms = stored_env_now_ms();
	checkpoint_arm(CHECKPOINT_TIMEOUT);
}

int
ckptkeeper_done(struct msg *m)
{
	struct checkpoint_done	 cd;
	struct dbval_params	 p;
	struct db_job		*job;
	const void		*xml;

	if (m_get_struct(m, proto_checkpoint_done, &cd) == -1 ||
	    m_get_ptr(m, &xml, cd.len) == -1 ||
	    sealcert_read(m, cd.seal_cert, cd.seal_pem_len, cd.tsa_cert,
	    cd.tsa_pem_len) == -1 || m_end(m) == -1)
		return -1;
	if (ck.inflight == 0 || cd.numero != ck.inflight)
		return m_fail(m, "checkpoint %" PRIu64 ", not asked for",
		    cd.numero);
	if (cd.len == 0 || cd.len > CHECKPOINT_XML_MAX)
		return m_fail(m, "checkpoint of %u bytes", cd.len);
	if ((job = db_job_begin(checkpoint_stored, NULL)) == NULL) {
		/* Not kept: the next one is asked for soon. */
		ck.inflight = 0;
		checkpoint_arm(CHECKPOINT_WAIT);
		return 0;
	}
	sealcert_store(job);
	dbval_params_init(&p);
	dbval_param_u64(&p, cd.numero);
	dbval_param_bytes(&p, xml, cd.len);
	dbval_param_bytes(&p, cd.sigvalue_sha256, SHA256_LEN);
	dbval_param_u64(&p, ck.req.last_lot);
	dbval_param_u64(&p, ck.req.last_idevt);
	if (cd.journal_file[0] != '\0') {
		dbval_param_text(&p, cd.journal_file);
		dbval_param_bytes(&p, cd.journal_meta, SHA256_LEN);
	} else {
		dbval_param_null(&p);
		dbval_param_null(&p);
	}
	dbval_param_time_ms(&p, cd.time_ms);
	dbval_param_bytes(&p, cd.seal_cert, SHA256_LEN);
	dbval_param_bytes(&p, cd.tsa_cert, SHA256_LEN);
	db_job_query(job, "INSERT INTO checkpoints (numero, xml, "
	    "sigvalue_sha256, last_lot, last_idevt, journal_file, "
	    "journal_meta, made, seal_cert, tsa_cert) VALUES ($1, $2, $3, "
	    "$4, $5, $6, $7, $8, $9, $10)", &p, NULL, NULL);
	dbval_params_free(&p);
	db_job_end(job);
	return 0;
}

static void
checkpoint_stored(int ok, const char *err, void *arg)
{
	sealcert_stored(ok);
	if (!ok)
		log_warnx("checkpoint %" PRIu64 " not kept: %s", ck.inflight,
		    err);
	else {
		ck.made++;
		log_debug("checkpoint %" PRIu64 " kept (lot %" PRIu64 ") "
		    "in %lld ms", ck.inflight, ck.req.last_lot,
		    (long long)(stored_env_now_ms() - ck.sent_ms));
	}
	ck.inflight = 0;
	checkpoint_arm(ok ? env->conf->lot.checkpoint_every :
	    CHECKPOINT_WAIT);
}

int
ckptkeeper_fail(struct msg *m)
{
	struct seal_fail	 sf;

	if (m_get_struct(m, proto_seal_fail, &sf) == -1 || m_end(m) == -1)
		return -1;
	if (ck.inflight == 0 || sf.lot != ck.inflight)
		return m_fail(m, "failure of checkpoint %" PRIu64 ", not asked "
		    "for", sf.lot);
	log_warnx("checkpoint %" PRIu64 " not sealed: %s; trying again in "
	    "%u seconds", ck.inflight, sf.reason, sf.retry_after);
	ck.inflight = 0;
	checkpoint_arm(sf.retry_after > 0 ? sf.retry_after : CHECKPOINT_WAIT);
	return 0;
}

/* GET /v1/checkpoint: the newest, or none (state LOT_UNKNOWN). */
int
ckptkeeper_get(uint64_t front, struct msg *m)
{
	struct status_get	 req;
	struct checkpoint_get	*g;
	struct db_job		*job;

	if (m_get_struct(m, proto_status_get, &req) == -1 || m_end(m) == -1)
		return -1;
	if ((g = calloc(1, sizeof(*g))) == NULL)
		fatal(NULL);
	g->front = front;
	g->reqid = req.reqid;
	strlcpy(g->subject, req.subject, sizeof(g->subject));
	if ((job = db_job_begin(checkpoint_get_done, g)) == NULL) {
		checkpoint_get_done(0, "database down", g);
		return 0;
	}
	db_job_query(job, "SELECT numero, xml FROM checkpoints "
	    "ORDER BY numero DESC LIMIT 1", NULL, checkpoint_get_row, g);
	db_job_end(job);
	return 0;
}

static void
checkpoint_get_row(PGresult *res, void *arg)
{
	struct checkpoint_get	*g = arg;
	const uint8_t		*b;
	size_t			 len;

	if (PQntuples(res) != 1)
		return;
	g->numero = dbval_get_u64(res, 0, 0);
	b = dbval_get_bytes(res, 0, 1, &len);
	if (len == 0 || (g->xml = malloc(len)) == NULL)
		return;
	memcpy(g->xml, b, len);
	g->len = len;
}

static void
checkpoint_get_done(int ok, const char *err, void *arg)
{
	struct checkpoint_get	*g = arg;
	struct lot_data		 d;
	struct iovec		 iov[2];

	memset(&d, 0, sizeof(d));
	d.reqid = g->reqid;
	d.lot = g->numero;
	/* The database away reads as "none yet": the client asks again. */
	d.state = ok && g->len > 0 ? LOT_SEALED : ok ? LOT_UNKNOWN :
	    LOT_PENDING;
	d.len = d.state == LOT_SEALED ? g->len : 0;
	if (d.state == LOT_SEALED)
		audit_record("read", g->subject, "ok", "checkpoint %" PRIu64
		    ", %zu bytes", g->numero, g->len);
	else
		audit_record("read", g->subject, ok ? "not found" : "error",
		    "checkpoint: %s", ok ? "none sealed yet" : err);
	iov[0].iov_base = &d;
	iov[0].iov_len = sizeof(d);
	iov[1].iov_base = g->xml;
	iov[1].iov_len = d.len;
	front_send(g->front, IMSG_CHECKPOINT_DATA, iov, d.len > 0 ? 2 : 1);
	free(g->xml);
	free(g);
}
