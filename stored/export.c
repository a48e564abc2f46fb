/*
 * Export bundles: GET /v1/export as stored answers it.  The range is
 * resolved to whole sealed lots first (so the manifest, written first,
 * is exact), then the tar stream is produced page by page: manifest,
 * certificates, the newest checkpoint, lots, their audit paths, events.
 * Headers are deterministic (mtime 0, mode 0444, uid and gid 0, owner
 * "cfjl"), so two exports of the same lots hold byte-identical entries.
 * Every export is journaled and recorded in the exports table for GET
 * /v1/requests.  See export.h for the message flow and cfjl-export(5)
 * for the format.
 */
#include <sys/types.h>
#include <sys/queue.h>
#include <sys/uio.h>

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "config.h"
#include "log.h"
#include "msg.h"
#include "proto.h"
#include "refusal.h"
#include "audit.h"
#include "stored.h"
#include "db.h"
#include "ckptkeeper.h"
#include "dbval.h"
#include "export.h"
#include "exportcert.h"
#include "manifestjson.h"
#include "auditpath.h"
#include "front.h"
#include "tarwrite.h"

enum export_phase {
	EX_RANGE,	/* resolving the range to lots */
	EX_LOTS,
	EX_PATHS,	/* each lot's audit paths */
	EX_EVENTS,
	EX_TAIL,	/* everything written but the end blocks */
	EX_DONE		/* the archive is complete, draining */
};

struct export {
	TAILQ_ENTRY(export)	 entry;
	uint64_t		 front;		/* frontd connection */
	struct export_req	 req;
	struct export_manifest	 m;
	struct tarwrite	 tar;
	enum export_phase	 phase;
	uint64_t		 next;		/* lot or IDEvt of the next page */
	uint64_t		 page_start;	/* next when the page was asked */
	uint64_t		 page_events;	/* rows to ask for */
	uint64_t		 page_bytes;	/* read by the last page */
	uint64_t		 sent_events;
	int			 querying;
	int			 gone;		/* freed when the query returns */
	int			 credit;
	int			 started;	/* bytes went out */
	uint64_t		 audit_id;	/* record awaited, or 0 */
	int			 journaled;	/* the "ok" record is durable */
	uint8_t			 sha[32];
	uint8_t			*checkpoint;	/* the newest, or NULL */
	size_t			 checkpoint_len;
	struct exportcert	 certs;		/* of its lots and checkpoint */
};

TAILQ_HEAD(exports, export);

static struct exports	 exports = TAILQ_HEAD_INITIALIZER(exports);

static int	 compact_ms(uint64_t, int64_t *);
static struct export *export_find(uint64_t, uint64_t);
static void	 export_reject(uint64_t, uint64_t, enum refusal,
		    const char *);
static void	 export_range_sealed(PGresult *, void *);
static void	 export_range_checkpoint(PGresult *, void *);
static void	 export_range_rows(PGresult *, void *);
static void	 export_range_done(int, const char *, void *);
static int	 export_page(struct export *);
static void	 export_page_rows(PGresult *, void *);
static void	 export_page_done(int, const char *, void *);
static void	 export_pump(struct export *);
static int	 export_send(struct export *, size_t, int, uint32_t);
static void	 export_journaled(void *, uint64_t);
static void	 export_row(struct export *, const char *);
static void	 export_fail(struct export *, const char *);
static void	 export_journal(struct export *, const char *);
static void	 export_cancelled(struct export *);
static void	 export_free(struct export *);

/* --- stored's side ---------------------------------------------------- */

int
export_init(const char *seal_cert, const char *tsa_cert)
{
	return exportcert_init(seal_cert, tsa_cert);
}

