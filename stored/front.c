/*
 * frontd's side of stored: the listening socket stored.sock, where each
 * frontd worker connects (checked by uid), and the dispatch of its
 * messages.  Work outlives a connection: answers name the connection by
 * a number, and an answer for one that went away is dropped.
 */
#include <sys/types.h>
#include <sys/queue.h>
#include <sys/uio.h>

#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "log.h"
#include "msg.h"
#include "peer.h"
#include "proto.h"
#include "stored.h"
#include "deposit.h"
#include "export.h"
#include "front.h"
#include "query.h"
#include "role.h"

struct front {
	TAILQ_ENTRY(front)	 entry;
	uint64_t		 id;
	struct peer		*peer;
};

static TAILQ_HEAD(, front)	 fronts = TAILQ_HEAD_INITIALIZER(fronts);
static struct peer_listener	 front_listener;
static uint64_t			 front_ids;

static uint64_t	 front_id(void *);
static void	 front_up(struct peer *);
static void	 front_down(struct peer *);

/* frontd's requests go to the module that answers them, by number. */
#define FRONT_CALL(name, fn)						\
static int								\
name(struct msg *m, void *arg)						\
{									\
	return fn(front_id(arg), m);					\
}
FRONT_CALL(front_deposit, deposit_request)
FRONT_CALL(front_lot, query_lot)
FRONT_CALL(front_status, query_status)
FRONT_CALL(front_requests, query_requests)
FRONT_CALL(front_export, export_request)
FRONT_CALL(front_export_more, export_more)
FRONT_CALL(front_export_cancel, export_cancel)

static const struct msg_entry front_msgs[] = {
	{ IMSG_DEPOSIT, MSG_FRONTD, MSG_FD_NONE, front_deposit },
	{ IMSG_LOT_GET, MSG_FRONTD, MSG_FD_NONE, front_lot },
	{ IMSG_STATUS_GET, MSG_FRONTD, MSG_FD_NONE, front_status },
	{ IMSG_REQUESTS_GET, MSG_FRONTD, MSG_FD_NONE, front_requests },
	{ IMSG_EXPORT_START, MSG_FRONTD, MSG_FD_NONE, front_export },
	{ IMSG_EXPORT_MORE, MSG_FRONTD, MSG_FD_NONE, front_export_more },
	{ IMSG_EXPORT_CANCEL, MSG_FRONTD, MSG_FD_NONE, front_export_cancel },
};
static const struct msg_table front_table = MSG_TABLE(SOCK_STORED,
    front_msgs);

void
front_init(const char *dir)
{
	struct peer_cb		 cb;
	struct peer_allow	 allow;

	memset(&cb, 0, sizeof(cb));
	cb.table = &front_table;
	cb.on_up = front_up;
	cb.on_down = front_down;
	allow.name = "frontd";
	allow.uid = env->front_uid;
	/* Anyone may connect; only frontd's uid gets past accept. */
	if (peer_listen(&front_listener, dir, SOCK_STORED, 0666, &allow, 1,
	    &cb) == -1)
		fatal("listen on %s/%s", dir, SOCK_STORED);
}

void
front_close(void)
{
	peer_listen_close(&front_listener);
}

static void
front_up(struct peer *p)
{
	struct front	*f;

	if ((f = calloc(1, sizeof(*f))) == NULL)
		fatal(NULL);
	f->id = ++front_ids;
	f->peer = p;
	p->arg = f;
	TAILQ_INSERT_TAIL(&fronts, f, entry);
	log_debug("%s %u connected", p->name, (unsigned int)p->pid);
	role_push(f->id);
}

static void
front_down(struct peer *p)
{
	struct front	*f = p->arg;

	if (f == NULL)
		return;
	TAILQ_REMOVE(&fronts, f, entry);
	p->arg = NULL;
	export_front_gone(f->id);
	free(f);
}

/* The connection's number: work outlives the peer. */
static uint64_t
front_id(void *arg)
{
	struct peer	*p = arg;
	struct front	*f = p->arg;

	if (f == NULL)
		fatalx("%s: %s is up without its state", __func__, p->name);
	return f->id;
}

/* 0, or -1 when that connection is gone (the answer is dropped). */
int
front_send(uint64_t id, uint32_t type, const struct iovec *iov, int n)
{
	struct front	*f;

	TAILQ_FOREACH(f, &fronts, entry)
		if (f->id == id)
			break;
	if (f == NULL) {
		log_debug("%s: frontd connection %llu is gone, %s dropped",
		    __func__, (unsigned long long)id, proto_type_name(type));
		return -1;
	}
	if (peer_composev(f->peer, type, iov, n) == -1) {
		log_warn("%s to frontd", proto_type_name(type));
		return -1;
	}
	return 0;
}

/* A lot's seal is stored: every frontd may tell its queue clients. */
void
front_lot_sealed(uint64_t lot, uint64_t first, uint64_t last,
    int64_t sealed_ms)
{
	struct front		*f;
	struct lot_sealed	 ls;
	struct iovec		 iov;

	memset(&ls, 0, sizeof(ls));
	ls.lot = lot;
	ls.first = first;
	ls.last = last;
	ls.sealed_ms = sealed_ms;
	iov.iov_base = &ls;
	iov.iov_len = sizeof(ls);
	TAILQ_FOREACH(f, &fronts, entry)
		if (peer_composev(f->peer, IMSG_LOT_SEALED, &iov, 1) == -1)
			log_warn("%s to frontd", proto_type_name(IMSG_LOT_SEALED));
}

/* The role table changed: every frontd gets it again. */
void
front_roles_push_all(void)
{
	struct front	*f;

	TAILQ_FOREACH(f, &fronts, entry)
		role_push(f->id);
}
