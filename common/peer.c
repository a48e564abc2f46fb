/*
 * The links between the daemons: accepting checked peers, dialing with
 * backoff, the HELLO exchange, and dispatching messages to the daemon.
 * See peer.h for the rules.
 */
#define _GNU_SOURCE	/* accept4 */
#include <sys/types.h>
#include <sys/queue.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <errno.h>
#include <event.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "imsgev.h"
#include "log.h"
#include "msg.h"
#include "peer.h"
#include "proto.h"
#include "sock.h"

static void	peer_accept(int, short, void *);
static void	peer_accept_resume(int, short, void *);
static void	peer_dial(int, short, void *);
static void	peer_dispatch(int, short, void *);
static int	peer_handle(struct peer *, struct imsg *);
static int	peer_hello(struct peer *, struct msg *);
static int	peer_hello_who(struct peer *, const char *, struct msg *);
static int	peer_hello_send(struct peer *);
static void	peer_start(struct peer *, int);
static void	peer_lost(struct peer *, const char *);
static void	peer_broken(struct peer *, const char *, ...)
		    __attribute__((__format__(printf, 2, 3)));
static void	peer_drop(struct peer *);
static void	peer_teardown(struct peer *);
static void	peer_schedule(struct peer *);
static const char *peer_label(const struct peer *);

static const char *
peer_label(const struct peer *p)
{
	if (p->name[0] != '\0')
		return p->name;
	return p->listener != NULL ? "peer" : p->sockname;
}

int
peer_listen(struct peer_listener *l, const char *dir, const char *sockname,
    mode_t mode, const struct peer_allow *allow, size_t nallowed,
    const struct peer_cb *cb)
{
	size_t	 i;
	char	*dot;

	memset(l, 0, sizeof(*l));
	TAILQ_INIT(&l->peers);
	l->fd = -1;
	if (nallowed == 0 || nallowed > PEER_UIDS_MAX || cb->table == NULL ||
	    strlcpy(l->sockname, sockname, sizeof(l->sockname)) >=
	    sizeof(l->sockname)) {
		errno = EINVAL;
		return -1;
	}
	for (i = 0; i < nallowed; i++) {
		if (allow[i].name == NULL || strlcpy(l->names[i],
		    allow[i].name, sizeof(l->names[i])) >=
		    sizeof(l->names[i])) {
			errno = EINVAL;
			return -1;
		}
		l->uids[i] = allow[i].uid == (uid_t)-1 ? geteuid() :
		    allow[i].uid;
	}
	l->nuids = nallowed;
	l->cb = *cb;
	strlcpy(l->myname, sockname, sizeof(l->myname));
	if ((dot = strstr(l->myname, ".sock")) != NULL)
		*dot = '\0';

	if ((l->fd = sock_listen(dir, sockname, mode)) == -1)
		return -1;
	event_set(&l->ev, l->fd, EV_READ | EV_PERSIST, peer_accept, l);
	event_add(&l->ev, NULL);
	evtimer_set(&l->pause, peer_accept_resume, l);
	return 0;
}

void
peer_listen_close(struct peer_listener *l)
{
	struct peer	*p, *next;

	if (l->fd != -1) {
		event_del(&l->ev);
		evtimer_del(&l->pause);
		close(l->fd);
		l->fd = -1;
	}
	TAILQ_FOREACH_SAFE(p, &l->peers, entry, next)
		peer_drop(p);
}

/* Credentials first: nothing is read from a peer we do not know. */
static void
peer_accept(int lfd, short event, void *arg)
{
	struct peer_listener	*l = arg;
	struct peer		*p;
	struct timeval		 tv = { 1, 0 };
	uid_t			 uid;
	pid_t			 pid;
	size_t			 i;
	int			 fd;

	if ((fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC))
	    == -1) {
		if (errno == EMFILE || errno == ENFILE) {
			log_warn("%s: accept", l->sockname);
			event_del(&l->ev);
			evtimer_add(&l->pause, &tv);
		} else if (errno != EAGAIN && errno != EINTR &&
		    errno != ECONNABORTED)
			log_warn("%s: accept", l->sockname);
		return;
	}
	if (sock_peer_check(fd, l->uids[0], &uid, NULL, &pid) == -1 &&
	    errno != EPERM) {
		log_warn("%s: peer credentials", l->sockname);
		close(fd);
		return;
	}
	for (i = 0; i < l->nuids; i++)
		if (l->uids[i] == uid)
			break;
	if (i == l->nuids) {
		log_warnx("%s: refused connection from uid %u (pid %d)",
		    l->sockname, (unsigned int)uid, (int)pid);
		close(fd);
		return;
	}
	if (l->npeers >= PEER_CONN_MAX) {
		log_warnx("%s: refused connection from uid %u (pid %d): "
		    "%d peers already", l->sockname, (unsigned int)uid,
		    (int)pid, PEER_CONN_MAX);
		close(fd);
		return;
	}
	if ((p = calloc(1, sizeof(*p))) == NULL) {
		log_warn("%s: accept", l->sockname);
		close(fd);
		return;
	}
	p->listener = l;
	p->uid = uid;
	p->pid = pid;
	p->cb = l->cb;
	p->arg = l->cb.arg;
	strlcpy(p->myname, l->myname, sizeof(p->myname));
	strlcpy(p->sockname, l->sockname, sizeof(p->sockname));
	TAILQ_INSERT_TAIL(&l->peers, p, entry);
	l->npeers++;
	log_debug("%s: connection from uid %u pid %d", l->sockname,
	    (unsigned int)uid, (int)pid);
	peer_start(p, fd);
}

