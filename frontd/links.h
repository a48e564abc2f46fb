/*
 * The link to stored: requests out with a reqid, answers back by it.
 */
#ifndef FRONTD_LINKS_H
#define FRONTD_LINKS_H

#include <stdint.h>

struct iovec;
struct resp;

#define LINKS_STORED_TIMEOUT	60	/* seconds for stored to answer */

void	 links_init(void);
void	 links_shutdown(void);
/* Register r as waiting for stored; its reqid is set. */
void	 links_wait(struct resp *);
void	 links_forget(struct resp *);
int	 links_send(uint32_t type, const struct iovec *, int);
void	 links_conn_gone(struct resp *);	/* export: cancel */
void	 links_export_more(struct resp *);

#endif
