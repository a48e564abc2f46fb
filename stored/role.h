/*
 * The dynamic role table (role.c), set by cfjlctl role.
 */
#ifndef CFJL_ROLE_H
#define CFJL_ROLE_H

#include <stdint.h>

struct ctl_request;
struct ctl_conn;

void		 role_load(void);
void		 role_push(uint64_t front);
void		 role_control(const struct ctl_request *, struct ctl_conn *);

#endif
