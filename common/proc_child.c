/*
 * A daemon's children (proc.h, struct proc_child), in the manner of a
 * process table: forked by the confined parent at the fork step and
 * whenever one died, each confined further on its own; watched with a
 * heartbeat over a socket pair; killed when silent too long; stopped
 * with the parent.  Forks happen between two turns of the parent's
 * loop (proc_child_fork_due()), never inside a callback: the child runs
 * a loop of its own on the same base, which libevent would refuse as
 * reentrant.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/wait.h>

#include <errno.h>
#include <seccomp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event.h>

#include "audit.h"
#include "config.h"
#include "daemon.h"
#include "imsgev.h"
#include "log.h"
#include "msg.h"
#include "proc.h"
#include "proto.h"
#include "sandbox.h"

struct proc_kid;

static time_t	proc_child_now(void);
static void	proc_child_fork(struct proc_kid *);
static __attribute__((__noreturn__)) void proc_child_main(struct proc_kid *,
		    int);
static void	proc_child_forget(void);
static void	proc_child_close(struct proc_kid *);
static void	proc_child_dispatch(int, short, void *);
static void	proc_child_lost(struct proc_kid *, const char *);
static void	proc_child_kill(struct proc_kid *, const char *);
static void	proc_child_sigchld(int, short, void *);
static void	proc_child_heartbeat(int, short, void *);
static void	proc_child_respawn(int, short, void *);
static void	proc_child_stop_kill(int, short, void *);
static void	proc_child_stop_check(void);
static int	proc_child_on_pong(struct msg *, void *);
static int	proc_child_on_ping(struct msg *, void *);
static void	proc_child_parent_dispatch(int, short, void *);

/* One child, as the parent sees it. */
struct proc_kid {
	unsigned int		 id;		/* from 1 */
	pid_t			 pid;		/* 0: not running */
	struct imsgev		 iev;		/* the channel; fd -1: none */
	time_t			 started;
	time_t			 pinged;	/* PING unanswered since; 0 */
	unsigned int		 backoff;	/* milliseconds */
	int			 due;		/* fork it at the next turn */
	struct event		 respawn;
};

/* The parent takes PONGs from its children; a child, PINGs. */
static const struct msg_entry proc_child_pmsgs[] = {
	{ IMSG_PROC_PONG, MSG_CHILD, MSG_FD_NONE, proc_child_on_pong },
};
static const struct msg_table proc_child_ptable = MSG_TABLE("children",
    proc_child_pmsgs);
static const struct msg_entry proc_child_cmsgs[] = {
	{ IMSG_PROC_PING, MSG_PARENT, MSG_FD_NONE, proc_child_on_ping },
};
static const struct msg_table proc_child_ctable = MSG_TABLE("parent",
    proc_child_cmsgs);

/*
 * What the parent of children needs beyond its own list and theirs:
 * fork (clone; glibc's child resets its robust futex list), the channel
 * (socketpair), reaping (wait4), SIGTERM and SIGKILL to a child (kill),
 * and in the new child, before its own filter: an epoll set of its own
 * and libevent's signal pipe (epoll_create1, pipe2), RLIMIT_NPROC
 * and no core (prlimit64, setrlimit, prctl), the filter itself
 * (seccomp, prctl).
 */
static const int proc_child_fork_syscalls[] = {
	SCMP_SYS(clone), SCMP_SYS(set_robust_list), SCMP_SYS(socketpair),
	SCMP_SYS(wait4), SCMP_SYS(kill),
	SCMP_SYS(epoll_create1), SCMP_SYS(epoll_create), SCMP_SYS(pipe2),
	SCMP_SYS(prlimit64), SCMP_SYS(setrlimit), SCMP_SYS(prctl),
	SCMP_SYS(seccomp),
	-1
};

static struct {
	const struct proc	*p;
	struct cfjl_conf	*conf;
	struct event_base	*base;
	int			*syscalls;	/* the parent's filter */
	/* the parent's confinement, which a child's stacks on */
	const struct sandbox_policy *sp;
	const char		*rundir;
	uid_t			 auditd_uid;
	struct proc_kid		 kids[PROC_CHILD_MAX];
	unsigned int		 nkids;
	unsigned int		 restarts;
	struct event		 sigchld;
	struct event		 beat;
	int			 stopping;
	void			(*stopped)(void);
	struct event		 stop_tmo;
	/* in a child */
	unsigned int		 id;
	struct imsgev		 parent;
} pc;

