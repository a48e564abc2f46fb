/*
 * A proof of one event (cfjl-verify proof FILE, cfjl-export(5)): a tar
 * archive of exactly certs/seal.pem, certs/tsa.pem, the lot document,
 * the event's line of the lot's audit paths and the event's record, in
 * that order.  The lot is checked as in a bundle (form, seal, time-
 * stamp, certificates to the trust anchors, Racine against the
 * entries); the record's SHA-256 is its entry's Empreinte and its path
 * leads from it to Racine.  Nothing in the file is free: certificates
 * must be PEM exactly as written from their DER, the lot begins with
 * the vault's XML declaration, the line is in its one form, so that a
 * changed byte anywhere is refused.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/pem.h>

#include "verify.h"

#define PROOF_XMLDECL	"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"

static char	*proof_slurp(struct tar *, struct tar_entry *, size_t);
static int	 proof_pem_exact(const char *, size_t, STACK_OF(X509) *);
static int	 proof_entry(struct tar *, struct tar_entry *, const char *,
		    const char *, uint64_t *);

static char *
proof_slurp(struct tar *t, struct tar_entry *e, size_t max)
{
	char	*buf;

	if (e->size > max) {
		report_fail("%s: %llu bytes, more than the %zu allowed",
		    e->path, (unsigned long long)e->size, max);
		return (NULL);
	}
	buf = xcalloc(1, e->size + 1);
	if (tar_read(t, buf, e->size) == -1) {
		report_fail("proof archive: %s", t->err);
		free(buf);
		return (NULL);
	}
	return (buf);
}

/* The certificates written back as PEM are the file, byte for byte. */
static int
proof_pem_exact(const char *pem, size_t len, STACK_OF(X509) *sk)
{
	BIO	*bio;
	char	*out;
	long	 olen;
	int	 i, rc = -1;

	if ((bio = BIO_new(BIO_s_mem())) == NULL)
		return (-1);
	for (i = 0; i < sk_X509_num(sk); i++)
		if (!PEM_write_bio_X509(bio, sk_X509_value(sk, i)))
			goto done;
	olen = BIO_get_mem_data(bio, &out);
	if (olen >= 0 && (size_t)olen == len && memcmp(out, pem, len) == 0)
		rc = 0;
 done:
	BIO_free(bio);
	return (rc);
}

/*
 * The next entry: a file with that exact path, or with the directory
 * dir and a 12-digit number and ext (its number in *n); -1 if not.
 */
static int
proof_entry(struct tar *t, struct tar_entry *e, const char *dir,
    const char *ext, uint64_t *n)
{
	char	 digits[13];
	size_t	 dl = strlen(dir), el, i;
	int	 rc;

	if ((rc = tar_next(t, e)) != 1) {
		report_fail("proof archive: %s", rc == 0 ? "it ends before "
		    "its five entries" : t->err);
		return (-1);
	}
	if (e->type != '0')
		goto bad;
	if (ext == NULL) {
		if (strcmp(e->path, dir) != 0)
			goto bad;
		return (0);
	}
	el = strlen(ext);
	if (strlen(e->path) != dl + 12 + el || strncmp(e->path, dir, dl) != 0 ||
	    strcmp(e->path + dl + 12, ext) != 0)
		goto bad;
	for (i = 0; i < 12; i++)
		if (e->path[dl + i] < '0' || e->path[dl + i] > '9')
			goto bad;
	memcpy(digits, e->path + dl, 12);
	digits[12] = '\0';
	if (util_parse_u64(digits, n) == -1)
		goto bad;
	return (0);
 bad:
	report_fail("proof archive: entry \"%s\" where %s%s%s is expected",
	    e->path, dir, ext != NULL ? "NNNNNNNNNNNN" : "",
	    ext != NULL ? ext : "");
	return (-1);
}

/*
 * Check one proof.  0 when it holds (the report says so), -1 when not;
 * what was wrong is reported.
 */
