/*
 * imsg framing: reading bytes and descriptors from a Unix socket, cutting
 * them into messages under a hard size bound, and composing messages onto
 * the write queue.
 */
#include <sys/types.h>
#include <sys/queue.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "imsg.h"

struct imsg_fd {
	TAILQ_ENTRY(imsg_fd)	 entry;
	int			 fd;
};

static int	imsg_room(struct imsgbuf *);
static int	imsg_fd_push(struct imsgbuf *, int);
static int	imsg_fd_pop(struct imsgbuf *);
static void	imsg_shrink(struct imsgbuf *);

void
imsg_init(struct imsgbuf *ibuf, int fd)
{
	memset(ibuf, 0, sizeof(*ibuf));
	TAILQ_INIT(&ibuf->fds);
	msgbuf_init(&ibuf->w);
	ibuf->fd = fd;
	ibuf->w.fd = fd;
	ibuf->pid = getpid();
	ibuf->maxsize = IMSG_MAXSIZE_DEFAULT;
}

void
imsgbuf_set_maxsize(struct imsgbuf *ibuf, size_t max)
{
	if (max < IMSG_HEADER_SIZE)
		max = IMSG_HEADER_SIZE;
	if (max > UINT32_MAX)
		max = UINT32_MAX;
	ibuf->maxsize = max;
}

/*
 * Make room to read into: move the unread bytes to the front, and grow
 * to the length of the pending message when its header is in and it is
 * within the bound.  Outside large messages the buffer stays at
 * IBUF_READ_SIZE.
 */
static int
imsg_room(struct imsgbuf *ibuf)
{
	struct ibuf_read	*r = &ibuf->r;
	struct imsg_hdr		 hdr;
	unsigned char		*p;
	size_t			 avail, want = IBUF_READ_SIZE;

	if (r->rpos > 0) {
		avail = r->wpos - r->rpos;
		memmove(r->buf, r->buf + r->rpos, avail);
		r->wpos = avail;
		r->rpos = 0;
	}
	if (r->wpos >= IMSG_HEADER_SIZE) {
		memcpy(&hdr, r->buf, sizeof(hdr));
		if (hdr.len > ibuf->maxsize) {
			errno = EMSGSIZE;
			return -1;
		}
		if (hdr.len > want)
			want = hdr.len;
	}
	if (r->size >= want && r->wpos < r->size)
		return 0;
	if (want <= r->wpos) {
		/* A whole message sits unread: imsg_get() first. */
		errno = ENOBUFS;
		return -1;
	}
	if ((p = realloc(r->buf, want)) == NULL)
		return -1;
	r->buf = p;
	r->size = want;
	return 0;
}

/* Back to the small buffer once a large message has been taken. */
static void
imsg_shrink(struct imsgbuf *ibuf)
{
	struct ibuf_read	*r = &ibuf->r;
	unsigned char		*p;
	size_t			 avail = r->wpos - r->rpos;

	if (r->size <= IBUF_READ_SIZE || avail > IBUF_READ_SIZE)
		return;
	memmove(r->buf, r->buf + r->rpos, avail);
	r->wpos = avail;
	r->rpos = 0;
	if ((p = realloc(r->buf, IBUF_READ_SIZE)) == NULL)
		return;		/* keep the large one */
	r->buf = p;
	r->size = IBUF_READ_SIZE;
}

static int
imsg_fd_push(struct imsgbuf *ibuf, int fd)
{
	struct imsg_fd	*ifd;

	if (ibuf->nfds >= IMSG_FD_MAX) {
		errno = EMFILE;
		return -1;
	}
	if ((ifd = calloc(1, sizeof(*ifd))) == NULL)
		return -1;
	ifd->fd = fd;
	TAILQ_INSERT_TAIL(&ibuf->fds, ifd, entry);
	ibuf->nfds++;
	return 0;
}

static int
imsg_fd_pop(struct imsgbuf *ibuf)
{
	struct imsg_fd	*ifd;
	int		 fd;

	if ((ifd = TAILQ_FIRST(&ibuf->fds)) == NULL)
		return -1;
	TAILQ_REMOVE(&ibuf->fds, ifd, entry);
	ibuf->nfds--;
	fd = ifd->fd;
	free(ifd);
	return fd;
}

