/*
 * Tests of the daemon links (common/peer.c) between real processes: the
 * listener's credential check, the HELLO exchange and its refusals (a
 * name the uid may not claim), a listener dropping only the peer that
 * breaks the protocol (unknown type, wrong sender, short message, stray
 * descriptor) while it keeps serving the others, a connector dropping
 * the link on one, and a connector coming back after its listener
 * restarts.
 * Usage: peertest DIR (a private directory for the sockets).
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>

#include <errno.h>
#include <event.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "imsg.h"
#include "log.h"
#include "msg.h"
#include "peer.h"
#include "proto.h"
#include "sock.h"

#define SOCKNAME	"stored.sock"	/* the listener is "stored" */
#define BAD_TYPE	9999

static const char	*dir;
static int		 failures;
static int		 nup, ndown, nmsg;
static char		 upname[PEER_NAME_MAX];
static struct event	 waitev;
static pid_t		 waitpid_;
static int		 waitstatus, waitticks;

static void	check(int, const char *);
static int	srv_echo(struct msg *, void *);
static int	srv_lot(struct msg *, void *);
static void	srv_up(struct peer *);
static void	srv_down(struct peer *);
static void	wait_tick(int, short, void *);
static int	run_child(pid_t, int);
static int	raw_open(struct imsgbuf *, uint32_t, const char *);
static int	raw_recv(struct imsgbuf *, struct imsg *);
static int	raw_ping(struct imsgbuf *, const char *);
static int	raw_gone(struct imsgbuf *);
static void	serve(int);

/* frontd may ask for the status (echoed) and a lot; sealerd nothing. */
static const struct msg_entry srv_msgs[] = {
	{ IMSG_STATUS_GET, MSG_FRONTD, MSG_FD_NONE, srv_echo },
	{ IMSG_LOT_GET, MSG_FRONTD, MSG_FD_NONE, srv_lot },
};
static const struct msg_table srv_table = MSG_TABLE(SOCKNAME, srv_msgs);
static const struct peer_cb srv_cb = { &srv_table, srv_up, srv_down, NULL };

static void
check(int ok, const char *what)
{
	printf("%s - %s\n", ok ? "ok" : "not ok", what);
	fflush(stdout);
	if (!ok)
		failures++;
}

/* The listener echoes IMSG_STATUS_GET as IMSG_STATUS. */
static int
srv_echo(struct msg *m, void *arg)
{
	const void	*text;
	size_t		 len = m_left(m);

	if (m_get_ptr(m, &text, len) == -1 || m_end(m) == -1)
		return -1;
	nmsg++;
	if (peer_compose(arg, IMSG_STATUS, text, len) == -1)
		fatal("echo");
	return 0;
}

/* IMSG_LOT_GET must be exactly a struct lot_get. */
static int
srv_lot(struct msg *m, void *arg)
{
	struct lot_get	 lg;

	if (m_get_struct(m, proto_lot_get, &lg) == -1 || m_end(m) == -1)
		return -1;
	nmsg++;
	return 0;
}

static void
srv_up(struct peer *p)
{
	nup++;
	strlcpy(upname, p->name, sizeof(upname));
}

static void
srv_down(struct peer *p)
{
	ndown++;
}

/* Run the event loop until the child exits or secs pass. */
static void
wait_tick(int fd, short event, void *arg)
{
	struct timeval	 tv = { 0, 20000 };

	if (waitpid(waitpid_, &waitstatus, WNOHANG) == waitpid_ ||
	    --waitticks <= 0) {
		event_loopexit(NULL);
		return;
	}
	evtimer_add(&waitev, &tv);
}

static int
run_child(pid_t pid, int secs)
{
	struct timeval	 tv = { 0, 20000 }, settle = { 0, 100000 };

	waitpid_ = pid;
	waitstatus = -1;
	waitticks = secs * 50;
	evtimer_set(&waitev, wait_tick, NULL);
	evtimer_add(&waitev, &tv);
	event_dispatch();
	/* Let the listener see what the child's exit closed. */
	event_loopexit(&settle);
	event_dispatch();
	if (waitstatus == -1) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		return -1;
	}
	return WIFEXITED(waitstatus) ? WEXITSTATUS(waitstatus) : 128;
}

