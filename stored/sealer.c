/*
 * The link to sealerd (sealer.sock): closed lots go there one at a time
 * (lot.c decides which), seals come back.  The link is redialed with
 * backoff; whatever was in flight is sent again once it is back.
 */
#include <sys/types.h>
#include <sys/uio.h>

#include <string.h>

#include "config.h"
#include "log.h"
#include "peer.h"
#include "stored.h"

static struct peer	 sealer;

static int	 sealer_msg(struct peer *, struct imsg *);
static void	 sealer_up(struct peer *);
static void	 sealer_down(struct peer *);

void
sealer_init(const char *dir, uid_t uid)
{
	struct peer_cb	 cb;

	memset(&cb, 0, sizeof(cb));
	cb.on_msg = sealer_msg;
	cb.on_up = sealer_up;
	cb.on_down = sealer_down;
	peer_connect(&sealer, dir, SOCK_SEALER, uid, "stored", &cb);
}

int
sealer_ready(void)
{
	return sealer.state == PEER_UP;
}

int
sealer_send(uint32_t type, const struct iovec *iov, int n)
{
	if (peer_composev(&sealer, type, iov, n) == -1) {
		log_warn("%s to sealerd", stored_type_name(type));
		return -1;
	}
	return 0;
}

void
sealer_close(void)
{
	peer_close(&sealer);
}

static void
sealer_up(struct peer *p)
{
	lot_sealer_up();
}

static void
sealer_down(struct peer *p)
{
	lot_sealer_down();
}

static int
sealer_msg(struct peer *p, struct imsg *imsg)
{
	size_t	 len = imsg_get_len(imsg);

	switch (imsg->hdr.type) {
	case IMSG_SEAL_DONE:
		if (lot_seal_done(imsg->data, len) == -1)
			return PEER_UNKNOWN;
		return PEER_HANDLED;
	case IMSG_SEAL_FAIL:
		if (lot_seal_fail(imsg->data, len) == -1)
			return PEER_UNKNOWN;
		return PEER_HANDLED;
	case IMSG_SEALER_STATUS:
		/* Unasked-for status reports are harmless: ignored. */
		return PEER_HANDLED;
	default:
		return PEER_UNKNOWN;
	}
}
