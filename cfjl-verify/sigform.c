/*
 * The form of a lot seal, checked before any of it is believed: the
 * ds:Signature must be exactly the tree sealerd(8) writes (see
 * cfjl-export(5)), element by element, attribute by attribute, with the
 * algorithms it uses and the Id values it gives, and the Id attributes
 * of the whole lot must be those and the Lot's own, each value once.
 *
 * Why so strict: a reference "#x" is resolved by libxml2's ID table, a
 * property is read by a path; anything the form allows beyond what is
 * written (a second ds:Object, a moved SignedProperties, an xml:id or
 * a wsu:Id taking over a name, another transform) is a place where the
 * node that was signed and the node that is read can differ.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <libxml/tree.h>

#include "verify.h"

#define NS_DS		"http://www.w3.org/2000/09/xmldsig#"
#define NS_XADES	"http://uri.etsi.org/01903/v1.3.2#"
#define ALG_EXC		"http://www.w3.org/2001/10/xml-exc-c14n#"
#define ALG_ENV		"http://www.w3.org/2000/09/xmldsig#enveloped-signature"
#define ALG_SHA256	"http://www.w3.org/2001/04/xmlenc#sha256"
#define ALG_RSA256	"http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"
#define TYPE_SP		"http://uri.etsi.org/01903#SignedProperties"

#define F_TEXT		0x01	/* text only, no element */
#define F_MANY		0x02	/* may repeat (the chain in X509Data) */

/* One element of the seal, in document order; "%s" is the lot's Id. */
struct sigform {
	int		 depth;
	const char	*ns;
	const char	*name;
	const char	*attr[3][2];
	int		 flags;
};

static const struct sigform form[] = {
	{ 0, NS_DS, "Signature", { { "Id", "sig-%s" } }, 0 },
	{ 1, NS_DS, "SignedInfo", { { NULL } }, 0 },
	{ 2, NS_DS, "CanonicalizationMethod", { { "Algorithm", ALG_EXC } }, 0 },
	{ 2, NS_DS, "SignatureMethod", { { "Algorithm", ALG_RSA256 } }, 0 },
	{ 2, NS_DS, "Reference", { { "Id", "ref-%s" }, { "URI", "" } }, 0 },
	{ 3, NS_DS, "Transforms", { { NULL } }, 0 },
	{ 4, NS_DS, "Transform", { { "Algorithm", ALG_ENV } }, 0 },
	{ 4, NS_DS, "Transform", { { "Algorithm", ALG_EXC } }, 0 },
	{ 3, NS_DS, "DigestMethod", { { "Algorithm", ALG_SHA256 } }, 0 },
	{ 3, NS_DS, "DigestValue", { { NULL } }, F_TEXT },
	{ 2, NS_DS, "Reference", { { "Type", TYPE_SP },
	    { "URI", "#xades-%s" } }, 0 },
	{ 3, NS_DS, "Transforms", { { NULL } }, 0 },
	{ 4, NS_DS, "Transform", { { "Algorithm", ALG_EXC } }, 0 },
	{ 3, NS_DS, "DigestMethod", { { "Algorithm", ALG_SHA256 } }, 0 },
	{ 3, NS_DS, "DigestValue", { { NULL } }, F_TEXT },
	{ 1, NS_DS, "SignatureValue", { { "Id", "value-%s" } }, F_TEXT },
	{ 1, NS_DS, "KeyInfo", { { NULL } }, 0 },
	{ 2, NS_DS, "X509Data", { { NULL } }, 0 },
	{ 3, NS_DS, "X509Certificate", { { NULL } }, F_TEXT | F_MANY },
	{ 1, NS_DS, "Object", { { NULL } }, 0 },
	{ 2, NS_XADES, "QualifyingProperties", { { "Target", "#sig-%s" } }, 0 },
	{ 3, NS_XADES, "SignedProperties", { { "Id", "xades-%s" } }, 0 },
	{ 4, NS_XADES, "SignedSignatureProperties", { { NULL } }, 0 },
	{ 5, NS_XADES, "SigningTime", { { NULL } }, F_TEXT },
	{ 5, NS_XADES, "SigningCertificateV2", { { NULL } }, 0 },
	{ 6, NS_XADES, "Cert", { { NULL } }, 0 },
	{ 7, NS_XADES, "CertDigest", { { NULL } }, 0 },
	{ 8, NS_DS, "DigestMethod", { { "Algorithm", ALG_SHA256 } }, 0 },
	{ 8, NS_DS, "DigestValue", { { NULL } }, F_TEXT },
	{ 7, NS_XADES, "IssuerSerialV2", { { NULL } }, F_TEXT },
	{ 4, NS_XADES, "SignedDataObjectProperties", { { NULL } }, 0 },
	{ 5, NS_XADES, "DataObjectFormat", { { "ObjectReference",
	    "#ref-%s" } }, 0 },
	{ 6, NS_XADES, "MimeType", { { NULL } }, F_TEXT },
	{ 3, NS_XADES, "UnsignedProperties", { { NULL } }, 0 },
	{ 4, NS_XADES, "UnsignedSignatureProperties", { { NULL } }, 0 },
	{ 5, NS_XADES, "SignatureTimeStamp", { { "Id", "ts-%s" } }, 0 },
	{ 6, NS_DS, "CanonicalizationMethod", { { "Algorithm", ALG_EXC } }, 0 },
	{ 6, NS_XADES, "EncapsulatedTimeStamp", { { NULL } }, F_TEXT },
	{ -1, NULL, NULL, { { NULL } }, 0 }
};

