/*
 * Unit tests of the imsg library over socketpairs: framing, partial
 * reads and writes, descriptor passing, and every refusal of a malformed
 * or oversized stream.  One line per check; exit 1 on any failure.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "imsg.h"
#include "proto.h"
#include "unit.h"

static int	pump(struct imsgbuf *, struct imsgbuf *, struct imsg *);
static void	raw_header(int, uint32_t, uint32_t, uint32_t);
static void	test_roundtrip(void);
static void	test_many(void);
static void	test_bytewise(void);
static void	test_partial_write(void);
static void	test_fd(void);
static void	test_ctrunc(void);
static void	test_oversize(void);
static void	test_short_len(void);
static void	test_truncated(void);
static void	test_max(void);
static void	test_composev(void);
static void	test_maxsize(void);

/*
 * Move bytes from w's queue to r until r yields one message or nothing
 * moves any more (both sockets non-blocking).  Returns imsg_get's value.
 */
static int
pump(struct imsgbuf *w, struct imsgbuf *r, struct imsg *imsg)
{
	ssize_t	 n;
	int	 rounds;

	for (rounds = 0; rounds < 100000; rounds++) {
		if ((n = imsg_get(r, imsg)) != 0)
			return (int)n;
		if (w->w.queued > 0 && msgbuf_write(&w->w) == -1 &&
		    errno != EAGAIN)
			return -1;
		if ((n = imsg_read(r)) == -1 && errno != EAGAIN)
			return -1;
		if (n == 0)
			return 0;
		if (n == -1 && w->w.queued == 0)
			return 0;
	}
	return 0;
}

static void
raw_header(int fd, uint32_t type, uint32_t len, uint32_t flags)
{
	struct imsg_hdr	 hdr;

	memset(&hdr, 0, sizeof(hdr));
	hdr.type = type;
	hdr.len = len;
	hdr.flags = flags;
	if (write(fd, &hdr, sizeof(hdr)) != sizeof(hdr)) {
		perror("write");
		exit(2);
	}
}

static void
test_roundtrip(void)
{
	struct imsgbuf	 a, b;
	struct imsg	 imsg;
	int		 sv[2];

	pair(sv, 0);
	imsg_init(&a, sv[0]);
	imsg_init(&b, sv[1]);
	check(imsg_compose(&a, IMSG_HELLO, 42, 0, -1, "hello", 5) == 1,
	    "compose");
	check(imsg_queued(&a) == 1, "one message queued");
	check(imsg_flush(&a) == 0 && imsg_queued(&a) == 0, "flush");
	check(imsg_read(&b) == (ssize_t)(IMSG_HEADER_SIZE + 5), "read");
	check(imsg_get(&b, &imsg) == (ssize_t)(IMSG_HEADER_SIZE + 5),
	    "get whole message");
	check(imsg.hdr.type == IMSG_HELLO && imsg.hdr.peerid == 42 &&
	    imsg.hdr.pid == (uint32_t)getpid() && imsg.fd == -1,
	    "header fields");
	check(imsg_get_len(&imsg) == 5 && memcmp(imsg.data, "hello", 5) == 0,
	    "payload");
	imsg_free(&imsg);
	check(imsg_get(&b, &imsg) == 0, "nothing more");

	/* An empty message has no data. */
	imsg_compose(&a, IMSG_ROLES_END, 0, 0, -1, NULL, 0);
	imsg_flush(&a);
	imsg_read(&b);
	check(imsg_get(&b, &imsg) == (ssize_t)IMSG_HEADER_SIZE &&
	    imsg_get_len(&imsg) == 0 && imsg.data == NULL, "empty message");
	imsg_free(&imsg);
	imsg_clear(&a);
	imsg_clear(&b);
	close(sv[0]);
	close(sv[1]);
}