/* A blocking client that speaks the protocol by hand. */
static int
raw_open(struct imsgbuf *ibuf, uint32_t version, const char *name)
{
	struct proto_hello	 hello;
	int			 fd;

	if ((fd = sock_connect(dir, SOCKNAME)) == -1)
		return -1;
	imsg_init(ibuf, fd);
	memset(&hello, 0, sizeof(hello));
	hello.version = version;
	strlcpy(hello.name, name, sizeof(hello.name));
	imsg_compose(ibuf, IMSG_HELLO, 0, 0, -1, &hello, sizeof(hello));
	(void)imsg_flush(ibuf);	/* a refusing listener may close first */
	return 0;
}

/* 1: a message, 0: end of file or reset, -1: nothing within 3 s. */
static int
raw_recv(struct imsgbuf *ibuf, struct imsg *imsg)
{
	struct pollfd	 pfd;
	ssize_t		 n;

	for (;;) {
		if ((n = imsg_get(ibuf, imsg)) > 0)
			return 1;
		if (n == -1)
			return -1;
		pfd.fd = ibuf->fd;
		pfd.events = POLLIN;
		if (poll(&pfd, 1, 3000) <= 0)
			return -1;
		if ((n = imsg_read(ibuf)) == 0 ||
		    (n == -1 && errno == ECONNRESET))
			return 0;
		if (n == -1)
			return -1;
	}
}

/* 1 if the listener closed the link without answering. */
static int
raw_gone(struct imsgbuf *ibuf)
{
	struct imsg	 imsg;

	if (imsg_flush(ibuf) == -1)
		return 1;
	return raw_recv(ibuf, &imsg) == 0;
}

static int
raw_ping(struct imsgbuf *ibuf, const char *text)
{
	struct imsg	 imsg;
	int		 ok;

	imsg_compose(ibuf, IMSG_STATUS_GET, 0, 0, -1, text, strlen(text));
	if (imsg_flush(ibuf) == -1 || raw_recv(ibuf, &imsg) != 1)
		return 0;
	ok = imsg.hdr.type == IMSG_STATUS &&
	    imsg_get_len(&imsg) == strlen(text) &&
	    memcmp(imsg.data, text, strlen(text)) == 0;
	imsg_free(&imsg);
	return ok;
}

/* Child scenarios, each exits 0 when it saw what it should. */

static void
child_refused(void)
{
	struct imsgbuf	 a;
	struct imsg	 imsg;

	if (raw_open(&a, CFJL_PROTO_VERSION, "intruder") == -1)
		_exit(10);
	_exit(raw_recv(&a, &imsg) == 0 ? 0 : 11);
}

