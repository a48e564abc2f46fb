/*
 * What an idle or finished connection gives back: its buffers, the
 * heap's top after closes, and its socket once the client has read the
 * answer.
 */
#ifndef FRONTD_IDLE_H
#define FRONTD_IDLE_H

struct conn;

/* c waits for its client: free the buffers it does not use. */
void	 idle_shrink(struct conn *);
/* A connection was closed: give memory back to the system in time. */
void	 idle_trim_soon(void);
/* c is answered and done: drain what the client sends, then close. */
void	 idle_linger(struct conn *);

#endif
