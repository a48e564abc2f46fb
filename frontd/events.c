/*
 * Deposits: POST /v1/events (one trace) and POST /v1/events/batch
 * (<Traces>, all or nothing).  Checks, in order: media type (415), the
 * Digest header against the body as sent (400), Client-Id, every trace
 * (400/422, with "index" in a batch), then the whole goes to stored in
 * one IMSG_DEPOSIT; the answer comes back by reqid (links.c).  Nothing
 * leaves frontd for a refused request, so a refusal consumes no IDEvt.
 */
#include <sys/types.h>
#include <sys/uio.h>

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>

#include "audit.h"
#include "config.h"
#include "conn.h"
#include "events.h"
#include "frontd.h"
#include "http.h"
#include "json.h"
#include "refjournal.h"
#include "links.h"
#include "log.h"
#include "resp.h"
#include "rfc3339.h"
#include "stompconn.h"

static int	 deposit_digest(const char *, const uint8_t *, char *,
		    size_t);
static int	 deposit_unhex(const char *, size_t, uint8_t *);
static void	 deposit_refuse(struct conn *, struct resp *, enum refusal,
		    const char *, const char *, long);
static int64_t	 deposit_now_ms(void);
static void	 deposit_sha256(const void *, size_t, uint8_t *);

/*
 * SHA-256 fetched once and one context reused: EVP_Digest() with
 * EVP_sha256() looks the algorithm up and makes a context every call,
 * which costs more than hashing a trace.
 */
static EVP_MD		*sha256_md;
static EVP_MD_CTX	*sha256_ctx;

/*
 * A request's working arrays, kept from one request to the next (frontd
 * handles one request at a time): slices, checked traces, the headers
 * for stored and the iovecs that point into the body.
 */
static struct {
	struct trace_slice	*sl;
	struct trace_out	*out;
	struct deposit_trace	*dt;
	struct iovec		*iov;
	size_t			 cap;
} scratch;

static int	 deposit_scratch(size_t);

void
events_init(void)
{
	if ((sha256_md = EVP_MD_fetch(NULL, "SHA256", NULL)) == NULL ||
	    (sha256_ctx = EVP_MD_CTX_new()) == NULL)
		fatalx("%s: SHA-256 unavailable", __func__);
}

/* Room for n traces in scratch; -1 if out of memory (kept as it was). */
static int
deposit_scratch(size_t n)
{
	void	*p;

	if (n <= scratch.cap)
		return 0;
	if ((p = reallocarray(scratch.sl, n, sizeof(*scratch.sl))) == NULL)
		return -1;
	scratch.sl = p;
	if ((p = reallocarray(scratch.out, n, sizeof(*scratch.out))) == NULL)
		return -1;
	scratch.out = p;
	if ((p = reallocarray(scratch.dt, n, sizeof(*scratch.dt))) == NULL)
		return -1;
	scratch.dt = p;
	if ((p = reallocarray(scratch.iov, 1 + 4 * n, sizeof(*scratch.iov))) ==
	    NULL)
		return -1;
	scratch.iov = p;
	scratch.cap = n;
	return 0;
}

static void
deposit_sha256(const void *data, size_t len, uint8_t *out)
{
	unsigned int	 mdlen;

	if (EVP_DigestInit_ex2(sha256_ctx, sha256_md, NULL) != 1 ||
	    EVP_DigestUpdate(sha256_ctx, data, len) != 1 ||
	    EVP_DigestFinal_ex(sha256_ctx, out, &mdlen) != 1 ||
	    mdlen != SHA256_LEN)
		fatalx("%s: SHA-256", __func__);
}