/* YYYYMMDDhhmmss (UTC) to Unix milliseconds. */
static int
compact_ms(uint64_t v, int64_t *ms)
{
	struct tm	 tm;
	time_t		 t;

	memset(&tm, 0, sizeof(tm));
	tm.tm_sec = v % 100; v /= 100;
	tm.tm_min = v % 100; v /= 100;
	tm.tm_hour = v % 100; v /= 100;
	tm.tm_mday = v % 100; v /= 100;
	tm.tm_mon = (int)(v % 100) - 1; v /= 100;
	if (v < 1970 || v > 9999 || tm.tm_mon < 0 || tm.tm_mon > 11 ||
	    tm.tm_mday < 1 || tm.tm_mday > 31 || tm.tm_hour > 23 ||
	    tm.tm_min > 59 || tm.tm_sec > 59)
		return -1;
	tm.tm_year = (int)v - 1900;
	if ((t = timegm(&tm)) == (time_t)-1)
		return -1;
	*ms = (int64_t)t * 1000;
	return 0;
}

static struct export *
export_find(uint64_t f, uint64_t reqid)
{
	struct export	*ex;

	TAILQ_FOREACH(ex, &exports, entry)
		if (ex->front == f && ex->req.reqid == reqid && !ex->gone)
			return ex;
	return NULL;
}

/* A refusal before any byte: one chunk with the refusal, why follows. */
static void
export_reject(uint64_t f, uint64_t reqid, enum refusal code,
    const char *why)
{
	struct export_chunk	 c;
	struct iovec		 iov[2];

	memset(&c, 0, sizeof(c));
	c.reqid = reqid;
	c.last = 1;
	c.error = code;
	iov[0].iov_base = &c;
	iov[0].iov_len = sizeof(c);
	iov[1].iov_base = (void *)why;
	iov[1].iov_len = strlen(why);
	front_send(f, IMSG_EXPORT_CHUNK, iov, 2);
	log_info("export refused (%s): %s", refusal_status(code), why);
}

