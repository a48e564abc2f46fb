/*
 * Audit paths (paths/LLLLLLLLLLLL.txt, cfjl-export(5)): one line an
 * event of the lot, in IDEvt order, "IDEVT" then for each hash of its
 * RFC 6962 audit path a space and the hash in base64, nearest the leaf
 * first, then a newline.  Each path must lead from the event's leaf
 * (its Empreinte, hashed as a leaf) to the lot's Racine, at its place
 * in a tree of the lot's size.  The file is read as a stream, a line at
 * a time, against the lot's summary.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "verify.h"

#define PATH_B64	44	/* one SHA-256 in base64 */
#define PATH_LINE_MAX	(20 + V_PATH_MAX * (1 + PATH_B64) + 1)

/*
 * One line without its newline: its IDEvt and its hashes; -1 if it is
 * not in the one form the format allows (so that no byte of it can
 * change without the check seeing it).
 */
int
pathcheck_parse(const char *line, size_t len, uint64_t *idevt,
    uint8_t (*path)[V_SHA256_LEN], size_t *npath)
{
	char	 num[21], b64[PATH_B64 + 1], again[PATH_B64 + 1];
	size_t	 i, k, dlen;

	for (i = 0; i < len && i < 20 && line[i] >= '0' && line[i] <= '9';
	    i++)
		num[i] = line[i];
	num[i] = '\0';
	if (i == 0 || (i > 1 && num[0] == '0') ||
	    util_parse_u64(num, idevt) == -1)
		return (-1);
	for (k = 0; i < len; k++) {
		if (k == V_PATH_MAX || line[i] != ' ' ||
		    len - i - 1 < PATH_B64)
			return (-1);
		memcpy(b64, line + i + 1, PATH_B64);
		b64[PATH_B64] = '\0';
		if (util_b64_decode(b64, path[k], V_SHA256_LEN, &dlen) == -1 ||
		    dlen != V_SHA256_LEN)
			return (-1);
		/* only the canonical text: no white space inside */
		util_b64_encode(path[k], V_SHA256_LEN, again, sizeof(again));
		if (strcmp(again, b64) != 0)
			return (-1);
		i += 1 + PATH_B64;
	}
	*npath = k;
	return (0);
}

/* The event's path against its lot: 0 if it leads to Racine. */
int
pathcheck_event(const struct vlot *lot, uint64_t idevt,
    const uint8_t *empreinte,
    const uint8_t (*path)[V_SHA256_LEN], size_t npath)
{
	uint8_t	 leaf[V_SHA256_LEN];

	if (!lot->has_racine || idevt < lot->premier || idevt > lot->dernier)
		return (-1);
	merkleproof_leaf(empreinte, V_SHA256_LEN, leaf);
	return (merkleproof_check(idevt - lot->premier,
	    lot->dernier - lot->premier + 1, leaf, path, npath, lot->racine));
}

/*
 * The paths file of a lot whose document was checked: every entry's
 * path, in order, each once.  Reports one verdict for the lot.
 */
void
pathcheck_entry(struct vlot *lot, struct tar *t, struct tar_entry *e)
{
	uint8_t		 path[V_PATH_MAX][V_SHA256_LEN];
	char		*buf, *line, *nl;
	uint64_t	 left = e->size, idevt;
	size_t		 have = 0, n, i = 0, np, bad = 0, cap;

	lot->paths = -1;
	if (!lot->parsed || !lot->racine_ok) {
		report_fail("%s: not checked: its lot's entries or Racine did "
		    "not hold", e->path);
		return;
	}
	cap = 64 * 1024;
	buf = xcalloc(1, cap + 1);
	while (left > 0 || have > 0) {
		n = cap - have;
		if (n > left)
			n = left;
		if (n > 0 && tar_read(t, buf + have, n) == -1)
			break;
		left -= n;
		have += n;
		buf[have] = '\0';
		line = buf;
		while ((nl = memchr(line, '\n', have - (line - buf))) != NULL) {
			if (i >= lot->nentries) {
				report_fail("%s: more lines than the lot's %zu "
				    "events", e->path, lot->nentries);
				bad++;
				goto done;
			}
			if (pathcheck_parse(line, nl - line, &idevt, path,
			    &np) == -1) {
				report_fail("%s: line %zu is not an IDEvt and "
				    "base64 hashes", e->path, i + 1);
				bad++;
				goto done;
			}
			if (idevt != lot->entries[i].idevt) {
				report_fail("%s: line %zu is for IDEvt %llu, "
				    "expected %llu", e->path, i + 1,
				    (unsigned long long)idevt,
				    (unsigned long long)lot->entries[i].idevt);
				bad++;
				goto done;
			}
			if (pathcheck_event(lot, idevt,
			    lot->entries[i].empreinte,
			    (const uint8_t (*)[V_SHA256_LEN])path, np) == -1) {
				report_fail("lot %llu: event %llu: its audit "
				    "path does not lead to Racine",
				    (unsigned long long)lot->numero,
				    (unsigned long long)idevt);
				bad++;
			}
			i++;
			line = nl + 1;
		}
		n = have - (line - buf);
		if (n > PATH_LINE_MAX || (left == 0 && n > 0)) {
			report_fail("%s: line %zu is too long or does not end",
			    e->path, i + 1);
			bad++;
			goto done;
		}
		memmove(buf, line, n);
		have = n;
		if (left == 0)
			break;
	}
	if (left == 0 && i < lot->nentries) {
		report_fail("%s: %zu lines for the lot's %zu events", e->path,
		    i, lot->nentries);
		bad++;
	}
 done:
	free(buf);
	if (bad == 0 && left == 0) {
		lot->paths = 1;
		report_ok("lot %llu: %zu audit paths lead to its Racine",
		    (unsigned long long)lot->numero, i);
	}
}
