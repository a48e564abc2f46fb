/*
 * The server side of a daemon's control socket: who is calling (peer
 * credentials and groups), what they may do, whose signature a change
 * carries (ctlauth.h), journaling every request, then handing it to the
 * daemon.  See control.h for the rules.
 */
#define _GNU_SOURCE	/* struct ucred, SO_PEERGROUPS, accept4 */
#include <sys/types.h>
#include <sys/queue.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event.h>

#include "audit.h"
#include "config.h"
#include "control.h"
#include "ctlauth.h"
#include "ctlsig.h"
#include "imsgev.h"
#include "log.h"
#include "msg.h"
#include "proto.h"
#include "sock.h"

#define CTL_NAMES_MAX	64	/* uids whose names we know */
#define CTL_GROUPS_MAX	64	/* caller's groups we look at */

enum ctl_priv {
	CTL_PRIV_TECHNICAL = 1,
	CTL_PRIV_FUNCTIONAL = 2
};

struct ctl_conn {
	TAILQ_ENTRY(ctl_conn)	 entry;
	struct imsgev		 iev;
	struct event		 idle;
	struct event		 wait;	/* for the journal record */
	uid_t			 uid;
	gid_t			 gid;
	pid_t			 pid;
	int			 privs;	/* enum ctl_priv bits */
	char			 who[96];
	char			 signer[CTL_SIGNER_MAX];	/* "" unsigned */
	struct ctl_request	 req;
	uint64_t		 audit_id;
	int			 busy;	/* a request awaits its reply */
	int			 inuse;	/* on the stack: do not free */
	int			 gone;	/* the caller hung up */
};
TAILQ_HEAD(ctl_conns, ctl_conn);

static struct {
	int			 fd;
	struct event		 ev;
	struct event		 pause;
	char			 name[32];
	int			 dev;	/* started as an ordinary user */
	uid_t			 self;
	gid_t			 tech_gid;
	gid_t			 func_gid;
	char			 tech[64];
	char			 func[64];
	control_handler		 handler;
	struct ctl_conns	 conns;
	size_t			 nconns;
	struct {
		uid_t	 uid;
		char	 name[32];
	}			 names[CTL_NAMES_MAX];
	size_t			 nnames;
} ctl = { .fd = -1 };

static const struct {
	const char	*command;
	int		 priv;
} ctl_commands[] = {
	{ CTL_STATUS,		CTL_PRIV_TECHNICAL },
	{ CTL_JOURNAL_CLOSE,	CTL_PRIV_TECHNICAL },
	{ CTL_JOURNAL_LIST,	CTL_PRIV_TECHNICAL },
	{ CTL_JOURNAL_VERIFY,	CTL_PRIV_TECHNICAL },
	{ CTL_LOT_SEAL_NOW,	CTL_PRIV_TECHNICAL },
	{ CTL_RELOAD,		CTL_PRIV_TECHNICAL },
	{ CTL_STOP,		CTL_PRIV_TECHNICAL },
	{ CTL_ROLE_ADD,		CTL_PRIV_FUNCTIONAL },
	{ CTL_ROLE_REMOVE,	CTL_PRIV_FUNCTIONAL },
	{ CTL_ROLE_LIST,	CTL_PRIV_FUNCTIONAL },
};

static gid_t	control_group(const char *);
static void	control_names_add(uid_t, const char *);
static void	control_names_group(const char *);
static const char *control_name(uid_t);
static void	control_accept(int, short, void *);
static void	control_accept_resume(int, short, void *);
static int	control_privs(int, gid_t);
static void	control_dispatch(int, short, void *);
static void	control_process(struct ctl_conn *);
static int	control_request(struct msg *, void *);

/* cfjlctl sends requests, one at a time. */
static const struct msg_entry ctl_msgs[] = {
	{ IMSG_CTL_REQUEST, MSG_CONTROL, MSG_FD_NONE, control_request },
};
static const struct msg_table ctl_table = MSG_TABLE("control", ctl_msgs);
static void	control_refuse(struct ctl_conn *, const char *, ...)
		    __attribute__((__format__(printf, 2, 3)));