int
export_request(uint64_t f, struct msg *m)
{
	struct export		*ex;
	struct export_req	 req;
	struct dbval_params	 p;
	struct db_job		*job;
	int64_t			 since = 0, until = 0;
	size_t			 n = 0;

	if (m_get_struct(m, proto_export_req, &req) == -1 || m_end(m) == -1)
		return -1;
	if (req.by_time > 1)
		return m_fail(m, "range kind %u", req.by_time);

	if (req.from > req.to || (!req.by_time && req.from == 0) ||
	    (req.by_time && (compact_ms(req.from, &since) == -1 ||
	    compact_ms(req.to, &until) == -1))) {
		export_reject(f, req.reqid, REFUSE_MALFORMED,
		    "malformed range");
		audit_record("export", req.subject, "refused",
		    "malformed range %" PRIu64 "-%" PRIu64, req.from, req.to);
		return 0;
	}
	TAILQ_FOREACH(ex, &exports, entry)
		n++;
	if (n >= EXPORT_MAX) {
		export_reject(f, req.reqid, REFUSE_UNAVAILABLE, "too many "
		    "exports at once");
		audit_record("export", req.subject, "error",
		    "too many exports at once");
		return 0;
	}
	if ((ex = calloc(1, sizeof(*ex))) == NULL)
		fatal(NULL);
	ex->front = f;
	ex->req = req;
	ex->credit = EXPORT_WINDOW;
	ex->phase = EX_RANGE;
	ex->page_events = EXPORT_PAGE_EVENTS;
	ex->m.operator_id = env->conf->operator_id;
	ex->m.vault_id = env->conf->vault_id;
	ex->m.by_time = req.by_time;
	ex->m.req_from = req.from;
	ex->m.req_to = req.to;
	ex->m.created_ms = stored_env_now_ms();
	if (tarwrite_init(&ex->tar) == -1)
		fatalx("%s: digest set-up failed", __func__);

	if ((job = db_job_begin(export_range_done, ex)) == NULL) {
		export_reject(f, req.reqid, REFUSE_UNAVAILABLE,
		    "database unavailable");
		audit_record("export", req.subject, "error",
		    "database unavailable");
		tarwrite_free(&ex->tar);
		free(ex);
		return 0;
	}
	TAILQ_INSERT_TAIL(&exports, ex, entry);
	ex->querying = 1;
	audit_record("export", req.subject, "started", "%s %" PRIu64
	    " to %" PRIu64, req.by_time ? "received" : "IDEvt", req.from,
	    req.to);

	/*
	 * The newest checkpoint first: every lot it names is sealed, so the
	 * range read after it reaches at least as far (cfjl-export(5)).
	 */
	db_job_query(job, "SELECT k.xml, cs.pem, ct.pem FROM checkpoints k "
	    "LEFT JOIN seal_certs cs ON cs.sha256 = k.seal_cert "
	    "LEFT JOIN seal_certs ct ON ct.sha256 = k.tsa_cert "
	    "ORDER BY k.numero DESC LIMIT 1", NULL, export_range_checkpoint,
	    ex);
	/* how far sealing has gone (sealing is in lot order) */
	db_job_query(job, "SELECT l.numero, l.last FROM lots l "
	    "JOIN lot_seals s ON s.numero = l.numero "
	    "ORDER BY l.numero DESC LIMIT 1", NULL, export_range_sealed, ex);
	dbval_params_init(&p);
	if (!req.by_time) {
		dbval_param_u64(&p, req.from);
		dbval_param_u64(&p, req.to);
		db_job_query(job, "WITH " EXPORT_LOTS_OF_IDEVT " "
		    "SELECT min(l.numero), max(l.numero), "
		    "min(l.first), max(l.last), sum(l.nevents)::bigint "
		    "FROM lots l JOIN lot_seals s ON s.numero = l.numero, r "
		    "WHERE l.numero >= r.lo AND l.numero <= r.hi", &p,
		    export_range_rows, ex);
	} else {
		/* whole lots holding an event received in [since, until] */
		dbval_param_time_ms(&p, since);
		dbval_param_time_ms(&p, until + 1000);
		db_job_query(job, "WITH r AS (SELECT min(lot) AS lo, "
		    "max(lot) AS hi FROM events WHERE received >= $1 "
		    "AND received < $2) "
		    "SELECT min(l.numero), max(l.numero), min(l.first), "
		    "max(l.last), sum(l.nevents)::bigint "
		    "FROM lots l JOIN lot_seals s ON s.numero = l.numero, r "
		    "WHERE l.numero >= r.lo AND l.numero <= r.hi", &p,
		    export_range_rows, ex);
	}
	dbval_params_free(&p);
	/* After the range: lots sealed meanwhile add, never remove. */
	exportcert_query(job, req.by_time, req.from, req.to, since,
	    until + 1000, &ex->certs);
	db_job_end(job);
	return 0;
}

static void
export_range_sealed(PGresult *res, void *arg)
{
	struct export	*ex = arg;

	if (PQntuples(res) != 1)
		return;
	ex->m.sealed = 1;
	ex->m.sealed_lot = dbval_get_u64(res, 0, 0);
	ex->m.sealed_idevt = dbval_get_u64(res, 0, 1);
}

static void
export_range_checkpoint(PGresult *res, void *arg)
{
	struct export	*ex = arg;
	const uint8_t	*b;
	size_t		 len;

	if (PQntuples(res) != 1)
		return;
	exportcert_checkpoint(&ex->certs, res, 1);
	b = dbval_get_bytes(res, 0, 0, &len);
	if (len == 0 || (ex->checkpoint = malloc(len)) == NULL)
		return;
	memcpy(ex->checkpoint, b, len);
	ex->checkpoint_len = len;
}

static void
export_range_rows(PGresult *res, void *arg)
{
	struct export	*ex = arg;

	if (PQntuples(res) != 1 || PQgetisnull(res, 0, 0))
		return;
	ex->m.included = 1;
	ex->m.lot_first = dbval_get_u64(res, 0, 0);
	ex->m.lot_last = dbval_get_u64(res, 0, 1);
	ex->m.inc_from = dbval_get_u64(res, 0, 2);
	ex->m.inc_to = dbval_get_u64(res, 0, 3);
	ex->m.nevents = dbval_get_u64(res, 0, 4);
}