int
proof_check(struct vctx *ctx, FILE *fp, const char *name)
{
	struct bundle	 b;
	struct vlot	 lot;
	struct tar	 t;
	struct tar_entry e;
	uint8_t		 path[V_PATH_MAX][V_SHA256_LEN], sha[V_SHA256_LEN];
	char		*lotbuf = NULL, *line = NULL, *ev = NULL;
	uint64_t	 lotn, pathn, evn, idevt;
	size_t		 np, i, evlen = 0;
	struct ventry	*ent = NULL;
	int		 rc = -1;

	memset(&b, 0, sizeof(b));
	memset(&lot, 0, sizeof(lot));
	b.name = name;
	tar_init(&t, fp);

	if (proof_entry(&t, &e, "certs/seal.pem", NULL, NULL) == -1 ||
	    (b.seal_pem = proof_slurp(&t, &e, V_CERTS_MAX)) == NULL)
		goto done;
	b.seal_len = e.size;
	if (proof_entry(&t, &e, "certs/tsa.pem", NULL, NULL) == -1 ||
	    (b.tsa_pem = proof_slurp(&t, &e, V_CERTS_MAX)) == NULL)
		goto done;
	b.tsa_len = e.size;
	if ((b.seal_certs = certs_parse_pem(b.seal_pem, b.seal_len)) == NULL ||
	    proof_pem_exact(b.seal_pem, b.seal_len, b.seal_certs) == -1 ||
	    (b.tsa_certs = certs_parse_pem(b.tsa_pem, b.tsa_len)) == NULL ||
	    proof_pem_exact(b.tsa_pem, b.tsa_len, b.tsa_certs) == -1) {
		report_fail("certs/seal.pem or certs/tsa.pem is not the PEM of "
		    "certificates and nothing else");
		goto done;
	}

	if (proof_entry(&t, &e, "lots/", ".xml", &lotn) == -1 ||
	    (lotbuf = proof_slurp(&t, &e, V_LOT_MAX)) == NULL)
		goto done;
	if (e.size < sizeof(PROOF_XMLDECL) - 1 || memcmp(lotbuf,
	    PROOF_XMLDECL, sizeof(PROOF_XMLDECL) - 1) != 0) {
		report_fail("%s does not begin with the vault's XML "
		    "declaration", e.path);
		goto done;
	}
	lot.file_numero = lotn;
	strlcpy(lot.path, e.path, sizeof(lot.path));
	lotcheck_run(ctx, &b, &lot, lotbuf, e.size);
	if (!lot.parsed || !lot.racine_ok || !lot.sig_ok || !lot.tst_ok) {
		report_fail("lot %llu: the lot document does not hold: the "
		    "proof proves nothing", (unsigned long long)lotn);
		goto done;
	}

	if (proof_entry(&t, &e, "paths/", ".txt", &pathn) == -1 ||
	    (line = proof_slurp(&t, &e, 20 + V_PATH_MAX * 45 + 1)) == NULL)
		goto done;
	if (pathn != lotn || e.size == 0 || line[e.size - 1] != '\n' ||
	    memchr(line, '\n', e.size - 1) != NULL ||
	    pathcheck_parse(line, e.size - 1, &idevt, path, &np) == -1) {
		report_fail("%s is not the one line of lot %llu's audit path "
		    "for the event", e.path, (unsigned long long)lotn);
		goto done;
	}

	if (proof_entry(&t, &e, "events/", ".p7m", &evn) == -1 ||
	    (ev = proof_slurp(&t, &e, V_EVENT_MAX)) == NULL)
		goto done;
	evlen = e.size;
	if (evn != idevt) {
		report_fail("%s is not the record of IDEvt %llu, which the "
		    "path names", e.path, (unsigned long long)idevt);
		goto done;
	}
	if ((rc = tar_next(&t, &e)) != 0) {
		report_fail("proof archive: %s", rc == 1 ? "an entry after "
		    "the record" : t.err);
		rc = -1;
		goto done;
	}
	rc = -1;

	for (i = 0; i < lot.nentries; i++)
		if (lot.entries[i].idevt == idevt)
			ent = &lot.entries[i];
	util_sha256(ev, evlen, sha);
	if (ent == NULL) {
		report_fail("lot %llu does not list IDEvt %llu",
		    (unsigned long long)lotn, (unsigned long long)idevt);
		goto done;
	}
	if (memcmp(sha, ent->empreinte, V_SHA256_LEN) != 0) {
		report_fail("event %llu: the record's SHA-256 is not its "
		    "Empreinte in lot %llu", (unsigned long long)idevt,
		    (unsigned long long)lotn);
		goto done;
	}
	if (pathcheck_event(&lot, idevt, sha,
	    (const uint8_t (*)[V_SHA256_LEN])path, np) == -1) {
		report_fail("event %llu: its audit path does not lead from its "
		    "record to lot %llu's Racine", (unsigned long long)idevt,
		    (unsigned long long)lotn);
		goto done;
	}
	report_ok("event %llu: its record (%zu bytes) is in lot %llu: "
	    "audit path of %zu hashes to the sealed Racine",
	    (unsigned long long)idevt, evlen, (unsigned long long)lotn, np);
	rc = 0;
 done:
	free(lotbuf);
	free(line);
	free(ev);
	lotcheck_free(&lot);
	bundle_free(&b);
	return (rc);
}
