/*
 * Client connections (listen.c has the listeners, admit.c admits them,
 * idle.c takes back what they no longer use): the TLS handshake,
 * reading into a bounded buffer that the HTTP parser works on, and
 * writing the answers in request order even when later requests are
 * answered first.  Timeouts: handshake-timeout; header-timeout for a
 * request head (slow clients) and for a client without a role;
 * idle-timeout between requests, for a body, and for a client that
 * stops reading.
 */
#include <sys/types.h>
#include <sys/queue.h>

#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event.h>
#include <tls.h>

#include "admit.h"
#include "config.h"
#include "conn.h"
#include "connstate.h"
#include "frontd.h"
#include "http.h"
#include "idle.h"
#include "links.h"
#include "listen.h"
#include "log.h"
#include "refjournal.h"
#include "resp.h"
#include "roles.h"
#include "router.h"
#include "stompconn.h"
#include "stompframe.h"
#include "tlsserver.h"

#define CONN_READ_CHUNK		16384
#define CONN_IO_ROUNDS		64	/* reads or writes per wake-up */

static TAILQ_HEAD(, conn)	 conns = TAILQ_HEAD_INITIALIZER(conns);

static void	conn_event(int, short, void *);
static void	conn_timeout(int, short, void *);
static void	conn_kick(int, short, void *);
static int	conn_handshake(struct conn *);
static int	conn_read(struct conn *);
static int	conn_write(struct conn *);
static void	conn_parse(struct conn *);
static void	conn_parse_stomp(struct conn *);
static void	conn_flush(struct conn *);
static int	conn_out_add(struct conn *, const void *, size_t);
static size_t	conn_head_len(const struct resp *);
static void	conn_rearm(struct conn *);
static int	conn_reading(const struct conn *);

time_t
conn_now(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec;
}

/* admit.c took c: the rest of its state, its events, its first I/O. */
void
conn_start(struct conn *c)
{
	const struct cfjl_frontd_conf *fc = &env->conf->frontd;

	c->accepted = c->last_read = c->last_write = conn_now();
	TAILQ_INIT(&c->resps);
	http_parser_init(&c->parser, &env->limits);
	stompframe_init(&c->sparser, &env->stomp_limits);
	event_set(&c->ev, c->fd, 0, conn_event, c);
	evtimer_set(&c->tmo, conn_timeout, c);
	evtimer_set(&c->kick, conn_kick, c);
	TAILQ_INSERT_TAIL(&conns, c, entry);
	if (++env->nconns >= fc->max_conns) {
		log_warnx("%u connections: not accepting more for now",
		    env->nconns);
		listen_set(0);
	}
	conn_io(c);
}

static void
conn_event(int fd, short ev, void *arg)
{
	struct conn	*c = arg;

	c->read_dry = 0;
	conn_io(c);
}

static void
conn_kick(int fd, short ev, void *arg)
{
	struct conn	*c = arg;

	if (c->state != CONN_LINGER)
		conn_io(c);
}

static int
conn_reading(const struct conn *c)
{
	return !c->no_more && !c->closing &&
	    c->nresps < FRONTD_PIPELINE_MAX &&
	    c->outlen - c->outoff < FRONTD_OUT_HIGH;
}

/* Do whatever can be done now; then wait for what blocks. */
void
conn_io(struct conn *c)
{
	unsigned int	 n;

	if (c->state == CONN_HANDSHAKE) {
		switch (conn_handshake(c)) {
		case -1:
			conn_close(c);
			return;
		case 0:
			conn_rearm(c);
			return;
		}
	}
	/*
	 * Woken for answers, not by the socket: a read that last found
	 * nothing would only find nothing again.
	 */
	if (conn_reading(c) && !c->read_dry && conn_read(c) == -1) {
		conn_close(c);
		return;
	}
	/*
	 * Answers written free slots for requests already read: parse
	 * them now, for no socket event will say they are there.
	 */
	do {
		conn_parse(c);
		n = c->nresps;
		conn_flush(c);
	} while (c->nresps < n && c->inlen > 0);
	if (conn_write(c) == -1) {
		conn_close(c);
		return;
	}
	if ((c->closing || (c->eof && c->nresps == 0)) &&
	    c->outlen == c->outoff) {
		idle_linger(c);
		return;
	}
	idle_shrink(c);
	conn_rearm(c);
}