/* the index of xades:SignedProperties in form[] */
#define FORM_SP		21

struct sigwalk {
	const char	*lotid;
	char		 why[256];
	xmlNodePtr	 sp;		/* the SignedProperties met */
};

static int	 sigform_elem(struct sigwalk *, xmlNodePtr, size_t *);
static int	 sigform_attrs(struct sigwalk *, xmlNodePtr,
		    const struct sigform *);
static int	 sigform_is(xmlNodePtr, const struct sigform *);
static int	 sigform_idlike(xmlAttrPtr);

static int
sigform_is(xmlNodePtr n, const struct sigform *f)
{
	return (n->type == XML_ELEMENT_NODE && n->ns != NULL &&
	    strcmp((const char *)n->ns->href, f->ns) == 0 &&
	    strcmp((const char *)n->name, f->name) == 0);
}

/* The attributes named in the form, each with its value, and no other. */
static int
sigform_attrs(struct sigwalk *w, xmlNodePtr n, const struct sigform *f)
{
	xmlAttrPtr	 a;
	xmlChar		*v;
	char		 want[128];
	int		 i, nwant = 0, found = 0, ok, seen[3] = { 0, 0, 0 };

	for (i = 0; i < 3 && f->attr[i][0] != NULL; i++)
		nwant++;
	for (a = n->properties; a != NULL; a = a->next) {
		for (i = 0; i < nwant; i++)
			if (a->ns == NULL &&
			    strcmp((const char *)a->name, f->attr[i][0]) == 0)
				break;
		if (i == nwant) {
			snprintf(w->why, sizeof(w->why), "%s has an attribute "
			    "%s%s%s it may not have", f->name,
			    a->ns && a->ns->prefix ? (char *)a->ns->prefix : "",
			    a->ns && a->ns->prefix ? ":" : "", a->name);
			return (-1);
		}
		snprintf(want, sizeof(want), f->attr[i][1], w->lotid);
		v = xmlNodeListGetString(n->doc, a->children, 1);
		ok = strcmp(v ? (char *)v : "", want) == 0;
		xmlFree(v);
		if (!ok) {
			snprintf(w->why, sizeof(w->why), "%s/@%s is not \"%s\"",
			    f->name, f->attr[i][0], want);
			return (-1);
		}
		if (seen[i]++ == 0)
			found++;
	}
	for (i = 0; found != nwant && i < nwant; i++)
		if (!seen[i]) {
			snprintf(w->why, sizeof(w->why), "%s lacks its "
			    "attribute %s", f->name, f->attr[i][0]);
			return (-1);
		}
	return (0);
}

/*
 * Element n against form[*i]; on return *i is past its subtree in the
 * form.  Between elements only white space; no comment, no processing
 * instruction, no CDATA: nothing the canonical forms would treat
 * differently from what is read.
 */
