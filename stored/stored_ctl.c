/*
 * stored's control socket (status, roles, sealing now, stop) and its
 * stop: the commit in flight finishes before the process goes.
 */
#include <sys/types.h>
#include <sys/time.h>

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include <event.h>

#include "audit.h"
#include "config.h"
#include "control.h"
#include "log.h"
#include "stored.h"
#include "commit.h"
#include "db.h"
#include "front.h"
#include "lotstate.h"
#include "query.h"
#include "role.h"
#include "sealerlink.h"
#include "stored_ctl.h"

#define STORED_STOP_WAIT	5	/* seconds for the last commit */

static struct event	 stop_timer;

static void	 stored_stop_check(int, short, void *);

/* Stop taking work, let the commit in flight finish, then exit. */
void
stored_ctl_stop(void *arg)
{
	struct timeval	 tv = { 0, 50000 };

	if (env->stopping)
		return;
	env->stopping = 1;
	front_close();
	control_close();
	audit_record("stop", "stored", "ok", "stored stopping");
	evtimer_set(&stop_timer, stored_stop_check, NULL);
	evtimer_add(&stop_timer, &tv);
}

static void
stored_stop_check(int fd, short ev, void *arg)
{
	static int	 ticks;
	struct timeval	 tv = { 0, 50000 };

	ticks++;
	if ((commit_writing() || audit_queued() > 0) &&
	    ticks < STORED_STOP_WAIT * 20) {
		evtimer_add(&stop_timer, &tv);
		return;
	}
	if (commit_writing())
		log_warnx("stopping with a commit in flight: its deposits "
		    "were not acknowledged");
	sealerlink_close();
	audit_shutdown();
	db_close();
	log_info("stopped");
	exit(0);
}

void
stored_ctl_request(const struct ctl_request *req, struct ctl_conn *conn)
{
	char		*json;
	size_t		 len;
	uint64_t	 open;

	if (strcmp(req->command, CTL_STATUS) == 0) {
		json = query_status_json(&len);
		control_reply_buf(conn, 1, json, len);
		free(json);
	} else if (strcmp(req->command, CTL_ROLE_ADD) == 0 ||
	    strcmp(req->command, CTL_ROLE_REMOVE) == 0 ||
	    strcmp(req->command, CTL_ROLE_LIST) == 0)
		role_control(req, conn);
	else if (strcmp(req->command, CTL_LOT_SEAL_NOW) == 0) {
		/* Its number first: closing it may open the next one. */
		open = lotstate_current();
		if (lotstate_seal_now())
			control_replyf(conn, 1, "lot %" PRIu64 " closes now "
			    "and goes to sealing", open);
		else
			control_reply(conn, 1, "no open lot: nothing to seal");
	} else if (strcmp(req->command, CTL_STOP) == 0) {
		control_reply(conn, 1, "stored stopping");
		stored_ctl_stop(NULL);
	} else if (strcmp(req->command, CTL_RELOAD) == 0)
		control_reply(conn, 0, "stored cannot reload: restart it to "
		    "apply a new configuration");
	else
		control_replyf(conn, 0, "stored does not handle \"%.32s\"",
		    req->command);
}
