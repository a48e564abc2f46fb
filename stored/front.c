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
#include "peer.h"
#include "stored.h"
#include "export.h"

struct front {
	TAILQ_ENTRY(front)	 entry;
	uint64_t		 id;
	struct peer		*peer;
};

static TAILQ_HEAD(, front)	 fronts = TAILQ_HEAD_INITIALIZER(fronts);
static struct peer_listener	 front_listener;
static uint64_t			 front_ids;

static int	 front_msg(struct peer *, struct imsg *);
static void	 front_up(struct peer *);
static void	 front_down(struct peer *);

void
front_init(const char *dir)
{
	struct peer_cb	 cb;
	uid_t		 uid;

	memset(&cb, 0, sizeof(cb));
	cb.on_msg = front_msg;
	cb.on_up = front_up;
	cb.on_down = front_down;
	uid = env->front_uid;
	/* Anyone may connect; only frontd's uid gets past accept. */
	if (peer_listen(&front_listener, dir, SOCK_STORED, 0666, &uid, 1,
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

static int
front_msg(struct peer *p, struct imsg *imsg)
{
	struct front	*f = p->arg;
	size_t		 len = imsg_get_len(imsg);
	int		 ret;

	if (f == NULL)
		return PEER_UNKNOWN;
	switch (imsg->hdr.type) {
	case IMSG_DEPOSIT:
		ret = deposit_request(f->id, imsg->data, len);
		break;
	case IMSG_LOT_GET:
		ret = query_lot(f->id, imsg->data, len);
		break;
	case IMSG_STATUS_GET:
		ret = query_status(f->id, imsg->data, len);
		break;
	case IMSG_REQUESTS_GET:
		ret = query_requests(f->id, imsg->data, len);
		break;
	case IMSG_EXPORT_START:
		ret = export_request(f->id, imsg->data, len);
		break;
	case IMSG_EXPORT_MORE:
		ret = export_more(f->id, imsg->data, len);
		break;
	case IMSG_EXPORT_CANCEL:
		ret = export_cancel(f->id, imsg->data, len);
		break;
	default:
		ret = -1;
		break;
	}
	if (ret == -1) {
		log_warnx("malformed %s from %s",
		    stored_type_name(imsg->hdr.type), p->name);
		return PEER_UNKNOWN;
	}
	return PEER_HANDLED;
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
		    __func__, (unsigned long long)id, stored_type_name(type));
		return -1;
	}
	if (peer_composev(f->peer, type, iov, n) == -1) {
		log_warn("%s to frontd", stored_type_name(type));
		return -1;
	}
	return 0;
}

/* The role table changed: every frontd gets it again. */
void
front_roles_push_all(void)
{
	struct front	*f;

	TAILQ_FOREACH(f, &fronts, entry)
		role_push(f->id);
}
