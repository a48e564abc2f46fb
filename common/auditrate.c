/*
 * Rate-limited journaling of refusals, so that a client sending
 * garbage, or a loop that connects and closes, costs the journal a
 * record or two every AUDITRATE_INTERVAL seconds instead of one a
 * connection: per key and reason, `limit' records an interval one by
 * one, then one summary with the count of the others.  The table is
 * bounded: past AUDITRATE_KEYS keys, new ones share the key "*".
 */
#include <sys/types.h>
#include <sys/tree.h>

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event.h>

#include "audit.h"
#include "auditrate.h"
#include "log.h"
#include "proto.h"

struct arate {
	RB_ENTRY(arate)		 node;
	char			 event[32];
	char			 key[AUDIT_SUBJECT];
	char			 reason[64];
	unsigned int		 n;	/* journaled one by one, this interval */
	uint64_t		 more;	/* counted, this interval */
	int			 quiet;	/* intervals without a refusal */
};
RB_HEAD(arate_tree, arate);

static int	arate_cmp(struct arate *, struct arate *);
RB_PROTOTYPE_INTERNAL(arate_tree, arate, node, arate_cmp,
    static __attribute__((__unused__)));
RB_GENERATE_INTERNAL(arate_tree, arate, node, arate_cmp,
    static __attribute__((__unused__)))

static struct {
	struct arate_tree	 tree;
	size_t			 n;
	int			 timer_set;
	struct event		 timer;
} ar;	/* zero: an empty tree */

static struct arate *auditrate_get(const char *, const char *, const char *);
static void	auditrate_tick(int, short, void *);
static void	auditrate_arm(void);

static int
arate_cmp(struct arate *a, struct arate *b)
{
	int	 rc;

	if ((rc = strcmp(a->event, b->event)) != 0)
		return rc;
	if ((rc = strcmp(a->reason, b->reason)) != 0)
		return rc;
	return strcmp(a->key, b->key);
}

/* The entry of (event, key, reason), made if need be; NULL if no memory. */
static struct arate *
auditrate_get(const char *event, const char *key, const char *reason)
{
	struct arate	 k, *a;

	memset(&k, 0, sizeof(k));
	strlcpy(k.event, event, sizeof(k.event));
	strlcpy(k.key, key, sizeof(k.key));
	strlcpy(k.reason, reason, sizeof(k.reason));
	if ((a = RB_FIND(arate_tree, &ar.tree, &k)) != NULL)
		return a;
	if (ar.n >= AUDITRATE_KEYS) {
		/* Many keys at once: a flood from many addresses. */
		strlcpy(k.key, "*", sizeof(k.key));
		if ((a = RB_FIND(arate_tree, &ar.tree, &k)) != NULL)
			return a;
	}
	if ((a = calloc(1, sizeof(*a))) == NULL)
		return NULL;
	memcpy(a->event, k.event, sizeof(a->event));
	memcpy(a->key, k.key, sizeof(a->key));
	memcpy(a->reason, k.reason, sizeof(a->reason));
	RB_INSERT(arate_tree, &ar.tree, a);
	ar.n++;
	auditrate_arm();
	return a;
}

void
auditrate_refusal(const char *event, const char *key, const char *reason,
    unsigned int limit, const char *fmt, ...)
{
	struct arate	*a;
	va_list		 ap;
	char		 detail[AUDIT_DETAILS];

	if ((a = auditrate_get(event, key, reason)) != NULL &&
	    a->n >= limit) {
		a->more++;
		a->quiet = 0;
		return;
	}
	if (a != NULL) {
		a->n++;
		a->quiet = 0;
	}
	va_start(ap, fmt);
	(void)vsnprintf(detail, sizeof(detail), fmt, ap);
	va_end(ap);
	audit_record(event, a != NULL ? a->key : key, "refused", "%s",
	    detail);
}

static void
auditrate_arm(void)
{
	struct timeval	 tv = { AUDITRATE_INTERVAL, 0 };

	if (!ar.timer_set) {
		evtimer_set(&ar.timer, auditrate_tick, NULL);
		ar.timer_set = 1;
	}
	if (!evtimer_pending(&ar.timer, NULL))
		evtimer_add(&ar.timer, &tv);
}

/*
 * The interval's summaries.  A key still over its limit stays over it:
 * a flood gets one summary an interval, not a record and a summary.
 * Keys quiet for a whole interval are let go.
 */
static void
auditrate_tick(int fd, short ev, void *arg)
{
	struct arate	*a, *next;

	for (a = RB_MIN(arate_tree, &ar.tree); a != NULL; a = next) {
		next = RB_NEXT(arate_tree, &ar.tree, a);
		if (a->more > 0) {
			audit_record(a->event, a->key, "refused", "%llu more "
			    "refusals (%s) in the last %d s, counted, not "
			    "journaled one by one",
			    (unsigned long long)a->more, a->reason,
			    AUDITRATE_INTERVAL);
			a->more = 0;
			continue;
		}
		if (a->n == 0 && a->quiet++ > 0) {
			RB_REMOVE(arate_tree, &ar.tree, a);
			ar.n--;
			free(a);
			continue;
		}
		a->n = 0;
	}
	if (ar.n > 0)
		auditrate_arm();
}

void
auditrate_flush(void)
{
	if (ar.timer_set)
		evtimer_del(&ar.timer);
	auditrate_tick(-1, 0, NULL);
	if (ar.timer_set)
		evtimer_del(&ar.timer);
}
