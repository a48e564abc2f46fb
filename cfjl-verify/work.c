/*
 * The checks of a bundle's entries, spread over threads while the
 * archive goes on being read: each lot document (parse, seal,
 * time-stamp) is one job; event files go in batches (SHA-256, and with
 * -k decryption, parse and schema).  Lots and events need nothing from
 * each other until chain.c runs, once every job is done.
 *
 * Jobs work on their own copies of the summaries (the bundle's arrays
 * grow while the archive is read) and are written back in work_finish().
 * At most WORK_QUEUE_BYTES of entries wait (or one entry, however big),
 * so memory stays bounded whatever the bundle; what libxml2 and xmlsec
 * may take for the documents being parsed at once is held to
 * V_PARSE_BUDGET (work_budget_take()), whatever the number of threads.
 * With no thread, each job runs at once on the reading thread.
 */
#include <err.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "verify.h"

#define WORK_THREADS_MAX	4
#define WORK_QUEUE_BYTES	(16 * 1024 * 1024)
#define WORK_BATCH_EVENTS	256
#define WORK_BATCH_BYTES	(1024 * 1024)
#define WORK_TRIM_COST		(8 * 1024 * 1024)

struct job {
	struct job	*next;
	int		 lot;		/* else a batch of events */
	size_t		 bytes;		/* counted against the queue */
	/* a lot */
	size_t		 cost;		/* taken from the parsing budget */
	size_t		 idx;		/* into b->lots */
	struct vlot	*vl;		/* the job's copy */
	char		*doc;
	size_t		 len;
	/* events */
	struct vevent	*evs;
	size_t		 nev, evcap;
	uint8_t		*data;		/* the files, one after another */
	size_t		 dlen, dcap;
	size_t		*off;
};

struct work {
	struct vctx	*ctx;
	struct bundle	*b;
	pthread_mutex_t	 lock;
	pthread_cond_t	 cv;
	struct job	*head, **tail;	/* to do, in archive order */
	struct job	*done;
	size_t		 queued;	/* bytes waiting */
	int		 running;	/* jobs being run */
	int		 closing;
	int		 nthreads;
	pthread_t	 threads[WORK_THREADS_MAX];
	struct vwork	*tools[WORK_THREADS_MAX];
	struct vwork	*own;		/* the reading thread's, if no thread */
	struct job	*batch;		/* events being gathered */
};

struct wthread {
	struct work	*w;
	struct vwork	*tools;
};

static pthread_mutex_t	 budget_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t	 budget_cv = PTHREAD_COND_INITIALIZER;
static size_t		 budget_left = V_PARSE_BUDGET;

static void	 job_run(struct work *, struct vwork *, struct job *);
static void	 job_free(struct job *);
static void	*work_main(void *);
static void	 work_submit(struct work *, struct job *);
static void	 work_collect(struct work *);

static void
job_run(struct work *w, struct vwork *tools, struct job *j)
{
	size_t	 i;

	if (j->lot) {
		lotcheck_run(w->ctx, w->b, j->vl, j->doc, j->len);
		free(j->doc);
		j->doc = NULL;
		work_trim(j->cost);
		work_budget_give(j->cost);
		j->cost = 0;
		return;
	}
	for (i = 0; i < j->nev; i++)
		event_check(w->ctx, tools, &j->evs[i], j->data + j->off[i],
		    j->evs[i].size);
	free(j->data);
	j->data = NULL;
	free(j->off);
	j->off = NULL;
}

static void
job_free(struct job *j)
{
	free(j->vl);
	free(j->doc);
	free(j->evs);
	free(j->data);
	free(j->off);
	free(j);
}

