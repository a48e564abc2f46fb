/*
 * The runtime connection to PostgreSQL: asynchronous libpq in pipeline
 * mode, driven by libevent.  Work is sent as jobs: a few statements
 * followed by a sync point, so that each job is one implicit transaction
 * (all its statements commit together at the sync, or none does) and
 * several jobs can be on the wire at once.  A job's done callback runs
 * once the server has answered its sync: for a write, the commit is
 * then durable.
 *
 * The connection holds a session advisory lock: one stored per database,
 * the single writer that makes IDEvt numbering safe.  When the link is
 * lost every job in flight fails, and the connection is made again with
 * backoff; the owner of the numbering reads its state back then.
 *
 * With synchronous-commit set, the session asks for that level and the
 * server must name a synchronous standby: a COMMIT then returns only
 * once the standby has the transaction, so an acknowledged event
 * survives the loss of the primary.  A server that names none (a
 * promoted standby not yet given its own) is treated as down: stored
 * answers 503 rather than acknowledge what one machine holds.  libpq's
 * multi-host conninfo with target_session_attrs=read-write finds the
 * primary after a failover; the numbering is read back from it.
 */
#define _GNU_SOURCE		/* asprintf */
#include <sys/types.h>
#include <sys/queue.h>

#include <endian.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event.h>
#include <libpq-fe.h>

#include "log.h"
#include "stored.h"

/* pg_try_advisory_lock key: "CFJL" and 1, the writer of the vault. */
#define DB_LOCK_KEY		"x'43464a4c00000001'::bigint"
#define DB_BACKOFF_MIN		200	/* milliseconds */
#define DB_BACKOFF_MAX		5000
#define DB_LOCK_TRIES		30	/* 100 ms apart: a killed stored */

/* Milliseconds between the Unix and the PostgreSQL epochs (2000-01-01). */
#define DB_EPOCH_DIFF_MS	946684800000LL

enum db_state {
	DB_DOWN,
	DB_CONNECTING,
	DB_LOCKING,
	DB_UP
};

struct db_cb {
	db_rows_cb	 fn;
	void		*arg;
};

struct db_job {
	TAILQ_ENTRY(db_job)	 entry;
	db_done_cb		 done;
	void			*arg;
	struct db_cb		*cbs;
	int			 nq;	/* statements sent */
	int			 maxq;
	int			 nres;	/* statements answered */
	int			 need_null;
	int			 failed;
	int			 sent;	/* sync sent */
	char			 err[256];
};
TAILQ_HEAD(db_jobs, db_job);

static struct {
	PGconn		*conn;
	char		*conninfo;
	char		 dbname[64];
	enum db_state	 state;
	int		 fd;
	struct event	 ev_read;
	struct event	 ev_write;
	struct event	 ev_retry;
	int		 backoff;
	int		 lock_tries;
	struct db_jobs	 jobs;
	void		(*up)(void);
	void		(*down)(void);
	char		 sync_commit[16];	/* "": the server's setting */
} db;

static void	 db_retry(int, short, void *);
static void	 db_poll(int, short, void *);
static void	 db_connected(void);
static void	 db_locked(int, const char *, void *);
static void	 db_lock_row(PGresult *, void *);
static void	 db_standby_row(PGresult *, void *);
static void	 db_fail(const char *);
static void	 db_read(int, short, void *);
static void	 db_write(int, short, void *);
static void	 db_flush(void);
static void	 db_results(void);
static void	 db_schedule(int);
static void	 db_param_add(struct db_params *, const char *, int, int,
		    char *);

static int	 db_lock_got;
static int	 db_standby_named;

/* Statements prepared on every connection, named by their callers. */
#define DB_STMTS_MAX	8
static const struct db_stmt	*db_stmts[DB_STMTS_MAX];
static int			 db_nstmts;

static int	 db_job_slot(struct db_job *, db_rows_cb, void *);

/*
 * Register a statement, before db_start: it is parsed once a
 * connection, with the lock, and run by db_job_exec without being
 * parsed nor planned again (the hot INSERTs).
 */
void
db_prepare(const struct db_stmt *st)
{
	if (db_nstmts == DB_STMTS_MAX)
		fatalx("%s: too many statements", __func__);
	db_stmts[db_nstmts++] = st;
}

