/*
 * What frontd asks without depositing: a lot (IMSG_LOT_GET), the status
 * (IMSG_STATUS_GET) and a reader's past exports (IMSG_REQUESTS_GET).
 * Every read is journaled ("read": who, what, and what was found) as
 * it is answered; the answer does not wait for the record, for a read
 * changes nothing that the journal would have to vouch for.
 */
#include <sys/types.h>
#include <sys/uio.h>

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "audit.h"
#include "config.h"
#include "log.h"
#include "msg.h"
#include "proto.h"
#include "stored.h"
#include "cidfilter.h"
#include "crypt.h"
#include "db.h"
#include "dbval.h"
#include "deposit.h"
#include "front.h"
#include "lotstate.h"
#include "query.h"
#include "sealerlink.h"

struct query {
	uint64_t	 front;
	uint64_t	 reqid;
	uint64_t	 lot;
	char		 subject[AUDIT_SUBJECT];
	int		 nrows;
	char		*text;
	size_t		 len;
	size_t		 size;
	int		 found;
};

static void	 query_lot_row(PGresult *, void *);
static void	 query_lot_done(int, const char *, void *);
static void	 query_lot_reply(uint64_t, uint64_t, uint64_t, uint32_t,
		    const void *, size_t);
static void	 query_requests_rows(PGresult *, void *);
static void	 query_requests_done(int, const char *, void *);
static void	 query_text_reply(uint64_t, uint32_t, uint64_t, const char *,
		    size_t);
static void	 text_add(struct query *, const char *, ...)
		    __attribute__((__format__(printf, 2, 3)));
static void	 text_json(struct query *, const char *);
static void	 time_iso(int64_t, char *, size_t);

int
query_lot(uint64_t front, struct msg *m)
{
	struct lot_get		 req;
	struct query		*q;
	struct dbval_params	 p;
	struct db_job		*job;
	enum lot_state		 st;

	if (m_get_struct(m, proto_lot_get, &req) == -1 || m_end(m) == -1)
		return -1;
	st = lotstate_of(req.lot);
	if (st != LOT_SEALED) {
		audit_record("read", req.subject, st == LOT_UNKNOWN ?
		    "not found" : "ok", "lot %" PRIu64 ": %s", req.lot,
		    st == LOT_UNKNOWN ? "no such lot" : st == LOT_OPEN ?
		    "open" : "closed, being sealed");
		query_lot_reply(front, req.reqid, req.lot, st, NULL, 0);
		return 0;
	}
	if ((q = calloc(1, sizeof(*q))) == NULL)
		fatal(NULL);
	q->front = front;
	q->reqid = req.reqid;
	q->lot = req.lot;
	strlcpy(q->subject, req.subject, sizeof(q->subject));
	if ((job = db_job_begin(query_lot_done, q)) == NULL) {
		query_lot_done(0, "database down", q);
		return 0;
	}
	dbval_params_init(&p);
	dbval_param_u64(&p, req.lot);
	db_job_query(job, "SELECT xml FROM lot_seals WHERE numero = $1", &p,
	    query_lot_row, q);
	dbval_params_free(&p);
	db_job_end(job);
	return 0;
}

static void
query_lot_row(PGresult *res, void *arg)
{
	struct query	*q = arg;
	const uint8_t	*b;
	size_t		 len;

	if (PQntuples(res) != 1)
		return;
	b = dbval_get_bytes(res, 0, 0, &len);
	if ((q->text = malloc(len)) == NULL)
		fatal(NULL);
	memcpy(q->text, b, len);
	q->len = len;
	q->found = 1;
}

static void
query_lot_done(int ok, const char *err, void *arg)
{
	struct query	*q = arg;

	if (!ok || !q->found)
		audit_record("read", q->subject, "error", "lot %" PRIu64
		    ": sealed, its seal not read (%s): answered as being "
		    "sealed", q->lot, ok ? "no row" : err);
	else
		audit_record("read", q->subject, "ok", "lot %" PRIu64
		    ": sealed, %zu bytes of seal", q->lot, q->len);
	/* The database is away: "not sealed yet" makes the client retry. */
	if (!ok || !q->found)
		query_lot_reply(q->front, q->reqid, q->lot, LOT_PENDING,
		    NULL, 0);
	else
		query_lot_reply(q->front, q->reqid, q->lot, LOT_SEALED,
		    q->text, q->len);
	free(q->text);
	free(q);
}