static void	control_journaled(void *, uint64_t);
static void	control_wait_over(int, short, void *);
static void	control_handle(struct ctl_conn *);
static void	control_idle(int, short, void *);
static void	control_drop(struct ctl_conn *);
static void	control_release(struct ctl_conn *);
static const char *control_priv_name(int);

static gid_t
control_group(const char *name)
{
	struct group	*gr;

	if (name == NULL || name[0] == '\0')
		return (gid_t)-1;
	if ((gr = getgrnam(name)) == NULL) {
		log_warnx("control: group %s does not exist: its commands are "
		    "for root only", name);
		return (gid_t)-1;
	}
	return gr->gr_gid;
}

static void
control_names_add(uid_t uid, const char *name)
{
	size_t	 i;

	for (i = 0; i < ctl.nnames; i++)
		if (ctl.names[i].uid == uid)
			return;
	if (ctl.nnames == CTL_NAMES_MAX)
		return;
	ctl.names[ctl.nnames].uid = uid;
	strlcpy(ctl.names[ctl.nnames].name, name,
	    sizeof(ctl.names[ctl.nnames].name));
	ctl.nnames++;
}

/* Names are looked up now: once sandboxed, /etc/passwd is out of reach. */
static void
control_names_group(const char *group)
{
	struct group	*gr;
	struct passwd	*pw;
	char		**mem, *names[CTL_NAMES_MAX];
	size_t		 n = 0, i;

	if (group[0] == '\0' || (gr = getgrnam(group)) == NULL)
		return;
	for (mem = gr->gr_mem; *mem != NULL && n < CTL_NAMES_MAX; mem++)
		if ((names[n] = strdup(*mem)) != NULL)
			n++;
	for (i = 0; i < n; i++) {
		if ((pw = getpwnam(names[i])) != NULL)
			control_names_add(pw->pw_uid, pw->pw_name);
		free(names[i]);
	}
}

static const char *
control_name(uid_t uid)
{
	size_t	 i;

	for (i = 0; i < ctl.nnames; i++)
		if (ctl.names[i].uid == uid)
			return ctl.names[i].name;
	return NULL;
}

void
control_init(const char *runtime_dir, const char *name,
    const struct cfjl_control_conf *conf, control_handler handler)
{
	struct passwd	*pw;
	char		 sockname[64];

	TAILQ_INIT(&ctl.conns);
	strlcpy(ctl.name, name, sizeof(ctl.name));
	ctl.handler = handler;
	ctl.self = geteuid();
	ctl.dev = ctl.self != 0;
	strlcpy(ctl.tech, conf->technical_group, sizeof(ctl.tech));
	strlcpy(ctl.func, conf->functional_group, sizeof(ctl.func));
	ctl.tech_gid = control_group(ctl.tech);
	ctl.func_gid = control_group(ctl.func);

	control_names_add(0, "root");
	if ((pw = getpwuid(ctl.self)) != NULL)
		control_names_add(pw->pw_uid, pw->pw_name);
	control_names_group(ctl.tech);
	control_names_group(ctl.func);

	if ((size_t)snprintf(sockname, sizeof(sockname), "%s%s", name,
	    SOCK_CONTROL_SUFFIX) >= sizeof(sockname))
		fatalx("control: name %s too long", name);
	/* Anyone may connect; the credentials decide (control.h). */
	if ((ctl.fd = sock_listen(runtime_dir, sockname, 0666)) == -1)
		fatal("control: listen on %s/%s", runtime_dir, sockname);
	event_set(&ctl.ev, ctl.fd, EV_READ | EV_PERSIST, control_accept, NULL);
	event_add(&ctl.ev, NULL);
	evtimer_set(&ctl.pause, control_accept_resume, NULL);
	if (ctl.dev)
		log_info("control: %s/%s: running as an ordinary user, whose "
		    "uid may run every command", runtime_dir, sockname);
	else
		log_debug("control: listening on %s/%s", runtime_dir,
		    sockname);
}