void
db_init(const char *conninfo, const char *dbname, void (*up)(void),
    void (*down)(void))
{
	if ((db.conninfo = strdup(conninfo)) == NULL)
		fatal(NULL);
	strlcpy(db.dbname, dbname, sizeof(db.dbname));
	db.up = up;
	db.down = down;
	db.fd = -1;
	db.backoff = DB_BACKOFF_MIN;
	db.lock_tries = DB_LOCK_TRIES;
	TAILQ_INIT(&db.jobs);
	evtimer_set(&db.ev_retry, db_retry, NULL);
}

/* The synchronous_commit every session asks for: "" for the server's. */
void
db_set_sync_commit(const char *level)
{
	strlcpy(db.sync_commit, level, sizeof(db.sync_commit));
}

int
db_ready(void)
{
	return db.state == DB_UP;
}

const char *
db_state(void)
{
	switch (db.state) {
	case DB_UP:
		return "up";
	case DB_DOWN:
		return "down";
	default:
		return "connecting";
	}
}

/* Connect now; called at start and by the retry timer. */
void
db_start(void)
{
	const char	*keys[] = { "dbname", "dbname",
			    "fallback_application_name", "connect_timeout",
			    NULL };
	const char	*vals[] = { db.conninfo, db.dbname, "stored", "5",
			    NULL };

	if (db.state != DB_DOWN)
		return;
	db.conn = PQconnectStartParams(keys, vals, 1);
	if (db.conn == NULL || PQstatus(db.conn) == CONNECTION_BAD) {
		db_fail(db.conn != NULL ? PQerrorMessage(db.conn) :
		    "out of memory");
		return;
	}
	db.state = DB_CONNECTING;
	db_schedule(EV_WRITE);
}

static void
db_retry(int fd, short ev, void *arg)
{
	db_start();
}

/* Wait on the socket as PQconnectPoll asks (it may change sockets). */
static void
db_schedule(int what)
{
	if (event_initialized(&db.ev_read))
		event_del(&db.ev_read);
	db.fd = PQsocket(db.conn);
	event_set(&db.ev_read, db.fd, what, db_poll, NULL);
	event_add(&db.ev_read, NULL);
}

static void
db_poll(int fd, short ev, void *arg)
{
	switch (PQconnectPoll(db.conn)) {
	case PGRES_POLLING_READING:
		db_schedule(EV_READ);
		break;
	case PGRES_POLLING_WRITING:
		db_schedule(EV_WRITE);
		break;
	case PGRES_POLLING_OK:
		db_connected();
		break;
	default:
		db_fail(PQerrorMessage(db.conn));
		break;
	}
}

static void
db_connected(void)
{
	struct db_job	*job;
	char		 sql[160];
	int		 i;

	event_del(&db.ev_read);
	db.fd = PQsocket(db.conn);
	if (PQsetnonblocking(db.conn, 1) == -1 ||
	    PQenterPipelineMode(db.conn) != 1) {
		db_fail(PQerrorMessage(db.conn));
		return;
	}
	event_set(&db.ev_read, db.fd, EV_READ | EV_PERSIST, db_read, NULL);
	event_add(&db.ev_read, NULL);
	event_set(&db.ev_write, db.fd, EV_WRITE, db_write, NULL);

	/* Jobs may be sent from now on, but only this one until locked. */
	db.state = DB_LOCKING;
	db_lock_got = 0;
	db_standby_named = 0;
	if ((job = db_job_begin(db_locked, NULL)) == NULL)
		fatalx("%s: cannot start the lock job", __func__);
	db_job_query(job, "SELECT pg_try_advisory_lock(" DB_LOCK_KEY ")",
	    NULL, db_lock_row, NULL);
	if (db.sync_commit[0] != '\0') {
		/* One of three fixed words (parse.y): nothing to quote. */
		snprintf(sql, sizeof(sql), "SELECT set_config("
		    "'synchronous_commit', '%s', false), current_setting("
		    "'synchronous_standby_names')", db.sync_commit);
		db_job_query(job, sql, NULL, db_standby_row, NULL);
	}
	for (i = 0; i < db_nstmts; i++) {
		if (!db_job_slot(job, NULL, NULL))
			break;
		if (PQsendPrepare(db.conn, db_stmts[i]->name, db_stmts[i]->sql,
		    0, NULL) != 1) {
			job->failed = 1;
			strlcpy(job->err, PQerrorMessage(db.conn),
			    sizeof(job->err));
		}
	}
	db_job_end(job);
}

