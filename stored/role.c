/*
 * The dynamic role table: cfjlctl role add|remove|list on stored.ctl.
 * Each change is a new row of the append-only roles table (who, when,
 * what); the current table is the last action per subject.  frontd gets
 * the whole table when it connects and again after every change.
 */
#include <sys/types.h>
#include <sys/queue.h>
#include <sys/uio.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "control.h"
#include "log.h"
#include "proto.h"
#include "stored.h"
#include "db.h"
#include "dbval.h"
#include "front.h"
#include "role.h"

struct role {
	TAILQ_ENTRY(role)	 entry;
	enum cfjl_role		 role;
	char			 subject[CFJL_SUBJECT_MAX];
};
TAILQ_HEAD(roles, role);

struct role_change {
	struct ctl_conn		*conn;
	enum cfjl_role		 role;
	int			 add;
	char			 subject[CFJL_SUBJECT_MAX];
};

static struct roles	 role_table = TAILQ_HEAD_INITIALIZER(role_table);
static int		 role_loaded;

static void	 role_rows(PGresult *, void *);
static void	 role_loaded_cb(int, const char *, void *);
static void	 role_changed(int, const char *, void *);
static struct role *role_find(const char *);
static const struct cfjl_role_entry *role_conf_find(const char *);
static void	 role_set(const char *, enum cfjl_role);
static void	 role_list(const struct ctl_request *, struct ctl_conn *);

/* Read the table (at every database connection). */
void
role_load(void)
{
	struct db_job	*job;

	if ((job = db_job_begin(role_loaded_cb, NULL)) == NULL)
		return;
	db_job_query(job, "SELECT DISTINCT ON (subject) subject, role, action"
	    " FROM roles ORDER BY subject, seq DESC", NULL, role_rows, NULL);
	db_job_end(job);
}

static void
role_rows(PGresult *res, void *arg)
{
	struct role	*r;
	char		 subject[CFJL_SUBJECT_MAX], role[16], action[16];
	int		 i;

	while ((r = TAILQ_FIRST(&role_table)) != NULL) {
		TAILQ_REMOVE(&role_table, r, entry);
		free(r);
	}
	for (i = 0; i < PQntuples(res); i++) {
		dbval_get_text(res, i, 0, subject, sizeof(subject));
		dbval_get_text(res, i, 1, role, sizeof(role));
		dbval_get_text(res, i, 2, action, sizeof(action));
		if (strcmp(action, "add") != 0)
			continue;
		role_set(subject, strcmp(role, "reader") == 0 ?
		    ROLE_READER : ROLE_DEPOSITOR);
	}
}

static void
role_loaded_cb(int ok, const char *err, void *arg)
{
	if (!ok) {
		log_warnx("cannot read the role table: %s", err);
		return;
	}
	role_loaded = 1;
	front_roles_push_all();
}

static struct role *
role_find(const char *subject)
{
	struct role	*r;

	TAILQ_FOREACH(r, &role_table, entry)
		if (strcmp(r->subject, subject) == 0)
			return r;
	return NULL;
}

/* A role given by a role line of cfjl.conf (frontd reads them too). */
static const struct cfjl_role_entry *
role_conf_find(const char *subject)
{
	const struct cfjl_role_entry	*e;

	TAILQ_FOREACH(e, &env->conf->roles, entry)
		if (strcmp(e->subject, subject) == 0)
			return e;
	return NULL;
}

static void
role_set(const char *subject, enum cfjl_role role)
{
	struct role	*r;

	if ((r = role_find(subject)) != NULL) {
		if (role == ROLE_NONE) {
			TAILQ_REMOVE(&role_table, r, entry);
			free(r);
		} else
			r->role = role;
		return;
	}
	if (role == ROLE_NONE)
		return;
	if ((r = calloc(1, sizeof(*r))) == NULL)
		fatal(NULL);
	r->role = role;
	strlcpy(r->subject, subject, sizeof(r->subject));
	TAILQ_INSERT_TAIL(&role_table, r, entry);
}

/* IMSG_ROLES_RESET, one IMSG_ROLE each, IMSG_ROLES_END. */
void
role_push(uint64_t front)
{
	struct role	*r;
	struct role_msg	 m;
	struct iovec	 iov[1];

	if (!role_loaded)
		return;		/* pushed once the table is read */
	if (front_send(front, IMSG_ROLES_RESET, NULL, 0) == -1)
		return;
	TAILQ_FOREACH(r, &role_table, entry) {
		memset(&m, 0, sizeof(m));
		m.role = r->role;
		strlcpy(m.subject, r->subject, sizeof(m.subject));
		iov[0].iov_base = &m;
		iov[0].iov_len = sizeof(m);
		front_send(front, IMSG_ROLE, iov, 1);
	}
	front_send(front, IMSG_ROLES_END, NULL, 0);
}

