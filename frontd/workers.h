/*
 * frontd's workers: the processes that accept, run TLS, parse, check
 * traces and hold their own link to stored.  The parent holds the
 * listening sockets and the control socket, and the workers' reports.
 */
#ifndef FRONTD_WORKERS_H
#define FRONTD_WORKERS_H

#include <stdint.h>

#define WORKERS_HEARTBEAT	1	/* seconds between PINGs */
#define WORKERS_TIMEOUT		10	/* seconds without an answer */
#define WORKERS_AUTO_MAX	16	/* one per online core, at most */

struct proc_child;

/* What each worker last said, summed (the retired ones' counters too). */
struct workers_sum {
	unsigned int	 running;	/* that reported since they started */
	unsigned int	 stored_up;	/* of those, linked to stored */
	unsigned int	 connections;
	uint64_t	 deposited;
	uint64_t	 refused;
	uint64_t	 roles;		/* the largest role table */
};

extern const struct proc_child	workers_child;

void	 workers_sum(struct workers_sum *);

#endif
