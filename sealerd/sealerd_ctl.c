/*
 * sealerd's control socket (status, stop) and its stop and reload.
 */
#include <sys/types.h>
#include <sys/time.h>

#include <stdlib.h>
#include <string.h>

#include <event.h>

#include "audit.h"
#include "config.h"
#include "control.h"
#include "log.h"
#include "sealerd.h"

static void	sealerd_stop_cb(int, short, void *);

void
sealerd_ctl_request(const struct ctl_request *req, struct ctl_conn *c)
{
	struct timeval	 tv = { 0, 100000 };
	char		*j;

	if (strcmp(req->command, CTL_STATUS) == 0) {
		if ((j = status_json(&env->sealer)) == NULL)
			fatal("status");
		if (req->json)
			control_replyf(c, 1, "{\"daemon\":\"sealerd\","
			    "\"version\":\"%s\",%s", CFJL_VERSION, j + 1);
		else
			control_replyf(c, 1, "sealerd %s: token \"%s\" %s%s%s; "
			    "clock %s%s; %lu lots and %lu journal files "
			    "sealed, %lu refusals\n", CFJL_VERSION,
			    env->sealer.hsm.token, env->sealer.hsm.up ? "open" :
			    "UNAVAILABLE", env->sealer.hsm.up ? "" : ": ",
			    env->sealer.hsm.up ? "" : env->sealer.hsm.err,
			    clock_name(&env->sealer.tsa.clock),
			    env->sealer.tsa.clock.relaxed ? " (relaxed: "
			    "time-stamps made whatever the clock says)" : "",
			    env->sealer.seals, env->sealer.journal_seals,
			    env->sealer.refusals);
		free(j);
	} else if (strcmp(req->command, CTL_STOP) == 0) {
		control_reply(c, 1, "sealerd stopping\n");
		/* Let the reply go out first. */
		event_once(-1, EV_TIMEOUT, sealerd_stop_cb, NULL, &tv);
	} else if (strcmp(req->command, CTL_RELOAD) == 0) {
		control_reply(c, 0, "sealerd cannot reload: its keys, token "
		    "and clock settings change only with a restart");
	} else
		control_replyf(c, 0, "sealerd does not do %s", req->command);
}

void
sealerd_ctl_stop(void *arg)
{
	audit_record("stop", "sealerd", "ok", "sealerd stopping: %lu lots "
	    "sealed", env->sealer.seals);
	control_close();
	sealersock_close();
	tsa_close(&env->sealer.tsa);
	hsm_free(&env->sealer.hsm);
	log_info("stopped");
	exit(0);
}

static void
sealerd_stop_cb(int fd, short ev, void *arg)
{
	sealerd_ctl_stop(arg);
}

void
sealerd_ctl_reload(void *arg)
{
	log_warnx("reload: sealerd's settings change only with a restart");
}