static void
db_lock_row(PGresult *res, void *arg)
{
	if (PQntuples(res) == 1 && PQgetlength(res, 0, 0) == 1)
		db_lock_got = *(const char *)PQgetvalue(res, 0, 0) != 0;
}

static void
db_standby_row(PGresult *res, void *arg)
{
	if (PQntuples(res) == 1 && PQnfields(res) == 2)
		db_standby_named = PQgetlength(res, 0, 1) > 0;
}

static void
db_locked(int ok, const char *err, void *arg)
{
	if (!ok) {
		db_fail(err);
		return;
	}
	if (!db_lock_got) {
		/* A killed stored's session may linger for a moment. */
		if (--db.lock_tries <= 0)
			fatalx("database %s is in use by another stored: only "
			    "one may write a vault", db.dbname);
		db_close();
		db.backoff = 100;
		db_fail(NULL);
		return;
	}
	if (db.sync_commit[0] != '\0' && !db_standby_named) {
		log_warnx("database %s: synchronous-commit %s, but the server "
		    "names no synchronous standby (synchronous_standby_names "
		    "is empty): nothing is acknowledged until it does",
		    db.dbname, db.sync_commit);
		db_close();
		db.backoff = 1000;
		db_fail(NULL);
		return;
	}
	log_info("database %s connected%s%s", db.dbname,
	    db.sync_commit[0] != '\0' ? ", synchronous commit " : "",
	    db.sync_commit);
	db.lock_tries = DB_LOCK_TRIES;
	db.backoff = DB_BACKOFF_MIN;
	db.state = DB_UP;
	if (db.up != NULL)
		db.up();
}

/*
 * The link is lost (or never came): fail every job in flight, tell the
 * owner, and try again later.
 */
static void
db_fail(const char *err)
{
	struct db_job	*job;
	struct timeval	 tv;
	int		 was_up = db.state == DB_UP;
	char		 msg[256];

	strlcpy(msg, err != NULL ? err : "", sizeof(msg));
	msg[strcspn(msg, "\n")] = '\0';
	if (err != NULL)
		log_warnx("database %s: %s", db.dbname,
		    msg[0] != '\0' ? msg : "connection lost");
	db_close();
	while ((job = TAILQ_FIRST(&db.jobs)) != NULL) {
		TAILQ_REMOVE(&db.jobs, job, entry);
		if (job->done != NULL)
			job->done(0, msg[0] != '\0' ? msg :
			    "the database connection was lost", job->arg);
		free(job->cbs);
		free(job);
	}
	if (was_up && db.down != NULL)
		db.down();
	if (env != NULL && env->stopping)
		return;
	tv.tv_sec = db.backoff / 1000;
	tv.tv_usec = (db.backoff % 1000) * 1000;
	evtimer_add(&db.ev_retry, &tv);
	db.backoff = db.backoff * 2 > DB_BACKOFF_MAX ? DB_BACKOFF_MAX :
	    db.backoff * 2;
}

/* Drop the connection without failing jobs (they are failed by caller). */
void
db_close(void)
{
	if (event_initialized(&db.ev_read))
		event_del(&db.ev_read);
	if (event_initialized(&db.ev_write))
		event_del(&db.ev_write);
	if (db.conn != NULL)
		PQfinish(db.conn);
	db.conn = NULL;
	db.fd = -1;
	db.state = DB_DOWN;
}

/* NULL when the database is not there: the caller answers 503. */
struct db_job *
db_job_begin(db_done_cb done, void *arg)
{
	struct db_job	*job;

	if (db.state != DB_UP && db.state != DB_LOCKING)
		return NULL;
	if ((job = calloc(1, sizeof(*job))) == NULL)
		fatal(NULL);
	job->done = done;
	job->arg = arg;
	TAILQ_INSERT_TAIL(&db.jobs, job, entry);
	return job;
}

/*
 * Send one statement of the job; results come back in binary.  fn, if
 * not NULL, sees the rows of this statement once they arrive.
 */
