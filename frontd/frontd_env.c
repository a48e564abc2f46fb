/*
 * frontd's globals: its state (the configuration, the start time, the
 * counters the status shows), reached everywhere as env.
 */
#include <sys/types.h>

#include <time.h>

#include "frontd.h"

static struct frontd	 frontd_env;
struct frontd		*env = &frontd_env;

long long
frontd_env_uptime(void)
{
	return (long long)(time(NULL) - env->started);
}
