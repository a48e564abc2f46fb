/*
 * One answer to one request, queued on its connection in request order,
 * and the builders that give it its final shape: a head, a body, the
 * JSON of a refusal.  An answer waiting for stored is also in links.c's
 * tree, by reqid.
 */
#ifndef FRONTD_RESP_H
#define FRONTD_RESP_H

#include <sys/types.h>
#include <sys/queue.h>
#include <sys/tree.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "proto.h"
#include "refusal.h"

struct conn;
struct json;
struct stompconn;

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
	int			 head_only;	/* HEAD: no body sent */
	uint32_t		 ntraces;	/* deposit: items expected */
	char			*data;
	size_t			 len;
	size_t			 cap;
	/* what the answer to a deposit repeats */
	char			 client_id[CLIENT_ID_MAX];
	uint64_t		 lot;		/* GET /v1/lots/N */
	struct stompconn	*stomp;		/* a SEND's answer: its session */
	char			 receipt[128];	/* the SEND's receipt, or "" */
	const char		*allow;		/* for 405 */
	int			 journaled;	/* its refusal: elsewhere */
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

#define RESP_RETRY_AFTER	5	/* seconds, when stored is away */

void	 resp_json(struct resp *, int status, struct json *,
	    const char *extra_headers);
void	 resp_error(struct resp *, enum refusal, const char *error,
	    const char *detail, long index);
void	 resp_raw(struct resp *, int status, const char *type,
	    const char *body, size_t len, const char *extra_headers);
int	 resp_append(struct resp *, const void *, size_t);
void	 resp_free(struct resp *);

#endif
