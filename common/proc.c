/*
 * The start-up every daemon goes through, in one fixed order (see
 * proc.h).  Errors up to the open step reach the terminal: detaching
 * comes after everything that may fail for a reason a person can fix.
 * Modelled on the process start-up of OpenBSD's daemons: the daemon
 * says what it is, this file does the rest the same way for all;
 * proc_child.c forks, watches and replaces a daemon's children.
 */
#include <sys/types.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event.h>

#include "audit.h"
#include "config.h"
#include "daemon.h"
#include "log.h"
#include "peer.h"
#include "proc.h"
#include "sandbox.h"

static void	proc_step(const char *);
static const char *proc_conf_str(const struct cfjl_conf *, size_t);
static unsigned long proc_conf_uint(const struct cfjl_conf *, size_t);
static void	proc_rundir_open(const struct proc *, struct cfjl_conf *);
static void	proc_policy(const struct proc *, struct cfjl_conf *);
static __attribute__((__noreturn__)) void proc_loop(void);

static struct {
	struct sandbox_policy	 sp;
	const char		*rundir;
	uid_t			 auditd_uid;
	int			 runfd;
	int			 waiting;
	const int		*syscalls;	/* the parent's, its child's */
	const struct proc	*p;
} proc = { .runfd = -1 };

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
	if (p->child != NULL)
		proc.syscalls = proc_child_init(p, conf, base);

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
		proc_child_start(&proc.sp, proc.rundir, proc.auditd_uid);
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
		proc_child_fork_due();
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
