/*
 * Every answer the load generator gets is checked: 201, JSON status
 * CFJL_OK for each trace, a digest of 64 hex digits equal to the SHA-256
 * of the trace as the vault archives it (the IDEvt it gave written in),
 * and one IDEvt per trace.  At the end the IDEvt values of all
 * connections are sorted: unique, and one range without gaps (in crash
 * mode, where a request without Client-Id that got no answer may have
 * been stored all the same, unique only).  In crash mode a 503 must
 * carry Retry-After, and a resent request may be answered
 * CFJL_DUPLICATE_EVENT.  Latency
 * samples are kept whole (microseconds, bounded) and sorted once for the
 * percentiles.
 */
#define _GNU_SOURCE		/* memmem */
#include <sys/types.h>

#include <inttypes.h>
#include <stddef.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/evp.h>

#include "loadgen.h"
#include "log.h"
#include "refusal.h"

#define CHECK_SAMPLES_MAX	(64 * 1024 * 1024)
#define CHECK_ERRORS_SHOWN	10

struct lg_stats	 lg_stats;
int		 lg_check_digest = 1;

static uint64_t	*check_ids;
static size_t	 check_nids, check_capids;
/* Microseconds, one per answered deposit. */
struct check_samples {
	uint32_t	*v;
	size_t		 n, cap;
};
static struct check_samples check_lat;	/* due -> answered */
static struct check_samples check_lag;	/* due -> queued: our own delay */
static struct check_samples check_vault; /* queued -> answered */
static uint64_t	 check_shown;
static EVP_MD_CTX *check_md;

static void	 check_push_id(uint64_t);
static void	 check_push(struct check_samples *, uint64_t);
static void	 check_pct(struct check_samples *, double *, double *,
		    double *, double *, double *);
static int	 check_cmp64(const void *, const void *);
static int	 check_cmp32(const void *, const void *);
static const char *check_key(const char *, const char *, const char *);
static int	 check_digest(const struct lg_req *, uint32_t, uint64_t,
		    const char *);

void
check_init(size_t expect)
{
	check_capids = expect > 1024 ? expect : 1024;
	if ((check_ids = reallocarray(NULL, check_capids,
	    sizeof(*check_ids))) == NULL)
		fatal("%s", __func__);
	if ((check_md = EVP_MD_CTX_new()) == NULL)
		fatalx("EVP_MD_CTX_new failed");
}

void
check_error(const char *fmt, ...)
{
	va_list	 ap;
	char	 buf[512];

	lg_stats.errors++;
	if (check_shown++ >= CHECK_ERRORS_SHOWN)
		return;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	log_warnx("%s", buf);
}

static void
check_push_id(uint64_t id)
{
	uint64_t	*n;

	if (check_nids == check_capids) {
		if ((n = reallocarray(check_ids, check_capids * 2,
		    sizeof(*n))) == NULL)
			fatal("%s", __func__);
		check_ids = n;
		check_capids *= 2;
	}
	check_ids[check_nids++] = id;
}

static void
check_push(struct check_samples *sm, uint64_t ns)
{
	uint32_t	*n;
	uint64_t	 us = ns / 1000;
	size_t		 cap;

	if (sm->n == CHECK_SAMPLES_MAX)
		return;
	if (sm->n == sm->cap) {
		cap = sm->cap ? sm->cap * 2 : 1024;
		if ((n = reallocarray(sm->v, cap, sizeof(*n))) == NULL)
			fatal("%s", __func__);
		sm->v = n;
		sm->cap = cap;
	}
	sm->v[sm->n++] = us > UINT32_MAX ? UINT32_MAX : us;
}

/* The value after "key": (spaces allowed), or NULL. */
static const char *
check_key(const char *p, const char *end, const char *key)
{
	size_t	 kl = strlen(key);

	while (p < end && (p = memmem(p, end - p, key, kl)) != NULL) {
		p += kl;
		while (p < end && (*p == ' ' || *p == '\t'))
			p++;
		if (p < end && *p == ':') {
			p++;
			while (p < end && (*p == ' ' || *p == '\t'))
				p++;
			return p;
		}
	}
	return NULL;
}

