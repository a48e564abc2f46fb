/*
 * Reading one export bundle: the tar stream is walked once; each entry
 * is recognised by its exact path (four kinds, nothing else), bounded in
 * size, and handed to its checker.  Event files become digests, lots
 * become summaries, so memory follows the number of events, not their
 * bytes.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "verify.h"

struct pending {
	struct pending	*next;
	size_t		 idx;		/* into b->lots */
	char		*buf;
	size_t		 len;
};

static int	 path_number(const char *, const char *, const char *,
		    uint64_t *);
static void	 path_printable(const char *, char *, size_t);
static char	*entry_slurp(struct tar *, struct tar_entry *, size_t,
		    struct bundle *);
static void	 entry_certs(struct bundle *, struct tar *, struct tar_entry *);
static void	 entry_lot(struct vctx *, struct bundle *, struct tar *,
		    struct tar_entry *, uint64_t);
static void	 entry_event(struct vctx *, struct bundle *, struct tar *,
		    struct tar_entry *, uint64_t);
static int	 lot_cmp(const void *, const void *);
static int	 event_cmp(const void *, const void *);
static void	 bundle_pending(struct vctx *, struct bundle *);

/* "lots/" + 12 digits + ".xml" -> the number */
static int
path_number(const char *path, const char *dir, const char *ext,
    uint64_t *n)
{
	size_t	 dl = strlen(dir), el = strlen(ext), i;
	char	 digits[13];

	if (strlen(path) != dl + 12 + el || strncmp(path, dir, dl) != 0 ||
	    strcmp(path + dl + 12, ext) != 0)
		return (-1);
	for (i = 0; i < 12; i++)
		if (!isdigit((unsigned char)path[dl + i]))
			return (-1);
	memcpy(digits, path + dl, 12);
	digits[12] = '\0';
	return (parse_u64(digits, n));
}

static void
path_printable(const char *s, char *out, size_t len)
{
	size_t	 n = 0;

	for (; *s != '\0' && n + 5 < len; s++) {
		if (isprint((unsigned char)*s) && *s != '"' && *s != '\\')
			out[n++] = *s;
		else
			n += snprintf(out + n, len - n, "\\x%02x",
			    (unsigned char)*s);
	}
	out[n] = '\0';
}

/* The whole data of a small entry, NUL-terminated; NULL if too big. */
static char *
entry_slurp(struct tar *t, struct tar_entry *e, size_t max, struct bundle *b)
{
	char	*buf;

	if (e->size > max) {
		v_fail("%s: %llu bytes, more than the %zu allowed", e->path,
		    (unsigned long long)e->size, max);
		return (NULL);
	}
	buf = xcalloc(1, e->size + 1);
	if (tar_read(t, buf, e->size) == -1) {
		free(buf);
		return (NULL);
	}
	return (buf);
}

static void
entry_certs(struct bundle *b, struct tar *t, struct tar_entry *e)
{
	STACK_OF(X509)	**sk;
	char		**pem, *buf;
	size_t		*len;
	int		*dup;

	if (strcmp(e->path, "certs/seal.pem") == 0) {
		sk = &b->seal_certs;
		pem = &b->seal_pem;
		len = &b->seal_len;
		dup = &b->seal_dup;
	} else {
		sk = &b->tsa_certs;
		pem = &b->tsa_pem;
		len = &b->tsa_len;
		dup = &b->tsa_dup;
	}
	if (*pem != NULL) {
		v_fail("%s appears twice in the bundle", e->path);
		*dup = 1;
		return;
	}
	if ((buf = entry_slurp(t, e, V_CERTS_MAX, b)) == NULL)
		return;
	*pem = buf;
	*len = e->size;
	if ((*sk = certs_parse_pem(buf, e->size)) == NULL)
		v_fail("%s: no PEM certificate in it", e->path);
}

static void
entry_lot(struct vctx *ctx, struct bundle *b, struct tar *t,
    struct tar_entry *e, uint64_t n)
{
	struct vlot	*lot;
	struct pending	*p;
	char		*buf;
	size_t		 i;

