/*
 * The load generator's connections: non-blocking TCP to the vault, libtls
 * with the depositor's certificate, HTTP/1.1 keep-alive with requests
 * pipelined (written back to back, answers read in order).  Answers are
 * framed by Content-Length and handed to check.c whole.
 */
#define _GNU_SOURCE		/* memmem */
#include <sys/types.h>
#include <sys/socket.h>

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <tls.h>
#include <unistd.h>

#include <openssl/sha.h>

#include "loadgen.h"
#include "log.h"

#define CLIENT_READ	(64 * 1024)
#define CLIENT_HEAD_MAX	(16 * 1024)
#define CLIENT_RECONNECT_NS	(50ULL * 1000000ULL)	/* crash mode */

static struct tls_config	*client_cfg;
static struct addrinfo		*client_ai;
static char			 client_host[256];
static unsigned int		 client_spread;	/* source addresses */
static unsigned int		 client_next;
static uint64_t			 client_run;	/* Client-Ids never repeat */
int				 client_stomp;	/* the queue front, not HTTP */

#define STOMP_HELLO	"CONNECT\naccept-version:1.2\nhost:vault\n\n\0" \
			"SUBSCRIBE\nid:a\ndestination:/queue/events.out\n\n\0"

static void	 client_grow(char **, size_t *, size_t);
static int	 client_write(struct lg_conn *);
static int	 client_read(struct lg_conn *, uint64_t);
static int	 client_parse(struct lg_conn *, uint64_t);
static int	 client_parse_stomp(struct lg_conn *, uint64_t);
static int	 client_answer(struct lg_conn *, int, const char *, size_t,
		    uint64_t);
static void	 client_fail_all(struct lg_conn *, const char *);

uint64_t
lg_now(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

void
client_init(const char *host, const char *port, const char *ca,
    const char *cert, const char *key, int noverify, unsigned int spread)
{
	struct addrinfo	 hints;
	int		 e;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	if ((e = getaddrinfo(host, port, &hints, &client_ai)) != 0)
		fatalx("%s port %s: %s", host, port, gai_strerror(e));
	strlcpy(client_host, host, sizeof(client_host));
	if (spread > 0 && client_ai->ai_family != AF_INET)
		fatalx("-S needs an IPv4 loopback vault address");
	client_spread = spread;
	arc4random_buf(&client_run, sizeof(client_run));

	if (tls_init() == -1)
		fatalx("tls_init failed");
	if ((client_cfg = tls_config_new()) == NULL)
		fatalx("tls_config_new failed");
	if (ca != NULL && tls_config_set_ca_file(client_cfg, ca) == -1)
		fatalx("CA %s: %s", ca, tls_config_error(client_cfg));
	if (cert != NULL && tls_config_set_cert_file(client_cfg, cert) == -1)
		fatalx("certificate %s: %s", cert,
		    tls_config_error(client_cfg));
	if (key != NULL && tls_config_set_key_file(client_cfg, key) == -1)
		fatalx("key %s: %s", key, tls_config_error(client_cfg));
	if (noverify) {
		tls_config_insecure_noverifycert(client_cfg);
		tls_config_insecure_noverifyname(client_cfg);
	}
}

static void
client_grow(char **buf, size_t *cap, size_t need)
{
	size_t	 ncap;
	char	*n;

	if (need <= *cap)
		return;
	ncap = *cap ? *cap : 16384;
	while (ncap < need)
		ncap *= 2;
	if ((n = realloc(*buf, ncap)) == NULL)
		fatal("%s", __func__);
	*buf = n;
	*cap = ncap;
}

void
client_connect(struct lg_conn *c)
{
	struct sockaddr_in	 sin;
	int			 one = 1;

	c->fd = socket(client_ai->ai_family, client_ai->ai_socktype |
	    SOCK_NONBLOCK | SOCK_CLOEXEC, client_ai->ai_protocol);
	if (c->fd == -1)
		fatal("socket");
	setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (client_spread > 0) {
		/* As many capture agents: 127.0.0.2, .3, ... in turn. */
		memset(&sin, 0, sizeof(sin));
		sin.sin_family = AF_INET;
		sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK + 1 +
		    client_next++ % client_spread);
		if (bind(c->fd, (struct sockaddr *)&sin, sizeof(sin)) == -1)
			fatal("bind %s", inet_ntoa(sin.sin_addr));
	}
	TAILQ_INIT(&c->reqs);
	c->inflight = 0;
	c->inlen = c->outlen = c->outoff = 0;
	c->close_after = 0;
	c->want_out = 1;
	if (client_stomp) {
		/* Answers come on the subscription, in the order sent. */
		client_grow(&c->out, &c->outcap, sizeof(STOMP_HELLO));
		memcpy(c->out, STOMP_HELLO, sizeof(STOMP_HELLO) - 1);
		c->outlen = sizeof(STOMP_HELLO) - 1;
	}
	if (connect(c->fd, client_ai->ai_addr, client_ai->ai_addrlen) == -1 &&
	    errno != EINPROGRESS) {
		if (!lg_resend)
			fatal("connect");
		/* Crash mode: the vault is down; try again later. */
		check_conn_error("connect: %s", strerror(errno));
		client_close(c);
		c->retry_ns = lg_now() + CLIENT_RECONNECT_NS;
		return;
	}
	c->state = LG_CONNECTING;
}

