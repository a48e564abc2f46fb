/*
 * The unsigned lot document: one <Lot> naming the vault, the chain link
 * to the previous lot (<Precedent>) and one <Evenement> per event, as in
 * SPEC "The lot document".  xades.c then signs it in place.
 */
#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "proto.h"
#include "b64.h"
#include "lot.h"

static int	 lot_field(const char *, size_t, const char *);
static int	 lot_attr_b64(xmlNodePtr, const char *, const void *, size_t);
static int	 lot_attr_u64(xmlNodePtr, const char *, uint64_t);

void
lot_id(char *buf, size_t len, uint64_t lot)
{
	snprintf(buf, len, "lot-%012" PRIu64, lot);
}

int
lot_time_ms(char *buf, size_t len, int64_t ms)
{
	struct tm	 tm;
	time_t		 t;
	char		 s[32];

	if (ms < 0)
		return -1;
	t = (time_t)(ms / 1000);
	if (gmtime_r(&t, &tm) == NULL ||
	    strftime(s, sizeof(s), "%Y-%m-%dT%H:%M:%S", &tm) == 0)
		return -1;
	if ((size_t)snprintf(buf, len, "%s.%03dZ", s, (int)(ms % 1000)) >=
	    len)
		return -1;
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

xmlDocPtr
lot_build(const struct seal_lot *sl, const struct seal_event *ev,
    size_t nevents, char *err, size_t errlen)
{
	xmlDocPtr	 doc = NULL;
	xmlNodePtr	 root, n;
	xmlNsPtr	 ns;
	char		 id[LOT_ID_MAX], s[64], *b;
	size_t		 i;

	if (sl->lot == 0 || sl->nevents == 0 || sl->nevents != nevents) {
		snprintf(err, errlen, "lot %" PRIu64 ": %u events announced, "
		    "%zu sent", sl->lot, sl->nevents, nevents);
		return NULL;
	}
	if (sl->first == 0 || sl->last < sl->first ||
	    sl->last - sl->first + 1 != nevents) {
		snprintf(err, errlen, "lot %" PRIu64 ": IDEvt %" PRIu64 " to "
		    "%" PRIu64 " for %zu events", sl->lot, sl->first, sl->last,
		    nevents);
		return NULL;
	}
	for (i = 0; i < nevents; i++) {
		if (ev[i].idevt != sl->first + i) {
			snprintf(err, errlen, "lot %" PRIu64 ": event %zu has "
			    "IDEvt %" PRIu64 ", expected %" PRIu64, sl->lot, i,
			    ev[i].idevt, sl->first + i);
			return NULL;
		}
		if (lot_field(ev[i].type, sizeof(ev[i].type),
		    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_") == -1 ||
		    lot_field(ev[i].dateevt, sizeof(ev[i].dateevt),
		    "0123456789") == -1 ||
		    lot_time_ms(s, sizeof(s), ev[i].received_ms) == -1) {
			snprintf(err, errlen, "lot %" PRIu64 ": event %"
			    PRIu64 " has a malformed type, date or time",
			    sl->lot, ev[i].idevt);
			return NULL;
		}
	}

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
