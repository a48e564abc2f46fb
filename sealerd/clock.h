/*
 * Whether the system clock may be trusted for a time-stamp: the kernel's
 * NTP state (ntp_adjtime with no modes) must say synchronised, with
 * error bounds within clock max-error, unless clock relaxed is set.
 */
#ifndef CFJL_CLOCK_H
#define CFJL_CLOCK_H

#include <stddef.h>

struct clock_state {
	int		 synced;	/* kernel says synchronised */
	long		 maxerror_us;
	long		 esterror_us;
	int		 relaxed;	/* configured: stamp anyway */
	int		 forced;	/* test hook CFJL_TEST_CLOCK=unsync */
	int		 steps;		/* test hook CFJL_TEST_CLOCK=steps */
	int		 warned;	/* relaxed use logged once */
	long		 max_error_us;	/* configured bound */
	char		 why[160];	/* last refusal or warning */
};

void	clock_init(struct clock_state *, long max_error_us, int relaxed);
/*
 * Read the kernel state; 0 if a time-stamp may be issued now, -1 (with
 * cs->why) if not.  With relaxed, an untrustworthy clock is logged once,
 * loudly, and accepted.
 */
int	clock_check(struct clock_state *);
/* "synchronised", "unsynchronised", "out of bounds" */
const char *clock_name(const struct clock_state *);

#endif
