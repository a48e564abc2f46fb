/*
 * The cost of one lot seal, measured in the sealing modules alone (no
 * daemon, no socket): N chained lots of E events each, sealed with the
 * token of the configuration; the median and worst wall time and the
 * mean CPU time per lot are printed, and the last seal may be written
 * out for checking.
 *
 *	seal_bench -f cfjl.conf [-o LAST.xml] EVENTS LOTS
 */
#include <sys/resource.h>

#include <err.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "log.h"
#include "proto.h"
#include "sealer.h"

static double	 now_ms(clockid_t);
static int	 cmp_double(const void *, const void *);

static double
now_ms(clockid_t id)
{
	struct timespec	 ts;

	clock_gettime(id, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int
cmp_double(const void *a, const void *b)
{
	double	 x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

int
main(int argc, char *argv[])
{
	struct cfjl_conf	*conf;
	struct sealer		 s;
	struct seal_lot		 sl;
	struct seal_event	*ev;
	unsigned char		*xml, prev[32];
	const char		*conffile = NULL, *out = NULL, *e;
	double			*wall, t0, c0, cpu = 0;
	size_t			 len, k, nev;
	uint64_t		 id = 1;
	char			 msg[512];
	int			 ch, i, nlots;
	FILE			*f;

	log_init(1, 2, LOG_DAEMON);
	log_procinit("seal_bench");
	while ((ch = getopt(argc, argv, "f:o:")) != -1) {
		switch (ch) {
		case 'f':
			conffile = optarg;
			break;
		case 'o':
			out = optarg;
			break;
		default:
			exit(2);
		}
	}
	argc -= optind;
	argv += optind;
	if (conffile == NULL || argc != 2)
		errx(2, "usage: seal_bench -f conf [-o last.xml] events lots");
	nev = strtonum(argv[0], 1, 100000, &e);
	if (e != NULL)
		errx(2, "events %s: %s", argv[0], e);
	nlots = strtonum(argv[1], 1, 100000, &e);
	if (e != NULL)
		errx(2, "lots %s: %s", argv[1], e);

	memset(&s, 0, sizeof(s));
	if ((conf = parse_config(conffile)) == NULL)
		errx(1, "%s: bad configuration", conffile);
	if (hsm_init(&s.hsm, &conf->sealerd) == -1)
		errx(1, "hsm: %s", s.hsm.err);
	if (tsa_init(&s.tsa, &conf->sealerd, msg, sizeof(msg)) == -1)
		errx(1, "tsa: %s", msg);
	config_free(conf);
	if (seal_hsm_ready(&s) == -1)
		errx(1, "HSM: %s", s.hsm.err);

	if ((ev = calloc(nev, sizeof(*ev))) == NULL ||
	    (wall = calloc(nlots, sizeof(*wall))) == NULL)
		err(1, NULL);
	memset(prev, 0, sizeof(prev));
	for (i = 0; i < nlots; i++) {
		memset(&sl, 0, sizeof(sl));
		sl.lot = i + 1;
		sl.nevents = nev;
		sl.first = id;
		sl.last = id + nev - 1;
		sl.operator_id = 48;
		sl.vault_id = 1;
		memcpy(sl.precedent, prev, sizeof(prev));
		for (k = 0; k < nev; k++) {
			ev[k].idevt = id++;
			ev[k].received_ms = 1795514400123LL + k * 1001;
			strlcpy(ev[k].type, k % 2 ? "PASPMISE" : "OUVINFOPERSO",
			    sizeof(ev[k].type));
			strlcpy(ev[k].dateevt, "100412103320",
			    sizeof(ev[k].dateevt));
			memset(ev[k].depositor, 0x11, sizeof(ev[k].depositor));
			memset(ev[k].file_sha256, (int)(ev[k].idevt & 0xff),
			    sizeof(ev[k].file_sha256));
		}
		t0 = now_ms(CLOCK_MONOTONIC);
		c0 = now_ms(CLOCK_PROCESS_CPUTIME_ID);
		if (seal_lot_make(&s, &sl, ev, nev, &xml, &len, prev, msg,
		    sizeof(msg)) != SEAL_OK)
			errx(1, "lot %d: %s", i + 1, msg);
		cpu += now_ms(CLOCK_PROCESS_CPUTIME_ID) - c0;
		wall[i] = now_ms(CLOCK_MONOTONIC) - t0;
		if (i == nlots - 1 && out != NULL) {
			if ((f = fopen(out, "wb")) == NULL ||
			    fwrite(xml, 1, len, f) != len || fclose(f) != 0)
				err(1, "%s", out);
		}
		free(xml);
	}
	qsort(wall, nlots, sizeof(*wall), cmp_double);
	printf("%zu events, %d lots: wall p50 %.2f ms, max %.2f ms; "
	    "cpu %.2f ms a lot\n", nev, nlots, wall[nlots / 2],
	    wall[nlots - 1], cpu / nlots);
	free(wall);
	free(ev);
	tsa_close(&s.tsa);
	hsm_free(&s.hsm);
	return 0;
}
