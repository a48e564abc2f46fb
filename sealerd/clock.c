/*
 * Clock control before every time-stamp.  A time-stamping unit that
 * signs a wrong time is worse than one that stops: without a
 * synchronised clock and bounded error, sealerd refuses to stamp and
 * stored keeps the lot pending until it can.
 */
#include <sys/timex.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "clock.h"

void
clock_init(struct clock_state *cs, long max_error_us, int relaxed)
{
	memset(cs, 0, sizeof(*cs));
	cs->max_error_us = max_error_us;
	cs->relaxed = relaxed;
#ifdef CFJL_TESTHOOKS
	{
		const char	*e = getenv("CFJL_TEST_CLOCK");

		/* Test builds only: pretend the clock lost its source. */
		if (e != NULL && strcmp(e, "unsync") == 0) {
			cs->forced = 1;
			log_warnx("test hook: CFJL_TEST_CLOCK=unsync, the "
			    "clock is taken as unsynchronised");
		}
	}
#endif
}

const char *
clock_name(const struct clock_state *cs)
{
	if (!cs->synced)
		return "unsynchronised";
	if (cs->maxerror_us > cs->max_error_us ||
	    cs->esterror_us > cs->max_error_us)
		return "out of bounds";
	return "synchronised";
}

int
clock_check(struct clock_state *cs)
{
	struct timex	 tx;
	int		 st;

	memset(&tx, 0, sizeof(tx));
	tx.modes = 0;		/* read only */
	st = ntp_adjtime(&tx);
	cs->synced = st != -1 && st != TIME_ERROR &&
	    (tx.status & STA_UNSYNC) == 0 && !cs->forced;
	cs->maxerror_us = st == -1 ? -1 : tx.maxerror;
	cs->esterror_us = st == -1 ? -1 : tx.esterror;

	if (cs->synced && tx.maxerror <= cs->max_error_us &&
	    tx.esterror <= cs->max_error_us) {
		if (cs->warned)
			log_info("clock: synchronised again (max error %ld us)",
			    cs->maxerror_us);
		cs->warned = 0;
		cs->why[0] = '\0';
		return 0;
	}
	if (!cs->synced)
		snprintf(cs->why, sizeof(cs->why), "the system clock is not "
		    "synchronised (NTP)");
	else
		snprintf(cs->why, sizeof(cs->why), "the clock error "
		    "(max %ld us, estimated %ld us) exceeds clock max-error "
		    "%ld us", cs->maxerror_us, cs->esterror_us,
		    cs->max_error_us);
	if (cs->relaxed) {
		if (!cs->warned) {
			log_warnx("clock: %s; time-stamping ANYWAY because "
			    "\"clock relaxed\" is set: never in production",
			    cs->why);
			cs->warned = 1;
		}
		return 0;
	}
	return -1;
}
