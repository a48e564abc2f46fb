/*
 * Routes and roles.
 *
 *	POST /v1/events			depositor
 *	POST /v1/events/batch		depositor
 *	GET  /v1/lots/{n}		depositor or reader
 *	GET  /v1/status			depositor or reader
 *	GET  /v1/export?from=&to=	reader (or since=&until=)
 *	GET  /v1/requests		reader
 *	GET  /v1/checkpoint		depositor or reader
 *
 * A subject without the role gets 403.  Every refusal is journaled
 * (refjournal.c, from resp_error()), every answer takes its shape in
 * resp.c; what is read is journaled by stored, which answers it.
 */
#include <sys/types.h>
#include <sys/uio.h>

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit.h"
#include "config.h"
#include "conn.h"
#include "events.h"
#include "frontd.h"
#include "http.h"
#include "links.h"
#include "refjournal.h"
#include "log.h"
#include "resp.h"
#include "roles.h"
#include "router.h"

#define R_DEPOSITOR	ROLE_BIT(ROLE_DEPOSITOR)
#define R_READER	ROLE_BIT(ROLE_READER)

static void	 refuse_role(struct conn *, struct resp *, const char *);
static void	 route_lot(struct conn *, struct resp *, const char *);
static void	 route_status(struct conn *, struct resp *, int);
static void	 route_export(struct conn *, struct resp *,
		    const struct http_request *);
static int	 query_get(const char *, const char *, char *, size_t);
static int	 query_number(const char *, const char *, int, uint64_t *);
static int	 export_date(uint64_t);
static int	 export_range(const char *, struct export_req *, char *,
		    size_t);

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
	refjournal_client(c, "access-refused", 403, "%s from %s", detail,
	    conn_addr(c));
	r->journaled = 1;
	resp_error(r, REFUSE_FORBIDDEN, "wrong role", detail, -1);
}

void
router_request(struct conn *c, const struct http_request *req)
{
	struct resp	*r;
	unsigned int	 roles;
	const char	*p = req->path;
	int		 get, post = req->method == HTTP_POST;

	/* HEAD is GET without the body, wherever GET is served. */
	get = req->method == HTTP_GET || req->method == HTTP_HEAD;
	r = conn_resp_new(c, RESP_LOCAL);
	r->close = !req->keepalive;
	r->head_only = req->method == HTTP_HEAD;
	roles = roles_of(conn_ca(c), conn_subject(c), conn_depositor(c));
	/* A line a request is for -vv: at thousands a second it costs. */
	if (log_getverbose() > 1)
		log_debug("%s: %s: %s %s", conn_addr(c), conn_subject(c),
		    post ? "POST" : req->method == HTTP_HEAD ? "HEAD" :
		    get ? "GET" : "other", p);

	if (roles == 0) {
		/* Its slot goes to a client that has something to ask. */
		r->close = 1;
		env->nrefused++;
		log_info("%s: %s: refused 403: no role", conn_addr(c),
		    conn_subject(c));
		refjournal_client(c, "access-refused", 403,
		    "no role for this subject (%s %s from %s)",
		    post ? "POST" : req->method == HTTP_HEAD ? "HEAD" : "GET",
		    p, conn_addr(c));
		r->journaled = 1;
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
	r->allow = "GET, HEAD";
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
	strlcpy(lg.subject, conn_subject(c), sizeof(lg.subject));
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

/* YYYYMMDDhhmmss names a moment of the calendar. */
static int
export_date(uint64_t v)
{
	static const unsigned int mdays[12] = { 31, 29, 31, 30, 31, 30, 31,
	    31, 30, 31, 30, 31 };
	unsigned int	 y, mo, d, h, mi, se;

	se = v % 100;
	mi = v / 100 % 100;
	h = v / 10000 % 100;
	d = v / 1000000 % 100;
	mo = v / 100000000 % 100;
	y = (unsigned int)(v / 10000000000ULL);
	if (y == 0 || mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1] ||
	    h > 23 || mi > 59 || se > 59)
		return 0;
	if (mo == 2 && d == 29 && (y % 4 != 0 || (y % 100 == 0 &&
	    y % 400 != 0)))
		return 0;
	return 1;
}

/*
 * The range an export asks for, by IDEvt or by time; -1 with what is
 * wrong with it in why.
 */
static int
export_range(const char *q, struct export_req *er, char *why, size_t size)
{
	static const char *const names[4] = { "from", "to", "since",
	    "until" };
	uint64_t		 v[4] = { 0, 0, 0, 0 };
	int			 h[4], i;

	for (i = 0; i < 4; i++) {
		h[i] = query_number(q, names[i], i < 2 ? 0 : 14, &v[i]);
		if (h[i] == -1 && i < 2) {
			snprintf(why, size, "%s is not an IDEvt: a number, "
			    "once", names[i]);
			return -1;
		}
		if (h[i] == -1 || (h[i] == 1 && i >= 2 && !export_date(v[i]))) {
			snprintf(why, size, "%s is not a date: "
			    "YYYYMMDDhhmmss, a real day and time, once",
			    names[i]);
			return -1;
		}
	}
	if ((h[0] || h[1]) && (h[2] || h[3])) {
		snprintf(why, size, "ask for a range of IDEvt (from, to) or of "
		    "time (since, until), not both");
		return -1;
	}
	if (h[0] || h[1]) {
		if (!h[0] || !h[1])
			snprintf(why, size, "from and to go together");
		else if (v[0] < 1)
			snprintf(why, size, "from is 1 or more: IDEvt count "
			    "from 1");
		else if (v[0] > v[1])
			snprintf(why, size, "from %llu is after to %llu",
			    (unsigned long long)v[0], (unsigned long long)v[1]);
		else {
			er->from = v[0];
			er->to = v[1];
			return 0;
		}
		return -1;
	}
	if (h[2] || h[3]) {
		if (!h[2] || !h[3])
			snprintf(why, size, "since and until go together");
		else if (v[2] > v[3])
			snprintf(why, size, "since %014llu is after until "
			    "%014llu", (unsigned long long)v[2],
			    (unsigned long long)v[3]);
		else {
			er->by_time = 1;
			er->from = v[2];
			er->to = v[3];
			return 0;
		}
		return -1;
	}
	snprintf(why, size, "ask for ?from=A&to=B (IDEvt, 1 <= A <= B) or "
	    "?since=YYYYMMDDhhmmss&until=YYYYMMDDhhmmss");
	return -1;
}

static void
route_export(struct conn *c, struct resp *r, const struct http_request *req)
{
	struct export_req	 er;
	struct iovec		 iov;
	char			 why[256];

	memset(&er, 0, sizeof(er));
	if (export_range(req->query, &er, why, sizeof(why)) == -1) {
		resp_error(r, REFUSE_MALFORMED, "bad range", why, -1);
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
