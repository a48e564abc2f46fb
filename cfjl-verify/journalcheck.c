/*
 * The journal (auditd(8)): successive NNNNNNNN.log files, one JSON
 * record a line, each beginning with a journal-open record that names
 * the previous file with its SHA-256 and the SHA-256 of the previous
 * metadata file, and, once closed (a journal-close record last),
 * NNNNNNNN.xml: its metadata and a detached CMS signature over the exact
 * bytes of the .log.  The metadata's own digest, the one the next file
 * chains to, is taken over the file without its Signature line.
 *
 * Checked here independently of auditd's code: numbering, sequences,
 * the chain, every metadata field against its file, every signature
 * against the trust anchors at the time the file was closed.  The
 * signer is a seal certificate (documentSigning alone, certs.c), never
 * any other certificate of the same authority, and no SHA-1.
 *
 * The time the signer is checked at is that of the journal-close record,
 * inside the signed .log, not the metadata's Closed: the metadata of the
 * newest sealed file is covered by no signature (the next file's chain
 * covers it only once that file is sealed), so Closed is only accepted
 * within a few seconds after that record.
 */
#include <sys/stat.h>

#include <dirent.h>
#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libxml/parser.h>
#include <libxml/tree.h>

#include <openssl/bio.h>
#include <openssl/cms.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include "verify.h"

#define JOURNAL_NS		"urn:cfjl:journal:1"
#define JOURNAL_FILES_MAX	100000
#define JOURNAL_LOG_MAX		(1024ULL * 1024 * 1024)
#define JOURNAL_META_MAX	(1024 * 1024)
#define JOURNAL_LINE_MAX	(64 * 1024)
#define SIG_OPEN		"  <Signature Algorithm=\"CMS\">"
#define SIG_CLOSE		"</Signature>\n"

/* What a .log says about itself. */
struct jlog {
	int		 present;
	uint64_t	 size;
	uint64_t	 records;
	uint64_t	 first_seq, last_seq;
	char		 first_time[40], last_time[40];
	char		 first_event[64], last_event[64];
	int		 has_chain;
	char		 prev_file[32];
	uint8_t		 prev_sha[V_SHA256_LEN];
	uint8_t		 prev_meta[V_SHA256_LEN];
	uint8_t		 sha[V_SHA256_LEN];
	int		 torn;
	int		 bad;		/* unreadable or malformed */
};

static int	 jl_unhex(const char *, uint8_t *);
static void	 jl_hex(const uint8_t *, char *);
static int	 jl_field(struct jv *, const char *, char *, size_t);
static int	 jl_scan(const char *, const char *, struct jlog *);
static char	*jl_slurp(const char *, size_t, size_t *);
static int	 jl_meta(struct vctx *, const char *, const char *,
		    const struct jlog *, const uint8_t *, uint8_t *, int *);
static int	 jl_cms(struct vctx *, const char *, const char *,
		    const uint8_t *, size_t, int64_t);
static int	 jl_cms_algs(CMS_ContentInfo *, char *, size_t);
static const char *jl_text(xmlNodePtr, const char *);

