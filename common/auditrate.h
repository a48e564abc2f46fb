/*
 * Refusals journaled without letting a flood into the journal: for each
 * key (a peer address, a certificate subject) and reason, the first
 * `limit' refusals of an interval are journaled one by one, the rest
 * counted and journaled as one summary record when the interval ends.
 */
#ifndef CFJL_AUDITRATE_H
#define CFJL_AUDITRATE_H

#define AUDITRATE_INTERVAL	10	/* seconds */
#define AUDITRATE_KEYS		1024	/* keys followed; then one for all */
#define AUDITRATE_PREAUTH	1	/* no certificate known yet */
#define AUDITRATE_CLIENT	20	/* a client with a certificate */

/*
 * Journal the refusal (event, subject key, outcome "refused", details
 * from fmt) now, or count it for the interval's summary, which names
 * the reason.  Needs the libevent base.
 */
void	 auditrate_refusal(const char *event, const char *key,
	    const char *reason, unsigned int limit, const char *fmt, ...)
	    __attribute__((__format__(printf, 5, 6)));
/* The summaries now (at exit); every count starts again. */
void	 auditrate_flush(void);

#endif
