/*
 * Times frontd's trace check (frontd/trace.c) alone: every sample given,
 * its IDEvt set to 0, checked in a loop; prints microseconds per trace.
 * A sample that is refused stops the run, so the figure is always that
 * of accepted traces.  With -v, each file is checked once, in order, in
 * the same process, and its outcome printed (as tracetest does): two
 * builds of the checks can be compared over a corpus.
 *
 *	tracebench [-v] [-n rounds] schemas file ...
 */
#include <sys/types.h>
#include <sys/stat.h>
#include <sys/uio.h>

#include <err.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "trace.h"

#define BENCH_FILES	100000

static char	*readfile(const char *, size_t *, int);
static void	 outcome(const char *, const char *, size_t,
		    const struct trace_policy *);

static char *
readfile(const char *path, size_t *len, int verbatim)
{
	struct stat	 st;
	char		*buf, *p;
	ssize_t		 r;
	int		 fd;

	if ((fd = open(path, O_RDONLY)) == -1 || fstat(fd, &st) == -1)
		err(2, "%s", path);
	if ((buf = malloc((size_t)st.st_size + 1)) == NULL)
		err(2, NULL);
	if ((r = read(fd, buf, (size_t)st.st_size)) != st.st_size)
		err(2, "read %s", path);
	close(fd);
	buf[r] = '\0';
	*len = (size_t)r;
	/* The samples carry IDEvt 1: the vault numbers events. */
	if (!verbatim && (p = strstr(buf, "<IDEvt>1</IDEvt>")) != NULL)
		p[7] = '0';
	return buf;
}

static void
outcome(const char *name, const char *buf, size_t len,
    const struct trace_policy *pol)
{
	struct trace_out	 out;
	struct trace_error	 e;
	char			*flat, *p;
	int			 i;

	if (trace_check(pol, buf, len, &out, &e) == -1) {
		printf("%s: refused %d %s %s: %s\n", name,
		    refusal_http(e.code), refusal_status(e.code), e.error,
		    e.detail);
		return;
	}
	if ((flat = malloc(out.len + 1)) == NULL)
		err(2, NULL);
	for (p = flat, i = 0; i < out.iovcnt; i++) {
		memcpy(p, out.iov[i].iov_base, out.iov[i].iov_len);
		p += out.iov[i].iov_len;
	}
	*p = '\0';
	printf("%s: ok %s %s %zu %zu %s\n", name, out.type, out.dateevt,
	    out.idevt_off, out.len, flat);
	free(flat);
}

int
main(int argc, char *argv[])
{
	struct trace_policy	 pol;
	struct trace_out	 out;
	struct trace_error	 e;
	struct timespec		 t0, t1;
	const char		*errstr;
	char			**buf;
	size_t			*len;
	long long		 rounds = 20000, r;
	double			 us;
	int			 ch, i, n, verbose = 0;

	while ((ch = getopt(argc, argv, "n:v")) != -1) {
		switch (ch) {
		case 'v':
			verbose = 1;
			break;
		case 'n':
			rounds = strtonum(optarg, 1, 100000000, &errstr);
			if (errstr)
				errx(2, "rounds %s", errstr);
			break;
		default:
			errx(2, "usage: tracebench [-v] [-n rounds] schemas "
			    "file ...");
		}
	}
	argc -= optind;
	argv += optind;
	if (argc < 2 || argc - 1 > BENCH_FILES)
		errx(2, "usage: tracebench [-v] [-n rounds] schemas file ...");
	log_init(1, 0, 0);
	log_procinit("tracebench");
	trace_init();
	memset(&pol, 0, sizeof(pol));
	pol.operator_id = 48;
	pol.vault_id = 1;
	pol.max_depth = 32;
	if ((pol.schemas = schemaset_load(argv[0])) == NULL)
		errx(2, "cannot load the schemas from %s", argv[0]);
	n = argc - 1;
	if ((buf = calloc(n, sizeof(*buf))) == NULL ||
	    (len = calloc(n, sizeof(*len))) == NULL)
		err(2, NULL);
	for (i = 0; i < n; i++)
		buf[i] = readfile(argv[i + 1], &len[i], verbose);
	if (verbose) {
		for (i = 0; i < n; i++)
			outcome(argv[i + 1], buf[i], len[i], &pol);
		return 0;
	}

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (r = 0; r < rounds; r++) {
		i = (int)(r % n);
		if (trace_check(&pol, buf[i], len[i], &out, &e) == -1)
			errx(1, "%s refused: %d %s: %s", argv[i + 1],
			    refusal_http(e.code), e.error, e.detail);
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	us = ((t1.tv_sec - t0.tv_sec) * 1e9 + (t1.tv_nsec - t0.tv_nsec)) /
	    1e3 / (double)rounds;
	printf("%lld traces, %.2f us/trace\n", rounds, us);
	return 0;
}
