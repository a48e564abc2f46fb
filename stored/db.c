/*
 * The runtime connections to PostgreSQL: asynchronous libpq in pipeline
 * mode, driven by libevent.  Work is sent as jobs: a few statements
 * followed by a sync point, so that each job is one implicit transaction
 * (all its statements commit together at the sync, or none does) and
 * several jobs can be on the wire at once.  A job's done callback runs
 * once the server has answered its sync: for a write, the commit is
 * then durable.
 *
 * The writer holds a session advisory lock: one stored per database,
 * the single writer that makes IDEvt numbering safe.  When the link is
 * lost every job in flight fails, and the connection is made again with
 * backoff; the owner of the numbering reads its state back then.
 *
 * A second connection, read-only (the session refuses any write), runs
 * the Client-Id lookups, so that a lookup never waits in the writer's
 * pipeline behind a commit and its fsync.  It is made again like the
 * writer; while it is down, lookups go to the writer.
 *
 * With synchronous-commit set, the writer's session asks for that level
 * and the server must name a synchronous standby: a COMMIT then returns
 * only once the standby has the transaction, so an acknowledged event
 * survives the loss of the primary.  A server that names none (a
 * promoted standby not yet given its own) is treated as down: stored
 * answers 503 rather than acknowledge what one machine holds.  libpq's
 * multi-host conninfo with target_session_attrs=read-write finds the
 * primary after a failover; the numbering is read back from it.
 */
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
#include "db.h"
#include "dbval.h"

/* pg_try_advisory_lock key: "CFJL" and 1, the writer of the vault. */
#define DB_LOCK_KEY		"x'43464a4c00000001'::bigint"
#define DB_BACKOFF_MIN		200	/* milliseconds */
#define DB_BACKOFF_MAX		5000
#define DB_LOCK_TRIES		30	/* 100 ms apart: a killed stored */

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

struct db_conn;

