/*
 * The run-time database conninfo (conninfo.c).
 */
#ifndef CFJL_CONNINFO_H
#define CFJL_CONNINFO_H

struct cfjl_conf;

char		*conninfo_build(const struct cfjl_conf *);

#endif
