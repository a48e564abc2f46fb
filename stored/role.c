/*
 * The dynamic role table: cfjlctl role add|remove|list on stored.ctl.
 * Each change is a new row of the append-only roles table (who, when,
 * what); the current table is the last action per key: a subject as
 * issued by a CA, or a certificate's SHA-256 fingerprint.  A role is
 * only bound to its own CA (depositors: the operator's; readers: the
 * regulator's).  frontd gets the whole table when it connects and again
 * after every change.
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

/* The key is (ca, subject) or fp; e.role is what it is bound to. */
struct role {
	TAILQ_ENTRY(role)	 entry;
	struct cfjl_role_entry	 e;
};
TAILQ_HEAD(roles, role);

struct role_change {
	struct ctl_conn		*conn;
	int			 add;
	struct cfjl_role_entry	 e;
};

static struct roles	 role_table = TAILQ_HEAD_INITIALIZER(role_table);
static int		 role_loaded;

static void	 role_rows(PGresult *, void *);
static void	 role_loaded_cb(int, const char *, void *);
static void	 role_changed(int, const char *, void *);
static struct role *role_find(const struct cfjl_role_entry *);
static void	 role_set(const struct cfjl_role_entry *, int);
static void	 role_list(const struct ctl_request *, struct ctl_conn *);
static void	 role_list_one(struct ctl_text *, int, int,
		    const struct cfjl_role_entry *, const char *);
static const char *role_key(const struct cfjl_role_entry *, char *, size_t);
static int	 role_parse_add(const struct ctl_request *,
		    struct cfjl_role_entry *, struct ctl_conn *);
static struct role *role_parse_remove(const struct ctl_request *,
		    struct ctl_conn *);

/*
 * Read the table (at every database connection).  Rows written before
 * CAs were named have ca '': the role's own CA.  The key is (CA,
 * subject), or the fingerprint alone.
 */
void
role_load(void)
{
	struct db_job	*job;

	if ((job = db_job_begin(role_loaded_cb, NULL)) == NULL)
		return;
	db_job_query(job, "SELECT DISTINCT ON (k, subject, fingerprint)"
	    " subject, role, action, ca, fingerprint FROM (SELECT seq, subject,"
	    " role, action, fingerprint, c AS ca, CASE WHEN fingerprint <> ''"
	    " THEN '' ELSE c END AS k FROM (SELECT *, CASE WHEN ca <> '' THEN"
	    " ca WHEN role = 'reader' THEN 'regulator' ELSE 'operator' END AS c"
	    " FROM roles) r0) r ORDER BY k, subject, fingerprint, seq DESC",
	    NULL, role_rows, NULL);
	db_job_end(job);
}

