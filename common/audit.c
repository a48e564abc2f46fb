/*
 * The journal client: records are kept in order until auditd says they
 * are on disk, resent whenever the link comes back, and bounded so that
 * a long outage cannot eat the daemon's memory.  See audit.h.
 */
#include <sys/types.h>
#include <sys/queue.h>

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event.h>

#include "audit.h"
#include "log.h"
#include "msg.h"
#include "peer.h"
#include "proto.h"

struct audit_item {
	TAILQ_ENTRY(audit_item)	 entry;
	struct audit_record	 rec;
	audit_done_fn		 done;
	void			*arg;
};
TAILQ_HEAD(audit_queue, audit_item);

static struct {
	int			 init;
	int			 local;
	void			(*sink)(const struct audit_record *);
	struct peer		 peer;
	struct audit_queue	 queue;
	size_t			 nqueued;
	uint64_t		 nextid;
	uint64_t		 dropped;	/* since start */
	uint64_t		 acked;		/* newest id acknowledged */
	uint64_t		 unreported;	/* not yet journaled */
	time_t			 down_since;	/* monotonic; 0 while up */
	char			 process[sizeof(((struct audit_record *)0)->process)];
} audit;

static void	audit_setup(const char *);
static uint64_t	audit_enqueue(audit_done_fn, void *, const char *,
		    const char *, const char *, const char *, va_list)
		    __attribute__((__format__(printf, 6, 0)));
static struct audit_item *audit_item_new(const char *, const char *,
		    const char *);
static void	audit_send(struct audit_item *);
static void	audit_ack(uint64_t, uint64_t);
static int	audit_on_ack(struct msg *, void *);

/* What auditd sends back: one ack per durable record. */
static const struct msg_entry audit_msgs[] = {
	{ IMSG_AUDIT_ACK, MSG_AUDITD, MSG_FD_NONE, audit_on_ack },
};
static const struct msg_table audit_table = MSG_TABLE(SOCK_AUDIT,
    audit_msgs);
static void	audit_on_up(struct peer *);
static void	audit_on_down(struct peer *);
static void	audit_report_drops(void);
static time_t	audit_mono(void);

static void
audit_setup(const char *process)
{
	if (audit.init)
		fatalx("%s: already initialised", __func__);
	memset(&audit, 0, sizeof(audit));
	TAILQ_INIT(&audit.queue);
	audit.nextid = 1;
	strlcpy(audit.process, process, sizeof(audit.process));
	audit.init = 1;
}

void
audit_init(const char *runtime_dir, const char *process, uid_t auditd_uid)
{
	struct peer_cb	 cb;

	audit_setup(process);
	audit.down_since = audit_mono();
	memset(&cb, 0, sizeof(cb));
	cb.table = &audit_table;
	cb.on_up = audit_on_up;
	cb.on_down = audit_on_down;
	peer_connect(&audit.peer, runtime_dir, SOCK_AUDIT, auditd_uid,
	    process, &cb);
}

void
audit_init_local(const char *process,
    void (*sink)(const struct audit_record *))
{
	audit_setup(process);
	audit.local = 1;
	audit.sink = sink;
}

void
audit_record(const char *event, const char *subject, const char *outcome,
    const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	(void)audit_enqueue(NULL, NULL, event, subject, outcome, fmt, ap);
	va_end(ap);
}

void
audit_vrecord(const char *event, const char *subject, const char *outcome,
    const char *fmt, va_list ap)
{
	(void)audit_enqueue(NULL, NULL, event, subject, outcome, fmt, ap);
}

uint64_t
audit_record_cb(audit_done_fn done, void *arg, const char *event,
    const char *subject, const char *outcome, const char *fmt, ...)
{
	va_list		 ap;
	uint64_t	 id;

	va_start(ap, fmt);
	id = audit_enqueue(done, arg, event, subject, outcome, fmt, ap);
	va_end(ap);
	return id;
}

static struct audit_item *
audit_item_new(const char *event, const char *subject, const char *outcome)
{
	struct audit_item	*it;
	struct timespec		 ts;

	if ((it = calloc(1, sizeof(*it))) == NULL)
		return NULL;
	clock_gettime(CLOCK_REALTIME, &ts);
	it->rec.id = audit.nextid++;
	it->rec.time_ms = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
	strlcpy(it->rec.process, audit.process, sizeof(it->rec.process));
	strlcpy(it->rec.event, event != NULL ? event : "",
	    sizeof(it->rec.event));
	strlcpy(it->rec.subject, subject != NULL ? subject : "",
	    sizeof(it->rec.subject));
	strlcpy(it->rec.outcome, outcome != NULL ? outcome : "",
	    sizeof(it->rec.outcome));
	return it;
}

static uint64_t
audit_enqueue(audit_done_fn done, void *arg, const char *event,
    const char *subject, const char *outcome, const char *fmt, va_list ap)
{
	struct audit_item	*it;

	if (!audit.init) {
		log_debug("%s: journal not set up, %s not recorded", __func__,
		    event);
		return 0;
	}
	if (audit.nqueued >= AUDIT_QUEUE_MAX - (done == NULL ?
	    AUDIT_QUEUE_RESERVE : 0) ||
	    (it = audit_item_new(event, subject, outcome)) == NULL) {
		if (audit.unreported++ == 0)
			log_warnx("journal unreachable and %zu records queued: "
			    "dropping records until it is back", audit.nqueued);
		audit.dropped++;
		return 0;
	}
	if (fmt != NULL)
		(void)vsnprintf(it->rec.details, sizeof(it->rec.details), fmt,
		    ap);
	it->done = done;
	it->arg = arg;
	TAILQ_INSERT_TAIL(&audit.queue, it, entry);
	audit.nqueued++;
	log_debug("journal: %s %s %s %s", it->rec.event, it->rec.subject,
	    it->rec.outcome, it->rec.details);
	audit_send(it);
	return it->rec.id;
}

