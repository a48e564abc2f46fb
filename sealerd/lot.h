/*
 * The lot document (SPEC "The lot document"): built from what stored
 * sends in IMSG_SEAL_LOT, before it is signed.
 */
#ifndef CFJL_LOT_H
#define CFJL_LOT_H

#include <stddef.h>
#include <stdint.h>
#include <libxml/tree.h>

#define LOT_NS		"urn:cfjl:lot:1"
#define LOT_ID_MAX	32
#define LOT_TIME_LEN	24		/* 2026-11-24T10:00:00.123Z */
#define LOT_TIME_MAX_MS	253402300800000LL	/* 10000-01-01 */

struct seal_lot;
struct seal_event;

/* The Merkle root of the events (cfjl-export(5)); -1 out of memory. */
int		 lot_root(const struct seal_event *, size_t nevents,
		    uint8_t[32]);
/* "lot-000000000017" */
void		 lot_id(char *, size_t, uint64_t lot);
/*
 * Check the lot and its events (count, IDEvt consecutive from first to
 * last, field syntax); 0, or -1 with a sentence in err.
 */
int		 lot_check(const struct seal_lot *, const struct seal_event *,
		    size_t nevents, char *err, size_t errlen);
/*
 * Check the lot and build the unsigned document as a libxml2 tree; NULL
 * with a sentence in err.  sealerd writes the same document directly
 * (lotxml.c); the tree is for tools and tests.
 */
xmlDocPtr	 lot_build(const struct seal_lot *, const struct seal_event *,
		    size_t nevents, char *err, size_t errlen);
/* 2026-11-24T10:00:00.123Z, UTC, years 1970 to 9999; -1 outside. */
int		 lot_time_ms(char *, size_t, int64_t ms);

#endif
