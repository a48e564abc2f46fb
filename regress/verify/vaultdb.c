/*
 * The database, frontd and auditd as stored's export.c sees them, played
 * in memory over a vault directory made by "mkvault make": the queries
 * export.c sends are recognised and answered from the files; chunks are
 * written to the bundle file and credited back one by one, as frontd
 * does; journal records are acknowledged from the loop.  The loop also
 * checks that export.c never runs ahead of its credit.
 */
#include <sys/types.h>
#include <sys/queue.h>
#include <sys/uio.h>

#include <err.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <libpq-fe.h>
#include <openssl/sha.h>

#include "config.h"
#include "proto.h"
#include "refusal.h"
#include "stored.h"
#include "db.h"
#include "dbval.h"
#include "front.h"
#include "export.h"
#include "audit.h"
#include "mkvault.h"
#include "msg.h"

#define VLOTS_MAX	100000

struct vlot {
	uint64_t	 numero, first, last;
	int64_t		 recu_ms;
};

struct job {
	TAILQ_ENTRY(job) entry;
	db_done_cb	 done;
	void		*arg;
	int		 nq;
	char		*sql[4];
	uint64_t	 p[4][4];
	int		 np[4];
	db_rows_cb	 fn[4];
	void		*fnarg[4];
};

static TAILQ_HEAD(, job) jobs = TAILQ_HEAD_INITIALIZER(jobs);
static const char	*vdir;
static struct vlot	*vlots;
static size_t		 nvlots;
static FILE		*bundle;
static int		 inflight, maxinflight, ended, failed, nchunks;
static audit_done_fn	 audit_fn;
static void		*audit_arg;
static uint64_t		 audit_ids;
static struct cfjl_conf	 conf;
static struct stored	 vault_env;
struct stored		*env = &vault_env;

static PGresult	*result(int);
static void	 row(PGresult *, int, int, const void *, size_t);
static void	 row_u64(PGresult *, int, int, uint64_t);
static void	 run(struct job *);
static long	 peak_kb(void);

static int64_t		 now_ms;	/* -C, else the clock */

int64_t
stored_env_now_ms(void)
{
	return now_ms != 0 ? now_ms : (int64_t)time(NULL) * 1000;
}

int
front_send(uint64_t id, uint32_t type, const struct iovec *iov, int n)
{
	struct export_chunk	 c;

	if (type != IMSG_EXPORT_CHUNK || iov[0].iov_len != sizeof(c))
		errx(2, "front_send: unexpected message");
	memcpy(&c, iov[0].iov_base, sizeof(c));
	if (n > 1 && fwrite(iov[1].iov_base, 1, iov[1].iov_len, bundle) !=
	    iov[1].iov_len)
		err(2, "bundle");
	if (n > 1 && iov[1].iov_len > EXPORT_CHUNK_MAX)
		errx(2, "chunk of %zu bytes", iov[1].iov_len);
	nchunks++;
	if (c.error)
		failed = c.error;
	if (c.last)
		ended = 1;
	else if (++inflight > maxinflight)
		maxinflight = inflight;
	return 0;
}

uint64_t
audit_record_cb(audit_done_fn fn, void *arg, const char *event,
    const char *subject, const char *outcome, const char *fmt, ...)
{
	audit_fn = fn;
	audit_arg = arg;
	fprintf(stderr, "journal: %s %s %s\n", event, subject, outcome);
	return ++audit_ids;
}

void
audit_record(const char *event, const char *subject, const char *outcome,
    const char *fmt, ...)
{
	fprintf(stderr, "journal: %s %s %s\n", event, subject, outcome);
}

void
audit_cancel(uint64_t id)
{
	audit_fn = NULL;
}

struct db_job *
db_job_begin(db_done_cb done, void *arg)
{
	struct job	*j;

	if ((j = calloc(1, sizeof(*j))) == NULL)
		err(2, NULL);
	j->done = done;
	j->arg = arg;
	TAILQ_INSERT_TAIL(&jobs, j, entry);
	return (struct db_job *)j;
}

