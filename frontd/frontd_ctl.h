/*
 * frontd's control socket (status, reload, stop), its reload and its
 * stop.
 */
#ifndef FRONTD_CTL_H
#define FRONTD_CTL_H

struct ctl_request;
struct ctl_conn;

void	 frontd_ctl_request(const struct ctl_request *, struct ctl_conn *);
void	 frontd_ctl_stop(void *);
void	 frontd_ctl_reload(void *);

#endif
