/*
 * audit.sock: the daemons allowed to journal (frontd, stored, sealerd,
 * by uid) send IMSG_AUDIT; each record is acknowledged once the group
 * commit that covers it has synced, and IMSG_AUDIT_CLOSE closes the
 * current file.
 */
#include <sys/types.h>
#include <sys/socket.h>

#include <string.h>

#include "audit.h"
#include "auditd.h"
#include "log.h"
#include "msg.h"
#include "peer.h"
#include "proto.h"

static struct peer_listener	 server;
static int			 listening;

static int	server_record(struct msg *, void *);
static int	server_close_file(struct msg *, void *);
static void	server_on_down(struct peer *);
static void	server_ack(void *, uint64_t, uint64_t);

#define SERVER_FROM	(MSG_FRONTD | MSG_STORED | MSG_SEALERD)
static const struct msg_entry server_msgs[] = {
	{ IMSG_AUDIT, SERVER_FROM, MSG_FD_NONE, server_record },
	{ IMSG_AUDIT_CLOSE, SERVER_FROM, MSG_FD_NONE, server_close_file },
};
static const struct msg_table server_table = MSG_TABLE(SOCK_AUDIT,
    server_msgs);

void
auditsock_init(const char *runtime_dir, const struct peer_allow *allow,
    size_t nallow)
{
	struct peer_cb	 cb;

	memset(&cb, 0, sizeof(cb));
	cb.table = &server_table;
	cb.on_down = server_on_down;
	/* Credentials, not the file mode, decide who may write. */
	if (peer_listen(&server, runtime_dir, SOCK_AUDIT, 0666, allow, nallow,
	    &cb) == -1)
		fatal("listen on %s/%s", runtime_dir, SOCK_AUDIT);
	listening = 1;
}

/*
 * The socket was made while root: SO_PEERCRED would show every client
 * uid 0 instead of auditd's user.  Linux takes a listener's credentials
 * at listen(), so listening again once the user is switched fixes them.
 */
void
auditsock_relisten(void)
{
	if (listening && listen(server.fd, 128) == -1)
		fatal("listen again on %s", SOCK_AUDIT);
}

void
auditsock_close(void)
{
	if (listening)
		peer_listen_close(&server);
	listening = 0;
}

size_t
auditsock_clients(void)
{
	return listening ? server.npeers : 0;
}

static int
server_record(struct msg *m, void *arg)
{
	struct peer		*p = arg;
	struct audit_record	 r;

	if (m_get_struct(m, proto_audit_record, &r) == -1 || m_end(m) == -1)
		return -1;
	if (r.event[0] == '\0')
		return m_fail(m, "record without an event");
	/* The process is the one that said HELLO, not a claim. */
	strlcpy(r.process, p->name, sizeof(r.process));
	journal_append(&r, p->uid, server_ack, p);
	return 0;
}

static int
server_close_file(struct msg *m, void *arg)
{
	struct peer	*p = arg;

	if (m_end(m) == -1)
		return -1;
	audit_record("journal-close-request", p->name, "ok",
	    "uid %u pid %d", (unsigned int)p->uid, (int)p->pid);
	journal_close_now("request");
	return 0;
}

static void
server_ack(void *ctx, uint64_t id, uint64_t seq)
{
	struct peer		*p = ctx;
	struct audit_ack	 ack;

	ack.id = id;
	ack.seq = seq;
	if (peer_compose(p, IMSG_AUDIT_ACK, &ack, sizeof(ack)) == -1)
		log_warn("acknowledging record %llu to %s",
		    (unsigned long long)id, p->name);
}

static void
server_on_down(struct peer *p)
{
	journal_forget(p);
}
