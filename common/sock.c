/*
 * Unix sockets between the daemons: listening in the runtime directory
 * with a fixed file mode, connecting without ever blocking on a stuck
 * listener, and checking who is at the other end (SO_PEERCRED).
 */
#define _GNU_SOURCE	/* struct ucred */
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "sock.h"

static int	sock_path(struct sockaddr_un *, const char *, const char *);

static int
sock_path(struct sockaddr_un *sun, const char *dir, const char *name)
{
	int	 n;

	memset(sun, 0, sizeof(*sun));
	sun->sun_family = AF_UNIX;
	n = snprintf(sun->sun_path, sizeof(sun->sun_path), "%s/%s", dir, name);
	if (n < 0 || (size_t)n >= sizeof(sun->sun_path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return 0;
}

/*
 * A socket file left by a dead listener is removed; one somebody still
 * answers on is not (EADDRINUSE), nor is anything that is not a socket.
 */
int
sock_listen(const char *dir, const char *name, mode_t mode)
{
	struct sockaddr_un	 sun;
	struct stat		 st;
	mode_t			 omask;
	int			 fd, probe, saved;

	if (sock_path(&sun, dir, name) == -1)
		return -1;
	if (lstat(sun.sun_path, &st) == 0) {
		if (!S_ISSOCK(st.st_mode)) {
			errno = EEXIST;
			return -1;
		}
		if ((probe = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC |
		    SOCK_NONBLOCK, 0)) == -1)
			return -1;
		if (connect(probe, (struct sockaddr *)&sun, sizeof(sun)) == 0 ||
		    errno == EAGAIN) {
			close(probe);
			errno = EADDRINUSE;
			return -1;
		}
		close(probe);
		if (unlink(sun.sun_path) == -1 && errno != ENOENT)
			return -1;
	}

	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK,
	    0)) == -1)
		return -1;
	/* The file never exists, even briefly, with a wider mode. */
	omask = umask(~mode & 0777);
	if (bind(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1) {
		saved = errno;
		umask(omask);
		close(fd);
		errno = saved;
		return -1;
	}
	umask(omask);
	if (chmod(sun.sun_path, mode) == -1 || listen(fd, 128) == -1) {
		saved = errno;
		unlink(sun.sun_path);
		close(fd);
		errno = saved;
		return -1;
	}
	return fd;
}

/*
 * Connect without waiting: a Unix connect either completes at once or
 * fails (EAGAIN when the listener's backlog is full).  The descriptor
 * returned is in blocking mode; see sock_nonblock().
 */
int
sock_connect(const char *dir, const char *name)
{
	struct sockaddr_un	 sun;
	int			 fd, flags, saved;

	if (sock_path(&sun, dir, name) == -1)
		return -1;
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK,
	    0)) == -1)
		return -1;
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1)
		goto fail;
	if ((flags = fcntl(fd, F_GETFL)) == -1 ||
	    fcntl(fd, F_SETFL, flags & ~O_NONBLOCK) == -1)
		goto fail;
	return fd;
 fail:
	saved = errno;
	close(fd);
	errno = saved;
	return -1;
}

int
sock_peer_check(int fd, uid_t uid, uid_t *peer_uid, gid_t *peer_gid,
    pid_t *peer_pid)
{
	struct ucred	 cred;
	socklen_t	 len = sizeof(cred);

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) == -1)
		return -1;
	if (peer_uid != NULL)
		*peer_uid = cred.uid;
	if (peer_gid != NULL)
		*peer_gid = cred.gid;
	if (peer_pid != NULL)
		*peer_pid = cred.pid;
	if (uid == (uid_t)-1)
		uid = geteuid();
	if (cred.uid != uid) {
		errno = EPERM;
		return -1;
	}
	return 0;
}

int
sock_nonblock(int fd)
{
	int	 flags;

	if ((flags = fcntl(fd, F_GETFL)) == -1)
		return -1;
	if (flags & O_NONBLOCK)
		return 0;
	return fcntl(fd, F_SETFL, flags | O_NONBLOCK);
}