static void
test_many(void)
{
	struct imsgbuf	 a, b;
	struct imsg	 imsg;
	uint32_t	 i, v;
	int		 sv[2], ok = 1;
	ssize_t		 n;

	pair(sv, 0);
	imsg_init(&a, sv[0]);
	imsg_init(&b, sv[1]);
	for (i = 0; i < 1000; i++)
		imsg_compose(&a, IMSG_AUDIT, i, 0, -1, &i, sizeof(i));
	check(imsg_flush(&a) == 0, "flush 1000 messages");
	n = imsg_read(&b);
	check(n == 1000 * (ssize_t)(IMSG_HEADER_SIZE + 4),
	    "1000 messages in one read");
	for (i = 0; i < 1000; i++) {
		if (imsg_get(&b, &imsg) <= 0) {
			ok = 0;
			break;
		}
		memcpy(&v, imsg.data, sizeof(v));
		if (v != i || imsg.hdr.peerid != i)
			ok = 0;
		imsg_free(&imsg);
	}
	check(ok, "1000 messages in order");
	check(imsg_get(&b, &imsg) == 0, "then none");
	check(b.r.size == IBUF_READ_SIZE, "read buffer stayed small");
	imsg_clear(&a);
	imsg_clear(&b);
	close(sv[0]);
	close(sv[1]);
}

static void
test_bytewise(void)
{
	struct imsgbuf	 a, b;
	struct imsg	 imsg;
	struct ibuf	*buf;
	size_t		 i, len;
	int		 sv[2], early = 0, got = 0;

	pair(sv, 0);
	imsg_init(&a, sv[0]);
	imsg_init(&b, sv[1]);
	imsg_compose(&a, IMSG_STATUS, 1, 0, -1, "0123456789", 10);
	imsg_compose(&a, IMSG_STATUS, 2, 0, -1, "abc", 3);
	/* Send the queue one byte at a time, reading after each. */
	buf = TAILQ_FIRST(&a.w.bufs);
	len = ibuf_size(buf);
	for (i = 0; i < 2 * IMSG_HEADER_SIZE + 13; i++) {
		if (i == len)
			buf = TAILQ_NEXT(buf, entry);
		if (write(sv[0], buf->buf + (i < len ? i : i - len), 1) != 1)
			exit(2);
		if (imsg_read(&b) != 1)
			early = 1;
		while (imsg_get(&b, &imsg) > 0) {
			got++;
			if (got == 1 && i != len - 1)
				early = 1;
			if (got == 1 && memcmp(imsg.data, "0123456789", 10))
				early = 1;
			if (got == 2 && memcmp(imsg.data, "abc", 3))
				early = 1;
			imsg_free(&imsg);
		}
	}
	check(!early && got == 2, "byte-at-a-time reads yield both messages");
	imsg_clear(&a);
	imsg_clear(&b);
	close(sv[0]);
	close(sv[1]);
}

static void
test_partial_write(void)
{
	struct imsgbuf	 a, b;
	struct imsg	 imsg;
	unsigned char	*data;
	size_t		 len = 1024 * 1024, i;
	int		 sv[2], blocked = 0, ok = 1, got = 0, rounds;

	if ((data = malloc(len)) == NULL)
		exit(2);
	for (i = 0; i < len; i++)
		data[i] = (unsigned char)(i * 7);
	pair(sv, 1);
	imsg_init(&a, sv[0]);
	imsg_init(&b, sv[1]);
	for (i = 0; i < 4; i++)
		imsg_compose(&a, IMSG_EXPORT_CHUNK, (uint32_t)i, 0, -1, data,
		    len);
	/* Fill the socket until it refuses more. */
	for (rounds = 0; rounds < 1000; rounds++) {
		if (msgbuf_write(&a.w) == -1) {
			blocked = errno == EAGAIN;
			break;
		}
	}
	check(blocked && imsg_queued(&a) > 0, "write queue stops at EAGAIN");
	while (got < 4) {
		if (pump(&a, &b, &imsg) <= 0)
			break;
		if (imsg.hdr.peerid != (uint32_t)got ||
		    imsg_get_len(&imsg) != len || memcmp(imsg.data, data, len))
			ok = 0;
		imsg_free(&imsg);
		got++;
	}
	check(ok && got == 4 && imsg_queued(&a) == 0,
	    "partial writes resume and deliver 4 x 1 MiB intact");
	check(b.r.size == IBUF_READ_SIZE, "read buffer shrank back");
	free(data);
	imsg_clear(&a);
	imsg_clear(&b);
	close(sv[0]);
	close(sv[1]);
}