static void
export_range_done(int ok, const char *err, void *arg)
{
	struct export	*ex = arg;
	char		 manifest[EXPORT_MANIFEST_MAX];
	const char	*why;
	int		 n;

	ex->querying = 0;
	if (ex->gone) {
		export_free(ex);
		return;
	}
	if (!ok) {
		export_fail(ex, err);
		return;
	}
	if (exportcert_finish(&ex->certs, &why) == -1) {
		export_fail(ex, why);
		return;
	}
	if ((n = manifestjson_write(&ex->m, manifest,
	    sizeof(manifest))) == -1 ||
	    tarwrite_file(&ex->tar, "manifest.json", manifest, n) == -1 ||
	    tarwrite_file(&ex->tar, "certs/seal.pem", ex->certs.pem[0],
	    ex->certs.len[0]) == -1 ||
	    tarwrite_file(&ex->tar, "certs/tsa.pem", ex->certs.pem[1],
	    ex->certs.len[1]) == -1 ||
	    (ex->checkpoint != NULL && tarwrite_file(&ex->tar,
	    "checkpoint.xml", ex->checkpoint, ex->checkpoint_len) == -1))
		fatalx("%s: out of memory", __func__);
	if (ex->m.included) {
		ex->phase = EX_LOTS;
		ex->next = ex->m.lot_first;
	} else
		ex->phase = EX_TAIL;
	export_pump(ex);
}

/* Read the next page of lots or events; -1: the export has ended. */
static int
export_page(struct export *ex)
{
	struct dbval_params	 p;
	struct db_job		*job;

	if ((job = db_job_begin(export_page_done, ex)) == NULL) {
		export_fail(ex, "database unavailable");
		return -1;
	}
	ex->querying = 1;
	ex->page_start = ex->next;
	ex->page_bytes = 0;
	dbval_params_init(&p);
	dbval_param_u64(&p, ex->next);
	if (ex->phase == EX_LOTS) {
		dbval_param_u64(&p, ex->m.lot_last);
		dbval_param_u64(&p, EXPORT_PAGE_LOTS);
		db_job_query(job, "SELECT numero, xml FROM lot_seals "
		    "WHERE numero >= $1 AND numero <= $2 ORDER BY numero "
		    "LIMIT $3", &p, export_page_rows, ex);
	} else if (ex->phase == EX_PATHS) {
		dbval_param_u64(&p, ex->m.lot_last - ex->next <
		    EXPORT_PAGE_LOTS ? ex->m.lot_last :
		    ex->next + EXPORT_PAGE_LOTS - 1);
		db_job_query(job, "SELECT lot, min(idevt), count(*), "
		    "string_agg(p7m_sha256, ''::bytea ORDER BY idevt) "
		    "FROM events WHERE lot >= $1 AND lot <= $2 GROUP BY lot "
		    "ORDER BY lot", &p, export_page_rows, ex);
	} else {
		dbval_param_u64(&p, ex->m.inc_to);
		dbval_param_u64(&p, ex->page_events);
		db_job_query(job, "SELECT idevt, p7m FROM events "
		    "WHERE idevt >= $1 AND idevt <= $2 ORDER BY idevt "
		    "LIMIT $3", &p, export_page_rows, ex);
	}
	dbval_params_free(&p);
	db_job_end(job);
	return 0;
}