static void
query_lot_reply(uint64_t front, uint64_t reqid, uint64_t lot, uint32_t st,
    const void *xml, size_t len)
{
	struct lot_data	 d;
	struct iovec	 iov[2];

	memset(&d, 0, sizeof(d));
	d.reqid = reqid;
	d.lot = lot;
	d.state = st;
	d.len = len;
	iov[0].iov_base = &d;
	iov[0].iov_len = sizeof(d);
	iov[1].iov_base = (void *)xml;
	iov[1].iov_len = len;
	front_send(front, IMSG_LOT_DATA, iov, len > 0 ? 2 : 1);
}

/* The status as JSON; the caller frees it. */
char *
query_status_json(size_t *lenp)
{
	const struct cfjl_conf	*conf = env->conf;
	struct query		 q;
	uint64_t		 lag, lots;
	int64_t			 oldest, now = stored_env_now_ms();
	const char		*sj, *fstate;
	size_t			 sjlen, fids, fkib;

	memset(&q, 0, sizeof(q));
	lotstate_lag(&lag, &oldest, &lots);
	fstate = cidfilter_state(&fids, &fkib);
	text_add(&q, "{\"process\":\"stored\",\"version\":\"%s\","
	    "\"operator\":%" PRIu32 ",\"vault\":%" PRIu32 ",\"database\":",
	    CFJL_VERSION, conf->operator_id, conf->vault_id);
	text_json(&q, env->dbname);
	text_add(&q, ",\"database_state\":\"%s\",\"sealer\":\"%s\","
	    "\"journal\":\"%s\",\"cipher\":\"%s\","
	    "\"last_idevt\":%" PRIu64 ",\"open_lot\":%" PRIu64 ","
	    "\"last_sealed_lot\":%" PRIu64 ",\"sealing_lag\":{\"events\":%"
	    PRIu64 ",\"lots\":%" PRIu64 ",\"oldest_age_s\":%lld},"
	    "\"client_id_filter\":{\"state\":\"%s\",\"ids\":%zu,"
	    "\"kib\":%zu},\"queued_events\":%zu,\"uptime_s\":%lld}",
	    /* "up" once deposits are taken: the numbering is read back. */
	    db_ready() && !lotstate_ready() ? "connecting" : db_state(),
	    sealerlink_ready() ? "up" : "down",
	    audit_connected() ? "up" : "down", crypt_cipher(),
	    lotstate_last_idevt(), lotstate_current(), lotstate_last_sealed(), lag, lots,
	    oldest != 0 && now > oldest ? (long long)(now - oldest) / 1000 :
	    0LL, fstate, fids, fkib, deposit_pending(),
	    (long long)(now - env->started_ms) / 1000);
	/* sealerd's view: token, clock state (loud when relaxed), seals. */
	if ((sj = sealerlink_status_json(&sjlen)) != NULL) {
		q.len--;	/* reopen the object */
		text_add(&q, ",\"sealerd\":%.*s}", (int)sjlen, sj);
	}
	*lenp = q.len;
	return q.text;
}

int
query_status(uint64_t front, struct msg *m)
{
	struct status_get	 req;
	char			*json;
	size_t			 jlen;

	if (m_get_struct(m, proto_status_get, &req) == -1 || m_end(m) == -1)
		return -1;
	json = query_status_json(&jlen);
	audit_record("read", req.subject, "ok", "status");
	query_text_reply(front, IMSG_STATUS, req.reqid, json, jlen);
	free(json);
	return 0;
}

static void
query_text_reply(uint64_t front, uint32_t type, uint64_t reqid,
    const char *text, size_t len)
{
	struct status_reply	 r;
	struct iovec		 iov[2];

	memset(&r, 0, sizeof(r));
	r.reqid = reqid;
	r.len = len;
	iov[0].iov_base = &r;
	iov[0].iov_len = sizeof(r);
	iov[1].iov_base = (void *)text;
	iov[1].iov_len = len;
	front_send(front, type, iov, len > 0 ? 2 : 1);
}