static void
test_fd(void)
{
	struct imsgbuf	 a, b;
	struct imsg	 imsg;
	char		 c = 0;
	int		 sv[2], p[2], q[2], fd1 = -1, fd2 = -1;

	pair(sv, 0);
	if (pipe(p) == -1 || pipe(q) == -1)
		exit(2);
	imsg_init(&a, sv[0]);
	imsg_init(&b, sv[1]);
	imsg_compose(&a, IMSG_JOURNAL_SIGN, 0, 0, p[0], "x", 1);
	imsg_compose(&a, IMSG_AUDIT, 0, 0, -1, "y", 1);
	imsg_compose(&a, IMSG_JOURNAL_SIGN, 0, 0, q[0], "z", 1);
	check(imsg_flush(&a) == 0, "flush with descriptors");
	check(fcntl(p[0], F_GETFD) == -1 && errno == EBADF,
	    "sent descriptor closed by the sender");
	while (imsg_read(&b) > 0 && b.r.wpos < 3 * (IMSG_HEADER_SIZE + 1))
		;
	if (imsg_get(&b, &imsg) > 0)
		fd1 = imsg.fd;
	imsg_free(&imsg);
	check(imsg_get(&b, &imsg) > 0 && imsg.fd == -1,
	    "message without fd has none");
	imsg_free(&imsg);
	if (imsg_get(&b, &imsg) > 0)
		fd2 = imsg.fd;
	imsg_free(&imsg);
	check(fd1 != -1 && fd2 != -1, "both descriptors received");
	check(fd1 != -1 && (fcntl(fd1, F_GETFD) & FD_CLOEXEC),
	    "received descriptor is close-on-exec");
	if (write(p[1], "P", 1) != 1 || write(q[1], "Q", 1) != 1)
		exit(2);
	check(fd1 != -1 && read(fd1, &c, 1) == 1 && c == 'P',
	    "first pipe reads through its message");
	check(fd2 != -1 && read(fd2, &c, 1) == 1 && c == 'Q',
	    "second pipe reads through its message");
	close(fd1);
	close(fd2);
	close(p[1]);
	close(q[1]);

	/* A flag without a descriptor is malformed. */
	raw_header(sv[0], IMSG_AUDIT, IMSG_HEADER_SIZE, IMSGF_HASFD);
	imsg_read(&b);
	check(imsg_get(&b, &imsg) == -1 && errno == EBADMSG,
	    "HASFD without a descriptor: EBADMSG");
	imsg_clear(&a);
	imsg_clear(&b);
	close(sv[0]);
	close(sv[1]);
}

/* More descriptors in one go than the reader has room for. */
static void
test_ctrunc(void)
{
	struct imsgbuf	 b;
	union {
		struct cmsghdr	hdr;
		char		buf[CMSG_SPACE(sizeof(int) * 40)];
	} cmsgbuf;
	struct msghdr	 msg;
	struct cmsghdr	*cmsg;
	struct iovec	 iov;
	int		 sv[2], fds[40], p[2], i;
	char		 c = 0;

	pair(sv, 0);
	if (pipe(p) == -1)
		exit(2);
	for (i = 0; i < 40; i++)
		fds[i] = p[0];
	memset(&msg, 0, sizeof(msg));
	iov.iov_base = &c;
	iov.iov_len = 1;
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	msg.msg_control = cmsgbuf.buf;
	msg.msg_controllen = sizeof(cmsgbuf.buf);
	cmsg = CMSG_FIRSTHDR(&msg);
	cmsg->cmsg_len = CMSG_LEN(sizeof(fds));
	cmsg->cmsg_level = SOL_SOCKET;
	cmsg->cmsg_type = SCM_RIGHTS;
	memcpy(CMSG_DATA(cmsg), fds, sizeof(fds));
	if (sendmsg(sv[0], &msg, 0) != 1)
		exit(2);
	close(p[0]);
	imsg_init(&b, sv[1]);
	check(imsg_read(&b) == -1 && errno == EMSGSIZE,
	    "truncated control data (MSG_CTRUNC): EMSGSIZE");
	check(b.nfds == 0, "no descriptor kept after MSG_CTRUNC");
	/* Every received copy was closed: the pipe has no reader left. */
	check(write(p[1], "x", 1) == -1 && errno == EPIPE,
	    "received descriptors were closed");
	close(p[1]);
	imsg_clear(&b);
	close(sv[0]);
	close(sv[1]);
}

