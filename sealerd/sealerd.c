/*
 * sealerd: start-up only.  Its description for common/proc.c: what it
 * loads while privileged (certificates, the PIN, the PKCS#11 module,
 * the token; sealer.sock and sealerd.ctl), its confinement, and what it
 * starts once confined (watching the HSM and the clock).  The work
 * lives in sealersock.c (requests), seal.c (lots and journal files),
 * hsm.c, tsa.c, xades.c and lot.c.
 *
 * The PKCS#11 module missing at start.  Loading a module maps code,
 * which the steady-state filter forbids, and sealerd never runs
 * unconfined.  It could exit with a temporary failure for the
 * supervisor to restart it, but then nothing would answer stored in
 * the meantime, and without a supervisor (development, tests) it would
 * not come back by itself.  So it starts confined all the same: same
 * user, no_new_privs, a filter that also allows mapping code, no
 * chroot; it answers every request with "HSM unavailable: cannot load
 * PKCS#11 module ...", tries again every few seconds (watch.c), and
 * once the module is mapped stacks the steady-state filter on top
 * (proc_tighten()), for good.  The token itself may come and go while
 * confined: the module is initialised again.
 */
#include <sys/types.h>

#include <seccomp.h>
#include <stddef.h>
#include <string.h>
#include <time.h>

#include <event.h>
#include <libxml/parser.h>
#include <openssl/crypto.h>

#include "audit.h"
#include "config.h"
#include "control.h"
#include "ctlauth.h"
#include "log.h"
#include "peer.h"
#include "proc.h"
#include "sealerd.h"

static void	 sealerd_open(struct cfjl_conf *);
static void	 sealerd_start(struct cfjl_conf *);
static const char *sealerd_chroot(struct cfjl_conf *);
static int	 sealerd_module_awaited(void);

/*
 * What sealerd needs beyond sandbox_base_syscalls once confined.
 */
static const int sealerd_syscalls[] = {
	/*
	 * The PKCS#11 module: SoftHSM2 reads its configuration and token
	 * files at C_Initialize and at every operation (hsm.c reopens the
	 * token after a failure), locks them, and locks its secure memory.
	 */
	SCMP_SYS(openat), SCMP_SYS(getdents64), SCMP_SYS(lseek),
	SCMP_SYS(pread64), SCMP_SYS(flock), SCMP_SYS(statx),
	SCMP_SYS(faccessat), SCMP_SYS(faccessat2), SCMP_SYS(access),
	SCMP_SYS(mlock), SCMP_SYS(munlock), SCMP_SYS(getuid),
	SCMP_SYS(uname), SCMP_SYS(sched_getaffinity),
	SCMP_SYS(readlink), SCMP_SYS(stat), SCMP_SYS(lstat),
	/* serial.c: the time-stamp serial block, written and synced. */
	SCMP_SYS(pwrite64), SCMP_SYS(fsync), SCMP_SYS(fdatasync),
	/* SoftHSM2 rewrites a token's files when it finds them again. */
	SCMP_SYS(ftruncate), SCMP_SYS(write),
	/* clock.c: ntp_adjtime() with no modes, before every time-stamp. */
	SCMP_SYS(clock_adjtime), SCMP_SYS(adjtimex),
	/* sealersock.c (env->sealer.sock), common/control.c (sealerd.ctl). */
	SCMP_SYS(accept4), SCMP_SYS(accept),
	/* common/peer.c: credentials compared with our own uid. */
	SCMP_SYS(geteuid),
	-1
};

/*
 * While the PKCS#11 module is awaited, on top of the above: the dynamic
 * loader maps the module's code (mmap, mprotect with PROT_EXEC; it
 * opens and reads the file with what the module needs anyway), then
 * proc_tighten() loads the steady-state filter (seccomp, and prctl for
 * no_new_privs, which libseccomp sets again).
 */
static const int sealerd_syscalls_waiting[] = {
	SCMP_SYS(mmap), SCMP_SYS(mprotect), SCMP_SYS(seccomp),
	SCMP_SYS(prctl),
	-1
};

