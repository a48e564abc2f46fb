/*
 * Reading the token PIN: a PIN that others can read is as good as
 * published, so such a file is refused rather than used.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "pinfile.h"

int
pinfile_read(const char *path, char *pin, size_t pinlen, char *err,
    size_t errlen)
{
	struct stat	 st;
	char		 buf[PIN_MAX + 2];
	ssize_t		 n;
	size_t		 len;
	int		 fd;

	if (path == NULL || path[0] == '\0') {
		snprintf(err, errlen, "no PIN file configured");
		return -1;
	}
	if ((fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) == -1) {
		snprintf(err, errlen, "PIN file %s: %s", path,
		    strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "PIN file %s is not a regular file",
		    path);
		close(fd);
		return -1;
	}
	if ((st.st_mode & (S_IRWXG | S_IRWXO)) != 0) {
		snprintf(err, errlen, "PIN file %s has mode %04o: it must "
		    "be readable by its owner only (chmod 600)", path,
		    (unsigned int)(st.st_mode & 07777));
		close(fd);
		return -1;
	}
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n < 0) {
		snprintf(err, errlen, "PIN file %s: %s", path,
		    strerror(errno));
		return -1;
	}
	buf[n] = '\0';
	len = strcspn(buf, "\r\n");
	buf[len] = '\0';
	if (len == 0 || len >= pinlen || len > PIN_MAX) {
		snprintf(err, errlen, "PIN file %s: %s", path, len == 0 ?
		    "empty" : "PIN too long");
		OPENSSL_cleanse(buf, sizeof(buf));
		return -1;
	}
	memcpy(pin, buf, len + 1);
	OPENSSL_cleanse(buf, sizeof(buf));
	return 0;
}
