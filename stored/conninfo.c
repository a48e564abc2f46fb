/*
 * The conninfo stored uses at run time: the configured one, naming its
 * user when it does not.
 */
#include <sys/types.h>

#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libpq-fe.h>

#include "config.h"
#include "log.h"
#include "conninfo.h"

/*
 * The runtime conninfo, naming its user: libpq would otherwise look the
 * system user up in the password database at every reconnect.
 */
char *
conninfo_build(const struct cfjl_conf *conf)
{
	PQconninfoOption	*opts, *o;
	struct passwd		*pw;
	const char		*user = NULL;
	char			*err = NULL, *s, *q;
	size_t			 i, n;

	if ((opts = PQconninfoParse(conf->stored.database, &err)) == NULL)
		fatalx("stored database: %s", err != NULL ? err : "invalid");
	for (o = opts; o->keyword != NULL; o++)
		if (strcmp(o->keyword, "user") == 0 && o->val != NULL &&
		    o->val[0] != '\0')
			user = o->val;
	PQconninfoFree(opts);
	if (user != NULL || strncmp(conf->stored.database, "postgres", 8) ==
	    0) {
		if ((s = strdup(conf->stored.database)) == NULL)
			fatal(NULL);
		return s;
	}
	if (geteuid() == 0)
		user = conf->stored.user;
	else if ((pw = getpwuid(geteuid())) != NULL)
		user = pw->pw_name;
	if (user == NULL || user[0] == '\0') {
		if ((s = strdup(conf->stored.database)) == NULL)
			fatal(NULL);
		return s;
	}
	/* user='...' with quotes and backslashes escaped. */
	n = strlen(conf->stored.database) + 2 * strlen(user) + 16;
	if ((s = malloc(n)) == NULL)
		fatal(NULL);
	q = s + snprintf(s, n, "%s user='", conf->stored.database);
	for (i = 0; user[i] != '\0'; i++) {
		if (user[i] == '\'' || user[i] == '\\')
			*q++ = '\\';
		*q++ = user[i];
	}
	*q++ = '\'';
	*q = '\0';
	return s;
}
