/*
 * The start-up every daemon goes through, in one fixed order (see
 * proc.h).  Errors up to the open step reach the terminal: detaching
 * comes after everything that may fail for a reason a person can fix.
 * Modelled on the process start-up of OpenBSD's daemons: the daemon
 * says what it is, this file does the rest the same way for all, and
 * for a daemon with children (iked's process table) forks, watches and
 * replaces them.
 */
#include <sys/types.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event.h>
#include <seccomp.h>

#include "audit.h"
#include "config.h"
#include "daemon.h"
#include "imsgev.h"
#include "log.h"
#include "msg.h"
#include "peer.h"
#include "proc.h"
#include "proto.h"
#include "sandbox.h"

struct proc_kid;

static void	proc_step(const char *);
static const char *proc_conf_str(const struct cfjl_conf *, size_t);
static unsigned long proc_conf_uint(const struct cfjl_conf *, size_t);
static void	proc_rundir_open(const struct proc *, struct cfjl_conf *);
static void	proc_policy(const struct proc *, struct cfjl_conf *);
static __attribute__((__noreturn__)) void proc_loop(void);
static time_t	proc_now(void);
static void	proc_kids_init(struct cfjl_conf *);
static void	proc_kids_fork(void);
static void	proc_kid_fork(struct proc_kid *);
static __attribute__((__noreturn__)) void proc_kid_main(struct proc_kid *,
		    int);
static void	proc_kids_forget(void);
static void	proc_kid_close(struct proc_kid *);
static void	proc_kid_dispatch(int, short, void *);
static void	proc_kid_kill(struct proc_kid *, const char *);
static void	proc_sigchld(int, short, void *);
static void	proc_heartbeat(int, short, void *);
static void	proc_respawn(int, short, void *);
static void	proc_stop_kill(int, short, void *);
static void	proc_stop_check(void);
static int	proc_on_pong(struct msg *, void *);
static int	proc_on_ping(struct msg *, void *);
static void	proc_parent_dispatch(int, short, void *);

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
static const struct msg_entry proc_parent_msgs[] = {
	{ IMSG_PROC_PONG, MSG_CHILD, MSG_FD_NONE, proc_on_pong },
};
static const struct msg_table proc_parent_table = MSG_TABLE("children",
    proc_parent_msgs);
static const struct msg_entry proc_child_msgs[] = {
	{ IMSG_PROC_PING, MSG_PARENT, MSG_FD_NONE, proc_on_ping },
};
static const struct msg_table proc_child_table = MSG_TABLE("parent",
    proc_child_msgs);

static struct {
	struct sandbox_policy	 sp;
	const char		*rundir;
	uid_t			 auditd_uid;
	int			 runfd;
	int			 waiting;
	int			*syscalls;	/* the parent's, with its child's */

	const struct proc	*p;
	struct cfjl_conf	*conf;
	struct event_base	*base;
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
} proc = { .runfd = -1 };

/*
 * What the parent of children needs beyond its own list and theirs:
 * fork (clone; glibc's child resets its robust futex list), the channel
 * (socketpair), reaping (wait4), SIGTERM and SIGKILL to a child (kill),
 * and in the new child, before its own filter: an epoll set of its own
 * and libevent's signal pipe (epoll_create1, pipe2), RLIMIT_NPROC
 * and no core (prlimit64, setrlimit, prctl), the filter itself
 * (seccomp, prctl).
 */
static const int proc_fork_syscalls[] = {
	SCMP_SYS(clone), SCMP_SYS(set_robust_list), SCMP_SYS(socketpair),
	SCMP_SYS(wait4), SCMP_SYS(kill),
	SCMP_SYS(epoll_create1), SCMP_SYS(epoll_create), SCMP_SYS(pipe2),
	SCMP_SYS(prlimit64), SCMP_SYS(setrlimit), SCMP_SYS(prctl),
	SCMP_SYS(seccomp),
	-1
};

static void
proc_step(const char *step)
{
	log_debug("start-up: %s", step);
}

static const char *
proc_conf_str(const struct cfjl_conf *conf, size_t at)
{
	if (at == PROC_CONF_NONE)
		return "";
	return (const char *)conf + at - 1;
}

static unsigned long
proc_conf_uint(const struct cfjl_conf *conf, size_t at)
{
	unsigned int	 v;

	if (at == PROC_CONF_NONE)
		return 0;
	memcpy(&v, (const char *)conf + at - 1, sizeof(v));
	return v;
}