static void *
work_main(void *arg)
{
	struct wthread	*t = arg;
	struct work	*w = t->w;
	struct vwork	*tools = t->tools;
	struct job	*j;

	free(t);
	pthread_mutex_lock(&w->lock);
	for (;;) {
		while (w->head == NULL && !w->closing)
			pthread_cond_wait(&w->cv, &w->lock);
		if ((j = w->head) == NULL)
			break;
		if ((w->head = j->next) == NULL)
			w->tail = &w->head;
		w->running++;
		pthread_mutex_unlock(&w->lock);
		job_run(w, tools, j);
		pthread_mutex_lock(&w->lock);
		w->running--;
		w->queued -= j->bytes;
		j->next = w->done;
		w->done = j;
		pthread_cond_broadcast(&w->cv);
	}
	pthread_mutex_unlock(&w->lock);
	return (NULL);
}

/* Threads for the checks: as many as there are processors, up to 4. */
struct work *
work_start(struct vctx *ctx, struct bundle *b)
{
	struct work	*w;
	struct wthread	*t;
	long		 ncpu;
	int		 i, want;

	w = xcalloc(1, sizeof(*w));
	w->ctx = ctx;
	w->b = b;
	w->tail = &w->head;
	if (pthread_mutex_init(&w->lock, NULL) != 0 ||
	    pthread_cond_init(&w->cv, NULL) != 0)
		errx(2, "cannot set up the checking threads");
	ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	want = ncpu < 1 ? 1 : ncpu > WORK_THREADS_MAX ? WORK_THREADS_MAX :
	    (int)ncpu;
	for (i = 0; i < want; i++) {
		if ((w->tools[i] = event_work_new(ctx)) == NULL)
			errx(2, "out of memory");
		t = xcalloc(1, sizeof(*t));
		t->w = w;
		t->tools = w->tools[i];
		if (pthread_create(&w->threads[i], NULL, work_main, t) != 0) {
			free(t);
			event_work_free(w->tools[i]);
			w->tools[i] = NULL;
			break;
		}
		w->nthreads++;
	}
	if (w->nthreads == 0 && (w->own = event_work_new(ctx)) == NULL)
		errx(2, "out of memory");
	return (w);
}

static void
work_submit(struct work *w, struct job *j)
{
	if (w->nthreads == 0) {
		job_run(w, w->own, j);
		j->next = w->done;
		w->done = j;
		return;
	}
	pthread_mutex_lock(&w->lock);
	while (w->head != NULL && w->queued + j->bytes > WORK_QUEUE_BYTES)
		pthread_cond_wait(&w->cv, &w->lock);
	*w->tail = j;
	w->tail = &j->next;
	w->queued += j->bytes;
	pthread_cond_broadcast(&w->cv);
	pthread_mutex_unlock(&w->lock);
}

/*
 * After a large document: what libxml2 freed goes back to the system.
 * Each thread has its own malloc arena, and memory freed in one is not
 * reused by another: without this, every thread would keep the peak of
 * the largest document it parsed, and the budget would not hold.
 */
void
work_trim(size_t cost)
{
#ifdef __GLIBC__
	if (cost >= WORK_TRIM_COST)
		malloc_trim(0);
#endif
}

/*
 * Take n bytes of the parsing budget (at most all of it), waiting for
 * the threads to give some back; returns what was taken.
 */
size_t
work_budget_take(size_t n)
{
	if (n > V_PARSE_BUDGET)
		n = V_PARSE_BUDGET;
	pthread_mutex_lock(&budget_lock);
	while (budget_left < n)
		pthread_cond_wait(&budget_cv, &budget_lock);
	budget_left -= n;
	pthread_mutex_unlock(&budget_lock);
	return (n);
}

void
work_budget_give(size_t n)
{
	if (n == 0)
		return;
	pthread_mutex_lock(&budget_lock);
	budget_left += n;
	pthread_cond_broadcast(&budget_cv);
	pthread_mutex_unlock(&budget_lock);
}

/*
 * Check b->lots[idx] with its document (doc is the job's now, and so
 * is cost, taken from the budget and given back once it is checked).
 */