static time_t
proc_child_now(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec;
}

/* Before the sandbox: how many, the parent's filter, the watch. */
const int *
proc_child_init(const struct proc *p, struct cfjl_conf *conf,
    struct event_base *base)
{
	const struct proc_child	*c = p->child;
	unsigned int		 i, n = 0;
	long			 cores;
	size_t			 a = 0, b = 0, k;

	pc.p = p;
	pc.conf = conf;
	pc.base = base;

	if (c->count != PROC_CONF_NONE)
		memcpy(&n, (const char *)conf + c->count - 1, sizeof(n));
	if (n == 0) {
		cores = sysconf(_SC_NPROCESSORS_ONLN);
		n = cores < 1 ? 1 : (unsigned int)cores;
		if (n > c->count_auto)
			n = c->count_auto;
	}
	if (n == 0 || n > PROC_CHILD_MAX)
		fatalx("%u %ss: from 1 to %d", n, c->title, PROC_CHILD_MAX);
	pc.nkids = n;
	for (i = 0; i < n; i++) {
		pc.kids[i].id = i + 1;
		pc.kids[i].iev.ibuf.fd = -1;
		pc.kids[i].backoff = PROC_BACKOFF_MIN;
		pc.kids[i].due = 1;
		evtimer_set(&pc.kids[i].respawn, proc_child_respawn,
		    &pc.kids[i]);
	}

	while (pc.p->syscalls != NULL && pc.p->syscalls[a] != -1)
		a++;
	while (c->syscalls != NULL && c->syscalls[b] != -1)
		b++;
	k = sizeof(proc_child_fork_syscalls) /
	    sizeof(proc_child_fork_syscalls[0]);
	if ((pc.syscalls = calloc(a + b + k, sizeof(int))) == NULL)
		fatal("%s", __func__);
	if (a > 0)
		memcpy(pc.syscalls, pc.p->syscalls, a * sizeof(int));
	if (b > 0)
		memcpy(pc.syscalls + a, c->syscalls, b * sizeof(int));
	memcpy(pc.syscalls + a + b, proc_child_fork_syscalls, k * sizeof(int));

	signal_set(&pc.sigchld, SIGCHLD, proc_child_sigchld, NULL);
	if (signal_add(&pc.sigchld, NULL) == -1)
		fatalx("cannot watch SIGCHLD");
	evtimer_set(&pc.beat, proc_child_heartbeat, NULL);
	evtimer_set(&pc.stop_tmo, proc_child_stop_kill, NULL);
	return pc.syscalls;
}

/* The fork step: the parent is confined; its children come. */
void
proc_child_start(const struct sandbox_policy *sp, const char *rundir,
    uid_t auditd_uid)
{
	pc.sp = sp;
	pc.rundir = rundir;
	pc.auditd_uid = auditd_uid;
	proc_child_fork_due();
}

/* Every child that is due; one that cannot be forked is tried later. */
void
proc_child_fork_due(void)
{
	unsigned int	 i;
	struct timeval	 tv;

	for (i = 0; i < pc.nkids; i++)
		if (pc.kids[i].due && !pc.stopping)
			proc_child_fork(&pc.kids[i]);
	if (!pc.stopping && !evtimer_pending(&pc.beat, NULL)) {
		tv.tv_sec = pc.p->child->heartbeat;
		tv.tv_usec = 0;
		evtimer_add(&pc.beat, &tv);
	}
}

