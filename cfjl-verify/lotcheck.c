/*
 * One lot document (lots/LLLLLLLLLLLL.xml): its form, its attributes,
 * its event entries, and a call into xadescheck.c for the seal.  What is kept
 * afterwards is a summary (struct vlot) for the checks across lots.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>
#include <libxml/tree.h>

#include "verify.h"

#define LOT_NS		"urn:cfjl:lot:1"
#define DSIG_NS		"http://www.w3.org/2000/09/xmldsig#"

const struct xbound lotcheck_bound = { V_LOT_MAX, V_LOT_ELEMENTS, V_LOT_ATTRS,
    V_XML_DEPTH };

static int	 lot_attr(xmlNodePtr, const char *, char *, size_t);
static int	 lot_attr_u64(xmlNodePtr, const char *, uint64_t *);
static int	 lot_entry(struct vlot *, xmlNodePtr, struct ventry *);
static int	 lot_is(xmlNodePtr, const char *, const char *);
static int	 lot_digest(struct vlot *, xmlNodePtr, const char *,
		    uint8_t *);
static int	 lotcheck_root(struct vlot *);

/* An element holding a base64 SHA-256 (Precedent, Racine) into out. */
static int
lot_digest(struct vlot *lot, xmlNodePtr n, const char *what, uint8_t *out)
{
	uint8_t		 d[V_SHA256_LEN + 3];
	size_t		 len;
	xmlChar		*c;
	int		 rc = 0;

	c = xmlNodeGetContent(n);
	if (c == NULL || util_b64_decode((char *)c, d, sizeof(d), &len) ==
	    -1 || len != V_SHA256_LEN) {
		report_fail("lot %llu: %s is not a base64 SHA-256",
		    (unsigned long long)lot->numero, what);
		rc = -1;
	} else
		memcpy(out, d, V_SHA256_LEN);
	xmlFree(c);
	return rc;
}

static int
lot_is(xmlNodePtr n, const char *ns, const char *name)
{
	return (n->type == XML_ELEMENT_NODE && n->ns != NULL &&
	    strcmp((const char *)n->ns->href, ns) == 0 &&
	    strcmp((const char *)n->name, name) == 0);
}

/*
 * An attribute without namespace; -1 if absent or too long.  A value
 * that is one text node is read in place, without a copy.
 */
static int
lot_attr(xmlNodePtr n, const char *name, char *buf, size_t len)
{
	xmlAttrPtr	 a;
	xmlChar		*v;
	int		 rc = 0;

	for (a = n->properties; a != NULL; a = a->next) {
		if (a->ns != NULL || strcmp((const char *)a->name, name) != 0)
			continue;
		if (a->children == NULL) {
			if (len == 0)
				return (-1);
			*buf = '\0';
			return (0);
		}
		if (a->children->type == XML_TEXT_NODE &&
		    a->children->next == NULL &&
		    a->children->content != NULL)
			return (strlcpy(buf, (const char *)a->children->content,
			    len) >= len ? -1 : 0);
		break;
	}
	if ((v = xmlGetNoNsProp(n, (const xmlChar *)name)) == NULL)
		return (-1);
	if (strlcpy(buf, (const char *)v, len) >= len)
		rc = -1;
	xmlFree(v);
	return (rc);
}

static int
lot_attr_u64(xmlNodePtr n, const char *name, uint64_t *v)
{
	char	 buf[32];

	if (lot_attr(n, name, buf, sizeof(buf)) == -1)
		return (-1);
	return (util_parse_u64(buf, v));
}

