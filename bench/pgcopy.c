/*
 * pgcopy: the storage ceiling of the benchmark.  Rows of 600 bytes (a
 * bigint key and a payload, the size of an archived event) go into
 * PostgreSQL by COPY, one committed transaction a batch, with the
 * cluster's own durability settings.  No vault can store events faster
 * than this on the same disk.  One line of JSON on stdout.
 *
 *	pgcopy [-d conninfo] [-n rows] [-b batch] [-w width]
 */
#include <sys/types.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "pgbatch.h"

#define PGCOPY_PAYLOADS	64

static double
pgcopy_now(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

int
main(int argc, char *argv[])
{
	struct pgb	 b;
	const char	*conninfo = NULL, *errstr;
	char		*payload[PGCOPY_PAYLOADS], fsync[16], sync[16];
	uint64_t	 n = 100000, batch = 1000, width = 600, i;
	double		 t0, secs;
	size_t		 k, w;
	int		 ch;

	log_init(1, 0, LOG_USER);
	log_procinit("pgcopy");
	while ((ch = getopt(argc, argv, "b:d:n:w:")) != -1) {
		switch (ch) {
		case 'b':
			batch = strtonum(optarg, 1, 1000000, &errstr);
			if (errstr)
				fatalx("batch %s: %s", optarg, errstr);
			break;
		case 'd':
			conninfo = optarg;
			break;
		case 'n':
			n = strtonum(optarg, 1, 1LL << 36, &errstr);
			if (errstr)
				fatalx("rows %s: %s", optarg, errstr);
			break;
		case 'w':
			width = strtonum(optarg, 16, 65536, &errstr);
			if (errstr)
				fatalx("width %s: %s", optarg, errstr);
			break;
		default:
			fprintf(stderr, "usage: pgcopy [-d conninfo] [-n rows] "
			    "[-b batch] [-w width]\n");
			return 2;
		}
	}

	/* The payload: what is left of the row after the key, printable. */
	w = width > 24 ? width - 24 : width;
	srandom(getpid());
	for (k = 0; k < PGCOPY_PAYLOADS; k++) {
		if ((payload[k] = malloc(w)) == NULL)
			fatal("malloc");
		for (i = 0; i < w; i++)
			payload[k][i] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
			    [random() % 36];
	}

	pgb_connect(&b, conninfo);
	pgb_value(&b, "SHOW fsync", fsync, sizeof(fsync));
	pgb_value(&b, "SHOW synchronous_commit", sync, sizeof(sync));
	pgb_exec(&b, "DROP TABLE IF EXISTS bench_copy");
	pgb_exec(&b, "CREATE TABLE bench_copy (id bigint PRIMARY KEY, "
	    "payload text NOT NULL)");

	t0 = pgcopy_now();
	for (i = 1; i <= n; i++) {
		pgb_u64(&b, i);
		pgb_text(&b, payload[i % PGCOPY_PAYLOADS], w);
		pgb_end_row(&b);
		if (i % batch == 0)
			pgb_flush(&b, "COPY bench_copy FROM STDIN");
	}
	pgb_flush(&b, "COPY bench_copy FROM STDIN");
	secs = pgcopy_now() - t0;

	printf("{\"rows\":%llu,\"batch\":%llu,\"row_bytes\":%llu,"
	    "\"commits\":%llu,\"duration_s\":%.3f,\"rows_per_s\":%.1f,"
	    "\"commits_per_s\":%.1f,\"mb_per_s\":%.2f,\"fsync\":\"%s\","
	    "\"synchronous_commit\":\"%s\"}\n",
	    (unsigned long long)n, (unsigned long long)batch,
	    (unsigned long long)width, (unsigned long long)b.batches, secs,
	    n / secs, b.batches / secs, n * (double)width / secs / 1e6, fsync,
	    sync);
	pgb_exec(&b, "DROP TABLE bench_copy");
	pgb_close(&b);
	return 0;
}
