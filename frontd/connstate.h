/*
 * A client connection's state, shared by conn.c, admit.c and idle.c
 * only; every other module sees struct conn through conn.h.
 */
#ifndef FRONTD_CONNSTATE_H
#define FRONTD_CONNSTATE_H

#include <sys/types.h>
#include <sys/queue.h>
#include <sys/tree.h>
#include <netinet/in.h>

#include <stdint.h>
#include <time.h>

#include <event.h>

#include "config.h"
#include "http.h"
#include "proto.h"
#include "stompframe.h"

struct resp;
struct stompconn;
struct tls;

enum conn_state {
	CONN_HANDSHAKE,
	CONN_ACTIVE,
	CONN_LINGER		/* answered; draining what the client sends */
};

/* The connections of one address (admit.c's tree). */
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

/* conn.c, for admit.c and idle.c */
/* c admitted (client, fd, socket, handshake slot): start its I/O. */
void	 conn_start(struct conn *);
/* Do whatever can be done now on c; then wait for what blocks. */
void	 conn_io(struct conn *);
/* The answers still queued lose their client. */
void	 conn_detach(struct conn *);
/* Free c and everything it holds. */
void	 conn_close(struct conn *);
time_t	 conn_now(void);	/* monotonic seconds */

#endif
