/*
 * STOMP 1.2 sessions of the queue front.  A capture agent CONNECTs (its
 * certificate, checked by TLS, is its identity: login and passcode are
 * not used), SUBSCRIBEs to /queue/events.out for its answers and to
 * /queue/archive.out for the archive notices, and SENDs each trace to
 * /queue/events.in.  A SEND goes through the very checks of POST
 * /v1/events (events.c) and to stored; its answer comes back as a
 * MESSAGE on the client's /queue/events.out subscription, then a RECEIPT
 * if one was asked, only once the event is durable.  A refusal is an
 * ERROR frame with the HTTP status and the CFJL_ code, and the
 * connection closes, as STOMP requires.
 *
 * Answers go out in the order of the SENDs; at most FRONTD_PIPELINE_MAX
 * wait on one connection, beyond which its socket is not read (conn.c),
 * so a fast agent cannot make frontd buffer without bound.  An answer
 * the agent did not receive is found again by resending with the same
 * client-id: the idempotency rules are the HTTP API's.
 */
#include <sys/types.h>
#include <sys/queue.h>

#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "conn.h"
#include "events.h"
#include "frontd.h"
#include "http.h"
#include "json.h"
#include "log.h"
#include "proto.h"
#include "refjournal.h"
#include "resp.h"
#include "roles.h"
#include "stompconn.h"
#include "stompframe.h"

#define STOMPCONN_BEAT_MS	10000	/* what we offer, both ways */
#define STOMPCONN_ID_MAX	128	/* subscription id, with the NUL */

#define DEST_IN		"/queue/events.in"
#define DEST_OUT	"/queue/events.out"
#define DEST_ARCHIVE	"/queue/archive.out"

struct stompconn {
	TAILQ_ENTRY(stompconn)	 entry;
	struct conn		*conn;
	int			 connected;
	char			 sub_out[STOMPCONN_ID_MAX];	/* "": none */
	char			 sub_archive[STOMPCONN_ID_MAX];
	unsigned int		 beat_out_ms;	/* 0: we send none */
	unsigned int		 beat_in_ms;	/* 0: we expect none */
	uint64_t		 nmessages;
};

static TAILQ_HEAD(, stompconn)	 sessions = TAILQ_HEAD_INITIALIZER(sessions);
static uint64_t			 nsessions;	/* names them, nothing more */

static void	 stomp_connect(struct stompconn *, const struct stompframe *);
static void	 stomp_subscribe(struct stompconn *, const struct stompframe *);
static void	 stomp_unsubscribe(struct stompconn *,
		    const struct stompframe *);
static void	 stomp_send(struct stompconn *, const struct stompframe *);
static void	 stomp_receipt(struct stompconn *, const struct stompframe *,
		    int);
static void	 stomp_error(struct stompconn *, struct resp *, enum refusal,
		    const char *, const char *, const char *);
static int	 stomp_out(struct resp *, const char *, const char *const *,
		    size_t, const void *, size_t);
static int	 stomp_beats(const char *, unsigned int *, unsigned int *);
static time_t	 stomp_secs(unsigned int);

struct stompconn *
stompconn_new(struct conn *c)
{
	struct stompconn	*s;

	if ((s = calloc(1, sizeof(*s))) == NULL)
		return NULL;
	s->conn = c;
	TAILQ_INSERT_TAIL(&sessions, s, entry);
	return s;
}

void
stompconn_free(struct stompconn *s)
{
	if (s == NULL)
		return;
	TAILQ_REMOVE(&sessions, s, entry);
	free(s);
}

/* Append one frame to r and make it ready.  -1: out of memory. */
static int
stomp_out(struct resp *r, const char *command, const char *const *hdr,
    size_t nhdr, const void *body, size_t bodylen)
{
	char	*buf;
	size_t	 n;
	int	 rc;

	n = stompframe_format(NULL, 0, command, hdr, nhdr, body, bodylen);
	if ((buf = malloc(n)) == NULL)
		return -1;
	(void)stompframe_format(buf, n, command, hdr, nhdr, body, bodylen);
	rc = resp_append(r, buf, n);
	free(buf);
	r->ready = 1;
	conn_resp_ready(r);
	return rc;
}

