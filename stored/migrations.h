/*
 * The migrations that build the vault's schema (migrations.c).
 */
#ifndef CFJL_MIGRATIONS_H
#define CFJL_MIGRATIONS_H

extern const char *schema_migrations[];

#endif
