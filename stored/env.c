/*
 * stored's globals: its state (the configuration, the database name,
 * the start time), reached everywhere as env, and its clock.
 */
#include <sys/types.h>

#include <stdio.h>
#include <time.h>

#include "stored.h"

static struct stored	 stored_env;
struct stored		*env = &stored_env;

int64_t
stored_now_ms(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Until common/ names message types for the logs. */
const char *
stored_type_name(uint32_t type)
{
	static char	 buf[32];

	snprintf(buf, sizeof(buf), "message type %u", type);
	return buf;
}
