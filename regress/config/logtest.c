/*
 * Log test driver: logs one thing in the foreground, as its argument
 * says, so that log.t can check the exact lines on stderr.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>

#include "log.h"

int
main(int argc, char *argv[])
{
	const char	*what;

	if (argc != 2) {
		fprintf(stderr, "usage: logtest case\n");
		return (2);
	}
	what = argv[1];

	log_init(1, strcmp(what, "verbose") == 0, LOG_DAEMON);
	if (strcmp(what, "untitled") == 0) {
		log_warnx("no title yet");
		return (0);
	}
	log_procinit("frontd worker");

	if (strcmp(what, "levels") == 0 || strcmp(what, "verbose") == 0) {
		log_warnx("warning %d", 1);
		log_info("info %s", "two");
		log_debug("debug %d", 3);
		log_setverbose(!log_getverbose());
		log_debug("debug after toggle");
	} else if (strcmp(what, "warn") == 0) {
		errno = ENOENT;
		log_warn("open %s", "/nonexistent");
		printf("errno kept: %d\n", errno == ENOENT);
	} else if (strcmp(what, "fatal") == 0) {
		errno = EACCES;
		fatal("chroot %s", "/var/empty");
	} else if (strcmp(what, "fatal-noerrno") == 0) {
		errno = 0;
		fatal("no errno");
	} else if (strcmp(what, "fatalx") == 0) {
		errno = EACCES;
		fatalx("bad message type %d", 42);
	} else {
		fprintf(stderr, "unknown case %s\n", what);
		return (2);
	}
	return (0);
}
