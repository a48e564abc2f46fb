/*
 * Deposits from frontd: a request is read, its Client-Ids are settled,
 * then it goes to the group commit (commit.c), which answers it.
 *
 * A Client-Id seen before with the same body gets the original answer
 * (duplicate) and stores nothing; with another body, 409.  Ids still on
 * their way to the database hold back a second request with the same
 * id until the first is settled.
 *
 * Lookups go on the read-only connection (cidcache.c says why that is
 * safe), so a lookup sent during a commit is answered without waiting
 * for it.  When a write returns while a lookup is still out, the next
 * write waits for its answer, so that its requests join that write
 * rather than the one after; the wait is short, the reader being idle.
 * While the reader is down, lookups go on the writer, behind commits.
 */
#include <sys/types.h>
#include <sys/queue.h>
#include <sys/uio.h>

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auditrate.h"
#include "log.h"
#include "msg.h"
#include "proto.h"
#include "refusal.h"
#include "rfc3339.h"
#include "stored.h"
#include "cidcache.h"
#include "cidfilter.h"
#include "commit.h"
#include "db.h"
#include "deposit.h"
#include "front.h"
#include "lotstate.h"

#define DEP_TRACES_MAX		100000	/* in one request */
#define DEP_QUEUE_MAX		200000	/* events waiting, then 503 */
#define DEP_RETRY_AFTER		2	/* seconds, with 503 */
#define DEP_SLOW_US		15000	/* logged at -vv */

static struct {
	struct dreqs		 blocked;
	size_t			 nwaiting;	/* events, all states */
	struct dreqs		 lookq;		/* Client-Ids to ask for */
	int			 looking;	/* a lookup in flight */
} dep;

/* One lookup of Client-Ids for the requests that queued meanwhile. */
struct dlookup {
	struct dreqs		 reqs;
	int64_t			 t0;
	size_t			 nids;
	int			 behind;
};

static int	 dep_parse(struct dreq *, struct msg *);
static int	 dep_batch_dups(struct dreq *);
static void	 dep_eval(struct dreq *);
static void	 dep_lookup(struct dreq *);
static void	 dep_lookup_flush(void);
static void	 dep_lookup_done(int, const char *, void *);
static void	 dep_ready(struct dreq *);
static void	 dep_release(struct dreq *, int);
static void	 dep_free(struct dreq *);

void
deposit_init(void)
{
	TAILQ_INIT(&dep.blocked);
	TAILQ_INIT(&dep.lookq);
	cidcache_init();
	cidfilter_init();
	commit_init();
}

/* A Client-Id lookup is in flight. */
int
deposit_looking(void)
{
	return dep.looking;
}

size_t
deposit_pending(void)
{
	return dep.nwaiting;
}

/*
 * IMSG_DEPOSIT: struct deposit_req, then ntraces times a struct
 * deposit_trace and its XML.  -1 if malformed (the peer is dropped).
 */
int
deposit_request(uint64_t front, struct msg *m)
{
	struct dreq	*r;

	if ((r = calloc(1, sizeof(*r))) == NULL)
		fatal(NULL);
	r->front = front;
	r->t_in = stored_env_mono_us();
	if (dep_parse(r, m) == -1) {
		dep_free(r);
		return -1;
	}
	if (!db_ready() || !lotstate_ready()) {
		deposit_refuse(r, REFUSE_UNAVAILABLE, -1,
		    "storage unavailable", "the database is not reachable; "
		    "nothing was stored, try again later");
		return 0;
	}
	if (dep.nwaiting + r->h.ntraces > DEP_QUEUE_MAX) {
		deposit_refuse(r, REFUSE_UNAVAILABLE, -1,
		    "storage busy", "%zu events are waiting to be stored; "
		    "nothing was stored, try again later", dep.nwaiting);
		return 0;
	}
	if (dep_batch_dups(r) == -1)
		return 0;
	dep.nwaiting += r->h.ntraces;
	r->counted = 1;
	dep_eval(r);
	return 0;
}

