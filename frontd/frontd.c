/*
 * frontd: start-up only.  Its description for common/proc.c: what it
 * loads and binds while privileged (TLS keys, client CAs, CRLs, the schema
 * set, the listeners, the control socket), its confinement, and what
 * it starts once confined (the link to stored).
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
#include "frontd.h"
#include "log.h"
#include "proc.h"

static void	frontd_open(struct cfjl_conf *);
static void	frontd_start(struct cfjl_conf *);

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
	/* One descriptor a client, and some for links and logs. */
	.max_files = 64,
	.max_files_plus = PROC_CONF(frontd.max_conns),
	.max_memory = 0,
	.syscalls = frontd_syscalls,
	.open = frontd_open,
	.start = frontd_start,
	.stop = frontd_ctl_stop,
	.reload = frontd_ctl_reload,
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
	if (conf->frontd.max_batch == 0 || conf->frontd.max_conns == 0 ||
	    conf->frontd.max_conns_per_client == 0 ||
	    conf->frontd.max_xml_depth == 0)
		fatalx("frontd limits must not be zero");

	trace_init();
	if (conf->schemas[0] == '\0')
		fatalx("no schemas directory configured");
	if ((env->policy.schemas = schemaset_load(conf->schemas)) == NULL)
		fatalx("cannot load the schema set from %s", conf->schemas);
	env->tls = tls_server_setup(conf);
	events_init();
	roles_init(conf);
	conn_listen();
	control_init(conf->runtime_dir, "frontd", &conf->control,
	    frontd_ctl_request);
}

static void
frontd_start(struct cfjl_conf *conf)
{
	env->sockdir = proc_rundir();
	links_init();
	clientca_start();
	audit_record("start", "frontd", "ok", "frontd %s started, operator "
	    "%u vault %u", CFJL_VERSION, conf->operator_id, conf->vault_id);
	log_info("frontd %s ready: operator %u, vault %u, %zu event types",
	    CFJL_VERSION, conf->operator_id, conf->vault_id,
	    schemaset_ntypes(env->policy.schemas));
}