void
control_close(void)
{
	struct ctl_conn	*c, *next;

	if (ctl.fd != -1) {
		event_del(&ctl.ev);
		evtimer_del(&ctl.pause);
		close(ctl.fd);
		ctl.fd = -1;
	}
	TAILQ_FOREACH_SAFE(c, &ctl.conns, entry, next) {
		if (c->audit_id != 0)
			audit_cancel(c->audit_id);
		c->busy = 0;
		control_drop(c);
	}
}

/* The kernel's view of the caller's groups (SO_PEERGROUPS). */
static int
control_privs(int fd, gid_t gid)
{
	gid_t		 groups[CTL_GROUPS_MAX];
	socklen_t	 len = sizeof(groups);
	size_t		 n = 0, i;
	int		 privs = 0;

	if (getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, groups, &len) == 0)
		n = len / sizeof(gid_t);
	else if (errno == ERANGE)
		log_warnx("control: caller in more than %d groups: only the "
		    "first are looked at", CTL_GROUPS_MAX);
	for (i = 0; i <= n; i++) {
		gid_t	 g = i < n ? groups[i] : gid;

		if (ctl.tech_gid != (gid_t)-1 && g == ctl.tech_gid)
			privs |= CTL_PRIV_TECHNICAL;
		if (ctl.func_gid != (gid_t)-1 && g == ctl.func_gid)
			privs |= CTL_PRIV_FUNCTIONAL;
	}
	return privs;
}

static void
control_accept(int lfd, short event, void *arg)
{
	struct ctl_conn		*c, *o;
	struct ucred		 cred;
	struct timeval		 tv = { 1, 0 };
	socklen_t		 len = sizeof(cred);
	const char		*uname;
	size_t			 peruid = 0;
	int			 fd;

	if ((fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC))
	    == -1) {
		if (errno == EMFILE || errno == ENFILE) {
			log_warn("control: accept");
			event_del(&ctl.ev);
			evtimer_add(&ctl.pause, &tv);
		} else if (errno != EAGAIN && errno != EINTR &&
		    errno != ECONNABORTED)
			log_warn("control: accept");
		return;
	}
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) == -1) {
		log_warn("control: peer credentials");
		close(fd);
		return;
	}
	TAILQ_FOREACH(o, &ctl.conns, entry)
		if (o->uid == cred.uid && !o->gone)
			peruid++;
	if (peruid >= CTL_CONN_PER_UID || ctl.nconns >= CTL_CONN_MAX) {
		log_warnx("control: refused connection from uid %u (pid %d): "
		    "%zu of its connections open, %zu in all",
		    (unsigned int)cred.uid, (int)cred.pid, peruid,
		    ctl.nconns);
		audit_record("admin-connection", NULL, "refused",
		    "uid %u pid %d: too many connections",
		    (unsigned int)cred.uid, (int)cred.pid);
		close(fd);
		return;
	}
	if ((c = calloc(1, sizeof(*c))) == NULL) {
		log_warn("control: accept");
		close(fd);
		return;
	}
	c->uid = cred.uid;
	c->gid = cred.gid;
	c->pid = cred.pid;
	c->privs = control_privs(fd, cred.gid);
	if (c->uid == 0 || (ctl.dev && c->uid == ctl.self))
		c->privs = CTL_PRIV_TECHNICAL | CTL_PRIV_FUNCTIONAL;
	if ((uname = control_name(c->uid)) != NULL)
		snprintf(c->who, sizeof(c->who), "uid %u (%s)",
		    (unsigned int)c->uid, uname);
	else
		snprintf(c->who, sizeof(c->who), "uid %u",
		    (unsigned int)c->uid);

	imsg_init(&c->iev.ibuf, fd);
	/* A request is small, its signature too: nobody makes us buffer more. */
	imsgbuf_set_maxsize(&c->iev.ibuf, IMSG_HEADER_SIZE +
	    sizeof(struct ctl_request) + sizeof(uint32_t) + CTLSIG_DER_MAX);
	c->iev.handler = control_dispatch;
	c->iev.data = c;
	evtimer_set(&c->idle, control_idle, c);
	evtimer_set(&c->wait, control_wait_over, c);
	TAILQ_INSERT_TAIL(&ctl.conns, c, entry);
	ctl.nconns++;
	tv.tv_sec = CTL_IDLE_TIMEOUT;
	evtimer_add(&c->idle, &tv);
	imsg_event_add(&c->iev);
	log_debug("control: connection from %s pid %d", c->who, (int)c->pid);
}