/* The digest the vault must give: the trace with its IDEvt written in. */
static int
check_digest(const struct lg_req *r, uint32_t i, uint64_t idevt,
    const char *hex)
{
	const struct lg_trace	*t = &r->traces[i];
	const char		*s = r->body + t->off;
	unsigned char		 md[EVP_MAX_MD_SIZE];
	char			 num[24], want[65];
	unsigned int		 mdlen;
	int			 n;

	n = snprintf(num, sizeof(num), "%" PRIu64, idevt);
	if (EVP_DigestInit_ex(check_md, EVP_sha256(), NULL) != 1 ||
	    EVP_DigestUpdate(check_md, s, t->idoff) != 1 ||
	    EVP_DigestUpdate(check_md, num, n) != 1 ||
	    EVP_DigestUpdate(check_md, s + t->idoff + 1,
	    t->len - t->idoff - 1) != 1 ||
	    EVP_DigestFinal_ex(check_md, md, &mdlen) != 1)
		fatalx("SHA-256 failed");
	if (mdlen != 32)
		fatalx("SHA-256 failed");
	client_hex(md, mdlen, want);
	return strncasecmp(want, hex, 64) == 0 ? 0 : -1;
}

void
check_conn_error(const char *fmt, ...)
{
	va_list	 ap;
	char	 buf[512];

	if (lg_resend) {
		lg_stats.conn_errors++;
		return;
	}
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	check_error("%s", buf);
}

int
check_lost(struct lg_req *r, const char *why)
{
	if (r->kind != LG_REQ_DEPOSIT)
		return 0;
	if (resend_keep(r, lg_now()))
		return 1;
	if (lg_resend)
		return 0;
	lg_stats.lost++;
	check_error("request lost: %s", why);
	return 0;
}

int
check_answer(struct lg_req *r, int status, const char *body, size_t len,
    uint64_t now)
{
	static const char ok[] = "\"" ANSWER_OK "\"";
	static const char dup[] = "\"" ANSWER_DUPLICATE "\"";
	const char	*end = body + len, *p, *q;
	uint64_t	 ids[LG_BATCH_MAX];
	const char	*digests[LG_BATCH_MAX];
	size_t		 nid = 0, ndig = 0, nstat = 0, ndup = 0, i, k;
	uint64_t	 lot;
	char		*ep;

	if (r->kind == LG_REQ_STATUS) {
		if (status == 200)
			seal_status(body, len, now);
		return 0;
	}
	if (r->kind != LG_REQ_DEPOSIT)
		return 0;
	check_push(&check_lat, now > r->sched_ns ? now - r->sched_ns : 0);
	check_push(&check_lag, r->queued_ns > r->sched_ns ?
	    r->queued_ns - r->sched_ns : 0);
	check_push(&check_vault, now > r->queued_ns ? now - r->queued_ns : 0);
	if (lg_stats.last_ns < now)
		lg_stats.last_ns = now;
	if (status == 503 && lg_resend) {
		lg_stats.unavailable++;
		if (r->retry_after <= 0)
			check_error("503 without Retry-After: %.*s",
			    (int)(len > 300 ? 300 : len), body);
		return resend_keep(r, now);
	}
	if (status != 201) {
		lg_stats.bad_status++;
		check_error("HTTP %d: %.*s", status, (int)(len > 300 ? 300 :
		    len), body);
		return 0;
	}
	for (p = body; (p = check_key(p, end, "\"status\"")) != NULL; ) {
		nstat++;
		if (lg_resend && end - p >= (ptrdiff_t)sizeof(dup) - 1 &&
		    strncmp(p, dup, sizeof(dup) - 1) == 0) {
			ndup++;
			continue;
		}
		if (end - p < (ptrdiff_t)sizeof(ok) - 1 ||
		    strncmp(p, ok, sizeof(ok) - 1) != 0) {
			lg_stats.bad_json++;
			check_error("status not " ANSWER_OK ": %.*s",
			    (int)(len > 300 ? 300 : len), body);
			return 0;
		}
	}
	for (p = body; (p = check_key(p, end, "\"idevt\"")) != NULL &&
	    nid < LG_BATCH_MAX; p = ep) {
		ids[nid] = strtoull(p, &ep, 10);
		if (ep == p || ids[nid] == 0)
			break;
		nid++;
	}
	for (p = body; (p = check_key(p, end, "\"lot\"")) != NULL; p = ep) {
		lot = strtoull(p, &ep, 10);
		if (ep == p)
			break;
		seal_ack(lot, now);
	}
	for (p = body; (p = check_key(p, end, "\"digest\"")) != NULL &&
	    ndig < LG_BATCH_MAX; p++) {
		if (*p != '"' || end - p < 66)
			break;
		for (q = p + 1, k = 0; k < 64 && q < end; k++, q++)
			if (!((*q >= '0' && *q <= '9') ||
			    (*q >= 'a' && *q <= 'f') ||
			    (*q >= 'A' && *q <= 'F')))
				break;
		if (k != 64 || *q != '"')
			break;
		digests[ndig++] = p + 1;
	}
	if (nstat == 0 || nid != r->ntraces || ndig != r->ntraces) {
		lg_stats.bad_json++;
		check_error("answer for %u traces with %zu idevt, %zu digests, "
		    "%zu status: %.*s", r->ntraces, nid, ndig, nstat,
		    (int)(len > 300 ? 300 : len), body);
		return 0;
	}
	if (ndup != 0 && ndup != nstat) {
		lg_stats.bad_json++;
		check_error("a batch answered in part as a duplicate: %.*s",
		    (int)(len > 300 ? 300 : len), body);
		return 0;
	}
	for (i = 0; i < nid; i++) {
		if (lg_check_digest && check_digest(r, i, ids[i],
		    digests[i]) == -1) {
			lg_stats.bad_digest++;
			check_error("IDEvt %" PRIu64 ": digest %.64s is not "
			    "the SHA-256 of the archived trace", ids[i],
			    digests[i]);
			return 0;
		}
	}
	if (r->echo)
		return resend_acked(r, ids, digests, nid, ndup != 0);
	for (i = 0; i < nid; i++)
		check_push_id(ids[i]);
	lg_stats.events += nid;
	if (lg_resend)
		return resend_acked(r, ids, digests, nid, ndup != 0);
	return 0;
}

