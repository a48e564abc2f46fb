/*
 * stored: start-up.  Read the configuration, the regulator's
 * certificate and make the database ready (as its owner), then listen
 * for frontd, dial sealerd and auditd, confine the process and run.
 *
 * No chroot by default: libpq must reach the PostgreSQL socket
 * directory (or TCP) whenever it reconnects, and reads its password
 * and TLS files then.  A chroot may be configured when the socket
 * directory and those files are inside it.
 */
#include <sys/types.h>
#include <sys/time.h>

#include <inttypes.h>
#include <pwd.h>
#include <seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event.h>

#include "audit.h"
#include "config.h"
#include "control.h"
#include "daemon.h"
#include "log.h"
#include "peer.h"
#include "sandbox.h"
#include "stored.h"
#include "export.h"

#define STORED_STOP_WAIT	5	/* seconds for the last commit */

static struct stored	 env;
struct stored		*stored_env = &env;
static struct event	 stop_timer;

static void	 stored_stop(void *);
static void	 stored_stop_check(int, short, void *);
static void	 stored_db_up(void);
static void	 stored_lot_ready(void);
static void	 stored_db_down(void);
static void	 stored_control(const struct ctl_request *, struct ctl_conn *);
static char	*stored_conninfo(const struct cfjl_conf *);

/*
 * Beyond every daemon's base list (common/sandbox.c): what libpq needs
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

int64_t
stored_now_ms(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Until common/ names message types for the logs. */
const char *
stored_type_name(uint32_t type)
{
	static char	 buf[32];

	snprintf(buf, sizeof(buf), "message type %u", type);
	return buf;
}

int
main(int argc, char *argv[])
{
	struct daemon_opts	 opts;
	struct cfjl_conf	*conf;
	struct sandbox_policy	 sp;
	char			*conninfo;

	daemon_args(argc, argv, "stored", &opts);
	conf = daemon_config(&opts, "stored");
	env.conf = conf;
	env.started_ms = stored_now_ms();

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

	crypt_init(conf->stored.regulator_cert, conf->stored.cipher);
	/* Bundles carry the sealing certificates; read them while we can. */
	if (export_init(conf->sealerd.seal_cert, conf->sealerd.tsa_cert) == -1)
		log_warnx("sealing certificates unreadable: exports refused");
	schema_dbname(conf, env.dbname, sizeof(env.dbname));
	schema_setup(conf, env.dbname);
	conninfo = stored_conninfo(conf);

	daemon_detach(&opts);
	event_init();
	daemon_signals(NULL, stored_stop, NULL, NULL);

	env.front_uid = peer_user_uid(conf->frontd.user);
	audit_init(conf->runtime_dir, "stored",
	    peer_user_uid(conf->auditd.user));
	control_init(conf->runtime_dir, "stored", &conf->control,
	    stored_control);
	deposit_init();
	lot_init();
	db_init(conninfo, env.dbname, stored_db_up, stored_db_down);
	free(conninfo);
	front_init(conf->runtime_dir);
	sealer_init(conf->runtime_dir, peer_user_uid(conf->sealerd.user));

	memset(&sp, 0, sizeof(sp));
	sp.name = "stored";
	sp.user = conf->stored.user;
	sp.chroot = conf->stored.chroot;
	sp.max_files = 256;
	sp.max_memory = 2048UL * 1024 * 1024;
	sp.syscalls = stored_syscalls;
	sandbox_enter(&sp);

	db_start();
	log_info("started: operator %" PRIu32 ", vault %" PRIu32 ", database "
	    "%s, cipher %s", conf->operator_id, conf->vault_id, env.dbname,
	    crypt_cipher());
	audit_record("start", "stored", "ok", "stored %s started: operator %"
	    PRIu32 ", vault %" PRIu32 ", database %s", CFJL_VERSION,
	    conf->operator_id, conf->vault_id, env.dbname);

	event_dispatch();
	fatalx("event loop returned");
}

/*
 * The runtime conninfo, naming its user: libpq would otherwise look the
 * system user up in the password database at every reconnect.
 */
