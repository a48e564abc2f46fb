/*
 * auditd's globals: its state (the configuration, the start time, its
 * own uid, the runtime directory as seen once confined), reached
 * everywhere as env.
 */
#include <sys/types.h>

#include <time.h>

#include "auditd.h"

static struct auditd	 auditd_env;
struct auditd		*env = &auditd_env;

long long
auditd_env_uptime(void)
{
	return (long long)(time(NULL) - env->started);
}
