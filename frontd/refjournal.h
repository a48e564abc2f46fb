/*
 * Refusals journaled at frontd (refjournal.c), bounded against floods.
 */
#ifndef FRONTD_REFJOURNAL_H
#define FRONTD_REFJOURNAL_H

struct conn;

/*
 * A refusal of a client that showed its certificate: journaled one by
 * one up to AUDITRATE_CLIENT an interval for its subject and status,
 * then counted.  event: "request-refused", "access-refused", ...
 */
void	 refjournal_client(const struct conn *, const char *event, int status,
	    const char *fmt, ...)
	    __attribute__((__format__(printf, 4, 5)));
/*
 * A refusal before any certificate is known (admission, TLS): one
 * record at once for the address and reason, then one count an
 * interval.
 */
void	 refjournal_peer(const char *addr, const char *event,
	    const char *reason, const char *fmt, ...)
	    __attribute__((__format__(printf, 4, 5)));

#endif