/* 1: done, 0: wait, -1: failed. */
static int
conn_handshake(struct conn *c)
{
	const char	*err;
	int		 rc;

	if ((rc = tls_handshake(c->tls)) == TLS_WANT_POLLIN) {
		c->read_wants_out = 0;
		return 0;
	}
	if (rc == TLS_WANT_POLLOUT) {
		c->read_wants_out = 1;
		return 0;
	}
	c->read_wants_out = 0;
	if (rc == -1) {
		if ((err = tls_error(c->tls)) == NULL)
			err = "handshake failed";
		log_info("%s: TLS handshake refused: %s", c->client->addr, err);
		/* The message names the reason: one count for each. */
		refjournal_peer(c->client->addr, "tls-refused", err, "%s", err);
		env->nrefused++;
		return -1;
	}
	if (tlsserver_identity(c->tls, c->subject, sizeof(c->subject),
	    c->depositor, &c->ca) == -1) {
		log_warnx("%s: cannot read the client certificate",
		    c->client->addr);
		return -1;
	}
	admit_hs_done(c);
	c->state = CONN_ACTIVE;
	/* Answered 403 and closed at its first request; it may not idle. */
	c->norole = roles_of(c->ca, c->subject, c->depositor) == 0;
	c->last_read = conn_now();
	log_debug("%s: %s connected (%s)", c->client->addr, c->subject,
	    tls_conn_version(c->tls));
	return 1;
}

/* Read what is there, within the buffer's bound.  -1: drop. */
static int
conn_read(struct conn *c)
{
	size_t	 max, ncap;
	ssize_t	 n;
	char	*p;
	int	 i;

	max = env->limits.max_header_size + env->limits.max_body +
	    2 * HTTP_LEADING_CRLF_MAX + 16;
	for (i = 0; i < CONN_IO_ROUNDS; i++) {
		if (c->inlen >= max)
			return 0;	/* the parser refuses before this */
		if (c->incap - c->inlen < CONN_READ_CHUNK / 2 &&
		    c->incap < max) {
			ncap = c->incap ? c->incap * 2 : CONN_READ_CHUNK;
			if (ncap > max)
				ncap = max;
			if ((p = realloc(c->in, ncap)) == NULL)
				return -1;
			c->in = p;
			c->incap = ncap;
		}
		n = tls_read(c->tls, c->in + c->inlen, c->incap - c->inlen);
		if (n == TLS_WANT_POLLIN) {
			c->read_wants_out = 0;
			c->read_dry = 1;
			return 0;
		}
		if (n == TLS_WANT_POLLOUT) {
			c->read_wants_out = 1;
			return 0;
		}
		c->read_wants_out = 0;
		if (n == -1) {
			log_debug("%s: read: %s", c->client->addr,
			    tls_error(c->tls));
			return -1;
		}
		if (n == 0) {
			/* The client is done sending; answer what it asked. */
			c->no_more = 1;
			c->eof = 1;
			return 0;
		}
		if (c->inlen == 0)
			c->req_start = conn_now();
		c->inlen += (size_t)n;
		c->last_read = conn_now();
	}
	/* Fairness: come back from the loop for the rest. */
	event_active(&c->kick, 0, 0);
	return 0;
}

/*
 * Turn buffered bytes into requests while answers may be queued.  The
 * bytes of the requests handled go in one move at the end, not one a
 * request.
 */
