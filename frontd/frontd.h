/*
 * frontd: the only CFJL process on the network.  What its modules share:
 * the daemon's state and each module's entry points.
 *
 *	frontd.c	start-up: its description for common/proc.c
 *	frontd_env.c		the daemon's globals
 *	frontd_ctl.c		control socket (status, stop)
 *	tls.c		libtls server context, client certificate identity
 *	conn.c		listeners and connections: TLS I/O, limits, timeouts,
 *			pipelined answers kept in request order
 *	http.c		request parsing
 *	router.c	routes, roles, answers
 *	events.c	POST /v1/events and /v1/events/batch
 *	links.c		stored: requests out, answers back by reqid
 *	roles.c		subject -> role, from the configuration and stored
 *	trace.c		trace checks, schemaset.c the schema set
 */
#ifndef FRONTD_H
#define FRONTD_H

#include <sys/types.h>
#include <sys/queue.h>
#include <sys/tree.h>
#include <stdint.h>

#include <event.h>

#include "config.h"
#include "peer.h"
#include "proto.h"
#include "refusal.h"
#include "http.h"
#include "json.h"
#include "trace.h"

#define FRONTD_PIPELINE_MAX	16	/* answers pending on one connection */
#define FRONTD_OUT_HIGH		(1024 * 1024)	/* stop reading above this */
#define FRONTD_RETRY_AFTER	5	/* seconds, when stored is away */
#define FRONTD_STORED_TIMEOUT	60	/* seconds for stored to answer */

struct tls;
struct conn;

/* One answer, in its connection's queue, in request order. */
struct resp {
	TAILQ_ENTRY(resp)	 entry;		/* conn->resps */
	RB_ENTRY(resp)		 node;		/* waiting for stored */
	struct conn		*conn;		/* NULL once the client left */
	uint64_t		 reqid;		/* 0: not waiting */
	time_t			 asked;		/* when stored was asked */
	int			 kind;		/* RESP_* */
	int			 ready;		/* data is the whole answer */
	int			 close;		/* close the connection after */
	int			 streaming;	/* export: chunks follow */
	int			 done;		/* export: last chunk queued */
	int			 head_sent;	/* export: status line out */
	int			 more_owed;	/* export: MOREs after drain */
	int			 chunks;	/* export: chunks not yet out */
	int			 chunked;	/* export: chunked coding */
	int			 batch;		/* deposit: a batch */
	uint32_t		 ntraces;	/* deposit: items expected */
	char			*data;
	size_t			 len;
	size_t			 cap;
	/* what the answer to a deposit repeats */
	char			 client_id[CLIENT_ID_MAX];
	uint64_t		 lot;		/* GET /v1/lots/N */
	const char		*allow;		/* for 405 */
};
RB_HEAD(resp_tree, resp);

enum resp_kind {
	RESP_LOCAL = 0,		/* answered by frontd itself */
	RESP_DEPOSIT,
	RESP_LOT,
	RESP_STATUS,
	RESP_REQUESTS,
	RESP_CHECKPOINT,
	RESP_EXPORT
};

struct frontd {
	struct cfjl_conf	*conf;
	struct tls		*tls;
	struct trace_policy	 policy;
	struct http_limits	 limits;
	struct peer		 stored;
	uid_t			 stored_uid;	/* expected on stored.sock */
	int			 stored_up;
	struct resp_tree	 pending;
	uint64_t		 nextreqid;
	time_t			 started;
	unsigned int		 nconns;
	uint64_t		 ndeposits;
	uint64_t		 nrefused;
	const char		*sockdir;	/* runtime dir as we reach it */
};

/* frontd_env.c: the daemon's globals */
extern struct frontd	*env;
long long	 frontd_env_uptime(void);	/* seconds */

/* frontd_ctl.c: the control socket and the stop */
struct ctl_request;
struct ctl_conn;
void	 frontd_ctl_request(const struct ctl_request *, struct ctl_conn *);
void	 frontd_ctl_stop(void *);

/* tls.c */
struct tls	*tls_server_setup(const struct cfjl_frontd_conf *);
int		 tls_client_identity(struct tls *, char *subject, size_t,
		    uint8_t depositor[SHA256_LEN]);

/* conn.c */
void	 conn_listen(void);
void	 conn_shutdown(void);
/* An answer became ready (or got more data): write what is in order. */
void	 conn_resp_ready(struct resp *);
const char *conn_subject(const struct conn *);
const uint8_t *conn_depositor(const struct conn *);
const char *conn_addr(const struct conn *);
/* A queued answer with nothing yet; the caller fills it. */
struct resp *conn_resp_new(struct conn *, int kind);
/* Give r's place in its connection's queue to a new answer. */
struct resp *conn_resp_replace(struct resp *);

/* router.c */
void	 router_request(struct conn *, const struct http_request *);
void	 router_http_error(struct conn *, int status, const char *error,
	    const char *detail, int close);
void	 resp_json(struct resp *, int status, struct json *,
	    const char *extra_headers);
void	 resp_error(struct resp *, enum refusal, const char *error,
	    const char *detail, long index);
void	 resp_raw(struct resp *, int status, const char *type,
	    const char *body, size_t len, const char *extra_headers);
int	 resp_append(struct resp *, const void *, size_t);
void	 resp_free(struct resp *);

/* events.c */
void	 events_init(void);
void	 events_request(struct conn *, struct resp *,
	    const struct http_request *, int batch);
void	 events_answer(struct resp *, const struct deposit_ok *,
	    const struct deposit_item *, size_t nitems);

/* links.c */
void	 links_init(void);
void	 links_shutdown(void);
/* Register r as waiting for stored; its reqid is set. */
void	 links_wait(struct resp *);
void	 links_forget(struct resp *);
int	 links_send(uint32_t type, const struct iovec *, int);
void	 links_conn_gone(struct resp *);	/* export: cancel */
void	 links_export_more(struct resp *);

/* roles.c */
#define ROLE_BIT(r)	(1U << (r))
void	 roles_init(const struct cfjl_conf *);
unsigned int roles_of(const char *subject);
void	 roles_reset(void);
int	 roles_add(uint32_t role, const char *subject);
void	 roles_commit(void);
size_t	 roles_count(void);

#endif
