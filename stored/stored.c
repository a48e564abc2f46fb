/*
 * stored: start-up only.  Its description for common/proc.c: what it
 * reads and prepares while privileged (the regulator's certificate, the
 * database, as its owner; stored.sock and stored.ctl), its confinement,
 * and what it starts once confined (the database link, sealerd).
 */
#include <sys/types.h>

#include <inttypes.h>
#include <seccomp.h>
#include <stddef.h>
#include <stdlib.h>

#include <event.h>

#include "audit.h"
#include "config.h"
#include "control.h"
#include "ctlauth.h"
#include "log.h"
#include "peer.h"
#include "proc.h"
#include "proto.h"
#include "stored.h"
#include "cidfilter.h"
#include "conninfo.h"
#include "crypt.h"
#include "db.h"
#include "dbsetup.h"
#include "deposit.h"
#include "export.h"
#include "front.h"
#include "lotstate.h"
#include "regcert.h"
#include "role.h"
#include "sealerlink.h"
#include "stored_ctl.h"

static void	 stored_open(struct cfjl_conf *);
static void	 stored_start(struct cfjl_conf *);
static void	 stored_db_up(void);
static void	 stored_lot_ready(void);
static void	 stored_db_down(void);

/*
 * stored's system calls beyond every daemon's base list (common/sandbox.c): what libpq needs
 * to reconnect on its own after the database went away.
 */
static const int stored_syscalls[] = {
	/* frontd's workers connect to stored.sock, cfjlctl to stored.ctl. */
	SCMP_SYS(accept4), SCMP_SYS(accept),
	/* libpq: TCP as well as Unix sockets (socket is AF_UNIX-only in
	 * the base list), TCP_NODELAY and keep-alives, local address. */
	SCMP_SYS(socket), SCMP_SYS(setsockopt), SCMP_SYS(getsockname),
	SCMP_SYS(getpeername),
	/* libpq: the password file and TLS files, read at each connect. */
	SCMP_SYS(openat), SCMP_SYS(open), SCMP_SYS(lseek), SCMP_SYS(stat),
	SCMP_SYS(access), SCMP_SYS(faccessat), SCMP_SYS(uname),
	/* libpq: the effective uid for the default user name. */
	SCMP_SYS(geteuid), SCMP_SYS(getuid),
	-1
};

static const struct proc stored_proc = {
	.name = "stored",
	.user = PROC_CONF(stored.user),
	.chroot = PROC_CONF(stored.chroot),
	.chroot_why = "libpq reaches the database and reads its password "
	    "and TLS files at every reconnect (configure a chroot that "
	    "holds them to have one)",
	.max_files = 256,
	.max_memory = 2048UL * 1024 * 1024,
	.syscalls = stored_syscalls,
	.open = stored_open,
	.start = stored_start,
	.stop = stored_ctl_stop,
	.reload = NULL,
};

int
main(int argc, char *argv[])
{
	proc_run(argc, argv, &stored_proc);
}

static void
stored_open(struct cfjl_conf *conf)
{
	char	*conninfo;

	env->conf = conf;
	env->started_ms = stored_env_now_ms();
	if (conf->stored.regulator_cert[0] == '\0')
		fatalx("%s: stored needs \"regulator certificate\" in its "
		    "stored block", conf->file);
	if (conf->lot.max_events == 0 || conf->lot.max_age_ms == 0)
		fatalx("%s: lot max-events and max-age must not be 0",
		    conf->file);
	/* A lot must fit in one message to sealerd. */
	if (conf->lot.max_events > (CFJL_MSG_MAX - sizeof(struct seal_lot)) /
	    sizeof(struct seal_event))
		fatalx("%s: lot max-events %u is too large (at most %zu)",
		    conf->file, conf->lot.max_events,
		    (CFJL_MSG_MAX - sizeof(struct seal_lot)) /
		    sizeof(struct seal_event));

	regcert_check(conf, conf->stored.regulator_cert);
	crypt_init(conf->stored.regulator_cert, conf->stored.cipher);
	/*
	 * Bundles carry the certificates that sealed their lots, recorded
	 * with each seal; the files serve for seals made before that.
	 */
	if (export_init(conf->sealerd.seal_cert, conf->sealerd.tsa_cert) == -1)
		log_info("no sealing certificate files: exports carry the "
		    "certificates recorded with the seals only");
	dbsetup_dbname(conf, env->dbname, sizeof(env->dbname));
	dbsetup_run(conf, env->dbname);
	conninfo = conninfo_build(conf);

	env->front_uid = peer_user_uid(conf->frontd.user);
	env->sealer_uid = peer_user_uid(conf->sealerd.user);
	ctlauth_init(conf);
	control_init(conf->runtime_dir, "stored", &conf->control,
	    stored_ctl_request);
	deposit_init();
	lotstate_init();
	db_init(conninfo, env->dbname, stored_db_up, stored_db_down);
	db_set_sync_commit(conf->stored.sync_commit);
	free(conninfo);
	front_init(conf->runtime_dir);
}

static void
stored_start(struct cfjl_conf *conf)
{
	sealerlink_init(proc_rundir(), env->sealer_uid);
	db_start();
	log_info("started: operator %" PRIu32 ", vault %" PRIu32 ", database "
	    "%s, cipher %s", conf->operator_id, conf->vault_id, env->dbname,
	    crypt_cipher());
	audit_record("start", "stored", "ok", "stored %s started: operator %"
	    PRIu32 ", vault %" PRIu32 ", database %s", CFJL_VERSION,
	    conf->operator_id, conf->vault_id, env->dbname);
}

/* What the database's coming and going sets off in the modules. */
static void
stored_db_up(void)
{
	lotstate_db_up(stored_lot_ready);
	role_load();
	cidfilter_db_up();
}

static void
stored_lot_ready(void)
{
	deposit_db_up();
}

static void
stored_db_down(void)
{
	lotstate_db_down();
	cidfilter_db_down();
	deposit_db_down();
	audit_record("storage", "database", "error", "the connection to "
	    "database %s was lost; deposits are refused until it is back",
	    env->dbname);
}
