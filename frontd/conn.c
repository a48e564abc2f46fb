/*
 * Client connections (listen.c has the listeners): accept with caps (in
 * all and per client address), the TLS handshake with caps of its own (so that
 * connections that never finish it cannot keep out the ones that do),
 * reading into a bounded buffer that the HTTP parser works on, and
 * writing the answers in request order even when later requests are
 * answered first.  Timeouts: handshake-timeout; header-timeout for a
 * request head (slow clients) and for a client without a role;
 * idle-timeout between requests, for a body, and for a client that
 * stops reading.
 */
#define _GNU_SOURCE		/* accept4 */

#include <sys/types.h>
#include <sys/queue.h>
#include <sys/socket.h>
#include <sys/tree.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>

#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event.h>
#include <tls.h>

#include "audit.h"
#include "config.h"
#include "conn.h"
#include "frontd.h"
#include "http.h"
#include "links.h"
#include "listen.h"
#include "log.h"
#include "resp.h"
#include "roles.h"
#include "router.h"
#include "stompconn.h"
#include "stompframe.h"
#include "tlsserver.h"

#define CONN_READ_CHUNK		16384
#define CONN_IO_ROUNDS		64	/* reads or writes per wake-up */
#define CONN_ACCEPT_ROUNDS	32	/* accepts per wake-up */
/*
 * The kernel's queue of connections for accept(): when a flood fills
 * it, a good client's SYN is dropped and retried only a second later.
 * The kernel caps it (net.core.somaxconn).
 */
/* Memory freed by closes goes back to the system past this many. */
#define CONN_TRIM_CLOSES	64

enum conn_state {
	CONN_HANDSHAKE,
	CONN_ACTIVE,
	CONN_LINGER		/* answered; draining what the client sends */
};

#define CONN_LINGER_SECS	2
#define CONN_LINGER_BYTES	(16 * 1024 * 1024)

struct client {
	RB_ENTRY(client)	 node;
	char			 addr[INET6_ADDRSTRLEN];
	unsigned int		 n;
	unsigned int		 nhs;		/* of n, handshaking */
};
RB_HEAD(client_tree, client);

struct conn {
	TAILQ_ENTRY(conn)	 entry;
	TAILQ_ENTRY(conn)	 hs_entry;	/* handshakes, oldest 1st */
	int			 fd;
	struct tls		*tls;
	enum conn_state		 state;
	struct event		 ev;
	struct event		 tmo;
	struct event		 kick;	/* resume reading from the loop */
	short			 armed;	/* c->ev's events, persistent */
	time_t			 deadline;	/* c->tmo's, 0: none */
	struct client		*client;
	char			 subject[CFJL_SUBJECT_MAX];
	uint8_t			 depositor[SHA256_LEN];
	enum cfjl_ca		 ca;		/* the issuer, for roles */
	int			 norole;	/* none when it connected */

	char			*in;
	size_t			 inlen;
	size_t			 incap;
	struct http_parser	 parser;
	struct stompconn	*stomp;		/* a queue front connection */
	struct stompframe_parser sparser;
	int			 continue_sent;
	int			 no_more;	/* no further requests read */
	int			 read_wants_out;	/* tls_read: POLLOUT */
	int			 read_dry;	/* tls_read: POLLIN, no event since */
	int			 write_wants_in;	/* tls_write: POLLIN */

	char			*out;
	size_t			 outlen;
	size_t			 outoff;
	size_t			 outcap;

	TAILQ_HEAD(, resp)	 resps;
	unsigned int		 nresps;

	time_t			 accepted;
	time_t			 req_start;	/* first byte of the request */
	time_t			 last_read;
	time_t			 last_write;
	int			 closing;	/* once out is written */
	int			 eof;		/* once every answer is written */
	size_t			 drained;	/* bytes read while lingering */
};

static TAILQ_HEAD(, conn)	 conns = TAILQ_HEAD_INITIALIZER(conns);
static TAILQ_HEAD(, conn)	 handshakes =
				    TAILQ_HEAD_INITIALIZER(handshakes);
