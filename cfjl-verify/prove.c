/*
 * cfjl-verify prove IDEVT BUNDLE: the proof of one event, taken from a
 * bundle (cfjl-export(5)): the certificates, the lot that lists the
 * event, the event's line of that lot's audit paths and its record.
 * The proof is checked as "cfjl-verify proof" would check it before it
 * is written, so that nothing that does not hold leaves the verifier.
 */
#define _GNU_SOURCE	/* memmem */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/pem.h>

#include "verify.h"

#define PROVE_BLOCK	512

struct prove_out {
	uint8_t		*buf;
	size_t		 len, cap;
};

static void	 prove_put(struct prove_out *, const void *, size_t);
static void	 prove_octal(char *, size_t, uint64_t);
static void	 prove_file(struct prove_out *, const char *, const void *,
		    size_t);
static char	*prove_pem(STACK_OF(X509) *, size_t *);
static int	 prove_range(const char *, size_t, uint64_t *, uint64_t *);
static char	*prove_line(struct tar *, struct tar_entry *, uint64_t,
		    size_t *);
static char	*prove_slurp(struct tar *, struct tar_entry *, size_t);

static void
prove_put(struct prove_out *o, const void *p, size_t len)
{
	if (o->cap - o->len < len) {
		while (o->cap - o->len < len)
			o->cap = o->cap ? o->cap * 2 : 64 * 1024;
		o->buf = xreallocarray(o->buf, o->cap, 1);
	}
	memcpy(o->buf + o->len, p, len);
	o->len += len;
}

static void
prove_octal(char *f, size_t len, uint64_t v)
{
	size_t	 i;

	f[len - 1] = '\0';
	for (i = len - 1; i > 0; i--) {
		f[i - 1] = '0' + (v & 7);
		v >>= 3;
	}
}

/* A USTAR entry in the vault's fixed form: 0444, owner cfjl, mtime 0. */
static void
prove_file(struct prove_out *o, const char *path, const void *data,
    size_t len)
{
	char		 h[PROVE_BLOCK], zero[PROVE_BLOCK];
	unsigned int	 sum = 0;
	size_t		 i;

	memset(h, 0, sizeof(h));
	memcpy(h, path, strlen(path));
	prove_octal(h + 100, 8, 0444);
	prove_octal(h + 108, 8, 0);
	prove_octal(h + 116, 8, 0);
	prove_octal(h + 124, 12, len);
	prove_octal(h + 136, 12, 0);
	h[156] = '0';
	memcpy(h + 257, "ustar", 6);
	memcpy(h + 263, "00", 2);
	memcpy(h + 265, "cfjl", 4);
	memcpy(h + 297, "cfjl", 4);
	memset(h + 148, ' ', 8);
	for (i = 0; i < sizeof(h); i++)
		sum += (unsigned char)h[i];
	prove_octal(h + 148, 7, sum);
	h[155] = ' ';
	prove_put(o, h, sizeof(h));
	prove_put(o, data, len);
	memset(zero, 0, sizeof(zero));
	prove_put(o, zero, (PROVE_BLOCK - len % PROVE_BLOCK) % PROVE_BLOCK);
}

/* The certificates as PEM from their DER: the one form a proof takes. */
static char *
prove_pem(STACK_OF(X509) *sk, size_t *len)
{
	BIO	*bio;
	char	*p, *out = NULL;
	long	 n;
	int	 i;

	if ((bio = BIO_new(BIO_s_mem())) == NULL)
		return (NULL);
	for (i = 0; i < sk_X509_num(sk); i++)
		if (!PEM_write_bio_X509(bio, sk_X509_value(sk, i)))
			goto done;
	if ((n = BIO_get_mem_data(bio, &p)) <= 0)
		goto done;
	out = xcalloc(1, n + 1);
	memcpy(out, p, n);
	*len = n;
 done:
	BIO_free(bio);
	return (out);
}

/* Premier and Dernier of the Lot start tag, read without parsing. */
static int
prove_range(const char *buf, size_t len, uint64_t *premier,
    uint64_t *dernier)
{
	const char	*tag, *end, *p;
	char		 num[21];
	size_t		 i, k;
	const char	*names[2] = { " Premier=\"", " Dernier=\"" };
	uint64_t	*v[2] = { premier, dernier };

	if ((tag = memmem(buf, len, "<Lot ", 5)) == NULL ||
	    (end = memchr(tag, '>', len - (tag - buf))) == NULL)
		return (-1);
	for (k = 0; k < 2; k++) {
		if ((p = memmem(tag, end - tag, names[k],
		    strlen(names[k]))) == NULL)
			return (-1);
		p += strlen(names[k]);
		for (i = 0; i < 20 && p + i < end && p[i] != '"'; i++)
			num[i] = p[i];
		num[i] = '\0';
		if (util_parse_u64(num, v[k]) == -1)
			return (-1);
	}
	return (0);
}

static char *
prove_slurp(struct tar *t, struct tar_entry *e, size_t max)
{
	char	*buf;

	if (e->size > max)
		return (NULL);
	buf = xcalloc(1, e->size + 1);
	if (tar_read(t, buf, e->size) == -1) {
		free(buf);
		return (NULL);
	}
	return (buf);
}