void
db_job_query(struct db_job *job, const char *sql, const struct db_params *p,
    db_rows_cb fn, void *arg)
{
	if (!db_job_slot(job, fn, arg))
		return;
	if (PQsendQueryParams(db.conn, sql, p != NULL ? p->n : 0, NULL,
	    p != NULL ? p->vals : NULL, p != NULL ? p->lens : NULL,
	    p != NULL ? p->fmts : NULL, 1) != 1) {
		job->failed = 1;
		strlcpy(job->err, PQerrorMessage(db.conn), sizeof(job->err));
	}
}

/* The same, for a statement registered with db_prepare. */
void
db_job_exec(struct db_job *job, const struct db_stmt *st,
    const struct db_params *p, db_rows_cb fn, void *arg)
{
	if (!db_job_slot(job, fn, arg))
		return;
	if (PQsendQueryPrepared(db.conn, st->name, p != NULL ? p->n : 0,
	    p != NULL ? p->vals : NULL, p != NULL ? p->lens : NULL,
	    p != NULL ? p->fmts : NULL, 1) != 1) {
		job->failed = 1;
		strlcpy(job->err, PQerrorMessage(db.conn), sizeof(job->err));
	}
}

/* One more statement in the job; 0 if it is not to be sent (failed). */
static int
db_job_slot(struct db_job *job, db_rows_cb fn, void *arg)
{
	struct db_cb	*ncbs;
	int		 n;

	if (job->nq == job->maxq) {
		n = job->maxq ? job->maxq * 2 : 4;
		if ((ncbs = reallocarray(job->cbs, n, sizeof(*ncbs))) == NULL)
			fatal(NULL);
		job->cbs = ncbs;
		job->maxq = n;
	}
	job->cbs[job->nq].fn = fn;
	job->cbs[job->nq].arg = arg;
	job->nq++;
	return !job->failed;
}

/* The sync point: the job's statements commit together, then done runs. */
void
db_job_end(struct db_job *job)
{
	job->sent = 1;
	if (PQpipelineSync(db.conn) != 1) {
		db_fail(PQerrorMessage(db.conn));
		return;
	}
	db_flush();
}

static void
db_flush(void)
{
	int	 r;

	if (db.conn == NULL)
		return;
	if ((r = PQflush(db.conn)) == -1)
		db_fail(PQerrorMessage(db.conn));
	else if (r == 1)
		event_add(&db.ev_write, NULL);
}

static void
db_write(int fd, short ev, void *arg)
{
	db_flush();
}

static void
db_read(int fd, short ev, void *arg)
{
	if (PQconsumeInput(db.conn) != 1) {
		db_fail(PQerrorMessage(db.conn));
		return;
	}
	db_results();
	if (db.conn != NULL)
		db_flush();
}

/*
 * Hand out every result that has arrived.  In pipeline mode each
 * statement's result is followed by NULL, and each sync by
 * PGRES_PIPELINE_SYNC; after an error the rest of the job is aborted.
 */
static void
db_results(void)
{
	struct db_job	*job;
	PGresult	*res;
	struct db_cb	*cb;
	const char	*msg;

	while (db.conn != NULL && (job = TAILQ_FIRST(&db.jobs)) != NULL) {
		if (PQisBusy(db.conn))
			break;
		if ((res = PQgetResult(db.conn)) == NULL) {
			if (!job->need_null)
				break;
			job->need_null = 0;
			job->nres++;
			continue;
		}
		switch (PQresultStatus(res)) {
		case PGRES_PIPELINE_SYNC:
			TAILQ_REMOVE(&db.jobs, job, entry);
			PQclear(res);
			if (job->done != NULL)
				job->done(!job->failed, job->err, job->arg);
			free(job->cbs);
			free(job);
			continue;
		case PGRES_TUPLES_OK:
		case PGRES_COMMAND_OK:
			job->need_null = 1;
			if (job->failed || job->nres >= job->nq)
				break;
			cb = &job->cbs[job->nres];
			if (cb->fn != NULL)
				cb->fn(res, cb->arg);
			break;
		case PGRES_PIPELINE_ABORTED:
			job->need_null = 1;
			if (!job->failed) {
				job->failed = 1;
				strlcpy(job->err, "transaction aborted",
				    sizeof(job->err));
			}
			break;
		default:
			job->need_null = 1;
			if (!job->failed) {
				job->failed = 1;
				msg = PQresultErrorMessage(res);
				strlcpy(job->err, msg, sizeof(job->err));
				job->err[strcspn(job->err, "\n")] = '\0';
				log_warnx("database: %s", job->err);
			}
			break;
		}
		PQclear(res);
	}
}

