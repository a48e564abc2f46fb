/*
 * frontd: the only CFJL process on the network.  This header holds the
 * daemon-wide state only; each module has its own header.
 *
 *	frontd.c	start-up: its description for common/proc.c
 *	workers.c	the workers: their description, start, reports
 *	frontd_env.c	the daemon's globals
 *	frontd_ctl.c	control socket (status, stop)
 *	tlsserver.c	libtls server context, client certificate identity
 *	clientca.c	the two client CAs, CRLs re-read without restart
 *	p12.c		the TLS key and certificate from a PKCS#12 file
 *	listen.c	the listening sockets
 *	conn.c		connections: TLS I/O, limits, timeouts, pipelined
 *			answers kept in request order
 *	http.c		request parsing
 *	router.c	routes and roles
 *	resp.c		the shape of every answer
 *	events.c	POST /v1/events and /v1/events/batch
 *	links.c		stored: requests out, answers back by reqid
 *	roles.c		subject -> role, from the configuration and stored
 *	trace.c		trace checks, schemaset.c the schema set
 */
#ifndef FRONTD_H
#define FRONTD_H

#include <sys/types.h>
#include <stdint.h>
#include <time.h>

#include "http.h"
#include "stompframe.h"
#include "trace.h"

struct cfjl_conf;
struct tls;

struct frontd {
	struct cfjl_conf	*conf;
	struct tls		*tls;
	struct trace_policy	 policy;
	struct http_limits	 limits;
	struct stompframe_limits stomp_limits;
	uid_t			 stored_uid;	/* expected on stored.sock */
	int			 stored_up;
	time_t			 started;
	unsigned int		 worker;	/* from 1; 0: the parent */
	unsigned int		 nworkers;
	unsigned int		 nconns;
	uint64_t		 ndeposits;
	uint64_t		 nrefused;
	const char		*sockdir;	/* runtime dir as we reach it */
};

/* frontd_env.c: the daemon's globals */
extern struct frontd	*env;
long long	 frontd_env_uptime(void);	/* seconds */

#endif
