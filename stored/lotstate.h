/*
 * The numbering state and the lots closing (lotstate.c).
 */
#ifndef CFJL_LOTSTATE_H
#define CFJL_LOTSTATE_H

#include <stddef.h>
#include <stdint.h>

#include "proto.h"

struct db_job;

struct lot_closed {
	uint64_t	 numero;
	uint64_t	 first;
	uint64_t	 last;
	int64_t		 opened_ms;
	int64_t		 closed_ms;
};
struct lotstate_mark {
	uint64_t	 next_idevt;
	uint64_t	 lot;
	uint64_t	 lot_first;
	uint32_t	 lot_count;
	int64_t		 lot_opened_ms;
	int		 close_due;
};

void		 lotstate_init(void);
void		 lotstate_db_up(void (*ready)(void));
void		 lotstate_db_down(void);
int		 lotstate_ready(void);
void		 lotstate_mark(struct lotstate_mark *);
void		 lotstate_rewind(const struct lotstate_mark *);
uint64_t	 lotstate_assign(int64_t received_ms, uint64_t *lot,
		    struct lot_closed *, int *closed);
int		 lotstate_close_due(struct lot_closed *);
void		 lotstate_committed(const struct lot_closed *, size_t,
		    uint64_t last_idevt);
void		 lotstate_add_close(struct db_job *, const struct lot_closed *);
int		 lotstate_closing(void);
int		 lotstate_seal_now(void);
uint64_t	 lotstate_last_idevt(void);
uint64_t	 lotstate_last_sealed(void);
uint64_t	 lotstate_current(void);
enum lot_state	 lotstate_of(uint64_t);
void		 lotstate_lag(uint64_t *events, int64_t *oldest_ms,
		    uint64_t *lots);

#endif