/*
 * Parameters: text for numbers and times, binary for bytes and arrays.
 */
void
db_params_init(struct db_params *p)
{
	memset(p, 0, sizeof(*p));
}

void
db_params_free(struct db_params *p)
{
	int	 i;

	for (i = 0; i < p->n; i++)
		free(p->owned[i]);
	free(p->owned);
	free(p->vals);
	free(p->lens);
	free(p->fmts);
	memset(p, 0, sizeof(*p));
}

static void
db_param_add(struct db_params *p, const char *val, int len, int fmt,
    char *owned)
{
	int	 n;

	if (p->n == p->max) {
		n = p->max ? p->max * 2 : 16;
		if ((p->vals = reallocarray(p->vals, n, sizeof(*p->vals))) ==
		    NULL ||
		    (p->lens = reallocarray(p->lens, n, sizeof(*p->lens))) ==
		    NULL ||
		    (p->fmts = reallocarray(p->fmts, n, sizeof(*p->fmts))) ==
		    NULL ||
		    (p->owned = reallocarray(p->owned, n,
		    sizeof(*p->owned))) == NULL)
			fatal(NULL);
		p->max = n;
	}
	p->vals[p->n] = val;
	p->lens[p->n] = len;
	p->fmts[p->n] = fmt;
	p->owned[p->n] = owned;
	p->n++;
}

void
db_param_u64(struct db_params *p, uint64_t v)
{
	char	*s;

	if (asprintf(&s, "%" PRIu64, v) == -1)
		fatal(NULL);
	db_param_add(p, s, 0, 0, s);
}

void
db_param_text(struct db_params *p, const char *s)
{
	db_param_add(p, s, 0, 0, NULL);
}

void
db_param_bytes(struct db_params *p, const void *buf, size_t len)
{
	if (len > INT32_MAX)
		fatalx("%s: parameter too long", __func__);
	db_param_add(p, buf, (int)len, 1, NULL);
}

void
db_param_time_ms(struct db_params *p, int64_t ms)
{
	struct tm	 tm;
	time_t		 t;
	char		*s;
	int64_t		 frac;

	/* UTC, ISO 8601: the server reads it as timestamptz. */
	frac = ms % 1000;
	if (frac < 0)
		frac += 1000;
	t = (time_t)((ms - frac) / 1000);
	if (gmtime_r(&t, &tm) == NULL)
		fatalx("%s: time out of range", __func__);
	if (asprintf(&s, "%04d-%02d-%02d %02d:%02d:%02d.%03d+00",
	    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
	    tm.tm_min, tm.tm_sec, (int)frac) == -1)
		fatal(NULL);
	db_param_add(p, s, 0, 0, s);
}

void
db_param_null(struct db_params *p)
{
	db_param_add(p, NULL, 0, 0, NULL);
}

/*
 * One-dimensional arrays in PostgreSQL's binary form, a column of many
 * rows sent as one parameter ($1::bigint[] and so on, then unnest):
 * dimensions, null flag, element type, length and lower bound, then
 * each element as a 32-bit length (-1: NULL) and its binary value.
 */
#define DB_ARRAY_HEAD	20

void
db_array_init(struct db_array *a, uint32_t oid)
{
	memset(a, 0, sizeof(*a));
	a->oid = oid;
	a->len = DB_ARRAY_HEAD;
}

/* Empty again, its memory kept for the next rows. */
void
db_array_reset(struct db_array *a)
{
	a->len = DB_ARRAY_HEAD;
	a->n = 0;
	a->nulls = 0;
}

void
db_array_free(struct db_array *a)
{
	free(a->buf);
	memset(a, 0, sizeof(*a));
}

/* Room for len more bytes (and the head); one more element. */
static uint8_t *
db_array_room(struct db_array *a, size_t len)
{
	uint8_t	*nbuf;
	size_t	 cap;

	if (a->n == INT32_MAX || len > INT32_MAX - a->len)
		fatalx("%s: array too long", __func__);
	if (a->buf == NULL || a->len + len > a->cap) {
		cap = a->cap ? a->cap : 4096;
		while (cap < a->len + len)
			cap *= 2;
		if ((nbuf = realloc(a->buf, cap)) == NULL)
			fatal(NULL);
		a->buf = nbuf;
		a->cap = cap;
	}
	a->n++;
	a->len += len;
	return a->buf + a->len - len;
}

