/*
 * pipeline: the vault's per-event work in one process, without TLS, HTTP
 * nor the hops between processes; the ceiling the deposit path is
 * measured against.  It is built from the vault's own modules:
 *
 *	check	frontd/trace.c: UTF-8, well-formedness, header fields, XSD
 *	number	stored/trace.c: the IDEvt written in; SHA-256 of the trace
 *		as archived and of the body as sent
 *	encrypt	stored/crypt.c: CMS for the regulator; SHA-256 of the .p7m
 *	store	tables shaped like the vault's events and client_ids, one
 *		committed COPY per group of -b events (fsync on)
 *
 * Traces come from the sample events (gen.c), made before the clock
 * starts.  One line of JSON on stdout, with each stage's share.
 *
 *	pipeline -s samples -x xsd-dir -C regulator.pem [-c cipher]
 *	    [-d conninfo] [-n events] [-b group]
 */
#include <sys/types.h>
#include <sys/uio.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include <openssl/sha.h>

#include "loadgen.h"
#include "log.h"
#include "pgbatch.h"
#include "crypt.h"
#include "tracenum.h"
#include "trace.h"

#define PIPE_POOL	4096

struct pipe_stage {
	const char	*name;
	double		 secs;
};

enum { ST_CHECK, ST_NUMBER, ST_ENCRYPT, ST_STORE, ST_COUNT };

static struct pipe_stage stages[ST_COUNT] = {
	{ "check", 0 }, { "number", 0 }, { "encrypt", 0 }, { "store", 0 }
};

