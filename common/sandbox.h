/*
 * Dropping privileges and confining a daemon, step by step: chroot,
 * user, limits, filter.  common/proc.c takes the steps in that order
 * for every daemon, after it has opened what it needs.
 */
#ifndef CFJL_SANDBOX_H
#define CFJL_SANDBOX_H

#include <sys/types.h>
#include <stddef.h>

struct sandbox_policy {
	const char	*name;		/* "frontd", ... for the logs */
	const char	*user;		/* switch to it when started as root */
	const char	*chroot;	/* NULL or "": none */
	unsigned long	 max_files;	/* RLIMIT_NOFILE */
	unsigned long	 max_memory;	/* RLIMIT_AS, bytes; 0: unlimited */
	const int	*syscalls;	/* allow-list, ends with -1 */
	/*
	 * Allowed until sandbox_tighten(): what a daemon needs only while
	 * it waits for something the steady state forbids (NULL: none).
	 */
	const int	*syscalls_more;
	/* A parent that forks its children: RLIMIT_NPROC is left alone. */
	int		 forks;
};

/*
 * Every step is fatal on failure.  chroot: when root and one is given.
 * drop: switch to the user when root (an ordinary user keeps its
 * identity and says so in the log).  limits: no core dumps, files,
 * memory, no new processes.  filter: no_new_privs, then the seccomp
 * allow-list: a forbidden call kills the process.
 */
void	sandbox_chroot(const struct sandbox_policy *);
void	sandbox_drop(const struct sandbox_policy *);
void	sandbox_limits(const struct sandbox_policy *);
void	sandbox_filter(const struct sandbox_policy *);
/* The four steps at once, for a program without common/proc.c. */
void	sandbox_enter(const struct sandbox_policy *);
/* Stack a second filter without syscalls_more. */
void	sandbox_tighten(const struct sandbox_policy *);

/* System calls every daemon needs (logging, event loop, memory, imsg). */
extern const int sandbox_base_syscalls[];

#endif
