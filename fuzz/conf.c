/*
 * Fuzz the cfjl.conf parser: each input is a configuration file, read
 * through a memory file so that includes and errors follow the real path.
 */
#define _GNU_SOURCE		/* memfd_create */

#include <sys/mman.h>

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <unistd.h>

#include "config.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cfjl_conf	*conf;
	char			 path[64];
	int			 fd;

	if ((fd = memfd_create("cfjl.conf", 0)) == -1)
		return (0);
	if (write(fd, data, size) == (ssize_t)size) {
		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
		if ((conf = parse_config(path)) != NULL) {
			/* Printing must not fail on anything the parser took. */
			if (freopen("/dev/null", "w", stdout) != NULL)
				config_print(conf);
			config_free(conf);
		}
	}
	close(fd);
	return (0);
}
