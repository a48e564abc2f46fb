/*
 * loadgen: deposits realistic traces into a CFJL vault over many mutual-TLS
 * connections and measures what the vault sustains, checking every
 * answer.
 *
 *	closed loop (default): -c connections, each with -d requests in
 *	    flight, as fast as the vault answers;
 *	open loop (-r events/s): requests are due on a fixed timeline and
 *	    latency counts from the time a request was due, not from when it
 *	    could be sent, so a slow vault cannot hide its queue
 *	    (no coordinated omission);
 *	idle (-I n): n connections opened, each proven with one GET, then
 *	    held for -t seconds (the memory test).
 *
 * -b n deposits batches of n traces (POST /v1/events/batch).  -M ms polls
 * GET /v1/status on a connection of its own and reports how long each
 * lot waited, from its last acknowledgement to its seal (sealtime.c).  The result
 * is one line of JSON on stdout; a run with any wrong answer also prints
 * INVALID on stderr and exits 3.  -S n spreads the connections over n
 * loopback source addresses, as n capture agents would be.
 *
 * -B p makes only p % of the requests batches (the others single
 * traces), -C p gives a Client-Id to p % of them.  -A file is the crash
 * mode, for a vault whose processes are killed under load: connections
 * are made again forever, a request with a Client-Id that got no answer
 * or 503 is sent again until answered, every acknowledged trace is
 * written to file, -E n asks every n-th answered request again
 * (resend.c); SIGTERM stops new requests and waits for those pending.
 */
#define _GNU_SOURCE		/* epoll_pwait2 */
#include <sys/types.h>
#include <sys/epoll.h>
#include <sys/resource.h>

#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "loadgen.h"
#include "log.h"

#define LG_CONNS_MAX	20000
#define LG_DRAIN_NS	(30ULL * 1000000000ULL)
#define LG_SATURATED_NS	(10ULL * 1000000000ULL)	/* open loop gives up */
#define LG_RECONNECTS	100

struct lg_opts {
	const char	*host, *port, *ca, *cert, *key, *samples;
	const char	*ready;		/* idle: touched once all are open */
	const char	*label;
	unsigned int	 conns, depth, batch, idle;
	unsigned int	 oper, vault;
	double		 rate;		/* events/s; 0: closed loop */
	double		 seconds;
	unsigned int	 monitor_ms;	/* poll /v1/status for seals */
	unsigned int	 spread;	/* source addresses 127.0.0.2... */
	uint64_t	 maxevents;
	int		 noverify;
	const char	*ackfile;	/* crash mode */
	unsigned int	 batch_pct;	/* of requests, with -b */
	unsigned int	 cid_pct;	/* of requests, with a Client-Id */
	unsigned int	 echo;		/* ask every n-th answer again */
};

static struct lg_opts	 o;
static struct lg_conn	*conns;
static unsigned int	 lg_nconns;	/* o.conns and the monitor's */
static int		 lg_ep = -1;	/* epoll: only ready sockets cost */
static struct epoll_event *lg_evs;
static struct lg_req	*freereqs;
static volatile sig_atomic_t lg_quit;	/* signals received */
static unsigned int	 lg_reconnects;
static uint64_t		 lg_events_sent, lg_late;
static int		 lg_saturated;
static uint64_t		 lg_unsent;	/* open loop: due, never sent */

static void		 usage(void) __attribute__((__noreturn__));
static void		 lg_sig(int);
static struct lg_req	*lg_req_new(uint64_t);
static int		 lg_pick(unsigned int *);
static unsigned int	 lg_inflight(void);
static void		 lg_watch(struct lg_conn *, unsigned int);
static void		 lg_poll(uint64_t);
static void		 lg_run(void);
static void		 lg_idle(void);
static int		 lg_report(double);
static void		 lg_nofile(size_t);
static void		 lg_lost(struct lg_conn *);
static void		 lg_resends(unsigned int *, uint64_t);

