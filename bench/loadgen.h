/*
 * loadgen: the deposit load generator of the benchmark.  What its modules
 * share.
 *
 *	loadgen.c	options, the closed, open and idle loops, the report
 *	gen.c		realistic traces made from the ARJEL sample events
 *	tlsclient.c	mutual-TLS connections, pipelined HTTP/1.1 requests
 *	check.c		every answer checked; IDEvt set; latency samples
 *	sealtime.c	lots acknowledged and seen sealed
 *	resend.c	crash mode: acknowledgements recorded, lost requests
 *			resent with their Client-Id, answers asked again
 */
#ifndef BENCH_LOADGEN_H
#define BENCH_LOADGEN_H

#include <sys/types.h>
#include <sys/queue.h>

#include <stddef.h>
#include <stdint.h>

#define GEN_TRACE_MAX	2048	/* one generated trace, at most */
#define LG_BATCH_MAX	1000

struct tls_config;

/* gen.c: traces from the sample events (IDEvt 0, fields varied). */
void	 gen_load(const char *dir, unsigned int oper, unsigned int vault);
size_t	 gen_ntypes(void);
/* One trace into out (GEN_TRACE_MAX); its length, *idoff where "0" is. */
size_t	 gen_trace(char *out, int decl, size_t *idoff);

/* One trace inside a request body, to predict the archived digest. */
struct lg_trace {
	uint32_t	 off;		/* in the body */
	uint32_t	 len;
	uint32_t	 idoff;		/* the "0" of IDEvt, from off */
};

enum lg_req_kind {
	LG_REQ_DEPOSIT = 0,
	LG_REQ_PROBE,		/* idle mode's GET: any answer will do */
	LG_REQ_STATUS		/* the sealing monitor's GET /v1/status */
};

/* One request in flight; its answers come back in order. */
struct lg_req {
	TAILQ_ENTRY(lg_req)	 entry;
	uint64_t		 sched_ns;	/* latency counts from here */
	uint64_t		 queued_ns;	/* written to the connection */
	uint32_t		 ntraces;
	int			 batch;
	int			 kind;		/* LG_REQ_* */
	uint64_t		 cid;		/* Client-Id number; 0: none */
	uint32_t		 tries;		/* sent before, unanswered */
	int			 echo;		/* answered already: again */
	int			 retry_after;	/* of a 503, s; -1: absent */
	uint64_t		 due_ns;	/* resend: not before */
	uint64_t		*want;		/* echo: the IDEvt given */
	char			(*wantdig)[65];	/* echo: the digests given */
	size_t			 wantcap;
	char			*body;
	size_t			 bodylen;
	size_t			 bodycap;
	struct lg_trace		*traces;
	size_t			 tracecap;
};
TAILQ_HEAD(lg_reqq, lg_req);

enum lg_state {
	LG_IDLE = 0,		/* no socket */
	LG_CONNECTING,
	LG_HANDSHAKE,
	LG_READY,
	LG_DEAD			/* gave up on it */
};

struct lg_conn {
	int		 fd;
	int		 state;
	struct tls	*tls;
	int		 want_out;	/* poll for POLLOUT */
	int		 ep_fd;		/* the fd epoll watches; -1: none */
	uint32_t	 ep_events;	/* what it watches it for */
	char		*out;
	size_t		 outlen;
	size_t		 outoff;
	size_t		 outcap;
	char		*in;
	size_t		 inlen;
	size_t		 incap;
	struct lg_reqq	 reqs;		/* sent, answer pending */
	uint64_t	 retry_ns;	/* crash mode: reconnect not before */
	unsigned int	 inflight;
	int		 close_after;	/* the server said Connection: close */
	unsigned int	 answers;	/* answers on this connection */
};

/* tlsclient.c */
void	 client_init(const char *host, const char *port, const char *ca,
	    const char *cert, const char *key, int noverify,
	    unsigned int spread);