static void
proc_child_fork(struct proc_kid *k)
{
	const struct proc_child	*c = pc.p->child;
	struct timeval		 tv;
	int			 sp[2];
	pid_t			 pid;

	k->due = 0;
	sp[0] = sp[1] = -1;
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    0, sp) == -1 || (pid = fork()) == -1) {
		log_warn("%s %u: cannot start it", c->title, k->id);
		if (sp[0] != -1) {
			close(sp[0]);
			close(sp[1]);
		}
		k->backoff = PROC_BACKOFF_MAX;
		tv.tv_sec = k->backoff / 1000;
		tv.tv_usec = (k->backoff % 1000) * 1000;
		evtimer_add(&k->respawn, &tv);
		return;
	}
	if (pid == 0) {
		close(sp[0]);
		proc_child_main(k, sp[1]);
	}
	close(sp[1]);
	k->pid = pid;
	k->started = proc_child_now();
	k->pinged = 0;
	imsg_init(&k->iev.ibuf, sp[0]);
	k->iev.handler = proc_child_dispatch;
	k->iev.data = k;
	imsg_event_add(&k->iev);
	log_info("%s %u started (pid %d)", c->title, k->id, (int)pid);
}

/*
 * The child, just forked: the parent's loop, channels and links are
 * let go before anything else runs; then the child's own confinement
 * on top of the parent's, its journal link, and its work.
 */
static __attribute__((__noreturn__)) void
proc_child_main(struct proc_kid *k, int fd)
{
	const struct proc_child	*c = pc.p->child;
	struct sandbox_policy	 sp;
	char			 title[64];

	pc.id = k->id;
	/* A base of its own: the parent's epoll set is not touched. */
	if (event_reinit(pc.base) == -1)
		fatalx("%s %u: event_reinit failed", c->title, k->id);
	proc_child_forget();
	daemon_signals_del();
	daemon_signals(NULL, c->stop, c->reload, NULL);
	if (c->drop != NULL)
		c->drop();
	audit_forget();
	snprintf(title, sizeof(title), "%s %s %u", pc.p->name, c->title,
	    k->id);
	log_procinit(title);
	log_debug("start-up: %s %u: forget", c->title, k->id);

	log_debug("start-up: %s %u: limits", c->title, k->id);
	sp = *pc.sp;
	sp.syscalls = c->syscalls;
	sp.syscalls_more = NULL;
	sp.forks = 0;
	sandbox_limits(&sp);
	log_debug("start-up: %s %u: filter", c->title, k->id);
	sandbox_filter(&sp);

	imsg_init(&pc.parent.ibuf, fd);
	pc.parent.handler = proc_child_parent_dispatch;
	imsg_event_add(&pc.parent);

	log_debug("start-up: %s %u: audit", c->title, k->id);
	if (pc.p->audit_local != NULL)
		audit_init_local(pc.p->name, pc.p->audit_local);
	else
		audit_init(pc.rundir, pc.p->name, pc.auditd_uid);

	log_debug("start-up: %s %u: start", c->title, k->id);
	c->start(pc.conf, k->id);
	log_debug("start-up: %s %u: loop", c->title, k->id);
	event_dispatch();
	fatalx("event loop returned");
}

/* In a child: the parent's watch over the others is none of its own. */
static void
proc_child_forget(void)
{
	unsigned int	 i;

	signal_del(&pc.sigchld);
	evtimer_del(&pc.beat);
	evtimer_del(&pc.stop_tmo);
	for (i = 0; i < pc.nkids; i++) {
		evtimer_del(&pc.kids[i].respawn);
		proc_child_close(&pc.kids[i]);
		pc.kids[i].pid = 0;
	}
	free(pc.syscalls);
	pc.syscalls = NULL;
}

static void
proc_child_close(struct proc_kid *k)
{
	if (k->iev.ibuf.fd == -1)
		return;
	imsg_event_del(&k->iev);
	imsg_clear(&k->iev.ibuf);
	close(k->iev.ibuf.fd);
	k->iev.ibuf.fd = -1;
}

/* A child that can no longer be trusted or reached is replaced. */
/* The channel is gone: a child stopping as told, or one to replace. */
static void
proc_child_lost(struct proc_kid *k, const char *why)
{
	if (pc.stopping)
		proc_child_close(k);
	else
		proc_child_kill(k, why);
}

static void
proc_child_kill(struct proc_kid *k, const char *why)
{
	log_warnx("%s %u (pid %d): %s: killed", pc.p->child->title, k->id,
	    (int)k->pid, why);
	proc_child_close(k);
	if (k->pid != 0 && kill(k->pid, SIGKILL) == -1 && errno != ESRCH)
		log_warn("kill %d", (int)k->pid);
}

