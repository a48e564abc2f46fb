/*
 * The audit paths of a lot's events, as paths/LLLLLLLLLLLL.txt of an
 * export bundle holds them (cfjl-export(5)).
 */
#ifndef CFJL_AUDITPATH_H
#define CFJL_AUDITPATH_H

#include <stddef.h>
#include <stdint.h>

/*
 * The text for the n events from IDEvt first, whose .p7m digests are
 * the n 32-byte leaves, in order; NULL if out of memory.
 */
char	*auditpath_text(uint64_t first, const uint8_t *leaves, size_t n,
	    size_t *len);

#endif