static int
dep_parse(struct dreq *r, struct msg *m)
{
	struct dtrace	*t;
	const void	*xml;
	uint32_t	 i;

	r->buflen = m_left(m);
	if (m_get_struct(m, proto_deposit_req, &r->h) == -1)
		return -1;
	if (r->h.ntraces == 0 || r->h.ntraces > DEP_TRACES_MAX ||
	    (r->h.batch == 0 && r->h.ntraces != 1))
		return m_fail(m, "%u traces (batch %u)", r->h.ntraces,
		    r->h.batch);
	/* frontd refuses another form: the lot must not carry one. */
	if (r->h.stamp[0] != '\0' &&
	    rfc3339_check(r->h.stamp, strlen(r->h.stamp)) == -1)
		return m_fail(m, "Timestamp is not RFC 3339");
	if ((r->t = calloc(r->h.ntraces, sizeof(*r->t))) == NULL)
		fatal(NULL);
	for (i = 0; i < r->h.ntraces; i++) {
		t = &r->t[i];
		if (m_get_struct(m, proto_deposit_trace, &t->h) == -1 ||
		    m_get_ptr(m, &xml, t->h.len) == -1)
			return -1;
		if (t->h.len == 0 || t->h.idevt_off > t->h.len ||
		    t->h.idevt_len > t->h.len - t->h.idevt_off)
			return m_fail(m, "trace %u: IDEvt outside its trace", i);
		t->xml = xml;
	}
	if (m_end(m) == -1)
		return -1;
	/* The traces stay where they arrived: the payload is ours now. */
	r->buf = m_keep(m);
	return 0;
}

static int
dep_cid_sort(const void *a, const void *b)
{
	const struct dtrace	*x = *(struct dtrace *const *)a;
	const struct dtrace	*y = *(struct dtrace *const *)b;

	return strcmp(x->h.client_id, y->h.client_id);
}

/* The same Client-Id twice in one batch: refused whole. */
static int
dep_batch_dups(struct dreq *r)
{
	struct dtrace	**v;
	uint32_t	  i, n = 0;
	int		  ret = 0;

	if (r->h.ntraces < 2)
		return 0;
	if ((v = calloc(r->h.ntraces, sizeof(*v))) == NULL)
		fatal(NULL);
	for (i = 0; i < r->h.ntraces; i++)
		if (r->t[i].h.client_id[0] != '\0')
			v[n++] = &r->t[i];
	qsort(v, n, sizeof(*v), dep_cid_sort);
	for (i = 1; i < n; i++)
		if (strcmp(v[i - 1]->h.client_id, v[i]->h.client_id) == 0) {
			deposit_refuse(r, REFUSE_CLIENT_ID_REUSED,
			    (int)(v[i] - r->t), "Client-Id reused",
			    "Client-Id \"%s\" appears twice in the batch; "
			    "nothing was stored", v[i]->h.client_id);
			ret = -1;
			break;
		}
	free(v);
	return ret;
}

/*
 * Settle the request's Client-Ids: from the cache, by asking the
 * database, or by waiting for a request that holds the same id.
 */
static void
dep_eval(struct dreq *r)
{
	struct dtrace	*t;
	struct cid	*c;
	uint32_t	 i, need = 0;

	r->state = DREQ_WAIT;
	for (i = 0; i < r->h.ntraces; i++) {
		t = &r->t[i];
		if (t->h.client_id[0] == '\0' || t->dup || t->cid != NULL)
			continue;
		if ((c = cidcache_find(t->h.client_id)) == NULL) {
			/*
			 * Certainly new: held, to be stored by r, and not
			 * asked for, even if another id of r is.
			 */
			if (cidfilter_absent(t->h.client_id)) {
				t->cid = cidcache_claim(t->h.client_id,
				    t->h.body_sha256, r);
				t->cid->state = CID_PENDING;
			} else
				need++;
			continue;
		}
		if (c->state != CID_DONE) {
			/* Another request holds it: wait until it settles. */
			TAILQ_INSERT_TAIL(&dep.blocked, r, entry);
			return;
		}
		if (memcmp(c->body, t->h.body_sha256, SHA256_LEN) != 0) {
			deposit_refuse(r, REFUSE_CLIENT_ID_REUSED,
			    r->h.batch ? (int)i : -1, "Client-Id reused",
			    "Client-Id \"%s\" was used for another trace "
			    "(IDEvt %" PRIu64 "); nothing was stored",
			    t->h.client_id, c->item.idevt);
			return;
		}
		t->dup = 1;
		t->item = c->item;
		cidcache_touch(c);
	}
	if (need > 0) {
		dep_lookup(r);
		return;
	}
	dep_ready(r);
}

/*
 * Claim the request's unknown Client-Ids (a second request with one of
 * them waits for this one), then queue it for the next lookup: while
 * one lookup is in flight the next gathers, so that under load a single
 * query asks for the ids of many requests.
 */
