/*
 * The certificates an export carries (certs/seal.pem, certs/tsa.pem):
 * every one that sealed a lot of the bundle or its checkpoint, each with
 * its chain, in the order they were first used; the configured files
 * for seals made before stored recorded which certificate made them.
 */
#ifndef CFJL_EXPORTCERT_H
#define CFJL_EXPORTCERT_H

#include <stddef.h>
#include <stdint.h>

#include <libpq-fe.h>

struct db_job;

/*
 * The lots of IDEvt $1 to $2, as a CTE r (lo, hi): lots follow IDEvt, so
 * they run from the lot of the first event at or after $1 to the lot of
 * the last one up to $2, both read through the events' primary key.  No
 * index reads lots by first or last: a test on those scans every lot.
 */
#define EXPORT_LOTS_OF_IDEVT \
	"r AS (SELECT (SELECT lot FROM events WHERE idevt >= $1 " \
	"ORDER BY idevt LIMIT 1) AS lo, (SELECT lot FROM events " \
	"WHERE idevt <= $2 ORDER BY idevt DESC LIMIT 1) AS hi)"

struct exportcert {
	char		*pem[2];	/* seal, tsa */
	size_t		 len[2];
	int		 legacy[2];	/* a seal names none: the file's */
	int		 toolong;
};

/* The configured files, read before confinement; -1 if one is missing. */
int	exportcert_init(const char *seal_cert, const char *tsa_cert);
/*
 * Add to job the query for the certificates of the lots in the range
 * (as export.c resolves it: IDEvt from-to, or received since-until in
 * Unix milliseconds), whose rows go to ec.
 */
void	exportcert_query(struct db_job *, int by_time, uint64_t from,
	    uint64_t to, int64_t since, int64_t until, struct exportcert *);
/* The checkpoint's two certificates, columns col and col + 1 of row 0. */
void	exportcert_checkpoint(struct exportcert *, PGresult *, int col);
/* Complete both files; -1 with why if one cannot be. */
int	exportcert_finish(struct exportcert *, const char **why);
void	exportcert_free(struct exportcert *);

#endif