__attribute__((__noreturn__)) void
proc_run(int argc, char *argv[], const struct proc *p)
{
	struct daemon_opts	 opts;
	struct cfjl_conf	*conf;
	struct event_base	*base;

	proc.p = p;
	daemon_args(argc, argv, p->name, &opts);
	conf = daemon_config(&opts, p->name);
	proc.conf = conf;
	proc_step("arguments");
	proc_step("config");

	/*
	 * The event base comes before the open step: the modules register
	 * their listening sockets as they bind them.  daemon(3) forks, and
	 * a base must be made whole again in the child (event_reinit).
	 */
	proc_step("event");
	if ((base = event_init()) == NULL)
		fatalx("event_init failed");
	proc.base = base;
	if (p->child != NULL)
		proc_kids_init(conf);

	proc_step("open");
	proc_rundir_open(p, conf);
	if (p->open != NULL)
		p->open(conf);

	proc_step("detach");
	if (!opts.foreground) {
		daemon_detach(&opts);
		if (event_reinit(base) == -1)
			fatalx("event_reinit failed");
	}

	proc_step("signals");
	daemon_signals(NULL, p->stop, p->reload, NULL);

	/* Users are looked up while the password file is in reach. */
	proc_policy(p, conf);
	if (p->audit_local == NULL)
		proc.auditd_uid = peer_user_uid(conf->auditd.user);
	proc_step("chroot");
	sandbox_chroot(&proc.sp);
	if (proc.runfd != -1 && fchdir(proc.runfd) == -1)
		fatal("fchdir %s", conf->runtime_dir);

	proc_step("drop");
	sandbox_drop(&proc.sp);

	proc_step("limits");
	sandbox_limits(&proc.sp);

	proc_step("filter");
	sandbox_filter(&proc.sp);
	if (proc.waiting)
		log_warnx("confined, waiting: %s", p->waiting_why);

	proc_step("audit");
	if (p->audit_local != NULL)
		audit_init_local(p->name, p->audit_local);
	else
		audit_init(proc.rundir, p->name, proc.auditd_uid);

	proc_step("start");
	if (p->start != NULL)
		p->start(conf);

	if (p->child != NULL) {
		proc_step("fork");
		proc_kids_fork();
	}

	proc_step("loop");
	proc_loop();
}

/*
 * Children are forked here, between two turns of the loop, never from
 * inside a callback: the child runs a loop of its own on the same base,
 * which libevent would refuse as reentrant.
 */
static __attribute__((__noreturn__)) void
proc_loop(void)
{
	if (proc.p->child == NULL) {
		event_dispatch();
		fatalx("event loop returned");
	}
	for (;;) {
		if (event_loop(EVLOOP_ONCE) != 0)
			fatalx("event loop returned");
		proc_kids_fork();
	}
}

/*
 * Once chrooted, a daemon whose root does not hold the runtime directory
 * reaches it through its working directory, opened now and kept.
 */
static void
proc_rundir_open(const struct proc *p, struct cfjl_conf *conf)
{
	proc.rundir = conf->runtime_dir;
	if (!(p->flags & PROC_RUNDIR_CWD) || geteuid() != 0 ||
	    proc_conf_str(conf, p->chroot)[0] == '\0')
		return;
	if ((proc.runfd = open(conf->runtime_dir, O_RDONLY | O_DIRECTORY |
	    O_CLOEXEC)) == -1)
		fatal("runtime directory %s", conf->runtime_dir);
	if (fchdir(proc.runfd) == -1)
		fatal("fchdir %s", conf->runtime_dir);
	proc.rundir = ".";
}

static void
proc_policy(const struct proc *p, struct cfjl_conf *conf)
{
	struct sandbox_policy	*sp = &proc.sp;

	memset(sp, 0, sizeof(*sp));
	sp->name = p->name;
	sp->user = proc_conf_str(conf, p->user);
	if (p->chroot_pick != NULL)
		sp->chroot = p->chroot_pick(conf);
	else
		sp->chroot = proc_conf_str(conf, p->chroot);
	if ((sp->chroot == NULL || sp->chroot[0] == '\0') &&
	    p->chroot_why != NULL && geteuid() == 0)
		log_info("no chroot: %s", p->chroot_why);
	sp->max_files = p->max_files + proc_conf_uint(conf, p->max_files_plus);
	sp->max_memory = p->max_memory;
	sp->syscalls = p->syscalls;
	if (p->child != NULL) {
		/* The children's filter is stacked on this one. */
		sp->syscalls = proc.syscalls;
		sp->forks = 1;
	}
	if (p->waiting != NULL && p->waiting()) {
		proc.waiting = 1;
		sp->syscalls_more = p->syscalls_waiting;
	}
}