/* One <Evenement>; reports what is wrong with it, -1 if unusable. */
static int
lot_entry(struct vlot *lot, xmlNodePtr n, struct ventry *e)
{
	char	 buf[256], want[64];
	size_t	 len;
	int	 bad = 0;
	uint64_t u;
	size_t	 i;

	memset(e, 0, sizeof(*e));
	if (lot_attr_u64(n, "IDEvt", &e->idevt) == -1 || e->idevt == 0) {
		report_fail("lot %llu: an Evenement has no valid IDEvt",
		    (unsigned long long)lot->numero);
		return (-1);
	}
#define EFAIL(...) do {							\
	char _m[256];							\
	snprintf(_m, sizeof(_m), __VA_ARGS__);				\
	report_fail("lot %llu: event %llu: %s",				\
	    (unsigned long long)lot->numero,				\
	    (unsigned long long)e->idevt, _m);				\
	bad = 1;							\
} while (0)
	if (lot_attr(n, "Type", e->type, sizeof(e->type)) == -1 ||
	    *e->type == '\0')
		EFAIL("Type missing or too long");
	for (i = 0; e->type[i] != '\0'; i++)
		if (!isupper((unsigned char)e->type[i])) {
			EFAIL("Type \"%s\" is not an event type", e->type);
			break;
		}
	if (lot_attr(n, "DateEvt", e->dateevt, sizeof(e->dateevt)) == -1 ||
	    strlen(e->dateevt) != 12 || util_parse_u64(e->dateevt, &u) == -1)
		EFAIL("DateEvt missing or not YYMMDDhhmmss");
	if (lot_attr(n, "Recu", buf, sizeof(buf)) == -1 ||
	    util_parse_iso8601_ms(buf, &e->recu_ms) == -1)
		EFAIL("Recu missing or not a UTC time");
	/* The depositor's own time, when it sent one: as sent, RFC 3339. */
	if (xmlHasProp(n, (const xmlChar *)"Horodatage") != NULL &&
	    (lot_attr(n, "Horodatage", buf, sizeof(buf)) == -1 ||
	    util_rfc3339(buf) == -1))
		EFAIL("Horodatage is not an RFC 3339 date-time");
	{
		uint8_t	 dep[V_SHA256_LEN + 3];

		if (lot_attr(n, "Deposant", buf, sizeof(buf)) == -1 ||
		    util_b64_decode(buf, dep, sizeof(dep), &len) == -1 ||
		    len != V_SHA256_LEN)
			EFAIL("Deposant is not a base64 SHA-256");
	}
	snprintf(want, sizeof(want), "events/%012llu.p7m",
	    (unsigned long long)e->idevt);
	if (lot_attr(n, "Fichier", e->fichier, sizeof(e->fichier)) == -1 ||
	    strcmp(e->fichier, want) != 0)
		EFAIL("Fichier is not %s", want);
	{
		uint8_t	 md[V_SHA256_LEN + 3];

		if (lot_attr(n, "Empreinte", buf, sizeof(buf)) == -1 ||
		    util_b64_decode(buf, md, sizeof(md), &len) == -1 ||
		    len != V_SHA256_LEN)
			EFAIL("Empreinte is not a base64 SHA-256");
		else
			memcpy(e->empreinte, md, V_SHA256_LEN);
	}
#undef EFAIL
	return (bad ? -1 : 0);
}

/*
 * Racine against the entries: the RFC 6962 root over their Empreinte
 * bytes, in IDEvt order (cfjl-export(5)); 0 if it is, 1 if not.
 */
static int
lotcheck_root(struct vlot *lot)
{
	uint8_t		(*leaf)[V_SHA256_LEN], root[V_SHA256_LEN];
	size_t		 i;

	leaf = xreallocarray(NULL, lot->nentries, sizeof(*leaf));
	for (i = 0; i < lot->nentries; i++)
		merkleproof_leaf(lot->entries[i].empreinte, V_SHA256_LEN,
		    leaf[i]);
	merkleproof_root((const uint8_t (*)[V_SHA256_LEN])leaf,
	    lot->nentries, root);
	free(leaf);
	if (memcmp(root, lot->racine, V_SHA256_LEN) != 0) {
		report_fail("lot %llu: Racine is not the Merkle root of its "
		    "events' Empreinte", (unsigned long long)lot->numero);
		return (1);
	}
	lot->racine_ok = 1;
	return (0);
}

