/*
 * The listening sockets: bound while privileged, from the listen lines
 * of the configuration, then watched for clients, whom conn.c takes.
 * Watching pauses while max-connections are open, and for a second when
 * accept(2) runs out of descriptors or memory.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>

#include <netdb.h>
#include <string.h>
#include <unistd.h>

#include <event.h>

#include "config.h"
#include "conn.h"
#include "frontd.h"
#include "listen.h"
#include "log.h"

#define LISTEN_BACKLOG	4096

static void	listen_resume(int, short, void *);

struct listener {
	int			 fd;
	int			 stomp;		/* the queue front */
	struct event		 ev;
	int			 on;
};

static struct listener		 listeners[LISTEN_MAX];
static size_t			 nlisteners;
static struct event		 listen_pause_ev;

void
listen_open(const struct cfjl_frontd_conf *fc)
{
	struct cfjl_listen	*l;
	struct addrinfo		 hints, *res, *ai;
	int			 fd, on = 1, error;

	TAILQ_FOREACH(l, &fc->listens, entry) {
		memset(&hints, 0, sizeof(hints));
		hints.ai_family = AF_UNSPEC;
		hints.ai_socktype = SOCK_STREAM;
		hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
		if ((error = getaddrinfo(l->host[0] ? l->host : NULL, l->port,
		    &hints, &res)) != 0)
			fatalx("listen on %s port %s: %s", l->host, l->port,
			    gai_strerror(error));
		for (ai = res; ai != NULL; ai = ai->ai_next) {
			if (nlisteners >= LISTEN_MAX)
				fatalx("too many listen addresses");
			if ((fd = socket(ai->ai_family, ai->ai_socktype |
			    SOCK_NONBLOCK | SOCK_CLOEXEC, ai->ai_protocol)) ==
			    -1)
				fatal("socket");
			if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on,
			    sizeof(on)) == -1)
				fatal("setsockopt SO_REUSEADDR");
			if (ai->ai_family == AF_INET6 &&
			    setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &on,
			    sizeof(on)) == -1)
				fatal("setsockopt IPV6_V6ONLY");
			if (bind(fd, ai->ai_addr, ai->ai_addrlen) == -1)
				fatal("bind %s port %s", l->host, l->port);
			/* Deep: under a flood, good clients' SYNs must not wait. */
			if (listen(fd, LISTEN_BACKLOG) == -1)
				fatal("listen %s port %s", l->host, l->port);
			listeners[nlisteners].stomp = l->stomp;
			listeners[nlisteners++].fd = fd;
			log_info("listening on %s port %s%s", l->host, l->port,
			    l->stomp ? " (STOMP)" : "");
		}
		freeaddrinfo(res);
	}
	if (nlisteners == 0)
		fatalx("frontd has no listen address");
}

void
listen_start(void)
{
	size_t	 i;

	for (i = 0; i < nlisteners; i++)
		event_set(&listeners[i].ev, listeners[i].fd,
		    EV_READ | EV_PERSIST, conn_accept,
		    listeners[i].stomp ? &listeners[i] : NULL);
	evtimer_set(&listen_pause_ev, listen_resume, NULL);
	listen_set(1);
}

void
listen_set(int on)
{
	size_t	 i;

	for (i = 0; i < nlisteners; i++) {
		if (on && !listeners[i].on)
			event_add(&listeners[i].ev, NULL);
		else if (!on && listeners[i].on)
			event_del(&listeners[i].ev);
		listeners[i].on = on;
	}
}

void
listen_pause(void)
{
	struct timeval	 tv = { 1, 0 };

	listen_set(0);
	evtimer_add(&listen_pause_ev, &tv);
}

static void
listen_resume(int fd, short ev, void *arg)
{
	if (env->nconns < env->conf->frontd.max_conns)
		listen_set(1);
}

void
listen_close(void)
{
	size_t	 i;

	listen_set(0);
	for (i = 0; i < nlisteners; i++)
		close(listeners[i].fd);
	nlisteners = 0;
}

size_t
listen_fds(int *fds, size_t max)
{
	size_t	 i;

	for (i = 0; i < nlisteners && i < max; i++)
		fds[i] = listeners[i].fd;
	return i;
}
