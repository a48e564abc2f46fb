/*
 * The token PIN, read from a file only its owner may read (shared by
 * sealerd and the key ceremony, cfjl-keys).
 */
#ifndef CFJL_PINFILE_H
#define CFJL_PINFILE_H

#include <stddef.h>

#define PIN_MAX		128

/*
 * Read the first line of path into pin.  Refuses a file that is not a
 * regular file or that its group or others may read or write.  0, or
 * -1 with a sentence in err.
 */
int	pinfile_read(const char *path, char *pin, size_t pinlen, char *err,
	    size_t errlen);

#endif