void	 client_connect(struct lg_conn *);
/* Handle poll events; -1 when the connection was lost. */
int	 client_io(struct lg_conn *, short revents, uint64_t now);
void	 client_close(struct lg_conn *);
/* Queue a request and start writing it. */
void	 client_send(struct lg_conn *, struct lg_req *);
/* The Client-Id header's value of a request (r->cid != 0). */
void	 client_cid(const struct lg_req *, char *, size_t);
/* Lower-case hex of n bytes into out (2n + 1 bytes). */
void	 client_hex(const unsigned char *, size_t n, char *out);
/* A raw GET (idle mode), answered through client_io like the others. */
void	 client_get(struct lg_conn *, const char *path, int kind,
	    uint64_t now);
uint64_t lg_now(void);
extern int client_stomp;	/* -T: deposits over the queue front */

/* check.c */
struct lg_stats {
	uint64_t	 requests;
	uint64_t	 events;	/* acknowledged correctly */
	uint64_t	 errors;
	uint64_t	 lost;		/* no answer: connection lost */
	uint64_t	 bad_status;
	uint64_t	 bad_json;
	uint64_t	 bad_digest;
	uint64_t	 duplicates;	/* idevt given twice */
	uint64_t	 unavailable;	/* crash mode: 503 answers */
	uint64_t	 conn_errors;	/* crash mode: connections lost */
	uint64_t	 resent;	/* crash mode: requests sent again */
	uint64_t	 acked_resent;	/* events acknowledged on a resend */
	uint64_t	 dup_answers;	/* ... as CFJL_DUPLICATE_EVENT */
	uint64_t	 dropped;	/* lost without Client-Id: not resent */
	uint64_t	 echoes;	/* answered requests asked again */
	uint64_t	 first_ns;
	uint64_t	 last_ns;
};
extern struct lg_stats	 lg_stats;
extern int		 lg_check_digest;

void	 check_init(size_t expect_events);
/* A complete answer to r, at now; 1 if r was kept to be sent again. */
int	 check_answer(struct lg_req *, int status, const char *body,
	    size_t len, uint64_t now);
/* No answer to r; 1 if r was kept to be sent again. */
int	 check_lost(struct lg_req *, const char *why);
void	 check_error(const char *fmt, ...)
	    __attribute__((__format__(printf, 1, 2)));
/* A connection failed: an error, except in crash mode. */
void	 check_conn_error(const char *fmt, ...)
	    __attribute__((__format__(printf, 1, 2)));
/* Sort and check the IDEvt set; fill first/last; 0 if contiguous. */
int	 check_idevts(uint64_t *first, uint64_t *last, uint64_t *gaps,
	    uint64_t *dups);
/* Latency from the time each request was due: percentiles, in ms. */
void	 check_latency(double *p50, double *p99, double *p999, double *max,
	    double *mean);
/* p99 of the load generator's own delay; p50, p99 of the rest. */
void	 check_latency_split(double *lag_p99, double *vault_p50,
	    double *vault_p99);
size_t	 check_nsamples(void);

/* sealtime.c: lots acknowledged, lots seen sealed in /v1/status. */
void	 seal_ack(uint64_t lot, uint64_t now);
void	 seal_status(const char *body, size_t len, uint64_t now);
/* Every lot acknowledged so far is seen sealed. */
int	 seal_caught_up(void);
void	 seal_report(FILE *, uint64_t start, uint64_t end);

/* resend.c: the crash mode, on when resend_init was called. */
extern int	 lg_resend;
void	 resend_init(const char *ackfile, unsigned int echo_every);
/* Keep r to send again after a lost connection or a 503; 0 if not. */
int	 resend_keep(struct lg_req *, uint64_t now);
/* A request due to be sent again, or NULL. */
struct lg_req *resend_due(uint64_t now);
size_t	 resend_waiting(void);
/* r was acknowledged with these IDEvt and digests; 1 if r was kept. */
int	 resend_acked(struct lg_req *, const uint64_t *, const char **,
	    size_t, int dup);
void	 resend_close(void);

/* loadgen.c */
void	 lg_req_free(struct lg_req *);

#endif
