/*
 * Dropping privileges and confining a daemon, in the order every daemon
 * follows: open what it needs, then sandbox_enter(), then the event loop.
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
};

/*
 * Disable core dumps, set limits, chroot, switch user (when root; an
 * ordinary user keeps its identity and says so in the log), set
 * no_new_privs, then load the seccomp filter: a forbidden call kills the
 * process.  Fatal on any failure.
 */
void	sandbox_enter(const struct sandbox_policy *);

/* System calls every daemon needs (logging, event loop, memory, imsg). */
extern const int sandbox_base_syscalls[];

#endif
