/*
 * Sealing as a depositor sees it: for every lot, when its last event was
 * acknowledged (from the "lot" of each answer) and when its seal became
 * available (last_sealed_lot of GET /v1/status, polled on a connection
 * of its own).  The difference is the wait for the archiving attestation.
 */
#define _GNU_SOURCE		/* memmem */
#include <sys/types.h>

#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "loadgen.h"
#include "log.h"

#define SEAL_LOTS_MAX	(4 * 1024 * 1024)

static uint64_t	*seal_acked;		/* by lot: last ack, ns */
static uint64_t	*seal_seen;		/* by lot: seal seen, ns */
static size_t	 seal_cap;
static uint64_t	 seal_lo = UINT64_MAX;	/* first lot acknowledged */
static uint64_t	 seal_hi;		/* last lot acknowledged */
static uint64_t	 seal_sealed;		/* last_sealed_lot, last seen */
static int	 seal_known;		/* seal_sealed was read once */
static uint64_t	 seal_lag_max;		/* sealing_lag events, highest */

static void	 seal_grow(uint64_t);
static int	 seal_cmp(const void *, const void *);
static const char *seal_find(const char *, size_t, const char *);

static void
seal_grow(uint64_t lot)
{
	size_t	 ncap;

	if (lot < seal_cap)
		return;
	if (lot >= SEAL_LOTS_MAX)
		fatalx("lot %" PRIu64 ": too many lots to follow", lot);
	ncap = seal_cap ? seal_cap : 4096;
	while (ncap <= lot)
		ncap *= 2;
	if ((seal_acked = recallocarray(seal_acked, seal_cap, ncap,
	    sizeof(*seal_acked))) == NULL ||
	    (seal_seen = recallocarray(seal_seen, seal_cap, ncap,
	    sizeof(*seal_seen))) == NULL)
		fatal("%s", __func__);
	seal_cap = ncap;
}

void
seal_ack(uint64_t lot, uint64_t now)
{
	if (lot == 0)
		return;
	seal_grow(lot);
	if (seal_acked[lot] < now)
		seal_acked[lot] = now;
	if (lot < seal_lo)
		seal_lo = lot;
	if (lot > seal_hi)
		seal_hi = lot;
}

static const char *
seal_find(const char *body, size_t len, const char *key)
{
	const char	*p;

	if ((p = memmem(body, len, key, strlen(key))) == NULL)
		return NULL;
	return p + strlen(key);
}

void
seal_status(const char *body, size_t len, uint64_t now)
{
	const char	*p;
	uint64_t	 n, l;

	if ((p = seal_find(body, len, "\"sealing_lag\":{\"events\":")) !=
	    NULL && (n = strtoull(p, NULL, 10)) > seal_lag_max)
		seal_lag_max = n;
	if ((p = seal_find(body, len, "\"last_sealed_lot\":")) == NULL)
		return;
	n = strtoull(p, NULL, 10);
	if (!seal_known) {
		seal_known = 1;
		seal_sealed = n;
		return;
	}
	if (n <= seal_sealed)
		return;
	seal_grow(n);
	for (l = seal_sealed + 1; l <= n; l++)
		seal_seen[l] = now;
	seal_sealed = n;
}

int
seal_caught_up(void)
{
	return seal_known && (seal_hi == 0 || seal_sealed >= seal_hi);
}

static int
seal_cmp(const void *a, const void *b)
{
	uint64_t	 x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* ,"seal":{...} for the report: lots sealed in [start, end], latency. */
void
seal_report(FILE *fp, uint64_t start, uint64_t end)
{
	uint64_t	*lat, l, inrun = 0, s0 = 0, s1 = 0;
	size_t		 n = 0;
	double		 secs = (end - start) / 1e9;

	if (!seal_known || seal_hi == 0) {
		fprintf(fp, ",\"seal\":null");
		return;
	}
	if ((lat = reallocarray(NULL, seal_hi - seal_lo + 1,
	    sizeof(*lat))) == NULL)
		fatal("%s", __func__);
	for (l = seal_lo; l <= seal_hi && l < seal_cap; l++) {
		if (seal_seen[l] == 0 || seal_acked[l] == 0)
			continue;
		if (seal_seen[l] >= start && seal_seen[l] <= end)
			inrun++;
		if (s0 == 0 || seal_seen[l] < s0)
			s0 = seal_seen[l];
		if (seal_seen[l] > s1)
			s1 = seal_seen[l];
		lat[n++] = seal_seen[l] > seal_acked[l] ?
		    seal_seen[l] - seal_acked[l] : 0;
	}
	qsort(lat, n, sizeof(*lat), seal_cmp);
#define SP(p)	(n ? lat[(size_t)((p) / 100.0 * (n - 1) + 0.5)] / 1e6 : 0.0)
	fprintf(fp, ",\"seal\":{\"lots\":%zu,\"first\":%" PRIu64 ",\"last\":%"
	    PRIu64 ",\"sealed_during_load\":%" PRIu64 ",\"lots_per_s\":%.2f,"
	    "\"sealing_lots_per_s\":%.2f,"
	    "\"lat_ms\":{\"p50\":%.1f,\"p99\":%.1f,\"max\":%.1f},"
	    "\"lag_events_max\":%" PRIu64 ",\"all_sealed\":%s}",
	    n, seal_lo, seal_hi, inrun, secs > 0 ? inrun / secs : 0.0,
	    s1 > s0 && n > 1 ? (n - 1) / ((s1 - s0) / 1e9) : 0.0, SP(50),
	    SP(99), n ? lat[n - 1] / 1e6 : 0.0, seal_lag_max,
	    seal_caught_up() ? "true" : "false");
#undef SP
	free(lat);
}