/* A reader's past exports, as a JSON array. */
int
query_requests(uint64_t front, struct msg *m)
{
	struct requests_get	 req;
	struct query		*q;
	struct dbval_params	 p;
	struct db_job		*job;

	if (m_get_struct(m, proto_requests_get, &req) == -1 || m_end(m) == -1)
		return -1;
	if ((q = calloc(1, sizeof(*q))) == NULL)
		fatal(NULL);
	q->front = front;
	q->reqid = req.reqid;
	strlcpy(q->subject, req.subject, sizeof(q->subject));
	if ((job = db_job_begin(query_requests_done, q)) == NULL) {
		query_requests_done(0, "database down", q);
		return 0;
	}
	dbval_params_init(&p);
	dbval_param_text(&p, req.subject);
	db_job_query(job, "SELECT at, by_time, req_from, req_to, inc_from,"
	    " inc_to, nevents, bundle_sha256, outcome FROM exports"
	    " WHERE subject = $1 ORDER BY seq DESC LIMIT 1000", &p,
	    query_requests_rows, q);
	dbval_params_free(&p);
	db_job_end(job);
	return 0;
}

static void
query_requests_rows(PGresult *res, void *arg)
{
	struct query	*q = arg;
	const uint8_t	*b;
	size_t		 len, k;
	char		 when[64], outcome[128];
	int		 i;

	text_add(q, "[");
	for (i = 0; i < PQntuples(res); i++) {
		time_iso(dbval_get_time_ms(res, i, 0), when, sizeof(when));
		b = dbval_get_bytes(res, i, 1, &len);
		text_add(q, "%s{\"at\":\"%s\",\"by\":\"%s\",\"from\":%"
		    PRIu64 ",\"to\":%" PRIu64 ",", i ? "," : "", when,
		    len == 1 && b[0] ? "time" : "idevt",
		    dbval_get_u64(res, i, 2), dbval_get_u64(res, i, 3));
		if (!PQgetisnull(res, i, 4))
			text_add(q, "\"included\":{\"from\":%" PRIu64 ","
			    "\"to\":%" PRIu64 "},", dbval_get_u64(res, i, 4),
			    dbval_get_u64(res, i, 5));
		text_add(q, "\"events\":%" PRIu64 ",", dbval_get_u64(res, i, 6));
		b = dbval_get_bytes(res, i, 7, &len);
		if (len > 0) {
			text_add(q, "\"sha256\":\"");
			for (k = 0; k < len; k++)
				text_add(q, "%02x", b[k]);
			text_add(q, "\",");
		}
		dbval_get_text(res, i, 8, outcome, sizeof(outcome));
		text_add(q, "\"outcome\":");
		text_json(q, outcome);
		text_add(q, "}");
	}
	text_add(q, "]");
	q->found = 1;
	q->nrows = PQntuples(res);
}

static void
query_requests_done(int ok, const char *err, void *arg)
{
	struct query	*q = arg;

	if (!ok || !q->found)
		audit_record("read", q->subject, "error", "requests: not "
		    "read (%s)", ok ? "no answer" : err);
	else
		audit_record("read", q->subject, "ok", "requests: %d "
		    "exports listed", q->nrows);
	if (!ok || !q->found) {
		free(q->text);
		q->text = NULL;
		q->len = 0;
		text_add(q, "{\"error\":\"storage unavailable\"}");
	}
	query_text_reply(q->front, IMSG_REQUESTS, q->reqid, q->text, q->len);
	free(q->text);
	free(q);
}

static void
text_add(struct query *q, const char *fmt, ...)
{
	va_list	 ap;
	char	*n;
	int	 len;

	for (;;) {
		va_start(ap, fmt);
		len = vsnprintf(q->text != NULL ? q->text + q->len : NULL,
		    q->size - q->len, fmt, ap);
		va_end(ap);
		if (len < 0)
			fatalx("%s: vsnprintf", __func__);
		if ((size_t)len < q->size - q->len) {
			q->len += len;
			return;
		}
		if ((n = realloc(q->text, q->size + len + 1024)) == NULL)
			fatal(NULL);
		q->text = n;
		q->size += len + 1024;
	}
}

static void
text_json(struct query *q, const char *s)
{
	text_add(q, "\"");
	for (; *s != '\0'; s++) {
		if (*s == '"' || *s == '\\')
			text_add(q, "\\%c", *s);
		else if ((unsigned char)*s < 0x20)
			text_add(q, "\\u%04x", (unsigned char)*s);
		else
			text_add(q, "%c", *s);
	}
	text_add(q, "\"");
}

static void
time_iso(int64_t ms, char *buf, size_t size)
{
	struct tm	 tm;
	time_t		 t = ms / 1000;

	if (gmtime_r(&t, &tm) == NULL) {
		strlcpy(buf, "", size);
		return;
	}
	snprintf(buf, size, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ",
	    (tm.tm_year + 1900) % 10000, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
	    tm.tm_min % 60, tm.tm_sec % 61, (int)(ms % 1000));
}
