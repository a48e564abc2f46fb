/*
 * Deposits (deposit.c): requests and their Client-Ids, handed to the
 * group commit (commit.c), which shares their structures.
 */
#ifndef CFJL_DEPOSIT_H
#define CFJL_DEPOSIT_H

#include <sys/queue.h>

#include <stddef.h>
#include <stdint.h>

#include "proto.h"
#include "refusal.h"

struct cid;
struct msg;

struct dtrace {
	struct deposit_trace	 h;
	const uint8_t		*xml;
	struct cid		*cid;	/* owned: LOOKUP or PENDING */
	int			 dup;
	struct deposit_item	 item;
	uint8_t			*p7m;
	size_t			 p7mlen;
	uint8_t			 p7m_sha[SHA256_LEN];
};

enum dreq_state {
	DREQ_WAIT,	/* Client-Id checks */
	DREQ_READY,	/* in the queue for the next group */
	DREQ_WRITING
};

struct dreq {
	TAILQ_ENTRY(dreq)	 entry;
	uint64_t		 front;
	struct deposit_req	 h;
	uint8_t			*buf;	/* the message, traces in clear */
	size_t			 buflen;
	struct dtrace		*t;
	uint32_t		 nnew;	/* traces to store */
	int			 counted;	/* in the events waiting */
	int			 solo;	/* its group failed: retry alone */
	enum dreq_state		 state;
	int64_t			 t_in;	/* us, monotonic: came in */
	int64_t			 t_look;	/* Client-Ids looked up */
	int64_t			 t_ready;	/* queued for a write */
	int64_t			 t_sent;	/* in a write */
};
TAILQ_HEAD(dreqs, dreq);

void		 deposit_init(void);
int		 deposit_request(uint64_t front, struct msg *);
void		 deposit_db_up(void);
void		 deposit_db_down(void);
size_t		 deposit_pending(void);
int		 deposit_looking(void);
void		 deposit_answer(struct dreq *);
void		 deposit_refuse(struct dreq *, enum refusal, int, const char *,
		    const char *, ...)
		    __attribute__((__format__(printf, 5, 6)));
void		 deposit_wake(void);

#endif