static const struct proc sealerd_proc = {
	.name = "sealerd",
	.user = PROC_CONF(sealerd.user),
	.chroot_pick = sealerd_chroot,
	.chroot_why = "the PKCS#11 module reads its configuration and token "
	    "files at every operation (configure a chroot that holds them "
	    "at the same paths to have one, once the module is there)",
	.max_files = 256,
	.max_memory = 2048UL * 1024 * 1024,
	.syscalls = sealerd_syscalls,
	.waiting = sealerd_module_awaited,
	.syscalls_waiting = sealerd_syscalls_waiting,
	.waiting_why = "the PKCS#11 module cannot be loaded yet; tried again "
	    "every few seconds, mapping code allowed until then",
	.open = sealerd_open,
	.start = sealerd_start,
	.stop = sealerd_ctl_stop,
	.reload = sealerd_ctl_reload,
};

int
main(int argc, char *argv[])
{
	proc_run(argc, argv, &sealerd_proc);
}

static void
sealerd_open(struct cfjl_conf *conf)
{
	struct peer_allow	 allow[2];

	env->conf = conf;
	env->sealer.started = time(NULL);
	xmlInitParser();
	/* OpenSSL reads its configuration now, not inside the sandbox. */
	OPENSSL_init_crypto(OPENSSL_INIT_LOAD_CONFIG |
	    OPENSSL_INIT_ADD_ALL_DIGESTS | OPENSSL_INIT_ADD_ALL_CIPHERS, NULL);

	/* What no retry can mend is fatal now, with the reason. */
	if (hsm_init(&env->sealer.hsm, &conf->sealerd) == -1)
		fatalx("%s", env->sealer.hsm.err);
	if (tsa_init(&env->sealer.tsa, &conf->sealerd, env->sealer.last_error,
	    sizeof(env->sealer.last_error)) == -1)
		fatalx("%s", env->sealer.last_error);
	env->sealer.last_error[0] = '\0';
	if (seal_hsm_ready(&env->sealer) == -1)
		log_warnx("sealing is not possible until the HSM is "
		    "available: %s; trying again every %d seconds",
		    env->sealer.hsm.err, SEALER_RETRY_HSM);
	env->module_awaited = env->sealer.hsm.dl == NULL;

	allow[0] = (struct peer_allow){ "stored",
	    peer_user_uid(conf->stored.user) };
	allow[1] = (struct peer_allow){ "auditd",
	    peer_user_uid(conf->auditd.user) };
	sealersock_init(conf->runtime_dir, allow, 2);
	ctlauth_init(conf);
	control_init(conf->runtime_dir, "sealerd", &conf->control,
	    sealerd_ctl_request);
}

static void
sealerd_start(struct cfjl_conf *conf)
{
	audit_record("start", "sealerd", "ok", "sealerd %s started, token "
	    "\"%s\" %s, clock %s%s", CFJL_VERSION, env->sealer.hsm.token,
	    env->sealer.hsm.up ? "open" : "unavailable",
	    clock_check(&env->sealer.tsa.clock) == 0 ? "usable" : "refused",
	    env->sealer.tsa.clock.relaxed ? " (relaxed)" : "");
	watch_start();
}

static int
sealerd_module_awaited(void)
{
	return env->module_awaited;
}

/*
 * The configured chroot, once the module is mapped: a module such as
 * SoftHSM2 reads its token directory at every operation, so that
 * directory must be inside the chroot at the same path; and the module
 * to be loaded later must be reachable where it is configured.
 */
static const char *
sealerd_chroot(struct cfjl_conf *conf)
{
	const char	*root = conf->sealerd.chroot;

	if (root[0] == '\0')
		return NULL;
	if (strncmp(conf->runtime_dir, root, strlen(root)) != 0)
		fatalx("chroot %s: the runtime directory %s must be inside "
		    "it (the same path inside and out)", root,
		    conf->runtime_dir);
	if (env->module_awaited) {
		log_warnx("no chroot %s until the PKCS#11 module %s is there",
		    root, env->sealer.hsm.module);
		return NULL;
	}
	return root;
}
