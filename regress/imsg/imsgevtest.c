/*
 * Unit tests of the libevent glue (imsg/imsgev.c) over socketpairs: what
 * one pass of the loop composes is written by the flush, without a write
 * event; a full socket is waited for, then drained; a link let go with
 * imsg_event_del is never called back; a failed write reaches the owner.
 * One line per check; exit 1 on any failure.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event.h>

#include "imsg.h"
#include "imsgev.h"
#include "unit.h"

#define BIG_LEN		8192
#define BIG_COUNT	1024	/* 8 MB: more than a socketpair holds */

static struct imsgev	 snd, rcv;
static int		 snd_calls;	/* the sender's handler called */
static int		 snd_write_err;	/* ... for a failed write */
static unsigned int	 got, want, out_of_order;
static size_t		 rcv_len;

static void	 snd_handler(int, short, void *);
static void	 rcv_handler(int, short, void *);
static void	 stop_after(int);
static void	 test_one_pass(void);
static void	 test_blocked(void);
static void	 test_del(void);
static void	 test_error(void);

/* The sender's owner: what peer.c does on a write event. */
static void
snd_handler(int fd, short ev, void *arg)
{
	struct imsgev	*iev = arg;
	int		 n;

	snd_calls++;
	if (ev & EV_WRITE) {
		n = msgbuf_write(&iev->ibuf.w);
		if (n == 0 || (n == -1 && errno != EAGAIN)) {
			snd_write_err++;
			imsg_event_del(iev);
			return;
		}
	}
	imsg_event_add(iev);
}

static void
rcv_handler(int fd, short ev, void *arg)
{
	struct imsgev	*iev = arg;
	struct imsg	 imsg;
	ssize_t		 n;

	if ((n = imsg_read(&iev->ibuf)) == 0 || (n == -1 && errno != EAGAIN)) {
		imsg_event_del(iev);
		return;
	}
	while (imsg_get(&iev->ibuf, &imsg) > 0) {
		if (imsg.hdr.type != got + 1)
			out_of_order++;
		rcv_len = imsg_get_len(&imsg);
		got++;
		imsg_free(&imsg);
	}
	if (got >= want)
		event_loopexit(NULL);
	else
		imsg_event_add(iev);
}

static void
stop_after(int ms)
{
	struct timeval	 tv = { ms / 1000, (ms % 1000) * 1000 };

	event_loopexit(&tv);
}

static void
setup(int sv[2])
{
	pair(sv, 1);
	memset(&snd, 0, sizeof(snd));
	memset(&rcv, 0, sizeof(rcv));
	imsg_init(&snd.ibuf, sv[0]);
	snd.handler = snd_handler;
	snd.data = &snd;
	imsg_init(&rcv.ibuf, sv[1]);
	imsgbuf_set_maxsize(&rcv.ibuf, BIG_LEN + IMSG_HEADER_SIZE);
	rcv.handler = rcv_handler;
	rcv.data = &rcv;
	snd_calls = snd_write_err = 0;
	got = out_of_order = 0;
	rcv_len = 0;
}

static void
teardown(int sv[2])
{
	imsg_event_del(&snd);
	imsg_event_del(&rcv);
	imsg_clear(&snd.ibuf);
	imsg_clear(&rcv.ibuf);
	close(sv[0]);
	close(sv[1]);
}

/* Fifty messages composed in one callback: written without a write event. */
static void
one_pass_cb(int fd, short ev, void *arg)
{
	uint32_t	 i;

	for (i = 1; i <= 50; i++)
		imsg_compose_event(&snd, i, 0, 0, -1, &i, sizeof(i));
	check(snd.events == EV_READ, "composing waits for no write event");
}

static void
test_one_pass(void)
{
	struct event	 t;
	struct timeval	 tv = { 0, 0 };
	int		 sv[2];

	setup(sv);
	want = 50;
	imsg_event_add(&snd);
	imsg_event_add(&rcv);
	evtimer_set(&t, one_pass_cb, NULL);
	evtimer_add(&t, &tv);
	stop_after(5000);
	event_dispatch();
	check(got == 50 && out_of_order == 0, "one pass: 50 messages, in order");
	check(snd_calls == 0, "one pass: written by the flush, not by a "
	    "write event");
	check(snd.ibuf.w.queued == 0 && !snd.blocked,
	    "one pass: nothing left queued");
	teardown(sv);
}

