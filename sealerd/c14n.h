/*
 * Exclusive XML canonicalisation (http://www.w3.org/2001/10/xml-exc-c14n#,
 * without comments) of part of a document, as the XML signature needs it.
 */
#ifndef CFJL_C14N_H
#define CFJL_C14N_H

#include <stddef.h>
#include <libxml/tree.h>

/*
 * Canonicalise the subtree at top (NULL: the whole document) less the
 * subtree at cut (NULL: nothing cut).  The bytes are malloc'd; NULL on
 * error.
 */
unsigned char	*c14n_exc(xmlDocPtr, xmlNodePtr top, xmlNodePtr cut,
		    size_t *len);
/* The same, digested with SHA-256 into out; 0 or -1. */
int		 c14n_exc_sha256(xmlDocPtr, xmlNodePtr top, xmlNodePtr cut,
		    unsigned char out[32]);

#endif
