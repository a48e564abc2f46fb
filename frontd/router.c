/*
 * Routes and roles, and the shape of every answer.
 *
 *	POST /v1/events			depositor
 *	POST /v1/events/batch		depositor
 *	GET  /v1/lots/{n}		depositor or reader
 *	GET  /v1/status			depositor or reader
 *	GET  /v1/export?from=&to=	reader (or since=&until=)
 *	GET  /v1/requests		reader
 *	GET  /v1/checkpoint		depositor or reader
 *
 * A subject without the role gets 403 and the refusal is journaled.
 * Errors are JSON: {"status":...,"error":...,"detail":...}, the status
 * and the HTTP code from the refusal catalogue (common/refusal.c).
 */
#include <sys/types.h>
#include <sys/uio.h>

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit.h"
#include "frontd.h"
#include "log.h"

#define R_DEPOSITOR	ROLE_BIT(ROLE_DEPOSITOR)
#define R_READER	ROLE_BIT(ROLE_READER)

static void	 resp_head(struct resp *, int, const char *, size_t,
		    const char *);
static void	 refuse_role(struct conn *, struct resp *, const char *);
static void	 route_lot(struct conn *, struct resp *, const char *);
static void	 route_status(struct conn *, struct resp *, int);
static void	 route_export(struct conn *, struct resp *,
		    const struct http_request *);
static int	 query_get(const char *, const char *, char *, size_t);
static int	 query_number(const char *, const char *, int, uint64_t *);

int
resp_append(struct resp *r, const void *data, size_t len)
{
	size_t	 ncap;
	char	*p;

	if (len > CFJL_MSG_MAX * 2 || r->len + len > CFJL_MSG_MAX * 2)
		return -1;
	if (r->len + len > r->cap) {
		ncap = r->cap ? r->cap : 1024;
		while (ncap < r->len + len)
			ncap *= 2;
		if ((p = realloc(r->data, ncap)) == NULL)
			return -1;
		r->data = p;
		r->cap = ncap;
	}
	memcpy(r->data + r->len, data, len);
	r->len += len;
	return 0;
}

void
resp_free(struct resp *r)
{
	if (r == NULL)
		return;
	free(r->data);
	free(r);
}

/* Appended to a head being built; the head is bounded by its callers. */
static char *
head_add(char *p, const char *s)
{
	size_t	 len = strlen(s);

	memcpy(p, s, len);
	return p + len;
}

/* Decimal digits of v at p; returns the end. */
static char *
head_num(char *p, size_t v)
{
	char	 num[24], *d = num + sizeof(num);

	do {
		*--d = (char)('0' + v % 10);
		v /= 10;
	} while (v != 0);
	memcpy(p, d, (size_t)(num + sizeof(num) - d));
	return p + (num + sizeof(num) - d);
}

/* Built by pieces: printf's format parsing costs more than the copies. */
static void
resp_head(struct resp *r, int status, const char *type, size_t len,
    const char *extra)
{
	char		 head[1024], *p = head;
	const char	*reason = http_reason(status);

	if (status < 100 || status > 999 || strlen(reason) > 64 ||
	    strlen(type) > 128 || (extra != NULL && strlen(extra) > 512))
		fatalx("%s: answer head", __func__);
	p = head_add(p, "HTTP/1.1 ");
	p = head_num(p, (size_t)status);
	*p++ = ' ';
	p = head_add(p, reason);
	p = head_add(p, "\r\nContent-Type: ");
	p = head_add(p, type);
	p = head_add(p, "\r\nContent-Length: ");
	p = head_num(p, len);
	p = head_add(p, "\r\nCache-Control: no-store\r\n"
	    "X-Content-Type-Options: nosniff\r\n");
	if (r->close)
		p = head_add(p, "Connection: close\r\n");
	if (extra != NULL)
		p = head_add(p, extra);
	p = head_add(p, "\r\n");
	if (resp_append(r, head, (size_t)(p - head)) == -1)
		fatalx("%s: answer head", __func__);
}

void
resp_raw(struct resp *r, int status, const char *type, const char *body,
    size_t len, const char *extra)
{
	r->len = 0;
	resp_head(r, status, type, len, extra);
	if (resp_append(r, body, len) == -1) {
		r->len = 0;
		r->close = 1;
		resp_head(r, 500, "text/plain", 0, NULL);
	}
	r->ready = 1;
	conn_resp_ready(r);
}