	for (i = 0; i < b->nlots; i++)
		if (b->lots[i].file_numero == n) {
			v_fail("%s appears twice in the bundle", e->path);
			b->lots[i].dup = 1;
			return;
		}
	if ((buf = entry_slurp(t, e, V_LOT_MAX, b)) == NULL)
		return;
	if (b->nlots == b->lotcap) {
		b->lotcap = b->lotcap ? b->lotcap * 2 : 16;
		b->lots = xreallocarray(b->lots, b->lotcap, sizeof(*b->lots));
	}
	lot = &b->lots[b->nlots++];
	memset(lot, 0, sizeof(*lot));
	lot->file_numero = n;
	strlcpy(lot->path, e->path, sizeof(lot->path));
	sha256(buf, e->size, lot->raw_sha);
	if (b->seal_pem == NULL || b->tsa_pem == NULL) {
		/* certificates come later in this archive: wait for them */
		p = xcalloc(1, sizeof(*p));
		p->idx = b->nlots - 1;
		p->buf = buf;
		p->len = e->size;
		p->next = b->pending;
		b->pending = p;
		return;
	}
	work_lot(b->work, b->nlots - 1, buf, e->size);
}

static void
entry_event(struct vctx *ctx, struct bundle *b, struct tar *t,
    struct tar_entry *e, uint64_t n)
{
	uint8_t		*buf;

	if (e->size > V_EVENT_MAX) {
		v_fail("%s: %llu bytes, more than the %d allowed", e->path,
		    (unsigned long long)e->size, V_EVENT_MAX);
		return;
	}
	if (b->evbuf == NULL || e->size + 1 > b->evcap) {
		free(b->evbuf);
		b->evcap = e->size + 1 > 64 * 1024 ? e->size + 1 : 64 * 1024;
		b->evbuf = xcalloc(1, b->evcap);
	}
	buf = b->evbuf;
	if (tar_read(t, buf, e->size) == -1)
		return;
	/* its digest (and with -k its trace) on a checking thread */
	work_event(b->work, n, buf, e->size);
}

static void
bundle_pending(struct vctx *ctx, struct bundle *b)
{
	struct pending	*p, *next;

	for (p = b->pending; p != NULL; p = next) {
		next = p->next;
		if (b->seal_certs != NULL && b->tsa_certs != NULL)
			lot_check(ctx, b, &b->lots[p->idx], p->buf, p->len);
		else
			v_fail("%s: not checked: the bundle lacks usable "
			    "certs/seal.pem or certs/tsa.pem",
			    b->lots[p->idx].path);
		free(p->buf);
		free(p);
	}
	b->pending = NULL;
}

static int
lot_cmp(const void *a, const void *b)
{
	const struct vlot *x = a, *y = b;

	return (x->file_numero < y->file_numero ? -1 :
	    x->file_numero > y->file_numero);
}

static int
event_cmp(const void *a, const void *b)
{
	const struct vevent *x = a, *y = b;

	return (x->idevt < y->idevt ? -1 : x->idevt > y->idevt);
}

/*
 * Read and check one bundle.  Returns -1 only when it could not be read
 * at all (the caller reports exit 2); a damaged archive is a failure,
 * reported, and whatever was read is still checked.
 */
int
bundle_read(struct vctx *ctx, struct bundle *b, const char *path)
{
	FILE	*fp;
	int	 rc;

	if (strcmp(path, "-") == 0)
		return (bundle_read_fp(ctx, b, path, stdin));
	if ((fp = fopen(path, "rb")) == NULL) {
		memset(b, 0, sizeof(*b));
		b->name = path;
		v_error("cannot open %s: %s", path, strerror(errno));
		b->unreadable = 1;
		return (-1);
	}
	/* few large reads rather than one per 4 kB */
	setvbuf(fp, NULL, _IOFBF, 1024 * 1024);
	rc = bundle_read_fp(ctx, b, path, fp);
	fclose(fp);
	return (rc);
}