static double
pipe_now(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void
pipe_tables(struct pgb *b)
{
	pgb_exec(b, "DROP TABLE IF EXISTS bench_client_ids");
	pgb_exec(b, "DROP TABLE IF EXISTS bench_events");
	pgb_exec(b, "CREATE TABLE bench_events ("
	    "  idevt bigint PRIMARY KEY CHECK (idevt > 0),"
	    "  lot bigint NOT NULL CHECK (lot > 0),"
	    "  type text NOT NULL,"
	    "  dateevt text NOT NULL,"
	    "  received timestamptz NOT NULL,"
	    "  depositor bytea NOT NULL CHECK (length(depositor) = 32),"
	    "  client_id text,"
	    "  body_sha256 bytea NOT NULL CHECK (length(body_sha256) = 32),"
	    "  digest bytea NOT NULL CHECK (length(digest) = 32),"
	    "  p7m bytea NOT NULL,"
	    "  p7m_sha256 bytea NOT NULL CHECK (length(p7m_sha256) = 32))");
	pgb_exec(b, "CREATE INDEX bench_events_lot ON bench_events (lot)");
	pgb_exec(b, "CREATE INDEX bench_events_received ON bench_events "
	    "(received)");
	pgb_exec(b, "CREATE TABLE bench_client_ids ("
	    "  client_id text PRIMARY KEY,"
	    "  idevt bigint NOT NULL UNIQUE REFERENCES bench_events (idevt))");
}

static void
usage(void)
{
	fprintf(stderr, "usage: pipeline -s samples -x xsd-dir -C regulator.pem "
	    "[-c cipher] [-d conninfo]\n\t[-n events] [-b group]\n");
	exit(2);
}

int
main(int argc, char *argv[])
{
	struct trace_policy	 pol;
	struct trace_out	 out;
	struct trace_error	 err;
	struct pgb		 ev, cid;
	const char		*samples = NULL, *xsd = NULL, *cert = NULL;
	const char		*cipher = "aes-256-gcm", *conninfo = NULL;
	const char		*errstr;
	char			*pool[PIPE_POOL], cidbuf[64];
	size_t			 poollen[PIPE_POOL], idoff, xlen, p7mlen, k;
	uint8_t			 flat[GEN_TRACE_MAX], *xml, *p7m;
	uint8_t			 digest[32], bodysha[32], p7msha[32], dep[32];
	uint64_t		 n = 20000, group = 500, i, bytes = 0;
	double			 t0, t, secs;
	int			 ch, s, j;

	log_init(1, 0, LOG_USER);
	log_procinit("pipeline");
	while ((ch = getopt(argc, argv, "b:c:C:d:n:s:x:")) != -1) {
		switch (ch) {
		case 'b':
			group = strtonum(optarg, 1, 100000, &errstr);
			if (errstr)
				fatalx("group %s: %s", optarg, errstr);
			break;
		case 'c':
			cipher = optarg;
			break;
		case 'C':
			cert = optarg;
			break;
		case 'd':
			conninfo = optarg;
			break;
		case 'n':
			n = strtonum(optarg, 1, 1LL << 36, &errstr);
			if (errstr)
				fatalx("events %s: %s", optarg, errstr);
			break;
		case 's':
			samples = optarg;
			break;
		case 'x':
			xsd = optarg;
			break;
		default:
			usage();
		}
	}
	if (samples == NULL || xsd == NULL || cert == NULL)
		usage();

	trace_init();
	memset(&pol, 0, sizeof(pol));
	pol.operator_id = 48;
	pol.vault_id = 1;
	pol.max_depth = 32;
	if ((pol.schemas = schemaset_load(xsd)) == NULL)
		fatalx("schemas %s could not be loaded", xsd);
	crypt_init(cert, cipher);
	gen_load(samples, pol.operator_id, pol.vault_id);
	for (k = 0; k < PIPE_POOL; k++) {
		if ((pool[k] = malloc(GEN_TRACE_MAX)) == NULL)
			fatal("malloc");
		poollen[k] = gen_trace(pool[k], 1, &idoff);
	}
	memset(dep, 0xd5, sizeof(dep));
	pgb_connect(&ev, conninfo);
	memset(&cid, 0, sizeof(cid));
	pipe_tables(&ev);

	t0 = pipe_now();
	for (i = 1; i <= n; i++) {
		k = i % PIPE_POOL;
		t = pipe_now();
		if (trace_check(&pol, pool[k], poollen[k], &out, &err) == -1)
			fatalx("sample trace refused: %s: %s", err.error,
			    err.detail);
		stages[ST_CHECK].secs += pipe_now() - t;

		t = pipe_now();
		for (xlen = 0, j = 0; j < out.iovcnt; j++) {
			memcpy(flat + xlen, out.iov[j].iov_base,
			    out.iov[j].iov_len);
			xlen += out.iov[j].iov_len;
		}
		SHA256((uint8_t *)pool[k], poollen[k], bodysha);
		if (tracenum_write(flat, xlen, out.idevt_off, 0, i, &xml,
		    &xlen) == -1)
			fatalx("IDEvt write-in failed");
		SHA256(xml, xlen, digest);
		stages[ST_NUMBER].secs += pipe_now() - t;

		t = pipe_now();
		if (crypt_encrypt(xml, xlen, &p7m, &p7mlen) == -1)
			fatalx("encryption failed");
		SHA256(p7m, p7mlen, p7msha);
		free(xml);
		stages[ST_ENCRYPT].secs += pipe_now() - t;

		t = pipe_now();
		pgb_u64(&ev, i);
		pgb_u64(&ev, 1 + (i - 1) / 1000);
		pgb_text(&ev, out.type, strlen(out.type));
		pgb_text(&ev, out.dateevt, strlen(out.dateevt));
		pgb_text(&ev, "2026-11-24 10:00:00+00", 22);
		pgb_bytes(&ev, dep, sizeof(dep));
		s = snprintf(cidbuf, sizeof(cidbuf), "pipe-%llu",
		    (unsigned long long)i);
		pgb_text(&ev, cidbuf, s);
		pgb_bytes(&ev, bodysha, sizeof(bodysha));
		pgb_bytes(&ev, digest, sizeof(digest));
		pgb_bytes(&ev, p7m, p7mlen);
		pgb_bytes(&ev, p7msha, sizeof(p7msha));
		pgb_end_row(&ev);
		pgb_text(&cid, cidbuf, s);
		pgb_u64(&cid, i);
		pgb_end_row(&cid);
		bytes += p7mlen;
		free(p7m);
		if (i % group == 0 || i == n) {
			/* One transaction a group, as the vault commits. */
			pgb_exec(&ev, "BEGIN");
			pgb_flush(&ev, "COPY bench_events FROM STDIN");
			pgb_flush_via(&cid, ev.conn,
			    "COPY bench_client_ids FROM STDIN");
			pgb_exec(&ev, "COMMIT");
		}
		stages[ST_STORE].secs += pipe_now() - t;
	}
	secs = pipe_now() - t0;

	printf("{\"events\":%llu,\"group\":%llu,\"cipher\":\"%s\","
	    "\"duration_s\":%.3f,\"events_per_s\":%.1f,\"p7m_bytes\":%.0f,"
	    "\"us_per_event\":{",
	    (unsigned long long)n, (unsigned long long)group, cipher, secs,
	    n / secs, (double)bytes / n);
	for (s = 0; s < ST_COUNT; s++)
		printf("%s\"%s\":%.1f", s ? "," : "", stages[s].name,
		    stages[s].secs * 1e6 / n);
	printf("}}\n");
	pgb_exec(&ev, "DROP TABLE bench_client_ids");
	pgb_exec(&ev, "DROP TABLE bench_events");
	pgb_close(&cid);
	pgb_close(&ev);
	return 0;
}