void
resp_json(struct resp *r, int status, struct json *j, const char *extra)
{
	char	 body[64];
	int	 n;

	if (j->err || j->buf == NULL) {
		log_warnx("%s: answer too large", __func__);
		n = snprintf(body, sizeof(body), "{\"status\":\"%s\"}\n",
		    refusal_status(REFUSE_INTERNAL));
		if (n < 0 || (size_t)n >= sizeof(body))
			fatalx("%s: answer", __func__);
		resp_raw(r, refusal_http(REFUSE_INTERNAL), "application/json",
		    body, (size_t)n, NULL);
		return;
	}
	r->len = 0;
	resp_head(r, status, "application/json", j->len + 1, extra);
	if (resp_append(r, j->buf, j->len) == -1 ||
	    resp_append(r, "\n", 1) == -1)
		fatalx("%s: answer", __func__);
	r->ready = 1;
	conn_resp_ready(r);
}

/* A refusal; without a detail of its own it gets the catalogue's. */
void
resp_error(struct resp *r, enum refusal code, const char *error,
    const char *detail, long index)
{
	struct json	 j;
	char		 extra[64] = "";
	int		 status = refusal_http(code);

	json_init(&j);
	json_obj_open(&j, NULL);
	json_str(&j, "status", refusal_status(code));
	json_str(&j, "error", error);
	json_str(&j, "detail", detail != NULL && detail[0] != '\0' ? detail :
	    refusal_sentence(code));
	if (index >= 0)
		json_i64(&j, "index", index);
	json_obj_close(&j);
	if (status == 503)
		snprintf(extra, sizeof(extra), "Retry-After: %d\r\n",
		    FRONTD_RETRY_AFTER);
	else if (status == 405)
		snprintf(extra, sizeof(extra), "Allow: %s\r\n",
		    r->allow != NULL ? r->allow : "GET");
	resp_json(r, status, &j, extra[0] ? extra : NULL);
	json_free(&j);
}

/* A refusal before any route: the parser's, or a timeout. */
void
router_http_error(struct conn *c, int status, const char *error,
    const char *detail, int close)
{
	struct resp		*r;
	const struct refusal_info	*rf;
	char			 buf[128];

	/* Every status the parser answers is in the catalogue. */
	if ((rf = refusal_by_http(status)) == NULL) {
		log_warnx("HTTP status %d is not in the refusal catalogue",
		    status);
		rf = refusal_get(REFUSE_MALFORMED);
	}
	r = conn_resp_new(c, RESP_LOCAL);
	r->close = close;
	env->nrefused++;
	if (detail == NULL && status == 413) {
		snprintf(buf, sizeof(buf), "a request body is at most %zu "
		    "bytes (max-body)", env->limits.max_body);
		detail = buf;
	} else if (detail == NULL && status == 431) {
		snprintf(buf, sizeof(buf), "at most %u header fields, %zu "
		    "bytes in all", env->limits.max_headers,
		    env->limits.max_header_size);
		detail = buf;
	}
	log_info("%s: %s: refused %d: %s", conn_addr(c), conn_subject(c),
	    status, error);
	resp_error(r, rf->code, error, detail, -1);
}

static void
refuse_role(struct conn *c, struct resp *r, const char *what)
{
	char	 detail[256];

	snprintf(detail, sizeof(detail), "%s needs the %s role", what,
	    strcmp(what, "depositing") == 0 ? "depositor" : "reader");
	env->nrefused++;
	log_info("%s: %s: refused 403: %s", conn_addr(c), conn_subject(c),
	    detail);
	audit_record("access-refused", conn_subject(c), "refused", "%s from "
	    "%s", detail, conn_addr(c));
	resp_error(r, REFUSE_FORBIDDEN, "wrong role", detail, -1);
}

