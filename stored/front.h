/*
 * frontd's connections to stored (front.c).
 */
#ifndef CFJL_FRONT_H
#define CFJL_FRONT_H

#include <stdint.h>

struct iovec;

void		 front_init(const char *dir);
int		 front_send(uint64_t, uint32_t, const struct iovec *, int);
void		 front_roles_push_all(void);
/* A lot's seal is stored: every frontd may tell its queue clients. */
void		 front_lot_sealed(uint64_t lot, uint64_t first, uint64_t last,
		    int64_t sealed_ms);
void		 front_close(void);

#endif
