/*
 * sealerd's status as JSON, for stored's /v1/status and cfjlctl: token,
 * keys, clock, and what was sealed.
 */
#define _GNU_SOURCE		/* asprintf */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sealer.h"

static void	 status_str(char *, size_t, const char *);

/* A JSON string body: quotes, backslashes and controls escaped. */
static void
status_str(char *out, size_t len, const char *s)
{
	size_t	 o = 0;

	for (; *s != '\0' && o + 7 < len; s++) {
		if (*s == '"' || *s == '\\') {
			out[o++] = '\\';
			out[o++] = *s;
		} else if ((unsigned char)*s < 0x20)
			o += snprintf(out + o, len - o, "\\u%04x",
			    (unsigned char)*s);
		else
			out[o++] = *s;
	}
	out[o] = '\0';
}

char *
status_json(struct sealer *s)
{
	struct clock_state	*cs = &s->tsa.clock;
	char			*j = NULL, e[1100], tok[140], sk[140], tk[140];
	int			 synced;

	/* A fresh reading, without logging or refusing anything. */
	synced = clock_check(cs) == 0;
	status_str(e, sizeof(e), s->hsm.up ? "" : s->hsm.err);
	status_str(tok, sizeof(tok), s->hsm.token);
	status_str(sk, sizeof(sk), s->hsm.seal_label);
	status_str(tk, sizeof(tk), s->hsm.tsa_label);
	if (asprintf(&j, "{\"token\":{\"label\":\"%s\",\"present\":%s,"
	    "\"error\":\"%s\"},"
	    "\"keys\":{\"seal\":{\"label\":\"%s\",\"available\":%s},"
	    "\"tsa\":{\"label\":\"%s\",\"available\":%s}},"
	    "\"clock\":{\"state\":\"%s\",\"maxerror_us\":%ld,"
	    "\"esterror_us\":%ld,\"max_error_us\":%ld,\"relaxed\":%s,"
	    "\"stamping\":%s},"
	    "\"seals\":%lu,\"journal_seals\":%lu,\"timestamps\":%lu,"
	    "\"refusals\":%lu,\"last_lot\":%llu,\"uptime\":%lld}",
	    tok, s->hsm.up ? "true" : "false", e,
	    sk, s->hsm.seal.key != NULL ? "true" : "false",
	    tk, s->hsm.tsa.key != NULL ? "true" : "false",
	    clock_name(cs), cs->maxerror_us, cs->esterror_us,
	    cs->max_error_us, cs->relaxed ? "true" : "false",
	    synced ? "true" : "false",
	    s->seals, s->journal_seals, s->tsa.tokens, s->refusals,
	    (unsigned long long)s->last_lot,
	    (long long)(time(NULL) - s->started)) == -1)
		return NULL;
	return j;
}
