/*
 * Who may do what: the configuration's role lines, plus the table that
 * stored pushes (the roles administrators add with cfjlctl).  A new
 * table from stored (IMSG_ROLES_RESET, IMSG_ROLE..., IMSG_ROLES_END)
 * replaces the previous one at once, only when complete.
 */
#include <sys/types.h>
#include <sys/queue.h>

#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "log.h"
#include "roles.h"

#define ROLES_MAX	4096	/* entries pushed by stored */

struct role_ent {
	char		 subject[CFJL_SUBJECT_MAX];
	unsigned int	 bits;
};

struct role_table {
	struct role_ent	*ent;
	size_t		 n;
};

static struct role_table	 roles_conf, roles_dyn, roles_next;
static int			 roles_loading;

static int	 roles_put(struct role_table *, uint32_t, const char *);
static unsigned int roles_find(const struct role_table *, const char *);

static int
roles_put(struct role_table *t, uint32_t role, const char *subject)
{
	struct role_ent	*e;
	size_t		 i;

	if (role != ROLE_DEPOSITOR && role != ROLE_READER)
		return -1;
	for (i = 0; i < t->n; i++)
		if (strcmp(t->ent[i].subject, subject) == 0) {
			t->ent[i].bits |= ROLE_BIT(role);
			return 0;
		}
	if (t->n >= ROLES_MAX)
		return -1;
	if ((e = reallocarray(t->ent, t->n + 1, sizeof(*e))) == NULL)
		fatal("%s", __func__);
	t->ent = e;
	if (strlcpy(e[t->n].subject, subject, sizeof(e[t->n].subject)) >=
	    sizeof(e[t->n].subject))
		return -1;
	e[t->n].bits = ROLE_BIT(role);
	t->n++;
	return 0;
}

static unsigned int
roles_find(const struct role_table *t, const char *subject)
{
	size_t	 i;

	for (i = 0; i < t->n; i++)
		if (strcmp(t->ent[i].subject, subject) == 0)
			return t->ent[i].bits;
	return 0;
}

void
roles_init(const struct cfjl_conf *conf)
{
	const struct cfjl_role_entry	*r;

	TAILQ_FOREACH(r, &conf->roles, entry)
		if (roles_put(&roles_conf, r->role, r->subject) == -1)
			fatalx("role %s for %s: cannot be kept",
			    config_role_name(r->role), r->subject);
}

unsigned int
roles_of(const char *subject)
{
	return roles_find(&roles_conf, subject) |
	    roles_find(&roles_dyn, subject);
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
roles_add(uint32_t role, const char *subject)
{
	if (!roles_loading)
		return -1;
	return roles_put(&roles_next, role, subject);
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
	log_info("roles from stored: %zu subjects", roles_dyn.n);
}

size_t
roles_count(void)
{
	return roles_conf.n + roles_dyn.n;
}
