/*
 * Lots are checked on a second thread while the archive goes on being
 * read (and its events hashed and decrypted) on the first: a lot's
 * document, its parse and its seal need nothing from the events, and the
 * checks across lots and events run once both are done (chain.c).
 *
 * The thread works on its own copy of each lot's summary (the bundle's
 * array may move while it grows) and writes it back at the end, in
 * lotq_finish().  At most LOTQ_WAITING documents wait, so that memory
 * stays bounded whatever the bundle.  If no thread can be made, lots are
 * checked at once, on the reading thread.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "verify.h"

#define LOTQ_WAITING	4

struct lotq_item {
	struct lotq_item *next;
	size_t		 idx;		/* into b->lots */
	struct vlot	*lot;		/* the thread's copy */
	char		*buf;		/* the document, freed once checked */
	size_t		 len;
};

struct lotq {
	struct vctx	*ctx;
	struct bundle	*b;
	pthread_t	 thread;
	pthread_mutex_t	 lock;
	pthread_cond_t	 cv;
	struct lotq_item *head, **tail;	/* to check, in archive order */
	struct lotq_item *done;		/* checked */
	size_t		 waiting;
	int		 closing;
};

static void	*lotq_main(void *);

static void *
lotq_main(void *arg)
{
	struct lotq	 *q = arg;
	struct lotq_item *it;

	pthread_mutex_lock(&q->lock);
	for (;;) {
		while (q->head == NULL && !q->closing)
			pthread_cond_wait(&q->cv, &q->lock);
		if ((it = q->head) == NULL)
			break;
		pthread_mutex_unlock(&q->lock);
		lot_check(q->ctx, q->b, it->lot, it->buf, it->len);
		free(it->buf);
		it->buf = NULL;
		pthread_mutex_lock(&q->lock);
		if ((q->head = it->next) == NULL)
			q->tail = &q->head;
		it->next = q->done;
		q->done = it;
		q->waiting--;
		pthread_cond_broadcast(&q->cv);
	}
	pthread_mutex_unlock(&q->lock);
	return (NULL);
}

/* NULL: no thread, the caller checks each lot itself. */
struct lotq *
lotq_start(struct vctx *ctx, struct bundle *b)
{
	struct lotq	*q;

	q = xcalloc(1, sizeof(*q));
	q->ctx = ctx;
	q->b = b;
	q->tail = &q->head;
	if (pthread_mutex_init(&q->lock, NULL) != 0) {
		free(q);
		return (NULL);
	}
	if (pthread_cond_init(&q->cv, NULL) != 0) {
		pthread_mutex_destroy(&q->lock);
		free(q);
		return (NULL);
	}
	if (pthread_create(&q->thread, NULL, lotq_main, q) != 0) {
		pthread_cond_destroy(&q->cv);
		pthread_mutex_destroy(&q->lock);
		free(q);
		return (NULL);
	}
	return (q);
}

/* Hand over b->lots[idx] and its document (buf is the queue's now). */
void
lotq_push(struct lotq *q, size_t idx, char *buf, size_t len)
{
	struct lotq_item *it;

	it = xcalloc(1, sizeof(*it));
	it->idx = idx;
	it->lot = xcalloc(1, sizeof(*it->lot));
	*it->lot = q->b->lots[idx];
	it->buf = buf;
	it->len = len;
	pthread_mutex_lock(&q->lock);
	while (q->waiting >= LOTQ_WAITING)
		pthread_cond_wait(&q->cv, &q->lock);
	*q->tail = it;
	q->tail = &it->next;
	q->waiting++;
	pthread_cond_broadcast(&q->cv);
	pthread_mutex_unlock(&q->lock);
}

/* Wait for every lot, end the thread, write the summaries back. */
void
lotq_finish(struct lotq *q)
{
	struct lotq_item *it, *next;
	struct vlot	*lot;
	int		 dup;

	if (q == NULL)
		return;
	pthread_mutex_lock(&q->lock);
	q->closing = 1;
	pthread_cond_broadcast(&q->cv);
	pthread_mutex_unlock(&q->lock);
	pthread_join(q->thread, NULL);
	for (it = q->done; it != NULL; it = next) {
		next = it->next;
		lot = &q->b->lots[it->idx];
		dup = lot->dup;		/* seen again while it was checked */
		*lot = *it->lot;
		lot->dup = dup;
		free(it->lot);
		free(it);
	}
	pthread_cond_destroy(&q->cv);
	pthread_mutex_destroy(&q->lock);
	free(q);
}