const char *
proc_rundir(void)
{
	return proc.rundir;
}

void
proc_tighten(void)
{
	if (!proc.waiting)
		return;
	sandbox_tighten(&proc.sp);
	proc.waiting = 0;
}

static time_t
proc_now(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec;
}

/* Before the sandbox: how many, the parent's filter, the watch. */
static void
proc_kids_init(struct cfjl_conf *conf)
{
	const struct proc_child	*c = proc.p->child;
	unsigned int		 i, n = 0;
	long			 cores;
	size_t			 a = 0, b = 0, k;

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
	proc.nkids = n;
	for (i = 0; i < n; i++) {
		proc.kids[i].id = i + 1;
		proc.kids[i].iev.ibuf.fd = -1;
		proc.kids[i].backoff = PROC_BACKOFF_MIN;
		proc.kids[i].due = 1;
		evtimer_set(&proc.kids[i].respawn, proc_respawn,
		    &proc.kids[i]);
	}

	while (proc.p->syscalls != NULL && proc.p->syscalls[a] != -1)
		a++;
	while (c->syscalls != NULL && c->syscalls[b] != -1)
		b++;
	k = sizeof(proc_fork_syscalls) / sizeof(proc_fork_syscalls[0]);
	if ((proc.syscalls = calloc(a + b + k, sizeof(int))) == NULL)
		fatal("%s", __func__);
	if (a > 0)
		memcpy(proc.syscalls, proc.p->syscalls, a * sizeof(int));
	if (b > 0)
		memcpy(proc.syscalls + a, c->syscalls, b * sizeof(int));
	memcpy(proc.syscalls + a + b, proc_fork_syscalls, k * sizeof(int));

	signal_set(&proc.sigchld, SIGCHLD, proc_sigchld, NULL);
	if (signal_add(&proc.sigchld, NULL) == -1)
		fatalx("cannot watch SIGCHLD");
	evtimer_set(&proc.beat, proc_heartbeat, NULL);
	evtimer_set(&proc.stop_tmo, proc_stop_kill, NULL);
}

/* Every child that is due; one that cannot be forked is tried later. */
static void
proc_kids_fork(void)
{
	unsigned int	 i;
	struct timeval	 tv;

	for (i = 0; i < proc.nkids; i++)
		if (proc.kids[i].due && !proc.stopping)
			proc_kid_fork(&proc.kids[i]);
	if (!proc.stopping && !evtimer_pending(&proc.beat, NULL)) {
		tv.tv_sec = proc.p->child->heartbeat;
		tv.tv_usec = 0;
		evtimer_add(&proc.beat, &tv);
	}
}

static void
proc_kid_fork(struct proc_kid *k)
{
	const struct proc_child	*c = proc.p->child;
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
		proc_kid_main(k, sp[1]);
	}
	close(sp[1]);
	k->pid = pid;
	k->started = proc_now();
	k->pinged = 0;
	imsg_init(&k->iev.ibuf, sp[0]);
	k->iev.handler = proc_kid_dispatch;
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
proc_kid_main(struct proc_kid *k, int fd)
{
	const struct proc_child	*c = proc.p->child;
	struct sandbox_policy	 sp;
	char			 title[64];

	proc.id = k->id;
	/* A base of its own: the parent's epoll set is not touched. */
	if (event_reinit(proc.base) == -1)
		fatalx("%s %u: event_reinit failed", c->title, k->id);
	proc_kids_forget();
	daemon_signals_del();
	daemon_signals(NULL, c->stop, NULL, NULL);
	audit_forget();
	if (c->drop != NULL)
		c->drop();
	snprintf(title, sizeof(title), "%s %s %u", proc.p->name, c->title,
	    k->id);
	log_procinit(title);
	log_debug("start-up: %s %u: forget", c->title, k->id);

	log_debug("start-up: %s %u: limits", c->title, k->id);
	sp = proc.sp;
	sp.syscalls = c->syscalls;
	sp.syscalls_more = NULL;
	sp.forks = 0;
	sandbox_limits(&sp);
	log_debug("start-up: %s %u: filter", c->title, k->id);
	sandbox_filter(&sp);

	imsg_init(&proc.parent.ibuf, fd);
	proc.parent.handler = proc_parent_dispatch;
	imsg_event_add(&proc.parent);

	log_debug("start-up: %s %u: audit", c->title, k->id);
	if (proc.p->audit_local != NULL)
		audit_init_local(proc.p->name, proc.p->audit_local);
	else
		audit_init(proc.rundir, proc.p->name, proc.auditd_uid);

	log_debug("start-up: %s %u: start", c->title, k->id);
	c->start(proc.conf, k->id);
	log_debug("start-up: %s %u: loop", c->title, k->id);
	event_dispatch();
	fatalx("event loop returned");
}

