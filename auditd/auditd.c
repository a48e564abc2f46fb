/*
 * auditd: the journal daemon.  Start-up only: read the configuration,
 * take the journal where it stands, open the sockets, confine, and run
 * the event loop.  The work lives in journal.c, meta.c, seal.c,
 * server.c, verify.c and ctl.c.
 */
#include <sys/types.h>
#include <sys/stat.h>

#include <errno.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event.h>
#include <openssl/crypto.h>

#include "audit.h"
#include "auditd.h"
#include "config.h"
#include "control.h"
#include "daemon.h"
#include "log.h"
#include "peer.h"
#include "sandbox.h"

time_t			 auditd_started;
static struct cfjl_conf	*conf;
static uid_t		 auditd_uid;

/*
 * What auditd needs beyond sandbox_base_syscalls once confined.  Every
 * file it touches is reached through the journal directory's descriptor,
 * opened before the sandbox.
 */
static const int auditd_syscalls[] = {
	/* journal.c, meta.c, verify.c: files of the journal directory. */
	SCMP_SYS(openat), SCMP_SYS(getdents64), SCMP_SYS(lseek),
	/* journal.c: group commit; meta.c: metadata made durable. */
	SCMP_SYS(fdatasync), SCMP_SYS(fsync),
	/* meta.c: a metadata file replaced through a temporary one. */
	SCMP_SYS(renameat), SCMP_SYS(renameat2), SCMP_SYS(unlinkat),
	/* verify.c, journal.c: is a metadata file there. */
	SCMP_SYS(faccessat), SCMP_SYS(faccessat2),
	/* server.c (audit.sock), common/control.c (auditd.ctl). */
	SCMP_SYS(accept4),
	/*
	 * server.c: listen() again on audit.sock once the user is switched,
	 * so that clients see auditd's uid, not root's (no bind: no new
	 * socket can be made).
	 */
	SCMP_SYS(listen),
	/* common/peer.c: credentials compared with our own uid. */
	SCMP_SYS(geteuid),
	-1
};

static void	auditd_sink(const struct audit_record *);
static void	auditd_local_ack(void *, uint64_t, uint64_t);
static const char *auditd_chroot(const char *, char *, size_t);
static gid_t	auditd_group(const char *);
static void	auditd_journal_conf(const struct cfjl_conf *,
		    struct auditd_journal_conf *);

/* auditd's own records (start, admin commands) go straight in. */
static void
auditd_sink(const struct audit_record *r)
{
	journal_append(r, auditd_uid, auditd_local_ack, NULL);
}

static void
auditd_local_ack(void *ctx, uint64_t id, uint64_t seq)
{
	audit_local_ack(id, seq);
}

static gid_t
auditd_group(const char *name)
{
	struct group	*gr;

	if (name[0] == '\0')
		return (gid_t)-1;
	if ((gr = getgrnam(name)) == NULL)
		fatalx("auditors group %s does not exist", name);
	return gr->gr_gid;
}

static void
auditd_journal_conf(const struct cfjl_conf *c, struct auditd_journal_conf *jc)
{
	memset(jc, 0, sizeof(*jc));
	jc->rotate_interval = c->auditd.rotate_interval;
	jc->rotate_size = c->auditd.rotate_size;
	jc->operator_id = c->operator_id;
	jc->vault_id = c->vault_id;
}

/*
 * Where to chroot.  auditd must reach sealer.sock again whenever sealerd
 * restarts, so the root must hold the runtime directory as well as the
 * journal: the configured chroot, else the journal directory's parent
 * when it holds both, else none (the seccomp filter and the descriptor-
 * only file access still hold).  *rundir gets the runtime directory as
 * seen from inside.
 */
static const char *
auditd_chroot(const char *journal, char *rundir, size_t len)
{
	static char	 root[PATH_MAX];
	char		 jr[PATH_MAX], rr[PATH_MAX], *slash;
	size_t		 n;

	strlcpy(rundir, conf->runtime_dir, len);
	if (geteuid() != 0)
		return NULL;	/* sandbox_enter() does not chroot then */
	if (realpath(journal, jr) == NULL)
		fatal("%s", journal);
	if (realpath(conf->runtime_dir, rr) == NULL)
		fatal("%s", conf->runtime_dir);
	if (conf->auditd.chroot[0] != '\0') {
		if (realpath(conf->auditd.chroot, root) == NULL)
			fatal("chroot %s", conf->auditd.chroot);
	} else {
		strlcpy(root, jr, sizeof(root));
		if ((slash = strrchr(root, '/')) == NULL || slash == root)
			return NULL;
		*slash = '\0';
	}
	n = strlen(root);
	if (strncmp(rr, root, n) != 0 || (rr[n] != '/' && rr[n] != '\0')) {
		if (conf->auditd.chroot[0] != '\0')
			fatalx("the runtime directory %s is not inside the "
			    "chroot %s: auditd could not reach sealerd", rr,
			    root);
		log_info("no chroot: the runtime directory %s is not inside "
		    "%s", rr, root);
		return NULL;
	}
	if (strncmp(jr, root, n) != 0 || (jr[n] != '/' && jr[n] != '\0'))
		fatalx("the journal %s is not inside the chroot %s", jr, root);
	snprintf(rundir, len, "/%s", rr[n] == '/' ? rr + n + 1 : "");
	return root;
}

