/*
 * Journaling application events: the client side every daemon uses to
 * send records to auditd over audit.sock.
 *
 * Records are queued until auditd acknowledges them (IMSG_AUDIT_ACK,
 * sent once the record is on disk), so that nothing is lost while auditd
 * restarts: the queue is resent in order on reconnect.  The queue is
 * bounded (AUDIT_QUEUE_MAX); what does not fit is dropped, counted, and
 * the count itself is journaled once auditd is back.  A record may thus
 * appear twice in the journal if auditd crashed after writing it but
 * before acknowledging it; it is never silently lost without a trace.
 *
 * A daemon that must not answer its client before the record is durable
 * uses audit_record_cb(): the callback fires with the journal sequence
 * number once auditd has synced it.
 */
#ifndef CFJL_AUDIT_H
#define CFJL_AUDIT_H

#include <sys/types.h>
#include <stdarg.h>
#include <stdint.h>

#define AUDIT_QUEUE_MAX		8192	/* records not yet acknowledged */
/*
 * The last AUDIT_QUEUE_RESERVE places are kept for records whose sender
 * waits for them (audit_record_cb()): a flood of other records dropped
 * while auditd is away cannot take the place of a deposit's record.
 */
#define AUDIT_QUEUE_RESERVE	1024

struct audit_record;

/* Called once the record is durable in the journal. */
typedef void	(*audit_done_fn)(void *arg, uint64_t seq);

/*
 * Connect to runtime_dir/audit.sock, served by auditd_uid (see
 * peer_user_uid()), and keep reconnecting.  process names the sender in
 * every record ("frontd", ...).  Needs the libevent base (event_init()).
 */
void	 audit_init(const char *runtime_dir, const char *process,
	    uid_t auditd_uid);

/*
 * auditd itself: records go to sink instead of a socket, and the journal
 * calls audit_local_ack() once each one is durable, later, from the event
 * loop (never from inside sink).
 */
void	 audit_init_local(const char *process,
	    void (*sink)(const struct audit_record *));
void	 audit_local_ack(uint64_t id, uint64_t seq);

/*
 * Journal one event.  subject: who or what it concerns (a certificate
 * subject, "uid 1001 (alice)", a lot number); outcome: "ok", "refused",
 * "error", ...; details: printf-style, may be NULL.  Over-long fields
 * are truncated.
 */
void	 audit_record(const char *event, const char *subject,
	    const char *outcome, const char *fmt, ...)
	    __attribute__((__format__(printf, 4, 5)));
void	 audit_vrecord(const char *event, const char *subject,
	    const char *outcome, const char *fmt, va_list)
	    __attribute__((__format__(printf, 4, 0)));

/*
 * The same, with done(arg, seq) called once the record is durable, from
 * the event loop (never from inside this call).
 * Returns the record's id (for audit_cancel()), or 0 if the queue is
 * full: the record is then dropped, done is never called, and the
 * caller must not act as if it were journaled.
 */
uint64_t audit_record_cb(audit_done_fn done, void *arg, const char *event,
	    const char *subject, const char *outcome, const char *fmt, ...)
	    __attribute__((__format__(printf, 6, 7)));

/* Forget the callback of a record (its owner went away); it is kept. */
void	 audit_cancel(uint64_t id);

/* Ask auditd to close the current journal file (IMSG_AUDIT_CLOSE). */
int	 audit_close_file(void);

/* For status reports; audit_initialized() says whether anything is sent. */
int	 audit_initialized(void);
int	 audit_connected(void);
/* Seconds since auditd was last reachable; 0 while it is. */
int64_t	 audit_down_secs(void);
size_t	 audit_queued(void);	/* sent or not, not yet acknowledged */
uint64_t audit_dropped(void);	/* since start */
/* The id of the newest record auditd acknowledged (acks come in order). */
uint64_t audit_acked(void);

/* Stop reconnecting and drop the link (at exit). */
void	 audit_shutdown(void);
/*
 * In a child just forked (common/proc.c): the parent's link is closed
 * without a word and its queued records are left to the parent, which
 * sends them; audit_init() may then be called again.
 */
void	 audit_forget(void);

#endif
