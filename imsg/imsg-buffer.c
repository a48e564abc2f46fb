/*
 * Growable buffers and the write queue of a socket: queued buffers leave
 * in order through sendmsg(), a descriptor attached to a buffer travels
 * with the buffer's first byte (SCM_RIGHTS) and is closed once sent.
 */
#include <sys/types.h>
#include <sys/queue.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "imsg.h"

#ifndef IOV_MAX
#define IOV_MAX		1024	/* Linux UIO_MAXIOV */
#endif

static int	ibuf_grow(struct ibuf *, size_t);
static void	msgbuf_drain(struct msgbuf *, size_t);
static void	msgbuf_dequeue(struct msgbuf *, struct ibuf *);

struct ibuf *
ibuf_open(size_t len)
{
	return ibuf_dynamic(len, len);
}

/* A buffer of len bytes that may grow up to max bytes. */
struct ibuf *
ibuf_dynamic(size_t len, size_t max)
{
	struct ibuf	*buf;

	if (max < len) {
		errno = EINVAL;
		return NULL;
	}
	if ((buf = calloc(1, sizeof(*buf))) == NULL)
		return NULL;
	if (len > 0 && (buf->buf = malloc(len)) == NULL) {
		free(buf);
		return NULL;
	}
	buf->size = len;
	buf->max = max;
	buf->fd = -1;
	return buf;
}

static int
ibuf_grow(struct ibuf *buf, size_t need)
{
	unsigned char	*p;
	size_t		 size;

	if (need > buf->max - buf->wpos) {
		errno = EMSGSIZE;
		return -1;
	}
	if (buf->wpos + need <= buf->size)
		return 0;
	/* Double, so that many small additions stay linear. */
	size = buf->size < 64 ? 64 : buf->size;
	while (size < buf->wpos + need)
		size = size > buf->max / 2 ? buf->max : size * 2;
	if (size > buf->max)
		size = buf->max;
	if ((p = realloc(buf->buf, size)) == NULL)
		return -1;
	buf->buf = p;
	buf->size = size;
	return 0;
}

void *
ibuf_reserve(struct ibuf *buf, size_t len)
{
	void	*p;

	if (ibuf_grow(buf, len) == -1)
		return NULL;
	p = buf->buf + buf->wpos;
	buf->wpos += len;
	return p;
}

int
ibuf_add(struct ibuf *buf, const void *data, size_t len)
{
	void	*p;

	if (len == 0)
		return 0;
	if ((p = ibuf_reserve(buf, len)) == NULL)
		return -1;
	memcpy(p, data, len);
	return 0;
}

size_t
ibuf_size(const struct ibuf *buf)
{
	return buf->wpos;
}

void
ibuf_free(struct ibuf *buf)
{
	if (buf == NULL)
		return;
	if (buf->fd != -1)
		close(buf->fd);
	free(buf->buf);
	free(buf);
}

/* Hand the buffer to the write queue, which now owns it. */
void
ibuf_close(struct msgbuf *msgbuf, struct ibuf *buf)
{
	TAILQ_INSERT_TAIL(&msgbuf->bufs, buf, entry);
	msgbuf->queued++;
}

void
msgbuf_init(struct msgbuf *msgbuf)
{
	TAILQ_INIT(&msgbuf->bufs);
	msgbuf->queued = 0;
	msgbuf->fd = -1;
}

static void
msgbuf_dequeue(struct msgbuf *msgbuf, struct ibuf *buf)
{
	TAILQ_REMOVE(&msgbuf->bufs, buf, entry);
	msgbuf->queued--;
	ibuf_free(buf);
}

void
msgbuf_clear(struct msgbuf *msgbuf)
{
	struct ibuf	*buf;

	while ((buf = TAILQ_FIRST(&msgbuf->bufs)) != NULL)
		msgbuf_dequeue(msgbuf, buf);
}

/* Account for n bytes sent from the head of the queue. */
static void
msgbuf_drain(struct msgbuf *msgbuf, size_t n)
{
	struct ibuf	*buf;
	size_t		 left;

	while (n > 0 && (buf = TAILQ_FIRST(&msgbuf->bufs)) != NULL) {
		left = buf->wpos - buf->rpos;
		if (n < left) {
			buf->rpos += n;
			return;
		}
		n -= left;
		msgbuf_dequeue(msgbuf, buf);
	}
}

/*
 * Send as much of the queue as the socket takes.  One sendmsg() carries
 * at most one descriptor, that of the first buffer; the iovec stops
 * before the next buffer carrying one so each fd leaves with its message.
 */
int
msgbuf_write(struct msgbuf *msgbuf)
{
	struct iovec	 iov[IOV_MAX];
	union {
		struct cmsghdr	hdr;
		char		buf[CMSG_SPACE(sizeof(int))];
	} cmsgbuf;
	struct msghdr	 msg;
	struct cmsghdr	*cmsg;
	struct ibuf	*buf, *first;
	ssize_t		 n;
	int		 i = 0;

	if ((first = TAILQ_FIRST(&msgbuf->bufs)) == NULL)
		return 1;
	memset(&msg, 0, sizeof(msg));
	TAILQ_FOREACH(buf, &msgbuf->bufs, entry) {
		if (i >= IOV_MAX || (buf != first && buf->fd != -1))
			break;
		iov[i].iov_base = buf->buf + buf->rpos;
		iov[i].iov_len = buf->wpos - buf->rpos;
		i++;
	}
	msg.msg_iov = iov;
	msg.msg_iovlen = i;
	if (first->fd != -1) {
		memset(&cmsgbuf, 0, sizeof(cmsgbuf));
		msg.msg_control = cmsgbuf.buf;
		msg.msg_controllen = sizeof(cmsgbuf.buf);
		cmsg = CMSG_FIRSTHDR(&msg);
		cmsg->cmsg_len = CMSG_LEN(sizeof(int));
		cmsg->cmsg_level = SOL_SOCKET;
		cmsg->cmsg_type = SCM_RIGHTS;
		memcpy(CMSG_DATA(cmsg), &first->fd, sizeof(int));
	}

	do {
		n = sendmsg(msgbuf->fd, &msg, MSG_NOSIGNAL);
	} while (n == -1 && errno == EINTR);
	if (n == -1) {
		if (errno == ENOBUFS || errno == EWOULDBLOCK)
			errno = EAGAIN;
		return -1;
	}
	if (n == 0) {
		errno = 0;
		return 0;
	}
	/* The descriptor left with the first byte: it is the peer's now. */
	if (first->fd != -1) {
		close(first->fd);
		first->fd = -1;
	}
	msgbuf_drain(msgbuf, n);
	return 1;
}
