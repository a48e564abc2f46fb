/*
 * The listening sockets: bound while privileged, then watched for
 * clients; paused when descriptors run out or max-connections is
 * reached.
 */
#ifndef FRONTD_LISTEN_H
#define FRONTD_LISTEN_H

#include <stddef.h>

#define LISTEN_MAX	16	/* addresses */

struct cfjl_frontd_conf;

/* Bind every listen address of the configuration; fatal on failure. */
void	 listen_open(const struct cfjl_frontd_conf *);
/* Watch the sockets for clients (conn_accept takes them). */
void	 listen_start(void);
/* Watch (1) or not (0). */
void	 listen_set(int on);
/* Out of descriptors or memory: stop accepting for a second. */
void	 listen_pause(void);
/* Close the sockets. */
void	 listen_close(void);
/* The bound sockets, for a process that takes them over. */
size_t	 listen_fds(int *, size_t);

#endif