static void
usage(void)
{
	fprintf(stderr, "usage: loadgen -p port -a ca -e cert -k key "
	    "-s samples-dir\n"
	    "\t[-h host] [-c conns] [-d depth] [-b batch] [-t seconds] "
	    "[-n events]\n"
	    "\t[-r events/s] [-I idle-conns [-R ready-file]] [-L label] "
	    "[-M poll-ms] [-S addrs] [-O oper] [-V vault] [-x] [-N] [-T]\n"
	    "\t[-B batch-%%] [-C client-id-%%] [-A ack-file [-E n]]\n");
	exit(2);
}

static void
lg_sig(int sig)
{
	lg_quit++;
}

static void
lg_nofile(size_t need)
{
	struct rlimit	 rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == -1)
		return;
	if (rl.rlim_cur >= need + 64)
		return;
	rl.rlim_cur = rl.rlim_max < need + 64 ? rl.rlim_max : need + 64;
	setrlimit(RLIMIT_NOFILE, &rl);
	if (rl.rlim_cur < need + 16)
		fatalx("%zu connections need more descriptors than the %lu "
		    "allowed", need, (unsigned long)rl.rlim_cur);
}

/* A new request of one trace or a batch, its body made now. */
static struct lg_req *
lg_req_new(uint64_t sched)
{
	static uint64_t	 cid;
	struct lg_req	*r;
	uint32_t	 i, n;
	size_t		 len, idoff;

	if ((r = freereqs) != NULL)
		freereqs = *(struct lg_req **)r;
	else if ((r = calloc(1, sizeof(*r))) == NULL)
		fatal("%s", __func__);
	r->batch = o.batch > 0 && (o.batch_pct >= 100 ||
	    arc4random_uniform(100) < o.batch_pct);
	n = r->batch ? o.batch : 1;
	r->ntraces = n;
	r->sched_ns = sched;
	r->kind = LG_REQ_DEPOSIT;
	r->cid = o.cid_pct >= 100 || arc4random_uniform(100) < o.cid_pct ?
	    ++cid : 0;
	r->tries = 0;
	r->echo = 0;
	if (r->bodycap < n * GEN_TRACE_MAX + 32) {
		free(r->body);
		r->bodycap = n * GEN_TRACE_MAX + 32;
		if ((r->body = malloc(r->bodycap)) == NULL)
			fatal("%s", __func__);
	}
	if (r->tracecap < n) {
		free(r->traces);
		r->traces = NULL;
		if ((r->traces = reallocarray(NULL, n,
		    sizeof(*r->traces))) == NULL)
			fatal("%s", __func__);
		r->tracecap = n;
	}
	r->bodylen = 0;
	if (r->batch) {
		memcpy(r->body, "<Traces>", 8);
		r->bodylen = 8;
	}
	for (i = 0; i < n; i++) {
		len = gen_trace(r->body + r->bodylen, !r->batch, &idoff);
		r->traces[i].off = r->bodylen;
		r->traces[i].len = len;
		r->traces[i].idoff = idoff;
		r->bodylen += len;
	}
	if (r->batch) {
		memcpy(r->body + r->bodylen, "</Traces>", 9);
		r->bodylen += 9;
	}
	lg_events_sent += n;
	return r;
}

void
lg_req_free(struct lg_req *r)
{
	if (r->body == NULL && r->traces == NULL) {	/* a GET */
		free(r);
		return;
	}
	*(struct lg_req **)r = freereqs;
	freereqs = r;
}

static unsigned int
lg_inflight(void)
{
	unsigned int	 i, n = 0;

	for (i = 0; i < o.conns; i++)
		n += conns[i].inflight;
	return n;
}

/* A ready connection with room in its pipeline, round robin. */
static int
lg_pick(unsigned int *rr)
{
	unsigned int	 k, i;

	for (k = 0; k < o.conns; k++) {
		i = (*rr + k) % o.conns;
		if (conns[i].state == LG_READY && !conns[i].close_after &&
		    conns[i].inflight < o.depth) {
			*rr = i + 1;
			return i;
		}
	}
	return -1;
}

/*
 * Keep the epoll set in step with what each connection waits for; a
 * system call only where that changed.
 */