static void
proc_child_dispatch(int fd, short ev, void *arg)
{
	struct proc_kid	*k = arg;
	struct imsgbuf	*ibuf = &k->iev.ibuf;
	struct imsg	 imsg;
	struct msg	 m;
	ssize_t		 n;
	int		 rc;

	if (ev & EV_WRITE) {
		if ((n = msgbuf_write(&ibuf->w)) == 0 ||
		    (n == -1 && errno != EAGAIN)) {
			proc_child_lost(k, "channel closed");
			return;
		}
	}
	if (ev & EV_READ) {
		if ((n = imsg_read(ibuf)) == 0 ||
		    (n == -1 && errno != EAGAIN)) {
			proc_child_lost(k, "channel closed");
			return;
		}
	}
	for (;;) {
		if ((n = imsg_get(ibuf, &imsg)) == -1) {
			proc_child_kill(k, "unreadable message");
			return;
		}
		if (n == 0)
			break;
		rc = msg_dispatch(&proc_child_ptable, &imsg, MSG_CHILD, k, &m);
		imsg_free(&imsg);
		if (rc == -1) {
			proc_child_kill(k, m_error(&m) != NULL ? m_error(&m) :
			    "protocol error");
			return;
		}
	}
	imsg_event_add(&k->iev);
}

static int
proc_child_on_pong(struct msg *m, void *arg)
{
	struct proc_kid	*k = arg;

	k->pinged = 0;
	if (pc.p->child->reported != NULL)
		return pc.p->child->reported(k->id, m);
	return m_end(m);
}

/*
 * Every heartbeat: a PING to each child that answered the last one; a
 * child silent for timeout seconds is stuck (a loop, SIGSTOP) and
 * killed, and SIGCHLD brings its replacement.
 */
static void
proc_child_heartbeat(int fd, short ev, void *arg)
{
	const struct proc_child	*c = pc.p->child;
	struct proc_kid		*k;
	struct timeval		 tv = { c->heartbeat, 0 };
	time_t			 now = proc_child_now();
	unsigned int		 i;
	char			 why[64];

	for (i = 0; i < pc.nkids; i++) {
		k = &pc.kids[i];
		if (k->pid == 0 || k->iev.ibuf.fd == -1)
			continue;
		if (k->pinged != 0) {
			if (now - k->pinged >= c->timeout) {
				snprintf(why, sizeof(why), "no answer for "
				    "%u seconds", c->timeout);
				proc_child_kill(k, why);
			}
			continue;
		}
		if (imsg_compose_event(&k->iev, IMSG_PROC_PING, 0, 0, -1,
		    NULL, 0) == -1) {
			proc_child_kill(k, "cannot send a PING");
			continue;
		}
		k->pinged = now;
	}
	evtimer_add(&pc.beat, &tv);
}

/* Reap; replace each child that died, later the younger it died. */
static void
proc_child_sigchld(int sig, short ev, void *arg)
{
	const struct proc_child	*c = pc.p->child;
	struct proc_kid		*k;
	struct timeval		 tv;
	unsigned int		 i;
	pid_t			 pid;
	int			 st;

	while ((pid = waitpid(-1, &st, WNOHANG)) > 0) {
		for (k = NULL, i = 0; i < pc.nkids; i++)
			if (pc.kids[i].pid == pid)
				k = &pc.kids[i];
		if (k == NULL)
			continue;
		if (WIFSIGNALED(st))
			log_warnx("%s %u (pid %d) killed by signal %d",
			    c->title, k->id, (int)pid, WTERMSIG(st));
		else if (WEXITSTATUS(st) != 0 || !pc.stopping)
			log_warnx("%s %u (pid %d) exited %d", c->title,
			    k->id, (int)pid, WEXITSTATUS(st));
		proc_child_close(k);
		k->pid = 0;
		if (c->gone != NULL)
			c->gone(k->id);
		if (pc.stopping)
			continue;
		if (proc_child_now() - k->started >= PROC_BACKOFF_YOUNG)
			k->backoff = PROC_BACKOFF_MIN;
		log_info("%s %u: a new one in %u ms", c->title, k->id,
		    k->backoff);
		tv.tv_sec = k->backoff / 1000;
		tv.tv_usec = (k->backoff % 1000) * 1000;
		evtimer_add(&k->respawn, &tv);
		if ((k->backoff *= 2) > PROC_BACKOFF_MAX)
			k->backoff = PROC_BACKOFF_MAX;
		pc.restarts++;
	}
	if (pc.stopping)
		proc_child_stop_check();
}