static int
check_cmp64(const void *a, const void *b)
{
	uint64_t	 x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static int
check_cmp32(const void *a, const void *b)
{
	uint32_t	 x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

int
check_idevts(uint64_t *first, uint64_t *last, uint64_t *gaps,
    uint64_t *dups)
{
	size_t	 i, uniq;

	*first = *last = *gaps = *dups = 0;
	if (check_nids == 0)
		return 0;
	qsort(check_ids, check_nids, sizeof(*check_ids), check_cmp64);
	uniq = 1;
	for (i = 1; i < check_nids; i++) {
		if (check_ids[i] == check_ids[i - 1])
			(*dups)++;
		else
			uniq++;
	}
	*first = check_ids[0];
	*last = check_ids[check_nids - 1];
	*gaps = (*last - *first + 1) - uniq;
	lg_stats.duplicates = *dups;
	return (*dups == 0 && *gaps == 0) ? 0 : -1;
}

size_t
check_nsamples(void)
{
	return check_lat.n;
}

static void
check_pct(struct check_samples *sm, double *p50, double *p99, double *p999,
    double *max, double *mean)
{
	double	 sum = 0;
	size_t	 i;

	*p50 = *p99 = *p999 = *max = *mean = 0;
	if (sm->n == 0)
		return;
	qsort(sm->v, sm->n, sizeof(*sm->v), check_cmp32);
#define PCT(p)	sm->v[(size_t)((p) / 100.0 * (sm->n - 1) + 0.5)]
	*p50 = PCT(50) / 1000.0;
	*p99 = PCT(99) / 1000.0;
	*p999 = PCT(99.9) / 1000.0;
#undef PCT
	*max = sm->v[sm->n - 1] / 1000.0;
	for (i = 0; i < sm->n; i++)
		sum += sm->v[i];
	*mean = sum / sm->n / 1000.0;
}

void
check_latency(double *p50, double *p99, double *p999, double *max,
    double *mean)
{
	check_pct(&check_lat, p50, p99, p999, max, mean);
}

/*
 * The two parts of the latency: how late the load generator itself
 * queued each request (its own CPU share on a busy machine), and the
 * time from then to the answer.  Their percentiles do not add up.
 */
void
check_latency_split(double *lag_p99, double *vault_p50, double *vault_p99)
{
	double	 p50, p999, max, mean;

	check_pct(&check_lag, &p50, lag_p99, &p999, &max, &mean);
	check_pct(&check_vault, vault_p50, vault_p99, &p999, &max, &mean);
}
