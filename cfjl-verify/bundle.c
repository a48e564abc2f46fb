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

static int	 path_number(const char *, const char *, const char *,
		    uint64_t *);
static char	*entry_slurp(struct tar *, struct tar_entry *, size_t,
		    struct bundle *);
static void	 entry_certs(struct bundle *, struct tar *, struct tar_entry *);
static int	 entry_lot(struct vctx *, struct bundle *, struct tar *,
		    struct tar_entry *, uint64_t);
static int	 entry_paths(struct bundle *, struct tar *, struct tar_entry *,
		    uint64_t);
static int	 u64_cmp(const void *, const void *);
static int	 entry_event(struct vctx *, struct bundle *, struct tar *,
		    struct tar_entry *, uint64_t);
static int	 lot_cmp(const void *, const void *);
static int	 event_cmp(const void *, const void *);

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
	return (util_parse_u64(digits, n));
}

/* The whole data of a small entry, NUL-terminated; NULL if too big. */
static char *
entry_slurp(struct tar *t, struct tar_entry *e, size_t max, struct bundle *b)
{
	char	*buf;

	if (e->size > max) {
		report_fail("%s: %llu bytes, more than the %zu allowed", e->path,
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
		report_fail("%s appears twice in the bundle", e->path);
		*dup = 1;
		return;
	}
	if ((buf = entry_slurp(t, e, V_CERTS_MAX, b)) == NULL)
		return;
	*pem = buf;
	*len = e->size;
	if ((*sk = certs_parse_pem(buf, e->size)) == NULL)
		report_fail("%s: no PEM certificate in it", e->path);
}

/*
 * A lot: the certificates come first in a bundle (cfjl-export(5)), so a
 * lot is checked as it comes and never kept waiting.  Its bytes, then
 * what parsing them may cost, are taken from the parsing budget before
 * they are read, so that lots on several threads stay within it.
 */
static int
entry_lot(struct vctx *ctx, struct bundle *b, struct tar *t,
    struct tar_entry *e, uint64_t n)
{
	struct vlot	*lot;
	struct xcount	 cnt;
	char		*buf, why[256];
	size_t		 cost, more;

	if (b->nlots > 0 && n <= b->last_lot) {
		report_fail("%s comes after lots/%012llu.xml: out of lot order or "
		    "twice (refused, the rest of the archive is not read)",
		    e->path, (unsigned long long)b->last_lot);
		return (-1);
	}
	b->last_lot = n;
	if (b->nlots == b->lotcap) {
		b->lotcap = b->lotcap ? b->lotcap * 2 : 16;
		b->lots = xreallocarray(b->lots, b->lotcap, sizeof(*b->lots));
	}
	lot = &b->lots[b->nlots++];
	memset(lot, 0, sizeof(*lot));
	lot->file_numero = n;
	lot->numero = n;
	strlcpy(lot->path, e->path, sizeof(lot->path));
	if (b->listed != NULL || b->last_paths != 0) {
		report_fail("%s comes after %s files (refused: the lots come "
		    "first)", e->path, b->listed != NULL ? "event" : "paths");
		return (0);
	}
	if (b->seal_pem == NULL || b->tsa_pem == NULL) {
		report_fail("%s comes before certs/seal.pem and certs/tsa.pem "
		    "(refused: the certificates come first)", e->path);
		return (0);
	}
	if (e->size > V_LOT_MAX) {
		report_fail("%s: %llu bytes, more than a lot can be (%llu)",
		    e->path, (unsigned long long)e->size, V_LOT_MAX);
		return (0);
	}
	if (e->size > V_PARSE_BUDGET / 3) {
		report_error("%s: not checked: %llu bytes, more than the %d MiB "
		    "the verifier parses at once allow", e->path,
		    (unsigned long long)e->size, V_PARSE_BUDGET >> 20);
		return (0);
	}
	cost = work_budget_take(e->size);
	if ((buf = entry_slurp(t, e, V_LOT_MAX, b)) == NULL) {
		work_budget_give(cost);
		return (0);
	}
	util_sha256(buf, e->size, lot->raw_sha);
	/* lotcheck_run() refuses what goes past the bounds, at no cost */
	if (xmlbound_scan(buf, e->size, &lotcheck_bound, &cnt, why,
	    sizeof(why)) == 0) {
		if ((more = xmlbound_cost(e->size, &cnt)) > V_PARSE_BUDGET) {
			report_error("%s: not checked: %zu elements and %zu "
			    "attributes, more than the %d MiB the verifier "
			    "parses at once allow", e->path, cnt.elements,
			    cnt.attrs, V_PARSE_BUDGET >> 20);
			free(buf);
			work_budget_give(cost);
			return (0);
		}
		if (more > cost)
			cost += work_budget_take(more - cost);
	}
	work_lot(b->work, b->nlots - 1, buf, e->size, cost);
	return (0);
}

/*
 * A lot's audit paths: after every lot, before the events, in lot order
 * (cfjl-export(5)).  The lots' summaries are needed, so the checking
 * threads are waited for once, at the first one.
 */
static int
entry_paths(struct bundle *b, struct tar *t, struct tar_entry *e,
    uint64_t n)
{
	struct vlot	*lot;

	if (b->listed != NULL || n <= b->last_paths) {
		report_fail("%s comes %s (refused, the rest of the archive is "
		    "not read)", e->path, b->listed != NULL ?
		    "after event files" : "out of lot order or twice");
		return (-1);
	}
	if (b->last_paths == 0)
		work_sync(b->work);
	b->last_paths = n;
	if ((lot = bundle_lot(b, n)) == NULL) {
		report_fail("%s names no lot of the bundle (refused, the rest "
		    "of the archive is not read)", e->path);
		return (-1);
	}
	pathcheck_entry(lot, t, e);
	return (0);
}

static int
u64_cmp(const void *a, const void *b)
{
	const uint64_t *x = a, *y = b;

	return (*x < *y ? -1 : *x > *y);
}

/*
 * An event file.  The lots have all come before it (cfjl-export(5)), so
 * once they are checked, an event file no lot lists, or one out of
 * IDEvt order (so twice), ends the reading at once: the summaries kept
 * stay within what the lots list, whatever the number of entries.
 */
static int
entry_event(struct vctx *ctx, struct bundle *b, struct tar *t,
    struct tar_entry *e, uint64_t n)
{
	uint8_t		*buf;
	size_t		 i, j;

	if (b->listed == NULL) {
		work_sync(b->work);
		for (i = 0; i < b->nlots; i++)
			b->nlisted += b->lots[i].nentries;
		b->listed = xcalloc(b->nlisted + 1, sizeof(*b->listed));
		for (i = 0, b->nlisted = 0; i < b->nlots; i++)
			for (j = 0; j < b->lots[i].nentries; j++)
				b->listed[b->nlisted++] =
				    b->lots[i].entries[j].idevt;
		qsort(b->listed, b->nlisted, sizeof(*b->listed), u64_cmp);
	}
	if (bsearch(&n, b->listed, b->nlisted, sizeof(n), u64_cmp) == NULL) {
		report_fail("%s is not listed in any lot (extra file; refused, "
		    "the rest of the archive is not read)", e->path);
		return (-1);
	}
	if (n <= b->last_event) {
		report_fail("%s comes after events/%012llu.p7m: out of IDEvt order "
		    "or twice (refused, the rest of the archive is not read)",
		    e->path, (unsigned long long)b->last_event);
		return (-1);
	}
	b->last_event = n;
	if (e->size > V_EVENT_MAX) {
		report_fail("%s: %llu bytes, more than the %d allowed", e->path,
		    (unsigned long long)e->size, V_EVENT_MAX);
		return (0);
	}
	if (b->evbuf == NULL || e->size + 1 > b->evcap) {
		free(b->evbuf);
		b->evcap = e->size + 1 > 64 * 1024 ? e->size + 1 : 64 * 1024;
		b->evbuf = xcalloc(1, b->evcap);
	}
	buf = b->evbuf;
	if (tar_read(t, buf, e->size) == -1)
		return (0);
	/* its digest (and with -k its trace) on a checking thread */
	work_event(b->work, n, buf, e->size);
	return (0);
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
		report_error("cannot open %s: %s", path, strerror(errno));
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
	char		*buf;
	uint64_t	 n, unwraps;
	size_t		 i, j;
	int		 rc;

	memset(b, 0, sizeof(*b));
	b->name = path;
	unwraps = cms_fast_unwraps(ctx->fast);
	b->work = work_start(ctx, b);
	tar_init(&t, fp);
	while ((rc = tar_next(&t, &e)) == 1) {
		if (e.type == '5') {
			if (strcmp(e.path, "certs/") != 0 &&
			    strcmp(e.path, "lots/") != 0 &&
			    strcmp(e.path, "paths/") != 0 &&
			    strcmp(e.path, "events/") != 0) {
				report_fail("entry \"%s\": a directory that is not "
				    "part of the format (refused; the rest of "
				    "the archive is not read)", e.path);
				b->unlisted = 1;
				break;
			}
			continue;
		}
		if (strcmp(e.path, "manifest.json") == 0) {
			if (b->m.present) {
				report_fail("manifest.json appears twice in the "
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
		else if (path_number(e.path, "lots/", ".xml", &n) == 0) {
			if (entry_lot(ctx, b, &t, &e, n) == -1) {
				b->unlisted = 1;
				break;
			}
		}
		else if (path_number(e.path, "paths/", ".txt", &n) == 0) {
			if (entry_paths(b, &t, &e, n) == -1) {
				b->unlisted = 1;
				break;
			}
		}
		else if (path_number(e.path, "events/", ".p7m", &n) == 0) {
			if (entry_event(ctx, b, &t, &e, n) == -1) {
				b->unlisted = 1;
				break;
			}
		}
		else {
			/* nothing is kept per entry: the first one ends it */
			report_fail("entry \"%s\" is not part of the format "
			    "(refused; the rest of the archive is not read)",
			    e.path);
			b->unlisted = 1;
			break;
		}
		if (t.ioerr)
			break;
	}
	if (b->unlisted)
		;
	else if (rc == 0)
		b->complete = 1;
	else if (t.ioerr) {
		report_error("%s: %s", path, t.err);
		b->unreadable = 1;
	} else
		report_fail("bundle archive: %s", t.err);

	work_finish(b->work);
	b->work = NULL;
	free(b->evbuf);
	b->evbuf = NULL;
	b->evcap = 0;
	free(b->listed);
	b->listed = NULL;

	if (!b->m.present)
		report_fail("manifest.json is missing");
	if (b->seal_pem == NULL)
		report_fail("certs/seal.pem is missing");
	if (b->tsa_pem == NULL)
		report_fail("certs/tsa.pem is missing");
	b->unwraps = cms_fast_unwraps(ctx->fast) - unwraps;

	if (b->nlots > 0)
		qsort(b->lots, b->nlots, sizeof(*b->lots), lot_cmp);
	for (i = 0; i < b->nlots; i++)
		if (b->lots[i].paths == 0 && !b->unlisted)
			report_fail("lot %llu: its audit paths (paths/%012llu.txt)"
			    " are missing", (unsigned long long)b->lots[i].numero,
			    (unsigned long long)b->lots[i].file_numero);
	if (b->nevents > 0)
		qsort(b->events, b->nevents, sizeof(*b->events), event_cmp);
	/* fold files present twice into one entry that remembers it */
	for (i = 0, j = 0; i < b->nevents; i++) {
		if (j > 0 && b->events[j - 1].idevt == b->events[i].idevt) {
			b->events[j - 1].count++;
			b->events[j - 1].written |= b->events[i].written;
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
		report_ok("archive: %zu lots, %zu event files, properly ended",
		    b->nlots, b->nevents);
	return (b->unreadable ? -1 : 0);
}

void
bundle_free(struct bundle *b)
{
	size_t	 i;

	for (i = 0; i < b->nlots; i++)
		lotcheck_free(&b->lots[i]);
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
