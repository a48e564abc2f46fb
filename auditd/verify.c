/*
 * The journal as auditd sees it, for cfjlctl journal list and verify:
 * every file present and numbered without a gap, every record in
 * sequence, every file chained to the one before (its first record names
 * the previous file and the digests of that file and of its metadata),
 * every closed file matching its metadata, every signature holding over
 * its file's bytes.  Trust in the signer is for cfjl-verify.
 */
#include <sys/types.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "auditd.h"
#include "control.h"

struct verify_state {
	struct ctl_text	*t;
	int		 json;
	int		 nfiles;	/* reported so far */
	int		 nproblems;
	int		 fproblems;	/* in the current file */
};

static int	verify_numbers(int, uint32_t *, uint32_t *, uint32_t *);
static void	verify_problem(struct verify_state *, const char *, ...)
		    __attribute__((__format__(printf, 2, 3)));
static void	verify_file_begin(struct verify_state *, const char *);
static void	verify_file_end(struct verify_state *, const char *,
		    const struct journal_stats *);

/* Lowest and highest .log numbers, and the highest .xml. */
static int
verify_numbers(int dirfd, uint32_t *lo, uint32_t *hi, uint32_t *xhi)
{
	struct dirent	*de;
	DIR		*d;
	uint32_t	 n;
	int		 dfd;

	*lo = *hi = *xhi = 0;
	if ((dfd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC)) ==
	    -1 || (d = fdopendir(dfd)) == NULL)
		return -1;
	while ((de = readdir(d)) != NULL) {
		if (record_journal_number(de->d_name, "log", &n) == 0) {
			if (*lo == 0 || n < *lo)
				*lo = n;
			if (n > *hi)
				*hi = n;
		} else if (record_journal_number(de->d_name, "xml", &n) == 0 &&
		    n > *xhi)
			*xhi = n;
	}
	closedir(d);
	return 0;
}

static void
verify_problem(struct verify_state *v, const char *fmt, ...)
{
	va_list	 ap;
	char	 msg[512];

	va_start(ap, fmt);
	(void)vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (v->json) {
		control_text_printf(v->t, "%s", v->fproblems > 0 ? "," : "");
		control_text_json(v->t, msg);
	} else
		control_text_printf(v->t, "    %s\n", msg);
	v->fproblems++;
	v->nproblems++;
}

static void
verify_file_begin(struct verify_state *v, const char *name)
{
	v->fproblems = 0;
	if (v->json) {
		control_text_printf(v->t, "%s{\"file\":\"%s\",\"problems\":[",
		    v->nfiles > 0 ? "," : "", name);
	} else
		control_text_printf(v->t, "%s\n", name);
	v->nfiles++;
}

static void
verify_file_end(struct verify_state *v, const char *state,
    const struct journal_stats *st)
{
	if (v->json) {
		control_text_printf(v->t, "],\"ok\":%s,\"state\":\"%s\","
		    "\"records\":%" PRIu64 ",\"first_seq\":%" PRIu64 ","
		    "\"last_seq\":%" PRIu64 "}", v->fproblems ? "false" :
		    "true", state, st->records, st->first_seq, st->last_seq);
		return;
	}
	if (v->fproblems == 0)
		control_text_printf(v->t, "    ok, %s, records %" PRIu64 "-%"
		    PRIu64 "\n", state, st->first_seq, st->last_seq);
}

/*
 * cur and nextseq: where auditd is writing, so that files removed
 * from the end of the journal show too.  0 if all holds, -1 if not.
 */
