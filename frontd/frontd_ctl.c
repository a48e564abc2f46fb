/*
 * frontd's control socket (status, reload, stop), served by the parent:
 * what it answers cfjlctl(8), from the workers' last reports (a
 * heartbeat old at most); the reload of the CRLs, checked here then
 * relayed to every worker (each holds its own TLS context); and the
 * stop, which it relays to every worker before it lets go of the
 * journal.
 */
#include <sys/types.h>

#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include <event.h>

#include "audit.h"
#include "clientca.h"
#include "config.h"
#include "control.h"
#include "frontd.h"
#include "frontd_ctl.h"
#include "listen.h"
#include "log.h"
#include "proc.h"
#include "workers.h"

static void	frontd_ctl_exit(int, short, void *);
static void	frontd_ctl_stopped(void);

static int	frontd_stopping;

static void
frontd_ctl_exit(int fd, short ev, void *arg)
{
	exit(0);
}

/* Every worker is gone: a moment for the journal record to leave. */
static void
frontd_ctl_stopped(void)
{
	static struct event	 ev;
	struct timeval		 tv = { 1, 0 };

	log_info("every worker stopped");
	evtimer_set(&ev, frontd_ctl_exit, NULL);
	evtimer_add(&ev, &tv);
}

void
frontd_ctl_stop(void *arg)
{
	if (frontd_stopping++)
		return;
	log_info("stopping");
	audit_record("stop", "frontd", "ok", "frontd stops");
	control_close();
	listen_close();
	proc_child_stop(frontd_ctl_stopped);
}

/*
 * The CRLs again: here first, so that a worker forked later starts
 * with them and a set that does not check is refused once, then in
 * every worker.  0, or -1 with msg.
 */
static int
frontd_ctl_crls(char *msg, size_t size)
{
	if (clientca_reload(msg, size) == -1)
		return -1;
	proc_child_signal(SIGHUP);
	return 0;
}

/* SIGHUP: the CRLs, as "cfjlctl reload" does. */
void
frontd_ctl_reload(void *arg)
{
	char	 msg[512];

	(void)frontd_ctl_crls(msg, sizeof(msg));
}

void
frontd_ctl_request(const struct ctl_request *req, struct ctl_conn *cc)
{
	struct ctl_text		 t;
	struct workers_sum	 s;
	const char		*stored;
	char			 msg[512];
	int			 ok;

	if (strcmp(req->command, CTL_STATUS) == 0) {
		workers_sum(&s);
		/* stored is up when every worker that reports reaches it. */
		stored = s.running > 0 && s.stored_up == s.running ? "up" :
		    s.stored_up > 0 ? "partly" : "down";
		memset(&t, 0, sizeof(t));
		if (req->json) {
			control_text_printf(&t, "{\"process\":\"frontd\","
			    "\"version\":");
			control_text_json(&t, CFJL_VERSION);
			control_text_printf(&t, ",\"uptime\":%lld,"
			    "\"workers\":%u,\"workers_running\":%u,"
			    "\"workers_restarted\":%u,"
			    "\"connections\":%u,\"stored\":%s,"
			    "\"stored_links\":%u,"
			    "\"journal\":%s,\"deposited\":%llu,"
			    "\"refused\":%llu,\"roles\":%llu}",
			    frontd_env_uptime(), proc_child_count(),
			    proc_child_running(),
			    proc_child_restarts(), s.connections,
			    strcmp(stored, "up") == 0 ? "true" : "false",
			    s.stored_up,
			    audit_connected() ? "true" : "false",
			    (unsigned long long)s.deposited,
			    (unsigned long long)s.refused,
			    (unsigned long long)s.roles);
		} else
			control_text_printf(&t, "frontd %s: up %llds, %u of "
			    "%u workers (%u restarted), %u connections, "
			    "stored %s, journal %s, %llu deposited, %llu "
			    "refused, %llu role subjects\n",
			    CFJL_VERSION, frontd_env_uptime(),
			    proc_child_running(), proc_child_count(),
			    proc_child_restarts(), s.connections, stored,
			    audit_connected() ? "up" : "down",
			    (unsigned long long)s.deposited,
			    (unsigned long long)s.refused,
			    (unsigned long long)s.roles);
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
		ok = frontd_ctl_crls(msg, sizeof(msg)) == 0;
		control_replyf(cc, ok, "frontd: %s%s\n", ok ? "" :
		    "CRLs not reloaded: ", msg);
	} else
		control_replyf(cc, 0, "frontd does not handle %s: ask the "
		    "daemon that does (see cfjlctl(8))", req->command);
}
