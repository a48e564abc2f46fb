/*
 * frontd's TLS key and certificate from a PKCS#12 file, read at start.
 */
#ifndef FRONTD_P12_H
#define FRONTD_P12_H

#include <stddef.h>
#include <stdint.h>

void		 p12_load(const char *, const char *passfile, uint8_t **,
		    size_t *, uint8_t **, size_t *);

#endif
