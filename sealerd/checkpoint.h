/*
 * The checkpoint document (cfjl-export(5) "checkpoint.xml"): what the
 * vault held at one moment, sealed like a lot and chained to the
 * checkpoint before it.
 */
#ifndef CFJL_CHECKPOINT_H
#define CFJL_CHECKPOINT_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <libxml/tree.h>

#define CHECKPOINT_NS		"urn:cfjl:checkpoint:1"
#define CHECKPOINT_ID_MAX	32

struct checkpoint_req;
struct xades_signer;

/* The journal as sealerd last heard of it; file "" if none. */
struct checkpoint_journal {
	char		 file[16];
	uint8_t		 meta_sha256[32];
};

/* "checkpoint-000000000005" */
void		 checkpoint_id(char *, size_t, uint64_t numero);
/*
 * Check what stored sent and build the unsigned document; NULL with a
 * sentence in err.
 */
xmlDocPtr	 checkpoint_build(const struct checkpoint_req *,
		    const struct checkpoint_journal *, int64_t time_ms,
		    char *err, size_t errlen);
/*
 * Build, sign (xades.c, enveloped XAdES-T as a lot) and serialise: the
 * bytes are malloc'd.  0, or -1 with a sentence in err; *invalid says
 * whether the request itself was wrong (not worth asking again).
 */
int		 checkpoint_make(const struct checkpoint_req *,
		    const struct checkpoint_journal *, int64_t time_ms,
		    const struct xades_signer *, unsigned char sigvalue[32],
		    unsigned char **xml, size_t *len, int *invalid,
		    char *err, size_t errlen);

#endif