static void
lg_watch(struct lg_conn *c, unsigned int i)
{
	struct epoll_event	 ev;
	uint32_t		 want = EPOLLIN;

	if (c->fd == -1)
		return;
	if (c->want_out || c->state == LG_CONNECTING ||
	    (c->state == LG_READY && c->outoff < c->outlen))
		want |= EPOLLOUT;
	if (c->ep_fd == c->fd && c->ep_events == want)
		return;
	memset(&ev, 0, sizeof(ev));
	ev.events = want;
	ev.data.u32 = i;
	if (epoll_ctl(lg_ep, c->ep_fd == c->fd ? EPOLL_CTL_MOD :
	    EPOLL_CTL_ADD, c->fd, &ev) == -1)
		fatal("epoll_ctl");
	c->ep_fd = c->fd;
	c->ep_events = want;
}

/* Wait for I/O at most until deadline (ns, monotonic); handle it. */
static void
lg_poll(uint64_t deadline)
{
	struct timespec	 ts;
	uint64_t	 now = lg_now(), wait;
	unsigned int	 i;
	short		 revents;
	int		 n, k;

	for (i = 0; i < lg_nconns; i++) {
		/* Crash mode: the vault may be back. */
		if (lg_resend && conns[i].state == LG_IDLE && !lg_quit &&
		    conns[i].retry_ns <= now)
			client_connect(&conns[i]);
		lg_watch(&conns[i], i);
	}
	wait = deadline > now ? deadline - now : 0;
	ts.tv_sec = wait / 1000000000ULL;
	ts.tv_nsec = wait % 1000000000ULL;
	if ((n = epoll_pwait2(lg_ep, lg_evs, lg_nconns, &ts, NULL)) == -1) {
		if (errno == EINTR)
			return;
		fatal("epoll_pwait2");
	}
	now = lg_now();
	for (k = 0; k < n; k++) {
		i = lg_evs[k].data.u32;
		if (conns[i].fd == -1)
			continue;	/* closed by an earlier one */
		revents = 0;
		if (lg_evs[k].events & EPOLLIN)
			revents |= POLLIN;
		if (lg_evs[k].events & EPOLLOUT)
			revents |= POLLOUT;
		if (lg_evs[k].events & EPOLLERR)
			revents |= POLLERR;
		if (lg_evs[k].events & EPOLLHUP)
			revents |= POLLHUP;
		if (client_io(&conns[i], revents, now) == -1 &&
		    !lg_quit && o.idle == 0)
			lg_lost(&conns[i]);
	}
}

/* A connection was lost: open it again, or later in crash mode. */
static void
lg_lost(struct lg_conn *c)
{
	if (lg_resend)
		return;		/* lg_poll reconnects when it is time */
	if (lg_reconnects++ < LG_RECONNECTS)
		client_connect(c);
	else
		c->state = LG_DEAD;
}

/* Crash mode: the requests due to be sent again, while there is room. */
static void
lg_resends(unsigned int *rr, uint64_t now)
{
	struct lg_req	*r;
	int		 k;

	while (lg_resend && resend_waiting() > 0 &&
	    (k = lg_pick(rr)) != -1) {
		if ((r = resend_due(now)) == NULL)
			break;
		r->sched_ns = now;
		client_send(&conns[k], r);
	}
}

