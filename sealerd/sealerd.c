/*
 * sealerd: start-up only.  Read the configuration, load the certificates,
 * the PIN and the PKCS#11 module, open the token, listen on sealer.sock
 * and sealerd.ctl, confine, run the event loop.  The work lives in
 * server.c (requests), seal.c (lots and journal files), hsm.c, tsa.c,
 * xades.c and lot.c.
 *
 * The confinement waits for the PKCS#11 module: loading a module maps
 * executable code, which the filter forbids.  When the module cannot
 * be loaded at start, sealerd answers every request with a refusal,
 * unconfined, and tries again every few seconds; once the module is
 * mapped it confines itself (without chroot then).  The token itself
 * may come and go while confined: the module is initialised again.
 */
#include <sys/types.h>

#include <limits.h>
#include <seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event.h>
#include <libxml/parser.h>
#include <openssl/crypto.h>

#include "audit.h"
#include "config.h"
#include "control.h"
#include "daemon.h"
#include "log.h"
#include "peer.h"
#include "proto.h"
#include "sandbox.h"
#include "sealerd.h"

struct sealer		 sealer;
static struct cfjl_conf	*conf;
static struct event	 retry_ev;
static int		 confined;
static int		 was_up = -1, was_refusing;
static uid_t		 auditd_uid;

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
	SCMP_SYS(sysinfo), SCMP_SYS(uname), SCMP_SYS(sched_getaffinity),
	SCMP_SYS(readlink), SCMP_SYS(stat), SCMP_SYS(lstat),
	/* serial.c: the time-stamp serial block, written and synced. */
	SCMP_SYS(pwrite64), SCMP_SYS(fsync), SCMP_SYS(fdatasync),
	/* SoftHSM2 rewrites a token's files when it finds them again. */
	SCMP_SYS(ftruncate), SCMP_SYS(write),
	/* clock.c: ntp_adjtime() with no modes, before every time-stamp. */
	SCMP_SYS(clock_adjtime), SCMP_SYS(adjtimex),
	/* server.c (sealer.sock), common/control.c (sealerd.ctl). */
	SCMP_SYS(accept4), SCMP_SYS(accept),
	/* common/peer.c: credentials compared with our own uid. */
	SCMP_SYS(geteuid),
	-1
};

static void	sealerd_stop(void *);
static void	sealerd_stop_cb(int, short, void *);
static void	sealerd_reload(void *);
static void	sealerd_ctl(const struct ctl_request *, struct ctl_conn *);
static void	sealerd_retry(int, short, void *);
static void	sealerd_confine(void);
static void	sealerd_retry_arm(void);

int
main(int argc, char *argv[])
{
	struct daemon_opts	 o;
	struct peer_allow	 allow[2];

	daemon_args(argc, argv, "sealerd", &o);
	conf = daemon_config(&o, "sealerd");
	event_init();
	sealer.started = time(NULL);
	xmlInitParser();
	/* OpenSSL reads its configuration now, not inside the sandbox. */
	OPENSSL_init_crypto(OPENSSL_INIT_LOAD_CONFIG |
	    OPENSSL_INIT_ADD_ALL_DIGESTS | OPENSSL_INIT_ADD_ALL_CIPHERS, NULL);

	/* What no retry can mend is fatal now, with the reason. */
	if (hsm_init(&sealer.hsm, &conf->sealerd) == -1)
		fatalx("%s", sealer.hsm.err);
	if (tsa_init(&sealer.tsa, &conf->sealerd, sealer.last_error,
	    sizeof(sealer.last_error)) == -1)
		fatalx("%s", sealer.last_error);
	sealer.last_error[0] = '\0';
	if (seal_hsm_ready(&sealer) == -1)
		log_warnx("sealing is not possible until the HSM is "
		    "available: %s; trying again every %d seconds",
		    sealer.hsm.err, SEALER_RETRY_HSM);

	allow[0] = (struct peer_allow){ "stored",
	    peer_user_uid(conf->stored.user) };
	allow[1] = (struct peer_allow){ "auditd",
	    peer_user_uid(conf->auditd.user) };
	auditd_uid = allow[1].uid;
	server_init(conf->runtime_dir, allow, 2);
	control_init(conf->runtime_dir, "sealerd", &conf->control,
	    sealerd_ctl);

	daemon_detach(&o);
	daemon_signals(NULL, sealerd_stop, sealerd_reload, NULL);
	evtimer_set(&retry_ev, sealerd_retry, NULL);
	if (sealer.hsm.dl != NULL)
		sealerd_confine();
	else
		log_warnx("not confined until the PKCS#11 module %s can be "
		    "loaded", sealer.hsm.module);
	audit_init(conf->runtime_dir, "sealerd", auditd_uid);
	audit_record("start", "sealerd", "ok", "sealerd %s started, token "
	    "\"%s\" %s, clock %s%s", CFJL_VERSION, sealer.hsm.token,
	    sealer.hsm.up ? "open" : "unavailable",
	    clock_check(&sealer.tsa.clock) == 0 ? "usable" : "refused",
	    sealer.tsa.clock.relaxed ? " (relaxed)" : "");
	sealerd_trouble_check();
	sealerd_retry_arm();

	event_dispatch();
	fatalx("event loop returned");
}

/*
 * Confine: chroot only when configured and the module is loaded now; a
 * module such as SoftHSM2 reads its token directory at every operation,
 * so that directory must then be inside the chroot at the same path.
 */
