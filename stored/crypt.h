/*
 * CMS encryption of the traces for the regulator (crypt.c).
 */
#ifndef CFJL_CRYPT_H
#define CFJL_CRYPT_H

#include <stddef.h>
#include <stdint.h>

#define CRYPT_CEK_EVENTS	4096	/* events under one CEK, at most */
#define CRYPT_CEK_MS		1000	/* age of a CEK, at most */

void		 crypt_init(const char *certfile, const char *cipher);
int		 crypt_encrypt(const uint8_t *, size_t, uint8_t **, size_t *);
const char	*crypt_cipher(void);
uint64_t	 crypt_keys(void);

#endif
