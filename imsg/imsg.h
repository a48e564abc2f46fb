/*
 * imsg: framed messages over Unix stream sockets, with descriptor
 * passing and a buffered non-blocking write queue.  The interface follows
 * OpenBSD's imsg(3) so that its habits carry over.
 *
 * Every message is a struct imsg_hdr followed by hdr.len - IMSG_HEADER_SIZE
 * bytes of payload.  A message longer than the buffer's bound
 * (imsgbuf_set_maxsize, default IMSG_MAXSIZE_DEFAULT, header included)
 * is an error: the reader fails with EMSGSIZE and the connection must be
 * dropped.  The library knows nothing of the application: the bound of
 * its protocol is the caller's to set.
 *
 * A descriptor given to imsg_compose() belongs to the write queue: it is
 * sent with the first byte of its message and closed once sent.  A
 * received descriptor belongs to whoever takes the message (imsg.fd).
 *
 * Return values: imsg_read() and msgbuf_write() return -1 with errno
 * EAGAIN when the socket would block (not an error); imsg_get() fails
 * with EMSGSIZE (too long), EBADMSG (malformed header or a missing
 * descriptor) or ENOMEM.
 */
#ifndef CFJL_IMSG_H
#define CFJL_IMSG_H

#include <sys/types.h>
#include <sys/queue.h>
#include <sys/uio.h>
#include <stdint.h>

#define IBUF_READ_SIZE		65536	/* read buffer outside large messages */
#define IMSG_HEADER_SIZE	sizeof(struct imsg_hdr)
#define IMSG_MAXSIZE_DEFAULT	(4 * 1024 * 1024 + IMSG_HEADER_SIZE)
#define IMSG_FD_MAX		16	/* received, not yet claimed */
#define IMSGF_HASFD		0x1	/* a descriptor rides with the message */

struct ibuf {
	TAILQ_ENTRY(ibuf)	 entry;
	unsigned char		*buf;
	size_t			 size;
	size_t			 max;
	size_t			 wpos;
	size_t			 rpos;
	int			 fd;	/* passed with the first byte */
};

struct msgbuf {
	TAILQ_HEAD(, ibuf)	 bufs;
	uint32_t		 queued;
	int			 fd;
};

struct ibuf_read {
	unsigned char		*buf;	/* grows up to the bound */
	size_t			 size;
	size_t			 wpos;
	size_t			 rpos;	/* start of the next message */
};

struct imsg_fd;
struct imsgbuf {
	TAILQ_HEAD(, imsg_fd)	 fds;	/* received, not yet taken */
	size_t			 nfds;
	struct ibuf_read	 r;
	struct msgbuf		 w;
	int			 fd;
	pid_t			 pid;
	size_t			 maxsize;	/* largest whole message */
};

struct imsg_hdr {
	uint32_t	 type;
	uint32_t	 len;		/* header included */
	uint32_t	 flags;		/* IMSGF_* */
	uint32_t	 peerid;
	uint32_t	 pid;
};

struct imsg {
	struct imsg_hdr	 hdr;
	int		 fd;		/* -1 if none */
	void		*data;		/* payload, hdr.len - header bytes */
};

/* ibuf: growable buffers */
struct ibuf	*ibuf_open(size_t);
struct ibuf	*ibuf_dynamic(size_t, size_t);
int		 ibuf_add(struct ibuf *, const void *, size_t);
void		*ibuf_reserve(struct ibuf *, size_t);
size_t		 ibuf_size(const struct ibuf *);
void		 ibuf_free(struct ibuf *);
void		 ibuf_close(struct msgbuf *, struct ibuf *);

void		 msgbuf_init(struct msgbuf *);
void		 msgbuf_clear(struct msgbuf *);
int		 msgbuf_write(struct msgbuf *);	/* 1 ok, 0 EOF, -1 errno */

/* imsg */
void	 imsg_init(struct imsgbuf *, int fd);
void	 imsgbuf_set_maxsize(struct imsgbuf *, size_t);
ssize_t	 imsg_read(struct imsgbuf *);	/* bytes, 0 EOF, -1 error */
ssize_t	 imsg_get(struct imsgbuf *, struct imsg *);	/* >0 one, 0 none, -1 bad */
size_t	 imsg_get_len(const struct imsg *);	/* payload bytes */
int	 imsg_compose(struct imsgbuf *, uint32_t type, uint32_t peerid,
	    pid_t pid, int fd, const void *data, size_t datalen);
int	 imsg_composev(struct imsgbuf *, uint32_t type, uint32_t peerid,
	    pid_t pid, int fd, const struct iovec *iov, int iovcnt);
struct ibuf *imsg_create(struct imsgbuf *, uint32_t type, uint32_t peerid,
	    pid_t pid, size_t datalen);
int	 imsg_add(struct ibuf *, const void *, size_t);
void	 imsg_close(struct imsgbuf *, struct ibuf *);
int	 imsg_flush(struct imsgbuf *);	/* blocking: write everything */
size_t	 imsg_queued(const struct imsgbuf *);
void	 imsg_free(struct imsg *);
void	 imsg_clear(struct imsgbuf *);

#endif