/* The closed and open loops. */
static void
lg_run(void)
{
	struct lg_conn	*c, *mon = NULL;
	uint64_t	 t0, now, end, next, interval = 0, issued = 0, dl;
	uint64_t	 nextpoll = 0, loadend = 0, stopped = 0;
	unsigned int	 rr = 0, i;
	int		 k, stopping = 0;

	for (i = 0; i < lg_nconns; i++)
		client_connect(&conns[i]);
	if (o.monitor_ms)
		mon = &conns[o.conns];
	/* Connections first: the handshakes are not part of the run. */
	end = lg_now() + 30ULL * 1000000000ULL;
	for (;;) {
		for (k = 0, i = 0; i < o.conns; i++)
			k += conns[i].state == LG_READY;
		if (k == (int)o.conns || lg_now() > end || lg_quit)
			break;
		lg_poll(lg_now() + 100000000ULL);
	}
	if (k == 0)
		fatalx("no connection to the vault");

	t0 = lg_now();
	lg_stats.first_ns = t0;
	end = t0 + (uint64_t)(o.seconds * 1e9);
	/* Traces a request carries, on average: -r counts traces. */
	if (o.rate > 0)
		interval = (uint64_t)(1e9 * (o.batch == 0 ? 1 :
		    1 + (o.batch - 1) * (o.batch_pct >= 100 ? 100 :
		    o.batch_pct) / 100.0) / o.rate);
	while (!lg_quit || (lg_resend && lg_quit < 2)) {
		now = lg_now();
		if (lg_quit)
			stopping = 1;	/* crash mode: finish what is pending */
		if (mon != NULL && mon->state == LG_READY &&
		    mon->inflight == 0 && now >= nextpoll) {
			client_get(mon, "/v1/status", LG_REQ_STATUS, now);
			nextpoll = now + o.monitor_ms * 1000000ULL;
		}
		if (!stopping && (now >= end || (o.maxevents > 0 &&
		    lg_events_sent >= o.maxevents)))
			stopping = 1;
		if (stopping && stopped == 0)
			stopped = now;
		if (stopping && loadend == 0 && lg_inflight() == 0)
			loadend = now;
		if (loadend != 0 && mon != NULL && !seal_caught_up() &&
		    now < loadend + LG_DRAIN_NS) {
			/* Load is over: wait for the last lots' seals. */
			lg_poll(now + 5000000ULL);
			continue;
		}
		if (stopping) {
			if (o.rate > 0 && !lg_resend && lg_unsent == 0 && issued *
			    interval < (uint64_t)(o.seconds * 1e9))
				lg_unsent = ((uint64_t)(o.seconds * 1e9) -
				    issued * interval) / interval;
			if (!lg_resend && lg_unsent <= issued / 200 + 2)
				lg_unsent = 0;	/* the last ones, at the edge */
			lg_resends(&rr, now);
			if ((lg_inflight() == 0 && resend_waiting() == 0) ||
			    now > stopped + LG_DRAIN_NS)
				break;
			lg_poll(now + (lg_resend ? 10000000ULL : 100000000ULL));
			continue;
		}
		dl = now + (lg_resend ? 10000000ULL : 100000000ULL);
		lg_resends(&rr, now);
		if (o.rate > 0) {
			/*
			 * Every request that is due, while a slot is free;
			 * in crash mode, those waiting to be resent first.
			 */
			while ((next = t0 + issued * interval) <= now &&
			    next < end && (!lg_resend || resend_waiting() == 0)) {
				if ((k = lg_pick(&rr)) == -1)
					break;
				c = &conns[k];
				if (now - next > 1000000ULL)
					lg_late++;
				client_send(c, lg_req_new(next));
				issued++;
			}
			if (lg_resend && next <= now &&
			    now - next > 1000000000ULL) {
				/* Crash mode: a vault down drops its slots. */
				lg_unsent += (now - next) / interval;
				issued += (now - next) / interval;
			} else if (next <= now && now - next > LG_SATURATED_NS) {
				lg_saturated = 1;
				stopping = 1;
			}
			if (next > now)
				dl = next < dl ? next : dl;
			else if (!lg_resend || resend_waiting() == 0)
				dl = now + 1000000ULL;	/* waiting for a slot */
		} else {
			while ((!lg_resend || resend_waiting() == 0) &&
			    (k = lg_pick(&rr)) != -1 && (o.maxevents == 0 ||
			    lg_events_sent < o.maxevents))
				client_send(&conns[k], lg_req_new(now));
		}
		/* Write what was queued before waiting. */
		for (i = 0; i < lg_nconns; i++)
			if (conns[i].state == LG_READY &&
			    conns[i].outoff < conns[i].outlen &&
			    client_io(&conns[i], 0, now) == -1)
				lg_lost(&conns[i]);
		if (mon != NULL && nextpoll < dl)
			dl = nextpoll;
		lg_poll(dl);
	}
	for (i = 0; i < lg_nconns; i++) {
		c = &conns[i];
		while (!TAILQ_EMPTY(&c->reqs)) {
			struct lg_req *r = TAILQ_FIRST(&c->reqs);

			TAILQ_REMOVE(&c->reqs, r, entry);
			if (!check_lost(r, "no answer in time"))
				lg_req_free(r);
		}
		client_close(c);
	}
	if (lg_resend)
		resend_close();
}

