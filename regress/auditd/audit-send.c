/*
 * Test helper: journal records through common/audit.c as a daemon
 * would, and wait until auditd has acknowledged every one.
 *
 *	audit-send [-c] [-f fill] [-n count] [-p process] [-t seconds]
 *	    [-u uid] dir
 *
 * -c asks auditd to close the current file once all are acknowledged.
 * -f first journals fill records nobody waits for (audit_record), as a
 * flood of refusals would, and prints "dropped D" for those the bounded
 * queue could not take.
 * Prints "acked N first F last L"; exits 0 when all were acknowledged,
 * 1 when the time ran out.
 */
#include <sys/types.h>

#include <err.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event.h>

#include "audit.h"
#include "log.h"

static uint64_t	 nacked, first, last;
static long long count = 10, fill;
static int	 close_after;

static void
done(void *arg, uint64_t seq)
{
	if (nacked == 0 || seq < first)
		first = seq;
	if (seq > last)
		last = seq;
	struct timeval	 tv = { 0, 300000 };

	if (++nacked == (uint64_t)count) {
		if (close_after && audit_close_file() == -1)
			warn("audit_close_file");
		/* Let the close request leave before the loop ends. */
		event_loopexit(close_after ? &tv : NULL);
	}
}

static void
timeout(int fd, short event, void *arg)
{
	printf("acked %" PRIu64 " of %lld: timed out\n", nacked, count);
	exit(1);
}

int
main(int argc, char *argv[])
{
	struct event	 ev;
	struct timeval	 tv = { 10, 0 };
	const char	*process = "stored", *errstr;
	uid_t		 uid = geteuid();
	long long	 i;
	int		 ch;

	while ((ch = getopt(argc, argv, "cf:n:p:t:u:")) != -1) {
		switch (ch) {
		case 'c':
			close_after = 1;
			break;
		case 'f':
			fill = strtonum(optarg, 1, 1000000, &errstr);
			if (errstr != NULL)
				errx(2, "fill %s", errstr);
			break;
		case 'n':
			count = strtonum(optarg, 1, AUDIT_QUEUE_MAX, &errstr);
			if (errstr != NULL)
				errx(2, "count %s", errstr);
			break;
		case 'p':
			process = optarg;
			break;
		case 't':
			tv.tv_sec = strtonum(optarg, 1, 600, &errstr);
			if (errstr != NULL)
				errx(2, "timeout %s", errstr);
			break;
		case 'u':
			uid = (uid_t)strtonum(optarg, 0, UINT32_MAX - 1, &errstr);
			if (errstr != NULL)
				errx(2, "uid %s", errstr);
			break;
		default:
			fprintf(stderr, "usage: audit-send [-c] [-f fill] "
			    "[-n count] [-p process] [-t seconds] [-u uid] "
			    "dir\n");
			exit(2);
		}
	}
	if (optind + 1 != argc)
		errx(2, "no runtime directory");
	log_init(1, 0, 0);
	log_procinit(process);
	event_init();
	evtimer_set(&ev, timeout, NULL);
	evtimer_add(&ev, &tv);
	audit_init(argv[optind], process, uid);
	for (i = 1; i <= fill; i++)
		audit_record("test-fill", "CN=client", "refused", "fill %lld",
		    i);
	if (fill > 0)
		printf("dropped %" PRIu64 "\n", audit_dropped());
	for (i = 1; i <= count; i++)
		if (audit_record_cb(done, NULL, "test", "CN=client \"é\"\t1",
		    "ok", "record %lld of %lld \\ \x01", i, count) == 0)
			errx(1, "record %lld dropped", i);
	event_dispatch();
	printf("acked %" PRIu64 " first %" PRIu64 " last %" PRIu64 "\n",
	    nacked, first, last);
	return 0;
}