/*
 * ERROR, then close: r is the SEND's answer, or NULL for a frame of the
 * session itself.  receipt names the frame in fault, when it had one.
 */
static void
stomp_error(struct stompconn *s, struct resp *r, enum refusal code,
    const char *error, const char *detail, const char *receipt)
{
	struct json	 j;
	char		 status[8];
	const char	*hdr[10];
	size_t		 n = 0;

	if (r == NULL)
		r = conn_resp_new(s->conn, RESP_LOCAL);
	r->len = 0;
	r->close = 1;
	snprintf(status, sizeof(status), "%d", refusal_http(code));
	if (detail == NULL || detail[0] == '\0')
		detail = refusal_sentence(code);
	hdr[n++] = "message";
	hdr[n++] = error;
	hdr[n++] = "status";
	hdr[n++] = status;
	hdr[n++] = "code";
	hdr[n++] = refusal_status(code);
	hdr[n++] = "content-type";
	hdr[n++] = "application/json";
	if (receipt != NULL && receipt[0] != '\0') {
		hdr[n++] = "receipt-id";
		hdr[n++] = receipt;
	}
	json_init(&j);
	json_obj_open(&j, NULL);
	json_str(&j, "status", refusal_status(code));
	json_str(&j, "error", error);
	json_str(&j, "detail", detail);
	json_obj_close(&j);
	if (j.err || stomp_out(r, "ERROR", hdr, n / 2, j.buf, j.len) == -1) {
		r->len = 0;
		(void)stomp_out(r, "ERROR", (const char *const[]){ "message",
		    "internal error" }, 1, NULL, 0);
	}
	json_free(&j);
	env->nrefused++;
	log_info("%s: %s: STOMP refused %d: %s: %s", conn_addr(s->conn),
	    conn_subject(s->conn), refusal_http(code), error, detail);
	if (!r->journaled)
		refjournal_client(s->conn, code == REFUSE_FORBIDDEN ?
		    "access-refused" : "stomp-refused", refusal_http(code),
		    "STOMP ERROR %s %s: %s (from %s)", status, error, detail,
		    conn_addr(s->conn));
}

void
stompconn_bad_input(struct stompconn *s, const struct stompframe_parser *p)
{
	stomp_error(s, NULL, p->too_large ? REFUSE_TOO_LARGE :
	    REFUSE_MALFORMED, "malformed frame", p->error, NULL);
}

void
stompconn_frame(struct stompconn *s, const struct stompframe *f)
{
	if (!s->connected && f->command != STOMP_CONNECT &&
	    f->command != STOMP_STOMP) {
		stomp_error(s, NULL, REFUSE_MALFORMED, "not connected",
		    "the first frame must be CONNECT", NULL);
		return;
	}
	switch (f->command) {
	case STOMP_CONNECT:
	case STOMP_STOMP:
		stomp_connect(s, f);
		break;
	case STOMP_SUBSCRIBE:
		stomp_subscribe(s, f);
		break;
	case STOMP_UNSUBSCRIBE:
		stomp_unsubscribe(s, f);
		break;
	case STOMP_SEND:
		stomp_send(s, f);
		break;
	case STOMP_ACK:
	case STOMP_NACK:
		/* Subscriptions are ack:auto; an ACK changes nothing. */
		stomp_receipt(s, f, 0);
		break;
	case STOMP_BEGIN:
	case STOMP_COMMIT:
	case STOMP_ABORT:
		stomp_error(s, NULL, REFUSE_NOT_IMPLEMENTED,
		    "no transactions", "each SEND is durable on its own: "
		    "send without a transaction", stompframe_get(f, "receipt"));
		break;
	case STOMP_DISCONNECT:
		stomp_receipt(s, f, 1);
		break;
	}
}