void
client_close(struct lg_conn *c)
{
	if (c->tls != NULL) {
		tls_close(c->tls);
		tls_free(c->tls);
		c->tls = NULL;
	}
	if (c->fd != -1)
		close(c->fd);	/* and so out of the epoll set */
	c->fd = -1;
	c->ep_fd = -1;
	c->state = LG_IDLE;
	c->want_out = 0;
}

static void
client_fail_all(struct lg_conn *c, const char *why)
{
	struct lg_req	*r;

	while ((r = TAILQ_FIRST(&c->reqs)) != NULL) {
		TAILQ_REMOVE(&c->reqs, r, entry);
		if (!check_lost(r, why))
			lg_req_free(r);
	}
	c->inflight = 0;
}

void
client_cid(const struct lg_req *r, char *buf, size_t size)
{
	snprintf(buf, size, "lg-%016llx-%llu", (unsigned long long)client_run,
	    (unsigned long long)r->cid);
}

void
client_hex(const unsigned char *b, size_t n, char *out)
{
	static const char	 digits[] = "0123456789abcdef";
	size_t			 i;

	for (i = 0; i < n; i++) {
		out[2 * i] = digits[b[i] >> 4];
		out[2 * i + 1] = digits[b[i] & 0xf];
	}
	out[2 * n] = '\0';
}

/* Append the request to the output and keep it until its answer. */
void
client_send(struct lg_conn *c, struct lg_req *r)
{
	unsigned char	 md[32];
	char		 hex[65], head[512], cid[160] = "";
	int		 n;

	r->queued_ns = lg_now();
	SHA256((unsigned char *)r->body, r->bodylen, md);
	client_hex(md, sizeof(md), hex);
	r->retry_after = -1;
	if (client_stomp) {
		/* The queue front: the same trace as a SEND frame. */
		if (r->cid != 0) {
			memcpy(cid, "client-id:", 10);
			client_cid(r, cid + 10, sizeof(cid) - 12);
			strlcat(cid, "\n", sizeof(cid));
		}
		n = snprintf(head, sizeof(head),
		    "SEND\ndestination:/queue/events.in\n"
		    "content-type:application/xml\n"
		    "content-length:%zu\n"
		    "%s"
		    "digest-algo:SHA-256\ndigest:%s\n\n",
		    r->bodylen, cid, hex);
	} else {
		if (r->cid != 0) {
			memcpy(cid, "Client-Id: ", 11);
			client_cid(r, cid + 11, sizeof(cid) - 13);
			strlcat(cid, "\r\n", sizeof(cid));
		}
		n = snprintf(head, sizeof(head),
		    "POST %s HTTP/1.1\r\n"
		    "Host: %s\r\n"
		    "Content-Type: application/xml\r\n"
		    "Content-Length: %zu\r\n"
		    "%s"
		    "Digest: sha-256=%s\r\n"
		    "\r\n",
		    r->batch ? "/v1/events/batch" : "/v1/events", client_host,
		    r->bodylen, cid, hex);
	}
	client_grow(&c->out, &c->outcap, c->outlen + n + r->bodylen);
	memcpy(c->out + c->outlen, head, n);
	memcpy(c->out + c->outlen + n, r->body, r->bodylen);
	c->outlen += n + r->bodylen;
	if (client_stomp) {
		client_grow(&c->out, &c->outcap, c->outlen + 1);
		c->out[c->outlen++] = '\0';
	}
	TAILQ_INSERT_TAIL(&c->reqs, r, entry);
	c->inflight++;
	c->want_out = 1;
	lg_stats.requests++;
}