static void
sealerd_confine(void)
{
	struct sandbox_policy	 sp;

	memset(&sp, 0, sizeof(sp));
	sp.name = "sealerd";
	sp.user = conf->sealerd.user;
	if (conf->sealerd.chroot[0] != '\0') {
		if (strncmp(conf->runtime_dir, conf->sealerd.chroot,
		    strlen(conf->sealerd.chroot)) != 0)
			fatalx("chroot %s: the runtime directory %s must be "
			    "inside it (the same path inside and out)",
			    conf->sealerd.chroot, conf->runtime_dir);
		if (confined == 0 && sealer.hsm.dl != NULL)
			sp.chroot = conf->sealerd.chroot;
	}
	sp.max_files = 256;
	sp.max_memory = 2048UL * 1024 * 1024;
	sp.syscalls = sealerd_syscalls;
	sandbox_enter(&sp);
	confined = 1;
}

static void
sealerd_retry_arm(void)
{
	struct timeval	 tv = { SEALER_RETRY_HSM, 0 };

	if (!sealer.hsm.up && !evtimer_pending(&retry_ev, NULL))
		evtimer_add(&retry_ev, &tv);
}

/* While the HSM is away, look for it without waiting for a request. */
static void
sealerd_retry(int fd, short ev, void *arg)
{
	seal_hsm_ready(&sealer);
	if (!confined && sealer.hsm.dl != NULL) {
		log_info("PKCS#11 module %s loaded: confining now",
		    sealer.hsm.module);
		sealerd_confine();
	}
	sealerd_trouble_check();
	sealerd_retry_arm();
}

void
sealerd_trouble(const char *why)
{
	strlcpy(sealer.last_error, why, sizeof(sealer.last_error));
}

/* The journal hears of each change of state, not of each request. */
void
sealerd_trouble_check(void)
{
	int	 up = sealer.hsm.up;

	if (up != was_up) {
		if (up)
			audit_record("hsm", sealer.hsm.token, "ok", "HSM token "
			    "\"%s\" available: keys \"%s\" and \"%s\"",
			    sealer.hsm.token, sealer.hsm.seal_label,
			    sealer.hsm.tsa_label);
		else
			audit_record("hsm", sealer.hsm.token, "error", "HSM "
			    "unavailable: %s", sealer.hsm.err);
		was_up = up;
	}
	if (sealer.clock_refusing != was_refusing) {
		if (sealer.clock_refusing) {
			log_warnx("time-stamping stopped: %s",
			    sealer.tsa.clock.why);
			audit_record("clock", "sealerd", "refused", "time-"
			    "stamping stopped: %s", sealer.tsa.clock.why);
		} else {
			log_info("time-stamping resumed: the clock is "
			    "trustworthy again");
			audit_record("clock", "sealerd", "ok", "time-stamping "
			    "resumed");
		}
		was_refusing = sealer.clock_refusing;
	}
	if (sealer.tsa.clock.relaxed && sealer.tsa.clock.warned == 1) {
		audit_record("clock", "sealerd", "warning", "%s; time-stamping "
		    "anyway (clock relaxed)", sealer.tsa.clock.why);
		sealer.tsa.clock.warned = 2;	/* journaled once */
	}
	sealerd_retry_arm();
}

static void
sealerd_ctl(const struct ctl_request *req, struct ctl_conn *c)
{
	struct timeval	 tv = { 0, 100000 };
	char		*j;

	if (strcmp(req->command, CTL_STATUS) == 0) {
		if ((j = sealer_status_json(&sealer)) == NULL)
			fatal("status");
		if (req->json)
			control_replyf(c, 1, "{\"daemon\":\"sealerd\","
			    "\"version\":\"%s\",%s", CFJL_VERSION, j + 1);
		else
			control_replyf(c, 1, "sealerd %s: token \"%s\" %s%s%s; "
			    "clock %s%s; %lu lots and %lu journal files "
			    "sealed, %lu refusals\n", CFJL_VERSION,
			    sealer.hsm.token, sealer.hsm.up ? "open" :
			    "UNAVAILABLE", sealer.hsm.up ? "" : ": ",
			    sealer.hsm.up ? "" : sealer.hsm.err,
			    clock_name(&sealer.tsa.clock),
			    sealer.tsa.clock.relaxed ? " (relaxed: "
			    "time-stamps made whatever the clock says)" : "",
			    sealer.seals, sealer.journal_seals,
			    sealer.refusals);
		free(j);
	} else if (strcmp(req->command, CTL_STOP) == 0) {
		control_reply(c, 1, "sealerd stopping\n");
		/* Let the reply go out first. */
		event_once(-1, EV_TIMEOUT, sealerd_stop_cb, NULL, &tv);
	} else if (strcmp(req->command, CTL_RELOAD) == 0) {
		control_reply(c, 0, "sealerd cannot reload: its keys, token "
		    "and clock settings change only with a restart");
	} else
		control_replyf(c, 0, "sealerd does not do %s", req->command);
}

static void
sealerd_stop(void *arg)
{
	audit_record("stop", "sealerd", "ok", "sealerd stopping: %lu lots "
	    "sealed", sealer.seals);
	control_close();
	server_close();
	tsa_close(&sealer.tsa);
	hsm_free(&sealer.hsm);
	log_info("stopped");
	exit(0);
}

static void
sealerd_stop_cb(int fd, short ev, void *arg)
{
	sealerd_stop(arg);
}

static void
sealerd_reload(void *arg)
{
	log_warnx("reload: sealerd's settings change only with a restart");
}
