/*
 * What an idle or finished connection gives back: the buffers of a
 * connection waiting for its client, the memory freed by closes (to the
 * system, not only to the allocator), and its socket, closed only once
 * the client had the time to read the last answer.
 */
#include <sys/types.h>
#include <sys/queue.h>
#include <sys/socket.h>

#include <errno.h>
#include <malloc.h>
#include <stdlib.h>
#include <unistd.h>

#include <event.h>
#include <tls.h>

#include "connstate.h"
#include "frontd.h"
#include "idle.h"

/* Memory freed by closes goes back to the system past this many. */
#define IDLE_TRIM_CLOSES	64
#define IDLE_TRIM_MIN		(4 * 1024 * 1024)	/* bytes free */
#define IDLE_TRIM_EVERY		10			/* seconds */
#define IDLE_LINGER_SECS	2
#define IDLE_LINGER_BYTES	(16 * 1024 * 1024)

static void	idle_trim(int, short, void *);
static void	idle_linger_read(int, short, void *);

/*
 * An idle connection keeps no buffer of its own: a thousand of them
 * held 16 KiB in and 4 KiB out each, and more after a large answer.
 * They come back with the next request, from the allocator's cache.
 */
void
idle_shrink(struct conn *c)
{
	if (c->inlen == 0 && c->in != NULL) {
		free(c->in);
		c->in = NULL;
		c->incap = 0;
	}
	if (c->outoff == c->outlen && c->out != NULL) {
		free(c->out);
		c->out = NULL;
		c->outcap = c->outlen = c->outoff = 0;
	}
}

/*
 * After many closes, or the last one, give the freed memory back to the
 * system (glibc keeps it otherwise, and a burst of connections would
 * hold its peak for good).  That is not cheap: one madvise for each
 * free stretch of the heap, each of which flushes the TLB of every core
 * the process ran on; on a virtual machine that is an interrupt of the
 * other core each time.  After a thousand connections closed it was
 * some 600 calls and 120 ms in which the worker answered nothing.  So:
 * only when at least IDLE_TRIM_MIN is free, and at most once every
 * IDLE_TRIM_EVERY seconds, however fast clients come and go.
 */
static struct event	 trim_ev;
static int		 trim_set;
static unsigned int	 trim_closes;
static time_t		 trim_last;

void
idle_trim_soon(void)
{
	struct timeval	 tv = { 1, 0 };
	time_t		 now;

	trim_closes++;
	if (trim_closes < IDLE_TRIM_CLOSES && env->nconns > 0)
		return;
	if (!trim_set) {
		evtimer_set(&trim_ev, idle_trim, NULL);
		trim_set = 1;
	}
	if (evtimer_pending(&trim_ev, NULL))
		return;
	now = conn_now();
	if (trim_last != 0 && trim_last + IDLE_TRIM_EVERY > now + 1)
		tv.tv_sec = trim_last + IDLE_TRIM_EVERY - now;
	evtimer_add(&trim_ev, &tv);
}

static void
idle_trim(int fd, short ev, void *arg)
{
	struct mallinfo2 mi;

	trim_closes = 0;
	mi = mallinfo2();
	if (mi.fordblks < IDLE_TRIM_MIN)
		return;
	trim_last = conn_now();
	(void)malloc_trim(0);
}

/*
 * Closing a socket with unread bytes makes the kernel send a reset,
 * which can destroy the answer before the client reads it (a 413 sent
 * while the body is still coming).  So: close_notify, shut the writing
 * side, and read and drop what still arrives, for a bounded time and
 * amount, before the real close.
 */
void
idle_linger(struct conn *c)
{
	struct timeval	 tv = { IDLE_LINGER_SECS, 0 };

	if (c->eof || c->state != CONN_ACTIVE) {
		conn_close(c);
		return;
	}
	(void)tls_close(c->tls);
	if (shutdown(c->fd, SHUT_WR) == -1) {
		conn_close(c);
		return;
	}
	c->state = CONN_LINGER;
	conn_detach(c);
	event_del(&c->ev);
	evtimer_del(&c->tmo);
	event_del(&c->kick);
	c->armed = 0;
	event_set(&c->ev, c->fd, EV_READ | EV_PERSIST, idle_linger_read, c);
	event_add(&c->ev, &tv);
}

static void
idle_linger_read(int fd, short ev, void *arg)
{
	struct conn	*c = arg;
	char		 buf[16384];
	ssize_t		 n;

	if (ev & EV_TIMEOUT) {
		conn_close(c);
		return;
	}
	n = read(fd, buf, sizeof(buf));
	if (n == -1 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0 || (c->drained += (size_t)n) > IDLE_LINGER_BYTES)
		conn_close(c);
}
