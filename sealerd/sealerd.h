/*
 * sealerd, the only process that touches keys: the daemon's globals and
 * the entry points of its files (see sealer.h for the sealing itself).
 */
#ifndef CFJL_SEALERD_H
#define CFJL_SEALERD_H

#include <sys/types.h>
#include <stddef.h>

#include <event.h>

#include "sealer.h"

struct cfjl_conf;
struct ctl_request;
struct ctl_conn;

/* sealerd_env.c: the daemon's globals */
struct sealerd {
	struct cfjl_conf	*conf;
	struct sealer		 sealer;
	struct event		 retry_ev;	/* looking for the HSM */
	int			 module_awaited; /* not loaded at start */
	int			 was_up;	/* last told to the journal */
	int			 was_refusing;
};
extern struct sealerd	*env;

/* sealersock.c: sealer.sock */
struct peer_allow;
void	sealersock_init(const char *dir, const struct peer_allow *, size_t);
void	sealersock_close(void);

/* watch.c */
void	watch_start(void);
void	watch_retry_arm(void);
void	watch_trouble(const char *why);
void	watch_trouble_check(void);

/* sealerd_ctl.c */
void	sealerd_ctl_request(const struct ctl_request *, struct ctl_conn *);
void	sealerd_ctl_stop(void *);
void	sealerd_ctl_reload(void *);

#endif
