/*
 * Watching the HSM and the clock: the token (or its module) is looked
 * for again every few seconds while it is away, and the journal hears
 * of each change of state, not of each request.
 */
#include <sys/types.h>
#include <sys/time.h>

#include <string.h>

#include <event.h>

#include "audit.h"
#include "log.h"
#include "proc.h"
#include "sealerd.h"

static void	sealerd_retry(int, short, void *);

void
watch_retry_arm(void)
{
	struct timeval	 tv = { SEALER_RETRY_HSM, 0 };

	if (!env->sealer.hsm.up && !evtimer_pending(&env->retry_ev, NULL))
		evtimer_add(&env->retry_ev, &tv);
}

/* While the HSM is away, look for it without waiting for a request. */
static void
sealerd_retry(int fd, short ev, void *arg)
{
	seal_hsm_ready(&env->sealer);
	watch_trouble_check();
	watch_retry_arm();
}

void
watch_trouble(const char *why)
{
	strlcpy(env->sealer.last_error, why, sizeof(env->sealer.last_error));
}

void
watch_trouble_check(void)
{
	int	 up = env->sealer.hsm.up;

	/* Mapped on a retry or on a request: close the door behind it. */
	if (env->module_awaited && env->sealer.hsm.dl != NULL) {
		log_info("PKCS#11 module %s loaded: no more code may be "
		    "mapped from now on", env->sealer.hsm.module);
		proc_tighten();
		env->module_awaited = 0;
	}
	if (up != env->was_up) {
		if (up)
			audit_record("hsm", env->sealer.hsm.token, "ok", "HSM token "
			    "\"%s\" available: keys \"%s\" and \"%s\"",
			    env->sealer.hsm.token, env->sealer.hsm.seal_label,
			    env->sealer.hsm.tsa_label);
		else
			audit_record("hsm", env->sealer.hsm.token, "error", "HSM "
			    "unavailable: %s", env->sealer.hsm.err);
		env->was_up = up;
	}
	if (env->sealer.clock_refusing != env->was_refusing) {
		if (env->sealer.clock_refusing) {
			log_warnx("time-stamping stopped: %s",
			    env->sealer.tsa.clock.why);
			audit_record("clock", "sealerd", "refused", "time-"
			    "stamping stopped: %s", env->sealer.tsa.clock.why);
		} else {
			log_info("time-stamping resumed: the clock is "
			    "trustworthy again");
			audit_record("clock", "sealerd", "ok", "time-stamping "
			    "resumed");
		}
		env->was_refusing = env->sealer.clock_refusing;
	}
	if (env->sealer.tsa.clock.relaxed && env->sealer.tsa.clock.warned == 1) {
		audit_record("clock", "sealerd", "warning", "%s; time-stamping "
		    "anyway (clock relaxed)", env->sealer.tsa.clock.why);
		env->sealer.tsa.clock.warned = 2;	/* journaled once */
	}
	watch_retry_arm();
}

void
watch_start(void)
{
	evtimer_set(&env->retry_ev, sealerd_retry, NULL);
	watch_trouble_check();
	watch_retry_arm();
}