/* The line of idevt in a paths file, read a piece at a time. */
static char *
prove_line(struct tar *t, struct tar_entry *e, uint64_t idevt, size_t *len)
{
	char		 want[24], *buf, *line, *nl, *out = NULL;
	uint64_t	 left = e->size;
	size_t		 have = 0, n, cap = 64 * 1024, wl;

	wl = snprintf(want, sizeof(want), "%llu", (unsigned long long)idevt);
	buf = xcalloc(1, cap + 1);
	while (left > 0) {
		n = cap - have < left ? cap - have : left;
		if (tar_read(t, buf + have, n) == -1)
			break;
		left -= n;
		have += n;
		line = buf;
		while ((nl = memchr(line, '\n', have - (line - buf))) != NULL) {
			if ((size_t)(nl - line) >= wl &&
			    memcmp(line, want, wl) == 0 &&
			    (line[wl] == ' ' || line[wl] == '\n')) {
				*len = nl - line + 1;
				out = xcalloc(1, *len + 1);
				memcpy(out, line, *len);
				goto done;
			}
			line = nl + 1;
		}
		n = have - (line - buf);
		if (n == cap)
			break;		/* a line longer than any path */
		memmove(buf, line, n);
		have = n;
	}
 done:
	free(buf);
	return (out);
}

/*
 * Write the proof of idevt from the bundle to out; 0, or -1 with the
 * reason reported.
 */
int
prove_run(struct vctx *ctx, uint64_t idevt, const char *path, FILE *out)
{
	struct prove_out o;
	struct tar	 t;
	struct tar_entry e;
	STACK_OF(X509)	*seal = NULL, *tsa = NULL;
	FILE		*fp, *mem;
	char		*buf, *lot = NULL, *line = NULL, *ev = NULL, *pem;
	char		 name[64];
	uint64_t	 n, premier, dernier, lotn = 0, lotlen = 0, evlen = 0;
	size_t		 linelen = 0, plen;
	int		 rc = -1, r;

	memset(&o, 0, sizeof(o));
	if ((fp = fopen(path, "rb")) == NULL) {
		report_error("cannot open %s: %s", path, strerror(errno));
		return (-1);
	}
	tar_init(&t, fp);
	while ((r = tar_next(&t, &e)) == 1) {
		if (e.type != '0')
			continue;
		if (strcmp(e.path, "certs/seal.pem") == 0 ||
		    strcmp(e.path, "certs/tsa.pem") == 0) {
			if ((buf = prove_slurp(&t, &e, V_CERTS_MAX)) == NULL)
				continue;
			if (e.path[6] == 's' && seal == NULL)
				seal = certs_parse_pem(buf, e.size);
			else if (e.path[6] == 't' && tsa == NULL)
				tsa = certs_parse_pem(buf, e.size);
			free(buf);
		} else if (lot == NULL && strncmp(e.path, "lots/", 5) == 0) {
			if ((buf = prove_slurp(&t, &e, V_LOT_MAX)) == NULL)
				continue;
			if (prove_range(buf, e.size, &premier, &dernier) == 0 &&
			    premier <= idevt && idevt <= dernier &&
			    sscanf(e.path, "lots/%12llu.xml",
			    (unsigned long long *)&n) == 1) {
				lot = buf;
				lotlen = e.size;
				lotn = n;
			} else
				free(buf);
		} else if (lot != NULL && line == NULL && sscanf(e.path,
		    "paths/%12llu.txt", (unsigned long long *)&n) == 1 &&
		    n == lotn)
			line = prove_line(&t, &e, idevt, &linelen);
		else if (line != NULL && ev == NULL && sscanf(e.path,
		    "events/%12llu.p7m", (unsigned long long *)&n) == 1 &&
		    n == idevt) {
			ev = prove_slurp(&t, &e, V_EVENT_MAX);
			evlen = e.size;
		}
	}
	if (r == -1)
		report_fail("%s: %s", path, t.err);
	fclose(fp);
	if (seal == NULL || tsa == NULL || lot == NULL || line == NULL ||
	    ev == NULL) {
		report_fail("%s: no %s for IDEvt %llu", path, seal == NULL ||
		    tsa == NULL ? "certificates" : lot == NULL ? "lot" :
		    line == NULL ? "audit path" : "record",
		    (unsigned long long)idevt);
		goto done;
	}

	if ((pem = prove_pem(seal, &plen)) == NULL)
		goto done;
	prove_file(&o, "certs/seal.pem", pem, plen);
	free(pem);
	if ((pem = prove_pem(tsa, &plen)) == NULL)
		goto done;
	prove_file(&o, "certs/tsa.pem", pem, plen);
	free(pem);
	snprintf(name, sizeof(name), "lots/%012llu.xml",
	    (unsigned long long)lotn);
	prove_file(&o, name, lot, lotlen);
	snprintf(name, sizeof(name), "paths/%012llu.txt",
	    (unsigned long long)lotn);
	prove_file(&o, name, line, linelen);
	snprintf(name, sizeof(name), "events/%012llu.p7m",
	    (unsigned long long)idevt);
	prove_file(&o, name, ev, evlen);
	buf = xcalloc(1, 2 * PROVE_BLOCK);
	prove_put(&o, buf, 2 * PROVE_BLOCK);
	free(buf);

	/* What is written is what "proof" accepts. */
	if ((mem = fmemopen(o.buf, o.len, "rb")) == NULL) {
		report_error("fmemopen: %s", strerror(errno));
		goto done;
	}
	r = proof_check(ctx, mem, "proof");
	fclose(mem);
	if (r == -1)
		goto done;
	if (fwrite(o.buf, 1, o.len, out) != o.len || fflush(out) != 0) {
		report_error("cannot write the proof: %s", strerror(errno));
		goto done;
	}
	rc = 0;
 done:
	if (seal != NULL)
		sk_X509_pop_free(seal, X509_free);
	if (tsa != NULL)
		sk_X509_pop_free(tsa, X509_free);
	free(lot);
	free(line);
	free(ev);
	free(o.buf);
	return (rc);
}
