/*
 * UTF-8 as RFC 3629 defines it: no overlong forms, no surrogates,
 * nothing above U+10FFFF.
 */
#ifndef FRONTD_UTF8_H
#define FRONTD_UTF8_H

#include <stddef.h>

/* Length of the valid UTF-8 sequence at s (1 to 4), or 0 if invalid. */
size_t	utf8_seq(const unsigned char *s, size_t len);
/* 1 if the whole buffer is valid UTF-8 without NUL bytes. */
int	utf8_valid(const void *buf, size_t len, size_t *bad_off);

#endif
