/*
 * Test helper: a daemon's control socket and nothing else.  It answers
 * every allowed request with what it received, so that the tests see
 * which daemon cfjlctl routed a command to; "stop" ends it.
 *
 *	ctl-echo [-g technical-group] [-G functional-group] [-f cfjl.conf]
 *	    dir name
 *
 * With -f, the CAs and administrators of that file check the signed
 * commands (ctlauth.h); without, every signed command is refused.
 */
#include <sys/types.h>

#include <err.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event.h>

#include "config.h"
#include "control.h"
#include "ctlauth.h"
#include "log.h"

static const char	*name;

static void
handler(const struct ctl_request *req, struct ctl_conn *c)
{
	struct timeval	 tv = { 0, 100000 };

	if (req->json)
		control_replyf(c, 1, "{\"daemon\":\"%s\",\"command\":\"%s\","
		    "\"arg1\":\"%s\",\"arg2\":\"%s\"}", name, req->command,
		    req->arg1, req->arg2);
	else
		control_replyf(c, 1, "%s got %s [%s] [%s] from %s\n", name,
		    req->command, req->arg1, req->arg2, control_conn_who(c));
	if (strcmp(req->command, CTL_STOP) == 0)
		event_loopexit(&tv);
}

int
main(int argc, char *argv[])
{
	struct cfjl_control_conf	 cc;
	struct cfjl_conf		*conf = NULL;
	int				 ch;

	memset(&cc, 0, sizeof(cc));
	while ((ch = getopt(argc, argv, "f:g:G:")) != -1) {
		switch (ch) {
		case 'f':
			if ((conf = parse_config(optarg)) == NULL)
				errx(2, "%s: cannot be read", optarg);
			break;
		case 'g':
			strlcpy(cc.technical_group, optarg,
			    sizeof(cc.technical_group));
			break;
		case 'G':
			strlcpy(cc.functional_group, optarg,
			    sizeof(cc.functional_group));
			break;
		default:
			errx(2, "usage: ctl-echo [-g group] [-G group] "
			    "[-f cfjl.conf] dir name");
		}
	}
	if (optind + 2 != argc)
		errx(2, "usage: ctl-echo [-g group] [-G group] "
		    "[-f cfjl.conf] dir name");
	name = argv[optind + 1];
	log_init(1, 1, 0);
	log_procinit(name);
	event_init();
	if (conf != NULL)
		ctlauth_init(conf);
	control_init(argv[optind], name, &cc, handler);
	event_dispatch();
	control_close();
	return 0;
}
