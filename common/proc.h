/*
 * One start-up for every daemon.  A daemon describes itself in a static
 * struct proc and calls proc_run(), which takes the same steps in the
 * same order for all of them:
 *
 *	arguments, config (-n stops here), event base, open
 *	(privileged), detach, signals, chroot, drop (user), limits,
 *	filter (seccomp), audit (the journal link), start, [fork],
 *	event loop.
 *
 * fork: only a daemon whose description names children (struct
 * proc_child) takes it; see there.
 *
 * The event base is made before open: modules register their sockets
 * as they bind them; it is re-initialised in the detached child.
 *
 * What a daemon does differently is a field of its description, never
 * code of its own between the steps.  With -v each step is logged as
 * "start-up: STEP" at debug level.
 */
#ifndef CFJL_PROC_H
#define CFJL_PROC_H

#include <sys/types.h>
#include <stddef.h>

struct audit_record;
struct cfjl_conf;
struct msg;

/* Where a setting lives in struct cfjl_conf, e.g. PROC_CONF(frontd.user). */
#define PROC_CONF(member)	(offsetof(struct cfjl_conf, member) + 1)
#define PROC_CONF_NONE		0

/* flags */
/*
 * The runtime directory is reached through the working directory, kept
 * across the chroot (frontd: its chroot is empty, and it must redial
 * stored and auditd there).
 */
#define PROC_RUNDIR_CWD		0x01

/*
 * Children: a daemon whose work runs in several processes of one kind
 * (frontd: its workers) names them here, in the manner of a process
 * table.  The parent forks them at the fork step, confined already: a
 * child begins with what the parent opened and loaded, and nothing the
 * parent did not (so no other child's work).  In the child, proc.c
 * closes what is the parent's (the other children's channels, the
 * journal link, and through drop() the daemon's own), stacks the
 * child's filter on the parent's, sets RLIMIT_NPROC to 0, opens its own
 * journal link and calls start().  The child's steps are logged as
 * "start-up: TITLE N: STEP".  A child is forked, not executed anew with
 * a role flag: the parent that replaces one is chrooted and unprivileged
 * already, with neither the binary nor the keys in reach.
 *
 * The parent watches each child over a socket pair: a PING every
 * heartbeat seconds, answered by a PONG that carries the child's report
 * (report(), read in the parent by reported()); a child that has not
 * answered for timeout seconds is stuck and gets SIGKILL.  A child that
 * dies is forked again, after a backoff that doubles while children die
 * young (PROC_BACKOFF_*).  The parent cannot fork without a filter that
 * allows it: its filter holds the calls of syscalls, of the child's list
 * and of proc.c's own (fork, wait, kill, the child's limits and filter).
 */
#define PROC_CHILD_MAX		64
#define PROC_BACKOFF_MIN	100	/* milliseconds */
#define PROC_BACKOFF_MAX	10000
#define PROC_BACKOFF_YOUNG	10	/* seconds: dying sooner doubles it */

struct proc_child {
	const char	*title;		/* "worker": "frontd worker 2" */
	size_t		 count;		/* PROC_CONF of how many (unsigned) */
	unsigned int	 count_auto;	/* that is 0: one per online core, */
					/* at most count_auto */
	const int	*syscalls;	/* the child's own, stacked */
	unsigned int	 heartbeat;	/* seconds between PINGs */
	unsigned int	 timeout;	/* seconds without PONG: SIGKILL */
	/* In the new child, first: let go of what is the parent's alone. */
	void		(*drop)(void);
	/* In the child, confined, its journal link made: serve. */
	void		(*start)(struct cfjl_conf *, unsigned int id);
	void		(*stop)(void *);	/* SIGTERM, SIGINT */
	void		(*reload)(void *);	/* SIGHUP; NULL: ignored */
	/* In the child: its report into buf; the length. */
	size_t		(*report)(void *buf, size_t size);
	/* In the parent: child id's report; -1: malformed (it is killed). */
	int		(*reported)(unsigned int id, struct msg *);
	/* In the parent: child id is gone (its report with it). */
	void		(*gone)(unsigned int id);
};

struct proc {
	const char	*name;
	size_t		 user;		/* PROC_CONF of the user to run as */
	size_t		 chroot;	/* PROC_CONF of the configured chroot */
	/*
	 * Where the root is not simply the configured one, who picks it
	 * (at the chroot step; NULL: none) and why, said in the log.
	 */
	const char	*(*chroot_pick)(struct cfjl_conf *);
	const char	*chroot_why;
	int		 flags;		/* PROC_* */
	unsigned long	 max_files;	/* RLIMIT_NOFILE ... */
	size_t		 max_files_plus; /* ... plus this setting (unsigned) */
	unsigned long	 max_memory;	/* RLIMIT_AS, bytes; 0: none */
	const int	*syscalls;	/* beyond sandbox_base_syscalls */
	/*
	 * Allowed only while waiting() says so at the filter step, until
	 * proc_tighten(); and why (sealerd: its PKCS#11 module).
	 */
	int		(*waiting)(void);
	const int	*syscalls_waiting;
	const char	*waiting_why;
	/* The journal daemon itself: its own records go straight in. */
	void		(*audit_local)(const struct audit_record *);

	/* While privileged: sockets, files, keys, the database. */
	void		(*open)(struct cfjl_conf *);
	/* Confined: dial peers, start timers, say it started. */
	void		(*start)(struct cfjl_conf *);
	void		(*stop)(void *);	/* SIGTERM, SIGINT */
	void		(*reload)(void *);	/* SIGHUP; NULL: not supported */

	/* Its children; NULL: none (one process). */
	const struct proc_child *child;
};

__attribute__((__noreturn__)) void
	proc_run(int argc, char *argv[], const struct proc *);

/* The runtime directory as this process reaches it now. */
const char	*proc_rundir(void);

/* Take syscalls_waiting away for good, once the wait is over. */
void	proc_tighten(void);

/* proc_child.c.  Children: how many; in a child, its id (from 1). */
unsigned int proc_child_count(void);
unsigned int proc_child_id(void);
/* In the parent: running now, and forked again since the start. */
unsigned int proc_child_running(void);
unsigned int proc_child_restarts(void);
/*
 * In the parent: SIGTERM to every child, SIGKILL to those still there
 * after PROC_STOP_WAIT seconds; done() once all are gone.
 */
#define PROC_STOP_WAIT	3
void	proc_child_stop(void (*done)(void));
/* In the parent: sig (SIGHUP) to every running child. */
void	proc_child_signal(int sig);

/* Between proc.c and proc_child.c only. */
struct event_base;
struct sandbox_policy;
/* The event step: the parent's filter (its list, the child's, fork). */
const int *proc_child_init(const struct proc *, struct cfjl_conf *,
	    struct event_base *);
/* The fork step, and between two turns of the loop. */
void	proc_child_start(const struct sandbox_policy *, const char *rundir,
	    uid_t auditd_uid);
void	proc_child_fork_due(void);

#endif