static void
db_put32(uint8_t *p, uint32_t v)
{
	v = htobe32(v);
	memcpy(p, &v, sizeof(v));
}

void
db_array_u64(struct db_array *a, uint64_t v)
{
	uint8_t	*p;

	p = db_array_room(a, 4 + 8);
	db_put32(p, 8);
	v = htobe64(v);
	memcpy(p + 4, &v, 8);
}

/* bytea, or text in the database's encoding. */
void
db_array_bytes(struct db_array *a, const void *buf, size_t len)
{
	uint8_t	*p;

	if (len > INT32_MAX - 4)
		fatalx("%s: element too long", __func__);
	p = db_array_room(a, 4 + len);
	db_put32(p, (uint32_t)len);
	memcpy(p + 4, buf, len);
}

void
db_array_text(struct db_array *a, const char *s)
{
	db_array_bytes(a, s, strlen(s));
}

/* timestamptz: microseconds since 2000-01-01 UTC. */
void
db_array_time_ms(struct db_array *a, int64_t ms)
{
	db_array_u64(a, (uint64_t)((ms - DB_EPOCH_DIFF_MS) * 1000));
}

void
db_array_null(struct db_array *a)
{
	db_put32(db_array_room(a, 4), UINT32_MAX);
	a->nulls = 1;
}

/* A binary parameter; a must stay untouched until the query is sent. */
void
db_param_array(struct db_params *p, struct db_array *a)
{
	if (a->buf == NULL) {
		/* An empty array still has a head. */
		db_array_room(a, 0);
		a->n = 0;
	}
	if (a->n == 0) {
		/* No dimensions: the empty array. */
		db_put32(a->buf, 0);
		db_put32(a->buf + 4, 0);
		db_put32(a->buf + 8, a->oid);
		db_param_add(p, (const char *)a->buf, 12, 1, NULL);
		return;
	}
	db_put32(a->buf, 1);
	db_put32(a->buf + 4, a->nulls);
	db_put32(a->buf + 8, a->oid);
	db_put32(a->buf + 12, a->n);
	db_put32(a->buf + 16, 1);
	db_param_add(p, (const char *)a->buf, (int)a->len, 1, NULL);
}

/* Binary results: int8/int4, timestamptz, bytea, text. */
uint64_t
db_get_u64(const PGresult *res, int row, int col)
{
	uint64_t	 v8;
	uint32_t	 v4;
	const char	*p;

	if (PQgetisnull(res, row, col))
		return 0;
	p = PQgetvalue(res, row, col);
	switch (PQgetlength(res, row, col)) {
	case 8:
		memcpy(&v8, p, 8);
		return be64toh(v8);
	case 4:
		memcpy(&v4, p, 4);
		return be32toh(v4);
	default:
		fatalx("%s: unexpected integer of %d bytes", __func__,
		    PQgetlength(res, row, col));
	}
}

int64_t
db_get_time_ms(const PGresult *res, int row, int col)
{
	int64_t	 us;

	if (PQgetisnull(res, row, col))
		return 0;
	if (PQgetlength(res, row, col) != 8)
		fatalx("%s: unexpected timestamp", __func__);
	us = (int64_t)db_get_u64(res, row, col);
	/* Floor division: times before 2000 are negative. */
	return (us >= 0 ? us / 1000 : -((-us + 999) / 1000)) +
	    DB_EPOCH_DIFF_MS;
}

const uint8_t *
db_get_bytes(const PGresult *res, int row, int col, size_t *len)
{
	*len = PQgetisnull(res, row, col) ? 0 : PQgetlength(res, row, col);
	return (const uint8_t *)PQgetvalue(res, row, col);
}

void
db_get_text(const PGresult *res, int row, int col, char *buf, size_t size)
{
	size_t	 len;

	len = PQgetisnull(res, row, col) ? 0 : PQgetlength(res, row, col);
	if (size == 0)
		return;
	if (len >= size)
		len = size - 1;
	memcpy(buf, PQgetvalue(res, row, col), len);
	buf[len] = '\0';
}
