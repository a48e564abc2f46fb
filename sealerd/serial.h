/*
 * Time-stamp serial numbers that never repeat, even across crashes:
 * blocks of numbers are reserved on disk (written and synced) before any
 * number in them is used; after a crash the next block starts afresh.
 */
#ifndef CFJL_SERIAL_H
#define CFJL_SERIAL_H

#include <stddef.h>
#include <stdint.h>

#define SERIAL_FILE	"tsa-serial"
#define SERIAL_BLOCK	1000

struct serial {
	int		 fd;
	uint64_t	 next;		/* the next number to give */
	uint64_t	 limit;		/* reserved on disk: next < limit */
};

/* Open (or create) dir/tsa-serial and reserve a block; -1 with err. */
int	serial_open(struct serial *, const char *dir, char *err,
	    size_t errlen);
/* The next serial; 0 if the disk refused a new reservation. */
uint64_t serial_next(struct serial *);
void	serial_close(struct serial *);

#endif