static unsigned int		 nhandshakes;
/* Handshakes cut short since the last line in the log, which says so. */
static struct {
	time_t			 logged;
	unsigned int		 refused;	/* address over its cap */
	unsigned int		 evicted;	/* all slots taken */
	unsigned int		 timedout;
} hs_cut;
static struct client_tree	 clients = RB_INITIALIZER(&clients);

static int	client_cmp(struct client *, struct client *);
RB_PROTOTYPE_INTERNAL(client_tree, client, node, client_cmp, static __attribute__((__unused__)));
RB_GENERATE_INTERNAL(client_tree, client, node, client_cmp, static __attribute__((__unused__)))

static int	conn_accept_one(int, int);
static void	conn_hs_evict(void);
static void	conn_hs_done(struct conn *);
static void	conn_hs_log(void);
static void	conn_event(int, short, void *);
static void	conn_timeout(int, short, void *);
static void	conn_kick(int, short, void *);
static void	conn_io(struct conn *);
static int	conn_handshake(struct conn *);
static int	conn_read(struct conn *);
static int	conn_write(struct conn *);
static void	conn_parse(struct conn *);
static void	conn_parse_stomp(struct conn *);
static void	conn_flush(struct conn *);
static int	conn_out_add(struct conn *, const void *, size_t);
static size_t	conn_head_len(const struct resp *);
static void	conn_shrink(struct conn *);
static void	conn_trim(int, short, void *);
static void	conn_trim_soon(void);
static void	conn_rearm(struct conn *);
static void	conn_close(struct conn *);
static void	conn_detach(struct conn *);
static void	conn_linger(struct conn *);
static void	conn_linger_read(int, short, void *);
static int	conn_reading(const struct conn *);
static time_t	conn_now(void);

static int
client_cmp(struct client *a, struct client *b)
{
	return strcmp(a->addr, b->addr);
}

static time_t
conn_now(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec;
}

/* A few connections a wake-up: a flood must not leave good ones queued. */
void
conn_accept(int lfd, short ev, void *arg)
{
	int	 i;

	for (i = 0; i < CONN_ACCEPT_ROUNDS; i++)
		if (conn_accept_one(lfd, arg != NULL) == -1)
			break;
}

