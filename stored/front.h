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
void		 front_close(void);

#endif