/* role-add ROLE SUBJECT, role-remove SUBJECT, role-list. */
void
role_control(const struct ctl_request *req, struct ctl_conn *conn)
{
	struct role_change		*c;
	struct role			*r;
	const struct cfjl_role_entry	*e;
	struct dbval_params		 p;
	struct db_job			*job;

	if (strcmp(req->command, CTL_ROLE_LIST) == 0) {
		role_list(req, conn);
		return;
	}
	if ((c = calloc(1, sizeof(*c))) == NULL)
		fatal(NULL);
	c->conn = conn;
	if (strcmp(req->command, CTL_ROLE_ADD) == 0) {
		c->add = 1;
		if (strcmp(req->arg1, "depositor") == 0)
			c->role = ROLE_DEPOSITOR;
		else if (strcmp(req->arg1, "reader") == 0)
			c->role = ROLE_READER;
		else {
			control_replyf(conn, 0, "unknown role \"%.64s\": "
			    "depositor or reader", req->arg1);
			free(c);
			return;
		}
		strlcpy(c->subject, req->arg2, sizeof(c->subject));
	} else {
		strlcpy(c->subject, req->arg1, sizeof(c->subject));
		if ((r = role_find(c->subject)) == NULL) {
			if ((e = role_conf_find(c->subject)) != NULL)
				control_replyf(conn, 0, "\"%s\" is a %s by "
				    "cfjl.conf, not by cfjlctl: nothing removed;"
				    " take its role line out of cfjl.conf and "
				    "restart frontd", c->subject,
				    config_role_name(e->role));
			else
				control_replyf(conn, 0, "\"%s\" has no role "
				    "given by cfjlctl: nothing removed",
				    c->subject);
			free(c);
			return;
		}
		c->role = r->role;
	}
	if (c->subject[0] == '\0') {
		control_reply(conn, 0, "no certificate subject given");
		free(c);
		return;
	}
	if ((job = db_job_begin(role_changed, c)) == NULL) {
		control_reply(conn, 0, "the database is not reachable: "
		    "nothing changed, try again later");
		free(c);
		return;
	}
	dbval_params_init(&p);
	dbval_param_text(&p, c->subject);
	dbval_param_text(&p, c->role == ROLE_READER ? "reader" : "depositor");
	dbval_param_text(&p, c->add ? "add" : "remove");
	dbval_param_text(&p, control_conn_who(conn));
	db_job_query(job, "INSERT INTO roles (subject, role, action, by)"
	    " VALUES ($1, $2, $3, $4)", &p, NULL, NULL);
	dbval_params_free(&p);
	db_job_end(job);
}

static void
role_changed(int ok, const char *err, void *arg)
{
	struct role_change	*c = arg;
	const char		*name;

	name = c->role == ROLE_READER ? "reader" : "depositor";
	if (!ok)
		control_replyf(c->conn, 0, "the role was not changed: %s", err);
	else {
		role_set(c->subject, c->add ? c->role : ROLE_NONE);
		front_roles_push_all();
		control_replyf(c->conn, 1, "%s %s: %s", c->add ? "added" :
		    "removed", name, c->subject);
	}
	free(c);
}

/*
 * The roles given with cfjlctl, then those of cfjl.conf (marked: they
 * are changed there, not here).  JSON: {"roles":[{"role","subject",
 * "source"},...]}.
 */
static void
role_list(const struct ctl_request *req, struct ctl_conn *conn)
{
	struct ctl_text			 t;
	struct role			*r;
	const struct cfjl_role_entry	*e;
	int				 first = 1;

	memset(&t, 0, sizeof(t));
	if (req->json)
		control_text_printf(&t, "{\"roles\":[");
	TAILQ_FOREACH(r, &role_table, entry) {
		if (req->json) {
			control_text_printf(&t, "%s{\"role\":\"%s\",\"subject\":",
			    first ? "" : ",", config_role_name(r->role));
			control_text_json(&t, r->subject);
			control_text_printf(&t, ",\"source\":\"cfjlctl\"}");
		} else
			control_text_printf(&t, "%-9s %s\n",
			    config_role_name(r->role), r->subject);
		first = 0;
	}
	TAILQ_FOREACH(e, &env->conf->roles, entry) {
		if (req->json) {
			control_text_printf(&t, "%s{\"role\":\"%s\",\"subject\":",
			    first ? "" : ",", config_role_name(e->role));
			control_text_json(&t, e->subject);
			control_text_printf(&t, ",\"source\":\"cfjl.conf\"}");
		} else
			control_text_printf(&t, "%-9s %s (cfjl.conf)\n",
			    config_role_name(e->role), e->subject);
		first = 0;
	}
	if (req->json)
		control_text_printf(&t, "]}");
	if (t.error)
		control_reply(conn, 0, "out of memory");
	else
		control_reply_buf(conn, 1, t.buf, t.len);
	control_text_free(&t);
}
