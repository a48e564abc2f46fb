/*
 * auditd's answers on auditd.ctl: status, journal close|list|verify,
 * reload and stop (and the stop and reload themselves, also reached by
 * signals).  Who may ask was settled by common/control.c.
 */
#include <sys/types.h>

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event.h>

#include "audit.h"
#include "auditd.h"
#include "config.h"
#include "control.h"
#include "log.h"
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
	control_text_free(t);
}

static void
ctl_status(const struct ctl_request *req, struct ctl_conn *c)
{
	struct ctl_text	 t = { 0 };
	long long	 up = auditd_env_uptime();

	if (req->json) {
		control_text_printf(&t, "{\"daemon\":\"auditd\",\"version\":\"%s\","
		    "\"uptime\":%lld,", CFJL_VERSION, up);
		journal_status(&t, 1);
		control_text_printf(&t, "}");
	} else {
		control_text_printf(&t, "auditd %s, up %lld seconds\n",
		    CFJL_VERSION, up);
		journal_status(&t, 0);
	}
	ctl_text_reply(c, 1, &t);
}

void
auditd_ctl_request(const struct ctl_request *req, struct ctl_conn *c)
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
		auditd_ctl_reload(c);
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
	auditd_ctl_stop(NULL);
}

void
auditd_ctl_journal_conf(const struct cfjl_conf *c, struct auditd_ctl_journal_conf *jc)
{
	memset(jc, 0, sizeof(*jc));
	jc->rotate_interval = c->auditd.rotate_interval;
	jc->rotate_size = c->auditd.rotate_size;
	jc->operator_id = c->operator_id;
	jc->vault_id = c->vault_id;
}

/* The stop is journaled and synced before the process goes. */
void
auditd_ctl_stop(void *arg)
{
	audit_record("stop", "auditd", "ok", "auditd stopping");
	journal_commit();
	control_close();
	auditsock_close();
	log_info("stopped");
	exit(0);
}

/*
 * Reload: only the rotation bounds can change while running; the rest
 * (directory, users, groups) needs a restart.  arg is the control
 * connection that asked, or NULL for SIGHUP.
 */
void
auditd_ctl_reload(void *arg)
{
	struct ctl_conn			*c = arg;
	struct cfjl_conf		*nconf;
	struct auditd_ctl_journal_conf	 jc;

	if ((nconf = parse_config(env->conf->file)) == NULL) {
		log_warnx("reload: %s not read: configuration unchanged",
		    env->conf->file);
		audit_record("reload", "auditd", "error", "%s could not be "
		    "read; configuration unchanged", env->conf->file);
		if (c != NULL)
			control_replyf(c, 0, "auditd: %s could not be read "
			    "(see the log); configuration unchanged",
			    env->conf->file);
		return;
	}
	auditd_ctl_journal_conf(nconf, &jc);
	jc.operator_id = env->conf->operator_id;
	jc.vault_id = env->conf->vault_id;
	env->conf->auditd.rotate_interval = jc.rotate_interval;
	env->conf->auditd.rotate_size = jc.rotate_size;
	journal_set_conf(&jc);
	config_free(nconf);
	audit_record("reload", "auditd", "ok", "rotate every %us, size %zu",
	    jc.rotate_interval, jc.rotate_size);
	log_info("reloaded: rotate every %us, size %zu bytes",
	    jc.rotate_interval, jc.rotate_size);
	if (c != NULL)
		control_replyf(c, 1, "auditd reloaded: rotate every %u "
		    "seconds, size %zu bytes\n", jc.rotate_interval,
		    jc.rotate_size);
}
