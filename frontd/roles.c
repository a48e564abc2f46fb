/*
 * Who may do what: the configuration's role lines, plus the table that
 * stored pushes (the roles administrators add with cfjlctl).  A new
 * table from stored (IMSG_ROLES_RESET, IMSG_ROLE..., IMSG_ROLES_END)
 * replaces the previous one at once, only when complete.
 *
 * An entry binds a role to a subject as issued by one CA, or to one
 * certificate by its SHA-256 fingerprint; either way the client's
 * certificate must be of the role's own CA (clientca.c says which CA
 * issued it), so that the operator's CA cannot mint a reader.
 */
#include <sys/types.h>
#include <sys/queue.h>

#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "log.h"
#include "proto.h"
#include "roles.h"

#define ROLES_MAX	4096	/* entries pushed by stored */

struct role_ent {
	enum cfjl_ca	 ca;
	int		 by_fp;
	char		 subject[CFJL_SUBJECT_MAX];
	uint8_t		 fp[CFJL_FP_LEN];
	unsigned int	 bits;
};

struct role_table {
	struct role_ent	*ent;
	size_t		 n;
};

static struct role_table	 roles_conf, roles_dyn, roles_next;
static int			 roles_loading;

static int	 roles_put(struct role_table *, const struct role_msg *);
static unsigned int roles_find(const struct role_table *, enum cfjl_ca,
		    const char *, const uint8_t *);

static int
roles_put(struct role_table *t, const struct role_msg *m)
{
	struct role_ent	*e;
	size_t		 i;

	if (m->role != ROLE_DEPOSITOR && m->role != ROLE_READER)
		return -1;
	/* Never a role for another CA's certificates. */
	if (m->ca != config_role_ca(m->role))
		return -1;
	for (i = 0; i < t->n; i++) {
		e = &t->ent[i];
		if (e->ca == (enum cfjl_ca)m->ca && e->by_fp == (int)m->by_fp &&
		    (m->by_fp ? memcmp(e->fp, m->fp, CFJL_FP_LEN) == 0 :
		    strcmp(e->subject, m->subject) == 0)) {
			e->bits |= ROLE_BIT(m->role);
			return 0;
		}
	}
	if (t->n >= ROLES_MAX)
		return -1;
	if ((e = reallocarray(t->ent, t->n + 1, sizeof(*e))) == NULL)
		fatal("%s", __func__);
	t->ent = e;
	e = &t->ent[t->n];
	memset(e, 0, sizeof(*e));
	e->ca = m->ca;
	e->by_fp = m->by_fp != 0;
	if (e->by_fp)
		memcpy(e->fp, m->fp, CFJL_FP_LEN);
	else if (strlcpy(e->subject, m->subject, sizeof(e->subject)) >=
	    sizeof(e->subject))
		return -1;
	e->bits = ROLE_BIT(m->role);
	t->n++;
	return 0;
}

static unsigned int
roles_find(const struct role_table *t, enum cfjl_ca ca, const char *subject,
    const uint8_t *fp)
{
	const struct role_ent	*e;
	unsigned int		 bits = 0;
	size_t			 i;

	if (ca == CA_NONE)
		return 0;
	for (i = 0; i < t->n; i++) {
		e = &t->ent[i];
		if (e->ca != ca)
			continue;
		if (e->by_fp ? memcmp(e->fp, fp, CFJL_FP_LEN) == 0 :
		    strcmp(e->subject, subject) == 0)
			bits |= e->bits;
	}
	return bits;
}

void
roles_init(const struct cfjl_conf *conf)
{
	const struct cfjl_role_entry	*r;
	struct role_msg			 m;

	TAILQ_FOREACH(r, &conf->roles, entry) {
		memset(&m, 0, sizeof(m));
		m.role = r->role;
		m.ca = r->ca;
		m.by_fp = r->by_fp;
		memcpy(m.fp, r->fp, sizeof(m.fp));
		strlcpy(m.subject, r->subject, sizeof(m.subject));
		if (roles_put(&roles_conf, &m) == -1)
			fatalx("role %s for %s: cannot be kept",
			    config_role_name(r->role), r->subject);
	}
}

/* The roles of a client: its issuing CA, subject and fingerprint. */
unsigned int
roles_of(enum cfjl_ca ca, const char *subject, const uint8_t *fp)
{
	return roles_find(&roles_conf, ca, subject, fp) |
	    roles_find(&roles_dyn, ca, subject, fp);
}

void
roles_reset(void)
{
	free(roles_next.ent);
	memset(&roles_next, 0, sizeof(roles_next));
	roles_loading = 1;
}

/* -1: a role out of order or not kept (stored is then broken). */
int
roles_add(const struct role_msg *m)
{
	if (!roles_loading)
		return -1;
	return roles_put(&roles_next, m);
}

void
roles_commit(void)
{
	if (!roles_loading)
		return;
	free(roles_dyn.ent);
	roles_dyn = roles_next;
	memset(&roles_next, 0, sizeof(roles_next));
	roles_loading = 0;
	log_info("roles from stored: %zu entries", roles_dyn.n);
}

size_t
roles_count(void)
{
	return roles_conf.n + roles_dyn.n;
}