/* -1: stop accepting for this wake-up.  stomp: a queue front listener. */
static int
conn_accept_one(int lfd, int stomp)
{
	struct sockaddr_storage	 ss;
	socklen_t		 len = sizeof(ss);
	struct client		 key, *cl;
	struct conn		*c;
	const struct cfjl_frontd_conf *fc = &env->conf->frontd;
	int			 fd, one = 1;

	if (env->nconns >= fc->max_conns)
		return -1;
	if ((fd = accept4(lfd, (struct sockaddr *)&ss, &len,
	    SOCK_NONBLOCK | SOCK_CLOEXEC)) == -1) {
		if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS ||
		    errno == ENOMEM) {
			log_warn("accept");
			listen_pause();
		}
		return -1;
	}

	/* Answers go out at once, not held back for the client's ACK. */
	if (setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)) == -1)
		log_warn("%s: TCP_NODELAY", __func__);

	memset(&key, 0, sizeof(key));
	if (getnameinfo((struct sockaddr *)&ss, len, key.addr,
	    sizeof(key.addr), NULL, 0, NI_NUMERICHOST) != 0)
		strlcpy(key.addr, "?", sizeof(key.addr));
	if ((cl = RB_FIND(client_tree, &clients, &key)) != NULL &&
	    cl->n >= fc->max_conns_per_client) {
		log_warnx("%s: more than %u connections from this address, "
		    "refused", key.addr, fc->max_conns_per_client);
		close(fd);
		return 0;
	}
	if (cl != NULL && cl->nhs >= fc->max_handshakes_per_client) {
		/* Counted, not logged one by one: a flood fills logs. */
		hs_cut.refused++;
		conn_hs_log();
		close(fd);
		return 0;
	}
	if (nhandshakes >= fc->max_handshakes) {
		conn_hs_evict();
		/* The evicted one may have been its address's last. */
		cl = RB_FIND(client_tree, &clients, &key);
	}
	if (cl == NULL) {
		if ((cl = calloc(1, sizeof(*cl))) == NULL) {
			close(fd);
			return 0;
		}
		strlcpy(cl->addr, key.addr, sizeof(cl->addr));
		RB_INSERT(client_tree, &clients, cl);
	}
	if ((c = calloc(1, sizeof(*c))) == NULL) {
		if (cl->n == 0) {
			RB_REMOVE(client_tree, &clients, cl);
			free(cl);
		}
		close(fd);
		return 0;
	}
	if (tls_accept_socket(env->tls, &c->tls, fd) == -1) {
		log_warnx("%s: tls_accept_socket: %s", key.addr,
		    tls_error(env->tls));
		free(c);
		if (cl->n == 0) {
			RB_REMOVE(client_tree, &clients, cl);
			free(cl);
		}
		close(fd);
		return 0;
	}
	if (stomp && (c->stomp = stompconn_new(c)) == NULL) {
		tls_free(c->tls);
		free(c);
		if (cl->n == 0) {
			RB_REMOVE(client_tree, &clients, cl);
			free(cl);
		}
		close(fd);
		return 0;
	}
	cl->n++;
	cl->nhs++;
	c->client = cl;
	c->fd = fd;
	c->state = CONN_HANDSHAKE;
	c->accepted = c->last_read = c->last_write = conn_now();
	TAILQ_INIT(&c->resps);
	http_parser_init(&c->parser, &env->limits);
	stompframe_init(&c->sparser, &env->stomp_limits);
	event_set(&c->ev, fd, 0, conn_event, c);
	evtimer_set(&c->tmo, conn_timeout, c);
	evtimer_set(&c->kick, conn_kick, c);
	TAILQ_INSERT_TAIL(&conns, c, entry);
	TAILQ_INSERT_TAIL(&handshakes, c, hs_entry);
	nhandshakes++;
	if (++env->nconns >= fc->max_conns) {
		log_warnx("%u connections: not accepting more for now",
		    env->nconns);
		listen_set(0);
	}
	conn_io(c);
	return 0;
}

/*
 * Every handshake slot is taken: the oldest handshake of an address
 * that holds two or more goes (a client with a certificate finishes its
 * own in milliseconds, one at a time); failing that, the oldest.
 */
static void
conn_hs_evict(void)
{
	struct conn	*c, *victim;

	victim = TAILQ_FIRST(&handshakes);
	TAILQ_FOREACH(c, &handshakes, hs_entry) {
		if (c->client->nhs >= 2) {
			victim = c;
			break;
		}
	}
	if (victim == NULL)
		return;
	hs_cut.evicted++;
	conn_hs_log();
	conn_close(victim);
}

/* The handshake is over, one way or the other: its slot is free. */
static void
conn_hs_done(struct conn *c)
{
	if (c->state != CONN_HANDSHAKE)
		return;
	TAILQ_REMOVE(&handshakes, c, hs_entry);
	nhandshakes--;
	c->client->nhs--;
}

static void
conn_hs_log(void)
{
	time_t	 now = conn_now();

	if (now == hs_cut.logged ||
	    hs_cut.refused + hs_cut.evicted + hs_cut.timedout == 0)
		return;
	log_warnx("connections closed in their TLS handshake: %u over "
	    "max-handshakes-per-client, %u over max-handshakes, %u after "
	    "handshake-timeout", hs_cut.refused, hs_cut.evicted,
	    hs_cut.timedout);
	hs_cut.logged = now;
	hs_cut.refused = hs_cut.evicted = hs_cut.timedout = 0;
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
static void
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
		conn_linger(c);
		return;
	}
	conn_shrink(c);
	conn_rearm(c);
}

/*
 * An idle connection keeps no buffer of its own: a thousand of them
 * held 16 KiB in and 4 KiB out each, and more after a large answer.
 * They come back with the next request, from the allocator's cache.
 */
