/*
 * Export bundles (cfjl-export(5)): a conformant copy of a range of
 * events with every lot seal, streamed to frontd as a tar archive.
 *
 * The stored side of GET /v1/export, over the frontd link:
 *
 *	frontd -> stored  IMSG_EXPORT_START   struct export_req
 *	stored -> frontd  IMSG_EXPORT_CHUNK   struct export_chunk + tar bytes
 *	frontd -> stored  IMSG_EXPORT_MORE    struct export_chunk (reqid)
 *	frontd -> stored  IMSG_EXPORT_CANCEL  struct export_chunk (reqid)
 *	stored -> frontd  IMSG_EXPORT_CHUNK   last = 1, no bytes: cancelled
 *
 * Flow control is by credit: stored sends at most EXPORT_WINDOW chunks
 * ahead; each IMSG_EXPORT_MORE from frontd (one per chunk it has written
 * to the client) allows one more.  Every chunk holds at most
 * EXPORT_CHUNK_MAX bytes; the last one says last = 1.  An export that
 * fails before its first byte is one chunk with error = the HTTP status
 * (400, 503) and no bytes; one that fails later ends with error set
 * (frontd must then cut the connection: the bundle is incomplete).
 * The last chunk is sent only once the journal record of the export
 * (who, range, events, the bundle's SHA-256) is durable.
 *
 * Rows are read in pages (keyset: "WHERE idevt >= next ORDER BY idevt
 * LIMIT n"), one page at a time and only when less than
 * EXPORT_PAGE_BYTES wait to be sent, so memory stays flat whatever the
 * range: the page of events is sized from the last one's bytes to hold
 * about EXPORT_PAGE_BYTES (EXPORT_PAGE_EVENTS_MIN to _MAX rows), and
 * the next page is asked while the previous one is still going out.
 * Sealed lots never change, so the pages are consistent without
 * holding a transaction open on the shared pipelined connection.
 */
#ifndef CFJL_EXPORT_H
#define CFJL_EXPORT_H

#include <stddef.h>
#include <stdint.h>

#define EXPORT_CHUNK_MAX	(256 * 1024)
#define EXPORT_WINDOW		4	/* chunks in flight */
#define EXPORT_PAGE_LOTS	2	/* rows per query: a lot may be 1 MB */
#define EXPORT_PAGE_BYTES	(1024 * 1024)	/* aimed at, a page */
#define EXPORT_PAGE_EVENTS	256	/* the first page of events */
#define EXPORT_PAGE_EVENTS_MIN	16
#define EXPORT_PAGE_EVENTS_MAX	4096
#define EXPORT_MAX		16	/* exports at once */
#define EXPORT_MANIFEST_MAX	1024

/* What manifest.json says; see cfjl-export(5). */
struct export_manifest {
	uint32_t	 operator_id;
	uint32_t	 vault_id;
	int		 by_time;
	uint64_t	 req_from, req_to;	/* IDEvt or YYYYMMDDhhmmss */
	int		 included;		/* 0: no sealed lot in range */
	uint64_t	 inc_from, inc_to;
	uint64_t	 lot_first, lot_last;
	uint64_t	 nevents;
	int		 sealed;		/* 0: nothing sealed yet */
	uint64_t	 sealed_lot, sealed_idevt;
	int64_t		 created_ms;
};


/*
 * stored: the certificate files named by sealerd's configuration are
 * read at start (before confinement), for lots sealed before seals named
 * their certificates (exportcert.c); -1 if one cannot be read.
 */
int	 export_init(const char *seal_cert, const char *tsa_cert);
/*
 * frontd's messages, front being the connection's number (front_send());
 * 0, or -1 when the payload is malformed (the caller drops the peer).
 */
struct msg;
int	 export_request(uint64_t front, struct msg *);
int	 export_more(uint64_t front, struct msg *);
int	 export_cancel(uint64_t front, struct msg *);
/* That frontd connection went away: its exports end as cancelled. */
void	 export_front_gone(uint64_t front);

#endif