void
db_job_query(struct db_job *dj, const char *sql, const struct dbval_params *p,
    db_rows_cb fn, void *arg)
{
	struct job	*j = (struct job *)dj;
	int		 i;

	if (j->nq == 4)
		errx(2, "too many statements");
	j->sql[j->nq] = strdup(sql);
	for (i = 0; p != NULL && i < p->n && i < 4; i++)
		j->p[j->nq][i] = p->vals[i] ? strtoull(p->vals[i], NULL, 10) :
		    0;
	j->np[j->nq] = p ? p->n : 0;
	j->fn[j->nq] = fn;
	j->fnarg[j->nq] = arg;
	j->nq++;
}

void
db_job_end(struct db_job *dj)
{
}

void dbval_params_init(struct dbval_params *p) { memset(p, 0, sizeof(*p)); }

void
dbval_params_free(struct dbval_params *p)
{
	int	 i;

	for (i = 0; i < p->n; i++)
		free(p->owned[i]);
	free(p->owned);
	free(p->vals);
	memset(p, 0, sizeof(*p));
}

static void
param_add(struct dbval_params *p, char *s)
{
	p->vals = reallocarray(p->vals, p->n + 1, sizeof(*p->vals));
	p->owned = reallocarray(p->owned, p->n + 1, sizeof(*p->owned));
	p->vals[p->n] = s;
	p->owned[p->n] = s;
	p->n++;
}

void
dbval_param_u64(struct dbval_params *p, uint64_t v)
{
	char	 s[32];

	snprintf(s, sizeof(s), "%" PRIu64, v);
	param_add(p, strdup(s));
}

void dbval_param_text(struct dbval_params *p, const char *s) { param_add(p, strdup(s)); }
void dbval_param_bytes(struct dbval_params *p, const void *b, size_t l) { param_add(p, strdup("")); }
void dbval_param_null(struct dbval_params *p) { param_add(p, NULL); }

void
dbval_param_time_ms(struct dbval_params *p, int64_t ms)
{
	dbval_param_u64(p, (uint64_t)ms);
}

uint64_t
dbval_get_u64(const PGresult *res, int r, int c)
{
	uint64_t	 v;

	if (PQgetisnull(res, r, c))
		return 0;
	memcpy(&v, PQgetvalue(res, r, c), sizeof(v));
	return v;
}

const uint8_t *
dbval_get_bytes(const PGresult *res, int r, int c, size_t *len)
{
	*len = PQgetlength(res, r, c);
	return (const uint8_t *)PQgetvalue(res, r, c);
}

static PGresult *
result(int ncols)
{
	PGresAttDesc	 a[5];
	PGresult	*res;
	int		 i;

	memset(a, 0, sizeof(a));
	for (i = 0; i < ncols; i++) {
		a[i].name = (char *)"c";
		a[i].format = 1;
	}
	if ((res = PQmakeEmptyPGresult(NULL, PGRES_TUPLES_OK)) == NULL ||
	    !PQsetResultAttrs(res, ncols, a))
		errx(2, "PGresult");
	return res;
}

static void
row(PGresult *res, int r, int c, const void *v, size_t len)
{
	if (!PQsetvalue(res, r, c, (char *)v, (int)len))
		errx(2, "PQsetvalue");
}

static void
row_u64(PGresult *res, int r, int c, uint64_t v)
{
	row(res, r, c, &v, sizeof(v));
}

