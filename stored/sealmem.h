/*
 * The events of lots to seal, kept in memory (sealmem.c).
 */
#ifndef CFJL_SEALMEM_H
#define CFJL_SEALMEM_H

#include <stddef.h>
#include <stdint.h>

#include <libpq-fe.h>

struct db_job;
struct lot_closed;
struct seal_event;

struct seal_event *sealmem_alloc(uint64_t);
void		 sealmem_free(struct seal_event *, uint64_t);
int		 sealmem_room(uint64_t);
void		 sealmem_event_row(struct seal_event *, PGresult *, int, int);
void		 sealmem_capture(struct db_job *, const struct lot_closed *);
struct seal_event *sealmem_capture_take(const struct lot_closed *, size_t *);
void		 sealmem_capture_drop(void);
void		 sealmem_committed(uint64_t, const struct seal_event *);

#endif