static void
dep_lookup(struct dreq *r)
{
	struct dtrace	*t;
	uint32_t	 i;

	for (i = 0; i < r->h.ntraces; i++) {
		t = &r->t[i];
		if (t->h.client_id[0] == '\0' || t->dup || t->cid != NULL ||
		    cidcache_find(t->h.client_id) != NULL)
			continue;
		t->cid = cidcache_claim(t->h.client_id, t->h.body_sha256, r);
	}
	TAILQ_INSERT_TAIL(&dep.lookq, r, entry);
	dep_lookup_flush();
}

/* Ask for the Client-Ids of every queued request in one query. */
static void
dep_lookup_flush(void)
{
	struct dlookup		*l;
	struct cid		**ids;
	struct dreq		*r;
	struct dtrace		*t;
	size_t			 n = 0, nids = 0;
	uint32_t		 i;

	if (dep.looking || TAILQ_EMPTY(&dep.lookq))
		return;
	if ((l = calloc(1, sizeof(*l))) == NULL)
		fatal(NULL);
	TAILQ_INIT(&l->reqs);
	TAILQ_CONCAT(&l->reqs, &dep.lookq, entry);
	TAILQ_FOREACH(r, &l->reqs, entry)
		nids += r->h.ntraces;
	if ((ids = calloc(nids, sizeof(*ids))) == NULL)
		fatal(NULL);
	TAILQ_FOREACH(r, &l->reqs, entry)
		for (i = 0; i < r->h.ntraces; i++) {
			t = &r->t[i];
			if (t->cid != NULL && t->cid->state == CID_LOOKUP &&
			    t->cid->owner == r)
				ids[n++] = t->cid;
		}
	log_debug("Client-Id lookup: %zu ids", n);
	l->t0 = stored_env_mono_us();
	l->nids = n;
	l->behind = commit_writing();
	/* Set first: a link that fails at once answers before the return. */
	dep.looking = 1;
	if (cidcache_lookup(ids, n, dep_lookup_done, l) == -1) {
		dep.looking = 0;
		while ((r = TAILQ_FIRST(&l->reqs)) != NULL) {
			TAILQ_REMOVE(&l->reqs, r, entry);
			deposit_refuse(r, REFUSE_UNAVAILABLE, -1,
			    "storage unavailable", "the database is not "
			    "reachable; nothing was stored, try again later");
		}
		free(l);
	}
	free(ids);
}

static void
dep_lookup_done(int ok, const char *err, void *arg)
{
	struct dlookup	*l = arg;
	struct dreq	*r;
	struct cid	*c;
	uint32_t	 i;

	dep.looking = 0;
	if (log_getverbose() > 1 &&
	    stored_env_mono_us() - l->t0 > DEP_SLOW_US / 2)
		log_info("slow Client-Id lookup: %lld us, %zu ids, %s",
		    (long long)(stored_env_mono_us() - l->t0), l->nids,
		    l->behind ? "during a write" : "alone");
	while ((r = TAILQ_FIRST(&l->reqs)) != NULL) {
		TAILQ_REMOVE(&l->reqs, r, entry);
		r->t_look = stored_env_mono_us();
		if (!ok) {
			deposit_refuse(r, REFUSE_UNAVAILABLE, -1,
			    "storage unavailable", "the database failed "
			    "(%s); nothing was stored, try again later", err);
			continue;
		}
		if (!db_ready()) {
			/* The writer was lost meanwhile: answered like those
			 * queued then (deposit_db_down). */
			deposit_refuse(r, REFUSE_UNAVAILABLE, -1,
			    "storage unavailable", "the database connection was "
			    "lost; nothing was stored, try again later");
			continue;
		}
		/* Found: settled, the cache owns them now, not the request. */
		for (i = 0; i < r->h.ntraces; i++)
			if ((c = r->t[i].cid) != NULL &&
			    c->state == CID_LOOKUP && c->found) {
				r->t[i].cid = NULL;
				cidcache_settle(c);
			}
		dep_eval(r);
	}
	free(l);
	deposit_wake();
	/*
	 * The next lookup goes first: with no write in front of it, it is
	 * answered at once, in time for the write after this one.
	 */
	dep_lookup_flush();
	commit_looked_up();
}