struct db_job {
	TAILQ_ENTRY(db_job)	 entry;
	struct db_conn		*c;
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

/* Statements prepared on a connection, named by their callers. */
#define DB_STMTS_MAX	8

struct db_conn {
	const char	*what;		/* for the logs */
	int		 readonly;	/* else the writer, with the lock */
	PGconn		*conn;
	enum db_state	 state;
	int		 fd;
	struct event	 ev_read;
	struct event	 ev_write;
	struct event	 ev_retry;
	int		 backoff;
	int		 lock_tries;
	int		 lock_got;
	int		 standby_named;	/* synchronous_standby_names set */
	struct db_jobs	 jobs;
	const struct db_stmt	*stmts[DB_STMTS_MAX];
	int		 nstmts;
	void		(*up)(void);
	void		(*down)(void);
	void		(*settled)(void);	/* up, or failed */
};

static struct {
	char		*conninfo;
	char		 dbname[64];
	struct db_conn	 writer;
	struct db_conn	 reader;
	char		 sync_commit[16];	/* "": the server's setting */
} db;

static void	 db_conn_init(struct db_conn *, const char *, int);
static void	 db_conn_start(struct db_conn *);
static void	 db_retry(int, short, void *);
static void	 db_poll(int, short, void *);
static void	 db_connected(struct db_conn *);
static void	 db_locked(int, const char *, void *);
static void	 db_lock_row(PGresult *, void *);
static void	 db_standby_row(PGresult *, void *);
static void	 db_fail(struct db_conn *, const char *);
static void	 db_conn_close(struct db_conn *);
static void	 db_read(int, short, void *);
static void	 db_write(int, short, void *);
static void	 db_flush(struct db_conn *);
static void	 db_results(struct db_conn *);
static void	 db_schedule(struct db_conn *, int);
static struct db_job *db_conn_job(struct db_conn *, db_done_cb, void *);
static int	 db_job_slot(struct db_job *, db_rows_cb, void *);

/*
 * Register a statement, before db_start: it is parsed once a
 * connection is made, and run by db_job_exec without being parsed nor
 * planned again (the hot INSERTs, the Client-Id lookup).  A statement
 * for the reader is prepared on the writer too: lookups go there while
 * the reader is down.
 */
void
db_prepare(const struct db_stmt *st, int reader)
{
	struct db_conn	*c;
	int		 i;

	for (i = 0; i < (reader ? 2 : 1); i++) {
		c = i == 0 ? &db.writer : &db.reader;
		if (c->nstmts == DB_STMTS_MAX)
			fatalx("%s: too many statements", __func__);
		c->stmts[c->nstmts++] = st;
	}
}

void
db_init(const char *conninfo, const char *dbname, void (*up)(void),
    void (*down)(void))
{
	if ((db.conninfo = strdup(conninfo)) == NULL)
		fatal(NULL);
	strlcpy(db.dbname, dbname, sizeof(db.dbname));
	db_conn_init(&db.writer, "writer", 0);
	db_conn_init(&db.reader, "reader", 1);
	db.writer.up = up;
	db.writer.down = down;
}

/* The synchronous_commit the writer asks for: "" for the server's. */
void
db_set_sync_commit(const char *level)
{
	strlcpy(db.sync_commit, level, sizeof(db.sync_commit));
}

static void
db_conn_init(struct db_conn *c, const char *what, int readonly)
{
	c->what = what;
	c->readonly = readonly;
	c->fd = -1;
	c->backoff = DB_BACKOFF_MIN;
	c->lock_tries = DB_LOCK_TRIES;
	TAILQ_INIT(&c->jobs);
	evtimer_set(&c->ev_retry, db_retry, c);
}

/*
 * fn is called whenever the read-only connection comes up or fails: a
 * caller that waited for it (db_reader_pending) goes on, on the reader
 * or on the writer.
 */
void
db_on_reader(void (*fn)(void))
{
	db.reader.settled = fn;
}

/* The read-only connection is being made: it is not down for long. */
int
db_reader_pending(void)
{
	return db.reader.state == DB_CONNECTING ||
	    db.reader.state == DB_LOCKING;
}

/* The writer is up: deposits may be taken. */
int
db_ready(void)
{
	return db.writer.state == DB_UP;
}

const char *
db_state(void)
{
	switch (db.writer.state) {
	case DB_UP:
		return "up";
	case DB_DOWN:
		return "down";
	default:
		return "connecting";
	}
}

/* Connect both; called at start. */
void
db_start(void)
{
	db_conn_start(&db.writer);
	db_conn_start(&db.reader);
}

/* Connect now; called at start and by the retry timer. */
static void
db_conn_start(struct db_conn *c)
{
	const char	*keys[] = { "dbname", "dbname",
			    "fallback_application_name", "connect_timeout",
			    NULL };
	const char	*vals[] = { db.conninfo, db.dbname, "stored", "5",
			    NULL };

	if (c->state != DB_DOWN)
		return;
	c->conn = PQconnectStartParams(keys, vals, 1);
	if (c->conn == NULL || PQstatus(c->conn) == CONNECTION_BAD) {
		db_fail(c, c->conn != NULL ? PQerrorMessage(c->conn) :
		    "out of memory");
		return;
	}
	c->state = DB_CONNECTING;
	db_schedule(c, EV_WRITE);
}

static void
db_retry(int fd, short ev, void *arg)
{
	db_conn_start(arg);
}

/* Wait on the socket as PQconnectPoll asks (it may change sockets). */
static void
db_schedule(struct db_conn *c, int what)
{
	if (event_initialized(&c->ev_read))
		event_del(&c->ev_read);
	c->fd = PQsocket(c->conn);
	event_set(&c->ev_read, c->fd, what, db_poll, c);
	event_add(&c->ev_read, NULL);
}

static void
db_poll(int fd, short ev, void *arg)
{
	struct db_conn	*c = arg;

	switch (PQconnectPoll(c->conn)) {
	case PGRES_POLLING_READING:
		db_schedule(c, EV_READ);
		break;
	case PGRES_POLLING_WRITING:
		db_schedule(c, EV_WRITE);
		break;
	case PGRES_POLLING_OK:
		db_connected(c);
		break;
	default:
		db_fail(c, PQerrorMessage(c->conn));
		break;
	}
}

/*
 * The first job of a connection: the writer takes the lock, the reader
 * makes its session read-only; both prepare their statements.
 */
static void
db_connected(struct db_conn *c)
{
	struct db_job	*job;
	char		 sql[160];
	int		 i;

	event_del(&c->ev_read);
	c->fd = PQsocket(c->conn);
	if (PQsetnonblocking(c->conn, 1) == -1 ||
	    PQenterPipelineMode(c->conn) != 1) {
		db_fail(c, PQerrorMessage(c->conn));
		return;
	}
	event_set(&c->ev_read, c->fd, EV_READ | EV_PERSIST, db_read, c);
	event_add(&c->ev_read, NULL);
	event_set(&c->ev_write, c->fd, EV_WRITE, db_write, c);

	/* Jobs may be sent from now on, but only this one until locked. */
	c->state = DB_LOCKING;
	c->lock_got = 0;
	c->standby_named = 0;
	if ((job = db_conn_job(c, db_locked, c)) == NULL)
		fatalx("%s: cannot start the lock job", __func__);
	if (c->readonly)
		db_job_query(job, "SET SESSION CHARACTERISTICS AS TRANSACTION"
		    " READ ONLY", NULL, NULL, NULL);
	else
		db_job_query(job, "SELECT pg_try_advisory_lock("
		    DB_LOCK_KEY ")", NULL, db_lock_row, c);
	if (!c->readonly && db.sync_commit[0] != '\0') {
		/* One of three fixed words (parse.y): nothing to quote. */
		snprintf(sql, sizeof(sql), "SELECT set_config("
		    "'synchronous_commit', '%s', false), current_setting("
		    "'synchronous_standby_names')", db.sync_commit);
		db_job_query(job, sql, NULL, db_standby_row, c);
	}
	for (i = 0; i < c->nstmts; i++) {
		if (!db_job_slot(job, NULL, NULL))
			break;
		if (PQsendPrepare(c->conn, c->stmts[i]->name, c->stmts[i]->sql,
		    0, NULL) != 1) {
			job->failed = 1;
			strlcpy(job->err, PQerrorMessage(c->conn),
			    sizeof(job->err));
		}
	}
	db_job_end(job);
}

static void
db_lock_row(PGresult *res, void *arg)
{
	struct db_conn	*c = arg;

	if (PQntuples(res) == 1 && PQgetlength(res, 0, 0) == 1)
		c->lock_got = *(const char *)PQgetvalue(res, 0, 0) != 0;
}

static void
db_standby_row(PGresult *res, void *arg)
{
	struct db_conn	*c = arg;

	if (PQntuples(res) == 1 && PQnfields(res) == 2)
		c->standby_named = PQgetlength(res, 0, 1) > 0;
}

static void
db_locked(int ok, const char *err, void *arg)
{
	struct db_conn	*c = arg;

	if (!ok) {
		db_fail(c, err);
		return;
	}
	if (!c->readonly && !c->lock_got) {
		/* A killed stored's session may linger for a moment. */
		if (--c->lock_tries <= 0)
			fatalx("database %s is in use by another stored: only "
			    "one may write a vault", db.dbname);
		db_conn_close(c);
		c->backoff = 100;
		db_fail(c, NULL);
		return;
	}
	if (!c->readonly && db.sync_commit[0] != '\0' && !c->standby_named) {
		log_warnx("database %s: synchronous-commit %s, but the server "
		    "names no synchronous standby (synchronous_standby_names "
		    "is empty): nothing is acknowledged until it does",
		    db.dbname, db.sync_commit);
		db_conn_close(c);
		c->backoff = 1000;
		db_fail(c, NULL);
		return;
	}
	if (c->readonly)
		log_debug("database %s: read-only connection up", db.dbname);
	else
		log_info("database %s connected%s%s", db.dbname,
		    db.sync_commit[0] != '\0' ? ", synchronous commit " : "",
		    db.sync_commit);
	c->lock_tries = DB_LOCK_TRIES;
	c->backoff = DB_BACKOFF_MIN;
	c->state = DB_UP;
	if (c->up != NULL)
		c->up();
	if (c->settled != NULL)
		c->settled();
}

/*
 * The link is lost (or never came): fail every job in flight, tell the
 * owner, and try again later.
 */
static void
db_fail(struct db_conn *c, const char *err)
{
	struct db_job	*job;
	struct timeval	 tv;
	int		 was_up = c->state == DB_UP;
	char		 msg[256];

	strlcpy(msg, err != NULL ? err : "", sizeof(msg));
	msg[strcspn(msg, "\n")] = '\0';
	if (err != NULL)
		log_warnx("database %s%s: %s", db.dbname, c->readonly ?
		    " (read-only connection)" : "",
		    msg[0] != '\0' ? msg : "connection lost");
	db_conn_close(c);
	while ((job = TAILQ_FIRST(&c->jobs)) != NULL) {
		TAILQ_REMOVE(&c->jobs, job, entry);
		if (job->done != NULL)
			job->done(0, msg[0] != '\0' ? msg :
			    "the database connection was lost", job->arg);
		free(job->cbs);
		free(job);
	}
	if (was_up && c->down != NULL)
		c->down();
	if (c->settled != NULL)
		c->settled();
	if (env != NULL && env->stopping)
		return;
	tv.tv_sec = c->backoff / 1000;
	tv.tv_usec = (c->backoff % 1000) * 1000;
	evtimer_add(&c->ev_retry, &tv);
	c->backoff = c->backoff * 2 > DB_BACKOFF_MAX ? DB_BACKOFF_MAX :
	    c->backoff * 2;
}

/* Drop both connections, at the stop. */
void
db_close(void)
{
	db_conn_close(&db.writer);
	db_conn_close(&db.reader);
}

/* Drop the connection without failing jobs (they are failed by caller). */
static void
db_conn_close(struct db_conn *c)
{
	if (event_initialized(&c->ev_read))
		event_del(&c->ev_read);
	if (event_initialized(&c->ev_write))
		event_del(&c->ev_write);
	if (c->conn != NULL)
		PQfinish(c->conn);
	c->conn = NULL;
	c->fd = -1;
	c->state = DB_DOWN;
}

/* NULL when the database is not there: the caller answers 503. */
struct db_job *
db_job_begin(db_done_cb done, void *arg)
{
	return db_conn_job(&db.writer, done, arg);
}

/*
 * A job of SELECTs only, on the reader: never behind a commit.  On the
 * writer while the reader is down.  NULL while the writer is down: what
 * is read must not race a commit whose outcome is not known yet (that
 * of a writer session that was lost and may still be ending).
 */
struct db_job *
db_job_begin_read(db_done_cb done, void *arg)
{
	if (db.writer.state != DB_UP)
		return NULL;
	if (db.reader.state == DB_UP)
		return db_conn_job(&db.reader, done, arg);
	return db_conn_job(&db.writer, done, arg);
}

static struct db_job *
db_conn_job(struct db_conn *c, db_done_cb done, void *arg)
{
	struct db_job	*job;

	if (c->state != DB_UP && c->state != DB_LOCKING)
		return NULL;
	if ((job = calloc(1, sizeof(*job))) == NULL)
		fatal(NULL);
	job->c = c;
	job->done = done;
	job->arg = arg;
	TAILQ_INSERT_TAIL(&c->jobs, job, entry);
	return job;
}

/*
 * Send one statement of the job; results come back in binary.  fn, if
 * not NULL, sees the rows of this statement once they arrive.
 */
void
db_job_query(struct db_job *job, const char *sql, const struct dbval_params *p,
    db_rows_cb fn, void *arg)
{
	PGconn	*conn = job->c->conn;

	if (!db_job_slot(job, fn, arg))
		return;
	if (PQsendQueryParams(conn, sql, p != NULL ? p->n : 0, NULL,
	    p != NULL ? p->vals : NULL, p != NULL ? p->lens : NULL,
	    p != NULL ? p->fmts : NULL, 1) != 1) {
		job->failed = 1;
		strlcpy(job->err, PQerrorMessage(conn), sizeof(job->err));
	}
}

/* The same, for a statement registered with db_prepare. */
void
db_job_exec(struct db_job *job, const struct db_stmt *st,
    const struct dbval_params *p, db_rows_cb fn, void *arg)
{
	PGconn	*conn = job->c->conn;

	if (!db_job_slot(job, fn, arg))
		return;
	if (PQsendQueryPrepared(conn, st->name, p != NULL ? p->n : 0,
	    p != NULL ? p->vals : NULL, p != NULL ? p->lens : NULL,
	    p != NULL ? p->fmts : NULL, 1) != 1) {
		job->failed = 1;
		strlcpy(job->err, PQerrorMessage(conn), sizeof(job->err));
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

/*
 * The sync point: the job's statements commit together, then done runs.
 * If the link fails here, done has run (failed) before this returns.
 */
void
db_job_end(struct db_job *job)
{
	struct db_conn	*c = job->c;

	job->sent = 1;
	if (PQpipelineSync(c->conn) != 1) {
		db_fail(c, PQerrorMessage(c->conn));
		return;
	}
	db_flush(c);
}

static void
db_flush(struct db_conn *c)
{
	int	 r;

	if (c->conn == NULL)
		return;
	if ((r = PQflush(c->conn)) == -1)
		db_fail(c, PQerrorMessage(c->conn));
	else if (r == 1)
		event_add(&c->ev_write, NULL);
}

static void
db_write(int fd, short ev, void *arg)
{
	db_flush(arg);
}

static void
db_read(int fd, short ev, void *arg)
{
	struct db_conn	*c = arg;

	if (PQconsumeInput(c->conn) != 1) {
		db_fail(c, PQerrorMessage(c->conn));
		return;
	}
	db_results(c);
	if (c->conn != NULL)
		db_flush(c);
}

/*
 * Hand out every result that has arrived.  In pipeline mode each
 * statement's result is followed by NULL, and each sync by
 * PGRES_PIPELINE_SYNC; after an error the rest of the job is aborted.
 */
static void
db_results(struct db_conn *c)
{
	struct db_job	*job;
	PGresult	*res;
	struct db_cb	*cb;
	const char	*msg;

	while (c->conn != NULL && (job = TAILQ_FIRST(&c->jobs)) != NULL) {
		if (PQisBusy(c->conn))
			break;
		if ((res = PQgetResult(c->conn)) == NULL) {
			if (!job->need_null)
				break;
			job->need_null = 0;
			job->nres++;
			continue;
		}
		switch (PQresultStatus(res)) {
		case PGRES_PIPELINE_SYNC:
			TAILQ_REMOVE(&c->jobs, job, entry);
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