void
router_request(struct conn *c, const struct http_request *req)
{
	struct resp	*r;
	unsigned int	 roles;
	const char	*p = req->path;
	int		 get = req->method == HTTP_GET, post =
			    req->method == HTTP_POST;

	r = conn_resp_new(c, RESP_LOCAL);
	r->close = !req->keepalive;
	roles = roles_of(conn_subject(c));
	/* A line a request is for -vv: at thousands a second it costs. */
	if (log_getverbose() > 1)
		log_debug("%s: %s: %s %s", conn_addr(c), conn_subject(c),
		    post ? "POST" : get ? "GET" : "other", p);

	if (roles == 0) {
		env->nrefused++;
		log_info("%s: %s: refused 403: no role", conn_addr(c),
		    conn_subject(c));
		audit_record("access-refused", conn_subject(c), "refused",
		    "no role for this subject (%s %s from %s)",
		    post ? "POST" : "GET", p, conn_addr(c));
		resp_error(r, REFUSE_FORBIDDEN, "no role", "this "
		    "certificate's subject holds no role in the vault", -1);
		return;
	}

	if (strcmp(p, "/v1/events") == 0 ||
	    strcmp(p, "/v1/events/batch") == 0) {
		r->allow = "POST";
		if (!post)
			resp_error(r, REFUSE_METHOD, "method not allowed",
			    "deposits are POSTed", -1);
		else if (!(roles & R_DEPOSITOR))
			refuse_role(c, r, "depositing");
		else
			events_request(c, r, req,
			    strcmp(p, "/v1/events/batch") == 0);
		return;
	}
	/* Everything else is read-only. */
	r->allow = "GET";
	if (strncmp(p, "/v1/lots/", 9) == 0) {
		if (!get)
			resp_error(r, REFUSE_METHOD, "method not allowed",
			    "lots are read with GET", -1);
		else
			route_lot(c, r, p + 9);
		return;
	}
	if (strcmp(p, "/v1/status") == 0) {
		if (!get)
			resp_error(r, REFUSE_METHOD, "method not allowed",
			    "status is read with GET", -1);
		else
			route_status(c, r, RESP_STATUS);
		return;
	}
	if (strcmp(p, "/v1/checkpoint") == 0) {
		if (!get)
			resp_error(r, REFUSE_METHOD, "method not allowed",
			    "the checkpoint is read with GET", -1);
		else
			route_status(c, r, RESP_CHECKPOINT);
		return;
	}
	if (strcmp(p, "/v1/requests") == 0) {
		if (!get)
			resp_error(r, REFUSE_METHOD, "method not allowed",
			    "requests are read with GET", -1);
		else if (!(roles & R_READER))
			refuse_role(c, r, "listing requests");
		else
			route_status(c, r, RESP_REQUESTS);
		return;
	}
	if (strcmp(p, "/v1/export") == 0) {
		if (!get)
			resp_error(r, REFUSE_METHOD, "method not allowed",
			    "exports are read with GET", -1);
		else if (!(roles & R_READER))
			refuse_role(c, r, "exporting");
		else
			route_export(c, r, req);
		return;
	}
	resp_error(r, REFUSE_NOT_FOUND, "not found", "no such resource", -1);
}

static void
route_lot(struct conn *c, struct resp *r, const char *num)
{
	struct lot_get	 lg;
	struct iovec	 iov;
	const char	*errstr;
	long long	 n;

	n = strtonum(num, 1, LLONG_MAX, &errstr);
	if (errstr != NULL || num[0] == '0' || num[0] == '+') {
		resp_error(r, REFUSE_NOT_FOUND, "not found",
		    "a lot is named by its number", -1);
		return;
	}
	if (!env->stored_up) {
		resp_error(r, REFUSE_UNAVAILABLE, "storage unavailable",
		    "the store is not reachable; try again later", -1);
		return;
	}
	r->kind = RESP_LOT;
	r->lot = (uint64_t)n;
	links_wait(r);
	memset(&lg, 0, sizeof(lg));
	lg.reqid = r->reqid;
	lg.lot = (uint64_t)n;
	iov.iov_base = &lg;
	iov.iov_len = sizeof(lg);
	if (links_send(IMSG_LOT_GET, &iov, 1) == -1) {
		links_forget(r);
		resp_error(r, REFUSE_UNAVAILABLE, "storage unavailable",
		    "the store is not reachable; try again later", -1);
	}
}

/*
 * GET /v1/status and /v1/requests: stored's JSON, relayed; and
 * GET /v1/checkpoint, asked for the same way.
 */
