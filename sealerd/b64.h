/* Base64 for the lot document and its signature. */
#ifndef CFJL_B64_H
#define CFJL_B64_H

#include <stddef.h>

/* A malloc'd NUL-terminated string without line breaks; NULL on error. */
char	*b64_encode(const void *, size_t);

#endif