/* Answer one job from the vault directory. */
static void
run(struct job *j)
{
	PGresult	*res;
	char		 path[PATH_MAX], *buf;
	uint64_t	 lo, hi, nev, n, lim;
	size_t		 i, k, len;
	int		 q, r;
	FILE		*fp;

	for (q = 0; q < j->nq; q++) {
		const char	*s = j->sql[q];
		uint64_t	*p = j->p[q];

		res = NULL;
		if (strstr(s, "min(u.numero)") != NULL) {
			/*
			 * The certificates of the lots: a vault made here
			 * records none, so the files of certs/ are carried.
			 */
			res = result(3);
			row(res, 0, 0, "seal", 4);
			row(res, 0, 1, NULL, 0);
			row_u64(res, 0, 2, 1);
			row(res, 1, 0, "tsa", 3);
			row(res, 1, 1, NULL, 0);
			row_u64(res, 1, 2, 1);
		} else if (strstr(s, "ORDER BY l.numero DESC LIMIT 1") != NULL) {
			res = result(2);
			row_u64(res, 0, 0, vlots[nvlots - 1].numero);
			row_u64(res, 0, 1, vlots[nvlots - 1].last);
		} else if (strstr(s, "sum(l.nevents)") != NULL) {
			res = result(5);
			lo = hi = nev = 0;
			for (i = 0; i < nvlots; i++) {
				int	 in;

				if (strstr(s, "received") != NULL) {
					/* since/until: first event's time */
					in = (uint64_t)vlots[i].recu_ms >= p[0] &&
					    (uint64_t)vlots[i].recu_ms < p[1];
				} else
					in = vlots[i].last >= p[0] &&
					    vlots[i].first <= p[1];
				if (!in)
					continue;
				if (lo == 0)
					lo = i + 1;
				hi = i + 1;
				nev += vlots[i].last - vlots[i].first + 1;
			}
			if (lo != 0) {
				row_u64(res, 0, 0, vlots[lo - 1].numero);
				row_u64(res, 0, 1, vlots[hi - 1].numero);
				row_u64(res, 0, 2, vlots[lo - 1].first);
				row_u64(res, 0, 3, vlots[hi - 1].last);
				row_u64(res, 0, 4, nev);
			} else
				for (k = 0; k < 5; k++)
					row(res, 0, k, NULL, 0);
		} else if (strstr(s, "string_agg(p7m_sha256") != NULL) {
			/* each lot's first IDEvt, count, .p7m digests */
			res = result(4);
			for (n = p[0], r = 0; n <= p[1] && n <= nvlots;
			    n++, r++) {
				struct vlot	*v = &vlots[n - 1];
				uint8_t		*d;
				uint64_t	 e, cnt = v->last - v->first + 1;

				if ((d = calloc(cnt, 32)) == NULL)
					err(2, NULL);
				for (e = v->first; e <= v->last; e++) {
					snprintf(path, sizeof(path),
					    "%s/events/%012" PRIu64 ".p7m",
					    vdir, e);
					if ((fp = fopen(path, "rb")) == NULL)
						err(2, "%s", path);
					fseek(fp, 0, SEEK_END);
					len = ftell(fp);
					rewind(fp);
					buf = malloc(len + 1);
					if (fread(buf, 1, len, fp) != len)
						err(2, "%s", path);
					fclose(fp);
					SHA256((uint8_t *)buf, len,
					    d + (e - v->first) * 32);
					free(buf);
				}
				row_u64(res, r, 0, n);
				row_u64(res, r, 1, v->first);
				row_u64(res, r, 2, cnt);
				row(res, r, 3, d, cnt * 32);
				free(d);
			}
		} else if (strstr(s, "FROM lot_seals") != NULL ||
		    strstr(s, "FROM events") != NULL) {
			int lots = strstr(s, "FROM lot_seals") != NULL;

			res = result(2);
			lim = p[2];
			for (n = p[0], r = 0; n <= p[1] && (uint64_t)r < lim;
			    n++, r++) {
				snprintf(path, sizeof(path), lots ?
				    "%s/lots/%012" PRIu64 ".xml" :
				    "%s/events/%012" PRIu64 ".p7m", vdir, n);
				if ((fp = fopen(path, "rb")) == NULL)
					break;
				fseek(fp, 0, SEEK_END);
				len = ftell(fp);
				rewind(fp);
				buf = malloc(len + 1);
				if (fread(buf, 1, len, fp) != len)
					err(2, "%s", path);
				fclose(fp);
				row_u64(res, r, 0, n);
				row(res, r, 1, buf, len);
				free(buf);
			}
		} else if (strstr(s, "FROM checkpoints") != NULL) {
			/* the vault's newest checkpoint, if it has one */
			res = result(1);
			snprintf(path, sizeof(path), "%s/checkpoint.xml", vdir);
			if ((fp = fopen(path, "rb")) != NULL) {
				fseek(fp, 0, SEEK_END);
				len = ftell(fp);
				rewind(fp);
				buf = malloc(len + 1);
				if (fread(buf, 1, len, fp) != len)
					err(2, "%s", path);
				fclose(fp);
				row(res, 0, 0, buf, len);
				free(buf);
			}
		} else if (strstr(s, "INSERT INTO exports") == NULL)
			errx(2, "unexpected statement: %s", s);
		if (res != NULL && j->fn[q] != NULL)
			j->fn[q](res, j->fnarg[q]);
		PQclear(res);
		free(j->sql[q]);
	}
	if (j->done != NULL)
		j->done(1, "", j->arg);
}

