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
#include "stored.h"

/* sealerd's own status (token, clock), asked for now and then. */
#define SEALER_STATUS_EVERY	5	/* seconds */
#define SEALER_STATUS_MAX	4096	/* bytes of JSON kept */

static struct peer	 sealer;
static struct event	 sealer_status_ev;
static char		*sealer_status;
static size_t		 sealer_status_len;

static void	 sealer_up(struct peer *);
static void	 sealer_down(struct peer *);
static void	 sealer_status_ask(int, short, void *);
static int	 sealer_on_done(struct msg *, void *);
static int	 sealer_on_fail(struct msg *, void *);
static int	 sealer_status_keep(struct msg *, void *);
static int	 sealer_on_checkpoint(struct msg *, void *);
static int	 sealer_on_checkpoint_fail(struct msg *, void *);

/* sealerd answers each lot with its seal or a failure, and the status. */
static const struct msg_entry sealer_msgs[] = {
	{ IMSG_SEAL_DONE, MSG_SEALERD, MSG_FD_NONE, sealer_on_done },
	{ IMSG_SEAL_FAIL, MSG_SEALERD, MSG_FD_NONE, sealer_on_fail },
	{ IMSG_SEALER_STATUS, MSG_SEALERD, MSG_FD_NONE, sealer_status_keep },
	{ IMSG_CHECKPOINT_DONE, MSG_SEALERD, MSG_FD_NONE,
	    sealer_on_checkpoint },
	{ IMSG_CHECKPOINT_FAIL, MSG_SEALERD, MSG_FD_NONE,
	    sealer_on_checkpoint_fail },
};
static const struct msg_table sealer_table = MSG_TABLE(SOCK_SEALER,
    sealer_msgs);

void
sealer_init(const char *dir, uid_t uid)
{
	struct peer_cb	 cb;

	sealqueue_queue_init();

	memset(&cb, 0, sizeof(cb));
	cb.table = &sealer_table;
	cb.on_up = sealer_up;
	cb.on_down = sealer_down;
	peer_connect(&sealer, dir, SOCK_SEALER, uid, "stored", &cb);
	evtimer_set(&sealer_status_ev, sealer_status_ask, NULL);
	checkpoint_init();
}

/* The last status sealerd gave, as a JSON object, or NULL. */
const char *
sealer_status_json(size_t *lenp)
{
	if (!sealer_ready() || sealer_status == NULL)
		return NULL;
	*lenp = sealer_status_len;
	return sealer_status;
}

static void
sealer_status_ask(int fd, short ev, void *arg)
{
	struct timeval	 tv = { SEALER_STATUS_EVERY, 0 };

	if (sealer_ready())
		(void)peer_compose(&sealer, IMSG_SEALER_STATUS, NULL, 0);
	evtimer_add(&sealer_status_ev, &tv);
}

/* Keep a status that looks like one JSON object; anything else is not. */
static int
sealer_status_keep(struct msg *m, void *arg)
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
	free(sealer_status);
	sealer_status = copy;
	sealer_status_len = len;
	return 0;
}

static int
sealer_on_done(struct msg *m, void *arg)
{
	return sealqueue_done(m);
}

static int
sealer_on_fail(struct msg *m, void *arg)
{
	return sealqueue_fail(m);
}

static int
sealer_on_checkpoint(struct msg *m, void *arg)
{
	return checkpoint_done(m);
}

static int
sealer_on_checkpoint_fail(struct msg *m, void *arg)
{
	return checkpoint_fail(m);
}

int
sealer_ready(void)
{
	return sealer.state == PEER_UP;
}

void
sealer_close(void)
{
	peer_close(&sealer);
}

static void
sealer_up(struct peer *p)
{
	sealqueue_kick();
	sealer_status_ask(-1, 0, NULL);
	checkpoint_sealer_up();
}

/* What was at sealerd is lost with the link: sent again later. */
static void
sealer_down(struct peer *p)
{
	sealqueue_lost();
	checkpoint_sealer_down();
}

/* A lot to sealerd; -1 if the link is not up (sent again later). */
int
sealer_send_lot(const struct iovec *iov, int n)
{
	if (peer_composev(&sealer, IMSG_SEAL_LOT, iov, n) == -1) {
		log_warn("%s to sealerd", proto_type_name(IMSG_SEAL_LOT));
		return -1;
	}
	return 0;
}

/* A checkpoint to seal; -1 if the link is not up (asked again later). */
int
sealer_send_checkpoint(const void *req, size_t len)
{
	if (peer_compose(&sealer, IMSG_CHECKPOINT_MAKE, req, len) == -1) {
		log_warn("%s to sealerd", proto_type_name(IMSG_CHECKPOINT_MAKE));
		return -1;
	}
	return 0;
}
