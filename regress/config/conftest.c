/*
 * Configuration test driver: parse a cfjl.conf and print it back as
 * config_print() does, or exit 1.  Any further arguments are subjects
 * whose role is looked up and printed after the configuration.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"

static enum cfjl_role	conftest_role(const struct cfjl_conf *, const char *);

/* The role of a subject as its own CA for that role issues it. */
static enum cfjl_role
conftest_role(const struct cfjl_conf *conf, const char *subject)
{
	const struct cfjl_role_entry	*r;
	struct cfjl_role_entry		 key;
	enum cfjl_ca			 ca;

	for (ca = CA_OPERATOR; ca < CFJL_CA_MAX; ca++) {
		memset(&key, 0, sizeof(key));
		key.ca = ca;
		strlcpy(key.subject, subject, sizeof(key.subject));
		if ((r = config_role_lookup(conf, &key)) != NULL)
			return (r->role);
	}
	return (ROLE_NONE);
}

int
main(int argc, char *argv[])
{
	struct cfjl_conf	*conf;
	int			 i;

	if (argc < 2) {
		fprintf(stderr, "usage: conftest file [subject ...]\n");
		return (2);
	}
	if ((conf = parse_config(argv[1])) == NULL)
		return (1);
	config_print(conf);
	for (i = 2; i < argc; i++)
		printf("# role of \"%s\": %s\n", argv[i],
		    config_role_name(conftest_role(conf, argv[i])));
	config_free(conf);
	return (0);
}
