/*
 * The last OpenSSL error as a sentence for the logs, the queue cleared.
 */
#include <openssl/err.h>

#include "ossl.h"

const char *
ossl_error(void)
{
	static char	 buf[256];
	unsigned long	 e;

	if ((e = ERR_peek_last_error()) == 0)
		return "no detail";
	ERR_error_string_n(e, buf, sizeof(buf));
	ERR_clear_error();
	return buf;
}