int
bundle_read_fp(struct vctx *ctx, struct bundle *b, const char *path,
    FILE *fp)
{
	struct tar	 t;
	struct tar_entry e;
	char		 shown[TAR_PATH_MAX * 4], *buf;
	uint64_t	 n, unwraps;
	size_t		 i, j;
	int		 rc;

	memset(b, 0, sizeof(*b));
	b->name = path;
	unwraps = cms_fast_unwraps(ctx->fast);
	b->work = work_start(ctx, b);
	tar_init(&t, fp);
	while ((rc = tar_next(&t, &e)) == 1) {
		path_printable(e.path, shown, sizeof(shown));
		if (e.type == '5') {
			if (strcmp(e.path, "certs/") != 0 &&
			    strcmp(e.path, "lots/") != 0 &&
			    strcmp(e.path, "events/") != 0)
				v_fail("entry \"%s\": a directory that is not "
				    "part of the format", shown);
			continue;
		}
		if (strcmp(e.path, "manifest.json") == 0) {
			if (b->m.present) {
				v_fail("manifest.json appears twice in the "
				    "bundle");
				b->m.valid = 0;
				continue;
			}
			if ((buf = entry_slurp(&t, &e, V_MANIFEST_MAX, b)) ==
			    NULL) {
				b->m.present = 1;
				continue;
			}
			manifest_parse(&b->m, buf, e.size);
			free(buf);
		} else if (strcmp(e.path, "certs/seal.pem") == 0 ||
		    strcmp(e.path, "certs/tsa.pem") == 0)
			entry_certs(b, &t, &e);
		else if (path_number(e.path, "lots/", ".xml", &n) == 0)
			entry_lot(ctx, b, &t, &e, n);
		else if (path_number(e.path, "events/", ".p7m", &n) == 0)
			entry_event(ctx, b, &t, &e, n);
		else
			v_fail("entry \"%s\" is not part of the format "
			    "(refused)", shown);
		if (t.ioerr)
			break;
	}
	if (rc == 0)
		b->complete = 1;
	else if (t.ioerr) {
		v_error("%s: %s", path, t.err);
		b->unreadable = 1;
	} else
		v_fail("bundle archive: %s", t.err);

	work_finish(b->work);
	b->work = NULL;
	free(b->evbuf);
	b->evbuf = NULL;
	b->evcap = 0;

	if (!b->m.present)
		v_fail("manifest.json is missing");
	if (b->seal_pem == NULL)
		v_fail("certs/seal.pem is missing");
	if (b->tsa_pem == NULL)
		v_fail("certs/tsa.pem is missing");
	bundle_pending(ctx, b);
	b->unwraps = cms_fast_unwraps(ctx->fast) - unwraps;

	if (b->nlots > 0)
		qsort(b->lots, b->nlots, sizeof(*b->lots), lot_cmp);
	if (b->nevents > 0)
		qsort(b->events, b->nevents, sizeof(*b->events), event_cmp);
	/* fold files present twice into one entry that remembers it */
	for (i = 0, j = 0; i < b->nevents; i++) {
		if (j > 0 && b->events[j - 1].idevt == b->events[i].idevt) {
			b->events[j - 1].count++;
			if (memcmp(b->events[j - 1].sha, b->events[i].sha,
			    V_SHA256_LEN) != 0)
				b->events[j - 1].count = -1;
			free(b->events[i].why);
			continue;
		}
		b->events[j++] = b->events[i];
	}
	b->nevents = j;
	if (b->complete && !b->unreadable)
		v_ok("archive: %zu lots, %zu event files, properly ended",
		    b->nlots, b->nevents);
	return (b->unreadable ? -1 : 0);
}

void
bundle_free(struct bundle *b)
{
	size_t	 i;

	for (i = 0; i < b->nlots; i++)
		lot_free(&b->lots[i]);
	free(b->lots);
	for (i = 0; i < b->nevents; i++)
		free(b->events[i].why);
	free(b->events);
	free(b->seal_pem);
	free(b->tsa_pem);
	if (b->seal_certs != NULL)
		sk_X509_pop_free(b->seal_certs, X509_free);
	if (b->tsa_certs != NULL)
		sk_X509_pop_free(b->tsa_certs, X509_free);
}

struct vlot *
bundle_lot(struct bundle *b, uint64_t n)
{
	struct vlot	 key;

	if (b->nlots == 0)
		return (NULL);
	key.file_numero = n;
	return (bsearch(&key, b->lots, b->nlots, sizeof(*b->lots), lot_cmp));
}

struct vevent *
bundle_event(struct bundle *b, uint64_t n)
{
	struct vevent	 key;

	if (b->nevents == 0)
		return (NULL);
	key.idevt = n;
	return (bsearch(&key, b->events, b->nevents, sizeof(*b->events),
	    event_cmp));
}
