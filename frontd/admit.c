/*
 * Admitting new connections: caps on connections in all and per client
 * address, and on TLS handshakes of their own (so that connections that
 * never finish one cannot keep out the ones that do), with the oldest
 * handshake evicted when every slot is taken.  conn.c runs what is
 * admitted.
 */
#define _GNU_SOURCE		/* accept4 */

#include <sys/types.h>
#include <sys/queue.h>
#include <sys/socket.h>
#include <sys/tree.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include <errno.h>
#include <netdb.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event.h>
#include <tls.h>

#include "admit.h"
#include "config.h"
#include "connstate.h"
#include "frontd.h"
#include "listen.h"
#include "log.h"
#include "refjournal.h"
#include "stompconn.h"

#define ADMIT_ROUNDS	32	/* accepts per wake-up */

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

static int	admit_one(int, int);
static void	admit_client_drop(struct client *);
static void	admit_hs_evict(void);
static void	admit_hs_log(void);

static int
client_cmp(struct client *a, struct client *b)
{
	return strcmp(a->addr, b->addr);
}

/* A few connections a wake-up: a flood must not leave good ones queued. */
void
admit_accept(int lfd, short ev, void *arg)
{
	int	 i;

	for (i = 0; i < ADMIT_ROUNDS; i++)
		if (admit_one(lfd, arg != NULL) == -1)
			break;
}

/* -1: stop accepting for this wake-up.  stomp: a queue front listener. */
static int
admit_one(int lfd, int stomp)
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
		refjournal_peer(key.addr, "connection-refused",
		    "max-conns-per-client", "more than %u connections from "
		    "this address", fc->max_conns_per_client);
		close(fd);
		return 0;
	}
	if (cl != NULL && cl->nhs >= fc->max_handshakes_per_client) {
		/* Counted, not logged one by one: a flood fills logs. */
		hs_cut.refused++;
		refjournal_peer(key.addr, "connection-refused",
		    "max-handshakes-per-client", "more than %u TLS handshakes "
		    "at once from this address",
		    fc->max_handshakes_per_client);
		admit_hs_log();
		close(fd);
		return 0;
	}
	if (nhandshakes >= fc->max_handshakes) {
		admit_hs_evict();
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
		admit_client_drop(cl);
		close(fd);
		return 0;
	}
	if (tls_accept_socket(env->tls, &c->tls, fd) == -1) {
		log_warnx("%s: tls_accept_socket: %s", key.addr,
		    tls_error(env->tls));
		free(c);
		admit_client_drop(cl);
		close(fd);
		return 0;
	}
	if (stomp && (c->stomp = stompconn_new(c)) == NULL) {
		tls_free(c->tls);
		free(c);
		admit_client_drop(cl);
		close(fd);
		return 0;
	}
	cl->n++;
	cl->nhs++;
	c->client = cl;
	c->fd = fd;
	c->state = CONN_HANDSHAKE;
	TAILQ_INSERT_TAIL(&handshakes, c, hs_entry);
	nhandshakes++;
	conn_start(c);
	return 0;
}

/* An address with no connection left leaves the tree. */
static void
admit_client_drop(struct client *cl)
{
	if (cl->n == 0) {
		RB_REMOVE(client_tree, &clients, cl);
		free(cl);
	}
}

void
admit_release(struct conn *c)
{
	c->client->n--;
	admit_client_drop(c->client);
}

/*
 * Every handshake slot is taken: the oldest handshake of an address
 * that holds two or more goes (a client with a certificate finishes its
 * own in milliseconds, one at a time); failing that, the oldest.
 */
static void
admit_hs_evict(void)
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
	refjournal_peer(victim->client->addr, "connection-refused",
	    "max-handshakes", "TLS handshake cut: every handshake slot taken "
	    "(max-handshakes)");
	admit_hs_log();
	conn_close(victim);
}

void
admit_hs_done(struct conn *c)
{
	if (c->state != CONN_HANDSHAKE)
		return;
	TAILQ_REMOVE(&handshakes, c, hs_entry);
	nhandshakes--;
	c->client->nhs--;
}

void
admit_hs_timedout(const struct conn *c)
{
	refjournal_peer(c->client->addr, "tls-refused", "handshake-timeout",
	    "no TLS handshake within handshake-timeout");
	hs_cut.timedout++;
	admit_hs_log();
}

static void
admit_hs_log(void)
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