static void
control_accept_resume(int fd, short event, void *arg)
{
	if (ctl.fd != -1)
		event_add(&ctl.ev, NULL);
}

static void
control_dispatch(int fd, short event, void *arg)
{
	struct ctl_conn	*c = arg;
	ssize_t		 n;

	if (event & EV_WRITE) {
		if ((n = msgbuf_write(&c->iev.ibuf.w)) == 0 ||
		    (n == -1 && errno != EAGAIN)) {
			control_drop(c);
			return;
		}
	}
	if (event & EV_READ) {
		if ((n = imsg_read(&c->iev.ibuf)) == 0 ||
		    (n == -1 && errno != EAGAIN)) {
			if (n == -1)
				log_warn("control: %s", c->who);
			control_drop(c);
			return;
		}
	}
	control_process(c);
}

/* One request at a time: the next waits in the buffer for the reply. */
static void
control_process(struct ctl_conn *c)
{
	struct imsg	 imsg;
	struct msg	 m;
	ssize_t		 n;
	int		 ok;

	c->inuse++;
	while (!c->busy && !c->gone) {
		if ((n = imsg_get(&c->iev.ibuf, &imsg)) == -1) {
			log_warn("control: %s: bad message", c->who);
			control_drop(c);
			break;
		}
		if (n == 0)
			break;
		ok = msg_dispatch(&ctl_table, &imsg, MSG_CONTROL, c, &m);
		if (ok == -1)
			log_warnx("control: dropping %s (pid %d): %s: %s",
			    c->who, (int)c->pid, proto_type_name(imsg.hdr.type),
			    m_error(&m));
		imsg_free(&imsg);
		if (ok == -1)
			control_drop(c);
	}
	if (!c->gone)
		imsg_event_add(&c->iev);
	c->inuse--;
	control_release(c);
}