/* All Client-Ids settled: answer duplicates at once, queue the rest. */
static void
dep_ready(struct dreq *r)
{
	uint32_t	 i;

	r->nnew = 0;
	for (i = 0; i < r->h.ntraces; i++) {
		if (r->t[i].dup)
			continue;
		r->nnew++;
		if (r->t[i].cid != NULL)
			r->t[i].cid->state = CID_PENDING;
	}
	if (r->nnew == 0) {
		commit_duplicate(r);
		return;
	}
	commit_queue(r);
}

/* IMSG_DEPOSIT_OK, then forget the request. */
void
deposit_answer(struct dreq *r)
{
	struct deposit_ok	 ok;
	struct deposit_item	*items;
	struct iovec		 iov[2];
	struct cid		*c;
	uint32_t		 i;

	if ((items = calloc(r->h.ntraces, sizeof(*items))) == NULL)
		fatal(NULL);
	for (i = 0; i < r->h.ntraces; i++) {
		items[i] = r->t[i].item;
		if ((c = r->t[i].cid) != NULL) {
			/* Settled: remember the answer for a retry. */
			c->item = r->t[i].item;
			c->item.duplicate = 1;
			r->t[i].cid = NULL;
			cidcache_settle(c);
		}
	}
	memset(&ok, 0, sizeof(ok));
	ok.reqid = r->h.reqid;
	ok.nitems = r->h.ntraces;
	iov[0].iov_base = &ok;
	iov[0].iov_len = sizeof(ok);
	iov[1].iov_base = items;
	iov[1].iov_len = r->h.ntraces * sizeof(*items);
	front_send(r->front, IMSG_DEPOSIT_OK, iov, 2);
	free(items);
	dep_free(r);
}

void
deposit_refuse(struct dreq *r, enum refusal code, int index, const char *error,
    const char *fmt, ...)
{
	struct deposit_err	 e;
	struct iovec		 iov[1];
	va_list			 ap;

	memset(&e, 0, sizeof(e));
	e.reqid = r->h.reqid;
	e.code = code;
	e.index = index;
	e.retry_after = code == REFUSE_UNAVAILABLE ? DEP_RETRY_AFTER : 0;
	strlcpy(e.error, error, sizeof(e.error));
	va_start(ap, fmt);
	vsnprintf(e.detail, sizeof(e.detail), fmt, ap);
	va_end(ap);
	iov[0].iov_base = &e;
	iov[0].iov_len = sizeof(e);
	front_send(r->front, IMSG_DEPOSIT_ERR, iov, 1);
	/* frontd journals the 503s it relays; a flood is counted. */
	if (code != REFUSE_UNAVAILABLE)
		auditrate_refusal("refusal", r->h.subject,
		    refusal_status(code), AUDITRATE_CLIENT, "%s: %s",
		    refusal_status(code), e.detail);
	dep_release(r, 1);
	dep_free(r);
}

/* Give up the request's Client-Ids (refused or failed). */
static void
dep_release(struct dreq *r, int wake)
{
	uint32_t	 i;

	for (i = 0; i < r->h.ntraces; i++)
		if (r->t[i].cid != NULL) {
			cidcache_drop(r->t[i].cid);
			r->t[i].cid = NULL;
		}
	if (wake)
		deposit_wake();
}

static void
dep_free(struct dreq *r)
{
	uint32_t	 i;

	if (r->t != NULL)
		for (i = 0; i < r->h.ntraces; i++)
			free(r->t[i].p7m);
	if (r->counted)
		dep.nwaiting -= r->h.ntraces;
	if (r->buf != NULL)
		freezero(r->buf, r->buflen);
	free(r->t);
	free(r);
}

/* Held-back requests look again: an id they waited for has settled. */
void
deposit_wake(void)
{
	struct dreqs	 list;
	struct dreq	*r;

	if (TAILQ_EMPTY(&dep.blocked))
		return;
	TAILQ_INIT(&list);
	TAILQ_CONCAT(&list, &dep.blocked, entry);
	while ((r = TAILQ_FIRST(&list)) != NULL) {
		TAILQ_REMOVE(&list, r, entry);
		dep_eval(r);
	}
}

/* The database went away: everything queued is answered 503. */
void
deposit_db_down(void)
{
	struct dreq	*r;

	while ((r = TAILQ_FIRST(&dep.lookq)) != NULL) {
		TAILQ_REMOVE(&dep.lookq, r, entry);
		deposit_refuse(r, REFUSE_UNAVAILABLE, -1,
		    "storage unavailable", "the database connection was "
		    "lost; nothing was stored, try again later");
	}
	commit_db_down();
}

void
deposit_db_up(void)
{
	commit_kick();
}
