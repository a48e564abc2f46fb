/*
 * Clock control before every time-stamp.  A time-stamping unit that
 * signs a wrong time is worse than one that stops: without a
 * synchronised clock and bounded error, sealerd refuses to stamp and
 * stored keeps the lot pending until it can.
 */
#include <sys/timex.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "clock.h"

#ifdef CFJL_TESTHOOKS
/*
 * Test builds only, CFJL_TEST_CLOCK=steps: the clock is taken as
 * synchronised, and each SIGUSR2 steps it: unsynchronised (what the
 * kernel says after a step, until NTP holds the clock again), then
 * synchronised again at the next, and so on.
 */
static volatile sig_atomic_t	 clock_test_stepped;

static void	 clock_test_step(int);

static void
clock_test_step(int sig)
{
	clock_test_stepped = !clock_test_stepped;
}
#endif

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
		} else if (e != NULL && strcmp(e, "steps") == 0) {
			cs->steps = 1;
			signal(SIGUSR2, clock_test_step);
			log_warnx("test hook: CFJL_TEST_CLOCK=steps, the "
			    "clock is taken as synchronised, SIGUSR2 steps it");
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
#ifdef CFJL_TESTHOOKS
	if (cs->steps) {
		st = clock_test_stepped ? TIME_ERROR : TIME_OK;
		tx.status = clock_test_stepped ? STA_UNSYNC : 0;
		tx.maxerror = tx.esterror = clock_test_stepped ? 16000000 : 0;
	}
#endif
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