static void
export_page_rows(PGresult *res, void *arg)
{
	struct export	*ex = arg;
	const uint8_t	*data;
	char		 path[64], *text;
	size_t		 len;
	uint64_t	 n, nev;
	int		 i;

	if (ex->gone)
		return;
	for (i = 0; i < PQntuples(res); i++) {
		n = dbval_get_u64(res, i, 0);
		if (n != ex->next) {
			/* the constraints make this impossible: stop */
			log_warnx("export: expected %s %" PRIu64 ", read %"
			    PRIu64, ex->phase == EX_EVENTS ? "IDEvt" : "lot",
			    ex->next, n);
			return;
		}
		if (ex->phase == EX_PATHS) {
			data = dbval_get_bytes(res, i, 3, &len);
			nev = dbval_get_u64(res, i, 2);
			if (nev == 0 || len != nev * SHA256_LEN) {
				log_warnx("export: lot %" PRIu64 " has %" PRIu64
				    " events but %zu digest bytes", n, nev, len);
				return;
			}
			if ((text = auditpath_text(dbval_get_u64(res, i, 1),
			    data, nev, &len)) == NULL)
				fatalx("%s: out of memory", __func__);
			snprintf(path, sizeof(path), "paths/%012" PRIu64 ".txt",
			    n);
			if (tarwrite_file(&ex->tar, path, text, len) == -1)
				fatalx("%s: out of memory", __func__);
			free(text);
			ex->page_bytes += len;
			ex->next++;
			continue;
		}
		data = dbval_get_bytes(res, i, 1, &len);
		if (ex->phase == EX_LOTS)
			snprintf(path, sizeof(path), "lots/%012" PRIu64 ".xml",
			    n);
		else
			snprintf(path, sizeof(path), "events/%012" PRIu64
			    ".p7m", n);
		if (tarwrite_file(&ex->tar, path, data, len) == -1)
			fatalx("%s: out of memory", __func__);
		ex->page_bytes += len;
		ex->next++;
		if (ex->phase == EX_EVENTS)
			ex->sent_events++;
	}
}

static void
export_page_done(int ok, const char *err, void *arg)
{
	struct export	*ex = arg;

	ex->querying = 0;
	if (ex->gone) {
		export_free(ex);
		return;
	}
	if (!ok) {
		export_fail(ex, err);
		return;
	}
	/* the next page of events: about EXPORT_PAGE_BYTES */
	if (ex->phase == EX_EVENTS && ex->next > ex->page_start) {
		ex->page_events = EXPORT_PAGE_BYTES /
		    (ex->page_bytes / (ex->next - ex->page_start) + TARWRITE_BLOCK);
		if (ex->page_events < EXPORT_PAGE_EVENTS_MIN)
			ex->page_events = EXPORT_PAGE_EVENTS_MIN;
		if (ex->page_events > EXPORT_PAGE_EVENTS_MAX)
			ex->page_events = EXPORT_PAGE_EVENTS_MAX;
	}
	if (ex->phase == EX_LOTS && ex->next > ex->m.lot_last) {
		ex->phase = EX_PATHS;
		ex->next = ex->m.lot_first;
	} else if (ex->phase == EX_PATHS && ex->next > ex->m.lot_last) {
		ex->phase = EX_EVENTS;
		ex->next = ex->m.inc_from;
	} else if (ex->phase == EX_EVENTS && ex->next > ex->m.inc_to)
		ex->phase = EX_TAIL;
	else if (ex->next == ex->page_start) {
		/* no progress: the rows are not there (cannot happen) */
		export_fail(ex, "a sealed lot or one of its events is "
		    "missing from the database");
		return;
	}
	export_pump(ex);
}

/*
 * Fill while there is room, send while there is credit.  The next page
 * is asked while a page's worth still waits, so that the database and
 * frontd work at the same time.  The last chunk waits until the journal
 * record of the export is durable.
 */