/* 8 MB in one pass, read only later: the sender waits, then drains. */
static void
blocked_cb(int fd, short ev, void *arg)
{
	static char	 big[BIG_LEN];
	uint32_t	 i;

	for (i = 1; i <= BIG_COUNT; i++)
		imsg_compose_event(&snd, i, 0, 0, -1, big, sizeof(big));
}

static void
blocked_read_cb(int fd, short ev, void *arg)
{
	check(snd.blocked && (snd.events & EV_WRITE),
	    "a full socket: the sender waits for it to be writable");
	imsg_event_add(&rcv);
}

static void
test_blocked(void)
{
	struct event	 t, r;
	struct timeval	 tv = { 0, 0 }, later = { 0, 100000 };
	int		 sv[2];

	setup(sv);
	want = BIG_COUNT;
	imsg_event_add(&snd);
	evtimer_set(&t, blocked_cb, NULL);
	evtimer_add(&t, &tv);
	evtimer_set(&r, blocked_read_cb, NULL);
	evtimer_add(&r, &later);
	stop_after(10000);
	event_dispatch();
	check(got == BIG_COUNT && out_of_order == 0 && rcv_len == BIG_LEN,
	    "a full socket: every message arrives, in order");
	check(snd_calls > 0, "a full socket: drained on write events");
	/* The last write event re-armed the sender for reads only. */
	check(snd.ibuf.w.queued == 0 && !snd.blocked && snd.events == EV_READ,
	    "a full socket: back to reads only once drained");
	teardown(sv);
}

/* Let go in the pass that composed: the flush never runs on it. */
static struct imsgev	*gone;

static void
del_cb(int fd, short ev, void *arg)
{
	uint32_t	 i = 1;

	imsg_compose_event(gone, 1, 0, 0, -1, &i, sizeof(i));
	imsg_event_del(gone);
	imsg_clear(&gone->ibuf);
	free(gone);
	gone = NULL;
}

static void
test_del(void)
{
	struct event	 t;
	struct timeval	 tv = { 0, 0 };
	int		 sv[2];
	char		 buf[64];

	pair(sv, 1);
	if ((gone = calloc(1, sizeof(*gone))) == NULL)
		exit(2);
	imsg_init(&gone->ibuf, sv[0]);
	gone->handler = snd_handler;
	gone->data = gone;
	snd_calls = 0;
	imsg_event_add(gone);
	evtimer_set(&t, del_cb, NULL);
	evtimer_add(&t, &tv);
	stop_after(100);
	event_dispatch();
	check(snd_calls == 0, "let go: never called back");
	check(read(sv[1], buf, sizeof(buf)) == -1 && errno == EAGAIN,
	    "let go: nothing written after");
	close(sv[0]);
	close(sv[1]);
}

/* The other end is gone: the owner sees the failed write. */
static void
error_cb(int fd, short ev, void *arg)
{
	uint32_t	 i = 1;

	imsg_compose_event(&snd, 1, 0, 0, -1, &i, sizeof(i));
}

static void
test_error(void)
{
	struct event	 t;
	struct timeval	 tv = { 0, 0 };
	int		 sv[2];

	setup(sv);
	close(sv[1]);
	sv[1] = -1;
	imsg_event_add(&snd);
	evtimer_set(&t, error_cb, NULL);
	evtimer_add(&t, &tv);
	stop_after(200);
	event_dispatch();
	check(snd_write_err == 1, "a failed write reaches the owner, once");
	imsg_event_del(&snd);
	imsg_clear(&snd.ibuf);
	close(sv[0]);
}

int
main(void)
{
	signal(SIGPIPE, SIG_IGN);
	event_init();
	test_one_pass();
	test_blocked();
	test_del();
	test_error();
	return unit_done();
}
