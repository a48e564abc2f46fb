/*
 * auditd: the journal daemon.  Start-up only: its description for
 * common/proc.c: what it opens while privileged (the journal where it
 * stands, audit.sock and auditd.ctl), its confinement, and what it
 * starts once confined (the link to sealerd, the journal's timers).
 * The work lives in journal.c, meta.c, filesign.c, auditsock.c, verify.c and
 * auditd_ctl.c.
 */
#include <sys/types.h>
#include <sys/stat.h>

#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <seccomp.h>
#include <stddef.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event.h>
#include <openssl/crypto.h>

#include "audit.h"
#include "auditd.h"
#include "config.h"
#include "control.h"
#include "ctlauth.h"
#include "log.h"
#include "peer.h"
#include "proc.h"

static void	auditd_open(struct cfjl_conf *);
static void	auditd_start(struct cfjl_conf *);
static void	auditd_sink(const struct audit_record *);
static void	auditd_local_ack(void *, uint64_t, uint64_t);
static const char *auditd_chroot(struct cfjl_conf *);
static gid_t	auditd_group(const char *);

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
	/* auditsock.c (audit.sock), common/control.c (auditd.ctl). */
	SCMP_SYS(accept4),
	/*
	 * auditsock.c: listen() again on audit.sock once the user is switched,
	 * so that clients see auditd's uid, not root's (no bind: no new
	 * socket can be made).
	 */
	SCMP_SYS(listen),
	/* common/peer.c: credentials compared with our own uid. */
	SCMP_SYS(geteuid),
	-1
};

static const struct proc auditd_proc = {
	.name = "auditd",
	.user = PROC_CONF(auditd.user),
	.chroot_pick = auditd_chroot,
	.chroot_why = "the journal and the runtime directory (where it "
	    "redials sealerd) have no common root of their own; the filter "
	    "and the descriptor-only file access still hold",
	.max_files = 256,
	.max_memory = 1024UL * 1024 * 1024,
	.syscalls = auditd_syscalls,
	.audit_local = auditd_sink,
	.open = auditd_open,
	.start = auditd_start,
	.stop = auditd_ctl_stop,
	.reload = auditd_ctl_reload,
};

int
main(int argc, char *argv[])
{
	proc_run(argc, argv, &auditd_proc);
}

static void
auditd_open(struct cfjl_conf *conf)
{
	struct auditd_ctl_journal_conf	 jc;
	struct passwd			*pw;
	struct peer_allow		 allow[6];
	uid_t				 owner = (uid_t)-1;
	gid_t				 group = (gid_t)-1;

	env->conf = conf;
	env->started = time(NULL);
	env->uid = geteuid();
	if (conf->auditd.journal_dir[0] == '\0')
		fatalx("%s: no journal directory (auditd { journal \"...\" })",
		    conf->file);

	/* Looked up now: /etc/passwd is out of reach once confined. */
	if (geteuid() == 0) {
		if ((pw = getpwnam(conf->auditd.user)) == NULL)
			fatalx("unknown user %s", conf->auditd.user);
		owner = pw->pw_uid;
		env->uid = owner;
		group = auditd_group(conf->auditd.auditors_group);
	}
	allow[0] = (struct peer_allow){ "frontd",
	    peer_user_uid(conf->frontd.user) };
	allow[1] = (struct peer_allow){ "stored",
	    peer_user_uid(conf->stored.user) };
	allow[2] = (struct peer_allow){ "sealerd",
	    peer_user_uid(conf->sealerd.user) };
	env->sealer_uid = allow[2].uid;
	/* A daemon's first connection may come before it drops root. */
	allow[3] = (struct peer_allow){ "frontd", 0 };
	allow[4] = (struct peer_allow){ "stored", 0 };
	allow[5] = (struct peer_allow){ "sealerd", 0 };

	umask(027);
	auditd_ctl_journal_conf(conf, &jc);
	filesign_init();
	meta_set_owner(owner);
	journal_open(conf->auditd.journal_dir, owner, group, &jc);
	auditsock_init(conf->runtime_dir, allow, 6);
	ctlauth_init(conf);
	control_init(conf->runtime_dir, "auditd", &conf->control, auditd_ctl_request);
	/* OpenSSL reads its configuration now, not inside the sandbox. */
	OPENSSL_init_crypto(OPENSSL_INIT_LOAD_CONFIG |
	    OPENSSL_INIT_ADD_ALL_DIGESTS | OPENSSL_INIT_ADD_ALL_CIPHERS, NULL);
}

static void
auditd_start(struct cfjl_conf *conf)
{
	/* Clients see auditd's uid on audit.sock, not root's. */
	auditsock_relisten();
	filesign_connect(env->rundir, env->sealer_uid);
	journal_start();
	audit_record("start", "auditd", "ok", "auditd %s started, journal %s, "
	    "next sequence %llu", CFJL_VERSION, conf->auditd.journal_dir,
	    (unsigned long long)journal_next_seq());
	log_info("journal %s ready, writing %08u.log", conf->auditd.journal_dir,
	    journal_current());
}

/* auditd's own records (start, admin commands) go straight in. */
static void
auditd_sink(const struct audit_record *r)
{
	journal_append(r, env->uid, auditd_local_ack, NULL);
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

/*
 * Where to chroot.  auditd must reach sealer.sock again whenever sealerd
 * restarts, so the root must hold the runtime directory as well as the
 * journal: the configured chroot, else the journal directory's parent
 * when it holds both, else none (the seccomp filter and the descriptor-
 * only file access still hold).  env->rundir gets the runtime directory
 * as seen from inside.
 */
static const char *
auditd_chroot(struct cfjl_conf *conf)
{
	static char	 root[PATH_MAX];
	char		 jr[PATH_MAX], rr[PATH_MAX], *slash;
	const char	*journal = conf->auditd.journal_dir;
	char		*rundir = env->rundir;
	size_t		 n, len = sizeof(env->rundir);

	strlcpy(rundir, conf->runtime_dir, len);
	if (geteuid() != 0)
		return NULL;	/* no chroot for an ordinary user */
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
		log_info("the runtime directory %s is not inside %s", rr,
		    root);
		return NULL;
	}
	if (strncmp(jr, root, n) != 0 || (jr[n] != '/' && jr[n] != '\0'))
		fatalx("the journal %s is not inside the chroot %s", jr, root);
	snprintf(rundir, len, "/%s", rr[n] == '/' ? rr + n + 1 : "");
	return root;
}
