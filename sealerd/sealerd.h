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

/* env.c: the daemon's globals */
struct sealerd {
	struct cfjl_conf	*conf;
	struct sealer		 sealer;
	struct event		 retry_ev;	/* looking for the HSM */
	int			 module_awaited; /* not loaded at start */
	int			 was_up;	/* last told to the journal */
	int			 was_refusing;
};
extern struct sealerd	*env;

/* server.c: sealer.sock */
struct peer_allow;
void	server_init(const char *dir, const struct peer_allow *, size_t);
void	server_close(void);

/* watch.c */
void	sealerd_watch_start(void);
void	sealerd_retry_arm(void);
void	sealerd_trouble(const char *why);
void	sealerd_trouble_check(void);

/* ctl.c */
void	sealerd_ctl(const struct ctl_request *, struct ctl_conn *);
void	sealerd_stop(void *);
void	sealerd_reload(void *);

#endif