/* "cx,cy" of a heart-beat header. */
static int
stomp_beats(const char *v, unsigned int *cx, unsigned int *cy)
{
	char		*end;
	unsigned long	 a, b;

	if (!isdigit((unsigned char)v[0]))
		return -1;
	a = strtoul(v, &end, 10);
	if (*end != ',' || !isdigit((unsigned char)end[1]))
		return -1;
	b = strtoul(end + 1, &end, 10);
	if (*end != '\0' || a > 86400000UL || b > 86400000UL)
		return -1;
	*cx = (unsigned int)a;
	*cy = (unsigned int)b;
	return 0;
}

static void
stomp_connect(struct stompconn *s, const struct stompframe *f)
{
	const char	*v, *p;
	char		 beats[32], session[32];
	const char	*hdr[8];
	unsigned int	 cx = 0, cy = 0;
	struct resp	*r;

	if (s->connected) {
		stomp_error(s, NULL, REFUSE_MALFORMED, "already connected",
		    "CONNECT once a connection", NULL);
		return;
	}
	/* accept-version is a list; 1.2 must be in it. */
	v = stompframe_get(f, "accept-version");
	for (p = v; p != NULL; p = strchr(p, ',')) {
		if (*p == ',')
			p++;
		if (strncmp(p, "1.2", 3) == 0 && (p[3] == ',' || p[3] == '\0'))
			break;
	}
	if (p == NULL) {
		r = conn_resp_new(s->conn, RESP_LOCAL);
		stomp_error(s, r, REFUSE_HTTP_VERSION, "version not supported",
		    "this server speaks STOMP 1.2 only (accept-version:1.2)",
		    NULL);
		return;
	}
	if ((v = stompframe_get(f, "heart-beat")) != NULL &&
	    stomp_beats(v, &cx, &cy) == -1) {
		stomp_error(s, NULL, REFUSE_MALFORMED, "bad heart-beat",
		    "heart-beat is two numbers of milliseconds: cx,cy", NULL);
		return;
	}
	if (!(roles_of(conn_ca(s->conn), conn_subject(s->conn), conn_depositor(s->conn)) & ROLE_BIT(ROLE_DEPOSITOR))) {
		stomp_error(s, NULL, REFUSE_FORBIDDEN, "wrong role",
		    "the queue front needs the depositor role", NULL);
		return;
	}
	s->beat_out_ms = cy == 0 ? 0 : cy > STOMPCONN_BEAT_MS ? cy :
	    STOMPCONN_BEAT_MS;
	s->beat_in_ms = cx == 0 ? 0 : cx > STOMPCONN_BEAT_MS ? cx :
	    STOMPCONN_BEAT_MS;
	s->connected = 1;
	snprintf(beats, sizeof(beats), "%u,%u", STOMPCONN_BEAT_MS,
	    STOMPCONN_BEAT_MS);
	snprintf(session, sizeof(session), "cfjl-%" PRIu64, ++nsessions);
	hdr[0] = "version";	hdr[1] = "1.2";
	hdr[2] = "heart-beat";	hdr[3] = beats;
	hdr[4] = "server";	hdr[5] = "cfjl/" CFJL_VERSION;
	hdr[6] = "session";	hdr[7] = session;
	r = conn_resp_new(s->conn, RESP_LOCAL);
	if (stomp_out(r, "CONNECTED", hdr, 4, NULL, 0) == -1)
		r->close = 1;
	log_debug("%s: %s: STOMP session (heart-beats out %u ms, in %u ms)",
	    conn_addr(s->conn), conn_subject(s->conn), s->beat_out_ms,
	    s->beat_in_ms);
}

static void
stomp_subscribe(struct stompconn *s, const struct stompframe *f)
{
	const char	*id = stompframe_get(f, "id");
	const char	*dest = stompframe_get(f, "destination");
	const char	*ack = stompframe_get(f, "ack");
	char		*slot;

	if (id == NULL || id[0] == '\0' || strlen(id) >= STOMPCONN_ID_MAX ||
	    dest == NULL) {
		stomp_error(s, NULL, REFUSE_MALFORMED, "bad SUBSCRIBE",
		    "SUBSCRIBE needs an id (under 128 bytes) and a "
		    "destination", stompframe_get(f, "receipt"));
		return;
	}
	if (strcmp(dest, DEST_OUT) == 0)
		slot = s->sub_out;
	else if (strcmp(dest, DEST_ARCHIVE) == 0)
		slot = s->sub_archive;
	else {
		stomp_error(s, NULL, REFUSE_NOT_FOUND, "no such destination",
		    "subscribe to " DEST_OUT " or " DEST_ARCHIVE,
		    stompframe_get(f, "receipt"));
		return;
	}
	if (ack != NULL && strcmp(ack, "auto") != 0) {
		stomp_error(s, NULL, REFUSE_NOT_IMPLEMENTED, "ack mode",
		    "only ack:auto: an answer is resent by resending the "
		    "trace with its client-id", stompframe_get(f, "receipt"));
		return;
	}
	strlcpy(slot, id, STOMPCONN_ID_MAX);
	stomp_receipt(s, f, 0);
}