static void
conn_parse(struct conn *c)
{
	const struct http_request *req = &c->parser.req;
	size_t			 used, off = 0;
	int			 rc;

	if (c->stomp != NULL) {
		conn_parse_stomp(c);
		return;
	}
	while (c->inlen > off && !c->closing && !c->no_more &&
	    c->nresps < FRONTD_PIPELINE_MAX &&
	    c->outlen - c->outoff < FRONTD_OUT_HIGH) {
		rc = http_parse(&c->parser, c->in + off, c->inlen - off);
		if (rc == HTTP_MORE)
			break;
		if (rc == HTTP_HEAD_OK) {
			if (c->parser.req.expect_continue &&
			    !c->continue_sent && c->nresps == 0) {
				conn_out_add(c, "HTTP/1.1 100 Continue\r\n\r\n",
				    25);
				c->continue_sent = 1;
			}
			break;
		}
		if (rc == HTTP_FAIL) {
			c->no_more = 1;
			router_http_error(c, c->parser.status,
			    c->parser.error, c->parser.detail[0] != '\0' ?
			    c->parser.detail : NULL, 1);
			break;
		}
		/* HTTP_COMPLETE; the parser is not used again before init. */
		used = req->headsize + req->bodylen;
		if (!req->keepalive)
			c->no_more = 1;
		router_request(c, req);
		/* The body was copied or checked: the bytes can go. */
		off += used;
		http_parser_init(&c->parser, &env->limits);
		c->continue_sent = 0;
		c->req_start = conn_now();
	}
	if (off > 0) {
		memmove(c->in, c->in + off, c->inlen - off);
		c->inlen -= off;
	}
}

/* The same for the frames of a queue front connection. */
static void
conn_parse_stomp(struct conn *c)
{
	static struct stompframe f;	/* one frame at a time */
	size_t			 off = 0;
	int			 rc;

	while (c->inlen > off && !c->closing && !c->no_more &&
	    c->nresps < FRONTD_PIPELINE_MAX) {
		rc = stompframe_parse(&c->sparser, c->in + off, c->inlen - off,
		    &f);
		if (rc == STOMPFRAME_MORE)
			break;
		if (rc == STOMPFRAME_FAIL) {
			c->no_more = 1;
			stompconn_bad_input(c->stomp, &c->sparser);
			break;
		}
		if (rc == STOMPFRAME_COMPLETE)
			stompconn_frame(c->stomp, &f);
		/* A heart-beat only shows the client is there. */
		off += f.size;
		stompframe_init(&c->sparser, &env->stomp_limits);
		c->req_start = conn_now();
	}
	if (off > 0) {
		memmove(c->in, c->in + off, c->inlen - off);
		c->inlen -= off;
	}
}

unsigned int
conn_pending(const struct conn *c)
{
	return c->nresps;
}

struct resp *
conn_resp_new(struct conn *c, int kind)
{
	struct resp	*r;

	if ((r = calloc(1, sizeof(*r))) == NULL)
		fatal("%s", __func__);
	r->conn = c;
	r->kind = kind;
	TAILQ_INSERT_TAIL(&c->resps, r, entry);
	c->nresps++;
	return r;
}

/* Never closes c here: the caller may be inside conn_io(). */
struct resp *
conn_resp_replace(struct resp *r)
{
	struct resp	*n;
	struct conn	*c = r->conn;

	if ((n = calloc(1, sizeof(*n))) == NULL)
		fatal("%s", __func__);
	n->conn = c;
	n->kind = RESP_LOCAL;
	n->close = r->close;
	n->stomp = r->stomp;
	memcpy(n->receipt, r->receipt, sizeof(n->receipt));
	n->head_only = r->head_only;
	TAILQ_INSERT_BEFORE(r, n, entry);
	TAILQ_REMOVE(&c->resps, r, entry);
	r->conn = NULL;
	return n;
}

void
conn_resp_ready(struct resp *r)
{
	if (r->conn != NULL)
		event_active(&r->conn->kick, 0, 0);
}

/* Move the answers that are ready, in order, to the output buffer. */
static void
conn_flush(struct conn *c)
{
	struct resp	*r;

	while ((r = TAILQ_FIRST(&c->resps)) != NULL) {
		if (r->streaming) {
			if (r->len > 0 &&
			    c->outlen - c->outoff < FRONTD_OUT_HIGH) {
				if (conn_out_add(c, r->data, r->len) == -1) {
					c->closing = 1;
					return;
				}
				r->len = 0;
				r->more_owed += r->chunks;
				r->chunks = 0;
			}
			if (!r->done)
				return;
			if (r->len > 0)
				return;
		} else if (!r->ready)
			return;
		else if (conn_out_add(c, r->data, r->head_only ?
		    conn_head_len(r) : r->len) == -1) {
			c->closing = 1;
			return;
		}
		TAILQ_REMOVE(&c->resps, r, entry);
		c->nresps--;
		if (r->close)
			c->closing = 1;
		resp_free(r);
		if (c->closing)
			return;
	}
}