/* -1: drop the connection (a malformed message: no guessing). */
static int
control_request(struct msg *m, void *arg)
{
	struct ctl_conn		*c = arg;
	struct ctl_request	*req = &c->req;
	struct timeval		 tv = { CTL_AUDIT_WAIT, 0 };
	const char		*group;
	const void		*rest;
	struct ctlauth_signer	 signer;
	const void		*sig = NULL;
	uint32_t		 version, siglen = 0;
	size_t			 i;
	int			 need = 0, kind, rc;
	char			 err[1024], by[CTL_SIGNER_MAX];

	if (m_get_u32(m, &version) == -1)
		return -1;
	if (version != CFJL_PROTO_VERSION) {
		/* Another layout may follow: it is not read. */
		(void)m_get_ptr(m, &rest, m_left(m));
		control_refuse(c, "protocol version mismatch: this cfjlctl "
		    "speaks version %u, %s speaks version %u; use the cfjlctl "
		    "of the same release", version, ctl.name,
		    CFJL_PROTO_VERSION);
		return 0;
	}
	req->version = version;
	if (m_get_u32(m, &req->json) == -1 ||
	    m_get_string(m, req->command, sizeof(req->command)) == -1 ||
	    m_get_string(m, req->arg1, sizeof(req->arg1)) == -1 ||
	    m_get_string(m, req->arg2, sizeof(req->arg2)) == -1)
		return -1;
	/* The signature, when there is one (ctlsig.h). */
	if (m_left(m) > 0 && (m_get_u32(m, &siglen) == -1 || siglen == 0 ||
	    siglen > CTLSIG_DER_MAX || m_get_ptr(m, &sig, siglen) == -1))
		return -1;
	if (m_end(m) == -1)
		return -1;
	evtimer_del(&c->idle);

	for (i = 0; i < sizeof(ctl_commands) / sizeof(ctl_commands[0]); i++)
		if (strcmp(req->command, ctl_commands[i].command) == 0) {
			need = ctl_commands[i].priv;
			break;
		}
	if (need == 0) {
		control_refuse(c, "unknown command \"%s\"", req->command);
		return 0;
	}
	if ((c->privs & need) == 0) {
		group = need == CTL_PRIV_TECHNICAL ? ctl.tech : ctl.func;
		if (group[0] != '\0')
			control_refuse(c, "permission denied: %s may not run %s "
			    "on %s: it needs the %s group (%s)", c->who,
			    req->command, ctl.name, control_priv_name(need),
			    group);
		else
			control_refuse(c, "permission denied: %s may not run %s "
			    "on %s: no %s group is configured, only root may",
			    c->who, req->command, ctl.name,
			    control_priv_name(need));
		return 0;
	}

	/* Changing the vault takes an administrator's key, root or not. */
	by[0] = '\0';
	if ((kind = ctlsig_kind(req->command)) != CTLSIG_NONE) {
		rc = ctlauth_check(ctl.name, req, kind, sig, siglen, &signer,
		    err, sizeof(err));
		if (signer.subject[0] != '\0')
			snprintf(by, sizeof(by), ", signed by %s (certificate "
			    "sha256 %s)", signer.subject, signer.fp);
		if (rc != 0) {
			control_refuse(c, "%s%s", err, by);
			return 0;
		}
	}
	strlcpy(c->signer, by[0] != '\0' ? by + 2 : "", sizeof(c->signer));

	/* The record must be durable before the command takes effect. */
	c->busy = 1;
	c->audit_id = audit_record_cb(control_journaled, c, "admin", c->who,
	    "allowed", "%s%s%s%s%s on %s (pid %d)%s", req->command,
	    req->arg1[0] ? " " : "", req->arg1, req->arg2[0] ? " " : "",
	    req->arg2, ctl.name, (int)c->pid, by);
	if (c->audit_id == 0 && audit_initialized()) {
		c->busy = 0;
		control_refuse(c, "the journal is unreachable and its queue "
		    "is full: %s not done", req->command);
		return 0;
	}
	/* Without a journal (a test program), nothing to wait for. */
	if (c->audit_id == 0)
		tv.tv_sec = 0;
	evtimer_add(&c->wait, &tv);
	return 0;
}

static const char *
control_priv_name(int priv)
{
	return priv == CTL_PRIV_TECHNICAL ? "technical" : "functional";
}

/* A refusal is journaled and answered; the connection stays usable. */
static void
control_refuse(struct ctl_conn *c, const char *fmt, ...)
{
	va_list	 ap;
	char	 msg[1024];

	va_start(ap, fmt);
	(void)vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	log_warnx("control: %s: %s", c->who, msg);
	audit_record("admin", c->who, "refused", "%s on %s (pid %d): %s",
	    c->req.command, ctl.name, (int)c->pid, msg);
	c->busy = 1;
	control_reply(c, 0, msg);
}

static void
control_journaled(void *arg, uint64_t seq)
{
	struct ctl_conn	*c = arg;

	c->audit_id = 0;
	evtimer_del(&c->wait);
	control_handle(c);
}

static void
control_wait_over(int fd, short event, void *arg)
{
	struct ctl_conn	*c = arg;

	if (c->audit_id != 0) {
		log_warnx("control: the journal has not confirmed the record "
		    "of %s by %s within %d seconds: going on, it stays queued",
		    c->req.command, c->who, CTL_AUDIT_WAIT);
		audit_cancel(c->audit_id);
		c->audit_id = 0;
	}
	control_handle(c);
}

