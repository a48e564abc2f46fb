/*
 * frontd: start-up only.  Its description for common/proc.c: what it
 * loads and binds while privileged (TLS keys, client CAs, CRLs, the schema
 * set, the listeners, the control socket), its confinement, and its
 * children, the workers (workers.c), which accept, run TLS, check
 * traces and link to stored.  The parent serves no client: it keeps
 * the listening sockets for the workers it forks, the control socket,
 * and watches the workers.
 */
#include <sys/types.h>

#include <malloc.h>
#include <seccomp.h>
#include <stddef.h>
#include <time.h>

#include <event.h>

#include "audit.h"
#include "config.h"
#include "control.h"
#include "ctlauth.h"
#include "events.h"
#include "frontd.h"
#include "frontd_ctl.h"
#include "links.h"
#include "listen.h"
#include "log.h"
#include "peer.h"
#include "proc.h"
#include "roles.h"
#include "tlsserver.h"
#include "workers.h"

static void	frontd_open(struct cfjl_conf *);
static void	frontd_start(struct cfjl_conf *);

/*
 * The parent's system calls beyond sandbox_base_syscalls
 * (common/sandbox.c), each group with the code that needs it; to these
 * common/proc.c adds the workers' (workers.c), whose filter is stacked
 * on this one, and its own for forking and watching them.
 */
static const int frontd_syscalls[] = {
	/* control.c: accepting cfjlctl (accept4). */
	SCMP_SYS(accept), SCMP_SYS(accept4),
	/*
	 * clientca.c: CRLs read again on reload, from the directories
	 * opened at start (openat on those descriptors; paths are out of
	 * reach in the chroot).
	 */
	SCMP_SYS(openat), SCMP_SYS(getdents64), SCMP_SYS(lseek),
	/* common/proc.c: back to the runtime directory once chrooted. */
	SCMP_SYS(fchdir),
	/* peer.c and control.c: comparing credentials with our own. */
	SCMP_SYS(getuid), SCMP_SYS(geteuid), SCMP_SYS(getgid),
	SCMP_SYS(getegid),
	-1
};

static const struct proc frontd_proc = {
	.name = "frontd",
	.user = PROC_CONF(frontd.user),
	.chroot = PROC_CONF(frontd.chroot),
	/* The chroot (/var/empty) holds no runtime directory. */
	.flags = PROC_RUNDIR_CWD,
	/* A worker: one descriptor a client, and some for links, logs. */
	.max_files = 64,
	.max_files_plus = PROC_CONF(frontd.max_conns),
	.max_memory = 0,
	.syscalls = frontd_syscalls,
	.open = frontd_open,
	.start = frontd_start,
	.stop = frontd_ctl_stop,
	/* The CRLs: checked here, then relayed to every worker. */
	.reload = frontd_ctl_reload,
	/* The workers: forked confined, watched, replaced. */
	.child = &workers_child,
};

int
main(int argc, char *argv[])
{
	/*
	 * No fastbins: with them, every allocation past 1 KiB (a message
	 * to stored, an answer) first sweeps the small chunks freed since,
	 * a tenth of the deposit path's own work; the thread cache still
	 * serves the small ones.
	 */
	(void)mallopt(M_MXFAST, 0);
	proc_run(argc, argv, &frontd_proc);
}

/* Everything read from files, and the sockets, before the sandbox. */
static void
frontd_open(struct cfjl_conf *conf)
{
	env->conf = conf;
	env->started = time(NULL);
	env->stored_uid = peer_user_uid(conf->stored.user);
	env->policy.operator_id = conf->operator_id;
	env->policy.vault_id = conf->vault_id;
	env->policy.max_depth = conf->frontd.max_xml_depth;
	env->limits.max_headers = conf->frontd.max_headers;
	env->limits.max_header_size = conf->frontd.max_header_size;
	env->limits.max_body = conf->frontd.max_body;
	env->stomp_limits.max_head = conf->frontd.max_header_size;
	env->stomp_limits.max_body = conf->frontd.max_body;
	if (conf->frontd.max_batch == 0 || conf->frontd.max_conns == 0 ||
	    conf->frontd.max_conns_per_client == 0 ||
	    conf->frontd.max_xml_depth == 0)
		fatalx("frontd limits must not be zero");

	trace_init();
	if (conf->schemas[0] == '\0')
		fatalx("no schemas directory configured");
	if ((env->policy.schemas = schemaset_load(conf->schemas)) == NULL)
		fatalx("cannot load the schema set from %s", conf->schemas);
	env->tls = tlsserver_setup(conf);
	events_init();
	roles_init(conf);
	/* Bound here, watched by the workers only. */
	listen_open(&conf->frontd);
	ctlauth_init(conf);
	control_init(conf->runtime_dir, "frontd", &conf->control,
	    frontd_ctl_request);
}

static void
frontd_start(struct cfjl_conf *conf)
{
	env->sockdir = proc_rundir();
	env->nworkers = proc_child_count();
	audit_record("start", "frontd", "ok", "frontd %s started, operator "
	    "%u vault %u, %u workers", CFJL_VERSION, conf->operator_id,
	    conf->vault_id, env->nworkers);
	log_info("frontd %s ready: operator %u, vault %u, %zu event types, "
	    "%u workers", CFJL_VERSION, conf->operator_id, conf->vault_id,
	    schemaset_ntypes(env->policy.schemas), env->nworkers);
}
