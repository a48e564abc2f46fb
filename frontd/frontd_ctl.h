/*
 * frontd's control socket (status, stop) and its stop.
 */
#ifndef FRONTD_CTL_H
#define FRONTD_CTL_H

struct ctl_request;
struct ctl_conn;

void	 frontd_ctl_request(const struct ctl_request *, struct ctl_conn *);
void	 frontd_ctl_stop(void *);

#endif
