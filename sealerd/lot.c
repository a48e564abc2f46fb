/*
 * The unsigned lot document: one <Lot> naming the vault, the chain link
 * to the previous lot (<Precedent>), the Merkle root of its events
 * (<Racine>) and one <Evenement> per event, as in cfjl-export(5).
 * xades.c then signs it in place.
 */
#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "merkle.h"
#include "proto.h"
#include "rfc3339.h"
#include "b64.h"
#include "lot.h"

static int	 lot_field(const char *, size_t, const char *);
static int	 lot_attr_b64(xmlNodePtr, const char *, const void *, size_t);
static int	 lot_attr_u64(xmlNodePtr, const char *, uint64_t);

/*
 * RFC 6962 over the events in IDEvt order, each leaf the 32 bytes of its
 * Empreinte (the SHA-256 of the .p7m file); -1 if out of memory.
 */
int
lot_root(const struct seal_event *ev, size_t nevents,
    uint8_t root[SHA256_LEN])
{
	struct merkle	 t;

	if (merkle_build(&t, ev[0].file_sha256, sizeof(*ev),
	    sizeof(ev[0].file_sha256), nevents) == -1)
		return -1;
	merkle_root(&t, root);
	merkle_free(&t);
	return 0;
}

void
lot_id(char *buf, size_t len, uint64_t lot)
{
	snprintf(buf, len, "lot-%012" PRIu64, lot);
}

/*
 * Days since 1970-01-01 to a proleptic Gregorian date (the civil-from-
 * days method): a lot of 1000 events needs 1000 of these, strftime is
 * too slow for that.
 */
static void
lot_civil(int64_t days, int *y, int *m, int *d)
{
	int64_t		 era, z = days + 719468;
	unsigned int	 doe, yoe, doy, mp;

	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = (unsigned int)(z - era * 146097);
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = doy - (153 * mp + 2) / 5 + 1;
	*m = mp < 10 ? mp + 3 : mp - 9;
	*y = (int)(yoe + era * 400) + (*m <= 2);
}

static void
lot_digits(char *p, unsigned int v, int n)
{
	while (n-- > 0) {
		p[n] = '0' + v % 10;
		v /= 10;
	}
}

int
lot_time_ms(char *buf, size_t len, int64_t ms)
{
	int64_t		 secs;
	unsigned int	 sod;
	int		 y, m, d;

	/* Years 1970 to 9999: four digits, like strftime's %Y. */
	if (ms < 0 || ms >= LOT_TIME_MAX_MS || len < LOT_TIME_LEN + 1)
		return -1;
	secs = ms / 1000;
	sod = (unsigned int)(secs % 86400);
	lot_civil(secs / 86400, &y, &m, &d);
	lot_digits(buf, y, 4);
	buf[4] = '-';
	lot_digits(buf + 5, m, 2);
	buf[7] = '-';
	lot_digits(buf + 8, d, 2);
	buf[10] = 'T';
	lot_digits(buf + 11, sod / 3600, 2);
	buf[13] = ':';
	lot_digits(buf + 14, sod / 60 % 60, 2);
	buf[16] = ':';
	lot_digits(buf + 17, sod % 60, 2);
	buf[19] = '.';
	lot_digits(buf + 20, (unsigned int)(ms % 1000), 3);
	buf[23] = 'Z';
	buf[24] = '\0';
	return 0;
}

/* A fixed-size field from a peer: NUL-terminated, non-empty, allowed set. */
static int
lot_field(const char *f, size_t size, const char *allowed)
{
	size_t	 n;

	n = strnlen(f, size);
	if (n == 0 || n == size)
		return -1;
	return strspn(f, allowed) == n ? 0 : -1;
}

static int
lot_attr_b64(xmlNodePtr n, const char *name, const void *p, size_t len)
{
	char	*s;
	int	 rc;

	if ((s = b64_encode(p, len)) == NULL)
		return -1;
	rc = xmlNewProp(n, (const xmlChar *)name, (xmlChar *)s) == NULL;
	free(s);
	return rc ? -1 : 0;
}

static int
lot_attr_u64(xmlNodePtr n, const char *name, uint64_t v)
{
	char	 s[24];

	snprintf(s, sizeof(s), "%" PRIu64, v);
	return xmlNewProp(n, (const xmlChar *)name, (xmlChar *)s) == NULL ?
	    -1 : 0;
}

