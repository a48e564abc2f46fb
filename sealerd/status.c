/*
 * sealerd's status as JSON, for stored's /v1/status and cfjlctl: token,
 * keys, clock, and what was sealed.
 */
#define _GNU_SOURCE		/* asprintf */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "hsmcert.h"
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
	char			 n[400], sc[820], tc[820];
	int			 synced;

	/* A fresh reading, without logging or refusing anything. */
	synced = clock_check(cs) == 0;
	status_str(e, sizeof(e), s->hsm.up ? "" : s->hsm.err);
	status_str(tok, sizeof(tok), s->hsm.token);
	status_str(sk, sizeof(sk), s->hsm.seal_label);
	status_str(tk, sizeof(tk), s->hsm.tsa_label);
	/* Which certificates the seals name, and where they were found. */
	status_str(sc, sizeof(sc), s->hsm.seal.cert == NULL ? "" :
	    hsmcert_name(s->hsm.seal.cert, n, sizeof(n)));
	status_str(tc, sizeof(tc), s->hsm.tsa.cert == NULL ? "" :
	    hsmcert_name(s->hsm.tsa.cert, n, sizeof(n)));
	if (asprintf(&j, "{\"token\":{\"label\":\"%s\",\"present\":%s,"
	    "\"error\":\"%s\"},"
	    "\"keys\":{\"seal\":{\"label\":\"%s\",\"available\":%s,"
	    "\"certificate\":\"%s\",\"certificate_from\":\"%s\"},"
	    "\"tsa\":{\"label\":\"%s\",\"available\":%s,"
	    "\"certificate\":\"%s\",\"certificate_from\":\"%s\"}},"
	    "\"clock\":{\"state\":\"%s\",\"maxerror_us\":%ld,"
	    "\"esterror_us\":%ld,\"max_error_us\":%ld,\"relaxed\":%s,"
	    "\"stamping\":%s},"
	    "\"seals\":%lu,\"journal_seals\":%lu,\"timestamps\":%lu,"
	    "\"refusals\":%lu,\"last_lot\":%llu,\"uptime\":%lld}",
	    tok, s->hsm.up ? "true" : "false", e,
	    sk, s->hsm.seal.key != NULL ? "true" : "false", sc,
	    s->hsm.seal.cert == NULL ? "" : s->hsm.seal.from_token ?
	    "token" : "file",
	    tk, s->hsm.tsa.key != NULL ? "true" : "false", tc,
	    s->hsm.tsa.cert == NULL ? "" : s->hsm.tsa.from_token ?
	    "token" : "file",
	    clock_name(cs), cs->maxerror_us, cs->esterror_us,
	    cs->max_error_us, cs->relaxed ? "true" : "false",
	    synced ? "true" : "false",
	    s->seals, s->journal_seals, s->tsa.tokens, s->refusals,
	    (unsigned long long)s->last_lot,
	    (long long)(time(NULL) - s->started)) == -1)
		return NULL;
	return j;
}
