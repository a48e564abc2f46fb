/*
 * Deposits: POST /v1/events and /v1/events/batch, checked here and sent
 * to stored; stored's answer comes back through links.c.
 */
#ifndef FRONTD_EVENTS_H
#define FRONTD_EVENTS_H

#include <stddef.h>

struct conn;
struct resp;
struct http_request;
struct deposit_ok;
struct deposit_item;

void	 events_init(void);
void	 events_request(struct conn *, struct resp *,
	    const struct http_request *, int batch);
void	 events_answer(struct resp *, const struct deposit_ok *,
	    const struct deposit_item *, size_t nitems);

#endif