void
client_get(struct lg_conn *c, const char *path, int kind, uint64_t now)
{
	struct lg_req	*r;
	char		 head[512];
	int		 n;

	if ((r = calloc(1, sizeof(*r))) == NULL)
		fatal("%s", __func__);
	r->sched_ns = now;
	r->kind = kind;
	n = snprintf(head, sizeof(head), "GET %s HTTP/1.1\r\nHost: %s\r\n\r\n",
	    path, client_host);
	client_grow(&c->out, &c->outcap, c->outlen + n);
	memcpy(c->out + c->outlen, head, n);
	c->outlen += n;
	TAILQ_INSERT_TAIL(&c->reqs, r, entry);
	c->inflight++;
	c->want_out = 1;
}

static int
client_write(struct lg_conn *c)
{
	ssize_t	 n;

	c->want_out = 0;
	while (c->outoff < c->outlen) {
		n = tls_write(c->tls, c->out + c->outoff,
		    c->outlen - c->outoff);
		if (n == TLS_WANT_POLLOUT) {
			c->want_out = 1;
			return 0;
		}
		if (n == TLS_WANT_POLLIN)
			return 0;
		if (n == -1) {
			check_conn_error("write: %s", tls_error(c->tls));
			return -1;
		}
		c->outoff += n;
	}
	c->outoff = c->outlen = 0;
	return 0;
}

static int
client_read(struct lg_conn *c, uint64_t now)
{
	ssize_t	 n;
	int	 rounds;

	for (rounds = 0; rounds < 64; rounds++) {
		client_grow(&c->in, &c->incap, c->inlen + CLIENT_READ);
		n = tls_read(c->tls, c->in + c->inlen, c->incap - c->inlen);
		if (n == TLS_WANT_POLLIN)
			return 0;
		if (n == TLS_WANT_POLLOUT) {
			c->want_out = 1;
			return 0;
		}
		if (n == -1) {
			check_conn_error("read: %s", tls_error(c->tls));
			return -1;
		}
		if (n == 0)
			return -1;
		c->inlen += n;
		if (client_parse(c, now) == -1)
			return -1;
	}
	return 0;
}

/* Every complete answer in the input, in order. */
static int
client_parse(struct lg_conn *c, uint64_t now)
{
	struct lg_req	*r;
	char		*end, *line, *eol, *p;
	size_t		 hlen, blen, off = 0;
	int		 status, closing, retry;

	if (client_stomp)
		return client_parse_stomp(c, now);
	while (off < c->inlen) {
		end = memmem(c->in + off, c->inlen - off, "\r\n\r\n", 4);
		if (end == NULL) {
			if (c->inlen - off > CLIENT_HEAD_MAX) {
				check_error("answer header too long");
				return -1;
			}
			break;
		}
		hlen = end + 4 - (c->in + off);
		line = c->in + off;
		if (hlen < 12 || strncmp(line, "HTTP/1.1 ", 9) != 0) {
			check_error("not an HTTP/1.1 answer");
			return -1;
		}
		status = atoi(line + 9);
		closing = 0;
		retry = -1;
		blen = (size_t)-1;
		for (p = (char *)memchr(line, '\n', hlen) + 1; p < end;
		    p = eol + 2) {
			eol = memmem(p, end + 2 - p, "\r\n", 2);
			if (eol == NULL)
				break;
			if (strncasecmp(p, "Content-Length:", 15) == 0)
				blen = strtoull(p + 15, NULL, 10);
			else if (strncasecmp(p, "Retry-After:", 12) == 0)
				retry = atoi(p + 12);
			else if (strncasecmp(p, "Connection:", 11) == 0 &&
			    strncasecmp(p + 11 + strspn(p + 11, " "), "close",
			    5) == 0)
				closing = 1;
			else if (strncasecmp(p, "Transfer-Encoding:", 18) == 0) {
				check_error("chunked answer to a deposit");
				return -1;
			}
		}
		if (blen == (size_t)-1) {
			check_error("answer without Content-Length");
			return -1;
		}
		if (c->inlen - off < hlen + blen)
			break;
		if ((r = TAILQ_FIRST(&c->reqs)) == NULL) {
			check_error("answer to no request");
			return -1;
		}
		TAILQ_REMOVE(&c->reqs, r, entry);
		c->inflight--;
		c->answers++;
		r->retry_after = retry;
		if (!check_answer(r, status, line + hlen, blen, now))
			lg_req_free(r);
		off += hlen + blen;
		if (closing) {
			c->close_after = 1;
			return -1;
		}
	}
	if (off > 0) {
		memmove(c->in, c->in + off, c->inlen - off);
		c->inlen -= off;
	}
	return 0;
}

