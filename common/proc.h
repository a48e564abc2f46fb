/*
 * One start-up for every daemon.  A daemon describes itself in a static
 * struct proc and calls proc_run(), which takes the same steps in the
 * same order for all of them:
 *
 *	arguments, config (-n stops here), event base, open
 *	(privileged), detach, signals, chroot, drop (user), limits,
 *	filter (seccomp), audit (the journal link), start, event loop.
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

#include <stddef.h>

struct audit_record;
struct cfjl_conf;

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
};

__attribute__((__noreturn__)) void
	proc_run(int argc, char *argv[], const struct proc *);

/* The runtime directory as this process reaches it now. */
const char	*proc_rundir(void);

/* Take syscalls_waiting away for good, once the wait is over. */
void	proc_tighten(void);

#endif