/* An answer to HEAD: its head as GET would have it, without the body. */
static size_t
conn_head_len(const struct resp *r)
{
	size_t	 i;

	for (i = 0; i + 4 <= r->len; i++)
		if (memcmp(r->data + i, "\r\n\r\n", 4) == 0)
			return i + 4;
	return r->len;
}

static int
conn_out_add(struct conn *c, const void *data, size_t len)
{
	size_t	 ncap;
	char	*p;

	if (c->outoff > 0 && c->outoff == c->outlen)
		c->outoff = c->outlen = 0;
	if (len > SIZE_MAX / 2 - c->outlen)
		return -1;
	if (c->outlen + len > c->outcap) {
		if (c->outoff > 0) {
			memmove(c->out, c->out + c->outoff,
			    c->outlen - c->outoff);
			c->outlen -= c->outoff;
			c->outoff = 0;
		}
		ncap = c->outcap ? c->outcap : 4096;
		while (ncap < c->outlen + len)
			ncap *= 2;
		if (ncap != c->outcap) {
			if ((p = realloc(c->out, ncap)) == NULL)
				return -1;
			c->out = p;
			c->outcap = ncap;
		}
	}
	memcpy(c->out + c->outlen, data, len);
	c->outlen += len;
	return 0;
}

/* Write what is buffered.  -1: drop. */
static int
conn_write(struct conn *c)
{
	struct resp	*r;
	ssize_t		 n;
	int		 i;

	if (c->state != CONN_ACTIVE)
		return 0;
	for (i = 0; i < CONN_IO_ROUNDS && c->outoff < c->outlen; i++) {
		n = tls_write(c->tls, c->out + c->outoff,
		    c->outlen - c->outoff);
		if (n == TLS_WANT_POLLOUT) {
			c->write_wants_in = 0;
			return 0;
		}
		if (n == TLS_WANT_POLLIN) {
			c->write_wants_in = 1;
			return 0;
		}
		c->write_wants_in = 0;
		if (n == -1) {
			log_debug("%s: write: %s", c->client->addr,
			    tls_error(c->tls));
			return -1;
		}
		c->outoff += (size_t)n;
		c->last_write = conn_now();
	}
	if (c->outoff == c->outlen) {
		c->outoff = c->outlen = 0;
		/* An export waits for this before its next chunk. */
		if ((r = TAILQ_FIRST(&c->resps)) != NULL && r->streaming &&
		    !r->done)
			for (; r->more_owed > 0; r->more_owed--)
				links_export_more(r);
	}
	return 0;
}

const char *
conn_subject(const struct conn *c)
{
	return c->subject;
}

const uint8_t *
conn_depositor(const struct conn *c)
{
	return c->depositor;
}

enum cfjl_ca
conn_ca(const struct conn *c)
{
	return c->ca;
}

const char *
conn_addr(const struct conn *c)
{
	return c->client->addr;
}

