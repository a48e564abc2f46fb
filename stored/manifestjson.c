/*
 * The manifest.json of an export bundle (cfjl-export(5)): what the
 * bundle holds, written in one fixed form so that two exports of the
 * same range are byte-identical.
 */
#include <sys/types.h>

#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "export.h"
#include "manifestjson.h"

int
manifestjson_write(const struct export_manifest *m, char *buf, size_t len)
{
	char		 req[128], inc[64], lots[64], sealed[64], created[96];
	struct tm	 tm;
	time_t		 t;
	int		 n;

	if (m->by_time)
		snprintf(req, sizeof(req), "{\"since\":\"%014" PRIu64 "\","
		    "\"until\":\"%014" PRIu64 "\"}", m->req_from, m->req_to);
	else
		snprintf(req, sizeof(req), "{\"from\":%" PRIu64 ",\"to\":%"
		    PRIu64 "}", m->req_from, m->req_to);
	if (m->included) {
		snprintf(inc, sizeof(inc), "{\"from\":%" PRIu64 ",\"to\":%"
		    PRIu64 "}", m->inc_from, m->inc_to);
		snprintf(lots, sizeof(lots), "{\"first\":%" PRIu64 ",\"last\":%"
		    PRIu64 "}", m->lot_first, m->lot_last);
	} else {
		strlcpy(inc, "null", sizeof(inc));
		strlcpy(lots, "null", sizeof(lots));
	}
	if (m->sealed)
		snprintf(sealed, sizeof(sealed), "{\"lot\":%" PRIu64 ",\"idevt\":%"
		    PRIu64 "}", m->sealed_lot, m->sealed_idevt);
	else
		strlcpy(sealed, "null", sizeof(sealed));
	t = (time_t)(m->created_ms / 1000);
	if (gmtime_r(&t, &tm) == NULL)
		return -1;
	snprintf(created, sizeof(created), "%04d-%02d-%02dT%02d:%02d:%02d."
	    "%03dZ", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
	    tm.tm_min, tm.tm_sec, (int)(m->created_ms % 1000));
	n = snprintf(buf, len, "{\"format\":\"cfjl-export/1\","
	    "\"operator\":\"%" PRIu32 "\",\"vault\":%" PRIu32 ","
	    "\"requested\":%s,\"included\":%s,\"lots\":%s,\"events\":%"
	    PRIu64 ",\"sealed\":%s,\"created\":\"%s\"}\n",
	    m->operator_id, m->vault_id, req, inc, lots, m->nevents, sealed,
	    created);
	if (n < 0 || (size_t)n >= len)
		return -1;
	return n;
}