static void
route_status(struct conn *c, struct resp *r, int kind)
{
	struct status_get	 sg;
	struct iovec		 iov;

	if (!env->stored_up) {
		resp_error(r, REFUSE_UNAVAILABLE, "storage unavailable",
		    "the store is not reachable; try again later", -1);
		return;
	}
	r->kind = kind;
	links_wait(r);
	memset(&sg, 0, sizeof(sg));
	sg.reqid = r->reqid;
	strlcpy(sg.subject, conn_subject(c), sizeof(sg.subject));
	iov.iov_base = &sg;
	iov.iov_len = sizeof(sg);
	/* struct requests_get has the same layout as struct status_get. */
	if (links_send(kind == RESP_STATUS ? IMSG_STATUS_GET :
	    kind == RESP_CHECKPOINT ? IMSG_CHECKPOINT_GET :
	    IMSG_REQUESTS_GET, &iov, 1) == -1) {
		links_forget(r);
		resp_error(r, REFUSE_UNAVAILABLE, "storage unavailable",
		    "the store is not reachable; try again later", -1);
	}
}

/* The value of name in a query string; 0 if absent, -1 if malformed. */
static int
query_get(const char *q, const char *name, char *out, size_t size)
{
	size_t		 nl = strlen(name), vl;
	const char	*p, *e;
	int		 found = 0;

	for (p = q; p != NULL && *p != '\0'; p = e != NULL ? e + 1 : NULL) {
		e = strchr(p, '&');
		vl = e != NULL ? (size_t)(e - p) : strlen(p);
		if (vl > nl && strncmp(p, name, nl) == 0 && p[nl] == '=') {
			if (found++ || vl - nl - 1 >= size)
				return -1;
			memcpy(out, p + nl + 1, vl - nl - 1);
			out[vl - nl - 1] = '\0';
		}
	}
	return found;
}

static int
query_number(const char *q, const char *name, int digits, uint64_t *v)
{
	char		 s[32];
	const char	*errstr;
	size_t		 i;
	int		 rc;

	if ((rc = query_get(q, name, s, sizeof(s))) <= 0)
		return rc == 0 ? 0 : -1;
	for (i = 0; s[i] != '\0'; i++)
		if (s[i] < '0' || s[i] > '9')
			return -1;
	if (i == 0 || (digits != 0 && i != (size_t)digits))
		return -1;
	*v = (uint64_t)strtonum(s, 0, LLONG_MAX, &errstr);
	return errstr == NULL ? 1 : -1;
}

static void
route_export(struct conn *c, struct resp *r, const struct http_request *req)
{
	struct export_req	 er;
	struct iovec		 iov;
	uint64_t		 from = 0, to = 0, since = 0, until = 0;
	int			 hf, ht, hs, hu;

	hf = query_number(req->query, "from", 0, &from);
	ht = query_number(req->query, "to", 0, &to);
	hs = query_number(req->query, "since", 14, &since);
	hu = query_number(req->query, "until", 14, &until);
	memset(&er, 0, sizeof(er));
	if (hf == 1 && ht == 1 && hs == 0 && hu == 0 && from >= 1 &&
	    from <= to) {
		er.from = from;
		er.to = to;
	} else if (hs == 1 && hu == 1 && hf == 0 && ht == 0 &&
	    since <= until) {
		er.by_time = 1;
		er.from = since;
		er.to = until;
	} else {
		resp_error(r, REFUSE_MALFORMED, "bad range", "ask for "
		    "?from=A&to=B (IDEvt, 1 <= A <= B) or "
		    "?since=YYYYMMDDhhmmss&until=YYYYMMDDhhmmss", -1);
		return;
	}
	if (!env->stored_up) {
		resp_error(r, REFUSE_UNAVAILABLE, "storage unavailable",
		    "the store is not reachable; try again later", -1);
		return;
	}
	r->kind = RESP_EXPORT;
	r->streaming = 1;
	r->chunked = req->minor == 1;
	if (!r->chunked)
		r->close = 1;	/* HTTP/1.0: the end is the close */
	links_wait(r);
	er.reqid = r->reqid;
	strlcpy(er.subject, conn_subject(c), sizeof(er.subject));
	iov.iov_base = &er;
	iov.iov_len = sizeof(er);
	if (links_send(IMSG_EXPORT_START, &iov, 1) == -1) {
		links_forget(r);
		r->streaming = 0;
		resp_error(r, REFUSE_UNAVAILABLE, "storage unavailable",
		    "the store is not reachable; try again later", -1);
		return;
	}
	log_info("%s: %s: export %s %llu-%llu", conn_addr(c),
	    conn_subject(c), er.by_time ? "time" : "IDEvt",
	    (unsigned long long)er.from, (unsigned long long)er.to);
}