static void
stomp_unsubscribe(struct stompconn *s, const struct stompframe *f)
{
	const char	*id = stompframe_get(f, "id");

	if (id == NULL) {
		stomp_error(s, NULL, REFUSE_MALFORMED, "bad UNSUBSCRIBE",
		    "UNSUBSCRIBE needs an id", stompframe_get(f, "receipt"));
		return;
	}
	if (strcmp(s->sub_out, id) == 0)
		s->sub_out[0] = '\0';
	if (strcmp(s->sub_archive, id) == 0)
		s->sub_archive[0] = '\0';
	stomp_receipt(s, f, 0);
}

/* A RECEIPT when the frame asked for one; DISCONNECT closes after it. */
static void
stomp_receipt(struct stompconn *s, const struct stompframe *f, int close)
{
	const char	*receipt = stompframe_get(f, "receipt");
	struct resp	*r;

	if (receipt == NULL && !close)
		return;
	r = conn_resp_new(s->conn, RESP_LOCAL);
	r->close = close;
	if (receipt == NULL) {
		r->ready = 1;
		conn_resp_ready(r);
		return;
	}
	if (stomp_out(r, "RECEIPT", (const char *const[]){ "receipt-id",
	    receipt }, 1, NULL, 0) == -1)
		r->close = 1;
}

static void
stomp_send(struct stompconn *s, const struct stompframe *f)
{
	static struct http_request	 req;
	const char	*dest = stompframe_get(f, "destination");
	const char	*receipt = stompframe_get(f, "receipt");
	const char	*cid = stompframe_get(f, "client-id");
	const char	*digest = stompframe_get(f, "digest");
	const char	*algo = stompframe_get(f, "digest-algo");
	const char	*ts = stompframe_get(f, "timestamp");
	const char	*ct = stompframe_get(f, "content-type");
	struct resp	*r;
	size_t		 i;

	r = conn_resp_new(s->conn, RESP_LOCAL);
	r->stomp = s;
	if (receipt != NULL && strlen(receipt) >= STOMPCONN_RECEIPT_MAX) {
		stomp_error(s, r, REFUSE_MALFORMED, "receipt too long",
		    "a receipt is under 128 bytes", NULL);
		return;
	}
	strlcpy(r->receipt, receipt != NULL ? receipt : "",
	    sizeof(r->receipt));
	if (stompframe_get(f, "transaction") != NULL) {
		stomp_error(s, r, REFUSE_NOT_IMPLEMENTED, "no transactions",
		    "each SEND is durable on its own", receipt);
		return;
	}
	if (dest == NULL || strcmp(dest, DEST_IN) != 0) {
		stomp_error(s, r, REFUSE_NOT_FOUND, "no such destination",
		    "traces are sent to " DEST_IN, receipt);
		return;
	}
	if (!(roles_of(conn_ca(s->conn), conn_subject(s->conn), conn_depositor(s->conn)) & ROLE_BIT(ROLE_DEPOSITOR))) {
		stomp_error(s, r, REFUSE_FORBIDDEN, "wrong role",
		    "depositing needs the depositor role", receipt);
		return;
	}
	memset(&req, 0, sizeof(req));
	req.method = HTTP_POST;
	req.minor = 1;
	req.keepalive = 1;
	/* As the HTTP parser keeps it: lower case, without parameters. */
	strlcpy(req.content_type, ct != NULL ? ct : "application/xml",
	    sizeof(req.content_type));
	req.content_type[strcspn(req.content_type, "; \t")] = '\0';
	for (i = 0; req.content_type[i] != '\0'; i++)
		req.content_type[i] = (char)tolower(
		    (unsigned char)req.content_type[i]);
	if (cid != NULL) {
		if (cid[0] == '\0' || strlen(cid) >= sizeof(req.client_id)) {
			stomp_error(s, r, REFUSE_MALFORMED, "bad client-id",
			    "a client-id is 1 to 127 bytes", receipt);
			return;
		}
		strlcpy(req.client_id, cid, sizeof(req.client_id));
		req.has_client_id = 1;
	}
	if ((digest == NULL) != (algo == NULL) ||
	    (algo != NULL && strcasecmp(algo, "SHA-256") != 0)) {
		stomp_error(s, r, REFUSE_MALFORMED, "bad digest",
		    "digest goes with digest-algo:SHA-256", receipt);
		return;
	}
	if (digest != NULL && snprintf(req.digest, sizeof(req.digest),
	    "sha-256=%s", digest) >= (int)sizeof(req.digest)) {
		stomp_error(s, r, REFUSE_MALFORMED, "bad digest",
		    "digest is 64 hex digits or 44 base64 characters",
		    receipt);
		return;
	}
	if (ts != NULL && strlcpy(req.timestamp, ts, sizeof(req.timestamp)) >=
	    sizeof(req.timestamp)) {
		stomp_error(s, r, REFUSE_MALFORMED, "bad timestamp",
		    "timestamp too long", receipt);
		return;
	}
	req.body = f->body;
	req.bodylen = f->bodylen;
	events_request(s->conn, r, &req, 0);
}