static void
child_two_peers(void)
{
	struct imsgbuf	 a, b, c, d, e, f;
	struct imsg	 imsg;
	struct lot_get	 lg;
	int		 pfd[2];

	if (raw_open(&a, CFJL_PROTO_VERSION, "frontd") == -1 ||
	    raw_open(&b, CFJL_PROTO_VERSION, "frontd") == -1)
		_exit(10);
	if (raw_recv(&a, &imsg) != 1 || imsg.hdr.type != IMSG_HELLO)
		_exit(11);
	imsg_free(&imsg);
	if (raw_recv(&b, &imsg) != 1 || imsg.hdr.type != IMSG_HELLO)
		_exit(12);
	imsg_free(&imsg);
	if (!raw_ping(&b, "ping two") || !raw_ping(&a, "ping one"))
		_exit(13);
	/* Garbage on one link drops that link only. */
	imsg_compose(&a, BAD_TYPE, 0, 0, -1, NULL, 0);
	if (!raw_gone(&a))
		_exit(14);
	if (!raw_ping(&b, "still here"))
		_exit(15);

	/* A lot request one byte short: dropped, the others stay. */
	memset(&lg, 0, sizeof(lg));
	if (raw_open(&c, CFJL_PROTO_VERSION, "frontd") == -1 ||
	    raw_recv(&c, &imsg) != 1)
		_exit(16);
	imsg_free(&imsg);
	imsg_compose(&c, IMSG_LOT_GET, 0, 0, -1, &lg, sizeof(lg) - 1);
	if (!raw_gone(&c) || !raw_ping(&b, "after short"))
		_exit(17);

	/* One byte too many: the same. */
	if (raw_open(&c, CFJL_PROTO_VERSION, "frontd") == -1 ||
	    raw_recv(&c, &imsg) != 1)
		_exit(18);
	imsg_free(&imsg);
	imsg_compose(&c, IMSG_LOT_GET, 0, 0, -1, &lg, sizeof(lg));
	imsg_compose(&c, IMSG_STATUS_GET, 0, 0, -1, "x", 1);
	if (imsg_flush(&c) == -1 || raw_recv(&c, &imsg) != 1 ||
	    imsg.hdr.type != IMSG_STATUS)
		_exit(19);
	imsg_free(&imsg);
	{
		uint8_t	 big[sizeof(lg) + 1];

		memset(big, 0, sizeof(big));
		imsg_compose(&c, IMSG_LOT_GET, 0, 0, -1, big, sizeof(big));
	}
	if (!raw_gone(&c) || !raw_ping(&b, "after long"))
		_exit(20);

	/* A descriptor nobody expects. */
	if (pipe(pfd) == -1 ||
	    raw_open(&d, CFJL_PROTO_VERSION, "frontd") == -1 ||
	    raw_recv(&d, &imsg) != 1)
		_exit(21);
	imsg_free(&imsg);
	imsg_compose(&d, IMSG_STATUS_GET, 0, 0, pfd[0], "x", 1);
	if (!raw_gone(&d) || !raw_ping(&b, "after descriptor"))
		_exit(22);

	/* sealerd's uid is ours here, but it may not ask for the status. */
	if (raw_open(&e, CFJL_PROTO_VERSION, "sealerd") == -1 ||
	    raw_recv(&e, &imsg) != 1)
		_exit(23);
	imsg_free(&imsg);
	imsg_compose(&e, IMSG_STATUS_GET, 0, 0, -1, "x", 1);
	if (!raw_gone(&e) || !raw_ping(&b, "after wrong sender"))
		_exit(24);

	/* A name the list does not give to our uid: no HELLO back. */
	if (raw_open(&f, CFJL_PROTO_VERSION, "auditd") == -1 ||
	    raw_recv(&f, &imsg) != 0)
		_exit(25);
	if (!raw_ping(&b, "after wrong name"))
		_exit(26);
	_exit(0);
}

static void
child_version(void)
{
	struct imsgbuf		 a;
	struct imsg		 imsg;
	struct proto_hello	 hello;

	if (raw_open(&a, CFJL_PROTO_VERSION + 98, "future") == -1)
		_exit(10);
	if (raw_recv(&a, &imsg) != 1 || imsg.hdr.type != IMSG_HELLO ||
	    imsg_get_len(&imsg) != sizeof(hello))
		_exit(11);
	memcpy(&hello, imsg.data, sizeof(hello));
	if (hello.version != CFJL_PROTO_VERSION || strcmp(hello.name, "stored"))
		_exit(12);
	imsg_free(&imsg);
	_exit(raw_recv(&a, &imsg) == 0 ? 0 : 13);
}

static void
child_no_hello(void)
{
	struct imsgbuf	 a;
	struct imsg	 imsg;
	int		 fd;

	if ((fd = sock_connect(dir, SOCKNAME)) == -1)
		_exit(10);
	imsg_init(&a, fd);
	imsg_compose(&a, IMSG_STATUS_GET, 0, 0, -1, "x", 1);
	imsg_flush(&a);
	_exit(raw_recv(&a, &imsg) == 0 ? 0 : 11);
}

static void
child_oversize(void)
{
	struct imsgbuf	 a;
	struct imsg	 imsg;
	struct imsg_hdr	 hdr;

	if (raw_open(&a, CFJL_PROTO_VERSION, "frontd") == -1)
		_exit(10);
	if (raw_recv(&a, &imsg) != 1)
		_exit(11);
	imsg_free(&imsg);
	memset(&hdr, 0, sizeof(hdr));
	hdr.type = IMSG_STATUS_GET;
	hdr.len = CFJL_MSG_MAX + IMSG_HEADER_SIZE + 1;
	if (write(a.fd, &hdr, sizeof(hdr)) != sizeof(hdr))
		_exit(12);
	_exit(raw_recv(&a, &imsg) == 0 ? 0 : 13);
}

/* A real connector whose listener sends it garbage must stop. */
static int	cli_msg(struct msg *, void *);
static void	cli_up(struct peer *);