/* In a child: the parent's watch over the others is none of its own. */
static void
proc_kids_forget(void)
{
	unsigned int	 i;

	signal_del(&proc.sigchld);
	evtimer_del(&proc.beat);
	evtimer_del(&proc.stop_tmo);
	for (i = 0; i < proc.nkids; i++) {
		evtimer_del(&proc.kids[i].respawn);
		proc_kid_close(&proc.kids[i]);
		proc.kids[i].pid = 0;
	}
	free(proc.syscalls);
	proc.syscalls = NULL;
}

static void
proc_kid_close(struct proc_kid *k)
{
	if (k->iev.ibuf.fd == -1)
		return;
	event_del(&k->iev.ev);
	imsg_clear(&k->iev.ibuf);
	close(k->iev.ibuf.fd);
	k->iev.ibuf.fd = -1;
}

/* A child that can no longer be trusted or reached is replaced. */
static void
proc_kid_kill(struct proc_kid *k, const char *why)
{
	if (proc.stopping && k->iev.ibuf.fd != -1 &&
	    strcmp(why, "channel closed") == 0) {
		proc_kid_close(k);	/* it is stopping, as told */
		return;
	}
	log_warnx("%s %u (pid %d): %s: killed", proc.p->child->title, k->id,
	    (int)k->pid, why);
	proc_kid_close(k);
	if (k->pid != 0 && kill(k->pid, SIGKILL) == -1 && errno != ESRCH)
		log_warn("kill %d", (int)k->pid);
}

static void
proc_kid_dispatch(int fd, short ev, void *arg)
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
			proc_kid_kill(k, "channel closed");
			return;
		}
	}
	if (ev & EV_READ) {
		if ((n = imsg_read(ibuf)) == 0 ||
		    (n == -1 && errno != EAGAIN)) {
			proc_kid_kill(k, "channel closed");
			return;
		}
	}
	for (;;) {
		if ((n = imsg_get(ibuf, &imsg)) == -1) {
			proc_kid_kill(k, "unreadable message");
			return;
		}
		if (n == 0)
			break;
		rc = msg_dispatch(&proc_parent_table, &imsg, MSG_CHILD, k, &m);
		imsg_free(&imsg);
		if (rc == -1) {
			proc_kid_kill(k, m_error(&m) != NULL ? m_error(&m) :
			    "protocol error");
			return;
		}
	}
	imsg_event_add(&k->iev);
}

static int
proc_on_pong(struct msg *m, void *arg)
{
	struct proc_kid	*k = arg;

	k->pinged = 0;
	if (proc.p->child->reported != NULL)
		return proc.p->child->reported(k->id, m);
	return m_end(m);
}

/*
 * Every heartbeat: a PING to each child that answered the last one; a
 * child silent for timeout seconds is stuck (a loop, SIGSTOP) and
 * killed, and SIGCHLD brings its replacement.
 */
static void
proc_heartbeat(int fd, short ev, void *arg)
{
	const struct proc_child	*c = proc.p->child;
	struct proc_kid		*k;
	struct timeval		 tv = { c->heartbeat, 0 };
	time_t			 now = proc_now();
	unsigned int		 i;
	char			 why[64];

	for (i = 0; i < proc.nkids; i++) {
		k = &proc.kids[i];
		if (k->pid == 0 || k->iev.ibuf.fd == -1)
			continue;
		if (k->pinged != 0) {
			if (now - k->pinged >= c->timeout) {
				snprintf(why, sizeof(why), "no answer for "
				    "%u seconds", c->timeout);
				proc_kid_kill(k, why);
			}
			continue;
		}
		if (imsg_compose_event(&k->iev, IMSG_PROC_PING, 0, 0, -1,
		    NULL, 0) == -1) {
			proc_kid_kill(k, "cannot send a PING");
			continue;
		}
		k->pinged = now;
	}
	evtimer_add(&proc.beat, &tv);
}