int
verify_journal(int dirfd, struct ctl_text *t, int json)
{
	struct verify_state	 v = { t, json, 0, 0, 0 };
	struct journal_stats	 st, prev;
	struct journal_meta	 m;
	char			 name[JOURNAL_NAME_LEN], xml[JOURNAL_NAME_LEN];
	char			 err[256], expect[JOURNAL_NAME_LEN];
	uint8_t			 prevmeta[SHA256_LEN], *der;
	uint32_t		 lo, hi, xhi, n, cur = journal_current();
	uint64_t		 nextseq = journal_next_seq();
	size_t			 derlen;
	const char		*state;
	int			 closed, havexml;

	if (json)
		control_text_printf(t, "{\"files\":[");
	if (verify_numbers(dirfd, &lo, &hi, &xhi) == -1) {
		if (json)
			control_text_printf(t, "],\"ok\":false,\"error\":");
		snprintf(err, sizeof(err), "cannot read the journal "
		    "directory: %s", strerror(errno));
		if (json) {
			control_text_json(t, err);
			control_text_printf(t, "}");
		} else
			control_text_printf(t, "%s\n", err);
		return -1;
	}
	memset(&prev, 0, sizeof(prev));
	memset(prevmeta, 0, sizeof(prevmeta));
	if (hi < cur)
		hi = cur;
	if (xhi > hi)
		hi = xhi;

	for (n = 1; n <= hi; n++) {
		record_journal_name(n, "log", name);
		record_journal_name(n, "xml", xml);
		verify_file_begin(&v, name);
		memset(&st, 0, sizeof(st));
		havexml = faccessat(dirfd, xml, F_OK, 0) == 0;
		if (record_scan(dirfd, name, &st) == -1) {
			verify_problem(&v, "%s", errno == ENOENT ||
			    strstr(st.error, "No such file") != NULL ?
			    "the file is missing" : st.error);
			verify_file_end(&v, "damaged", &st);
			/* The next file cannot be checked against it. */
			memset(&prev, 0, sizeof(prev));
			prev.last_seq = 0;
			memset(prevmeta, 0xff, sizeof(prevmeta));
			continue;
		}
		if (st.torn != 0)
			verify_problem(&v, "ends with %lld bytes that are not "
			    "a whole record", (long long)st.torn);

		/* The chain: the first record names the file before. */
		if (n == 1)
			expect[0] = '\0';
		else
			record_journal_name(n - 1, "log", expect);
		if (!st.has_chain)
			verify_problem(&v, "does not begin with a journal-open "
			    "record");
		else {
			if (strcmp(st.chain.prev_file, expect) != 0)
				verify_problem(&v, "names \"%s\" as the "
				    "previous file, not \"%s\"",
				    st.chain.prev_file, expect);
			if (memcmp(st.chain.prev_sha256, n == 1 ?
			    (const uint8_t[SHA256_LEN]){ 0 } : prev.sha256,
			    SHA256_LEN) != 0)
				verify_problem(&v, "the digest of %s it "
				    "records does not match that file",
				    n == 1 ? "(none)" : expect);
			if (memcmp(st.chain.prev_meta_sha256, prevmeta,
			    SHA256_LEN) != 0)
				verify_problem(&v, "the digest of the previous "
				    "metadata it records does not match it");
		}
		if (n > 1 && prev.records > 0 &&
		    st.first_seq != prev.last_seq + 1)
			verify_problem(&v, "begins at sequence %" PRIu64
			    ", the previous file ended at %" PRIu64,
			    st.first_seq, prev.last_seq);
		if (n == 1 && st.first_seq != 1)
			verify_problem(&v, "begins at sequence %" PRIu64
			    ", not 1", st.first_seq);

		closed = strcmp(st.last_event, "journal-close") == 0;
		memset(prevmeta, 0xff, sizeof(prevmeta));
		if (!closed) {
			state = "open";
			if (n != cur)
				verify_problem(&v, "is not closed, yet auditd "
				    "writes %08u.log", cur);
			else if (st.last_seq + 1 != nextseq)
				verify_problem(&v, "ends at sequence %" PRIu64
				    ", auditd is at %" PRIu64, st.last_seq,
				    nextseq - 1);
			if (havexml)
				verify_problem(&v, "has metadata but no "
				    "journal-close record");
		} else if (!havexml) {
			state = "damaged";
			verify_problem(&v, "is closed but %s is missing", xml);
		} else if (meta_read(dirfd, n, &m, &der, &derlen, err,
		    sizeof(err)) == -1) {
			state = "damaged";
			verify_problem(&v, "%s", err);
		} else {
			state = m.signed_ ? "sealed" : "waiting for its seal";
			memcpy(prevmeta, m.digest, SHA256_LEN);
			if (strcmp(m.file, name) != 0 ||
			    m.size != (uint64_t)st.size ||
			    m.records != st.records ||
			    m.first_seq != st.first_seq ||
			    m.last_seq != st.last_seq ||
			    strcmp(m.first_time, st.first_time) != 0 ||
			    strcmp(m.last_time, st.last_time) != 0)
				verify_problem(&v, "does not match %s (name, "
				    "size, records, sequences or times)", xml);
			if (memcmp(m.sha256, st.sha256, SHA256_LEN) != 0)
				verify_problem(&v, "its SHA-256 is not the one "
				    "in %s: the file was changed", xml);
			if (n > 1 && memcmp(m.prev_meta_sha256,
			    st.chain.prev_meta_sha256, SHA256_LEN) != 0)
				verify_problem(&v, "%s records another "
				    "previous metadata digest than the file",
				    xml);
			if (m.signed_ && meta_cms_check(dirfd, name, der,
			    derlen, err, sizeof(err)) == -1)
				verify_problem(&v, "%s", err);
			free(der);
		}
		if (n == cur && closed)
			verify_problem(&v, "is closed, yet auditd writes it");
		verify_file_end(&v, state, &st);
		prev = st;
	}
	if (json) {
		control_text_printf(t, "],\"ok\":%s,\"problems\":%d}",
		    v.nproblems ? "false" : "true", v.nproblems);
	} else if (v.nproblems == 0)
		control_text_printf(t, "journal verified: %d files, every record "
		    "in sequence, every file chained\n", v.nfiles);
	else
		control_text_printf(t, "journal verification FAILED: %d "
		    "problems\n", v.nproblems);
	return v.nproblems ? -1 : 0;
}