static void
control_handle(struct ctl_conn *c)
{
	char	 msg[512];
	int	 ok;

	/* A reload reads the administrators' CRLs again, in every daemon. */
	if (strcmp(c->req.command, CTL_RELOAD) == 0) {
		if ((ok = ctlauth_reload(msg, sizeof(msg))) == -1)
			log_warnx("control: %s", msg);
		if (ok != 1)
			audit_record("admin-crl-reload", ctl.name,
			    ok == 0 ? "ok" : "error", "%s", msg);
	}
	c->inuse++;
	ctl.handler(&c->req, c);
	c->inuse--;
	/* Replied at once: requests may be waiting behind this one. */
	if (!c->busy && !c->gone)
		control_process(c);
	else
		control_release(c);
}

void
control_reply(struct ctl_conn *c, int ok, const char *text)
{
	control_reply_buf(c, ok, text, text != NULL ? strlen(text) : 0);
}

void
control_replyf(struct ctl_conn *c, int ok, const char *fmt, ...)
{
	va_list	 ap;
	char	*text;
	int	 n;

	va_start(ap, fmt);
	n = vasprintf(&text, fmt, ap);
	va_end(ap);
	if (n == -1) {
		control_reply(c, 0, "out of memory");
		return;
	}
	control_reply_buf(c, ok, text, (size_t)n);
	free(text);
}

void
control_reply_buf(struct ctl_conn *c, int ok, const char *text, size_t len)
{
	struct ctl_reply	 rep;
	struct iovec		 iov[2];
	struct timeval		 tv = { CTL_IDLE_TIMEOUT, 0 };

	if (!c->busy) {
		log_warnx("control: reply without a request from %s", c->who);
		return;
	}
	c->busy = 0;
	if (c->gone) {
		control_release(c);
		return;
	}
	if (len > CTL_REPLY_MAX)
		len = CTL_REPLY_MAX;
	memset(&rep, 0, sizeof(rep));
	rep.ok = ok ? 1 : 0;
	rep.len = (uint32_t)len;
	iov[0].iov_base = &rep;
	iov[0].iov_len = sizeof(rep);
	iov[1].iov_base = (void *)(uintptr_t)text;
	iov[1].iov_len = len;
	if (imsg_composev(&c->iev.ibuf, IMSG_CTL_REPLY, 0, 0, -1, iov,
	    len > 0 ? 2 : 1) == -1) {
		log_warn("control: reply to %s", c->who);
		control_drop(c);
		return;
	}
	/* Out at once: a stop must not exit before its answer left. */
	if (msgbuf_write(&c->iev.ibuf.w) == -1 && errno != EAGAIN) {
		control_drop(c);
		return;
	}
	evtimer_add(&c->idle, &tv);
	/* Requests may be waiting behind this one. */
	if (c->inuse == 0)
		control_process(c);
	else
		imsg_event_add(&c->iev);
}

static void
control_idle(int fd, short event, void *arg)
{
	struct ctl_conn	*c = arg;

	log_debug("control: %s idle, closed", c->who);
	control_drop(c);
}

/* The connection goes; its struct stays while a request is in hand. */
static void
control_drop(struct ctl_conn *c)
{
	if (c->gone)
		return;
	c->gone = 1;
	imsg_event_del(&c->iev);
	evtimer_del(&c->idle);
	imsg_clear(&c->iev.ibuf);
	close(c->iev.ibuf.fd);
	c->iev.ibuf.fd = -1;
	TAILQ_REMOVE(&ctl.conns, c, entry);
	ctl.nconns--;
	control_release(c);
}

/* Freed once gone, answered, and off every stack frame. */
static void
control_release(struct ctl_conn *c)
{
	if (!c->gone || c->busy || c->inuse > 0)
		return;
	evtimer_del(&c->wait);
	if (c->audit_id != 0)
		audit_cancel(c->audit_id);
	free(c);
}

uid_t
control_conn_uid(const struct ctl_conn *c)
{
	return c->uid;
}

const char *
control_conn_who(const struct ctl_conn *c)
{
	return c->who;
}

const char *
control_conn_signer(const struct ctl_conn *c)
{
	return c->signer;
}
