/*
 * Admitting clients: caps on connections and TLS handshakes, in all
 * and per client address.
 */
#ifndef FRONTD_ADMIT_H
#define FRONTD_ADMIT_H

struct conn;

/*
 * A listening socket is readable: take the clients (listen.c calls it);
 * arg is non-NULL on a queue front (STOMP) listener.
 */
void	 admit_accept(int fd, short ev, void *arg);
/* c's handshake is over, one way or the other: its slot is free. */
void	 admit_hs_done(struct conn *);
/* A handshake ran past handshake-timeout (counted, logged in bulk). */
void	 admit_hs_timedout(const struct conn *);
/* c is closing: its address holds one connection less. */
void	 admit_release(struct conn *);

#endif