void
lotcheck_run(struct vctx *ctx, struct bundle *b, struct vlot *lot,
    const char *buf, size_t len)
{
	xmlDocPtr	 doc;
	xmlNodePtr	 root, n, sig = NULL;
	struct xcount	 cnt;
	char		 want[64], text[256], why[256];
	size_t		 cap = 0, bad = 0, i;
	uint64_t	 expect;

	lot->numero = lot->file_numero;
	if (xmlbound_scan(buf, len, &lotcheck_bound, &cnt, why, sizeof(why)) == -1) {
		report_fail("lot %llu: %s refused before parsing: %s",
		    (unsigned long long)lot->numero, lot->path, why);
		return;
	}
	doc = xmlReadMemory(buf, (int)len, lot->path, NULL,
	    XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
	if (doc == NULL) {
		report_fail("lot %llu: %s is not well-formed XML",
		    (unsigned long long)lot->numero, lot->path);
		return;
	}
	if (doc->intSubset != NULL || doc->extSubset != NULL) {
		report_fail("lot %llu: the document has a DTD (refused)",
		    (unsigned long long)lot->numero);
		xmlFreeDoc(doc);
		return;
	}
	root = xmlDocGetRootElement(doc);
	if (root == NULL || !lot_is(root, LOT_NS, "Lot")) {
		report_fail("lot %llu: the root element is not {%s}Lot",
		    (unsigned long long)lot->numero, LOT_NS);
		xmlFreeDoc(doc);
		return;
	}

	if (lot_attr_u64(root, "Numero", &lot->numero) == -1) {
		report_fail("%s: Numero missing or not a number", lot->path);
		lot->numero = lot->file_numero;
		bad++;
	} else if (lot->numero != lot->file_numero) {
		report_fail("lot %llu: Numero is %llu but the file is %s",
		    (unsigned long long)lot->file_numero,
		    (unsigned long long)lot->numero, lot->path);
		lot->numero = lot->file_numero;
		bad++;
	}
	snprintf(want, sizeof(want), "lot-%012llu",
	    (unsigned long long)lot->numero);
	if (lot_attr(root, "Id", lot->id, sizeof(lot->id)) == -1 ||
	    strcmp(lot->id, want) != 0) {
		report_fail("lot %llu: Id attribute is \"%s\", expected \"%s\"",
		    (unsigned long long)lot->numero, lot->id, want);
		bad++;
	}
	if (lot_attr(root, "Operateur", lot->operateur,
	    sizeof(lot->operateur)) == -1 ||
	    lot_attr(root, "Coffre", lot->coffre, sizeof(lot->coffre)) == -1) {
		report_fail("lot %llu: Operateur or Coffre missing",
		    (unsigned long long)lot->numero);
		bad++;
	}
	if (lot_attr_u64(root, "Premier", &lot->premier) == -1 ||
	    lot_attr_u64(root, "Dernier", &lot->dernier) == -1 ||
	    lot->premier == 0 || lot->premier > lot->dernier ||
	    lot->dernier - lot->premier >= V_LOT_EVENTS_MAX) {
		report_fail("lot %llu: Premier/Dernier missing or inconsistent",
		    (unsigned long long)lot->numero);
		xmlFreeDoc(doc);
		return;
	}

	for (n = root->children; n != NULL; n = n->next) {
		if (n->type == XML_TEXT_NODE) {
			if (!xmlIsBlankNode(n)) {
				report_fail("lot %llu: text outside elements",
				    (unsigned long long)lot->numero);
				bad++;
			}
			continue;
		}
		if (n->type == XML_COMMENT_NODE)
			continue;
		if (n->type != XML_ELEMENT_NODE) {
			report_fail("lot %llu: unexpected node in Lot",
			    (unsigned long long)lot->numero);
			bad++;
			continue;
		}
		if (sig != NULL) {
			report_fail("lot %llu: element %s after the signature",
			    (unsigned long long)lot->numero, n->name);
			bad++;
		} else if (lot_is(n, LOT_NS, "Precedent")) {
			if (lot->has_precedent || lot->nentries > 0) {
				report_fail("lot %llu: Precedent is misplaced or "
				    "repeated", (unsigned long long)lot->numero);
				bad++;
				continue;
			}
			if (lot_digest(lot, n, "Precedent", lot->precedent) ==
			    -1)
				bad++;
			else
				lot->has_precedent = 1;
		} else if (lot_is(n, LOT_NS, "Racine")) {
			if (!lot->has_precedent || lot->has_racine ||
			    lot->nentries > 0) {
				report_fail("lot %llu: Racine is misplaced or "
				    "repeated", (unsigned long long)lot->numero);
				bad++;
				continue;
			}
			if (lot_digest(lot, n, "Racine", lot->racine) == -1)
				bad++;
			else
				lot->has_racine = 1;
		} else if (lot_is(n, LOT_NS, "Evenement")) {
			if (lot->nentries >= V_LOT_EVENTS_MAX) {
				bad++;
				continue;
			}
			if (lot->nentries == cap) {
				cap = cap ? cap * 2 : 64;
				lot->entries = xreallocarray(lot->entries,
				    cap, sizeof(*lot->entries));
			}
			if (lot_entry(lot, n,
			    &lot->entries[lot->nentries]) == -1)
				bad++;
			if (lot->entries[lot->nentries].idevt != 0)
				lot->nentries++;
		} else if (lot_is(n, DSIG_NS, "Signature"))
			sig = n;
		else {
			report_fail("lot %llu: unexpected element %s",
			    (unsigned long long)lot->numero, n->name);
			bad++;
		}
	}
	if (!lot->has_precedent) {
		report_fail("lot %llu: Precedent is missing",
		    (unsigned long long)lot->numero);
		bad++;
	}

	/* entries: Premier..Dernier, in order, each once */
	expect = lot->premier;
	for (i = 0; i < lot->nentries; i++) {
		uint64_t id = lot->entries[i].idevt;

		if (id == expect) {
			expect++;
			continue;
		}
		if (id < expect) {
			if (i > 0 && id == lot->entries[i - 1].idevt)
				report_fail("lot %llu: IDEvt %llu appears twice",
				    (unsigned long long)lot->numero,
				    (unsigned long long)id);
			else
				report_fail("lot %llu: IDEvt %llu is out of order",
				    (unsigned long long)lot->numero,
				    (unsigned long long)id);
		} else {
			if (id - 1 == expect)
				snprintf(text, sizeof(text), "%llu",
				    (unsigned long long)expect);
			else
				snprintf(text, sizeof(text), "%llu to %llu",
				    (unsigned long long)expect,
				    (unsigned long long)id - 1);
			report_fail("lot %llu: IDEvt %s missing (gap before %llu)",
			    (unsigned long long)lot->numero, text,
			    (unsigned long long)id);
			expect = id + 1;
		}
		bad++;
	}
	if (expect <= lot->dernier) {
		report_fail("lot %llu: IDEvt %llu to %llu missing: the entries stop "
		    "before Dernier", (unsigned long long)lot->numero,
		    (unsigned long long)expect,
		    (unsigned long long)lot->dernier);
		bad++;
	} else if (expect > lot->dernier + 1) {
		report_fail("lot %llu: entries go beyond Dernier %llu",
		    (unsigned long long)lot->numero,
		    (unsigned long long)lot->dernier);
		bad++;
	}
	if (!lot->has_racine) {
		report_fail("lot %llu: Racine (the Merkle root of its events) "
		    "is missing", (unsigned long long)lot->numero);
		bad++;
	} else if (bad == 0)
		bad += lotcheck_root(lot);
	lot->parsed = 1;
	if (bad == 0)
		report_ok("lot %llu: Id %s, IDEvt %llu to %llu, %zu entries in "
		    "order under their Merkle root",
		    (unsigned long long)lot->numero, lot->id,
		    (unsigned long long)lot->premier,
		    (unsigned long long)lot->dernier, lot->nentries);

	if (sig == NULL)
		report_fail("lot %llu: no ds:Signature: the lot is not sealed",
		    (unsigned long long)lot->numero);
	else
		xadescheck_verify(ctx, b, lot, doc, sig);
	xmlFreeDoc(doc);
}

void
lotcheck_free(struct vlot *lot)
{
	free(lot->entries);
	lot->entries = NULL;
}
