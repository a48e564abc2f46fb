/*
 * sealerd's globals: its state (the configuration, the sealer with its
 * HSM and TSA, what the journal last heard), reached everywhere as env.
 */
#include <sys/types.h>

#include "sealerd.h"

static struct sealerd	 sealerd_env = { .was_up = -1 };
struct sealerd		*env = &sealerd_env;
