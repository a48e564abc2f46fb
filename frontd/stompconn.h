/*
 * The queue front: STOMP 1.2 sessions on the connections of a "stomp"
 * listener.  Same certificates, roles, trace checks and answers as the
 * HTTP API; only the framing differs (frontd(8), QUEUE FRONT).
 */
#ifndef FRONTD_STOMPCONN_H
#define FRONTD_STOMPCONN_H

#include <stdint.h>
#include <time.h>

#include "refusal.h"

#define STOMPCONN_RECEIPT_MAX	128	/* a receipt header, with the NUL */
#define STOMPCONN_NOTICES_MAX	64	/* answers queued before notices wait */

struct conn;
struct resp;
struct stompconn;
struct stompframe;
struct stompframe_parser;
struct deposit_item;
struct lot_sealed;

struct stompconn *stompconn_new(struct conn *);
void	 stompconn_free(struct stompconn *);

/* One frame read whole; its bytes stay valid until this returns. */
void	 stompconn_frame(struct stompconn *, const struct stompframe *);
/* The reader refused the input: ERROR, then the connection closes. */
void	 stompconn_bad_input(struct stompconn *,
	    const struct stompframe_parser *);

/* When the connection must next hear from the client, or write. */
time_t	 stompconn_deadline(const struct stompconn *, time_t last_read,
	    time_t last_write, time_t idle_timeout);
/* The deadline passed: what to do. */
#define STOMPCONN_WAIT	0	/* nothing yet */
#define STOMPCONN_BEAT	1	/* write a heart-beat (an EOL) */
#define STOMPCONN_CLOSE	2	/* the client went silent */
int	 stompconn_timeout(const struct stompconn *, time_t last_read,
	    time_t last_write, time_t now, time_t idle_timeout);

/* stored answered a SEND: MESSAGE (and RECEIPT), or ERROR. */
void	 stompconn_answer(struct resp *, const struct deposit_item *);
void	 stompconn_refuse(struct resp *, enum refusal, const char *error,
	    const char *detail);

/* A lot's seal is stored: a MESSAGE on every /queue/archive.out. */
void	 stompconn_lot_sealed(const struct lot_sealed *);

#endif
