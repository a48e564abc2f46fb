/*
 * wakeprobe: how late the machine wakes a sleeping thread.  It sleeps
 * until the next period boundary, again and again, and records how long
 * after the deadline it ran.  Beside a load run this is the floor under
 * every hop of a deposit: each process on the path is woken the same
 * way, and no daemon can answer sooner than the machine runs it.
 *
 *	wakeprobe [-p period-us] -t seconds
 *
 * One JSON line on stdout: the lateness percentiles in milliseconds and
 * how many wake-ups were more than 2 and 5 ms late.
 */
#include <sys/types.h>

#include <err.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#define NS		1000000000ULL

static uint64_t	 probe_now(void);
static int	 probe_cmp(const void *, const void *);
static double	 probe_pct(const uint64_t *, size_t, unsigned int);
static void	 usage(void) __attribute__((__noreturn__));

static void
usage(void)
{
	fprintf(stderr, "usage: wakeprobe [-p period-us] -t seconds\n");
	exit(2);
}

static uint64_t
probe_now(void)
{
	struct timespec	 ts;

	if (clock_gettime(CLOCK_MONOTONIC, &ts) == -1)
		err(1, "clock_gettime");
	return (uint64_t)ts.tv_sec * NS + (uint64_t)ts.tv_nsec;
}

static int
probe_cmp(const void *a, const void *b)
{
	uint64_t	 x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* The per-mille percentile of n sorted values, in milliseconds. */
static double
probe_pct(const uint64_t *v, size_t n, unsigned int permille)
{
	size_t	 i = n * permille / 1000;

	if (i >= n)
		i = n - 1;
	return v[i] / 1e6;
}

int
main(int argc, char *argv[])
{
	struct timespec	 ts;
	const char	*errstr;
	uint64_t	*late, deadline, now, period = 1000000;
	size_t		 n, i, over2 = 0, over5 = 0;
	long long	 secs = 0;
	int		 ch;

	while ((ch = getopt(argc, argv, "p:t:")) != -1) {
		switch (ch) {
		case 'p':
			period = strtonum(optarg, 100, 1000000, &errstr) *
			    1000ULL;
			if (errstr != NULL)
				errx(2, "period %s: %s", optarg, errstr);
			break;
		case 't':
			secs = strtonum(optarg, 1, 3600, &errstr);
			if (errstr != NULL)
				errx(2, "seconds %s: %s", optarg, errstr);
			break;
		default:
			usage();
		}
	}
	if (secs == 0 || optind != argc)
		usage();

	n = (size_t)((uint64_t)secs * NS / period);
	if ((late = calloc(n, sizeof(*late))) == NULL)
		err(1, NULL);
	deadline = probe_now();
	for (i = 0; i < n; i++) {
		deadline += period;
		ts.tv_sec = deadline / NS;
		ts.tv_nsec = deadline % NS;
		while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts,
		    NULL) != 0)
			;	/* EINTR: sleep on to the same deadline */
		now = probe_now();
		late[i] = now > deadline ? now - deadline : 0;
		if (late[i] > 2000000)
			over2++;
		if (late[i] > 5000000)
			over5++;
		/* Woken a whole period late: start again from now. */
		if (now > deadline + period)
			deadline = now;
	}
	qsort(late, n, sizeof(*late), probe_cmp);
	printf("{\"period_us\":%" PRIu64 ",\"wakeups\":%zu,\"late_ms\":"
	    "{\"p50\":%.3f,\"p99\":%.3f,\"p999\":%.3f,\"max\":%.3f},"
	    "\"over_2ms\":%zu,\"over_5ms\":%zu}\n", period / 1000, n,
	    probe_pct(late, n, 500), probe_pct(late, n, 990),
	    probe_pct(late, n, 999), late[n - 1] / 1e6, over2, over5);
	free(late);
	return 0;
}
