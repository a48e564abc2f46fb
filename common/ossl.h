/*
 * OpenSSL errors for the logs.
 */
#ifndef CFJL_OSSL_H
#define CFJL_OSSL_H

const char	*ossl_error(void);

#endif