static void
test_oversize(void)
{
	struct imsgbuf	 b;
	struct imsg	 imsg;
	int		 sv[2];

	/* The library's own default bound is the one the daemons set. */
	check(IMSG_MAXSIZE_DEFAULT == CFJL_MSG_MAX + IMSG_HEADER_SIZE,
	    "default bound: 4 MiB and a header, as the protocol's");
	pair(sv, 0);
	imsg_init(&b, sv[1]);
	raw_header(sv[0], IMSG_DEPOSIT, IMSG_MAXSIZE_DEFAULT + 1, 0);
	check(imsg_read(&b) == (ssize_t)IMSG_HEADER_SIZE, "read header");
	check(imsg_get(&b, &imsg) == -1 && errno == EMSGSIZE,
	    "header longer than the bound: EMSGSIZE");
	check(imsg_read(&b) == -1 && errno == EMSGSIZE,
	    "and the reader will not grow for it");
	check(b.r.size == IBUF_READ_SIZE, "buffer not grown");
	imsg_clear(&b);
	close(sv[0]);
	close(sv[1]);

	pair(sv, 0);
	imsg_init(&b, sv[1]);
	raw_header(sv[0], IMSG_DEPOSIT, UINT32_MAX, 0);
	imsg_read(&b);
	check(imsg_get(&b, &imsg) == -1 && errno == EMSGSIZE,
	    "header length 2^32-1: EMSGSIZE");
	imsg_clear(&b);
	close(sv[0]);
	close(sv[1]);
}

static void
test_short_len(void)
{
	struct imsgbuf	 b;
	struct imsg	 imsg;
	uint32_t	 len;
	int		 sv[2];

	for (len = 0; len < IMSG_HEADER_SIZE; len += 7) {
		pair(sv, 0);
		imsg_init(&b, sv[1]);
		raw_header(sv[0], IMSG_AUDIT, len, 0);
		imsg_read(&b);
		if (imsg_get(&b, &imsg) != -1 || errno != EBADMSG)
			break;
		imsg_clear(&b);
		close(sv[0]);
		close(sv[1]);
	}
	check(len >= IMSG_HEADER_SIZE,
	    "header length below the header size: EBADMSG");

	pair(sv, 0);
	imsg_init(&b, sv[1]);
	raw_header(sv[0], IMSG_AUDIT, IMSG_HEADER_SIZE, 0x80);
	imsg_read(&b);
	check(imsg_get(&b, &imsg) == -1 && errno == EBADMSG,
	    "unknown header flag: EBADMSG");
	imsg_clear(&b);
	close(sv[0]);
	close(sv[1]);
}

static void
test_truncated(void)
{
	struct imsgbuf	 b;
	struct imsg	 imsg;
	int		 sv[2];

	pair(sv, 0);
	imsg_init(&b, sv[1]);
	raw_header(sv[0], IMSG_AUDIT, IMSG_HEADER_SIZE + 100, 0);
	if (write(sv[0], "only forty bytes of a hundred...........", 40) != 40)
		exit(2);
	close(sv[0]);
	check(imsg_read(&b) > 0, "read the partial message");
	check(imsg_get(&b, &imsg) == 0, "incomplete message is not returned");
	check(imsg_read(&b) == 0, "then end of file");
	check(imsg_get(&b, &imsg) == 0 && b.r.wpos - b.r.rpos ==
	    IMSG_HEADER_SIZE + 40, "the fragment stays unconsumed");
	imsg_clear(&b);
	close(sv[1]);
}