static void
conn_shrink(struct conn *c)
{
	if (c->inlen == 0 && c->in != NULL) {
		free(c->in);
		c->in = NULL;
		c->incap = 0;
	}
	if (c->outoff == c->outlen && c->out != NULL) {
		free(c->out);
		c->out = NULL;
		c->outcap = c->outlen = c->outoff = 0;
	}
}

/*
 * After many closes, or the last one, give the freed memory back to the
 * system (glibc keeps the top of its heap otherwise, and a burst of
 * connections would hold its peak for good); once a second at most.
 */
static struct event	 trim_ev;
static int		 trim_set;
static unsigned int	 trim_closes;

static void
conn_trim_soon(void)
{
	struct timeval	 tv = { 1, 0 };

	trim_closes++;
	if (trim_closes < CONN_TRIM_CLOSES && env->nconns > 0)
		return;
	if (!trim_set) {
		evtimer_set(&trim_ev, conn_trim, NULL);
		trim_set = 1;
	}
	if (!evtimer_pending(&trim_ev, NULL))
		evtimer_add(&trim_ev, &tv);
}

static void
conn_trim(int fd, short ev, void *arg)
{
	trim_closes = 0;
	(void)malloc_trim(0);
}

/*
 * Closing a socket with unread bytes makes the kernel send a reset,
 * which can destroy the answer before the client reads it (a 413 sent
 * while the body is still coming).  So: close_notify, shut the writing
 * side, and read and drop what still arrives, for a bounded time and
 * amount, before the real close.
 */
static void
conn_linger(struct conn *c)
{
	struct timeval	 tv = { CONN_LINGER_SECS, 0 };

	if (c->eof || c->state != CONN_ACTIVE) {
		conn_close(c);
		return;
	}
	(void)tls_close(c->tls);
	if (shutdown(c->fd, SHUT_WR) == -1) {
		conn_close(c);
		return;
	}
	c->state = CONN_LINGER;
	conn_detach(c);
	event_del(&c->ev);
	evtimer_del(&c->tmo);
	event_del(&c->kick);
	c->armed = 0;
	event_set(&c->ev, c->fd, EV_READ | EV_PERSIST, conn_linger_read, c);
	event_add(&c->ev, &tv);
}

static void
conn_linger_read(int fd, short ev, void *arg)
{
	struct conn	*c = arg;
	char		 buf[16384];
	ssize_t		 n;

	if (ev & EV_TIMEOUT) {
		conn_close(c);
		return;
	}
	n = read(fd, buf, sizeof(buf));
	if (n == -1 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0 || (c->drained += (size_t)n) > CONN_LINGER_BYTES)
		conn_close(c);
}

/* 1: done, 0: wait, -1: failed. */
static int
conn_handshake(struct conn *c)
{
	int	 rc;

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
		log_info("%s: TLS handshake refused: %s", c->client->addr,
		    tls_error(c->tls));
		audit_record("tls-refused", c->client->addr, "refused", "%s",
		    tls_error(c->tls));
		env->nrefused++;
		return -1;
	}
	if (tlsserver_identity(c->tls, c->subject, sizeof(c->subject),
	    c->depositor, &c->ca) == -1) {
		log_warnx("%s: cannot read the client certificate",
		    c->client->addr);
		return -1;
	}
	conn_hs_done(c);
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
	if (c->state == CONN_HANDSHAKE) {
		hs_cut.timedout++;
		conn_hs_log();
	} else
		log_debug("%s: connection timed out", c->client->addr);
	conn_close(c);
}

/* The answers still queued lose their client. */
static void
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

static void
conn_close(struct conn *c)
{
	conn_hs_done(c);
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
	if (--c->client->n == 0) {
		RB_REMOVE(client_tree, &clients, c->client);
		free(c->client);
	}
	free(c->in);
	free(c->out);
	free(c);
	if (env->nconns-- == env->conf->frontd.max_conns)
		listen_set(1);
	conn_trim_soon();
}

void
conn_shutdown(void)
{
	struct conn	*c;

	while ((c = TAILQ_FIRST(&conns)) != NULL)
		conn_close(c);
}
