/*
 * The libevent side of imsg: one event per peer, re-armed for writing
 * only while the write queue holds something.
 */
#ifndef CFJL_IMSGEV_H
#define CFJL_IMSGEV_H

#include <event.h>
#include "imsg.h"

struct imsgev {
	struct imsgbuf	 ibuf;
	struct event	 ev;
	void		(*handler)(int, short, void *);
	short		 events;
	void		*data;
};

void	imsg_event_add(struct imsgev *);
int	imsg_compose_event(struct imsgev *, uint32_t type, uint32_t peerid,
	    pid_t pid, int fd, const void *data, size_t datalen);
int	imsg_composev_event(struct imsgev *, uint32_t type, uint32_t peerid,
	    pid_t pid, int fd, const struct iovec *iov, int iovcnt);

#endif