/*
 * Open the connections (a bounded number of handshakes at a time), prove
 * each with a GET, then hold them all.
 */
static void
lg_idle(void)
{
	uint64_t	 end, now;
	unsigned int	 i, started = 0, open, answered, pending;
	FILE		*fp;
	int		 ready = 0;

	end = lg_now() + 120ULL * 1000000000ULL;
	while (!lg_quit) {
		now = lg_now();
		for (open = answered = pending = 0, i = 0; i < started; i++) {
			if (conns[i].state == LG_READY && conns[i].answers > 0)
				answered++;
			else if (conns[i].state != LG_IDLE &&
			    conns[i].state != LG_DEAD)
				pending++;
			open += conns[i].state == LG_READY;
		}
		while (!ready && started < o.conns && pending < 64) {
			client_connect(&conns[started]);
			client_get(&conns[started], "/v1/status",
			    LG_REQ_PROBE, now);
			started++;
			pending++;
		}
		if (!ready && ((started == o.conns && pending == 0) ||
		    now > end)) {
			ready = 1;
			fprintf(stderr, "loadgen: %u of %u idle connections "
			    "open\n", answered, o.conns);
			if (o.ready != NULL && (fp = fopen(o.ready, "w")) !=
			    NULL) {
				fprintf(fp, "%u\n", answered);
				fclose(fp);
			}
			end = now + (uint64_t)(o.seconds * 1e9);
		} else if (ready && now > end)
			break;
		lg_poll(now + 100000000ULL);
	}
	for (open = 0, i = 0; i < o.conns; i++) {
		open += conns[i].state == LG_READY;
		client_close(&conns[i]);
	}
	printf("{\"mode\":\"idle\",\"label\":\"%s\",\"requested\":%u,"
	    "\"open_at_end\":%u,\"errors\":%" PRIu64 "}\n",
	    o.label ? o.label : "", o.conns, open, lg_stats.errors);
}

