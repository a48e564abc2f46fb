/*
 * The shape of every answer: the head built by pieces, a JSON or raw
 * body, and a refusal as {"status":...,"error":...,"detail":...} with
 * its HTTP code and status from the refusal catalogue
 * (common/refusal.c).  A finished answer tells its connection
 * (conn_resp_ready), which writes it when its turn comes.
 */
#include <sys/types.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conn.h"
#include "http.h"
#include "json.h"
#include "log.h"
#include "refjournal.h"
#include "resp.h"
#include "stompconn.h"

static char	*resp_head_add(char *, const char *);
static char	*resp_head_num(char *, size_t);
static void	 resp_head(struct resp *, int, const char *, size_t,
		    const char *);

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
resp_head_add(char *p, const char *s)
{
	size_t	 len = strlen(s);

	memcpy(p, s, len);
	return p + len;
}

/* Decimal digits of v at p; returns the end. */
static char *
resp_head_num(char *p, size_t v)
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
	p = resp_head_add(p, "HTTP/1.1 ");
	p = resp_head_num(p, (size_t)status);
	*p++ = ' ';
	p = resp_head_add(p, reason);
	p = resp_head_add(p, "\r\nContent-Type: ");
	p = resp_head_add(p, type);
	p = resp_head_add(p, "\r\nContent-Length: ");
	p = resp_head_num(p, len);
	p = resp_head_add(p, "\r\nCache-Control: no-store\r\n"
	    "X-Content-Type-Options: nosniff\r\n");
	if (r->close)
		p = resp_head_add(p, "Connection: close\r\n");
	if (extra != NULL)
		p = resp_head_add(p, extra);
	p = resp_head_add(p, "\r\n");
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

	if (r->stomp != NULL) {
		stompconn_refuse(r, code, error, detail);
		return;
	}
	/* Unless stored or the caller journaled it. */
	if (!r->journaled && r->conn != NULL)
		refjournal_client(r->conn, status == 403 ? "access-refused" :
		    "request-refused", status, "%d %s: %s (from %s)", status,
		    error, detail != NULL && detail[0] != '\0' ? detail :
		    refusal_sentence(code), conn_addr(r->conn));
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
		    RESP_RETRY_AFTER);
	else if (status == 405)
		snprintf(extra, sizeof(extra), "Allow: %s\r\n",
		    r->allow != NULL ? r->allow : "GET, HEAD");
	resp_json(r, status, &j, extra[0] ? extra : NULL);
	json_free(&j);
}

