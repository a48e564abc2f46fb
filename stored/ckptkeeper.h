/*
 * Checkpoints: asked of sealerd at intervals, kept append-only, read
 * back for GET /v1/checkpoint and the export bundles.
 */
#ifndef STORED_CKPTKEEPER_H
#define STORED_CKPTKEEPER_H

#include <stdint.h>

struct msg;

void		 ckptkeeper_init(void);
void		 ckptkeeper_sealer_up(void);
void		 ckptkeeper_sealer_down(void);
int		 ckptkeeper_done(struct msg *);
int		 ckptkeeper_fail(struct msg *);
int		 ckptkeeper_get(uint64_t front, struct msg *);

#endif