static char *
stored_conninfo(const struct cfjl_conf *conf)
{
	PQconninfoOption	*opts, *o;
	struct passwd		*pw;
	const char		*user = NULL;
	char			*err = NULL, *s, *q;
	size_t			 i, n;

	if ((opts = PQconninfoParse(conf->stored.database, &err)) == NULL)
		fatalx("stored database: %s", err != NULL ? err : "invalid");
	for (o = opts; o->keyword != NULL; o++)
		if (strcmp(o->keyword, "user") == 0 && o->val != NULL &&
		    o->val[0] != '\0')
			user = o->val;
	PQconninfoFree(opts);
	if (user != NULL || strncmp(conf->stored.database, "postgres", 8) ==
	    0) {
		if ((s = strdup(conf->stored.database)) == NULL)
			fatal(NULL);
		return s;
	}
	if (geteuid() == 0)
		user = conf->stored.user;
	else if ((pw = getpwuid(geteuid())) != NULL)
		user = pw->pw_name;
	if (user == NULL || user[0] == '\0') {
		if ((s = strdup(conf->stored.database)) == NULL)
			fatal(NULL);
		return s;
	}
	/* user='...' with quotes and backslashes escaped. */
	n = strlen(conf->stored.database) + 2 * strlen(user) + 16;
	if ((s = malloc(n)) == NULL)
		fatal(NULL);
	q = s + snprintf(s, n, "%s user='", conf->stored.database);
	for (i = 0; user[i] != '\0'; i++) {
		if (user[i] == '\'' || user[i] == '\\')
			*q++ = '\\';
		*q++ = user[i];
	}
	*q++ = '\'';
	*q = '\0';
	return s;
}

static void
stored_db_up(void)
{
	lot_db_up(stored_lot_ready);
	role_load();
}

static void
stored_lot_ready(void)
{
	deposit_db_up();
}

static void
stored_db_down(void)
{
	lot_db_down();
	deposit_db_down();
	audit_record("storage", "database", "error", "the connection to "
	    "database %s was lost; deposits are refused until it is back",
	    env.dbname);
}

/* Stop taking work, let the commit in flight finish, then exit. */
static void
stored_stop(void *arg)
{
	struct timeval	 tv = { 0, 50000 };

	if (env.stopping)
		return;
	env.stopping = 1;
	front_close();
	control_close();
	audit_record("stop", "stored", "ok", "stored stopping");
	evtimer_set(&stop_timer, stored_stop_check, NULL);
	evtimer_add(&stop_timer, &tv);
}

static void
stored_stop_check(int fd, short ev, void *arg)
{
	static int	 ticks;
	struct timeval	 tv = { 0, 50000 };

	ticks++;
	if ((deposit_writing() || audit_queued() > 0) &&
	    ticks < STORED_STOP_WAIT * 20) {
		evtimer_add(&stop_timer, &tv);
		return;
	}
	if (deposit_writing())
		log_warnx("stopping with a commit in flight: its deposits "
		    "were not acknowledged");
	sealer_close();
	audit_shutdown();
	db_close();
	log_info("stopped");
	exit(0);
}

static void
stored_control(const struct ctl_request *req, struct ctl_conn *conn)
{
	char		*json;
	size_t		 len;
	uint64_t	 open;

	if (strcmp(req->command, CTL_STATUS) == 0) {
		json = query_status_json(&len);
		control_reply_buf(conn, 1, json, len);
		free(json);
	} else if (strcmp(req->command, CTL_ROLE_ADD) == 0 ||
	    strcmp(req->command, CTL_ROLE_REMOVE) == 0 ||
	    strcmp(req->command, CTL_ROLE_LIST) == 0)
		role_control(req, conn);
	else if (strcmp(req->command, CTL_LOT_SEAL_NOW) == 0) {
		/* Its number first: closing it may open the next one. */
		open = lot_current();
		if (lot_seal_now())
			control_replyf(conn, 1, "lot %" PRIu64 " closes now "
			    "and goes to sealing", open);
		else
			control_reply(conn, 1, "no open lot: nothing to seal");
	} else if (strcmp(req->command, CTL_STOP) == 0) {
		control_reply(conn, 1, "stored stopping");
		stored_stop(NULL);
	} else if (strcmp(req->command, CTL_RELOAD) == 0)
		control_reply(conn, 0, "stored cannot reload: restart it to "
		    "apply a new configuration");
	else
		control_replyf(conn, 0, "stored does not handle \"%.32s\"",
		    req->command);
}
