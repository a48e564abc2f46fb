/*
 * auditd's answers on auditd.ctl: status, journal close|list|verify,
 * reload and stop.  Who may ask was settled by common/control.c.
 */
#include <sys/types.h>

#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <event.h>

#include "audit.h"
#include "auditd.h"
#include "control.h"
#include "proto.h"

static void	ctl_status(const struct ctl_request *, struct ctl_conn *);
static void	ctl_text_reply(struct ctl_conn *, int, struct ctl_text *);
static void	ctl_stop_cb(int, short, void *);

static void
ctl_text_reply(struct ctl_conn *c, int ok, struct ctl_text *t)
{
	if (t->error)
		control_reply(c, 0, "the answer is too long or memory ran out");
	else
		control_reply_buf(c, ok, t->buf, t->len);
	ctl_text_free(t);
}

static void
ctl_status(const struct ctl_request *req, struct ctl_conn *c)
{
	struct ctl_text	 t = { 0 };
	long long	 up = (long long)(time(NULL) - auditd_started);

	if (req->json) {
		ctl_text_printf(&t, "{\"daemon\":\"auditd\",\"version\":\"%s\","
		    "\"uptime\":%lld,", CFJL_VERSION, up);
		journal_status(&t, 1);
		ctl_text_printf(&t, "}");
	} else {
		ctl_text_printf(&t, "auditd %s, up %lld seconds\n",
		    CFJL_VERSION, up);
		journal_status(&t, 0);
	}
	ctl_text_reply(c, 1, &t);
}

void
auditd_ctl(const struct ctl_request *req, struct ctl_conn *c)
{
	struct ctl_text	 t = { 0 };
	struct timeval	 tv = { 0, 100000 };
	uint32_t	 old;
	int		 ok;

	if (strcmp(req->command, CTL_STATUS) == 0) {
		ctl_status(req, c);
	} else if (strcmp(req->command, CTL_JOURNAL_CLOSE) == 0) {
		old = journal_current();
		journal_close_now("request");
		if (req->json)
			control_replyf(c, 1, "{\"closed\":\"%08u.log\","
			    "\"current\":\"%08u.log\"}", old,
			    journal_current());
		else
			control_replyf(c, 1, "closed %08u.log, now writing "
			    "%08u.log; its seal is asked for\n", old,
			    journal_current());
	} else if (strcmp(req->command, CTL_JOURNAL_LIST) == 0) {
		journal_commit();
		ok = verify_list(journal_dirfd(), &t, req->json) == 0;
		ctl_text_reply(c, ok, &t);
	} else if (strcmp(req->command, CTL_JOURNAL_VERIFY) == 0) {
		journal_commit();
		ok = verify_journal(journal_dirfd(), &t, req->json) == 0;
		audit_record("journal-verify", control_conn_who(c),
		    ok ? "ok" : "failed", "asked through auditd.ctl");
		ctl_text_reply(c, ok, &t);
	} else if (strcmp(req->command, CTL_RELOAD) == 0) {
		auditd_reload(c);
	} else if (strcmp(req->command, CTL_STOP) == 0) {
		control_reply(c, 1, req->json ? "{\"stopping\":\"auditd\"}" :
		    "auditd stopping\n");
		/* Let the answer leave before the loop ends. */
		event_once(-1, EV_TIMEOUT, ctl_stop_cb, NULL, &tv);
	} else
		control_replyf(c, 0, "auditd does not handle \"%s\"; see "
		    "cfjlctl(8) for which daemon does", req->command);
}

static void
ctl_stop_cb(int fd, short event, void *arg)
{
	auditd_stop(NULL);
}
