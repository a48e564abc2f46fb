/*
 * The meeting of two daemons (common/peer.c) as a listener holds it: a
 * connection from an allowed uid is accepted on a real socket, and what
 * the peer writes (the input) is read through imsg_read() and
 * imsg_get(): the HELLO first (version, a name its uid may take), then
 * messages to the listener's table with the sender bit of that name.
 * The table takes what frontd and stored may send and reads each to
 * its end; answers are queued to the peer.  The peer hangs up after the
 * input, and the listener must let go of it.
 */
#include "../common/peer.c"

#include <fcntl.h>

#include "msg.h"
#include "proto.h"
#include "drive.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);
int	LLVMFuzzerInitialize(int *, char ***);

static struct peer_listener	 listener;
static char			 dir[] = "/tmp/cfjl-fuzz-peer.XXXXXX";

static int
peer_fuzz_any(struct msg *m, void *arg)
{
	const void	*p;

	return m_get_ptr(m, &p, m_left(m));
}

static int
peer_fuzz_answer(struct msg *m, void *arg)
{
	struct peer		*p = arg;
	struct lot_get		 lg;

	if (m_get_struct(m, proto_lot_get, &lg) == -1 || m_end(m) == -1)
		return -1;
	return peer_compose(p, IMSG_LOT_DATA, NULL, 0) == -1 ? m_fail(m,
	    "not up") : 0;
}

static const struct msg_entry peer_fuzz_msgs[] = {
	{ IMSG_DEPOSIT, MSG_FRONTD, MSG_FD_NONE, peer_fuzz_any },
	{ IMSG_LOT_GET, MSG_FRONTD, MSG_FD_NONE, peer_fuzz_answer },
	{ IMSG_AUDIT, MSG_FRONTD | MSG_STORED, MSG_FD_NONE, peer_fuzz_any },
	{ IMSG_SEAL_LOT, MSG_STORED, MSG_FD_NONE, peer_fuzz_any },
};
static const struct msg_table peer_fuzz_table = MSG_TABLE("fuzz.sock",
    peer_fuzz_msgs);

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct peer_allow	 allow[] = {
		{ "frontd", (uid_t)-1 },
		{ "stored", (uid_t)-1 },
	};
	struct peer_cb		 cb;

	drive_init("peer");
	if (mkdtemp(dir) == NULL)
		abort();
	memset(&cb, 0, sizeof(cb));
	cb.table = &peer_fuzz_table;
	if (peer_listen(&listener, dir, "fuzz.sock", 0600, allow, 2,
	    &cb) == -1)
		abort();
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct peer	*p;
	char		 buf[4096];
	int		 fd, rounds;

	if ((fd = sock_connect(dir, "fuzz.sock")) == -1 ||
	    fcntl(fd, F_SETFL, O_NONBLOCK) == -1)
		abort();
	peer_accept(listener.fd, EV_READ, &listener);
	if ((p = TAILQ_FIRST(&listener.peers)) == NULL)
		abort();
	if (size > 0 && write(fd, data, size) != (ssize_t)size)
		abort();
	shutdown(fd, SHUT_WR);
	for (rounds = 0; rounds < 64 && TAILQ_FIRST(&listener.peers) == p;
	    rounds++) {
		peer_dispatch(p->iev.ibuf.fd, EV_READ, p);
		while (read(fd, buf, sizeof(buf)) > 0)
			;
	}
	/* A peer that hung up is gone from the listener. */
	if (!TAILQ_EMPTY(&listener.peers))
		abort();
	close(fd);
	return 0;
}