static const struct msg_entry cli_msgs[] = {
	{ IMSG_STATUS, MSG_STORED, MSG_FD_NONE, cli_msg },
};
static const struct msg_table cli_table = MSG_TABLE("client", cli_msgs);

static int	cli_replies;
static pid_t	cli_listener;

static int
cli_msg(struct msg *m, void *arg)
{
	const void	*text;

	if (m_get_ptr(m, &text, m_left(m)) == -1)
		return -1;
	cli_replies++;
	if (cli_replies == 1 && cli_listener != 0) {
		/* Restart the listener under our feet. */
		kill(cli_listener, SIGKILL);
		waitpid(cli_listener, NULL, 0);
		if ((cli_listener = fork()) == 0)
			serve(10);
	} else
		event_loopexit(NULL);
	return 0;
}

static void
cli_up(struct peer *p)
{
	nup++;
	if (peer_compose(p, IMSG_STATUS_GET, "hi", 2) == -1)
		fatal("ping");
}

static const struct peer_cb cli_cb = { &cli_table, cli_up, srv_down, NULL };

static void
child_connector(void)
{
	struct peer	 p;
	struct timeval	 tv = { 5, 0 };

	event_init();
	peer_connect(&p, dir, SOCKNAME, (uid_t)-1, "frontd", &cli_cb);
	event_loopexit(&tv);
	event_dispatch();
	_exit(0);
}

static void
bad_up(struct peer *p)
{
	nup++;
	peer_compose(p, BAD_TYPE, NULL, 0);
}

static const struct peer_cb bad_cb = { &srv_table, bad_up, srv_down, NULL };

/* A listener in a child process, echoing for secs seconds. */
static void
serve(int secs)
{
	struct peer_listener	 l;
	struct timeval		 tv;
	struct peer_allow	 me = { "frontd", (uid_t)-1 };

	event_init();
	if (peer_listen(&l, dir, SOCKNAME, 0600, &me, 1, &srv_cb) == -1)
		fatal("child listen");
	tv.tv_sec = secs;
	tv.tv_usec = 0;
	event_loopexit(&tv);
	event_dispatch();
	_exit(0);
}

static pid_t
spawn(void (*fn)(void))
{
	pid_t	 pid;

	if ((pid = fork()) == -1)
		fatal("fork");
	if (pid == 0) {
		alarm(15);
		fn();
		_exit(99);
	}
	return pid;
}

static void
test_listener(void)
{
	struct peer_listener	 l;
	struct peer_cb		 cb = srv_cb;
	struct peer_allow	 allow[3];
	char			 path[1024];
	int			 fd;

	/* Our uid is not on the list. */
	allow[0] = (struct peer_allow){ "frontd", geteuid() + 1 };
	check(peer_listen(&l, dir, SOCKNAME, 0600, allow, 1, &cb) == 0,
	    "listen");
	snprintf(path, sizeof(path), "%s/%s", dir, SOCKNAME);
	check(access(path, F_OK) == 0, "socket file exists");
	nup = 0;
	check(run_child(spawn(child_refused), 5) == 0,
	    "peer with a uid not allowed is disconnected unanswered");
	check(nup == 0 && l.npeers == 0, "and never comes up");
	peer_listen_close(&l);

	/*
	 * A stale socket file is replaced; our uid is second on the list,
	 * as frontd and as sealerd (one developer's uid runs everything).
	 */
	allow[1] = (struct peer_allow){ "frontd", geteuid() };
	allow[2] = (struct peer_allow){ "sealerd", geteuid() };
	check(peer_listen(&l, dir, SOCKNAME, 0600, allow, 3, &cb) == 0,
	    "listen again over the stale socket");
	nup = ndown = nmsg = 0;
	check(run_child(spawn(child_two_peers), 10) == 0,
	    "concurrent peers, each malformed message drops only its sender");
	check(nup == 6 && nmsg == 10 && ndown == 6,
	    "listener saw six up, ten messages, six down");

	nup = 0;
	check(run_child(spawn(child_version), 5) == 0,
	    "HELLO with a wrong version: answered with ours, then closed");
	check(nup == 0, "wrong version never comes up");
	check(run_child(spawn(child_no_hello), 5) == 0,
	    "message before HELLO: closed");
	check(nup == 0 && nmsg == 10, "and not dispatched");
	check(run_child(spawn(child_oversize), 5) == 0,
	    "oversized header after HELLO: closed");
	check(l.npeers == 0, "no peer left over");

	/* A connector receiving garbage drops the link and redials. */
	l.cb = bad_cb;
	nup = 0;
	check(run_child(spawn(child_connector), 8) == 0,
	    "connector survives an unknown message from its listener");
	check(nup >= 2, "it dropped the link and came up again");
	peer_listen_close(&l);
	fd = sock_listen(dir, SOCKNAME, 0600);
	check(fd != -1, "socket file is free after close (stale, replaced)");
	close(fd);
}