/*
 * Read what the socket holds.  Descriptors are queued in arrival order;
 * each belongs to the next message flagged IMSGF_HASFD.
 */
ssize_t
imsg_read(struct imsgbuf *ibuf)
{
	union {
		struct cmsghdr	hdr;
		char		buf[CMSG_SPACE(sizeof(int) * IMSG_FD_MAX)];
	} cmsgbuf;
	struct msghdr	 msg;
	struct cmsghdr	*cmsg;
	struct iovec	 iov;
	ssize_t		 n;
	size_t		 i, nfds;
	int		 fd, bad = 0;

	if (imsg_room(ibuf) == -1)
		return -1;

	memset(&msg, 0, sizeof(msg));
	iov.iov_base = ibuf->r.buf + ibuf->r.wpos;
	iov.iov_len = ibuf->r.size - ibuf->r.wpos;
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	msg.msg_control = cmsgbuf.buf;
	msg.msg_controllen = sizeof(cmsgbuf.buf);

	do {
		n = recvmsg(ibuf->fd, &msg, MSG_CMSG_CLOEXEC);
	} while (n == -1 && errno == EINTR);
	if (n == -1) {
		if (errno == EWOULDBLOCK)
			errno = EAGAIN;
		return -1;
	}

	for (cmsg = CMSG_FIRSTHDR(&msg); cmsg != NULL;
	    cmsg = CMSG_NXTHDR(&msg, cmsg)) {
		if (cmsg->cmsg_level != SOL_SOCKET ||
		    cmsg->cmsg_type != SCM_RIGHTS)
			continue;
		nfds = (cmsg->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (i = 0; i < nfds; i++) {
			memcpy(&fd, CMSG_DATA(cmsg) + i * sizeof(int),
			    sizeof(int));
			if (bad || (msg.msg_flags & MSG_CTRUNC) ||
			    imsg_fd_push(ibuf, fd) == -1) {
				close(fd);
				bad = 1;
			}
		}
	}
	if (msg.msg_flags & MSG_CTRUNC) {
		/* Descriptors were lost: the stream no longer lines up. */
		errno = EMSGSIZE;
		return -1;
	}
	if (bad) {
		errno = EMFILE;
		return -1;
	}
	ibuf->r.wpos += n;
	return n;
}

/* Take the next whole message; imsg_free() releases it. */
ssize_t
imsg_get(struct imsgbuf *ibuf, struct imsg *imsg)
{
	struct ibuf_read	*r = &ibuf->r;
	size_t			 avail = r->wpos - r->rpos, datalen;

	memset(imsg, 0, sizeof(*imsg));
	imsg->fd = -1;
	if (avail < IMSG_HEADER_SIZE)
		return 0;
	memcpy(&imsg->hdr, r->buf + r->rpos, sizeof(imsg->hdr));
	if (imsg->hdr.len < IMSG_HEADER_SIZE ||
	    (imsg->hdr.flags & ~IMSGF_HASFD) != 0) {
		errno = EBADMSG;
		return -1;
	}
	if (imsg->hdr.len > ibuf->maxsize) {
		errno = EMSGSIZE;
		return -1;
	}
	if (avail < imsg->hdr.len)
		return 0;
	datalen = imsg->hdr.len - IMSG_HEADER_SIZE;
	if (imsg->hdr.flags & IMSGF_HASFD) {
		if ((imsg->fd = imsg_fd_pop(ibuf)) == -1) {
			errno = EBADMSG;
			return -1;
		}
	}
	if (datalen > 0) {
		if ((imsg->data = malloc(datalen)) == NULL) {
			if (imsg->fd != -1)
				close(imsg->fd);
			imsg->fd = -1;
			return -1;
		}
		memcpy(imsg->data, r->buf + r->rpos + IMSG_HEADER_SIZE,
		    datalen);
	}
	r->rpos += imsg->hdr.len;
	if (r->rpos == r->wpos)
		r->rpos = r->wpos = 0;
	imsg_shrink(ibuf);
	return imsg->hdr.len;
}

size_t
imsg_get_len(const struct imsg *imsg)
{
	return imsg->hdr.len - IMSG_HEADER_SIZE;
}

int
imsg_compose(struct imsgbuf *ibuf, uint32_t type, uint32_t peerid,
    pid_t pid, int fd, const void *data, size_t datalen)
{
	struct iovec	 iov;

	iov.iov_base = (void *)data;
	iov.iov_len = datalen;
	return imsg_composev(ibuf, type, peerid, pid, fd, &iov,
	    datalen > 0 ? 1 : 0);
}

int
imsg_composev(struct imsgbuf *ibuf, uint32_t type, uint32_t peerid,
    pid_t pid, int fd, const struct iovec *iov, int iovcnt)
{
	struct ibuf	*wbuf;
	size_t		 datalen = 0;
	int		 i;

	for (i = 0; i < iovcnt; i++) {
		if (iov[i].iov_len > SIZE_MAX - datalen) {
			errno = EMSGSIZE;
			return -1;
		}
		datalen += iov[i].iov_len;
	}
	if ((wbuf = imsg_create(ibuf, type, peerid, pid, datalen)) == NULL)
		return -1;
	for (i = 0; i < iovcnt; i++)
		if (imsg_add(wbuf, iov[i].iov_base, iov[i].iov_len) == -1)
			return -1;
	wbuf->fd = fd;
	imsg_close(ibuf, wbuf);
	return 1;
}

/* Start a message of datalen bytes to fill with imsg_add(). */
struct ibuf *
imsg_create(struct imsgbuf *ibuf, uint32_t type, uint32_t peerid,
    pid_t pid, size_t datalen)
{
	struct ibuf	*wbuf;
	struct imsg_hdr	 hdr;

	if (datalen > ibuf->maxsize - IMSG_HEADER_SIZE) {
		errno = EMSGSIZE;
		return NULL;
	}
	memset(&hdr, 0, sizeof(hdr));
	hdr.type = type;
	hdr.peerid = peerid;
	hdr.pid = pid == 0 ? ibuf->pid : pid;
	if ((wbuf = ibuf_dynamic(IMSG_HEADER_SIZE + datalen,
	    ibuf->maxsize)) == NULL)
		return NULL;
	if (ibuf_add(wbuf, &hdr, sizeof(hdr)) == -1) {
		ibuf_free(wbuf);
		return NULL;
	}
	return wbuf;
}

/* On failure the message is freed: the caller must not touch it. */
int
imsg_add(struct ibuf *wbuf, const void *data, size_t datalen)
{
	if (datalen > 0 && ibuf_add(wbuf, data, datalen) == -1) {
		ibuf_free(wbuf);
		return -1;
	}
	return (int)datalen;
}

void
imsg_close(struct imsgbuf *ibuf, struct ibuf *wbuf)
{
	struct imsg_hdr	*hdr = (struct imsg_hdr *)wbuf->buf;

	hdr->len = (uint32_t)ibuf_size(wbuf);
	hdr->flags = wbuf->fd != -1 ? IMSGF_HASFD : 0;
	ibuf_close(&ibuf->w, wbuf);
}

/* Write the whole queue, waiting on the socket if it is non-blocking. */
int
imsg_flush(struct imsgbuf *ibuf)
{
	struct pollfd	 pfd;
	int		 n;

	while (ibuf->w.queued > 0) {
		if ((n = msgbuf_write(&ibuf->w)) == 0) {
			errno = EPIPE;
			return -1;
		}
		if (n == -1 && errno != EAGAIN)
			return -1;
		if (n == -1) {
			pfd.fd = ibuf->fd;
			pfd.events = POLLOUT;
			if (poll(&pfd, 1, -1) == -1 && errno != EINTR)
				return -1;
		}
	}
	return 0;
}

size_t
imsg_queued(const struct imsgbuf *ibuf)
{
	return ibuf->w.queued;
}

void
imsg_free(struct imsg *imsg)
{
	free(imsg->data);
	imsg->data = NULL;
}

/* Drop everything queued both ways; the socket itself stays open. */
void
imsg_clear(struct imsgbuf *ibuf)
{
	int	 fd;

	msgbuf_clear(&ibuf->w);
	while ((fd = imsg_fd_pop(ibuf)) != -1)
		close(fd);
	free(ibuf->r.buf);
	ibuf->r.buf = NULL;
	ibuf->r.size = ibuf->r.wpos = ibuf->r.rpos = 0;
}
