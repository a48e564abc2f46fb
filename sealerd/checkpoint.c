/*
 * The checkpoint document: one <Checkpoint> naming the vault, the chain
 * link to the previous checkpoint (<Precedent>), the last sealed lot with
 * the digest of its SignatureValue (<DernierLot>) and the newest sealed
 * journal file with the digest of its metadata (<Journal>), then the
 * same enveloped XAdES-T signature as a lot (xades.c).  It is small, so
 * it is built as a libxml2 tree and signed in place.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/tree.h>

#include "proto.h"
#include "b64.h"
#include "lot.h"
#include "xades.h"
#include "checkpoint.h"

static int	 checkpoint_attr(xmlNodePtr, const char *, const char *);
static int	 checkpoint_attr_u64(xmlNodePtr, const char *, uint64_t);
static int	 checkpoint_attr_b64(xmlNodePtr, const char *, const void *,
		    size_t);
static int	 checkpoint_file_ok(const char *, size_t);

void
checkpoint_id(char *buf, size_t len, uint64_t numero)
{
	snprintf(buf, len, "checkpoint-%012" PRIu64, numero);
}

static int
checkpoint_attr(xmlNodePtr n, const char *name, const char *v)
{
	return xmlNewProp(n, (const xmlChar *)name, (const xmlChar *)v) ==
	    NULL ? -1 : 0;
}

static int
checkpoint_attr_u64(xmlNodePtr n, const char *name, uint64_t v)
{
	char	 s[24];

	snprintf(s, sizeof(s), "%" PRIu64, v);
	return checkpoint_attr(n, name, s);
}

static int
checkpoint_attr_b64(xmlNodePtr n, const char *name, const void *p,
    size_t len)
{
	char	*s;
	int	 rc;

	if ((s = b64_encode(p, len)) == NULL)
		return -1;
	rc = checkpoint_attr(n, name, s);
	free(s);
	return rc;
}

/* "NNNNNNNN.log", as auditd names its files. */
static int
checkpoint_file_ok(const char *f, size_t size)
{
	size_t	 n = strnlen(f, size);

	return n == 12 && strspn(f, "0123456789") == 8 &&
	    strcmp(f + 8, ".log") == 0 && strncmp(f, "00000000", 8) != 0;
}