static void
role_rows(PGresult *res, void *arg)
{
	struct role		*r;
	struct cfjl_role_entry	 e;
	char			 role[16], action[16], ca[16];
	char			 fp[CFJL_FP_HEX];
	int			 i;

	while ((r = TAILQ_FIRST(&role_table)) != NULL) {
		TAILQ_REMOVE(&role_table, r, entry);
		free(r);
	}
	for (i = 0; i < PQntuples(res); i++) {
		memset(&e, 0, sizeof(e));
		dbval_get_text(res, i, 0, e.subject, sizeof(e.subject));
		dbval_get_text(res, i, 1, role, sizeof(role));
		dbval_get_text(res, i, 2, action, sizeof(action));
		dbval_get_text(res, i, 3, ca, sizeof(ca));
		dbval_get_text(res, i, 4, fp, sizeof(fp));
		if (strcmp(action, "add") != 0)
			continue;
		e.role = config_role_parse(role);
		e.ca = config_ca_parse(ca);
		if (fp[0] != '\0') {
			e.by_fp = 1;
			if (config_fp_parse(fp, e.fp) == -1)
				continue;
		}
		if (e.role == ROLE_NONE || e.ca != config_role_ca(e.role)) {
			log_warnx("role table: %s for the %s's CA ignored: "
			    "not its CA", role, ca);
			continue;
		}
		role_set(&e, 1);
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
role_find(const struct cfjl_role_entry *key)
{
	struct role	*r;

	TAILQ_FOREACH(r, &role_table, entry) {
		if (r->e.by_fp != key->by_fp)
			continue;
		if (key->by_fp ? memcmp(r->e.fp, key->fp, CFJL_FP_LEN) == 0 :
		    r->e.ca == key->ca && strcmp(r->e.subject,
		    key->subject) == 0)
			return r;
	}
	return NULL;
}

static void
role_set(const struct cfjl_role_entry *e, int add)
{
	struct role	*r;

	if ((r = role_find(e)) != NULL) {
		if (!add) {
			TAILQ_REMOVE(&role_table, r, entry);
			free(r);
		} else
			r->e = *e;	/* a fingerprint's CA goes with its role */
		return;
	}
	if (!add)
		return;
	if ((r = calloc(1, sizeof(*r))) == NULL)
		fatal(NULL);
	r->e = *e;
	TAILQ_INSERT_TAIL(&role_table, r, entry);
}

/* What names an entry in answers: its subject, or its fingerprint. */
static const char *
role_key(const struct cfjl_role_entry *e, char *buf, size_t size)
{
	char	 hex[CFJL_FP_HEX];

	if (!e->by_fp)
		return e->subject;
	config_fp_format(e->fp, hex);
	snprintf(buf, size, "fingerprint %s", hex);
	return buf;
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
		m.role = r->e.role;
		m.ca = r->e.ca;
		m.by_fp = r->e.by_fp;
		memcpy(m.fp, r->e.fp, sizeof(m.fp));
		strlcpy(m.subject, r->e.subject, sizeof(m.subject));
		iov[0].iov_base = &m;
		iov[0].iov_len = sizeof(m);
		front_send(front, IMSG_ROLE, iov, 1);
	}
	front_send(front, IMSG_ROLES_END, NULL, 0);
}

/*
 * role-add "ROLE [BINDING]" KEY: BINDING is the issuing CA (operator or
 * regulator; by default the role's own) and KEY a subject, or BINDING
 * is "fingerprint" and KEY the certificate's SHA-256.  0, or -1 once
 * answered.
 */
static int
role_parse_add(const struct ctl_request *req, struct cfjl_role_entry *e,
    struct ctl_conn *conn)
{
	char		 role[32], *binding;

	memset(e, 0, sizeof(*e));
	strlcpy(role, req->arg1, sizeof(role));
	if ((binding = strchr(role, ' ')) != NULL)
		*binding++ = '\0';
	if ((e->role = config_role_parse(role)) == ROLE_NONE) {
		control_replyf(conn, 0, "unknown role \"%.64s\": "
		    "depositor or reader", role);
		return -1;
	}
	e->ca = config_role_ca(e->role);
	if (binding != NULL && strcmp(binding, "fingerprint") == 0) {
		e->by_fp = 1;
		if (config_fp_parse(req->arg2, e->fp) == -1) {
			control_replyf(conn, 0, "fingerprint \"%.128s\": 64 "
			    "hex digits (SHA-256 of the certificate) expected",
			    req->arg2);
			return -1;
		}
		return 0;
	}
	if (binding != NULL && config_ca_parse(binding) != e->ca) {
		control_replyf(conn, 0, "a %s's certificate is issued by the "
		    "%s's CA, not by \"%.32s\": nothing added",
		    config_role_name(e->role), config_ca_name(e->ca), binding);
		return -1;
	}
	if (req->arg2[0] == '\0') {
		control_reply(conn, 0, "no certificate subject given");
		return -1;
	}
	strlcpy(e->subject, req->arg2, sizeof(e->subject));
	return 0;
}

/*
 * role-remove KEY ["BINDING"]: the entry of that subject (as issued by
 * the CA named, or by either if only one has it), or that fingerprint.
 * NULL once answered.
 */
static struct role *
role_parse_remove(const struct ctl_request *req, struct ctl_conn *conn)
{
	struct cfjl_role_entry		 key;
	const struct cfjl_role_entry	*ce;
	struct role			*r, *found = NULL;
	enum cfjl_ca			 ca;
	char				 buf[CFJL_FP_HEX + 16];

	memset(&key, 0, sizeof(key));
	if (strcmp(req->arg2, "fingerprint") == 0) {
		key.by_fp = 1;
		if (config_fp_parse(req->arg1, key.fp) == -1) {
			control_replyf(conn, 0, "fingerprint \"%.128s\": 64 "
			    "hex digits (SHA-256 of the certificate) expected",
			    req->arg1);
			return NULL;
		}
		found = role_find(&key);
	} else {
		strlcpy(key.subject, req->arg1, sizeof(key.subject));
		for (ca = CA_OPERATOR; ca < CFJL_CA_MAX; ca++) {
			if (req->arg2[0] != '\0' &&
			    config_ca_parse(req->arg2) != ca)
				continue;
			key.ca = ca;
			if ((r = role_find(&key)) == NULL)
				continue;
			if (found != NULL) {
				control_replyf(conn, 0, "\"%s\" has a role "
				    "for both CAs: name one (ca operator or "
				    "ca regulator)", key.subject);
				return NULL;
			}
			found = r;
		}
	}
	if (found != NULL)
		return found;
	ce = NULL;
	for (ca = CA_OPERATOR; ca < CFJL_CA_MAX && ce == NULL; ca++) {
		key.ca = key.by_fp ? CA_NONE : ca;
		if (key.by_fp) {
			TAILQ_FOREACH(ce, &env->conf->roles, entry)
				if (ce->by_fp && memcmp(ce->fp, key.fp,
				    CFJL_FP_LEN) == 0)
					break;
		} else
			ce = config_role_lookup(env->conf, &key);
	}
	if (ce != NULL)
		control_replyf(conn, 0, "\"%s\" is a %s by cfjl.conf, not by "
		    "cfjlctl: nothing removed; take its role line out of "
		    "cfjl.conf and restart frontd", role_key(&key, buf,
		    sizeof(buf)), config_role_name(ce->role));
	else
		control_replyf(conn, 0, "\"%s\" has no role given by "
		    "cfjlctl: nothing removed", role_key(&key, buf,
		    sizeof(buf)));
	return NULL;
}

/* role-add ROLE[ BINDING] KEY, role-remove KEY [BINDING], role-list. */
void
role_control(const struct ctl_request *req, struct ctl_conn *conn)
{
	struct role_change		*c;
	struct role			*r;
	struct dbval_params		 p;
	struct db_job			*job;
	char				 fp[CFJL_FP_HEX];
	char				 by[96 + CTL_SIGNER_MAX];

	if (strcmp(req->command, CTL_ROLE_LIST) == 0) {
		role_list(req, conn);
		return;
	}
	if ((c = calloc(1, sizeof(*c))) == NULL)
		fatal(NULL);
	c->conn = conn;
	if (strcmp(req->command, CTL_ROLE_ADD) == 0) {
		c->add = 1;
		if (role_parse_add(req, &c->e, conn) == -1) {
			free(c);
			return;
		}
	} else {
		if ((r = role_parse_remove(req, conn)) == NULL) {
			free(c);
			return;
		}
		c->e = r->e;
	}
	if ((job = db_job_begin(role_changed, c)) == NULL) {
		control_reply(conn, 0, "the database is not reachable: "
		    "nothing changed, try again later");
		free(c);
		return;
	}
	fp[0] = '\0';
	if (c->e.by_fp)
		config_fp_format(c->e.fp, fp);
	dbval_params_init(&p);
	dbval_param_text(&p, c->e.by_fp ? "" : c->e.subject);
	dbval_param_text(&p, config_role_name(c->e.role));
	dbval_param_text(&p, c->add ? "add" : "remove");
	/* The author: who asked, and whose key signed it. */
	snprintf(by, sizeof(by), "%s%s%s", control_conn_who(conn),
	    control_conn_signer(conn)[0] != '\0' ? ", " : "",
	    control_conn_signer(conn));
	dbval_param_text(&p, by);
	dbval_param_text(&p, config_ca_name(c->e.ca));
	dbval_param_text(&p, fp);
	db_job_query(job, "INSERT INTO roles (subject, role, action, by, ca,"
	    " fingerprint) VALUES ($1, $2, $3, $4, $5, $6)", &p, NULL, NULL);
	dbval_params_free(&p);
	db_job_end(job);
}

static void
role_changed(int ok, const char *err, void *arg)
{
	struct role_change	*c = arg;
	char			 buf[CFJL_FP_HEX + 16];

	if (!ok)
		control_replyf(c->conn, 0, "the role was not changed: %s", err);
	else {
		role_set(&c->e, c->add);
		front_roles_push_all();
		control_replyf(c->conn, 1, "%s %s: %s", c->add ? "added" :
		    "removed", config_role_name(c->e.role),
		    role_key(&c->e, buf, sizeof(buf)));
	}
	free(c);
}

/*
 * The roles given with cfjlctl, then those of cfjl.conf (marked: they
 * are changed there, not here).  JSON: {"roles":[{"role","ca",
 * "subject" or "fingerprint","source"},...]}.
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
		role_list_one(&t, req->json, first, &r->e, "cfjlctl");
		first = 0;
	}
	TAILQ_FOREACH(e, &env->conf->roles, entry) {
		role_list_one(&t, req->json, first, e, "cfjl.conf");
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

static void
role_list_one(struct ctl_text *t, int json, int first,
    const struct cfjl_role_entry *e, const char *source)
{
	char	 hex[CFJL_FP_HEX], buf[CFJL_FP_HEX + 16];
	int	 conf = strcmp(source, "cfjl.conf") == 0;

	if (!json) {
		control_text_printf(t, "%-9s %s%s\n", config_role_name(e->role),
		    role_key(e, buf, sizeof(buf)), conf ? " (cfjl.conf)" : "");
		return;
	}
	control_text_printf(t, "%s{\"role\":\"%s\",\"ca\":\"%s\",",
	    first ? "" : ",", config_role_name(e->role),
	    config_ca_name(e->ca));
	if (e->by_fp) {
		config_fp_format(e->fp, hex);
		control_text_printf(t, "\"fingerprint\":\"%s\"", hex);
	} else {
		control_text_printf(t, "\"subject\":");
		control_text_json(t, e->subject);
	}
	control_text_printf(t, ",\"source\":\"%s\"}", source);
}
