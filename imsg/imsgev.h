/*
 * The libevent side of imsg: a persistent event per peer for reads (and
 * writes while the socket is full), and a flush in the same loop pass
 * for what is composed.
 */
#ifndef CFJL_IMSGEV_H
#define CFJL_IMSGEV_H

#include <event.h>
#include "imsg.h"

struct imsgev {
	struct imsgbuf	 ibuf;
	struct event	 ev;		/* reads; writes while blocked */
	struct event	 flush;		/* writes, later in this pass */
	void		(*handler)(int, short, void *);
	short		 events;	/* what ev waits for */
	int		 blocked;	/* the socket took only part */
	void		*data;
};

void	imsg_event_add(struct imsgev *);
void	imsg_event_del(struct imsgev *);
int	imsg_compose_event(struct imsgev *, uint32_t type, uint32_t peerid,
	    pid_t pid, int fd, const void *data, size_t datalen);
int	imsg_composev_event(struct imsgev *, uint32_t type, uint32_t peerid,
	    pid_t pid, int fd, const struct iovec *iov, int iovcnt);

#endif