static void
export_pump(struct export *ex)
{
	for (;;) {
		if (!ex->querying && ex->tar.len < EXPORT_PAGE_BYTES) {
			if (ex->phase == EX_LOTS || ex->phase == EX_PATHS ||
			    ex->phase == EX_EVENTS) {
				if (export_page(ex) == -1)
					return;
			} else if (ex->phase == EX_TAIL) {
				if (tarwrite_end(&ex->tar, ex->sha) == -1)
					fatalx("%s: out of memory", __func__);
				ex->phase = EX_DONE;
			}
		}
		if (ex->credit <= 0)
			return;
		if (ex->tar.len > EXPORT_CHUNK_MAX ||
		    (ex->tar.len == EXPORT_CHUNK_MAX && ex->phase != EX_DONE)) {
			if (export_send(ex, EXPORT_CHUNK_MAX, 0, 0) == -1)
				return;
			continue;
		}
		if (ex->phase != EX_DONE)
			return;
		if (!ex->journaled) {
			if (ex->audit_id == 0)
				export_journal(ex, "ok");
			return;
		}
		if (export_send(ex, ex->tar.len, 1, 0) == -1)
			return;
		export_row(ex, "ok");
		export_free(ex);
		return;
	}
}

/* Send n bytes; -1 if frontd's connection is gone (the export ended). */
static int
export_send(struct export *ex, size_t n, int last, uint32_t error)
{
	struct export_chunk	 c;
	struct iovec		 iov[2];

	memset(&c, 0, sizeof(c));
	c.reqid = ex->req.reqid;
	c.last = last;
	c.error = error;
	iov[0].iov_base = &c;
	iov[0].iov_len = sizeof(c);
	iov[1].iov_base = (void *)tarwrite_data(&ex->tar);
	iov[1].iov_len = n;
	if (front_send(ex->front, IMSG_EXPORT_CHUNK, iov, n > 0 ? 2 : 1) ==
	    -1) {
		export_cancelled(ex);
		return -1;
	}
	tarwrite_consume(&ex->tar, n);
	ex->credit--;
	ex->started = 1;
	return 0;
}

static void
export_fail(struct export *ex, const char *why)
{
	struct export_chunk	 c;
	struct iovec		 iov[1];

	log_warnx("export for %s failed: %s", ex->req.subject, why);
	if (!ex->started)
		export_reject(ex->front, ex->req.reqid,
		    REFUSE_UNAVAILABLE, why);
	else {
		/* the bundle is cut: frontd must abort the transfer */
		memset(&c, 0, sizeof(c));
		c.reqid = ex->req.reqid;
		c.last = 1;
		c.error = REFUSE_UNAVAILABLE;
		iov[0].iov_base = &c;
		iov[0].iov_len = sizeof(c);
		front_send(ex->front, IMSG_EXPORT_CHUNK, iov, 1);
	}
	export_journal(ex, "error");
	export_row(ex, "error");
	export_free(ex);
}

static void
export_cancelled(struct export *ex)
{
	export_journal(ex, "cancelled");
	export_row(ex, "cancelled");
	export_free(ex);
}

static void
export_journaled(void *arg, uint64_t seq)
{
	struct export	*ex = arg;

	ex->audit_id = 0;
	ex->journaled = 1;
	export_pump(ex);
}

/*
 * The journal record: who, which range, what was included, the bundle's
 * SHA-256.  For a complete export the last chunk waits for it.
 */
static void
export_journal(struct export *ex, const char *outcome)
{
	char		 hex[65], what[512];
	int		 i, ok = strcmp(outcome, "ok") == 0;

	for (i = 0; i < 32; i++)
		snprintf(hex + 2 * i, 3, "%02x", ex->sha[i]);
	if (ex->m.included)
		snprintf(what, sizeof(what), "%s %" PRIu64 " to %" PRIu64
		    "; lots %" PRIu64 " to %" PRIu64 ", IDEvt %" PRIu64 " to %"
		    PRIu64 ", %" PRIu64 " events; bundle sha256 %s",
		    ex->req.by_time ? "received" : "IDEvt", ex->req.from,
		    ex->req.to, ex->m.lot_first, ex->m.lot_last,
		    ex->m.inc_from, ex->m.inc_to, ex->m.nevents,
		    ok ? hex : "none");
	else
		snprintf(what, sizeof(what), "%s %" PRIu64 " to %" PRIu64
		    "; no sealed lot; bundle sha256 %s",
		    ex->req.by_time ? "received" : "IDEvt", ex->req.from,
		    ex->req.to, ok ? hex : "none");
	if (!ok) {
		audit_record("export", ex->req.subject, outcome, "%s", what);
		return;
	}
	ex->audit_id = audit_record_cb(export_journaled, ex, "export",
	    ex->req.subject, outcome, "%s", what);
	if (ex->audit_id == 0)
		export_fail(ex, "the journal is full");
}