void
work_lot(struct work *w, size_t idx, char *doc, size_t len, size_t cost)
{
	struct job	*j;

	j = xcalloc(1, sizeof(*j));
	j->lot = 1;
	j->idx = idx;
	j->vl = xcalloc(1, sizeof(*j->vl));
	*j->vl = w->b->lots[idx];
	j->doc = doc;
	j->len = len;
	j->cost = cost;
	j->bytes = len;
	work_collect(w);	/* done jobs are not kept: one per lot */
	work_submit(w, j);
}

/* One event file, copied into the batch being gathered. */
void
work_event(struct work *w, uint64_t idevt, const uint8_t *data, size_t len)
{
	struct job	*j;
	struct vevent	*ev;

	if ((j = w->batch) == NULL) {
		j = w->batch = xcalloc(1, sizeof(*j));
		j->evcap = WORK_BATCH_EVENTS;
		j->evs = xcalloc(j->evcap, sizeof(*j->evs));
		j->off = xcalloc(j->evcap, sizeof(*j->off));
	}
	if (j->dlen + len > j->dcap) {
		j->dcap = j->dcap ? j->dcap : WORK_BATCH_BYTES;
		while (j->dcap < j->dlen + len)
			j->dcap *= 2;
		j->data = xreallocarray(j->data, 1, j->dcap);
	}
	memcpy(j->data + j->dlen, data, len);
	j->off[j->nev] = j->dlen;
	j->dlen += len;
	ev = &j->evs[j->nev++];
	memset(ev, 0, sizeof(*ev));
	ev->idevt = idevt;
	ev->size = len;
	ev->count = 1;
	if (j->nev == j->evcap || j->dlen >= WORK_BATCH_BYTES) {
		j->bytes = j->dlen;
		w->batch = NULL;
		work_submit(w, j);
	}
}

/* Wait for every job, end the threads, write the results back. */
void
work_finish(struct work *w)
{
	struct job	*j;
	int		 i;

	if (w->batch != NULL) {
		w->batch->bytes = w->batch->dlen;
		j = w->batch;
		w->batch = NULL;
		work_submit(w, j);
	}
	pthread_mutex_lock(&w->lock);
	w->closing = 1;
	pthread_cond_broadcast(&w->cv);
	pthread_mutex_unlock(&w->lock);
	for (i = 0; i < w->nthreads; i++) {
		pthread_join(w->threads[i], NULL);
		event_work_free(w->tools[i]);
	}
	event_work_free(w->own);
	work_collect(w);
	pthread_cond_destroy(&w->cv);
	pthread_mutex_destroy(&w->lock);
	free(w);
}

/*
 * Wait for the jobs submitted so far and write their results back: the
 * lots read until now are summaries again (the events need them).
 */
void
work_sync(struct work *w)
{
	pthread_mutex_lock(&w->lock);
	while (w->head != NULL || w->running > 0)
		pthread_cond_wait(&w->cv, &w->lock);
	pthread_mutex_unlock(&w->lock);
	work_collect(w);
}

static void
work_collect(struct work *w)
{
	struct bundle	*b = w->b;
	struct job	*j, *next;
	struct vlot	*lot;
	int		 dup;

	pthread_mutex_lock(&w->lock);
	j = w->done;
	w->done = NULL;
	pthread_mutex_unlock(&w->lock);
	for (; j != NULL; j = next) {
		next = j->next;
		if (j->lot) {
			lot = &b->lots[j->idx];
			dup = lot->dup;	/* seen again while it was checked */
			*lot = *j->vl;
			lot->dup = dup;
		} else {
			while (b->nevents + j->nev > b->evalloc) {
				b->evalloc = b->evalloc ? b->evalloc * 2 : 256;
				b->events = xreallocarray(b->events,
				    b->evalloc, sizeof(*b->events));
			}
			memcpy(b->events + b->nevents, j->evs,
			    j->nev * sizeof(*j->evs));
			b->nevents += j->nev;
		}
		job_free(j);
	}
}