/* Wait for the socket as TLS wants it, and for the right deadline. */
static void
conn_rearm(struct conn *c)
{
	struct timeval	 tv;
	time_t		 now = conn_now(), deadline;
	short		 ev = 0;
	const struct cfjl_frontd_conf *fc = &env->conf->frontd;

	if (c->state == CONN_HANDSHAKE)
		ev |= c->read_wants_out ? EV_WRITE : EV_READ;
	else {
		if (conn_reading(c))
			ev |= c->read_wants_out ? EV_WRITE : EV_READ;
		if (c->outoff < c->outlen)
			ev |= c->write_wants_in ? EV_READ : EV_WRITE;
	}
	/* Persistent: changed only when what we wait for changes. */
	if (c->armed != ev) {
		event_del(&c->ev);
		if (ev != 0) {
			event_set(&c->ev, c->fd, ev | EV_PERSIST, conn_event,
			    c);
			event_add(&c->ev, NULL);
		}
		c->armed = ev;
	}

	if (c->state == CONN_HANDSHAKE)
		deadline = c->accepted + fc->handshake_timeout;
	else if (c->outoff < c->outlen)
		deadline = c->last_write + fc->idle_timeout;
	else if (c->nresps > 0)
		deadline = 0;	/* stored answers, or links times out */
	else if (c->stomp != NULL)
		deadline = stompconn_deadline(c->stomp, c->last_read,
		    c->last_write, fc->idle_timeout);
	else if (c->parser.state == HTTP_S_HEAD && c->inlen > 0)
		deadline = c->req_start + fc->header_timeout;
	else if (c->parser.state == HTTP_S_BODY)
		deadline = c->last_read + fc->idle_timeout;
	else
		deadline = (c->last_read > c->last_write ? c->last_read :
		    c->last_write) + (c->norole ? fc->header_timeout :
		    fc->idle_timeout);
	if (deadline == c->deadline)
		return;
	c->deadline = deadline;
	evtimer_del(&c->tmo);
	if (deadline != 0) {
		tv.tv_sec = deadline > now ? deadline - now : 0;
		tv.tv_usec = 0;
		evtimer_add(&c->tmo, &tv);
	}
}

static void
conn_timeout(int fd, short ev, void *arg)
{
	struct conn	*c = arg;

	c->deadline = 0;	/* c->tmo is no longer pending */

	if (c->stomp != NULL && c->state == CONN_ACTIVE &&
	    c->outoff == c->outlen && c->nresps == 0) {
		switch (stompconn_timeout(c->stomp, c->last_read,
		    c->last_write, conn_now(),
		    env->conf->frontd.idle_timeout)) {
		case STOMPCONN_BEAT:
			if (conn_out_add(c, "\n", 1) == -1)
				break;
			conn_io(c);
			return;
		case STOMPCONN_WAIT:
			conn_rearm(c);
			return;
		}
		log_info("%s: %s: STOMP client silent, connection closed",
		    c->client->addr, c->subject);
		conn_close(c);
		return;
	}

	if (c->state == CONN_ACTIVE && c->outoff == c->outlen &&
	    c->nresps == 0 && c->inlen > 0 && !c->closing) {
		/* A slow client: say so, then close. */
		log_info("%s: %s: request not received in time",
		    c->client->addr, c->subject);
		c->no_more = 1;
		router_http_error(c, 408, "request not received in time",
		    NULL, 1);
		c->last_write = conn_now();
		conn_io(c);
		return;
	}
	if (c->state == CONN_HANDSHAKE)
		admit_hs_timedout(c);
	else
		log_debug("%s: connection timed out", c->client->addr);
	conn_close(c);
}

/* The answers still queued lose their client. */
void
conn_detach(struct conn *c)
{
	struct resp	*r;

	while ((r = TAILQ_FIRST(&c->resps)) != NULL) {
		TAILQ_REMOVE(&c->resps, r, entry);
		c->nresps--;
		r->conn = NULL;
		r->stomp = NULL;
		if (r->reqid != 0) {
			/* stored still answers it; nobody will read it. */
			if (r->kind == RESP_EXPORT)
				links_conn_gone(r);
			continue;
		}
		resp_free(r);
	}
}

void
conn_close(struct conn *c)
{
	admit_hs_done(c);
	conn_detach(c);
	stompconn_free(c->stomp);
	event_del(&c->ev);
	evtimer_del(&c->tmo);
	event_del(&c->kick);
	if (c->tls != NULL) {
		if (c->state == CONN_ACTIVE)
			(void)tls_close(c->tls);
		tls_free(c->tls);
	}
	close(c->fd);
	TAILQ_REMOVE(&conns, c, entry);
	admit_release(c);
	free(c->in);
	free(c->out);
	free(c);
	if (env->nconns-- == env->conf->frontd.max_conns)
		listen_set(1);
	idle_trim_soon();
}

void
conn_shutdown(void)
{
	struct conn	*c;

	while ((c = TAILQ_FIRST(&conns)) != NULL)
		conn_close(c);
}
