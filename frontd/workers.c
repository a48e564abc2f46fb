/*
 * frontd's workers, described for common/proc.c: what a worker lets go
 * of when forked (the control socket), how it starts (its link to
 * stored, then the listening sockets it accepts on, shared with the
 * other workers) and stops, and the counters it reports with every
 * heartbeat, which the parent sums for cfjlctl status.
 *
 * A worker that dies loses nothing acknowledged: stored answers a
 * deposit only once it is committed, and a deposit a dying worker had
 * in flight was not acknowledged, so the capture agent resends it with
 * the same Client-Id and gets the same IDEvt.
 */
#include <sys/types.h>

#include <seccomp.h>
#include <stdlib.h>
#include <string.h>

#include <event.h>

#include "audit.h"
#include "clientca.h"
#include "config.h"
#include "conn.h"
#include "control.h"
#include "frontd.h"
#include "links.h"
#include "listen.h"
#include "log.h"
#include "msg.h"
#include "proc.h"
#include "roles.h"
#include "workers.h"

static void	workers_start(struct cfjl_conf *, unsigned int);
static void	workers_stop(void *);
static void	workers_reload(void *);
static void	workers_exit(int, short, void *);
static size_t	workers_report(void *, size_t);
static int	workers_reported(unsigned int, struct msg *);
static void	workers_gone(unsigned int);

/* A worker's heartbeat answer. */
struct workers_report {
	uint32_t	 connections;
	uint32_t	 stored_up;
	uint64_t	 deposited;
	uint64_t	 refused;
	uint64_t	 roles;
};

static struct {
	struct workers_report	 last[PROC_CHILD_MAX];
	int			 heard[PROC_CHILD_MAX];
	uint64_t		 retired_deposited;
	uint64_t		 retired_refused;
} workers;

/*
 * A worker's system calls beyond sandbox_base_syscalls, each group with
 * the code that needs it.  The parent's filter holds them too (the
 * worker's is stacked on it).
 */
static const int workers_syscalls[] = {
	/* conn.c: accepting clients (accept4), libtls. */
	SCMP_SYS(accept), SCMP_SYS(accept4),
	/* libtls/OpenSSL: shutting a connection down, socket options. */
	SCMP_SYS(shutdown), SCMP_SYS(setsockopt), SCMP_SYS(getsockname),
	SCMP_SYS(getpeername),
	/* peer.c: comparing credentials with our own. */
	SCMP_SYS(getuid), SCMP_SYS(geteuid), SCMP_SYS(getgid),
	SCMP_SYS(getegid),
	/* clientca.c: CRLs read again, from the directories opened at start. */
	SCMP_SYS(openat), SCMP_SYS(getdents64), SCMP_SYS(lseek),
	-1
};

const struct proc_child workers_child = {
	.title = "worker",
	.count = PROC_CONF(frontd.workers),
	.count_auto = WORKERS_AUTO_MAX,
	.syscalls = workers_syscalls,
	.heartbeat = WORKERS_HEARTBEAT,
	.timeout = WORKERS_TIMEOUT,
	/* The control socket and its clients stay the parent's. */
	.drop = control_close,
	.start = workers_start,
	.stop = workers_stop,
	.reload = workers_reload,
	.report = workers_report,
	.reported = workers_reported,
	.gone = workers_gone,
};

static void
workers_start(struct cfjl_conf *conf, unsigned int id)
{
	char	 msg[512];

	env->worker = id;
	/* The CRLs as they are now, not as when the parent started. */
	if (clientca_reload(msg, sizeof(msg)) == -1)
		log_warnx("%s", msg);
	clientca_start();
	links_init();
	listen_start();
	log_info("ready: accepting on the shared listening sockets");
}

/* The parent checked the CRLs and relays cfjlctl reload or SIGHUP. */
static void
workers_reload(void *arg)
{
	char	 msg[512];

	if (clientca_reload(msg, sizeof(msg)) == -1)
		log_warnx("%s", msg);
}

static void
workers_stop(void *arg)
{
	static struct event	 ev;
	static int		 stopping;
	struct timeval		 tv = { 0, 200000 };

	if (stopping++)
		return;
	listen_close();
	conn_shutdown();
	links_shutdown();
	/* A moment for what is queued (journal records) to leave. */
	evtimer_set(&ev, workers_exit, NULL);
	evtimer_add(&ev, &tv);
}

static void
workers_exit(int fd, short ev, void *arg)
{
	exit(0);
}

static size_t
workers_report(void *buf, size_t size)
{
	struct workers_report	 r;

	memset(&r, 0, sizeof(r));
	r.connections = env->nconns;
	r.stored_up = env->stored_up;
	r.deposited = env->ndeposits;
	r.refused = env->nrefused;
	r.roles = roles_count();
	if (size < sizeof(r))
		fatalx("%s: no room", __func__);
	memcpy(buf, &r, sizeof(r));
	return sizeof(r);
}

static int
workers_reported(unsigned int id, struct msg *m)
{
	struct workers_report	 r;

	if (m_get_data(m, &r, sizeof(r)) == -1 || m_end(m) == -1)
		return -1;
	if (id == 0 || id > PROC_CHILD_MAX)
		return m_fail(m, "worker %u", id);
	if (r.deposited < workers.last[id - 1].deposited ||
	    r.refused < workers.last[id - 1].refused)
		return m_fail(m, "counters going backwards");
	workers.last[id - 1] = r;
	workers.heard[id - 1] = 1;
	return 0;
}

/* Its counters are kept: deposited and refused never go backwards. */
static void
workers_gone(unsigned int id)
{
	if (id == 0 || id > PROC_CHILD_MAX)
		return;
	workers.retired_deposited += workers.last[id - 1].deposited;
	workers.retired_refused += workers.last[id - 1].refused;
	memset(&workers.last[id - 1], 0, sizeof(workers.last[id - 1]));
	workers.heard[id - 1] = 0;
}

void
workers_sum(struct workers_sum *s)
{
	unsigned int	 i;

	memset(s, 0, sizeof(*s));
	s->deposited = workers.retired_deposited;
	s->refused = workers.retired_refused;
	for (i = 0; i < PROC_CHILD_MAX; i++) {
		if (!workers.heard[i])
			continue;
		s->running++;
		s->stored_up += workers.last[i].stored_up != 0;
		s->connections += workers.last[i].connections;
		s->deposited += workers.last[i].deposited;
		s->refused += workers.last[i].refused;
		if (workers.last[i].roles > s->roles)
			s->roles = workers.last[i].roles;
	}
}
