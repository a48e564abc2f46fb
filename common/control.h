/*
 * A daemon's control socket, <runtime>/<name>.ctl, where cfjlctl sends
 * administration commands (IMSG_CTL_REQUEST, answered by one
 * IMSG_CTL_REPLY).
 *
 * The socket file is mode 0666: who may do what is decided by the
 * caller's credentials (SO_PEERCRED, and the caller's groups from
 * SO_PEERGROUPS):
 *
 *	root			every command
 *	technical group		status, journal-*, lot-seal-now, reload, stop
 *	functional group	role-add, role-remove, role-list
 *	the daemon's own uid	every command, only when the daemon was
 *				started as an ordinary user (development,
 *				tests): it is then the administrator
 *
 * The groups are not enough to change anything: a state-changing command
 * (journal-close, lot-seal-now, reload, stop: technical; role-add,
 * role-remove: functional) must also carry the signature of an
 * administrator of its kind (ctlsig.h, checked by ctlauth.h), whoever
 * the caller is, root included.  status and the lists need the group
 * alone.
 *
 * Every request, allowed or refused, is journaled (audit_record) with
 * the caller's uid, and the signer's subject and certificate
 * fingerprint when signed, before anything is done; an allowed request reaches
 * the daemon's handler once that record is durable (or after
 * CTL_AUDIT_WAIT seconds if the journal is unreachable, so that stop
 * still works).  A request carrying another protocol version is refused
 * with a message saying both versions.  At most CTL_CONN_PER_UID
 * connections per uid and CTL_CONN_MAX in all.
 *
 * Replies: a successful reply to a request with json set is one JSON
 * object; anything else is text for a person.  A refusal or failure
 * (ok 0) is always a sentence in plain text.
 */
#ifndef CFJL_CONTROL_H
#define CFJL_CONTROL_H

#include <sys/types.h>

#include "config.h"
#include "proto.h"

struct cfjl_control_conf;

/* ctl_request.command */
#define CTL_STATUS		"status"
#define CTL_ROLE_ADD		"role-add"	/* arg1 role, arg2 subject */
#define CTL_ROLE_REMOVE		"role-remove"	/* arg1 subject */
#define CTL_ROLE_LIST		"role-list"
#define CTL_JOURNAL_CLOSE	"journal-close"
#define CTL_JOURNAL_LIST	"journal-list"
#define CTL_JOURNAL_VERIFY	"journal-verify"
#define CTL_LOT_SEAL_NOW	"lot-seal-now"
#define CTL_RELOAD		"reload"
#define CTL_STOP		"stop"

#define CTL_CONN_MAX		16
#define CTL_CONN_PER_UID	4
#define CTL_IDLE_TIMEOUT	30	/* seconds without a request */
#define CTL_AUDIT_WAIT		3	/* seconds */
/* The largest reply text; longer ones are cut. */
#define CTL_REPLY_MAX		(CFJL_MSG_MAX - 1024)

struct ctl_conn;

/*
 * The daemon's handler: called once per allowed request.  It must call
 * control_reply() exactly once for the request, at once or later (the
 * connection stays valid until then even if the caller went away).
 */
typedef void	(*control_handler)(const struct ctl_request *,
		    struct ctl_conn *);

/*
 * Listen on runtime_dir/<name>.ctl.  Call it before sandbox_enter(): it
 * looks up the groups and the names of their members.  Fatal on error.
 */
void	control_init(const char *runtime_dir, const char *name,
	    const struct cfjl_control_conf *, control_handler);
/* Stop listening and drop every connection (requests in progress too). */
void	control_close(void);

/* Answer the request; text may be NULL. */
void	control_reply(struct ctl_conn *, int ok, const char *text);
void	control_replyf(struct ctl_conn *, int ok, const char *fmt, ...)
	    __attribute__((__format__(printf, 3, 4)));
void	control_reply_buf(struct ctl_conn *, int ok, const char *text,
	    size_t len);

/* Who asked: uid and "uid 1001 (alice)" for messages and the journal. */
uid_t	 control_conn_uid(const struct ctl_conn *);
const char *control_conn_who(const struct ctl_conn *);
/* "signed by SUBJECT (certificate sha256 HEX)", or "" when unsigned. */
#define CTL_SIGNER_MAX	(CFJL_SUBJECT_MAX + CFJL_FP_HEX + 64)
const char *control_conn_signer(const struct ctl_conn *);

/* Append to a growing text buffer (for replies built in pieces). */
struct ctl_text {
	char	*buf;
	size_t	 len;
	size_t	 size;
	int	 error;	/* out of memory or over CTL_REPLY_MAX */
};
void	control_text_printf(struct ctl_text *, const char *, ...)
	    __attribute__((__format__(printf, 2, 3)));
/* Append s as a JSON string, quotes included. */
void	control_text_json(struct ctl_text *, const char *s);
void	control_text_free(struct ctl_text *);

#endif
