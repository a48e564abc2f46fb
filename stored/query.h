/*
 * Lots, status and the export journal, for frontd (query.c).
 */
#ifndef CFJL_QUERY_H
#define CFJL_QUERY_H

#include <stddef.h>
#include <stdint.h>

struct msg;

int		 query_lot(uint64_t, struct msg *);
int		 query_status(uint64_t, struct msg *);
int		 query_requests(uint64_t, struct msg *);
char		*query_status_json(size_t *);

#endif
