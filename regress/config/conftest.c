/*
 * Configuration test driver: parse a cfjl.conf and print it back as
 * config_print() does, or exit 1.  Any further arguments are subjects
 * whose role is looked up and printed after the configuration.
 */
#include <stdio.h>
#include <stdlib.h>

#include "config.h"

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
		    config_role_name(config_role_lookup(conf, argv[i])));
	config_free(conf);
	return (0);
}
