/*
 * Sealing the closed lots in order, their seals written (sealqueue.c).
 */
#ifndef CFJL_SEALQUEUE_H
#define CFJL_SEALQUEUE_H

#include <stdint.h>

struct db_job;
struct lot_closed;
struct msg;

void		 sealqueue_queue_init(void);
void		 sealqueue_closed(const struct lot_closed *);
void		 sealqueue_db_load(struct db_job *);
void		 sealqueue_db_loaded(int ok);
void		 sealqueue_db_down(void);
void		 sealqueue_kick(void);
uint64_t	 sealqueue_last_sealed(uint64_t *last_idevt);
uint64_t	 sealqueue_pending(int64_t *oldest_opened_ms);
int		 sealqueue_done(struct msg *);
int		 sealqueue_fail(struct msg *);
void		 sealqueue_lost(void);

#endif