static int
jl_unhex(const char *s, uint8_t *out)
{
	int	 i, hi, lo;

	if (strlen(s) != 2 * V_SHA256_LEN)
		return (-1);
	for (i = 0; i < V_SHA256_LEN; i++) {
		hi = s[2 * i];
		lo = s[2 * i + 1];
		hi = hi >= '0' && hi <= '9' ? hi - '0' :
		    hi >= 'a' && hi <= 'f' ? hi - 'a' + 10 : -1;
		lo = lo >= '0' && lo <= '9' ? lo - '0' :
		    lo >= 'a' && lo <= 'f' ? lo - 'a' + 10 : -1;
		if (hi < 0 || lo < 0)
			return (-1);
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	return (0);
}

static void
jl_hex(const uint8_t *p, char *out)
{
	int	 i;

	for (i = 0; i < V_SHA256_LEN; i++)
		snprintf(out + 2 * i, 3, "%02x", p[i]);
}

static int
jl_field(struct jv *o, const char *key, char *buf, size_t len)
{
	struct jv	*v;

	if ((v = jsonread_get(o, key)) == NULL || v->type != J_STR ||
	    strlcpy(buf, v->str, len) >= len)
		return (-1);
	return (0);
}

/* Read a .log line by line: records, sequences, the chain fields. */
static int
jl_scan(const char *dir, const char *name, struct jlog *l)
{
	EVP_MD_CTX	*md;
	struct jv	*o;
	FILE		*fp;
	char		 path[PATH_MAX], *line, err[128], hex[80];
	size_t		 cap = JOURNAL_LINE_MAX + 2, n;
	uint64_t	 seq, lineno = 0;
	unsigned int	 mdlen;
	int		 c;

	memset(l, 0, sizeof(*l));
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if ((fp = fopen(path, "rb")) == NULL) {
		report_error("%s: %s", name, strerror(errno));
		l->bad = 1;
		return (-1);
	}
	l->present = 1;
	line = xcalloc(1, cap);
	if ((md = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestInit_ex(md, EVP_sha256(), NULL) != 1)
		errx(2, "SHA-256");
	for (;;) {
		n = 0;
		while ((c = getc(fp)) != EOF) {
			if (n + 1 >= cap) {
				report_fail("%s line %llu: longer than %d bytes",
				    name, (unsigned long long)lineno + 1,
				    JOURNAL_LINE_MAX);
				l->bad = 1;
				goto done;
			}
			line[n++] = (char)c;
			if (c == '\n')
				break;
		}
		if (n == 0)
			break;
		EVP_DigestUpdate(md, line, n);
		l->size += n;
		if (l->size > JOURNAL_LOG_MAX) {
			report_fail("%s: larger than the journal allows", name);
			l->bad = 1;
			goto done;
		}
		if (line[n - 1] != '\n') {
			report_fail("%s: ends with %zu bytes that are not a whole "
			    "record", name, n);
			l->torn = 1;
			break;
		}
		lineno++;
		if ((o = jsonread_parse(line, n - 1, err, sizeof(err))) == NULL ||
		    jsonread_u64(jsonread_get(o, "seq"), &seq) == -1 ||
		    jsonread_get(o, "time") == NULL ||
		    jsonread_get(o, "event") == NULL) {
			report_fail("%s line %llu: not a journal record", name,
			    (unsigned long long)lineno);
			jsonread_free(o);
			l->bad = 1;
			goto done;
		}
		if (l->records > 0 && seq != l->last_seq + 1) {
			report_fail("%s line %llu: sequence %llu follows %llu", name,
			    (unsigned long long)lineno,
			    (unsigned long long)seq,
			    (unsigned long long)l->last_seq);
			l->bad = 1;
		}
		if (l->records == 0) {
			l->first_seq = seq;
			jl_field(o, "time", l->first_time,
			    sizeof(l->first_time));
			jl_field(o, "event", l->first_event,
			    sizeof(l->first_event));
			if (jl_field(o, "prev_file", l->prev_file,
			    sizeof(l->prev_file)) == 0 &&
			    jl_field(o, "prev_sha256", hex, sizeof(hex)) == 0 &&
			    jl_unhex(hex, l->prev_sha) == 0 &&
			    jl_field(o, "prev_meta_sha256", hex,
			    sizeof(hex)) == 0 && jl_unhex(hex, l->prev_meta) == 0)
				l->has_chain = 1;
		}
		l->records++;
		l->last_seq = seq;
		jl_field(o, "time", l->last_time, sizeof(l->last_time));
		jl_field(o, "event", l->last_event, sizeof(l->last_event));
		jsonread_free(o);
	}
	if (ferror(fp)) {
		report_error("%s: %s", name, strerror(errno));
		l->bad = 1;
	}
done:
	EVP_DigestFinal_ex(md, l->sha, &mdlen);
	EVP_MD_CTX_free(md);
	free(line);
	fclose(fp);
	return (l->bad ? -1 : 0);
}

static char *
jl_slurp(const char *path, size_t max, size_t *len)
{
	FILE	*fp;
	char	*buf;
	size_t	 n;

	if ((fp = fopen(path, "rb")) == NULL)
		return (NULL);
	buf = xcalloc(1, max + 1);
	n = fread(buf, 1, max + 1, fp);
	if (ferror(fp) || n > max) {
		fclose(fp);
		free(buf);
		errno = EFBIG;
		return (NULL);
	}
	fclose(fp);
	*len = n;
	return (buf);
}

static const char *
jl_text(xmlNodePtr root, const char *name)
{
	xmlNodePtr	 n;

	for (n = root->children; n != NULL; n = n->next)
		if (n->type == XML_ELEMENT_NODE &&
		    strcmp((const char *)n->name, name) == 0 &&
		    n->children != NULL && n->children->type == XML_TEXT_NODE &&
		    n->children->next == NULL)
			return ((const char *)n->children->content);
	return (NULL);
}

/* One SignerInfo, its digest and signature algorithms SHA-256 or more. */
static int
jl_cms_algs(CMS_ContentInfo *cms, char *err, size_t errlen)
{
	STACK_OF(CMS_SignerInfo) *sis;
	X509_ALGOR		*dig, *sig;
	int			 md, pk;

	if ((sis = CMS_get0_SignerInfos(cms)) == NULL ||
	    sk_CMS_SignerInfo_num(sis) != 1) {
		snprintf(err, errlen, "the signature must have exactly one "
		    "signer");
		return (-1);
	}
	CMS_SignerInfo_get0_algs(sk_CMS_SignerInfo_value(sis, 0), NULL, NULL,
	    &dig, &sig);
	if (dig == NULL || !certs_digest_ok(OBJ_obj2nid(dig->algorithm))) {
		snprintf(err, errlen, "the signature uses the digest %s (only "
		    "SHA-256 or stronger is accepted)",
		    dig ? OBJ_nid2sn(OBJ_obj2nid(dig->algorithm)) : "?");
		return (-1);
	}
	if (sig != NULL && OBJ_find_sigid_algs(OBJ_obj2nid(sig->algorithm),
	    &md, &pk) && md != NID_undef && !certs_digest_ok(md)) {
		snprintf(err, errlen, "the signature uses %s",
		    OBJ_nid2sn(OBJ_obj2nid(sig->algorithm)));
		return (-1);
	}
	return (0);
}

/* The detached signature, its signer trusted at the closing time. */
static int
jl_cms(struct vctx *ctx, const char *dir, const char *logname,
    const uint8_t *der, size_t len, int64_t when_ms)
{
	const unsigned char	*p = der;
	CMS_ContentInfo		*cms = NULL;
	STACK_OF(X509)		*signers = NULL, *certs = NULL;
	X509_STORE		*st = NULL;
	BIO			*content = NULL;
	char			 path[PATH_MAX], err[256], name[256];
	unsigned long		 e;
	int			 i, rc = -1;

	snprintf(path, sizeof(path), "%s/%s", dir, logname);
	if ((cms = d2i_CMS_ContentInfo(NULL, &p, (long)len)) == NULL ||
	    p != der + len) {
		report_fail("%s: its signature is not a DER CMS structure",
		    logname);
		goto done;
	}
	if ((content = BIO_new_file(path, "rb")) == NULL ||
	    (st = X509_STORE_new()) == NULL) {
		report_error("%s: cannot read it", logname);
		goto done;
	}
	for (i = 0; i < sk_X509_num(ctx->trust_certs); i++)
		X509_STORE_add_cert(st, sk_X509_value(ctx->trust_certs, i));
	X509_VERIFY_PARAM_set_time(X509_STORE_get0_param(st),
	    (time_t)(when_ms / 1000));
	X509_STORE_set_flags(st, X509_V_FLAG_PARTIAL_CHAIN);
	X509_STORE_set_purpose(st, X509_PURPOSE_ANY);
	if (CMS_verify(cms, NULL, st, content, NULL, CMS_BINARY) != 1) {
		e = ERR_peek_last_error();
		report_fail("%s: the CMS signature does not verify over the file "
		    "with the trust anchors: %s", logname,
		    e ? ERR_reason_error_string(e) : "?");
		goto done;
	}
	if (jl_cms_algs(cms, err, sizeof(err)) == -1) {
		report_fail("%s: %s", logname, err);
		goto done;
	}
	if ((signers = CMS_get0_signers(cms)) == NULL ||
	    sk_X509_num(signers) != 1) {
		report_fail("%s: the signature must have exactly one signer",
		    logname);
		goto done;
	}
	if (certs_seal_usage(sk_X509_value(signers, 0), err,
	    sizeof(err)) == -1) {
		report_fail("%s: the signer %s may not seal: %s", logname,
		    certs_name(sk_X509_value(signers, 0), name, sizeof(name)),
		    err);
		goto done;
	}
	/* the path again, for the digests its certificates are signed with */
	certs = CMS_get1_certs(cms);
	if (certs_verify(ctx, sk_X509_value(signers, 0), certs,
	    (time_t)(when_ms / 1000), err, sizeof(err)) == -1) {
		report_fail("%s: the signer %s is refused: %s", logname,
		    certs_name(sk_X509_value(signers, 0), name, sizeof(name)),
		    err);
		goto done;
	}
	if (revoke_check(ctx, sk_X509_value(signers, 0), certs,
	    (time_t)(when_ms / 1000), err, sizeof(err)) == -1) {
		report_fail("%s: the signer %s is refused: %s", logname,
		    certs_name(sk_X509_value(signers, 0), name, sizeof(name)),
		    err);
		goto done;
	}
	rc = 0;
done:
	ERR_clear_error();
	sk_X509_free(signers);
	sk_X509_pop_free(certs, X509_free);
	X509_STORE_free(st);
	BIO_free(content);
	CMS_ContentInfo_free(cms);
	return (rc);
}

/*
 * NNNNNNNN.xml against its .log; digest gets the metadata digest the
 * next file chains to.  Returns 0 if it holds, -1 if not; *sealed says
 * whether it carries a signature that verifies.
 */
static int
jl_meta(struct vctx *ctx, const char *dir, const char *xname,
    const struct jlog *l, const uint8_t *prevmeta, uint8_t *digest,
    int *sealed)
{
	xmlDocPtr	 doc = NULL;
	xmlNodePtr	 root;
	char		 path[PATH_MAX], logname[32], want[80], *buf, *s, *e;
	char		*rest = NULL;
	const char	*v;
	uint8_t		*der = NULL, md[V_SHA256_LEN];
	size_t		 len, derlen = 0, restlen;
	uint64_t	 u;
	int64_t		 closed_ms, close_ms;
	int		 bad = 0;

	*sealed = 0;
	snprintf(logname, sizeof(logname), "%.8s.log", xname);
	snprintf(path, sizeof(path), "%s/%s", dir, xname);
	if ((buf = jl_slurp(path, JOURNAL_META_MAX, &len)) == NULL) {
		report_error("%s: %s", xname, strerror(errno));
		return (-1);
	}
	/* the unsigned form: the file less its one Signature line */
	if ((s = strstr(buf, SIG_OPEN)) != NULL) {
		if ((e = strstr(s, SIG_CLOSE)) == NULL ||
		    memchr(s, '\n', e - s) != NULL ||
		    strstr(e, SIG_OPEN) != NULL) {
			report_fail("%s: malformed Signature", xname);
			free(buf);
			return (-1);
		}
		*e = '\0';
		if (util_b64_decode_alloc(s + strlen(SIG_OPEN), &der, &derlen) ==
		    -1 || derlen == 0) {
			report_fail("%s: the Signature is not base64", xname);
			bad = 1;
		}
		*e = '<';
		restlen = len - (size_t)(e + strlen(SIG_CLOSE) - s);
		rest = xcalloc(1, restlen + 1);
		memcpy(rest, buf, s - buf);
		memcpy(rest + (s - buf), e + strlen(SIG_CLOSE),
		    len - (size_t)(e + strlen(SIG_CLOSE) - buf));
	} else {
		restlen = len;
		rest = xcalloc(1, len + 1);
		memcpy(rest, buf, len);
	}
	util_sha256(rest, restlen, digest);

	{
		static const struct xbound lim = { JOURNAL_META_MAX,
		    V_META_ELEMENTS, V_META_ATTRS, V_XML_DEPTH };
		struct xcount	 cnt;
		char		 why[256];

		if (xmlbound_scan(buf, len, &lim, &cnt, why, sizeof(why)) ==
		    -1) {
			report_fail("%s: refused before parsing: %s", xname, why);
			bad = 1;
			goto done;
		}
	}
	doc = xmlReadMemory(buf, (int)len, xname, NULL, XML_PARSE_NONET |
	    XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
	if (doc == NULL || doc->intSubset != NULL ||
	    (root = xmlDocGetRootElement(doc)) == NULL ||
	    root->ns == NULL ||
	    strcmp((const char *)root->ns->href, JOURNAL_NS) != 0 ||
	    strcmp((const char *)root->name, "JournalFile") != 0) {
		report_fail("%s: not a journal metadata document", xname);
		bad = 1;
		goto done;
	}
#define MFAIL(...) do { report_fail(__VA_ARGS__); bad = 1; } while (0)
	if ((v = jl_text(root, "File")) == NULL || strcmp(v, logname) != 0)
		MFAIL("%s: File does not name %s", xname, logname);
	if ((v = jl_text(root, "Size")) == NULL || util_parse_u64(v, &u) == -1 ||
	    u != l->size)
		MFAIL("%s: Size %s, but %s has %llu bytes", xname,
		    v ? v : "missing", logname, (unsigned long long)l->size);
	if ((v = jl_text(root, "Records")) == NULL ||
	    util_parse_u64(v, &u) == -1 || u != l->records)
		MFAIL("%s: Records %s, but %s has %llu records", xname,
		    v ? v : "missing", logname,
		    (unsigned long long)l->records);
	if ((v = jl_text(root, "FirstSequence")) == NULL ||
	    util_parse_u64(v, &u) == -1 || u != l->first_seq ||
	    (v = jl_text(root, "LastSequence")) == NULL ||
	    util_parse_u64(v, &u) == -1 || u != l->last_seq)
		MFAIL("%s: the sequences are not those of %s", xname, logname);
	if ((v = jl_text(root, "FirstTime")) == NULL ||
	    strcmp(v, l->first_time) != 0 ||
	    (v = jl_text(root, "LastTime")) == NULL ||
	    strcmp(v, l->last_time) != 0)
		MFAIL("%s: the first or last record time is not that of %s",
		    xname, logname);
	jl_hex(l->sha, want);
	if ((v = jl_text(root, "SHA256")) == NULL || jl_unhex(v, md) == -1 ||
	    memcmp(md, l->sha, V_SHA256_LEN) != 0)
		MFAIL("%s: SHA256 does not match %s: the file was changed",
		    xname, logname);
	if ((v = jl_text(root, "PreviousMetadataSHA256")) == NULL ||
	    jl_unhex(v, md) == -1 ||
	    memcmp(md, prevmeta, V_SHA256_LEN) != 0)
		MFAIL("%s: PreviousMetadataSHA256 does not match the previous "
		    "metadata file", xname);
#undef MFAIL
	/* the signed time: the journal-close record's; Closed follows it */
	if (util_parse_iso8601_ms(l->last_time, &close_ms) == -1) {
		report_fail("%s: its last record has no valid time", logname);
		bad = 1;
		close_ms = (int64_t)time(NULL) * 1000;
	}
	if ((v = jl_text(root, "Closed")) == NULL ||
	    util_parse_iso8601_ms(v, &closed_ms) == -1) {
		report_fail("%s: Closed missing or not a UTC time", xname);
		bad = 1;
	} else if (closed_ms < close_ms || closed_ms > close_ms + V_SKEW_MS) {
		report_fail("%s: Closed %s is not within %d s after the "
		    "journal-close record of %s (%s)", xname, v,
		    V_SKEW_MS / 1000, logname, l->last_time);
		bad = 1;
	}
	if (der != NULL) {
		if (jl_cms(ctx, dir, logname, der, derlen, close_ms) == 0)
			*sealed = 1;
		else
			bad = 1;
	}
done:
	xmlFreeDoc(doc);
	free(der);
	free(rest);
	free(buf);
	return (bad ? -1 : 0);
}

int
journalcheck_run(struct vctx *ctx, const char *dir)
{
	struct jlog	 prev, cur;
	struct dirent	*de;
	DIR		*d;
	uint8_t		*have, prevmeta[V_SHA256_LEN], digest[V_SHA256_LEN];
	uint8_t		 before[V_SHA256_LEN];
	char		 name[32], xname[32], expect[32], path[PATH_MAX];
	uint64_t	 lo = 0, hi = 0, n, uncovered = 0, last_sealed = 0;
	uint64_t	 nfiles = 0;
	struct stat	 sb;
	int		 sealed, closed, fbad;
	size_t		 l;

	if ((d = opendir(dir)) == NULL) {
		report_error("cannot open the journal directory %s: %s", dir,
		    strerror(errno));
		return (-1);
	}
	have = xcalloc(JOURNAL_FILES_MAX + 1, 1);
	while ((de = readdir(d)) != NULL) {
		l = strlen(de->d_name);
		if (de->d_name[0] == '.')
			continue;
		if (l == 12 && strspn(de->d_name, "0123456789") == 8 &&
		    (strcmp(de->d_name + 8, ".log") == 0 ||
		    strcmp(de->d_name + 8, ".xml") == 0)) {
			char	 num[9];

			memcpy(num, de->d_name, 8);
			num[8] = '\0';
			if (util_parse_u64(num, &n) == -1 || n == 0 ||
			    n > JOURNAL_FILES_MAX) {
				report_fail("%s: not a journal file number",
				    de->d_name);
				continue;
			}
			have[n] |= de->d_name[9] == 'l' ? 1 : 2;
			if (de->d_name[9] == 'l') {
				if (lo == 0 || n < lo)
					lo = n;
			}
			if (n > hi)
				hi = n;
		} else
			report_note("%s: not a journal file, ignored", de->d_name);
	}
	closedir(d);
	if (lo == 0) {
		report_fail("%s holds no journal file", dir);
		free(have);
		return (-1);
	}
	if (lo > 1)
		report_note("the journal begins at %08llu.log: its link to "
		    "%08llu.log cannot be checked", (unsigned long long)lo,
		    (unsigned long long)lo - 1);

	memset(&prev, 0, sizeof(prev));
	memset(prevmeta, 0, sizeof(prevmeta));
	for (n = lo; n <= hi; n++) {
		snprintf(name, sizeof(name), "%08llu.log",
		    (unsigned long long)n);
		snprintf(xname, sizeof(xname), "%08llu.xml",
		    (unsigned long long)n);
		snprintf(expect, sizeof(expect), n == 1 ? "" : "%08llu.log",
		    (unsigned long long)n - 1);
		if (!(have[n] & 1)) {
			report_fail("%s is missing", name);
			memset(&prev, 0, sizeof(prev));
			prev.bad = 1;
			continue;
		}
		nfiles++;
		fbad = jl_scan(dir, name, &cur) == -1 || cur.torn;

		/* the chain, from the first record */
		if (!cur.has_chain || strcmp(cur.first_event,
		    "journal-open") != 0) {
			report_fail("%s: does not begin with a journal-open record "
			    "naming the previous file", name);
			fbad = 1;
		} else if (n > lo || n == 1) {
			static const uint8_t zero[V_SHA256_LEN];

			if (strcmp(cur.prev_file, expect) != 0) {
				report_fail("%s: names \"%s\" as the previous file, "
				    "not \"%s\"", name, cur.prev_file, expect);
				fbad = 1;
			}
			if (!prev.bad && memcmp(cur.prev_sha, n == 1 ? zero :
			    prev.sha, V_SHA256_LEN) != 0) {
				report_fail("%s: the SHA-256 it records for %s does "
				    "not match that file", name,
				    n == 1 ? "(none)" : expect);
				fbad = 1;
			}
			if (!prev.bad && memcmp(cur.prev_meta, prevmeta,
			    V_SHA256_LEN) != 0) {
				report_fail("%s: the SHA-256 it records for the "
				    "previous metadata does not match it",
				    name);
				fbad = 1;
			}
		}
		if (n == 1 && cur.first_seq != 1) {
			report_fail("%s: begins at sequence %llu, not 1", name,
			    (unsigned long long)cur.first_seq);
			fbad = 1;
		}
		if (n > lo && !prev.bad && prev.records > 0 &&
		    cur.first_seq != prev.last_seq + 1) {
			report_fail("%s: begins at sequence %llu, the previous file "
			    "ended at %llu", name,
			    (unsigned long long)cur.first_seq,
			    (unsigned long long)prev.last_seq);
			fbad = 1;
		}

		closed = strcmp(cur.last_event, "journal-close") == 0;
		memcpy(before, prevmeta, sizeof(before));
		memset(prevmeta, 0xff, sizeof(prevmeta));	/* unknown */
		sealed = 0;
		if (!closed) {
			if (n != hi || (have[n] & 2)) {
				report_fail("%s: not closed (no journal-close "
				    "record), yet it is not the last file",
				    name);
				fbad = 1;
			} else
				report_note("%s is open: its %llu records are not "
				    "sealed yet", name,
				    (unsigned long long)cur.records);
		} else if (!(have[n] & 2)) {
			report_fail("%s is closed but %s is missing", name, xname);
			fbad = 1;
		} else {
			snprintf(path, sizeof(path), "%s/%s", dir, xname);
			if (stat(path, &sb) == -1 || !S_ISREG(sb.st_mode)) {
				report_fail("%s is not a file", xname);
				fbad = 1;
			} else if (jl_meta(ctx, dir, xname, &cur, n == lo &&
			    lo > 1 ? cur.prev_meta : before, digest,
			    &sealed) == -1)
				fbad = 1;
			memcpy(prevmeta, digest, sizeof(prevmeta));
			if (sealed)
				last_sealed = n;
			else
				uncovered = n;
		}
		if (!fbad)
			report_ok("%s: %llu records (%llu to %llu), chained%s",
			    name, (unsigned long long)cur.records,
			    (unsigned long long)cur.first_seq,
			    (unsigned long long)cur.last_seq,
			    sealed ? ", sealed" : closed ?
			    ", closed (no seal yet)" : ", open");
		prev = cur;
	}
	/* a file without a seal is covered by the next file's seal */
	if (uncovered > last_sealed)
		report_fail("%08llu.xml has no seal and no later sealed file covers "
		    "it", (unsigned long long)uncovered);
	else if (uncovered != 0)
		report_note("some closed files are not sealed yet; later sealed "
		    "files cover them through the chain");
	free(have);
	if (nfiles > 0 && report_failures() == 0)
		report_ok("journal: %llu files, every record in sequence, every "
		    "file chained", (unsigned long long)nfiles);
	return (0);
}
