/*
 * stored's globals: its state (the configuration, the database name,
 * the start time), reached everywhere as env, and its clock.
 */
#include <sys/types.h>

#include <time.h>

#include "stored.h"

static struct stored	 stored_env;
struct stored		*env = &stored_env;

int64_t
stored_env_now_ms(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Microseconds, monotonic: durations (where a slow deposit spent its time). */
int64_t
stored_env_mono_us(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}