int
lot_check(const struct seal_lot *sl, const struct seal_event *ev,
    size_t nevents, char *err, size_t errlen)
{
	char		 s[64];
	size_t		 i;

	if (sl->lot == 0 || sl->nevents == 0 || sl->nevents != nevents) {
		snprintf(err, errlen, "lot %" PRIu64 ": %u events announced, "
		    "%zu sent", sl->lot, sl->nevents, nevents);
		return -1;
	}
	if (sl->first == 0 || sl->last < sl->first ||
	    sl->last - sl->first + 1 != nevents) {
		snprintf(err, errlen, "lot %" PRIu64 ": IDEvt %" PRIu64 " to "
		    "%" PRIu64 " for %zu events", sl->lot, sl->first, sl->last,
		    nevents);
		return -1;
	}
	for (i = 0; i < nevents; i++) {
		if (ev[i].idevt != sl->first + i) {
			snprintf(err, errlen, "lot %" PRIu64 ": event %zu has "
			    "IDEvt %" PRIu64 ", expected %" PRIu64, sl->lot, i,
			    ev[i].idevt, sl->first + i);
			return -1;
		}
		if (lot_field(ev[i].type, sizeof(ev[i].type),
		    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_") == -1 ||
		    lot_field(ev[i].dateevt, sizeof(ev[i].dateevt),
		    "0123456789") == -1 ||
		    lot_time_ms(s, sizeof(s), ev[i].received_ms) == -1 ||
		    (ev[i].stamp[0] != '\0' && rfc3339_check(ev[i].stamp,
		    strnlen(ev[i].stamp, sizeof(ev[i].stamp))) == -1)) {
			snprintf(err, errlen, "lot %" PRIu64 ": event %"
			    PRIu64 " has a malformed type, date or time, or "
			    "depositor's time",
			    sl->lot, ev[i].idevt);
			return -1;
		}
	}
	return 0;
}

xmlDocPtr
lot_build(const struct seal_lot *sl, const struct seal_event *ev,
    size_t nevents, char *err, size_t errlen)
{
	xmlDocPtr	 doc = NULL;
	xmlNodePtr	 root, n;
	xmlNsPtr	 ns;
	char		 id[LOT_ID_MAX], s[64], *b;
	uint8_t		 mth[SHA256_LEN];
	size_t		 i;

	if (lot_check(sl, ev, nevents, err, errlen) == -1)
		return NULL;
	if (lot_root(ev, nevents, mth) == -1)
		goto fail;
	lot_id(id, sizeof(id), sl->lot);
	if ((doc = xmlNewDoc((const xmlChar *)"1.0")) == NULL ||
	    (root = xmlNewDocNode(doc, NULL, (const xmlChar *)"Lot",
	    NULL)) == NULL)
		goto fail;
	xmlDocSetRootElement(doc, root);
	if ((ns = xmlNewNs(root, (const xmlChar *)LOT_NS, NULL)) == NULL)
		goto fail;
	xmlSetNs(root, ns);
	if (xmlNewProp(root, (const xmlChar *)"Id", (xmlChar *)id) == NULL ||
	    lot_attr_u64(root, "Numero", sl->lot) == -1 ||
	    lot_attr_u64(root, "Operateur", sl->operator_id) == -1 ||
	    lot_attr_u64(root, "Coffre", sl->vault_id) == -1 ||
	    lot_attr_u64(root, "Premier", sl->first) == -1 ||
	    lot_attr_u64(root, "Dernier", sl->last) == -1)
		goto fail;

	xmlAddChild(root, xmlNewDocText(doc, (const xmlChar *)"\n  "));
	if ((b = b64_encode(sl->precedent, sizeof(sl->precedent))) == NULL)
		goto fail;
	n = xmlNewChild(root, ns, (const xmlChar *)"Precedent", (xmlChar *)b);
	free(b);
	if (n == NULL)
		goto fail;
	xmlAddChild(root, xmlNewDocText(doc, (const xmlChar *)"\n  "));
	if ((b = b64_encode(mth, sizeof(mth))) == NULL)
		goto fail;
	n = xmlNewChild(root, ns, (const xmlChar *)"Racine", (xmlChar *)b);
	free(b);
	if (n == NULL)
		goto fail;

	for (i = 0; i < nevents; i++) {
		xmlAddChild(root, xmlNewDocText(doc, (const xmlChar *)"\n  "));
		if ((n = xmlNewChild(root, ns, (const xmlChar *)"Evenement",
		    NULL)) == NULL)
			goto fail;
		lot_time_ms(s, sizeof(s), ev[i].received_ms);
		if (lot_attr_u64(n, "IDEvt", ev[i].idevt) == -1 ||
		    xmlNewProp(n, (const xmlChar *)"Type",
		    (const xmlChar *)ev[i].type) == NULL ||
		    xmlNewProp(n, (const xmlChar *)"DateEvt",
		    (const xmlChar *)ev[i].dateevt) == NULL ||
		    xmlNewProp(n, (const xmlChar *)"Recu",
		    (xmlChar *)s) == NULL ||
		    (ev[i].stamp[0] != '\0' && xmlNewProp(n,
		    (const xmlChar *)"Horodatage",
		    (const xmlChar *)ev[i].stamp) == NULL) ||
		    lot_attr_b64(n, "Deposant", ev[i].depositor,
		    sizeof(ev[i].depositor)) == -1)
			goto fail;
		snprintf(s, sizeof(s), "events/%012" PRIu64 ".p7m",
		    ev[i].idevt);
		if (xmlNewProp(n, (const xmlChar *)"Fichier",
		    (xmlChar *)s) == NULL ||
		    lot_attr_b64(n, "Empreinte", ev[i].file_sha256,
		    sizeof(ev[i].file_sha256)) == -1)
			goto fail;
	}
	xmlAddChild(root, xmlNewDocText(doc, (const xmlChar *)"\n"));
	return doc;
 fail:
	snprintf(err, errlen, "lot %" PRIu64 ": out of memory", sl->lot);
	xmlFreeDoc(doc);
	return NULL;
}
