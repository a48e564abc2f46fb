/*
 * Unix sockets between the daemons, and the peer credential check that
 * must pass before anything is exchanged.
 */
#ifndef CFJL_SOCK_H
#define CFJL_SOCK_H

#include <sys/types.h>

/* Bind and listen on dir/name; mode applies to the socket file. */
int	sock_listen(const char *dir, const char *name, mode_t mode);
/* Connect to dir/name; -1 and errno if nobody listens yet. */
int	sock_connect(const char *dir, const char *name);
/* 0 if the peer runs as uid (or, when uid is -1, as our own uid). */
int	sock_peer_check(int fd, uid_t uid, uid_t *peer_uid, gid_t *peer_gid,
	    pid_t *peer_pid);
int	sock_nonblock(int fd);

#endif