static void
test_max(void)
{
	struct imsgbuf	 a, b;
	struct imsg	 imsg;
	unsigned char	*data;
	size_t		 i;
	int		 sv[2];

	if ((data = malloc(CFJL_MSG_MAX + 1)) == NULL)
		exit(2);
	for (i = 0; i < CFJL_MSG_MAX + 1; i++)
		data[i] = (unsigned char)(i ^ (i >> 8));
	pair(sv, 1);
	imsg_init(&a, sv[0]);
	imsg_init(&b, sv[1]);
	check(imsg_compose(&a, IMSG_LOT_DATA, 0, 0, -1, data, CFJL_MSG_MAX)
	    == 1, "compose a 4 MiB payload");
	check(pump(&a, &b, &imsg) > 0 && imsg_get_len(&imsg) == CFJL_MSG_MAX &&
	    memcmp(imsg.data, data, CFJL_MSG_MAX) == 0,
	    "4 MiB payload arrives intact");
	imsg_free(&imsg);
	check(b.r.size == IBUF_READ_SIZE, "read buffer shrank after it");
	check(imsg_compose(&a, IMSG_LOT_DATA, 0, 0, -1, data,
	    CFJL_MSG_MAX + 1) == -1 && errno == EMSGSIZE,
	    "compose 4 MiB + 1: EMSGSIZE");
	check(imsg_queued(&a) == 0, "nothing queued for it");

	/* A sender with a larger bound is refused by the reader. */
	imsgbuf_set_maxsize(&a, CFJL_MSG_MAX + IMSG_HEADER_SIZE + 1);
	check(imsg_compose(&a, IMSG_LOT_DATA, 0, 0, -1, data,
	    CFJL_MSG_MAX + 1) == 1, "compose 4 MiB + 1 with a larger bound");
	check(pump(&a, &b, &imsg) == -1 && errno == EMSGSIZE,
	    "reader refuses 4 MiB + 1: EMSGSIZE");
	free(data);
	imsg_clear(&a);
	imsg_clear(&b);
	close(sv[0]);
	close(sv[1]);
}

static void
test_composev(void)
{
	struct imsgbuf	 a, b;
	struct imsg	 imsg;
	struct iovec	 iov[3];
	struct ibuf	*wbuf;
	int		 sv[2];

	pair(sv, 0);
	imsg_init(&a, sv[0]);
	imsg_init(&b, sv[1]);
	iov[0].iov_base = "abc";
	iov[0].iov_len = 3;
	iov[1].iov_base = "";
	iov[1].iov_len = 0;
	iov[2].iov_base = "defgh";
	iov[2].iov_len = 5;
	check(imsg_composev(&a, IMSG_DEPOSIT, 9, 0, -1, iov, 3) == 1,
	    "composev");
	imsg_flush(&a);
	imsg_read(&b);
	check(imsg_get(&b, &imsg) > 0 && imsg_get_len(&imsg) == 8 &&
	    memcmp(imsg.data, "abcdefgh", 8) == 0 && imsg.hdr.peerid == 9,
	    "composev joins the pieces");
	imsg_free(&imsg);

	check((wbuf = imsg_create(&a, IMSG_STATUS, 0, 0, 4)) != NULL &&
	    imsg_add(wbuf, "12", 2) == 2 && imsg_add(wbuf, "3456", 4) == 4,
	    "create and add beyond the announced length");
	imsg_close(&a, wbuf);
	imsg_flush(&a);
	imsg_read(&b);
	check(imsg_get(&b, &imsg) > 0 && imsg_get_len(&imsg) == 6 &&
	    memcmp(imsg.data, "123456", 6) == 0, "create/add/close");
	imsg_free(&imsg);
	imsg_clear(&a);
	imsg_clear(&b);
	close(sv[0]);
	close(sv[1]);
}

static void
test_maxsize(void)
{
	struct imsgbuf	 a, b;
	struct imsg	 imsg;
	char		 data[100];
	int		 sv[2];

	memset(data, 'm', sizeof(data));
	pair(sv, 0);
	imsg_init(&a, sv[0]);
	imsg_init(&b, sv[1]);
	imsgbuf_set_maxsize(&b, IMSG_HEADER_SIZE + 50);
	imsg_compose(&a, IMSG_AUDIT, 0, 0, -1, data, 50);
	imsg_compose(&a, IMSG_AUDIT, 0, 0, -1, data, 51);
	imsg_flush(&a);
	imsg_read(&b);
	check(imsg_get(&b, &imsg) > 0 && imsg_get_len(&imsg) == 50,
	    "message at a small bound passes");
	imsg_free(&imsg);
	check(imsg_get(&b, &imsg) == -1 && errno == EMSGSIZE,
	    "one byte over a small bound: EMSGSIZE");
	imsg_clear(&a);
	imsg_clear(&b);
	close(sv[0]);
	close(sv[1]);
}

int
main(void)
{
	signal(SIGPIPE, SIG_IGN);
	test_roundtrip();
	test_many();
	test_bytewise();
	test_partial_write();
	test_fd();
	test_ctrunc();
	test_oversize();
	test_short_len();
	test_truncated();
	test_max();
	test_composev();
	test_maxsize();
	return unit_done();
}
