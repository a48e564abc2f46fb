/*
 * sealerd, the only process that touches keys: the daemon's globals and
 * the entry points of its files (see sealer.h for the sealing itself).
 */
#ifndef CFJL_SEALERD_H
#define CFJL_SEALERD_H

#include <sys/types.h>
#include <stddef.h>

#include "sealer.h"

extern struct sealer	 sealer;

/* server.c: sealer.sock */
struct peer_allow;
void	server_init(const char *dir, const struct peer_allow *, size_t);
void	server_close(void);

/* sealerd.c */
void	sealerd_trouble(const char *why);
void	sealerd_trouble_check(void);

#endif