/* Send now if we can; otherwise on_up sends the whole queue. */
static void
audit_send(struct audit_item *it)
{
	if (audit.local) {
		audit.sink(&it->rec);
		return;
	}
	if (audit.peer.state != PEER_UP)
		return;
	if (peer_compose(&audit.peer, IMSG_AUDIT, &it->rec,
	    sizeof(it->rec)) == -1)
		log_warn("%s: journal record %llu", __func__,
		    (unsigned long long)it->rec.id);
}

void
audit_cancel(uint64_t id)
{
	struct audit_item	*it;

	TAILQ_FOREACH(it, &audit.queue, entry) {
		if (it->rec.id == id) {
			it->done = NULL;
			it->arg = NULL;
			return;
		}
	}
}

void
audit_local_ack(uint64_t id, uint64_t seq)
{
	audit_ack(id, seq);
}

/* Acks come in order, so the record is nearly always the first. */
static void
audit_ack(uint64_t id, uint64_t seq)
{
	struct audit_item	*it;

	TAILQ_FOREACH(it, &audit.queue, entry)
		if (it->rec.id == id)
			break;
	if (it == NULL) {
		log_debug("%s: ack for unknown record %llu", __func__,
		    (unsigned long long)id);
		return;
	}
	TAILQ_REMOVE(&audit.queue, it, entry);
	audit.nqueued--;
	if (id > audit.acked)
		audit.acked = id;
	if (it->done != NULL)
		it->done(it->arg, seq);
	free(it);
}

static int
audit_on_ack(struct msg *m, void *arg)
{
	struct audit_ack	 ack;

	if (m_get_struct(m, proto_audit_ack, &ack) == -1 || m_end(m) == -1)
		return -1;
	audit_ack(ack.id, ack.seq);
	return 0;
}

/* Whatever auditd has not acknowledged is sent again, in order. */
static void
audit_on_up(struct peer *p)
{
	struct audit_item	*it;

	audit.down_since = 0;
	audit_report_drops();
	TAILQ_FOREACH(it, &audit.queue, entry)
		if (peer_compose(p, IMSG_AUDIT, &it->rec,
		    sizeof(it->rec)) == -1) {
			log_warn("%s: resending journal records", __func__);
			break;
		}
	if (audit.nqueued > 0)
		log_info("journal reachable: %zu queued records sent",
		    audit.nqueued);
}

static void
audit_on_down(struct peer *p)
{
	audit.down_since = audit_mono();
	log_warnx("journal unreachable: records are queued (at most %d)",
	    AUDIT_QUEUE_MAX);
}

/* The journal itself says how many records it never received. */
static void
audit_report_drops(void)
{
	struct audit_item	*it;

	if (audit.unreported == 0)
		return;
	if ((it = audit_item_new("journal-dropped", audit.process,
	    "error")) == NULL)
		return;
	snprintf(it->rec.details, sizeof(it->rec.details),
	    "%llu records dropped while the journal was unreachable "
	    "(%llu since start)", (unsigned long long)audit.unreported,
	    (unsigned long long)audit.dropped);
	log_warnx("%s", it->rec.details);
	audit.unreported = 0;
	/* Beyond the bound by one: this record must not be dropped. */
	TAILQ_INSERT_TAIL(&audit.queue, it, entry);
	audit.nqueued++;
}

int
audit_close_file(void)
{
	if (!audit.init || audit.local) {
		errno = EINVAL;
		return -1;
	}
	return peer_compose(&audit.peer, IMSG_AUDIT_CLOSE, NULL, 0);
}

static time_t
audit_mono(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	/* Never 0, which means "up". */
	return ts.tv_sec + 1;
}

int64_t
audit_down_secs(void)
{
	if (!audit.init || audit.local || audit.peer.state == PEER_UP ||
	    audit.down_since == 0)
		return 0;
	return (int64_t)(audit_mono() - audit.down_since);
}

int
audit_initialized(void)
{
	return audit.init;
}

int
audit_connected(void)
{
	return audit.init && (audit.local || audit.peer.state == PEER_UP);
}

size_t
audit_queued(void)
{
	return audit.nqueued;
}

uint64_t
audit_dropped(void)
{
	return audit.dropped;
}

uint64_t
audit_acked(void)
{
	return audit.acked;
}

void
audit_shutdown(void)
{
	if (audit.init && !audit.local)
		peer_close(&audit.peer);
}

void
audit_forget(void)
{
	struct audit_item	*it;

	if (!audit.init)
		return;
	if (!audit.local) {
		audit.peer.cb.on_down = NULL;
		peer_close(&audit.peer);
	}
	while ((it = TAILQ_FIRST(&audit.queue)) != NULL) {
		TAILQ_REMOVE(&audit.queue, it, entry);
		free(it);
	}
	audit.nqueued = 0;
	audit.init = 0;
}