static void
peer_accept_resume(int fd, short event, void *arg)
{
	struct peer_listener	*l = arg;

	if (l->fd != -1)
		event_add(&l->ev, NULL);
}

void
peer_connect(struct peer *p, const char *dir, const char *sockname,
    uid_t expected_uid, const char *my_name, const struct peer_cb *cb)
{
	memset(p, 0, sizeof(*p));
	p->iev.ibuf.fd = -1;
	p->uid = expected_uid;
	p->cb = *cb;
	p->arg = cb->arg;
	p->backoff = PEER_BACKOFF_MIN;
	if (strlcpy(p->dir, dir, sizeof(p->dir)) >= sizeof(p->dir) ||
	    strlcpy(p->sockname, sockname, sizeof(p->sockname)) >=
	    sizeof(p->sockname) ||
	    strlcpy(p->myname, my_name, sizeof(p->myname)) >=
	    sizeof(p->myname))
		fatalx("%s: name too long for %s/%s", __func__, dir, sockname);
	evtimer_set(&p->retry, peer_dial, p);
	peer_dial(-1, 0, p);
}

static void
peer_dial(int unused, short event, void *arg)
{
	struct peer	*p = arg;
	uid_t		 uid = (uid_t)-1;
	pid_t		 pid = -1;
	int		 fd;

	if ((fd = sock_connect(p->dir, p->sockname)) == -1) {
		if (p->backoff == PEER_BACKOFF_MIN)
			log_warn("%s: cannot reach %s/%s, will retry",
			    p->myname, p->dir, p->sockname);
		peer_schedule(p);
		return;
	}
	/*
	 * A daemon started as root creates its socket before it switches
	 * user, and the kernel reports the credentials of that moment:
	 * root is accepted, since root could be anyone anyway.
	 */
	if (sock_peer_check(fd, p->uid, &uid, NULL, &pid) == -1 &&
	    uid != 0) {
		log_warnx("%s: %s/%s is served by uid %u (pid %d), not %u",
		    p->myname, p->dir, p->sockname, (unsigned int)uid,
		    (int)pid, (unsigned int)(p->uid == (uid_t)-1 ? geteuid() :
		    p->uid));
		close(fd);
		peer_schedule(p);
		return;
	}
	p->pid = pid;
	if (sock_nonblock(fd) == -1)
		fatal("%s: sock_nonblock", __func__);
	peer_start(p, fd);
	if (peer_hello_send(p) == -1)
		fatal("%s: hello", __func__);
	imsg_event_add(&p->iev);
}

static void
peer_schedule(struct peer *p)
{
	struct timeval	 tv;

	tv.tv_sec = p->backoff / 1000;
	tv.tv_usec = (p->backoff % 1000) * 1000;
	evtimer_add(&p->retry, &tv);
	p->backoff *= 2;
	if (p->backoff > PEER_BACKOFF_MAX)
		p->backoff = PEER_BACKOFF_MAX;
}

static void
peer_start(struct peer *p, int fd)
{
	imsg_init(&p->iev.ibuf, fd);
	imsgbuf_set_maxsize(&p->iev.ibuf, CFJL_MSG_MAX + IMSG_HEADER_SIZE);
	p->iev.handler = peer_dispatch;
	p->iev.data = p;
	p->state = PEER_HELLO;
	p->name[0] = '\0';
	p->from = 0;
	p->dead = 0;
	imsg_event_add(&p->iev);
}