xmlDocPtr
checkpoint_build(const struct checkpoint_req *cr,
    const struct checkpoint_journal *cj, int64_t time_ms, char *err,
    size_t errlen)
{
	xmlDocPtr	 doc = NULL;
	xmlNodePtr	 root, n;
	xmlNsPtr	 ns;
	char		 id[CHECKPOINT_ID_MAX], tm[LOT_TIME_LEN + 1], *b;

	if (cr->numero == 0 || (cr->last_lot == 0) != (cr->last_idevt == 0) ||
	    cr->last_idevt < cr->last_lot) {
		snprintf(err, errlen, "checkpoint %" PRIu64 ": lot %" PRIu64
		    " ending at IDEvt %" PRIu64 " is not possible", cr->numero,
		    cr->last_lot, cr->last_idevt);
		return NULL;
	}
	if (cj->file[0] != '\0' && !checkpoint_file_ok(cj->file,
	    sizeof(cj->file))) {
		snprintf(err, errlen, "checkpoint %" PRIu64 ": the journal "
		    "file is not named NNNNNNNN.log", cr->numero);
		return NULL;
	}
	if (lot_time_ms(tm, sizeof(tm), time_ms) == -1) {
		snprintf(err, errlen, "checkpoint %" PRIu64 ": the time is "
		    "out of range", cr->numero);
		return NULL;
	}
	checkpoint_id(id, sizeof(id), cr->numero);
	if ((doc = xmlNewDoc((const xmlChar *)"1.0")) == NULL ||
	    (root = xmlNewDocNode(doc, NULL, (const xmlChar *)"Checkpoint",
	    NULL)) == NULL)
		goto fail;
	xmlDocSetRootElement(doc, root);
	if ((ns = xmlNewNs(root, (const xmlChar *)CHECKPOINT_NS, NULL)) ==
	    NULL)
		goto fail;
	xmlSetNs(root, ns);
	if (checkpoint_attr(root, "Id", id) == -1 ||
	    checkpoint_attr_u64(root, "Numero", cr->numero) == -1 ||
	    checkpoint_attr_u64(root, "Operateur", cr->operator_id) == -1 ||
	    checkpoint_attr_u64(root, "Coffre", cr->vault_id) == -1 ||
	    checkpoint_attr(root, "Heure", tm) == -1)
		goto fail;

	xmlAddChild(root, xmlNewDocText(doc, (const xmlChar *)"\n  "));
	if ((b = b64_encode(cr->precedent, sizeof(cr->precedent))) == NULL)
		goto fail;
	n = xmlNewChild(root, ns, (const xmlChar *)"Precedent", (xmlChar *)b);
	free(b);
	if (n == NULL)
		goto fail;

	xmlAddChild(root, xmlNewDocText(doc, (const xmlChar *)"\n  "));
	if ((n = xmlNewChild(root, ns, (const xmlChar *)"DernierLot",
	    NULL)) == NULL ||
	    checkpoint_attr_u64(n, "Numero", cr->last_lot) == -1 ||
	    checkpoint_attr_u64(n, "IDEvt", cr->last_idevt) == -1 ||
	    checkpoint_attr_b64(n, "Sceau", cr->lot_sigvalue,
	    sizeof(cr->lot_sigvalue)) == -1)
		goto fail;

	if (cj->file[0] != '\0') {
		xmlAddChild(root, xmlNewDocText(doc, (const xmlChar *)"\n  "));
		if ((n = xmlNewChild(root, ns, (const xmlChar *)"Journal",
		    NULL)) == NULL ||
		    checkpoint_attr(n, "Fichier", cj->file) == -1 ||
		    checkpoint_attr_b64(n, "Metadonnees", cj->meta_sha256,
		    sizeof(cj->meta_sha256)) == -1)
			goto fail;
	}
	xmlAddChild(root, xmlNewDocText(doc, (const xmlChar *)"\n"));
	return doc;
 fail:
	snprintf(err, errlen, "checkpoint %" PRIu64 ": out of memory",
	    cr->numero);
	xmlFreeDoc(doc);
	return NULL;
}

int
checkpoint_make(const struct checkpoint_req *cr,
    const struct checkpoint_journal *cj, int64_t time_ms,
    const struct xades_signer *sg, unsigned char sigvalue[32],
    unsigned char **xml, size_t *len, int *invalid, char *err,
    size_t errlen)
{
	xmlDocPtr	 doc;
	xmlChar		*buf = NULL;
	char		 id[CHECKPOINT_ID_MAX];
	int		 n;

	*xml = NULL;
	*invalid = 0;
	if ((doc = checkpoint_build(cr, cj, time_ms, err, errlen)) == NULL) {
		*invalid = strstr(err, "out of memory") == NULL;
		return -1;
	}
	checkpoint_id(id, sizeof(id), cr->numero);
	if (xades_sign(doc, id, sg, (time_t)(time_ms / 1000), sigvalue, err,
	    errlen) == -1) {
		xmlFreeDoc(doc);
		return -1;
	}
	xmlDocDumpMemoryEnc(doc, &buf, &n, "UTF-8");
	xmlFreeDoc(doc);
	if (buf == NULL || n <= 0 || (*xml = malloc(n)) == NULL) {
		xmlFree(buf);
		snprintf(err, errlen, "checkpoint %" PRIu64 ": cannot "
		    "serialise it", cr->numero);
		return -1;
	}
	memcpy(*xml, buf, n);
	*len = n;
	xmlFree(buf);
	return 0;
}
