/*
 * Roles: a certificate subject to its role bits, from the configuration
 * and from the table stored pushes.
 */
#ifndef FRONTD_ROLES_H
#define FRONTD_ROLES_H

#include <stddef.h>
#include <stdint.h>

#define ROLE_BIT(r)	(1U << (r))

struct cfjl_conf;

void	 roles_init(const struct cfjl_conf *);
unsigned int roles_of(const char *subject);
void	 roles_reset(void);
int	 roles_add(uint32_t role, const char *subject);
void	 roles_commit(void);
size_t	 roles_count(void);

#endif
