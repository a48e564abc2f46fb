/*
 * The control socket of stored (stored_ctl.c) and the stop.
 */
#ifndef CFJL_STORED_CTL_H
#define CFJL_STORED_CTL_H

struct ctl_request;
struct ctl_conn;

void		 stored_ctl_request(const struct ctl_request *, struct ctl_conn *);
void		 stored_ctl_stop(void *);

#endif
