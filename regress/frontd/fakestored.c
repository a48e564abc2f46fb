/*
 * A stand-in for stored that refuses every deposit with the refusal
 * code it is given, so that frontd's side of IMSG_DEPOSIT_ERR is tested
 * against a peer that can send what stored never would; and that has
 * no checkpoint yet.
 * Usage: fakestored DIR CODE, CODE a number sent as it is, or http:NNN
 * for the catalogue's refusal of that HTTP status.  It listens on
 * DIR/stored.sock for peers of its own uid until killed.
 */
#include <sys/types.h>
#include <sys/uio.h>

#include <err.h>
#include <event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "imsg.h"
#include "log.h"
#include "msg.h"
#include "peer.h"
#include "proto.h"
#include "refusal.h"

static uint32_t	 code;

static int	 fake_deposit(struct msg *, void *);
static int	 fake_ignore(struct msg *, void *);
static int	 fake_checkpoint(struct msg *, void *);

static const struct msg_entry fake_msgs[] = {
	{ IMSG_DEPOSIT, MSG_FRONTD, MSG_FD_NONE, fake_deposit },
	{ IMSG_LOT_GET, MSG_FRONTD, MSG_FD_NONE, fake_ignore },
	{ IMSG_STATUS_GET, MSG_FRONTD, MSG_FD_NONE, fake_ignore },
	{ IMSG_REQUESTS_GET, MSG_FRONTD, MSG_FD_NONE, fake_ignore },
	{ IMSG_EXPORT_START, MSG_FRONTD, MSG_FD_NONE, fake_ignore },
	{ IMSG_EXPORT_MORE, MSG_FRONTD, MSG_FD_NONE, fake_ignore },
	{ IMSG_EXPORT_CANCEL, MSG_FRONTD, MSG_FD_NONE, fake_ignore },
	{ IMSG_CHECKPOINT_GET, MSG_FRONTD, MSG_FD_NONE, fake_checkpoint },
};
static const struct msg_table fake_table = MSG_TABLE(SOCK_STORED, fake_msgs);

/* What the stand-in does not answer is read whole and dropped. */
static int
fake_ignore(struct msg *m, void *arg)
{
	const void	*p;

	return m_get_ptr(m, &p, m_left(m));
}

/* A vault in its first seconds: no checkpoint sealed yet. */
static int
fake_checkpoint(struct msg *m, void *arg)
{
	struct peer		*p = arg;
	struct status_get	 req;
	struct lot_data		 d;

	if (m_get_struct(m, proto_status_get, &req) == -1 || m_end(m) == -1)
		return -1;
	memset(&d, 0, sizeof(d));
	d.reqid = req.reqid;
	d.state = LOT_UNKNOWN;
	peer_compose(p, IMSG_CHECKPOINT_DATA, &d, sizeof(d));
	return 0;
}

static int
fake_deposit(struct msg *m, void *arg)
{
	struct peer		*p = arg;
	struct deposit_req	 req;
	struct deposit_err	 e;
	const void		*rest;

	if (m_get_struct(m, proto_deposit_req, &req) == -1 ||
	    m_get_ptr(m, &rest, m_left(m)) == -1)
		return -1;
	memset(&e, 0, sizeof(e));
	e.reqid = req.reqid;
	e.code = code;
	e.index = -1;
	strlcpy(e.error, "refused by the stand-in", sizeof(e.error));
	strlcpy(e.detail, "its own detail", sizeof(e.detail));
	printf("deposit %llu refused with code %u\n",
	    (unsigned long long)req.reqid, code);
	fflush(stdout);
	peer_compose(p, IMSG_DEPOSIT_ERR, &e, sizeof(e));
	return 0;
}

int
main(int argc, char *argv[])
{
	static struct peer_listener	 l;
	const struct refusal_info	*rf;
	struct peer_cb			 cb = { &fake_table, NULL, NULL,
					    NULL };
	struct peer_allow		 allow;
	const char			*errstr;
	uid_t				 uid = geteuid();

	if (argc != 3)
		errx(2, "usage: fakestored dir code");
	if (strncmp(argv[2], "http:", 5) == 0) {
		if ((rf = refusal_by_http(atoi(argv[2] + 5))) == NULL)
			errx(2, "no refusal for %s", argv[2]);
		code = rf->code;
	} else {
		code = (uint32_t)strtonum(argv[2], 0, UINT32_MAX, &errstr);
		if (errstr != NULL)
			errx(2, "code %s: %s", argv[2], errstr);
	}
	log_init(1, 1, LOG_DAEMON);
	log_procinit("fakestored");
	event_init();
	allow.name = "frontd";
	allow.uid = uid;
	if (peer_listen(&l, argv[1], SOCK_STORED, 0600, &allow, 1, &cb) == -1)
		err(2, "listen on %s/%s", argv[1], SOCK_STORED);
	printf("listening\n");
	fflush(stdout);
	event_dispatch();
	return 1;
}
