/*
 * The database made ready at start (dbsetup.c): database, roles,
 * migrations, identity.
 */
#ifndef CFJL_DBSETUP_H
#define CFJL_DBSETUP_H

#include <stddef.h>

struct cfjl_conf;

void		 dbsetup_dbname(const struct cfjl_conf *, char *, size_t);
void		 dbsetup_run(const struct cfjl_conf *, const char *dbname);

#endif
