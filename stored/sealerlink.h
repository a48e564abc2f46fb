/*
 * The link to sealerd (sealerlink.c).
 */
#ifndef CFJL_SEALERLINK_H
#define CFJL_SEALERLINK_H

#include <sys/types.h>

#include <stddef.h>

struct iovec;

void		 sealerlink_init(const char *dir, uid_t);
int		 sealerlink_ready(void);
const char	*sealerlink_status_json(size_t *);
int		 sealerlink_send_lot(const struct iovec *, int);
void		 sealerlink_close(void);

#endif
