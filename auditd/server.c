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
#include "peer.h"
#include "proto.h"

static struct peer_listener	 server;
static int			 listening;

static int	server_on_msg(struct peer *, struct imsg *);
static void	server_on_down(struct peer *);
static void	server_ack(void *, uint64_t, uint64_t);
static int	server_record_ok(const struct audit_record *);

void
server_init(const char *runtime_dir, const uid_t *uids, size_t nuids)
{
	struct peer_cb	 cb;

	memset(&cb, 0, sizeof(cb));
	cb.on_msg = server_on_msg;
	cb.on_down = server_on_down;
	/* Credentials, not the file mode, decide who may write. */
	if (peer_listen(&server, runtime_dir, SOCK_AUDIT, 0666, uids, nuids,
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
server_relisten(void)
{
	if (listening && listen(server.fd, 128) == -1)
		fatal("listen again on %s", SOCK_AUDIT);
}

void
server_close(void)
{
	if (listening)
		peer_listen_close(&server);
	listening = 0;
}

size_t
server_clients(void)
{
	return listening ? server.npeers : 0;
}

/* Every string must end inside its field. */
static int
server_record_ok(const struct audit_record *r)
{
	return memchr(r->process, '\0', sizeof(r->process)) != NULL &&
	    memchr(r->event, '\0', sizeof(r->event)) != NULL &&
	    memchr(r->subject, '\0', sizeof(r->subject)) != NULL &&
	    memchr(r->outcome, '\0', sizeof(r->outcome)) != NULL &&
	    memchr(r->details, '\0', sizeof(r->details)) != NULL &&
	    r->event[0] != '\0';
}

static int
server_on_msg(struct peer *p, struct imsg *imsg)
{
	struct audit_record	 r;

	if (imsg->fd != -1)
		return PEER_UNKNOWN;
	switch (imsg->hdr.type) {
	case IMSG_AUDIT:
		if (imsg_get_len(imsg) != sizeof(r))
			return PEER_UNKNOWN;
		memcpy(&r, imsg->data, sizeof(r));
		if (!server_record_ok(&r))
			return PEER_UNKNOWN;
		/* The process is the one that said HELLO, not a claim. */
		strlcpy(r.process, p->name, sizeof(r.process));
		journal_append(&r, p->uid, server_ack, p);
		return PEER_HANDLED;
	case IMSG_AUDIT_CLOSE:
		if (imsg_get_len(imsg) != 0)
			return PEER_UNKNOWN;
		audit_record("journal-close-request", p->name, "ok",
		    "uid %u pid %d", (unsigned int)p->uid, (int)p->pid);
		journal_close_now("request");
		return PEER_HANDLED;
	default:
		return PEER_UNKNOWN;
	}
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