/* Reap; replace each child that died, later the younger it died. */
static void
proc_sigchld(int sig, short ev, void *arg)
{
	const struct proc_child	*c = proc.p->child;
	struct proc_kid		*k;
	struct timeval		 tv;
	unsigned int		 i;
	pid_t			 pid;
	int			 st;

	while ((pid = waitpid(-1, &st, WNOHANG)) > 0) {
		for (k = NULL, i = 0; i < proc.nkids; i++)
			if (proc.kids[i].pid == pid)
				k = &proc.kids[i];
		if (k == NULL)
			continue;
		if (WIFSIGNALED(st))
			log_warnx("%s %u (pid %d) killed by signal %d",
			    c->title, k->id, (int)pid, WTERMSIG(st));
		else if (WEXITSTATUS(st) != 0 || !proc.stopping)
			log_warnx("%s %u (pid %d) exited %d", c->title,
			    k->id, (int)pid, WEXITSTATUS(st));
		proc_kid_close(k);
		k->pid = 0;
		if (c->gone != NULL)
			c->gone(k->id);
		if (proc.stopping)
			continue;
		if (proc_now() - k->started >= PROC_BACKOFF_YOUNG)
			k->backoff = PROC_BACKOFF_MIN;
		log_info("%s %u: a new one in %u ms", c->title, k->id,
		    k->backoff);
		tv.tv_sec = k->backoff / 1000;
		tv.tv_usec = (k->backoff % 1000) * 1000;
		evtimer_add(&k->respawn, &tv);
		if ((k->backoff *= 2) > PROC_BACKOFF_MAX)
			k->backoff = PROC_BACKOFF_MAX;
		proc.restarts++;
	}
	if (proc.stopping)
		proc_stop_check();
}

static void
proc_respawn(int fd, short ev, void *arg)
{
	struct proc_kid	*k = arg;

	k->due = 1;	/* forked by proc_loop(), out of this callback */
}

void
proc_children_stop(void (*done)(void))
{
	struct timeval	 tv = { PROC_STOP_WAIT, 0 };
	unsigned int	 i;

	if (proc.stopping++)
		return;
	proc.stopped = done;
	evtimer_del(&proc.beat);
	for (i = 0; i < proc.nkids; i++) {
		evtimer_del(&proc.kids[i].respawn);
		proc.kids[i].due = 0;
		if (proc.kids[i].pid != 0 &&
		    kill(proc.kids[i].pid, SIGTERM) == -1 && errno != ESRCH)
			log_warn("kill %d", (int)proc.kids[i].pid);
	}
	evtimer_add(&proc.stop_tmo, &tv);
	proc_stop_check();
}

static void
proc_stop_kill(int fd, short ev, void *arg)
{
	unsigned int	 i;

	for (i = 0; i < proc.nkids; i++)
		if (proc.kids[i].pid != 0)
			proc_kid_kill(&proc.kids[i], "still there at the stop");
}

static void
proc_stop_check(void)
{
	if (proc_children_running() > 0 || proc.stopped == NULL)
		return;
	evtimer_del(&proc.stop_tmo);
	proc.stopped();
	proc.stopped = NULL;
}

unsigned int
proc_children(void)
{
	return proc.nkids;
}

unsigned int
proc_child_id(void)
{
	return proc.id;
}

unsigned int
proc_children_running(void)
{
	unsigned int	 i, n = 0;

	for (i = 0; i < proc.nkids; i++)
		if (proc.kids[i].pid != 0)
			n++;
	return n;
}

unsigned int
proc_children_restarts(void)
{
	return proc.restarts;
}

/* In a child: the parent's PINGs; its going away ends the child. */
static void
proc_parent_dispatch(int fd, short ev, void *arg)
{
	struct imsgbuf	*ibuf = &proc.parent.ibuf;
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
		rc = msg_dispatch(&proc_child_table, &imsg, MSG_PARENT, NULL,
		    &m);
		imsg_free(&imsg);
		if (rc == -1)
			fatalx("the parent broke the protocol: %s",
			    m_error(&m) != NULL ? m_error(&m) : "?");
	}
	imsg_event_add(&proc.parent);
}

static int
proc_on_ping(struct msg *m, void *arg)
{
	const struct proc_child	*c = proc.p->child;
	char			 buf[1024];
	size_t			 len = 0;

	if (m_end(m) == -1)
		return -1;
	if (c->report != NULL)
		len = c->report(buf, sizeof(buf));
	if (len > sizeof(buf))
		fatalx("%s: report too long", __func__);
	if (imsg_compose_event(&proc.parent, IMSG_PROC_PONG, 0, 0, -1,
	    len > 0 ? buf : NULL, len) == -1)
		fatal("%s", __func__);
	return 0;
}