static int
lg_report(double secs)
{
	struct rusage	 ru;
	double		 p50, p99, p999, max, mean, cpu = 0;
	double		 lag99, vault50, vault99;
	uint64_t	 first, last, gaps, dups;
	int		 contiguous, valid;

	contiguous = check_idevts(&first, &last, &gaps, &dups) == 0;
	check_latency(&p50, &p99, &p999, &max, &mean);
	check_latency_split(&lag99, &vault50, &vault99);
	/* Crash mode: what went unacknowledged may be stored, a gap here. */
	valid = (contiguous || (lg_resend && dups == 0)) &&
	    lg_stats.errors == 0 && lg_stats.events > 0;
	if (getrusage(RUSAGE_SELF, &ru) == 0)
		cpu = ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 +
		    ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
	printf("{\"mode\":\"%s\",\"label\":\"%s\",\"conns\":%u,\"depth\":%u,"
	    "\"batch\":%u,\"offered\":%.0f,\"requests\":%" PRIu64 ","
	    "\"events\":%" PRIu64 ",\"errors\":%" PRIu64 ",\"lost\":%" PRIu64
	    ",\"bad_status\":%" PRIu64 ",\"bad_json\":%" PRIu64
	    ",\"bad_digest\":%" PRIu64 ",\"duration_s\":%.3f,"
	    "\"events_per_s\":%.1f,\"lat_ms\":{\"p50\":%.3f,\"p99\":%.3f,"
	    "\"p999\":%.3f,\"max\":%.3f,\"mean\":%.3f},"
	    "\"lag_ms\":{\"p99\":%.3f},\"vault_ms\":{\"p50\":%.3f,"
	    "\"p99\":%.3f},\"samples\":%zu,"
	    "\"late\":%" PRIu64 ",\"unsent\":%" PRIu64 ",\"saturated\":%s,"
	    "\"idevt\":{\"first\":%" PRIu64 ",\"last\":%" PRIu64
	    ",\"gaps\":%" PRIu64 ",\"dups\":%" PRIu64 ",\"contiguous\":%s},"
	    "\"loadgen_cpu_s\":%.2f",
	    o.rate > 0 ? "open" : "closed", o.label ? o.label : "", o.conns,
	    o.depth, o.batch, o.rate, lg_stats.requests, lg_stats.events,
	    lg_stats.errors, lg_stats.lost, lg_stats.bad_status,
	    lg_stats.bad_json, lg_stats.bad_digest, secs,
	    secs > 0 ? lg_stats.events / secs : 0.0, p50, p99, p999, max, mean,
	    lag99, vault50, vault99,
	    check_nsamples(), lg_late, lg_unsent,
	    lg_saturated || (!lg_resend && lg_unsent > 0) ? "true" : "false",
	    first, last, gaps, dups, contiguous ? "true" : "false", cpu);
	if (o.monitor_ms)
		seal_report(stdout, lg_stats.first_ns, lg_stats.last_ns);
	if (lg_resend)
		printf(",\"crash\":{\"unavailable\":%" PRIu64 ",\"conn_errors\":%"
		    PRIu64 ",\"resent\":%" PRIu64 ",\"acked_resent\":%" PRIu64
		    ",\"dup_answers\":%" PRIu64 ",\"dropped\":%" PRIu64
		    ",\"echoes\":%" PRIu64 "}", lg_stats.unavailable,
		    lg_stats.conn_errors, lg_stats.resent, lg_stats.acked_resent,
		    lg_stats.dup_answers, lg_stats.dropped, lg_stats.echoes);
	printf(",\"valid\":%s}\n", valid ? "true" : "false");
	fflush(stdout);
	if (!valid) {
		fprintf(stderr, "INVALID: %" PRIu64 " errors, %" PRIu64
		    " gaps, %" PRIu64 " duplicate IDEvt, %" PRIu64
		    " events acknowledged\n", lg_stats.errors, gaps, dups,
		    lg_stats.events);
		return 3;
	}
	return 0;
}