static void
conn_timeout(int fd, short event, void *arg)
{
	event_loopexit(NULL);
}

static void
test_connector(void)
{
	struct peer	 p;
	struct event	 deadline;
	struct timeval	 tv = { 10, 0 }, t0, t1;
	char		 path[1024], other[1024];
	int		 n;

	snprintf(path, sizeof(path), "%s/%s", dir, SOCKNAME);
	unlink(path);
	/* Listener in a child; we connect, it dies and comes back. */
	if ((cli_listener = fork()) == 0)
		serve(10);
	nup = ndown = cli_replies = 0;
	gettimeofday(&t0, NULL);
	peer_connect(&p, dir, SOCKNAME, (uid_t)-1, "frontd", &cli_cb);
	evtimer_set(&deadline, conn_timeout, NULL);
	evtimer_add(&deadline, &tv);
	event_dispatch();
	evtimer_del(&deadline);
	gettimeofday(&t1, NULL);
	check(cli_replies == 2, "ping answered before and after restart");
	check(nup == 2 && ndown == 1, "on_up twice, on_down once");
	check(p.state == PEER_UP && strcmp(p.name, "stored") == 0,
	    "connected to the listener named by its socket");
	check(t1.tv_sec - t0.tv_sec < 5, "reconnected within the backoff");
	peer_close(&p);
	kill(cli_listener, SIGKILL);
	waitpid(cli_listener, NULL, 0);
	cli_listener = 0;

	/* Listener runs as somebody else than we expect: never up. */
	if ((cli_listener = fork()) == 0)
		serve(3);
	nup = 0;
	peer_connect(&p, dir, SOCKNAME, geteuid() + 1, "frontd", &cli_cb);
	tv.tv_sec = 1;
	evtimer_add(&deadline, &tv);
	event_dispatch();
	check(nup == 0 && p.state == PEER_DOWN,
	    "connector refuses a listener with the wrong uid");
	check(p.backoff > PEER_BACKOFF_MIN, "and keeps retrying with backoff");
	peer_close(&p);
	kill(cli_listener, SIGKILL);
	waitpid(cli_listener, NULL, 0);

	/* stored's socket where sealerd's should be: its HELLO is refused. */
	unlink(path);
	if ((cli_listener = fork()) == 0)
		serve(3);
	for (n = 0; n < 100 && access(path, F_OK) == -1; n++)
		usleep(20000);
	snprintf(other, sizeof(other), "%s/sealer.sock", dir);
	check(rename(path, other) == 0, "stored.sock moved to sealer.sock");
	nup = 0;
	peer_connect(&p, dir, "sealer.sock", (uid_t)-1, "frontd", &cli_cb);
	tv.tv_sec = 1;
	evtimer_add(&deadline, &tv);
	event_dispatch();
	check(nup == 0 && p.state != PEER_UP,
	    "connector refuses a listener that names another socket");
	peer_close(&p);
	kill(cli_listener, SIGKILL);
	waitpid(cli_listener, NULL, 0);
	unlink(other);
}

int
main(int argc, char *argv[])
{
	if (argc != 2) {
		fprintf(stderr, "usage: peertest dir\n");
		return 2;
	}
	dir = argv[1];
	signal(SIGPIPE, SIG_IGN);
	log_init(1, 1, LOG_DAEMON);
	log_procinit("peertest");
	event_init();
	alarm(60);
	check(peer_user_uid("root") == (geteuid() == 0 ? 0 : geteuid()),
	    "peer_user_uid");
	test_listener();
	test_connector();
	printf("%d failed\n", failures);
	return failures ? 1 : 0;
}