void
stompconn_answer(struct resp *r, const struct deposit_item *it)
{
	struct stompconn	*s = r->stomp;
	struct json		 j;
	char			 idevt[24], lot[24], msgid[32], hex[65];
	char			 cid[CLIENT_ID_MAX];
	const char		*hdr[22], *status;
	size_t			 n = 0, i;
	int			 rc = 0;

	status = it->duplicate ? ANSWER_DUPLICATE : ANSWER_OK;
	memcpy(cid, it->client_id, sizeof(cid));
	cid[sizeof(cid) - 1] = '\0';
	snprintf(idevt, sizeof(idevt), "%" PRIu64, it->idevt);
	snprintf(lot, sizeof(lot), "%" PRIu64, it->lot);
	for (i = 0; i < SHA256_LEN; i++)
		snprintf(hex + 2 * i, 3, "%02x", it->digest[i]);
	r->len = 0;
	if (s->sub_out[0] != '\0') {
		snprintf(msgid, sizeof(msgid), "m-%" PRIu64, ++s->nmessages);
		hdr[n++] = "subscription";	hdr[n++] = s->sub_out;
		hdr[n++] = "message-id";	hdr[n++] = msgid;
		hdr[n++] = "destination";	hdr[n++] = DEST_OUT;
		hdr[n++] = "content-type";	hdr[n++] = "application/json";
		hdr[n++] = "status";		hdr[n++] = status;
		hdr[n++] = "idevt";		hdr[n++] = idevt;
		hdr[n++] = "lot";		hdr[n++] = lot;
		hdr[n++] = "digest-algo";	hdr[n++] = "SHA-256";
		hdr[n++] = "digest";		hdr[n++] = hex;
		if (cid[0] != '\0') {
			hdr[n++] = "client-id";	hdr[n++] = cid;
		}
		if (r->receipt[0] != '\0') {
			hdr[n++] = "receipt";	hdr[n++] = r->receipt;
		}
		json_init(&j);
		json_obj_open(&j, NULL);
		json_str(&j, "status", status);
		json_u64(&j, "idevt", it->idevt);
		json_str(&j, "digest_algo", "SHA-256");
		json_hex(&j, "digest", it->digest, SHA256_LEN);
		json_u64(&j, "lot", it->lot);
		json_str(&j, "client_id", cid);
		json_time_ms(&j, "received", it->received_ms);
		json_obj_close(&j);
		rc = j.err ? -1 : stomp_out(r, "MESSAGE", hdr, n / 2, j.buf,
		    j.len);
		json_free(&j);
	}
	if (rc == 0 && r->receipt[0] != '\0')
		rc = stomp_out(r, "RECEIPT", (const char *const[]){
		    "receipt-id", r->receipt }, 1, NULL, 0);
	if (rc == -1) {
		stomp_error(s, r, REFUSE_INTERNAL, "out of memory",
		    "the event is stored: resend it with its client-id to get "
		    "its answer", r->receipt);
		return;
	}
	r->ready = 1;
	conn_resp_ready(r);
}

