/*
 * Roles: a certificate (its issuing CA and subject, or its fingerprint)
 * to its role bits, from the configuration and from the table stored
 * pushes.
 */
#ifndef FRONTD_ROLES_H
#define FRONTD_ROLES_H

#include <stddef.h>
#include <stdint.h>

#include "config.h"

#define ROLE_BIT(r)	(1U << (r))

struct role_msg;

void	 roles_init(const struct cfjl_conf *);
unsigned int roles_of(enum cfjl_ca, const char *subject,
	    const uint8_t *fp);
void	 roles_reset(void);
int	 roles_add(const struct role_msg *);
void	 roles_commit(void);
size_t	 roles_count(void);

#endif
