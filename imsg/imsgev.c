/*
 * libevent glue for imsg: one persistent event per peer for reads, and
 * for writes only while the socket refused some; registered again only
 * when that changes.  What is composed is written later in the same pass
 * of the event loop (a flush event made active, not a write event
 * waited for): the messages of one pass go in one sendmsg, and neither
 * an epoll_ctl nor another epoll_wait is spent on the way.
 * The struct imsgev must start zeroed (its events not yet set), and be
 * let go with imsg_event_del.
 */
#include <sys/types.h>
#include <sys/queue.h>

#include <errno.h>

#include <event.h>

#include "imsgev.h"

static void	 imsg_event_flush(int, short, void *);

void
imsg_event_add(struct imsgev *iev)
{
	short	 want = EV_READ;

	if (iev->ibuf.w.queued == 0)
		iev->blocked = 0;
	else if (iev->blocked)
		want |= EV_WRITE;
	else {
		if (!event_initialized(&iev->flush))
			event_set(&iev->flush, -1, 0, imsg_event_flush, iev);
		event_active(&iev->flush, EV_WRITE, 0);
	}
	if (event_initialized(&iev->ev)) {
		if (iev->events == want && event_get_fd(&iev->ev) ==
		    iev->ibuf.fd && event_pending(&iev->ev, want, NULL))
			return;
		event_del(&iev->ev);
	}
	iev->events = want;
	event_set(&iev->ev, iev->ibuf.fd, want | EV_PERSIST, iev->handler,
	    iev->data);
	event_add(&iev->ev, NULL);
}

void
imsg_event_del(struct imsgev *iev)
{
	if (event_initialized(&iev->ev))
		event_del(&iev->ev);
	if (event_initialized(&iev->flush))
		event_del(&iev->flush);
	iev->events = 0;
	iev->blocked = 0;
}

/* Write what this pass composed; wait for the socket only if it is full. */
static void
imsg_event_flush(int fd, short ev, void *arg)
{
	struct imsgev	*iev = arg;
	int		 n;

	if (iev->ibuf.fd == -1 || iev->ibuf.w.queued == 0)
		return;
	n = msgbuf_write(&iev->ibuf.w);
	if (n == 0 || (n == -1 && errno != EAGAIN)) {
		/* The owner sees the failure as on a write event. */
		iev->handler(iev->ibuf.fd, EV_WRITE, iev->data);
		return;
	}
	if (iev->ibuf.w.queued > 0)
		iev->blocked = 1;
	imsg_event_add(iev);
}

int
imsg_compose_event(struct imsgev *iev, uint32_t type, uint32_t peerid,
    pid_t pid, int fd, const void *data, size_t datalen)
{
	int	 ret;

	if ((ret = imsg_compose(&iev->ibuf, type, peerid, pid, fd, data,
	    datalen)) != -1)
		imsg_event_add(iev);
	return ret;
}

int
imsg_composev_event(struct imsgev *iev, uint32_t type, uint32_t peerid,
    pid_t pid, int fd, const struct iovec *iov, int iovcnt)
{
	int	 ret;

	if ((ret = imsg_composev(&iev->ibuf, type, peerid, pid, fd, iov,
	    iovcnt)) != -1)
		imsg_event_add(iev);
	return ret;
}