void
stompconn_refuse(struct resp *r, enum refusal code, const char *error,
    const char *detail)
{
	stomp_error(r->stomp, r, code, error, detail, r->receipt);
}

void
stompconn_lot_sealed(const struct lot_sealed *ls)
{
	struct stompconn	*s;
	struct resp		*r;
	char			 lot[24], first[24], last[24], msgid[32];
	char			 sealed[32];
	const char		*hdr[16];
	time_t			 t;
	struct tm		 tm;

	snprintf(lot, sizeof(lot), "%" PRIu64, ls->lot);
	snprintf(first, sizeof(first), "%" PRIu64, ls->first);
	snprintf(last, sizeof(last), "%" PRIu64, ls->last);
	t = (time_t)(ls->sealed_ms / 1000);
	if (gmtime_r(&t, &tm) == NULL ||
	    strftime(sealed, sizeof(sealed), "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		strlcpy(sealed, "?", sizeof(sealed));
	TAILQ_FOREACH(s, &sessions, entry) {
		if (s->sub_archive[0] == '\0')
			continue;
		if (conn_pending(s->conn) >= STOMPCONN_NOTICES_MAX) {
			log_info("%s: %s: archive notice of lot %s not sent: "
			    "the client does not read", conn_addr(s->conn),
			    conn_subject(s->conn), lot);
			continue;
		}
		snprintf(msgid, sizeof(msgid), "m-%" PRIu64, ++s->nmessages);
		hdr[0] = "subscription";	hdr[1] = s->sub_archive;
		hdr[2] = "message-id";		hdr[3] = msgid;
		hdr[4] = "destination";		hdr[5] = DEST_ARCHIVE;
		hdr[6] = "lot";			hdr[7] = lot;
		hdr[8] = "first";		hdr[9] = first;
		hdr[10] = "last";		hdr[11] = last;
		hdr[12] = "sealed";		hdr[13] = sealed;
		r = conn_resp_new(s->conn, RESP_LOCAL);
		if (stomp_out(r, "MESSAGE", hdr, 7, NULL, 0) == -1)
			r->close = 1;
	}
}

/* Milliseconds to whole seconds, rounded up. */
static time_t
stomp_secs(unsigned int ms)
{
	return (time_t)((ms + 999) / 1000);
}

/* When the client's silence ends the session: no heart-beats, idle-timeout. */
static time_t
stomp_read_deadline(const struct stompconn *s, time_t last_read,
    time_t idle_timeout)
{
	/* Twice the interval, as the specification allows for delays. */
	return last_read + (s->beat_in_ms ? 2 * stomp_secs(s->beat_in_ms) :
	    idle_timeout);
}

time_t
stompconn_deadline(const struct stompconn *s, time_t last_read,
    time_t last_write, time_t idle_timeout)
{
	time_t	 in, out;

	in = stomp_read_deadline(s, last_read, idle_timeout);
	if (s->beat_out_ms == 0)
		return in;
	out = last_write + stomp_secs(s->beat_out_ms);
	return in < out ? in : out;
}

int
stompconn_timeout(const struct stompconn *s, time_t last_read,
    time_t last_write, time_t now, time_t idle_timeout)
{
	if (now >= stomp_read_deadline(s, last_read, idle_timeout))
		return STOMPCONN_CLOSE;
	if (s->beat_out_ms != 0 &&
	    now >= last_write + stomp_secs(s->beat_out_ms))
		return STOMPCONN_BEAT;
	return STOMPCONN_WAIT;
}
