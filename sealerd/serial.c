/*
 * The time-stamp serial counter in the state directory.  The file holds
 * one number, the end of the last reserved block, in a fixed-width
 * record rewritten in place and fsync'ed before the block is used.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "serial.h"

#define SERIAL_REC	21	/* 20 digits and a newline */

static int	 serial_reserve(struct serial *, uint64_t);

static int
serial_reserve(struct serial *s, uint64_t limit)
{
	char	 rec[SERIAL_REC + 1];

	snprintf(rec, sizeof(rec), "%020" PRIu64 "\n", limit);
	if (pwrite(s->fd, rec, SERIAL_REC, 0) != SERIAL_REC ||
	    fsync(s->fd) == -1)
		return -1;
	s->limit = limit;
	return 0;
}

int
serial_open(struct serial *s, const char *dir, char *err, size_t errlen)
{
	char		 path[4096], rec[SERIAL_REC + 1];
	const char	*e;
	ssize_t		 n;
	uint64_t	 v = 1;
	int		 fresh = 0;

	memset(s, 0, sizeof(*s));
	s->fd = -1;
	if (dir == NULL || dir[0] == '\0') {
		snprintf(err, errlen, "no state-dir configured for the "
		    "time-stamp serial numbers");
		return -1;
	}
	snprintf(path, sizeof(path), "%s/%s", dir, SERIAL_FILE);
	if ((s->fd = open(path, O_RDWR | O_CLOEXEC | O_NOFOLLOW)) == -1 &&
	    errno == ENOENT) {
		s->fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC |
		    O_NOFOLLOW, 0600);
		fresh = 1;
	}
	if (s->fd == -1) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (!fresh) {
		n = pread(s->fd, rec, SERIAL_REC, 0);
		if (n != SERIAL_REC || rec[SERIAL_REC - 1] != '\n') {
			snprintf(err, errlen, "%s is damaged: refusing to "
			    "guess the next time-stamp serial", path);
			goto fail;
		}
		rec[SERIAL_REC - 1] = '\0';
		v = strtonum(rec, 1, INT64_MAX - SERIAL_BLOCK, &e);
		if (e != NULL) {
			snprintf(err, errlen, "%s is damaged (%s): refusing "
			    "to guess the next time-stamp serial", path, e);
			goto fail;
		}
	} else
		log_info("time-stamp serial numbers start at 1 in %s", path);
	/* Whatever was reserved before a crash may have been used. */
	s->next = v;
	if (serial_reserve(s, v + SERIAL_BLOCK) == -1) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		goto fail;
	}
	return 0;
 fail:
	close(s->fd);
	s->fd = -1;
	return -1;
}

uint64_t
serial_next(struct serial *s)
{
	if (s->fd == -1)
		return 0;
	if (s->next >= s->limit &&
	    serial_reserve(s, s->next + SERIAL_BLOCK) == -1) {
		log_warn("time-stamp serial reservation");
		return 0;
	}
	return s->next++;
}

void
serial_close(struct serial *s)
{
	if (s->fd != -1)
		close(s->fd);
	s->fd = -1;
}
