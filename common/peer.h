/*
 * How the daemons meet: a listener accepts peers on a Unix socket in the
 * runtime directory, a connector dials it and redials with backoff.
 * Credentials (SO_PEERCRED) are checked before a byte is read, then the
 * connector says IMSG_HELLO (struct proto_hello) and the listener answers
 * with its own; only then is the peer up and its messages dispatched.
 *
 * Who a peer is comes from its credentials, not from what it says: a
 * listener takes the name of a HELLO only if the list it was given pairs
 * that name with the uid the kernel reports (when every daemon runs as
 * one developer's uid, the name is all that tells them apart); a
 * connector takes the listener's HELLO only if it names the socket it
 * dialed (stored.sock: "stored").  The name gives the peer its sender bit
 * (msg_sender()), and the receiver's table (msg.h) says which types each
 * sender may send.
 *
 * A listener drops a peer that breaks the protocol and carries on; a
 * connector drops the link and redials.  Either way the reason is logged
 * once here, with the message type and the peer.  on_up is the place to
 * resend whatever the peer has not acknowledged; on_down says nothing
 * more will arrive from this peer (a listener's peer is freed right after
 * it).  Everything runs on the global libevent base.
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

enum peer_state {
	PEER_DOWN,		/* not connected (connector: waiting to redial) */
	PEER_HELLO,		/* connected, waiting for the other's HELLO */
	PEER_UP
};

struct msg_table;
struct peer;
struct peer_cb {
	const struct msg_table *table;	/* handlers get the struct peer */
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
	unsigned int		 from;	/* MSG_* bit of name */
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

/* Who may connect to a listener: a daemon's name and its user. */
struct peer_allow {
	const char		*name;
	uid_t			 uid;	/* (uid_t)-1: our own */
};

struct peer_listener {
	int			 fd;
	struct event		 ev;
	struct event		 pause;	/* out of descriptors: wait */
	char			 sockname[PEER_NAME_MAX + 8];
	char			 myname[PEER_NAME_MAX];
	char			 names[PEER_UIDS_MAX][PEER_NAME_MAX];
	uid_t			 uids[PEER_UIDS_MAX];
	size_t			 nuids;
	struct peer_cb		 cb;
	struct peer_list	 peers;
	size_t			 npeers;
};

/*
 * Listen on dir/sockname with the given file mode; only peers running as
 * one of the allowed uids get past accept, and a HELLO is taken only
 * with a name the list pairs with that uid (the same name may be listed
 * with several uids, e.g. 0 for a daemon that connects before it drops
 * root).  The listener answers HELLO with the socket name less ".sock"
 * (e.g. "stored").  0, or -1 and errno.
 */
int	peer_listen(struct peer_listener *, const char *dir,
	    const char *sockname, mode_t mode, const struct peer_allow *,
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

/* Close the link; a connector stops redialing.  Safe inside a handler. */
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