/* The exports row, for GET /v1/requests. */
static void
export_row(struct export *ex, const char *outcome)
{
	struct dbval_params	 p;
	struct db_job		*job;
	int			 ok = strcmp(outcome, "ok") == 0;

	if ((job = db_job_begin(NULL, NULL)) == NULL) {
		log_warnx("export: not recorded in the exports table: "
		    "database unavailable");
		return;
	}
	dbval_params_init(&p);
	dbval_param_text(&p, ex->req.subject);
	dbval_param_text(&p, ex->req.by_time ? "true" : "false");
	dbval_param_u64(&p, ex->req.from);
	dbval_param_u64(&p, ex->req.to);
	if (ex->m.included) {
		dbval_param_u64(&p, ex->m.inc_from);
		dbval_param_u64(&p, ex->m.inc_to);
	} else {
		dbval_param_null(&p);
		dbval_param_null(&p);
	}
	dbval_param_u64(&p, ok ? ex->m.nevents : ex->sent_events);
	if (ok)
		dbval_param_bytes(&p, ex->sha, sizeof(ex->sha));
	else
		dbval_param_null(&p);
	dbval_param_text(&p, outcome);
	db_job_query(job, "INSERT INTO exports (subject, by_time, req_from, "
	    "req_to, inc_from, inc_to, nevents, bundle_sha256, outcome) "
	    "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)", &p, NULL, NULL);
	dbval_params_free(&p);
	db_job_end(job);
}

/* Unlinks now; the memory waits for a query in flight to come back. */
static void
export_free(struct export *ex)
{
	if (!ex->gone) {
		TAILQ_REMOVE(&exports, ex, entry);
		ex->gone = 1;
	}
	if (ex->audit_id != 0) {
		audit_cancel(ex->audit_id);
		ex->audit_id = 0;
	}
	if (ex->querying)
		return;
	tarwrite_free(&ex->tar);
	free(ex->checkpoint);
	exportcert_free(&ex->certs);
	free(ex);
}

int
export_more(uint64_t f, struct msg *m)
{
	struct export_chunk	 c;
	struct export		*ex;

	if (m_get_struct(m, proto_export_chunk, &c) == -1 || m_end(m) == -1)
		return -1;
	/* a late credit for an export that has just ended is harmless */
	if ((ex = export_find(f, c.reqid)) == NULL)
		return 0;
	if (ex->credit < EXPORT_WINDOW)
		ex->credit++;
	export_pump(ex);
	return 0;
}

int
export_cancel(uint64_t f, struct msg *m)
{
	struct export_chunk	 c;
	struct iovec		 iov[1];
	struct export		*ex;

	if (m_get_struct(m, proto_export_chunk, &c) == -1 || m_end(m) == -1)
		return -1;
	if ((ex = export_find(f, c.reqid)) == NULL)
		return 0;
	/* frontd keeps the request until it sees an end: send one */
	memset(&c, 0, sizeof(c));
	c.reqid = ex->req.reqid;
	c.last = 1;
	iov[0].iov_base = &c;
	iov[0].iov_len = sizeof(c);
	front_send(f, IMSG_EXPORT_CHUNK, iov, 1);
	export_cancelled(ex);
	return 0;
}

void
export_front_gone(uint64_t f)
{
	struct export	*ex, *next;

	for (ex = TAILQ_FIRST(&exports); ex != NULL; ex = next) {
		next = TAILQ_NEXT(ex, entry);
		if (ex->front == f)
			export_cancelled(ex);
	}
}
