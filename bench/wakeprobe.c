/*
 * wakeprobe: how late the machine wakes a sleeping thread.  It sleeps
 * until the next period boundary, again and again, and records how long
 * after the deadline it ran.  Beside a load run this is the floor under
 * every hop of a deposit: each process on the path is woken the same
 * way, and no daemon can answer sooner than the machine runs it.
 *
 *	wakeprobe [-p period-us] -t seconds
 *	wakeprobe -s threads -t seconds
 *
 * One JSON line on stdout: the lateness percentiles in milliseconds and
 * how many wake-ups were more than 2 and 5 ms late.
 *
 * With -s, threads that never sleep read the clock over and over
 * instead: a gap between two readings is time the thread was not run
 * although it wanted to be.  On a machine of its own a thread a core
 * loses next to nothing; a virtual machine whose host takes its cores
 * back shows here how much, in how long stretches.  The JSON line gives
 * the share of the time lost, the gaps over 2 and 5 ms, the longest,
 * and the most lost by one thread in any 100 ms.
 */
#include <sys/types.h>

#include <pthread.h>

#include <err.h>
#include <errno.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define NS		1000000000ULL
#define SPIN_GAP	200000ULL	/* ns: less is the clock's own cost */
#define SPIN_WINDOW	100000000ULL	/* ns: the window of the worst loss */
#define SPIN_MAX	16

struct spin {
	pthread_t	 thread;
	uint64_t	 end;
	uint64_t	 lost, max, worst;
	size_t		 over2, over5;
};

static uint64_t	 probe_now(void);
static int	 probe_cmp(const void *, const void *);
static double	 probe_pct(const uint64_t *, size_t, unsigned int);
static void	*probe_spin(void *);
static int	 probe_spinners(unsigned int, long long);
static void	 usage(void) __attribute__((__noreturn__));

static void
usage(void)
{
	fprintf(stderr, "usage: wakeprobe [-p period-us] -t seconds\n"
	    "       wakeprobe -s threads -t seconds\n");
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

/* Read the clock until the end; count what was lost between readings. */
static void *
probe_spin(void *arg)
{
	struct spin	*sp = arg;
	uint64_t	 prev, now, gap, wstart, wlost = 0;

	prev = wstart = probe_now();
	while ((now = probe_now()) < sp->end) {
		gap = now - prev;
		prev = now;
		if (now - wstart >= SPIN_WINDOW) {
			wstart = now;
			wlost = 0;
		}
		if (gap < SPIN_GAP)
			continue;
		sp->lost += gap;
		wlost += gap;
		if (wlost > sp->worst)
			sp->worst = wlost;
		if (gap > sp->max)
			sp->max = gap;
		if (gap > 2000000)
			sp->over2++;
		if (gap > 5000000)
			sp->over5++;
	}
	return NULL;
}

static int
probe_spinners(unsigned int n, long long secs)
{
	struct spin	 sp[SPIN_MAX];
	uint64_t	 end, lost = 0, max = 0, worst = 0;
	size_t		 over2 = 0, over5 = 0;
	unsigned int	 i;

	end = probe_now() + (uint64_t)secs * NS;
	for (i = 0; i < n; i++) {
		memset(&sp[i], 0, sizeof(sp[i]));
		sp[i].end = end;
		if ((errno = pthread_create(&sp[i].thread, NULL, probe_spin,
		    &sp[i])) != 0)
			err(1, "pthread_create");
	}
	for (i = 0; i < n; i++) {
		pthread_join(sp[i].thread, NULL);
		lost += sp[i].lost;
		over2 += sp[i].over2;
		over5 += sp[i].over5;
		if (sp[i].max > max)
			max = sp[i].max;
		if (sp[i].worst > worst)
			worst = sp[i].worst;
	}
	printf("{\"spinners\":%u,\"seconds\":%lld,\"lost_pct\":%.2f,"
	    "\"over_2ms\":%zu,\"over_5ms\":%zu,\"max_gap_ms\":%.3f,"
	    "\"worst_100ms_lost_ms\":%.3f}\n", n, secs,
	    100.0 * lost / ((double)n * secs * NS), over2, over5, max / 1e6,
	    worst / 1e6);
	return 0;
}

int
main(int argc, char *argv[])
{
	struct timespec	 ts;
	const char	*errstr;
	uint64_t	*late, deadline, now, period = 1000000;
	size_t		 n, i, over2 = 0, over5 = 0;
	long long	 secs = 0;
	unsigned int	 spinners = 0;
	int		 ch;

	while ((ch = getopt(argc, argv, "p:s:t:")) != -1) {
		switch (ch) {
		case 's':
			spinners = strtonum(optarg, 1, SPIN_MAX, &errstr);
			if (errstr != NULL)
				errx(2, "threads %s: %s", optarg, errstr);
			break;
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
	if (spinners > 0)
		return probe_spinners(spinners, secs);

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
