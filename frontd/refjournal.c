/*
 * Every refusal frontd answers is journaled, and none of them lets a
 * client flood the journal (common/auditrate.c keeps the counts): a
 * client with a certificate gets its refusals journaled one by one up
 * to a rate, then summarised; before a certificate is known, the peer
 * address is all we have and costs one record, then a count an
 * interval for the address and reason.
 */
#include <sys/types.h>

#include <stdarg.h>
#include <stdio.h>

#include "auditrate.h"
#include "conn.h"
#include "proto.h"
#include "refjournal.h"

void
refjournal_client(const struct conn *c, const char *event, int status,
    const char *fmt, ...)
{
	va_list		 ap;
	char		 reason[16], detail[AUDIT_DETAILS];
	const char	*who = conn_subject(c);

	snprintf(reason, sizeof(reason), "%d", status);
	va_start(ap, fmt);
	(void)vsnprintf(detail, sizeof(detail), fmt, ap);
	va_end(ap);
	if (who[0] == '\0')
		auditrate_refusal(event, conn_addr(c), reason,
		    AUDITRATE_PREAUTH, "%s", detail);
	else
		auditrate_refusal(event, who, reason, AUDITRATE_CLIENT, "%s",
		    detail);
}

void
refjournal_peer(const char *addr, const char *event, const char *reason,
    const char *fmt, ...)
{
	va_list	 ap;
	char	 detail[AUDIT_DETAILS];

	va_start(ap, fmt);
	(void)vsnprintf(detail, sizeof(detail), fmt, ap);
	va_end(ap);
	auditrate_refusal(event, addr, reason, AUDITRATE_PREAUTH, "%s",
	    detail);
}
