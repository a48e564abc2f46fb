/*
 * What the message layer's unit tests share: one line a check, counted,
 * and socketpairs (non-blocking ones for partial writes).
 */
#include <sys/types.h>
#include <sys/socket.h>

#include <stdio.h>
#include <stdlib.h>

#include "unit.h"

static int	unit_failures;

void
check(int ok, const char *what)
{
	printf("%s - %s\n", ok ? "ok" : "not ok", what);
	if (!ok)
		unit_failures++;
}

void
pair(int sv[2], int nonblock)
{
	int	 type = SOCK_STREAM;

	if (nonblock)
		type |= SOCK_NONBLOCK;
	if (socketpair(AF_UNIX, type, 0, sv) == -1) {
		perror("socketpair");
		exit(2);
	}
}

int
unit_done(void)
{
	printf("%d failed\n", unit_failures);
	return unit_failures ? 1 : 0;
}