static int
sigform_elem(struct sigwalk *w, xmlNodePtr n, size_t *i)
{
	const struct sigform	*f = &form[*i];
	xmlNodePtr		 c;
	size_t			 j = *i + 1, last = 0;

	if (!sigform_is(n, f)) {
		snprintf(w->why, sizeof(w->why), "%s found where %s is "
		    "expected", n->type == XML_ELEMENT_NODE ?
		    (const char *)n->name : "a node", f->name);
		return (-1);
	}
	if (sigform_attrs(w, n, f) == -1)
		return (-1);
	if (*i == FORM_SP)
		w->sp = n;
	for (c = n->children; c != NULL; c = c->next) {
		if (c->type == XML_TEXT_NODE) {
			if (!(f->flags & F_TEXT) && !xmlIsBlankNode(c)) {
				snprintf(w->why, sizeof(w->why), "text in %s",
				    f->name);
				return (-1);
			}
			continue;
		}
		if (c->type != XML_ELEMENT_NODE || (f->flags & F_TEXT)) {
			snprintf(w->why, sizeof(w->why), "%s holds an "
			    "unexpected node", f->name);
			return (-1);
		}
		if (last != 0 && (form[last].flags & F_MANY) &&
		    sigform_is(c, &form[last])) {
			size_t	 k = last;

			if (sigform_elem(w, c, &k) == -1)
				return (-1);
			continue;
		}
		if (form[j].depth != f->depth + 1) {
			snprintf(w->why, sizeof(w->why), "%s has an extra "
			    "element %s", f->name, c->name);
			return (-1);
		}
		last = j;
		if (sigform_elem(w, c, &j) == -1)
			return (-1);
	}
	if (form[j].depth == f->depth + 1) {
		snprintf(w->why, sizeof(w->why), "%s lacks %s", f->name,
		    form[j].name);
		return (-1);
	}
	*i = j;
	return (0);
}

/* An attribute that some processor could take for an identifier. */
static int
sigform_idlike(xmlAttrPtr a)
{
	const char	*name = (const char *)a->name;
	size_t		 len = strlen(name);

	return (strcasecmp(name, "id") == 0 ||
	    (len > 2 && strcasecmp(name + len - 2, "id") == 0 &&
	    a->ns != NULL));
}

/*
 * Every identifier-like attribute of the lot (Id, ID, id, xml:id,
 * wsu:Id, any prefixed ...Id): only no-namespace Id, only on the Lot
 * element and on the elements of the seal that the form names, each
 * value once.  Returns -1 with the reason in why.
 */
static int
sigform_ids(xmlNodePtr root, xmlNodePtr sig, char *why, size_t whylen)
{
	xmlNodePtr	 n = root, p;
	xmlAttrPtr	 a;
	xmlChar		*v;
	char		*seen[8];
	size_t		 nseen = 0, k;
	int		 insig, rc = 0;

	while (n != NULL && rc == 0) {
		if (n->type == XML_ELEMENT_NODE) {
			for (p = n, insig = 0; p != NULL; p = p->parent)
				if (p == sig)
					insig = 1;
			for (a = n->properties; a != NULL && rc == 0;
			    a = a->next) {
				if (!sigform_idlike(a))
					continue;
				if (a->ns != NULL || strcmp((const char *)
				    a->name, "Id") != 0 ||
				    (n != root && !insig) || nseen == 8) {
					snprintf(why, whylen, "%s carries an "
					    "identifier attribute %s%s%s that "
					    "is not the vault's", n->name,
					    a->ns && a->ns->prefix ?
					    (char *)a->ns->prefix : "",
					    a->ns && a->ns->prefix ? ":" : "",
					    a->name);
					rc = -1;
					break;
				}
				v = xmlNodeListGetString(n->doc, a->children,
				    1);
				for (k = 0; k < nseen; k++)
					if (strcmp(seen[k], v ? (char *)v :
					    "") == 0)
						break;
				if (k < nseen) {
					snprintf(why, whylen, "the Id \"%s\" "
					    "appears twice", seen[k]);
					rc = -1;
				} else
					seen[nseen++] = xstrdup(v ? (char *)v :
					    "");
				xmlFree(v);
			}
		}
		/* next in document order */
		if (n->type == XML_ELEMENT_NODE && n->children != NULL)
			n = n->children;
		else {
			while (n != NULL && n->next == NULL && n != root)
				n = n->parent;
			n = (n == NULL || n == root) ? NULL : n->next;
		}
	}
	for (k = 0; k < nseen; k++)
		free(seen[k]);
	return (rc);
}

/*
 * The seal sig of the lot whose Id is lotid has the form sealerd
 * writes; *sp is its one xades:SignedProperties.  -1 with a reason.
 */
int
sigform_check(xmlNodePtr root, xmlNodePtr sig, const char *lotid,
    xmlNodePtr *sp, char *why, size_t whylen)
{
	struct sigwalk	 w;
	size_t		 i = 0;

	*sp = NULL;
	memset(&w, 0, sizeof(w));
	w.lotid = lotid;
	if (sigform_elem(&w, sig, &i) == -1 || w.sp == NULL) {
		snprintf(why, whylen, "%s", w.why[0] ? w.why :
		    "no SignedProperties");
		return (-1);
	}
	if (sigform_ids(root, sig, why, whylen) == -1)
		return (-1);
	*sp = w.sp;
	return (0);
}
