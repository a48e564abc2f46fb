/*
 * A streaming reader of the tar archives that carry export bundles:
 * USTAR headers, with pax extended headers for long paths or sizes.
 * Nothing is extracted: the caller reads each entry's data in turn and
 * decides from the path alone what it is.  Links, devices and GNU
 * extensions are refused; every header checksum is checked; padding is
 * zeros; the archive must end with the two zero blocks, so that a cut
 * is seen.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "verify.h"

#define TAR_BLOCK	512
#define PAX_MAX		(64 * 1024)

static int	 tar_fill(struct tar *, void *, size_t);
static int	 tar_octal(const char *, size_t, uint64_t *);
static int	 tar_zero(const unsigned char *);
static int	 tar_pax(struct tar *, uint64_t, char *, size_t, uint64_t *,
		    int *);

void
tar_init(struct tar *t, FILE *fp)
{
	memset(t, 0, sizeof(*t));
	t->fp = fp;
}

/* Read exactly len bytes; a short read is a cut archive (or I/O error). */
static int
tar_fill(struct tar *t, void *buf, size_t len)
{
	size_t	 n;

	n = fread(buf, 1, len, t->fp);
	t->off += n;
	if (n == len)
		return (0);
	if (ferror(t->fp)) {
		t->ioerr = 1;
		snprintf(t->err, sizeof(t->err), "read error at byte %llu: %s",
		    (unsigned long long)t->off, strerror(errno));
	} else
		snprintf(t->err, sizeof(t->err), "the archive is cut at byte "
		    "%llu (truncated)", (unsigned long long)t->off);
	return (-1);
}

static int
tar_octal(const char *f, size_t len, uint64_t *v)
{
	uint64_t	 n = 0;
	size_t		 i = 0;

	/* base-256 (GNU, large sizes): positive values only */
	if ((unsigned char)f[0] == 0x80) {
		for (i = 1; i < len; i++) {
			if (n >> 56)
				return (-1);
			n = (n << 8) | (unsigned char)f[i];
		}
		*v = n;
		return (0);
	}
	while (i < len && f[i] == ' ')
		i++;
	if (i == len || f[i] < '0' || f[i] > '7')
		return (-1);
	for (; i < len && f[i] >= '0' && f[i] <= '7'; i++) {
		if (n >> 60)
			return (-1);
		n = n * 8 + (f[i] - '0');
	}
	for (; i < len; i++)
		if (f[i] != ' ' && f[i] != '\0')
			return (-1);
	*v = n;
	return (0);
}

static int
tar_zero(const unsigned char *b)
{
	size_t	 i;

	for (i = 0; i < TAR_BLOCK; i++)
		if (b[i] != 0)
			return (0);
	return (1);
}

/*
 * A pax extended header: records "LEN key=value\n".  Only path and size
 * matter here; other keys (mtime, uid, ...) are read and ignored.
 */
static int
tar_pax(struct tar *t, uint64_t size, char *path, size_t pathlen,
    uint64_t *psize, int *havesize)
{
	char		*buf, *p, *end, *eq, *rec;
	uint64_t	 len;
	size_t		 padded;

	if (size > PAX_MAX) {
		snprintf(t->err, sizeof(t->err), "pax header of %llu bytes is "
		    "too large", (unsigned long long)size);
		return (-1);
	}
	padded = (size + TAR_BLOCK - 1) / TAR_BLOCK * TAR_BLOCK;
	buf = xcalloc(1, padded + 1);
	if (tar_fill(t, buf, padded) == -1) {
		free(buf);
		return (-1);
	}
	p = buf;
	end = buf + size;
	while (p < end) {
		rec = p;
		len = 0;
		while (p < end && isdigit((unsigned char)*p) && len < PAX_MAX)
			len = len * 10 + (*p++ - '0');
		if (p >= end || *p != ' ' || len == 0 ||
		    len > (uint64_t)(end - rec) || rec[len - 1] != '\n')
			goto bad;
		p++;
		rec[len - 1] = '\0';
		if ((eq = strchr(p, '=')) == NULL)
			goto bad;
		*eq++ = '\0';
		if (strcmp(p, "path") == 0) {
			if (strlen(eq) >= pathlen ||
			    strlen(eq) != (size_t)(rec + len - 1 - eq))
				goto bad;
			strlcpy(path, eq, pathlen);
		} else if (strcmp(p, "size") == 0) {
			if (util_parse_u64(eq, psize) == -1)
				goto bad;
			*havesize = 1;
		}
		p = rec + len;
	}
	free(buf);
	return (0);
bad:
	snprintf(t->err, sizeof(t->err), "malformed pax header at byte %llu",
	    (unsigned long long)t->off);
	free(buf);
	return (-1);
}

/*
 * Go to the next file entry.  Returns 1 with the entry, 0 at the proper
 * end of the archive, -1 on a malformed or cut archive (t->err, and
 * t->ioerr if the file could not be read).
 */
