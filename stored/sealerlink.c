/*
 * The link to sealerd (sealer.sock): redialed with backoff, sealerd's
 * status asked for now and then, and its answers handed to the sealing
 * queue (sealqueue.c).
 */
#include <sys/types.h>
#include <sys/queue.h>
#include <sys/uio.h>

#include <inttypes.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <event.h>

#include "audit.h"
#include "config.h"
#include "log.h"
#include "msg.h"
#include "peer.h"
#include "proto.h"
#include "sealerlink.h"
#include "sealqueue.h"

/* sealerd's own status (token, clock), asked for now and then. */
#define SEALER_STATUS_EVERY	5	/* seconds */
#define SEALER_STATUS_MAX	4096	/* bytes of JSON kept */

static struct peer	 sealer;
static struct event	 sealerlink_status_ev;
static char		*sealerlink_status;
static size_t		 sealerlink_status_len;

static void	 sealerlink_up(struct peer *);
static void	 sealerlink_down(struct peer *);
static void	 sealerlink_status_ask(int, short, void *);
static int	 sealerlink_on_done(struct msg *, void *);
static int	 sealerlink_on_fail(struct msg *, void *);
static int	 sealerlink_status_keep(struct msg *, void *);

/* sealerd answers each lot with its seal or a failure, and the status. */
static const struct msg_entry sealerlink_msgs[] = {
	{ IMSG_SEAL_DONE, MSG_SEALERD, MSG_FD_NONE, sealerlink_on_done },
	{ IMSG_SEAL_FAIL, MSG_SEALERD, MSG_FD_NONE, sealerlink_on_fail },
	{ IMSG_SEALER_STATUS, MSG_SEALERD, MSG_FD_NONE, sealerlink_status_keep },
};
static const struct msg_table sealerlink_table = MSG_TABLE(SOCK_SEALER,
    sealerlink_msgs);

void
sealerlink_init(const char *dir, uid_t uid)
{
	struct peer_cb	 cb;

	sealqueue_queue_init();

	memset(&cb, 0, sizeof(cb));
	cb.table = &sealerlink_table;
	cb.on_up = sealerlink_up;
	cb.on_down = sealerlink_down;
	peer_connect(&sealer, dir, SOCK_SEALER, uid, "stored", &cb);
	evtimer_set(&sealerlink_status_ev, sealerlink_status_ask, NULL);
}

/* The last status sealerd gave, as a JSON object, or NULL. */
const char *
sealerlink_status_json(size_t *lenp)
{
	if (!sealerlink_ready() || sealerlink_status == NULL)
		return NULL;
	*lenp = sealerlink_status_len;
	return sealerlink_status;
}

static void
sealerlink_status_ask(int fd, short ev, void *arg)
{
	struct timeval	 tv = { SEALER_STATUS_EVERY, 0 };

	if (sealerlink_ready())
		(void)peer_compose(&sealer, IMSG_SEALER_STATUS, NULL, 0);
	evtimer_add(&sealerlink_status_ev, &tv);
}

/* Keep a status that looks like one JSON object; anything else is not. */
static int
sealerlink_status_keep(struct msg *m, void *arg)
{
	const void	*skip;
	char		*copy;
	size_t		 len = m_left(m);

	/* What does not look like a JSON object is not shown. */
	if (len > SEALER_STATUS_MAX)
		return m_get_ptr(m, &skip, len);
	if (m_get_dup(m, &copy, len) == -1)
		return -1;
	if (len < 2 || copy[0] != '{' || copy[len - 1] != '}' ||
	    strlen(copy) != len) {
		free(copy);
		return 0;
	}
	free(sealerlink_status);
	sealerlink_status = copy;
	sealerlink_status_len = len;
	return 0;
}

static int
sealerlink_on_done(struct msg *m, void *arg)
{
	return sealqueue_done(m);
}

static int
sealerlink_on_fail(struct msg *m, void *arg)
{
	return sealqueue_fail(m);
}

int
sealerlink_ready(void)
{
	return sealer.state == PEER_UP;
}

void
sealerlink_close(void)
{
	peer_close(&sealer);
}

static void
sealerlink_up(struct peer *p)
{
	sealqueue_kick();
	sealerlink_status_ask(-1, 0, NULL);
}

/* What was at sealerd is lost with the link: sent again later. */
static void
sealerlink_down(struct peer *p)
{
	sealqueue_lost();
}

/* A lot to sealerd; -1 if the link is not up (sent again later). */
int
sealerlink_send_lot(const struct iovec *iov, int n)
{
	if (peer_composev(&sealer, IMSG_SEAL_LOT, iov, n) == -1) {
		log_warn("%s to sealerd", proto_type_name(IMSG_SEAL_LOT));
		return -1;
	}
	return 0;
}
