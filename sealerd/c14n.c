/*
 * Exclusive canonicalisation of a node set given by a subtree and an
 * excluded subtree: the enveloped-signature transform (whole document
 * less ds:Signature) and same-document references (one element).
 */
#include <stdlib.h>
#include <string.h>

#include <libxml/c14n.h>
#include <libxml/xmlIO.h>
#include <openssl/sha.h>

#include "c14n.h"

struct c14n_set {
	xmlNodePtr	 top;
	xmlNodePtr	 cut;
};

static int	 c14n_within(xmlNodePtr, xmlNodePtr);
static int	 c14n_visible(void *, xmlNodePtr, xmlNodePtr);

static int
c14n_within(xmlNodePtr n, xmlNodePtr root)
{
	for (; n != NULL; n = n->parent)
		if (n == root)
			return 1;
	return 0;
}

/* Namespace nodes come with their element as parent. */
static int
c14n_visible(void *arg, xmlNodePtr node, xmlNodePtr parent)
{
	struct c14n_set	*s = arg;
	xmlNodePtr	 n;

	n = (node == NULL || node->type == XML_NAMESPACE_DECL) ? parent : node;
	if (s->top != NULL && !c14n_within(n, s->top))
		return 0;
	if (s->cut != NULL && c14n_within(n, s->cut))
		return 0;
	return 1;
}

unsigned char *
c14n_exc(xmlDocPtr doc, xmlNodePtr top, xmlNodePtr cut, size_t *len)
{
	struct c14n_set		 s = { top, cut };
	xmlOutputBufferPtr	 ob;
	const xmlChar		*p;
	unsigned char		*out = NULL;
	size_t			 n;

	if ((ob = xmlAllocOutputBuffer(NULL)) == NULL)
		return NULL;
	/* The whole document needs no test of each node. */
	if (xmlC14NExecute(doc, top == NULL && cut == NULL ? NULL :
	    c14n_visible, &s, XML_C14N_EXCLUSIVE_1_0, NULL, 0, ob) < 0)
		goto done;
	if (xmlOutputBufferFlush(ob) < 0)
		goto done;
	p = xmlOutputBufferGetContent(ob);
	n = xmlOutputBufferGetSize(ob);
	if (p == NULL || (out = malloc(n + 1)) == NULL)
		goto done;
	memcpy(out, p, n);
	out[n] = '\0';
	*len = n;
 done:
	xmlOutputBufferClose(ob);
	return out;
}

int
c14n_exc_sha256(xmlDocPtr doc, xmlNodePtr top, xmlNodePtr cut,
    unsigned char out[32])
{
	unsigned char	*b;
	size_t		 n;

	if ((b = c14n_exc(doc, top, cut, &n)) == NULL)
		return -1;
	SHA256(b, n, out);
	free(b);
	return 0;
}