int
main(int argc, char *argv[])
{
	const char	*errstr;
	double		 secs;
	int		 ch;

	log_init(1, 0, LOG_USER);
	log_procinit("loadgen");
	o.host = "127.0.0.1";
	o.conns = 8;
	o.depth = 1;
	o.seconds = 10;
	o.oper = 48;
	o.vault = 1;
	o.batch_pct = 100;
	o.cid_pct = 100;
	while ((ch = getopt(argc, argv,
	    "A:a:B:b:C:c:d:E:e:h:I:k:L:M:n:NO:p:r:R:s:S:t:TV:x")) != -1) {
		switch (ch) {
		case 'A':
			o.ackfile = optarg;
			break;
		case 'B':
			o.batch_pct = strtonum(optarg, 0, 100, &errstr);
			if (errstr)
				fatalx("batch share %s: %s", optarg, errstr);
			break;
		case 'C':
			o.cid_pct = strtonum(optarg, 0, 100, &errstr);
			if (errstr)
				fatalx("Client-Id share %s: %s", optarg,
				    errstr);
			break;
		case 'E':
			o.echo = strtonum(optarg, 1, 1000000, &errstr);
			if (errstr)
				fatalx("echo %s: %s", optarg, errstr);
			break;
		case 'a':
			o.ca = optarg;
			break;
		case 'e':
			o.cert = optarg;
			break;
		case 'k':
			o.key = optarg;
			break;
		case 'h':
			o.host = optarg;
			break;
		case 'p':
			o.port = optarg;
			break;
		case 's':
			o.samples = optarg;
			break;
		case 'R':
			o.ready = optarg;
			break;
		case 'L':
			o.label = optarg;
			break;
		case 'N':
			o.noverify = 1;
			break;
		case 'x':
			lg_check_digest = 0;
			break;
		case 'T':
			client_stomp = 1;
			break;
		case 'b':
			o.batch = strtonum(optarg, 0, LG_BATCH_MAX, &errstr);
			if (errstr)
				fatalx("batch %s: %s", optarg, errstr);
			break;
		case 'c':
			o.conns = strtonum(optarg, 1, LG_CONNS_MAX, &errstr);
			if (errstr)
				fatalx("conns %s: %s", optarg, errstr);
			break;
		case 'd':
			o.depth = strtonum(optarg, 1, 1024, &errstr);
			if (errstr)
				fatalx("depth %s: %s", optarg, errstr);
			break;
		case 'I':
			o.idle = strtonum(optarg, 1, LG_CONNS_MAX, &errstr);
			if (errstr)
				fatalx("idle %s: %s", optarg, errstr);
			break;
		case 'M':
			o.monitor_ms = strtonum(optarg, 1, 10000, &errstr);
			if (errstr)
				fatalx("monitor interval %s: %s", optarg,
				    errstr);
			break;
		case 'S':
			o.spread = strtonum(optarg, 1, 250, &errstr);
			if (errstr)
				fatalx("spread %s: %s", optarg, errstr);
			break;
		case 'n':
			o.maxevents = strtonum(optarg, 1, 1LL << 40, &errstr);
			if (errstr)
				fatalx("events %s: %s", optarg, errstr);
			break;
		case 'O':
			o.oper = strtonum(optarg, 0, 1000000, &errstr);
			if (errstr)
				fatalx("operator %s: %s", optarg, errstr);
			break;
		case 'V':
			o.vault = strtonum(optarg, 0, 1000000, &errstr);
			if (errstr)
				fatalx("vault %s: %s", optarg, errstr);
			break;
		case 'r':
			o.rate = strtod(optarg, NULL);
			if (o.rate <= 0 || o.rate > 1e7)
				fatalx("rate %s: out of range", optarg);
			break;
		case 't':
			o.seconds = strtod(optarg, NULL);
			if (o.seconds <= 0 || o.seconds > 86400)
				fatalx("seconds %s: out of range", optarg);
			break;
		default:
			usage();
		}
	}
	if (optind != argc || o.port == NULL || (o.idle == 0 &&
	    o.samples == NULL) || (o.echo && o.ackfile == NULL))
		usage();
	if (client_stomp && (o.batch > 0 || o.idle))
		fatalx("-T: the queue front takes one trace a SEND");

	signal(SIGPIPE, SIG_IGN);
	signal(SIGINT, lg_sig);
	signal(SIGTERM, lg_sig);
	if (o.idle) {
		o.conns = o.idle;
		o.monitor_ms = 0;
	}
	lg_nconns = o.conns + (o.monitor_ms ? 1 : 0);
	lg_nofile(lg_nconns);
	if ((conns = calloc(lg_nconns, sizeof(*conns))) == NULL ||
	    (lg_evs = calloc(lg_nconns, sizeof(*lg_evs))) == NULL)
		fatal("%s", __func__);
	if ((lg_ep = epoll_create1(EPOLL_CLOEXEC)) == -1)
		fatal("epoll_create1");
	for (ch = 0; ch < (int)lg_nconns; ch++)
		conns[ch].fd = conns[ch].ep_fd = -1;
	client_init(o.host, o.port, o.ca, o.cert, o.key, o.noverify,
	    o.spread);
	if (o.idle) {
		lg_idle();
		return 0;
	}
	gen_load(o.samples, o.oper, o.vault);
	check_init(o.maxevents ? o.maxevents : 1 << 20);
	if (o.ackfile != NULL)
		resend_init(o.ackfile, o.echo);
	lg_run();
	secs = lg_stats.last_ns > lg_stats.first_ns ?
	    (lg_stats.last_ns - lg_stats.first_ns) / 1e9 : 0;
	return lg_report(secs);
}
