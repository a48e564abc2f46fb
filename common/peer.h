/*
 * How the daemons meet: a listener accepts peers on a Unix socket in the
 * runtime directory, a connector dials it and redials with backoff.
 * Credentials (SO_PEERCRED) are checked before a byte is read, then the
 * connector says IMSG_HELLO (struct proto_hello) and the listener answers
 * with its own; only then is the peer up and its messages dispatched.
 *
 * A listener drops a peer that breaks the protocol and carries on; a
 * connector treats a listener that breaks it as fatal.  on_up is the
 * place to resend whatever the peer has not acknowledged; on_down says
 * nothing more will arrive from this peer (a listener's peer is freed
 * right after it).  Everything runs on the global libevent base.
 */
#ifndef CFJL_PEER_H
#define CFJL_PEER_H

#include <sys/types.h>
#include <sys/queue.h>
#include <sys/uio.h>
#include <limits.h>
#include <event.h>

#include "imsgev.h"

#define PEER_NAME_MAX		16	/* struct proto_hello name */
#define PEER_UIDS_MAX		8
#define PEER_CONN_MAX		64	/* concurrent peers of one listener */
#define PEER_BACKOFF_MIN	100	/* milliseconds */
#define PEER_BACKOFF_MAX	5000

/* What on_msg returns. */
#define PEER_HANDLED		0
#define PEER_UNKNOWN		1	/* unexpected or malformed message */

enum peer_state {
	PEER_DOWN,		/* not connected (connector: waiting to redial) */
	PEER_HELLO,		/* connected, waiting for the other's HELLO */
	PEER_UP
};

struct peer;
struct peer_cb {
	int	(*on_msg)(struct peer *, struct imsg *);
	void	(*on_up)(struct peer *);	/* may be NULL */
	void	(*on_down)(struct peer *);	/* may be NULL */
	void	*arg;				/* for the daemon: peer->arg */
};

struct peer_listener;
struct peer {
	struct imsgev		 iev;
	char			 name[PEER_NAME_MAX];	/* theirs, from HELLO */
	char			 myname[PEER_NAME_MAX];
	uid_t			 uid;	/* expected (connector), seen (listener) */
	pid_t			 pid;	/* from SO_PEERCRED */
	enum peer_state		 state;
	struct peer_cb		 cb;
	void			*arg;	/* cb.arg, or the daemon's own */
	struct peer_listener	*listener;	/* NULL: we are the connector */
	TAILQ_ENTRY(peer)	 entry;
	int			 busy;	/* inside a dispatch */
	int			 dead;	/* closed during a dispatch */

	/* connector */
	char			 dir[PATH_MAX];
	char			 sockname[PEER_NAME_MAX + 8];
	struct event		 retry;
	int			 backoff;	/* milliseconds */
	int			 stopped;
};
TAILQ_HEAD(peer_list, peer);

struct peer_listener {
	int			 fd;
	struct event		 ev;
	struct event		 pause;	/* out of descriptors: wait */
	char			 sockname[PEER_NAME_MAX + 8];
	char			 myname[PEER_NAME_MAX];
	uid_t			 uids[PEER_UIDS_MAX];
	size_t			 nuids;
	struct peer_cb		 cb;
	struct peer_list	 peers;
	size_t			 npeers;
};

/*
 * Listen on dir/sockname with the given file mode; only peers running as
 * one of the allowed uids get past accept.  The listener answers HELLO
 * with the socket name less ".sock" (e.g. "stored").  0, or -1 and errno.
 */
int	peer_listen(struct peer_listener *, const char *dir,
	    const char *sockname, mode_t mode, const uid_t *allowed_uids,
	    size_t nallowed, const struct peer_cb *);
/* Stop accepting and drop every peer (on_down is called for each). */
void	peer_listen_close(struct peer_listener *);

/*
 * Dial dir/sockname now and whenever the link is lost, with backoff from
 * PEER_BACKOFF_MIN doubling to PEER_BACKOFF_MAX.  The listener must run
 * as expected_uid ((uid_t)-1: our own).
 */
void	peer_connect(struct peer *, const char *dir, const char *sockname,
	    uid_t expected_uid, const char *my_name, const struct peer_cb *);

/* Close the link; a connector stops redialing.  Safe inside on_msg. */
void	peer_close(struct peer *);

/* Queue a message: 0, or -1 and errno (ENOTCONN unless the peer is up). */
int	peer_compose(struct peer *, uint32_t type, const void *, size_t);
int	peer_composev(struct peer *, uint32_t type, const struct iovec *,
	    int);
/* The descriptor is closed once sent, or at once if this fails. */
int	peer_compose_fd(struct peer *, uint32_t type, int fd, const void *,
	    size_t);

/* uid of user when we run as root, else our own (development). */
uid_t	peer_user_uid(const char *user);

#endif