int
vaultdb_export(int argc, char **argv)
{
	struct export_req	 req;
	struct export_chunk	 c;
	struct msg		 m;
	struct job		*j;
	const char		*out = NULL;
	char			 path[PATH_MAX];
	FILE			*idx;
	int			 ch, steps;
	struct vlot		 l;

	memset(&req, 0, sizeof(req));
	while ((ch = getopt(argc, argv, "C:v:f:t:To:")) != -1) {
		switch (ch) {
		case 'C': now_ms = strtoll(optarg, NULL, 10); break;
		case 'v': vdir = optarg; break;
		case 'f': req.from = strtoull(optarg, NULL, 10); break;
		case 't': req.to = strtoull(optarg, NULL, 10); break;
		case 'T': req.by_time = 1; break;
		case 'o': out = optarg; break;
		default: return 2;
		}
	}
	if (vdir == NULL || out == NULL)
		return 2;
	snprintf(path, sizeof(path), "%s/lots.txt", vdir);
	if ((idx = fopen(path, "r")) == NULL)
		err(2, "%s", path);
	while (fscanf(idx, "%" SCNu64 " %" SCNu64 " %" SCNu64 " %" SCNd64,
	    &l.numero, &l.first, &l.last, &l.recu_ms) == 4 &&
	    nvlots < VLOTS_MAX) {
		vlots = reallocarray(vlots, nvlots + 1, sizeof(*vlots));
		vlots[nvlots++] = l;
	}
	fclose(idx);
	if (nvlots == 0)
		errx(2, "empty vault");

	conf.operator_id = 48;
	conf.vault_id = 1;
	env->conf = &conf;
	snprintf(path, sizeof(path), "%s/certs/seal.pem", vdir);
	{
		char	 tsa[PATH_MAX];

		snprintf(tsa, sizeof(tsa), "%s/certs/tsa.pem", vdir);
		if (export_init(path, tsa) == -1)
			errx(2, "export_init");
	}
	if ((bundle = fopen(out, "wb")) == NULL)
		err(2, "%s", out);
	req.reqid = 7;
	strlcpy(req.subject, "CN=agent-anj,O=ANJ,C=FR", sizeof(req.subject));
	m_buf(&m, &req, sizeof(req));
	if (export_request(1, &m) != 0)
		errx(2, "export_request refused the message");
	for (steps = 0; !ended && steps < 10000000; steps++) {
		if ((j = TAILQ_FIRST(&jobs)) != NULL) {
			TAILQ_REMOVE(&jobs, j, entry);
			run(j);
			free(j);
		} else if (audit_fn != NULL) {
			audit_done_fn fn = audit_fn;

			audit_fn = NULL;
			fn(audit_arg, 1);
		} else if (inflight > 0) {
			/* frontd wrote one chunk to the client */
			inflight--;
			memset(&c, 0, sizeof(c));
			c.reqid = req.reqid;
			m_buf(&m, &c, sizeof(c));
			if (export_more(1, &m) != 0)
				errx(2, "export_more refused the message");
		} else
			errx(2, "the export stalled");
	}
	while ((j = TAILQ_FIRST(&jobs)) != NULL) {
		TAILQ_REMOVE(&jobs, j, entry);
		run(j);
		free(j);
	}
	if (fclose(bundle) != 0)
		err(2, "%s", out);
	if (maxinflight > EXPORT_WINDOW)
		errx(2, "%d chunks in flight, window %d", maxinflight,
		    EXPORT_WINDOW);
	if (failed)
		errx(1, "export refused: %s (code %d)",
		    refusal_get((uint32_t)failed) != NULL ?
		    refusal_get((uint32_t)failed)->status : "unknown", failed);
	fprintf(stderr, "chunks %d, at most %d in flight, peak memory %ld kB\n",
	    nchunks, maxinflight, peak_kb());
	return 0;
}

/* VmHWM: the most this process ever held in memory. */
static long
peak_kb(void)
{
	FILE	*fp;
	char	 line[256];
	long	 kb = -1;

	if ((fp = fopen("/proc/self/status", "r")) == NULL)
		return -1;
	while (fgets(line, sizeof(line), fp) != NULL)
		if (sscanf(line, "VmHWM: %ld kB", &kb) == 1)
			break;
	fclose(fp);
	return kb;
}