static int64_t
deposit_now_ms(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void
deposit_refuse(struct conn *c, struct resp *r, enum refusal code,
    const char *error, const char *detail, long index)
{
	int	 status = refusal_http(code);

	env->nrefused++;
	log_info("%s: %s: deposit refused %d: %s: %s", conn_addr(c),
	    conn_subject(c), status, error, detail);
	if (index >= 0)
		refjournal_client(c, "deposit-refused", status,
		    "%d %s (trace %ld): %s", status, error, index, detail);
	else
		refjournal_client(c, "deposit-refused", status, "%d %s: %s",
		    status, error, detail);
	r->journaled = 1;
	resp_error(r, code, error, detail, index);
}

static int
deposit_unhex(const char *s, size_t len, uint8_t *out)
{
	size_t	 i;
	int	 hi, lo;

	if (len != 2 * SHA256_LEN)
		return -1;
	for (i = 0; i < SHA256_LEN; i++) {
		hi = isdigit((unsigned char)s[2 * i]) ? s[2 * i] - '0' :
		    isxdigit((unsigned char)s[2 * i]) ?
		    tolower((unsigned char)s[2 * i]) - 'a' + 10 : -1;
		lo = isdigit((unsigned char)s[2 * i + 1]) ?
		    s[2 * i + 1] - '0' :
		    isxdigit((unsigned char)s[2 * i + 1]) ?
		    tolower((unsigned char)s[2 * i + 1]) - 'a' + 10 : -1;
		if (hi < 0 || lo < 0)
			return -1;
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	return 0;
}

/*
 * Digest: sha-256=<hex> (our capture agents), or SHA-256=<base64> (RFC
 * 3230); other algorithms in the list are ignored, but sha-256 must be
 * there.  0 if it matches, -1 with a reason otherwise.
 */
static int
deposit_digest(const char *hdr, const uint8_t *sum, char *why, size_t size)
{
	const char	*p, *e, *v;
	uint8_t		 want[SHA256_LEN];
	unsigned char	 b64[64];
	size_t		 vl;
	int		 n, seen = 0;

	for (p = hdr; *p != '\0'; p = *e != '\0' ? e + 1 : e) {
		while (*p == ' ' || *p == '\t')
			p++;
		if ((e = strchr(p, ',')) == NULL)
			e = p + strlen(p);
		if (strncasecmp(p, "sha-256=", 8) != 0)
			continue;
		v = p + 8;
		vl = (size_t)(e - v);
		while (vl > 0 && (v[vl - 1] == ' ' || v[vl - 1] == '\t'))
			vl--;
		seen = 1;
		if (deposit_unhex(v, vl, want) == 0) {
			if (memcmp(want, sum, SHA256_LEN) != 0)
				goto mismatch;
			continue;
		}
		if (vl != 44) {
			snprintf(why, size, "Digest sha-256 must be 64 hex "
			    "digits or 44 base64 characters");
			return -1;
		}
		n = EVP_DecodeBlock(b64, (const unsigned char *)v, (int)vl);
		if (n != 33 || v[43] != '=' || v[42] == '=') {
			snprintf(why, size, "Digest sha-256 is neither hex "
			    "nor base64");
			return -1;
		}
		if (memcmp(b64, sum, SHA256_LEN) != 0)
			goto mismatch;
	}
	if (!seen) {
		snprintf(why, size, "Digest carries no sha-256 value");
		return -1;
	}
	return 0;
 mismatch:
	snprintf(why, size, "the body's SHA-256 differs from the Digest "
	    "header: the trace was altered or cut in transit");
	return -1;
}

void
events_request(struct conn *c, struct resp *r,
    const struct http_request *req, int batch)
{
	struct deposit_req	 dr;
	struct deposit_trace	*dt;
	struct trace_out	*out;
	struct trace_slice	*sl;
	struct trace_error	 te;
	struct iovec		*iov;
	uint8_t			 sum[SHA256_LEN];
	char			 why[256];
	size_t			 n = 1, i, total, max;
	int			 k, niov = 0;

	if (strcmp(req->content_type, "application/xml") != 0 &&
	    strcmp(req->content_type, "text/xml") != 0) {
		snprintf(why, sizeof(why), "send the trace%s as "
		    "application/xml, not %.64s", batch ? "s" : "",
		    req->content_type[0] ? req->content_type : "nothing");
		deposit_refuse(c, r, REFUSE_MEDIA_TYPE,
		    "unsupported media type", why, -1);
		return;
	}
	/* A batch's own digest only serves its Digest header. */
	if (!batch || req->digest[0] != '\0')
		deposit_sha256(req->body, req->bodylen, sum);
	if (req->digest[0] != '\0' &&
	    deposit_digest(req->digest, sum, why, sizeof(why)) == -1) {
		deposit_refuse(c, r, REFUSE_MALFORMED, "Digest mismatch", why,
		    -1);
		return;
	}
	if (batch && req->has_client_id &&
	    strlen(req->client_id) + 8 >= CLIENT_ID_MAX) {
		deposit_refuse(c, r, REFUSE_MALFORMED, "Client-Id too long",
		    "a batch's Client-Id is at most 119 bytes (each trace gets "
		    "it with .N appended)", -1);
		return;
	}
	/* The depositor's time goes into the lot as sent: RFC 3339 only. */
	if (req->has_timestamp && (req->timestamp_bad ||
	    rfc3339_check(req->timestamp, strlen(req->timestamp)) == -1)) {
		if (req->timestamp_bad)
			snprintf(why, sizeof(why), "the Timestamp header is "
			    "too long or not printable ASCII: it is not an "
			    "RFC 3339 date-time; nothing was stored");
		else
			snprintf(why, sizeof(why), "Timestamp \"%.64s\" is not "
			    "an RFC 3339 date-time (YYYY-MM-DDThh:mm:ss[.frac] "
			    "then Z or +hh:mm); nothing was stored",
			    req->timestamp);
		deposit_refuse(c, r, REFUSE_TIMESTAMP, "malformed Timestamp",
		    why, -1);
		return;
	}

	max = batch ? env->conf->frontd.max_batch : 1;
	if (deposit_scratch(max) == -1)
		goto oom;
	sl = scratch.sl;
	out = scratch.out;
	dt = scratch.dt;
	iov = scratch.iov;
	if (batch) {
		if (trace_batch_split(&env->policy, req->body, req->bodylen,
		    max, sl, &n, &te) == -1) {
			deposit_refuse(c, r, te.code, te.error, te.detail, -1);
			return;
		}
	} else {
		sl[0].off = 0;
		sl[0].len = req->bodylen;
	}

	memset(&dr, 0, sizeof(dr));
	iov[niov].iov_base = &dr;
	iov[niov++].iov_len = sizeof(dr);
	total = sizeof(dr);
	for (i = 0; i < n; i++) {
		if (trace_check(&env->policy, req->body + sl[i].off,
		    sl[i].len, &out[i], &te) == -1) {
			deposit_refuse(c, r, te.code, te.error, te.detail,
			    batch ? (long)i : -1);
			return;
		}
		/* Zeroed: the padding of its strings goes to stored. */
		memset(&dt[i], 0, sizeof(dt[i]));
		dt[i].len = (uint32_t)out[i].len;
		dt[i].idevt_off = (uint32_t)out[i].idevt_off;
		dt[i].idevt_len = 0;
		strlcpy(dt[i].type, out[i].type, sizeof(dt[i].type));
		strlcpy(dt[i].dateevt, out[i].dateevt, sizeof(dt[i].dateevt));
		if (req->has_client_id && batch) {
			if (snprintf(dt[i].client_id, sizeof(dt[i].client_id),
			    "%.118s.%zu", req->client_id, i) < 0)
				fatalx("%s: snprintf", __func__);
		}
		else if (req->has_client_id)
			strlcpy(dt[i].client_id, req->client_id,
			    sizeof(dt[i].client_id));
		if (batch)
			deposit_sha256(req->body + sl[i].off, sl[i].len,
			    dt[i].body_sha256);
		else
			memcpy(dt[i].body_sha256, sum, SHA256_LEN);
		iov[niov].iov_base = &dt[i];
		iov[niov++].iov_len = sizeof(dt[i]);
		for (k = 0; k < out[i].iovcnt; k++)
			iov[niov++] = out[i].iov[k];
		total += sizeof(dt[i]) + out[i].len;
	}
	if (total > CFJL_MSG_MAX) {
		snprintf(why, sizeof(why), "the batch exceeds %u bytes once "
		    "framed: send fewer traces at once", CFJL_MSG_MAX);
		deposit_refuse(c, r, REFUSE_TOO_LARGE, "batch too large", why,
		    -1);
		return;
	}
	if (!env->stored_up) {
		deposit_refuse(c, r, REFUSE_UNAVAILABLE, "storage unavailable",
		    "the store is not reachable: nothing was stored; try again "
		    "later", -1);
		return;
	}

	r->kind = RESP_DEPOSIT;
	r->batch = batch;
	r->ntraces = (uint32_t)n;
	strlcpy(r->client_id, req->has_client_id ? req->client_id : "",
	    sizeof(r->client_id));
	links_wait(r);
	dr.reqid = r->reqid;
	dr.ntraces = (uint32_t)n;
	dr.batch = batch;
	dr.received_ms = deposit_now_ms();
	memcpy(dr.depositor, conn_depositor(c), SHA256_LEN);
	strlcpy(dr.subject, conn_subject(c), sizeof(dr.subject));
	strlcpy(dr.stamp, req->timestamp, sizeof(dr.stamp));
	if (links_send(IMSG_DEPOSIT, iov, niov) == -1) {
		links_forget(r);
		deposit_refuse(c, r, REFUSE_UNAVAILABLE, "storage unavailable",
		    "the store is not reachable: nothing was stored; try again "
		    "later", -1);
		return;
	}
	if (log_getverbose() > 1)
		log_debug("%s: %s: %zu trace%s to stored (reqid %llu)",
		    conn_addr(c), conn_subject(c), n, n == 1 ? "" : "s",
		    (unsigned long long)r->reqid);
	return;
 oom:
	log_warn("%s", __func__);
	resp_error(r, REFUSE_UNAVAILABLE, "out of memory", "try again later",
	    -1);
}

/* stored's answer: one item a trace, in order. */
void
events_answer(struct resp *r, const struct deposit_ok *ok,
    const struct deposit_item *items, size_t n)
{
	static struct json	 j;	/* its buffer serves every answer */
	char			 cid[CLIENT_ID_MAX];
	size_t			 i, ndup = 0;

	if (r->stomp != NULL) {
		env->ndeposits += !items[0].duplicate;
		stompconn_answer(r, &items[0]);
		return;
	}
	for (i = 0; i < n; i++)
		if (items[i].duplicate)
			ndup++;
	env->ndeposits += n - ndup;
	json_reset(&j);
	json_obj_open(&j, NULL);
	if (r->batch) {
		json_str(&j, "status", ndup == n ? ANSWER_DUPLICATE :
		    ANSWER_OK);
		json_u64(&j, "count", n);
		json_arr_open(&j, "items");
	}
	for (i = 0; i < n; i++) {
		if (r->batch)
			json_obj_open(&j, NULL);
		json_str(&j, "status", items[i].duplicate ?
		    ANSWER_DUPLICATE : ANSWER_OK);
		json_u64(&j, "idevt", items[i].idevt);
		json_str(&j, "digest_algo", "SHA-256");
		json_hex(&j, "digest", items[i].digest, SHA256_LEN);
		json_b64(&j, "record_digest", items[i].record, SHA256_LEN);
		json_u64(&j, "lot", items[i].lot);
		memcpy(cid, items[i].client_id, sizeof(cid));
		cid[sizeof(cid) - 1] = '\0';
		json_str(&j, "client_id", cid[0] != '\0' ? cid :
		    r->batch ? "" : r->client_id);
		json_time_ms(&j, "received", items[i].received_ms);
		if (r->batch)
			json_obj_close(&j);
	}
	if (r->batch)
		json_arr_close(&j);
	json_obj_close(&j);
	resp_json(r, 201, &j, NULL);
	if (j.cap > 64 * 1024)
		json_free(&j);	/* a big batch's buffer is not kept */
}