int
main(int argc, char *argv[])
{
	struct daemon_opts		 o;
	struct auditd_journal_conf	 jc;
	struct sandbox_policy		 sp;
	struct passwd			*pw;
	char				 rundir[PATH_MAX];
	struct peer_allow		 allow[6];
	uid_t				 owner = (uid_t)-1, sealer;
	gid_t				 group = (gid_t)-1;

	daemon_args(argc, argv, "auditd", &o);
	conf = daemon_config(&o, "auditd");
	if (conf->auditd.journal_dir[0] == '\0')
		fatalx("%s: no journal directory (auditd { journal \"...\" })",
		    conf->file);
	event_init();
	auditd_started = time(NULL);
	auditd_uid = geteuid();

	/* Looked up now: /etc/passwd is out of reach once confined. */
	if (geteuid() == 0) {
		if ((pw = getpwnam(conf->auditd.user)) == NULL)
			fatalx("unknown user %s", conf->auditd.user);
		owner = pw->pw_uid;
		auditd_uid = owner;
		group = auditd_group(conf->auditd.auditors_group);
	}
	allow[0] = (struct peer_allow){ "frontd",
	    peer_user_uid(conf->frontd.user) };
	allow[1] = (struct peer_allow){ "stored",
	    peer_user_uid(conf->stored.user) };
	allow[2] = (struct peer_allow){ "sealerd",
	    peer_user_uid(conf->sealerd.user) };
	/* A daemon's first connection may come before it drops root. */
	allow[3] = (struct peer_allow){ "frontd", 0 };
	allow[4] = (struct peer_allow){ "stored", 0 };
	allow[5] = (struct peer_allow){ "sealerd", 0 };
	sealer = peer_user_uid(conf->sealerd.user);

	umask(027);
	auditd_journal_conf(conf, &jc);
	seal_init();
	meta_set_owner(owner);
	journal_open(conf->auditd.journal_dir, owner, group, &jc);
	audit_init_local("auditd", auditd_sink);
	server_init(conf->runtime_dir, allow, 6);
	control_init(conf->runtime_dir, "auditd", &conf->control, auditd_ctl);

	daemon_detach(&o);
	daemon_signals(NULL, auditd_stop, auditd_reload, NULL);
	/* OpenSSL reads its configuration now, not inside the sandbox. */
	OPENSSL_init_crypto(OPENSSL_INIT_LOAD_CONFIG |
	    OPENSSL_INIT_ADD_ALL_DIGESTS | OPENSSL_INIT_ADD_ALL_CIPHERS, NULL);

	memset(&sp, 0, sizeof(sp));
	sp.name = "auditd";
	sp.user = conf->auditd.user;
	sp.chroot = auditd_chroot(conf->auditd.journal_dir, rundir,
	    sizeof(rundir));
	sp.max_files = 256;
	sp.max_memory = 1024UL * 1024 * 1024;
	sp.syscalls = auditd_syscalls;
	sandbox_enter(&sp);
	server_relisten();

	seal_connect(rundir, sealer);
	journal_start();
	audit_record("start", "auditd", "ok", "auditd %s started, journal %s, "
	    "next sequence %llu", CFJL_VERSION, conf->auditd.journal_dir,
	    (unsigned long long)journal_next_seq());
	log_info("journal %s ready, writing %08u.log", conf->auditd.journal_dir,
	    journal_current());

	event_dispatch();
	fatalx("event loop returned");
}

/* The stop is journaled and synced before the process goes. */
void
auditd_stop(void *arg)
{
	audit_record("stop", "auditd", "ok", "auditd stopping");
	journal_commit();
	control_close();
	server_close();
	log_info("stopped");
	exit(0);
}

/*
 * Reload: only the rotation bounds can change while running; the rest
 * (directory, users, groups) needs a restart.  arg is the control
 * connection that asked, or NULL for SIGHUP.
 */
void
auditd_reload(void *arg)
{
	struct ctl_conn			*c = arg;
	struct cfjl_conf		*nconf;
	struct auditd_journal_conf	 jc;

	if ((nconf = config_parse(conf->file)) == NULL) {
		log_warnx("reload: %s not read: configuration unchanged",
		    conf->file);
		audit_record("reload", "auditd", "error", "%s could not be "
		    "read; configuration unchanged", conf->file);
		if (c != NULL)
			control_replyf(c, 0, "auditd: %s could not be read "
			    "(see the log); configuration unchanged",
			    conf->file);
		return;
	}
	auditd_journal_conf(nconf, &jc);
	jc.operator_id = conf->operator_id;
	jc.vault_id = conf->vault_id;
	conf->auditd.rotate_interval = jc.rotate_interval;
	conf->auditd.rotate_size = jc.rotate_size;
	journal_set_conf(&jc);
	config_free(nconf);
	audit_record("reload", "auditd", "ok", "rotate every %us, size %zu",
	    jc.rotate_interval, jc.rotate_size);
	log_info("reloaded: rotate every %us, size %zu bytes",
	    jc.rotate_interval, jc.rotate_size);
	if (c != NULL)
		control_replyf(c, 1, "auditd reloaded: rotate every %u "
		    "seconds, size %zu bytes\n", jc.rotate_interval,
		    jc.rotate_size);
}