int
tar_next(struct tar *t, struct tar_entry *e)
{
	unsigned char	 h[TAR_BLOCK];
	char		 paxpath[TAR_PATH_MAX] = "", name[101], prefix[156];
	uint64_t	 sum, calc, paxsize = 0, size;
	int		 havesize = 0, i;

	if (tar_skip(t) == -1)
		return (-1);
	for (;;) {
		memset(e, 0, sizeof(*e));
		e->offset = t->off;
		if (tar_fill(t, h, sizeof(h)) == -1)
			return (-1);
		if (tar_zero(h)) {
			if (tar_fill(t, h, sizeof(h)) == -1)
				return (-1);
			if (!tar_zero(h)) {
				snprintf(t->err, sizeof(t->err), "a lone zero "
				    "block at byte %llu",
				    (unsigned long long)e->offset);
				return (-1);
			}
			/* what follows the end must be padding */
			memset(h, 0, sizeof(h));
			while (fread(h, 1, sizeof(h), t->fp) > 0) {
				if (!tar_zero(h)) {
					snprintf(t->err, sizeof(t->err),
					    "data after the end of the "
					    "archive");
					return (-1);
				}
				memset(h, 0, sizeof(h));
			}
			if (ferror(t->fp)) {
				t->ioerr = 1;
				snprintf(t->err, sizeof(t->err), "read error: "
				    "%s", strerror(errno));
				return (-1);
			}
			return (0);
		}
		if (tar_octal((char *)h + 148, 8, &sum) == -1)
			goto bad;
		calc = 0;
		for (i = 0; i < TAR_BLOCK; i++)
			calc += (i >= 148 && i < 156) ? ' ' : h[i];
		if (sum != calc) {
			snprintf(t->err, sizeof(t->err), "header checksum "
			    "mismatch at byte %llu",
			    (unsigned long long)e->offset);
			return (-1);
		}
		if (memcmp(h + 257, "ustar", 5) != 0)
			goto bad;
		if (tar_octal((char *)h + 124, 12, &size) == -1)
			goto bad;
		e->type = h[156] == '\0' ? '0' : (char)h[156];
		if (e->type == 'x' || e->type == 'g') {
			if (e->type == 'x') {
				if (tar_pax(t, size, paxpath, sizeof(paxpath),
				    &paxsize, &havesize) == -1)
					return (-1);
			} else {
				char	 gpath[TAR_PATH_MAX];
				uint64_t gsize;
				int	 ghave = 0;

				if (tar_pax(t, size, gpath, sizeof(gpath),
				    &gsize, &ghave) == -1)
					return (-1);
			}
			continue;
		}
		if (e->type != '0' && e->type != '5') {
			snprintf(t->err, sizeof(t->err), "entry at byte %llu "
			    "has type '%c': only files are allowed",
			    (unsigned long long)e->offset, e->type);
			return (-1);
		}
		break;
	}
	memcpy(name, h, 100);
	name[100] = '\0';
	memcpy(prefix, h + 345, 155);
	prefix[155] = '\0';
	if (*paxpath != '\0')
		strlcpy(e->path, paxpath, sizeof(e->path));
	else if (*prefix != '\0') {
		strlcpy(e->path, prefix, sizeof(e->path));
		strlcat(e->path, "/", sizeof(e->path));
		strlcat(e->path, name, sizeof(e->path));
	} else
		strlcpy(e->path, name, sizeof(e->path));
	e->size = havesize ? paxsize : size;
	if (e->type == '5')
		e->size = 0;
	t->remain = e->size;
	t->pad = (TAR_BLOCK - e->size % TAR_BLOCK) % TAR_BLOCK;
	return (1);
bad:
	snprintf(t->err, sizeof(t->err), "not a USTAR header at byte %llu",
	    (unsigned long long)e->offset);
	return (-1);
}

/* Read len bytes of the current entry's data (len <= what remains). */
int
tar_read(struct tar *t, void *buf, size_t len)
{
	if (len > t->remain) {
		snprintf(t->err, sizeof(t->err), "read past the entry");
		return (-1);
	}
	if (tar_fill(t, buf, len) == -1)
		return (-1);
	t->remain -= len;
	return (0);
}

/*
 * Skip what is left of the current entry, and its padding, which must
 * be zeros as every writer leaves it: no byte of an archive is free.
 */
int
tar_skip(struct tar *t)
{
	unsigned char	 buf[8192];
	size_t		 n, i;

	while (t->remain > 0) {
		n = t->remain < sizeof(buf) ? t->remain : sizeof(buf);
		if (tar_fill(t, buf, n) == -1)
			return (-1);
		t->remain -= n;
	}
	if (t->pad > 0) {
		if (tar_fill(t, buf, t->pad) == -1)
			return (-1);
		for (i = 0; i < t->pad; i++)
			if (buf[i] != 0) {
				snprintf(t->err, sizeof(t->err), "the padding "
				    "before byte %llu is not zeros",
				    (unsigned long long)t->off);
				return (-1);
			}
		t->pad = 0;
	}
	return (0);
}