static void
proc_child_respawn(int fd, short ev, void *arg)
{
	struct proc_kid	*k = arg;

	k->due = 1;	/* forked by proc_loop(), out of this callback */
}

void
proc_child_stop(void (*done)(void))
{
	struct timeval	 tv = { PROC_STOP_WAIT, 0 };
	unsigned int	 i;

	if (pc.stopping++)
		return;
	pc.stopped = done;
	evtimer_del(&pc.beat);
	for (i = 0; i < pc.nkids; i++) {
		evtimer_del(&pc.kids[i].respawn);
		pc.kids[i].due = 0;
		if (pc.kids[i].pid != 0 &&
		    kill(pc.kids[i].pid, SIGTERM) == -1 && errno != ESRCH)
			log_warn("kill %d", (int)pc.kids[i].pid);
	}
	evtimer_add(&pc.stop_tmo, &tv);
	proc_child_stop_check();
}

static void
proc_child_stop_kill(int fd, short ev, void *arg)
{
	unsigned int	 i;

	for (i = 0; i < pc.nkids; i++)
		if (pc.kids[i].pid != 0)
			proc_child_kill(&pc.kids[i], "still there at the stop");
}

static void
proc_child_stop_check(void)
{
	if (proc_child_running() > 0 || pc.stopped == NULL)
		return;
	evtimer_del(&pc.stop_tmo);
	pc.stopped();
	pc.stopped = NULL;
}

void
proc_child_signal(int sig)
{
	unsigned int	 i;

	for (i = 0; i < pc.nkids; i++)
		if (pc.kids[i].pid != 0 && kill(pc.kids[i].pid, sig) == -1 &&
		    errno != ESRCH)
			log_warn("kill %d", (int)pc.kids[i].pid);
}

unsigned int
proc_child_count(void)
{
	return pc.nkids;
}

unsigned int
proc_child_id(void)
{
	return pc.id;
}

unsigned int
proc_child_running(void)
{
	unsigned int	 i, n = 0;

	for (i = 0; i < pc.nkids; i++)
		if (pc.kids[i].pid != 0)
			n++;
	return n;
}

unsigned int
proc_child_restarts(void)
{
	return pc.restarts;
}

/* In a child: the parent's PINGs; its going away ends the child. */
static void
proc_child_parent_dispatch(int fd, short ev, void *arg)
{
	struct imsgbuf	*ibuf = &pc.parent.ibuf;
	struct imsg	 imsg;
	struct msg	 m;
	ssize_t		 n;
	int		 rc;

	if (ev & EV_WRITE) {
		if ((n = msgbuf_write(&ibuf->w)) == 0 ||
		    (n == -1 && errno != EAGAIN))
			fatalx("the parent is gone");
	}
	if (ev & EV_READ) {
		if ((n = imsg_read(ibuf)) == 0 ||
		    (n == -1 && errno != EAGAIN))
			fatalx("the parent is gone");
	}
	for (;;) {
		if ((n = imsg_get(ibuf, &imsg)) == -1)
			fatal("from the parent");
		if (n == 0)
			break;
		rc = msg_dispatch(&proc_child_ctable, &imsg, MSG_PARENT, NULL,
		    &m);
		imsg_free(&imsg);
		if (rc == -1)
			fatalx("the parent broke the protocol: %s",
			    m_error(&m) != NULL ? m_error(&m) : "?");
	}
	imsg_event_add(&pc.parent);
}

static int
proc_child_on_ping(struct msg *m, void *arg)
{
	const struct proc_child	*c = pc.p->child;
	char			 buf[1024];
	size_t			 len = 0;

	if (m_end(m) == -1)
		return -1;
	if (c->report != NULL)
		len = c->report(buf, sizeof(buf));
	if (len > sizeof(buf))
		fatalx("%s: report too long", __func__);
	if (imsg_compose_event(&pc.parent, IMSG_PROC_PONG, 0, 0, -1,
	    len > 0 ? buf : NULL, len) == -1)
		fatal("%s", __func__);
	return 0;
}