/* The answer to the oldest request in flight. */
static int
client_answer(struct lg_conn *c, int status, const char *body, size_t len,
    uint64_t now)
{
	struct lg_req	*r;

	if ((r = TAILQ_FIRST(&c->reqs)) == NULL) {
		check_error("answer to no request");
		return -1;
	}
	TAILQ_REMOVE(&c->reqs, r, entry);
	c->inflight--;
	c->answers++;
	check_answer(r, status, body, len, now);
	lg_req_free(r);
	return 0;
}

/*
 * STOMP frames: a MESSAGE is the answer to the oldest SEND (201), an
 * ERROR a refusal with its status, then the server closes.  CONNECTED,
 * RECEIPT and heart-beats carry nothing to check.
 */
static int
client_parse_stomp(struct lg_conn *c, uint64_t now)
{
	char		*head, *end, *p, *nul;
	size_t		 hlen, blen, off = 0;
	int		 status;
	char		*in = c->in;

	if (in == NULL)
		return 0;
	while (off < c->inlen) {
		if (in[off] == '\n') {
			off++;
			continue;
		}
		head = in + off;
		for (end = head; end + 1 < in + c->inlen; end++)
			if (end[0] == '\n' && end[1] == '\n')
				break;
		if (end + 1 >= in + c->inlen) {
			if (c->inlen - off > CLIENT_HEAD_MAX) {
				check_error("frame head too long");
				return -1;
			}
			break;
		}
		hlen = end + 2 - head;
		blen = (size_t)-1;
		status = 0;
		for (p = (char *)memchr(head, '\n', hlen) + 1; p < end;
		    p = (char *)memchr(p, '\n', end + 1 - p) + 1) {
			if (strncmp(p, "content-length:", 15) == 0)
				blen = strtoull(p + 15, NULL, 10);
			else if (strncmp(p, "status:", 7) == 0)
				status = atoi(p + 7);
		}
		if (blen == (size_t)-1) {
			if ((nul = memchr(end + 2, '\0', c->inlen - off - hlen))
			    == NULL)
				break;
			blen = nul - (end + 2);
		}
		if (c->inlen - off < hlen + blen + 1)
			break;
		if (strncmp(head, "MESSAGE\n", 8) == 0) {
			if (client_answer(c, 201, head + hlen, blen, now) == -1)
				return -1;
		} else if (strncmp(head, "ERROR\n", 6) == 0) {
			client_answer(c, status, head + hlen, blen, now);
			c->close_after = 1;
			return -1;
		}
		off += hlen + blen + 1;
	}
	if (off > 0) {
		memmove(c->in, c->in + off, c->inlen - off);
		c->inlen -= off;
	}
	return 0;
}

int
client_io(struct lg_conn *c, short revents, uint64_t now)
{
	socklen_t	 sl;
	int		 e, r;

	if (c->state == LG_CONNECTING) {
		if ((revents & (POLLOUT | POLLERR | POLLHUP)) == 0)
			return 0;
		sl = sizeof(e);
		if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &e, &sl) == -1 ||
		    e != 0) {
			check_conn_error("connect: %s", strerror(e));
			goto lost;
		}
		if ((c->tls = tls_client()) == NULL)
			fatalx("tls_client failed");
		if (tls_configure(c->tls, client_cfg) == -1)
			fatalx("tls_configure: %s", tls_error(c->tls));
		if (tls_connect_socket(c->tls, c->fd, client_host) == -1)
			fatalx("tls_connect_socket: %s", tls_error(c->tls));
		c->state = LG_HANDSHAKE;
	}
	if (c->state == LG_HANDSHAKE) {
		r = tls_handshake(c->tls);
		if (r == TLS_WANT_POLLIN) {
			c->want_out = 0;
			return 0;
		}
		if (r == TLS_WANT_POLLOUT) {
			c->want_out = 1;
			return 0;
		}
		if (r == -1) {
			check_conn_error("handshake: %s", tls_error(c->tls));
			goto lost;
		}
		c->state = LG_READY;
		c->want_out = c->outlen > 0;
	}
	if (c->outoff < c->outlen && client_write(c) == -1)
		goto lost;
	if (client_read(c, now) == -1)
		goto lost;
	if (c->outoff < c->outlen && !c->want_out && client_write(c) == -1)
		goto lost;
	return 0;
 lost:
	client_fail_all(c, c->close_after ? "closed by the server" :
	    "connection lost");
	client_close(c);
	c->retry_ns = c->close_after ? 0 : lg_now() + CLIENT_RECONNECT_NS;
	return -1;
}
