/*
 * The lot document written as bytes, with the digest of its canonical
 * form made on the way: what sealerd signs and sends back to stored.
 */
#ifndef CFJL_LOTXML_H
#define CFJL_LOTXML_H

#include <stddef.h>
#include <stdint.h>

#define LOTXML_INVALID	(-1)	/* the lot contradicts itself */
#define LOTXML_NOMEM	(-2)

struct seal_lot;
struct seal_event;

struct lotxml {
	unsigned char	*buf;		/* the document so far */
	size_t		 len;
	size_t		 cap;
	/* SHA-256 of the exclusive canonical form, less ds:Signature. */
	unsigned char	 digest[32];
};

/*
 * Check the lot (lot_check) and write the document from the XML
 * declaration to the newline after the last Evenement, where the
 * signature goes, keeping room more bytes free for it.  0, or
 * LOTXML_INVALID or LOTXML_NOMEM with a sentence in err and nothing
 * allocated.
 */
int	lotxml_write(struct lotxml *, const struct seal_lot *,
	    const struct seal_event *, size_t nevents, size_t room,
	    char *err, size_t errlen);
/* Append bytes (the signature); 0 or -1. */
int	lotxml_append(struct lotxml *, const void *, size_t);
/* Close the Lot element and the document; 0 or -1. */
int	lotxml_end(struct lotxml *);
void	lotxml_free(struct lotxml *);

#endif
