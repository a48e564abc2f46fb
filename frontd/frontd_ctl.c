/*
 * frontd's control socket (status, reload, stop) and its stop: what it answers
 * cfjlctl(8), and how it lets go of clients, stored and the journal.
 */
#include <sys/types.h>

#include <stdlib.h>
#include <string.h>

#include <event.h>

#include "audit.h"
#include "config.h"
#include "control.h"
#include "frontd.h"
#include "log.h"

static void	frontd_exit(int, short, void *);

static int	frontd_stopping;

static void
frontd_exit(int fd, short ev, void *arg)
{
	exit(0);
}

void
frontd_ctl_stop(void *arg)
{
	static struct event	 ev;
	struct timeval		 tv = { 1, 0 };

	if (frontd_stopping++)
		return;
	log_info("stopping");
	audit_record("stop", "frontd", "ok", "frontd stops");
	conn_shutdown();
	links_shutdown();
	control_close();
	/* A moment for the journal record to leave. */
	evtimer_set(&ev, frontd_exit, NULL);
	evtimer_add(&ev, &tv);
}

/* SIGHUP: the CRLs, as "cfjlctl reload" does. */
void
frontd_ctl_reload(void *arg)
{
	char	 msg[512];

	(void)clientca_reload(msg, sizeof(msg));
}

void
frontd_ctl_request(const struct ctl_request *req, struct ctl_conn *cc)
{
	struct ctl_text	 t;
	char		 msg[512];
	int		 ok;

	if (strcmp(req->command, CTL_STATUS) == 0) {
		memset(&t, 0, sizeof(t));
		if (req->json) {
			control_text_printf(&t, "{\"process\":\"frontd\","
			    "\"version\":");
			control_text_json(&t, CFJL_VERSION);
			control_text_printf(&t, ",\"uptime\":%lld,"
			    "\"connections\":%u,\"stored\":%s,"
			    "\"journal\":%s,\"deposited\":%llu,"
			    "\"refused\":%llu,\"roles\":%zu}",
			    frontd_env_uptime(),
			    env->nconns, env->stored_up ? "true" : "false",
			    audit_connected() ? "true" : "false",
			    (unsigned long long)env->ndeposits,
			    (unsigned long long)env->nrefused, roles_count());
		} else
			control_text_printf(&t, "frontd %s: up %llds, %u "
			    "connections, stored %s, journal %s, %llu "
			    "deposited, %llu refused, %zu role subjects\n",
			    CFJL_VERSION,
			    frontd_env_uptime(),
			    env->nconns, env->stored_up ? "up" : "down",
			    audit_connected() ? "up" : "down",
			    (unsigned long long)env->ndeposits,
			    (unsigned long long)env->nrefused, roles_count());
		if (t.error)
			control_reply(cc, 0, "status too long");
		else
			control_reply_buf(cc, 1, t.buf, t.len);
		control_text_free(&t);
	} else if (strcmp(req->command, CTL_STOP) == 0) {
		control_reply(cc, 1, "frontd stops\n");
		frontd_ctl_stop(NULL);
	} else if (strcmp(req->command, CTL_RELOAD) == 0) {
		/* Only the CRLs: the rest of cfjl.conf needs a restart. */
		ok = clientca_reload(msg, sizeof(msg)) == 0;
		control_replyf(cc, ok, "frontd: %s%s\n", ok ? "" :
		    "CRLs not reloaded: ", msg);
	} else
		control_replyf(cc, 0, "frontd does not handle %s: ask the "
		    "daemon that does (see cfjlctl(8))", req->command);
}

