/*
 * Client connections: the TLS handshake, reading into a bounded buffer
 * for the HTTP parser, and the answers written in request order.
 */
#ifndef FRONTD_CONN_H
#define FRONTD_CONN_H

#include <stdint.h>

#include "config.h"

#define FRONTD_PIPELINE_MAX	16	/* answers pending on one connection */
#define FRONTD_OUT_HIGH		(1024 * 1024)	/* stop reading above this */

struct conn;
struct resp;

/*
 * A listening socket is readable: take the client (listen.c calls it);
 * arg is non-NULL on a queue front (STOMP) listener.
 */
void	 conn_accept(int fd, short ev, void *arg);
/* Close every connection (the listeners are listen.c's). */
void	 conn_shutdown(void);
/* An answer became ready (or got more data): write what is in order. */
void	 conn_resp_ready(struct resp *);
const char *conn_subject(const struct conn *);
const uint8_t *conn_depositor(const struct conn *);
enum cfjl_ca conn_ca(const struct conn *);
const char *conn_addr(const struct conn *);
/* Answers queued on c, written or not. */
unsigned int conn_pending(const struct conn *);
/* A queued answer with nothing yet; the caller fills it. */
struct resp *conn_resp_new(struct conn *, int kind);
/* Give r's place in its connection's queue to a new answer. */
struct resp *conn_resp_replace(struct resp *);

#endif
