/*
 * RFC 3339 date-times, as a depositor's Timestamp header must be: frontd
 * refuses another form, sealerd writes none other in a lot.
 */
#ifndef CFJL_RFC3339_H
#define CFJL_RFC3339_H

#include <stddef.h>

/* The longest accepted: 2026-11-24T10:00:00.123456789+01:00 */
#define RFC3339_MAX	35

/* 0 if the len bytes are one RFC 3339 date-time, -1 if not. */
int	 rfc3339_check(const char *, size_t len);

#endif
