/*
 * The load generator's crash mode (-A): the vault's processes are killed
 * and restarted under it, so a request may get no answer, or 503.  A
 * request that carried a Client-Id is sent again, body and Client-Id
 * unchanged, until it is answered, as a capture agent does; one without
 * is given up (it was never acknowledged, whether or not it was
 * stored).  Every acknowledged trace is written to the acknowledgement
 * file as soon as its answer is read, for the crash campaign to find in
 * the vault:
 *
 *	IDEvt digest Client-Id how
 *
 * Client-Id is "-" when there was none (a batch's trace i has the
 * batch's Client-Id and ".i", the Client-Id the vault keeps for it);
 * how is "new" (answered the first time), "resent" (answered CFJL_OK
 * after a send that got no answer) or "dup" (answered
 * CFJL_DUPLICATE_EVENT: the lost send had been stored).  Every n-th
 * request answered is asked again with its Client-Id (-E n): the answer
 * must be CFJL_DUPLICATE_EVENT with the same IDEvt and digests.
 */
#include <sys/types.h>
#include <sys/queue.h>

#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "loadgen.h"
#include "log.h"
#include "refusal.h"

#define RESEND_PAUSE_NS	(100ULL * 1000000ULL)	/* before a resend */

int			 lg_resend;

static FILE		*resend_fp;
static struct lg_reqq	 resend_q;	/* by due time: the pause is fixed */
static size_t		 resend_n;
static unsigned int	 resend_echo_every;
static uint64_t		 resend_answered;

static void	 resend_want(struct lg_req *, const uint64_t *,
		    const char **, size_t);
static void	 resend_echoed(struct lg_req *, const uint64_t *,
		    const char **, size_t, int);

void
resend_init(const char *path, unsigned int echo_every)
{
	if ((resend_fp = fopen(path, "a")) == NULL)
		fatal("%s", path);
	TAILQ_INIT(&resend_q);
	resend_echo_every = echo_every;
	lg_resend = 1;
}

void
resend_close(void)
{
	struct lg_req	*r;

	while ((r = TAILQ_FIRST(&resend_q)) != NULL) {
		TAILQ_REMOVE(&resend_q, r, entry);
		if (!r->echo)
			lg_stats.dropped += r->ntraces;
		lg_req_free(r);
	}
	resend_n = 0;
	if (resend_fp != NULL && fclose(resend_fp) == EOF)
		fatal("acknowledgement file");
	resend_fp = NULL;
}

int
resend_keep(struct lg_req *r, uint64_t now)
{
	if (!lg_resend || r->kind != LG_REQ_DEPOSIT)
		return 0;
	if (r->cid == 0) {
		lg_stats.dropped += r->ntraces;
		return 0;
	}
	r->tries++;
	r->due_ns = now + RESEND_PAUSE_NS;
	TAILQ_INSERT_TAIL(&resend_q, r, entry);
	resend_n++;
	return 1;
}

struct lg_req *
resend_due(uint64_t now)
{
	struct lg_req	*r;

	if ((r = TAILQ_FIRST(&resend_q)) == NULL || r->due_ns > now)
		return NULL;
	TAILQ_REMOVE(&resend_q, r, entry);
	resend_n--;
	lg_stats.resent++;
	return r;
}

size_t
resend_waiting(void)
{
	return resend_n;
}

/* Remember what r was given, to ask again. */
static void
resend_want(struct lg_req *r, const uint64_t *ids, const char **dig,
    size_t n)
{
	size_t	 i;

	if (r->wantcap < n) {
		free(r->want);
		free(r->wantdig);
		if ((r->want = reallocarray(NULL, n, sizeof(*r->want))) ==
		    NULL || (r->wantdig = reallocarray(NULL, n,
		    sizeof(*r->wantdig))) == NULL)
			fatal("%s", __func__);
		r->wantcap = n;
	}
	for (i = 0; i < n; i++) {
		r->want[i] = ids[i];
		memcpy(r->wantdig[i], dig[i], 64);
		r->wantdig[i][64] = '\0';
	}
}

/* An answered request asked again: the same answer, as a duplicate. */
static void
resend_echoed(struct lg_req *r, const uint64_t *ids, const char **dig,
    size_t n, int dup)
{
	char	 cid[160];
	size_t	 i;

	lg_stats.echoes++;
	client_cid(r, cid, sizeof(cid));
	if (!dup)
		check_error("Client-Id %s asked again: not answered "
		    ANSWER_DUPLICATE, cid);
	for (i = 0; i < n; i++)
		if (ids[i] != r->want[i] ||
		    strncasecmp(dig[i], r->wantdig[i], 64) != 0)
			check_error("Client-Id %s asked again: trace %zu got "
			    "IDEvt %" PRIu64 " digest %.64s, first IDEvt %"
			    PRIu64 " digest %s", cid, i, ids[i], dig[i],
			    r->want[i], r->wantdig[i]);
}

int
resend_acked(struct lg_req *r, const uint64_t *ids, const char **dig,
    size_t n, int dup)
{
	char	 cid[160];
	size_t	 i;

	if (r->echo) {
		resend_echoed(r, ids, dig, n, dup);
		return 0;
	}
	if (r->tries > 0) {
		lg_stats.acked_resent += n;
		if (dup)
			lg_stats.dup_answers += n;
	} else if (dup) {
		client_cid(r, cid, sizeof(cid));
		check_error("Client-Id %s sent once, answered as a duplicate",
		    r->cid ? cid : "-");
	}
	if (r->cid != 0)
		client_cid(r, cid, sizeof(cid));
	else
		strlcpy(cid, "-", sizeof(cid));
	for (i = 0; i < n; i++) {
		if (r->batch && r->cid != 0)
			fprintf(resend_fp, "%" PRIu64 " %.64s %s.%zu %s\n",
			    ids[i], dig[i], cid, i, r->tries == 0 ? "new" :
			    dup ? "dup" : "resent");
		else
			fprintf(resend_fp, "%" PRIu64 " %.64s %s %s\n",
			    ids[i], dig[i], cid, r->tries == 0 ? "new" :
			    dup ? "dup" : "resent");
	}
	if (fflush(resend_fp) == EOF)
		fatal("acknowledgement file");
	if (r->cid == 0 || resend_echo_every == 0 ||
	    ++resend_answered % resend_echo_every != 0)
		return 0;
	/* Ask again at once, as an agent that never saw this answer. */
	resend_want(r, ids, dig, n);
	r->echo = 1;
	r->tries = 0;
	r->due_ns = 0;
	TAILQ_INSERT_HEAD(&resend_q, r, entry);
	resend_n++;
	return 1;
}