static int
peer_hello_send(struct peer *p)
{
	struct proto_hello	 hello;

	memset(&hello, 0, sizeof(hello));
	hello.version = CFJL_PROTO_VERSION;
	strlcpy(hello.name, p->myname, sizeof(hello.name));
	return imsg_compose(&p->iev.ibuf, IMSG_HELLO, 0, 0, -1, &hello,
	    sizeof(hello));
}

static void
peer_dispatch(int fd, short event, void *arg)
{
	struct peer	*p = arg;
	struct imsgbuf	*ibuf = &p->iev.ibuf;
	struct imsg	 imsg;
	ssize_t		 n;
	int		 ret;

	if (event & EV_WRITE) {
		if ((n = msgbuf_write(&ibuf->w)) == 0 ||
		    (n == -1 && errno != EAGAIN)) {
			peer_lost(p, n == 0 ? "connection closed" :
			    strerror(errno));
			return;
		}
	}
	if (event & EV_READ) {
		if ((n = imsg_read(ibuf)) == 0) {
			peer_lost(p, "connection closed");
			return;
		}
		if (n == -1 && errno != EAGAIN) {
			if (errno == EMSGSIZE || errno == EBADMSG ||
			    errno == EMFILE)
				peer_broken(p, "%s", strerror(errno));
			else
				peer_lost(p, strerror(errno));
			return;
		}
	}

	p->busy = 1;
	while (!p->dead) {
		if ((n = imsg_get(ibuf, &imsg)) == -1) {
			peer_broken(p, "%s", strerror(errno));
			break;
		}
		if (n == 0)
			break;
		ret = peer_handle(p, &imsg);
		imsg_free(&imsg);
		if (ret == -1)
			break;
	}
	p->busy = 0;
	if (p->dead)
		peer_teardown(p);
	else
		imsg_event_add(&p->iev);
}

/*
 * Route one message: HELLO first, the daemon's table after.  A protocol
 * error is reported here, once: -1 when the peer is dropped.
 */
static int
peer_handle(struct peer *p, struct imsg *imsg)
{
	struct msg	 m;
	int		 ret;

	if (p->state == PEER_UP && imsg->hdr.type != IMSG_HELLO)
		ret = msg_dispatch(p->cb.table, imsg, p->from, p, &m);
	else {
		m_msg(&m, imsg);
		if (p->state != PEER_HELLO || imsg->hdr.type != IMSG_HELLO)
			ret = m_fail(&m, "not a HELLO");
		else if (imsg->fd != -1)
			ret = m_fail(&m, "unexpected descriptor");
		else
			ret = peer_hello(p, &m);
		if (imsg->fd != -1) {
			close(imsg->fd);
			imsg->fd = -1;
		}
	}
	if (ret == 0 || p->dead)
		return p->dead ? -1 : 0;
	peer_broken(p, "%s: %s", proto_type_name(imsg->hdr.type),
	    m_error(&m) != NULL ? m_error(&m) : "refused");
	return -1;
}

/* The name a HELLO claims must be one its credentials allow. */
static int
peer_hello_who(struct peer *p, const char *name, struct msg *m)
{
	struct peer_listener	*l = p->listener;
	size_t			 i;

	if (l == NULL) {
		/* The listener is the one our socket name says. */
		if (strncmp(p->sockname, name, strlen(name)) != 0 ||
		    strcmp(p->sockname + strlen(name), ".sock") != 0)
			return m_fail(m, "the listener of %s says it is %s",
			    p->sockname, name);
		return 0;
	}
	for (i = 0; i < l->nuids; i++)
		if (l->uids[i] == p->uid && strcmp(l->names[i], name) == 0)
			return 0;
	return m_fail(m, "uid %u may not speak as %s", (unsigned int)p->uid,
	    name);
}

static int
peer_hello(struct peer *p, struct msg *m)
{
	struct proto_hello	 hello;

	if (m_get_struct(m, proto_hello, &hello) == -1 || m_end(m) == -1)
		return -1;
	if (hello.version != CFJL_PROTO_VERSION) {
		if (p->listener == NULL) {
			log_warnx("%s: %s speaks protocol version %u, we "
			    "speak %u; link dropped", p->myname, p->sockname,
			    hello.version, CFJL_PROTO_VERSION);
			peer_drop(p);
			return 0;
		}
		/* Tell it ours, so that it can say what is wrong. */
		if (peer_hello_send(p) != -1)
			(void)msgbuf_write(&p->iev.ibuf.w);
		log_warnx("%s: refused %s (uid %u, pid %d): protocol version "
		    "%u, ours is %u", p->sockname, hello.name,
		    (unsigned int)p->uid, (int)p->pid, hello.version,
		    CFJL_PROTO_VERSION);
		peer_drop(p);
		return 0;
	}
	if (peer_hello_who(p, hello.name, m) == -1)
		return -1;
	strlcpy(p->name, hello.name, sizeof(p->name));
	p->from = msg_sender(p->name);
	if (p->listener != NULL && peer_hello_send(p) == -1) {
		log_warn("%s: hello", p->sockname);
		peer_drop(p);
		return 0;
	}
	p->state = PEER_UP;
	p->backoff = PEER_BACKOFF_MIN;
	if (p->listener != NULL)
		log_debug("%s: %s is up (uid %u, pid %d)", p->sockname,
		    p->name, (unsigned int)p->uid, (int)p->pid);
	else
		log_info("%s: connected to %s", p->myname, p->name);
	if (p->cb.on_up != NULL)
		p->cb.on_up(p);
	return 0;
}

