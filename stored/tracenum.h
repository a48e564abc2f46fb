/*
 * The IDEvt written into a trace (tracenum.c).
 */
#ifndef CFJL_TRACENUM_H
#define CFJL_TRACENUM_H

#include <stddef.h>
#include <stdint.h>

int		 tracenum_write(const uint8_t *, size_t, uint32_t, uint32_t,
		    uint64_t, uint8_t **, size_t *);

#endif