/* One line a file: closed ones from their metadata, the open one read. */
int
verify_list(int dirfd, struct ctl_text *t, int json)
{
	struct journal_stats	 st;
	struct journal_meta	 m;
	char			 name[JOURNAL_NAME_LEN], err[256];
	uint32_t		 lo, hi, xhi, n;
	const char		*state;
	int			 first = 1;

	if (verify_numbers(dirfd, &lo, &hi, &xhi) == -1)
		return -1;
	if (json)
		control_text_printf(t, "{\"files\":[");
	else
		control_text_printf(t, "%-14s %-8s %10s %8s %12s %12s  %-24s  %s\n",
		    "FILE", "STATE", "SIZE", "RECORDS", "FIRST", "LAST",
		    "FIRST TIME", "LAST TIME");
	for (n = lo; n != 0 && n <= hi; n++) {
		record_journal_name(n, "log", name);
		memset(&st, 0, sizeof(st));
		if (meta_read(dirfd, n, &m, NULL, NULL, err,
		    sizeof(err)) == 0) {
			state = m.signed_ ? "sealed" : "pending";
			st.size = (off_t)m.size;
			st.records = m.records;
			st.first_seq = m.first_seq;
			st.last_seq = m.last_seq;
			strlcpy(st.first_time, m.first_time,
			    sizeof(st.first_time));
			strlcpy(st.last_time, m.last_time,
			    sizeof(st.last_time));
		} else if (record_scan(dirfd, name, &st) == 0)
			state = n == journal_current() ? "open" : "unclosed";
		else
			state = "missing";
		if (json) {
			control_text_printf(t, "%s{\"file\":\"%s\",\"state\":\"%s\","
			    "\"size\":%lld,\"records\":%" PRIu64 ","
			    "\"first_seq\":%" PRIu64 ",\"last_seq\":%" PRIu64
			    ",\"first_time\":\"%s\",\"last_time\":\"%s\"}",
			    first ? "" : ",", name, state, (long long)st.size,
			    st.records, st.first_seq, st.last_seq,
			    st.first_time, st.last_time);
		} else
			control_text_printf(t, "%-14s %-8s %10lld %8" PRIu64
			    " %12" PRIu64 " %12" PRIu64 "  %-24s  %s\n", name,
			    state, (long long)st.size, st.records,
			    st.first_seq, st.last_seq, st.first_time,
			    st.last_time);
		first = 0;
	}
	if (json)
		control_text_printf(t, "]}");
	return 0;
}