static void
peer_lost(struct peer *p, const char *why)
{
	if (p->listener != NULL)
		log_debug("%s: %s went away: %s", p->sockname, peer_label(p),
		    why);
	else if (p->state == PEER_UP)
		log_warnx("%s: lost %s: %s, reconnecting", p->myname,
		    peer_label(p), why);
	else
		log_debug("%s: %s: %s", p->myname, p->sockname, why);
	peer_drop(p);
}

/*
 * A peer that breaks the protocol is broken or compromised: nothing more
 * is read from it.  A listener drops that one peer; a connector drops
 * the link and redials with backoff, so that a bad peer stops nothing
 * else in the daemon.
 */
static void
peer_broken(struct peer *p, const char *fmt, ...)
{
	va_list	 ap;
	char	 why[256];

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	if (p->listener == NULL) {
		log_warnx("%s: %s broke the protocol: %s; link dropped",
		    p->myname, peer_label(p), why);
		peer_drop(p);
		return;
	}
	log_warnx("%s: dropping %s (uid %u, pid %d): %s", p->sockname,
	    peer_label(p), (unsigned int)p->uid, (int)p->pid, why);
	peer_drop(p);
}

/* Close now, or at the end of the dispatch we are inside. */
static void
peer_drop(struct peer *p)
{
	if (p->busy)
		p->dead = 1;
	else
		peer_teardown(p);
}

static void
peer_teardown(struct peer *p)
{
	struct peer_listener	*l = p->listener;
	int			 was_up = p->state == PEER_UP;

	if (p->iev.ibuf.fd != -1) {
		imsg_event_del(&p->iev);
		imsg_clear(&p->iev.ibuf);
		close(p->iev.ibuf.fd);
		p->iev.ibuf.fd = -1;
	}
	p->state = PEER_DOWN;
	/* A peer_close() from on_down must not free the peer twice. */
	p->busy = 1;
	if (was_up && p->cb.on_down != NULL)
		p->cb.on_down(p);
	p->busy = 0;
	p->dead = 0;
	if (l != NULL) {
		TAILQ_REMOVE(&l->peers, p, entry);
		l->npeers--;
		free(p);
	} else if (!p->stopped)
		peer_schedule(p);
}

void
peer_close(struct peer *p)
{
	if (p->listener == NULL) {
		p->stopped = 1;
		evtimer_del(&p->retry);
	}
	peer_drop(p);
}

int
peer_compose(struct peer *p, uint32_t type, const void *data, size_t len)
{
	if (p->state != PEER_UP) {
		errno = ENOTCONN;
		return -1;
	}
	if (imsg_compose_event(&p->iev, type, 0, 0, -1, data, len) == -1)
		return -1;
	return 0;
}

int
peer_composev(struct peer *p, uint32_t type, const struct iovec *iov,
    int iovcnt)
{
	if (p->state != PEER_UP) {
		errno = ENOTCONN;
		return -1;
	}
	if (imsg_composev_event(&p->iev, type, 0, 0, -1, iov, iovcnt) == -1)
		return -1;
	return 0;
}

int
peer_compose_fd(struct peer *p, uint32_t type, int fd, const void *data,
    size_t len)
{
	int	 saved;

	if (p->state != PEER_UP) {
		close(fd);
		errno = ENOTCONN;
		return -1;
	}
	if (imsg_compose_event(&p->iev, type, 0, 0, fd, data, len) == -1) {
		saved = errno;
		close(fd);
		errno = saved;
		return -1;
	}
	return 0;
}

uid_t
peer_user_uid(const char *user)
{
	struct passwd	*pw;

	if (geteuid() != 0)
		return geteuid();
	if ((pw = getpwnam(user)) == NULL)
		fatalx("unknown user %s", user);
	return pw->pw_uid;
}
