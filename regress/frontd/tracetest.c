/*
 * Drives frontd/trace.c from the shell tests: checks one file (or a
 * batch with -b) and prints the outcome on one line per trace:
 *
 *	ok TYPE DATEEVT IDEVT_OFF LEN
 *	refused HTTP_STATUS STATUS [index N] ERROR: DETAIL
 *
 * With -w OUT, the bytes for stored (of the last trace) go to OUT.
 */
#include <sys/types.h>
#include <sys/stat.h>
#include <sys/uio.h>

#include <err.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "trace.h"

static char	*readall(const char *, size_t *);
static void	 refused(const struct trace_error *, long);
static int	 check(const struct trace_policy *, const char *, size_t,
		    const char *, long);

static char *
readall(const char *path, size_t *len)
{
	char	*buf = NULL;
	size_t	 cap = 0, n = 0;
	ssize_t	 r;
	int	 fd;

	if (strcmp(path, "-") == 0)
		fd = 0;
	else if ((fd = open(path, O_RDONLY)) == -1)
		err(2, "%s", path);
	for (;;) {
		if (n == cap) {
			cap = cap ? cap * 2 : 65536;
			if ((buf = realloc(buf, cap)) == NULL)
				err(2, NULL);
		}
		if ((r = read(fd, buf + n, cap - n)) == -1)
			err(2, "read");
		if (r == 0)
			break;
		n += (size_t)r;
	}
	*len = n;
	return buf;
}

static void
refused(const struct trace_error *e, long index)
{
	printf("refused %d %s ", refusal_http(e->code),
	    refusal_status(e->code));
	if (index >= 0)
		printf("index %ld ", index);
	printf("%s: %s\n", e->error, e->detail);
}

static int
check(const struct trace_policy *pol, const char *buf, size_t len,
    const char *outpath, long index)
{
	struct trace_out	 out;
	struct trace_error	 e;
	FILE			*f;
	int			 i;

	if (trace_check(pol, buf, len, &out, &e) == -1) {
		refused(&e, index);
		return 1;
	}
	printf("ok %s %s %zu %zu\n", out.type, out.dateevt, out.idevt_off,
	    out.len);
	if (outpath != NULL) {
		if ((f = fopen(outpath, "w")) == NULL)
			err(2, "%s", outpath);
		for (i = 0; i < out.iovcnt; i++)
			fwrite(out.iov[i].iov_base, 1, out.iov[i].iov_len, f);
		fclose(f);
	}
	return 0;
}

int
main(int argc, char *argv[])
{
	struct trace_policy	 pol;
	struct trace_schemas	*schemas = NULL;
	struct trace_error	 e;
	struct trace_slice	 sl[64];
	const char		*outpath = NULL, *errstr;
	char			*buf;
	size_t			 len, n, i;
	int			 ch, batch = 0, rc = 0;

	memset(&pol, 0, sizeof(pol));
	pol.operator_id = 48;
	pol.vault_id = 1;
	pol.max_depth = 32;
	while ((ch = getopt(argc, argv, "bd:o:v:w:")) != -1) {
		switch (ch) {
		case 'b':
			batch = 1;
			break;
		case 'd':
			pol.max_depth = strtonum(optarg, 1, 1000, &errstr);
			if (errstr)
				errx(2, "depth %s", errstr);
			break;
		case 'o':
			pol.operator_id = strtonum(optarg, 0, UINT32_MAX,
			    &errstr);
			if (errstr)
				errx(2, "operator %s", errstr);
			break;
		case 'v':
			pol.vault_id = strtonum(optarg, 0, UINT32_MAX, &errstr);
			if (errstr)
				errx(2, "vault %s", errstr);
			break;
		case 'w':
			outpath = optarg;
			break;
		default:
			errx(2, "usage: tracetest [-b] [-d depth] [-o op] "
			    "[-v vault] [-w out] schemas|- file");
		}
	}
	argc -= optind;
	argv += optind;
	if (argc != 2)
		errx(2, "usage: tracetest [-b] schemas|- file");
	log_init(1, 0, 0);
	log_procinit("tracetest");
	trace_init();
	if (strcmp(argv[0], "-") != 0 &&
	    (pol.schemas = schemas = schemaset_load(argv[0])) == NULL)
		errx(2, "cannot load the schemas from %s", argv[0]);
	buf = readall(argv[1], &len);

	if (!batch)
		rc = check(&pol, buf, len, outpath, -1);
	else if (trace_batch_split(&pol, buf, len, 64, sl, &n, &e) == -1) {
		refused(&e, -1);
		rc = 1;
	} else {
		printf("batch %zu\n", n);
		for (i = 0; i < n; i++)
			rc |= check(&pol, buf + sl[i].off, sl[i].len, outpath,
			    (long)i);
	}
	/* Freed, so that a sanitizer build reports no leak at exit. */
	if (schemas != NULL)
		schemaset_free(schemas);
	free(buf);
	return rc;
}
