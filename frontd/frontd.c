/*
 * frontd: start-up only.  Read the configuration, load what must be
 * loaded while files are reachable (TLS keys and CA, CRL, the schema
 * set), bind the listeners and the control socket, dial stored and
 * auditd, enter the sandbox, run the event loop.
 */
#include <sys/types.h>
#include <sys/socket.h>

#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event.h>

#include "audit.h"
#include "config.h"
#include "control.h"
#include "daemon.h"
#include "frontd.h"
#include "log.h"
#include "sandbox.h"

struct frontd	*env;

static void	frontd_stop(void *);
static void	frontd_control(const struct ctl_request *, struct ctl_conn *);
static void	frontd_exit(int, short, void *);

/*
 * frontd's system calls beyond sandbox_base_syscalls (common/sandbox.c),
 * each group with the code that needs it.
 */
static const int frontd_syscalls[] = {
	/* conn.c and control.c: accepting clients (accept4), libtls. */
	SCMP_SYS(accept), SCMP_SYS(accept4),
	/* libtls/OpenSSL: shutting a connection down, socket options. */
	SCMP_SYS(shutdown), SCMP_SYS(setsockopt), SCMP_SYS(getsockname),
	SCMP_SYS(getpeername),
	/* main: back to the runtime directory once chrooted, to redial. */
	SCMP_SYS(fchdir),
	/* peer.c and control.c: comparing credentials with our own. */
	SCMP_SYS(getuid), SCMP_SYS(geteuid), SCMP_SYS(getgid),
	SCMP_SYS(getegid),
	-1
};

static int	frontd_stopping;

static void
frontd_exit(int fd, short ev, void *arg)
{
	exit(0);
}

static void
frontd_stop(void *arg)
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

static void
frontd_control(const struct ctl_request *req, struct ctl_conn *cc)
{
	struct ctl_text	 t;

	if (strcmp(req->command, CTL_STATUS) == 0) {
		memset(&t, 0, sizeof(t));
		if (req->json) {
			ctl_text_printf(&t, "{\"process\":\"frontd\","
			    "\"version\":");
			ctl_text_json(&t, CFJL_VERSION);
			ctl_text_printf(&t, ",\"uptime\":%lld,"
			    "\"connections\":%u,\"stored\":%s,"
			    "\"journal\":%s,\"deposited\":%llu,"
			    "\"refused\":%llu,\"roles\":%zu}",
			    (long long)(time(NULL) - env->started),
			    env->nconns, env->stored_up ? "true" : "false",
			    audit_connected() ? "true" : "false",
			    (unsigned long long)env->ndeposits,
			    (unsigned long long)env->nrefused, roles_count());
		} else
			ctl_text_printf(&t, "frontd %s: up %llds, %u "
			    "connections, stored %s, journal %s, %llu "
			    "deposited, %llu refused, %zu role subjects\n",
			    CFJL_VERSION,
			    (long long)(time(NULL) - env->started),
			    env->nconns, env->stored_up ? "up" : "down",
			    audit_connected() ? "up" : "down",
			    (unsigned long long)env->ndeposits,
			    (unsigned long long)env->nrefused, roles_count());
		if (t.error)
			control_reply(cc, 0, "status too long");
		else
			control_reply_buf(cc, 1, t.buf, t.len);
		ctl_text_free(&t);
	} else if (strcmp(req->command, CTL_STOP) == 0) {
		control_reply(cc, 1, "frontd stops\n");
		frontd_stop(NULL);
	} else if (strcmp(req->command, CTL_RELOAD) == 0)
		control_reply(cc, 0, "frontd does not reload: restart it to "
		    "read a new configuration");
	else
		control_replyf(cc, 0, "frontd does not handle %s: ask the "
		    "daemon that does (see cfjlctl(8))", req->command);
}

int
main(int argc, char *argv[])
{
	struct daemon_opts	 opts;
	struct sandbox_policy	 sp;
	struct cfjl_conf	*conf;
	int			 runfd = -1, jail;

	/*
	 * No fastbins: with them, every allocation past 1 KiB (a message
	 * to stored, an answer) first sweeps the small chunks freed since,
	 * a tenth of the deposit path's own work; the thread cache still
	 * serves the small ones.
	 */
	(void)mallopt(M_MXFAST, 0);
	daemon_args(argc, argv, "frontd", &opts);
	conf = daemon_config(&opts, "frontd");

	if ((env = calloc(1, sizeof(*env))) == NULL)
		fatal("calloc");
	env->conf = conf;
	env->started = time(NULL);
	env->policy.operator_id = conf->operator_id;
	env->policy.vault_id = conf->vault_id;
	env->policy.max_depth = conf->frontd.max_xml_depth;
	env->limits.max_headers = conf->frontd.max_headers;
	env->limits.max_header_size = conf->frontd.max_header_size;
	env->limits.max_body = conf->frontd.max_body;
	if (conf->frontd.max_batch == 0 || conf->frontd.max_conns == 0 ||
	    conf->frontd.max_conns_per_client == 0 ||
	    conf->frontd.max_xml_depth == 0)
		fatalx("frontd limits must not be zero");

	/* Everything read from files, before the sandbox. */
	trace_init();
	if (conf->schemas[0] == '\0')
		fatalx("no schemas directory configured");
	if ((env->policy.schemas = trace_schemas_load(conf->schemas)) == NULL)
		fatalx("cannot load the schema set from %s", conf->schemas);
	env->tls = tls_server_setup(&conf->frontd);
	deposit_init();
	roles_init(conf);

	daemon_detach(&opts);
	event_init();
	daemon_signals(NULL, frontd_stop, NULL, NULL);

	/*
	 * Once chrooted, the runtime directory is reached through the
	 * working directory, kept open across the chroot.
	 */
	jail = geteuid() == 0 && conf->frontd.chroot[0] != '\0';
	if (jail) {
		if ((runfd = open(conf->runtime_dir, O_RDONLY | O_DIRECTORY |
		    O_CLOEXEC)) == -1)
			fatal("runtime directory %s", conf->runtime_dir);
		if (fchdir(runfd) == -1)
			fatal("fchdir %s", conf->runtime_dir);
		env->sockdir = ".";
	} else
		env->sockdir = conf->runtime_dir;

	conn_listen();
	control_init(conf->runtime_dir, "frontd", &conf->control,
	    frontd_control);
	audit_init(env->sockdir, "frontd", peer_user_uid(conf->auditd.user));
	links_init();

	memset(&sp, 0, sizeof(sp));
	sp.name = "frontd";
	sp.user = conf->frontd.user;
	sp.chroot = conf->frontd.chroot;
	sp.max_files = conf->frontd.max_conns + 64;
	sp.max_memory = 0;
	sp.syscalls = frontd_syscalls;
	sandbox_enter(&sp);
	if (jail && fchdir(runfd) == -1)
		fatal("fchdir %s", conf->runtime_dir);

	audit_record("start", "frontd", "ok", "frontd %s started, operator "
	    "%u vault %u", CFJL_VERSION, conf->operator_id, conf->vault_id);
	log_info("frontd %s ready: operator %u, vault %u, %zu event types",
	    CFJL_VERSION, conf->operator_id, conf->vault_id,
	    trace_schemas_ntypes(env->policy.schemas));
	event_dispatch();
	fatalx("event loop returned");
}
