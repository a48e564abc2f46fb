/* Base64 without line breaks, as XML signatures and the lot carry it. */
#include <stdint.h>
#include <stdlib.h>

#include <openssl/evp.h>

#include "b64.h"

char *
b64_encode(const void *p, size_t len)
{
	char	*s;

	if (len > INT32_MAX / 2)
		return NULL;
	if ((s = malloc(4 * ((len + 2) / 3) + 1)) == NULL)
		return NULL;
	EVP_EncodeBlock((unsigned char *)s, p, (int)len);
	return s;
}
