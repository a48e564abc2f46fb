/*
 * The current journal file: recovering it at start, appending records
 * with group commit (many writes, one fdatasync, then every ack), and
 * closing it on size, on schedule or on demand, which writes its
 * metadata and opens the next file chained to it.
 */
#include <sys/types.h>
#include <sys/queue.h>
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event.h>
#include <openssl/evp.h>

#include "audit.h"
#include "auditd.h"
#include "control.h"
#include "log.h"
#include "proto.h"

#define JOURNAL_WBUF_MAX	(1024 * 1024)	/* commit at once beyond */

struct journal_ack {
	TAILQ_ENTRY(journal_ack) entry;
	journal_ack_fn		 fn;
	void			*ctx;
	uint64_t		 id;
	uint64_t		 seq;
};
TAILQ_HEAD(journal_acks, journal_ack);

static struct {
	int			 dirfd;
	char			 dir[PATH_MAX];
	struct auditd_ctl_journal_conf conf;
	uint32_t		 cur;		/* current file number */
	int			 fd;
	off_t			 size;		/* on disk and in wbuf */
	uint64_t		 records;	/* in the current file */
	uint64_t		 nextseq;
	int64_t			 opened_ms;	/* first record's time */
	/* What the current file holds, kept as it is written. */
	uint64_t		 first_seq;
	char			 first_time[JOURNAL_TIME_LEN + 8];
	char			 last_time[JOURNAL_TIME_LEN + 8];
	EVP_MD_CTX		*md;		/* SHA-256 of what is on disk */
	struct journal_chain	 chain;		/* of the current file */
	struct ctl_text		 wbuf;		/* lines not yet written */
	struct journal_acks	 acks;		/* waiting for the sync */
	struct event		 commit_ev;
	struct event		 rotate_ev;
	int			 started;
	uid_t			 owner;		/* when root: auditd's user */
	uint64_t		 closed;	/* files closed since start */
} j = { .dirfd = -1, .fd = -1, .nextseq = 1 };

static void	journal_recover(void);
static void	journal_create(uint32_t, const struct journal_chain *);
static void	journal_write(const char *, const char *, const char *,
		    const char *, const struct journal_chain *);
static void	journal_flush(void);
static void	journal_add(const struct ctl_text *, int64_t);
static void	journal_commit_cb(int, short, void *);
static void	journal_rotate_cb(int, short, void *);
static void	journal_rotate_arm(void);
static void	journal_meta_pending(void);

int
journal_dirfd(void)
{
	return j.dirfd;
}

uint32_t
journal_current(void)
{
	return j.cur;
}

uint64_t
journal_next_seq(void)
{
	return j.nextseq;
}

/*
 * Open (and when root, own) the directory, then find where the journal
 * stands.  Runs before the sandbox: it may truncate a torn last line.
 */
void
journal_open(const char *dir, uid_t owner, gid_t group,
    const struct auditd_ctl_journal_conf *conf)
{
	TAILQ_INIT(&j.acks);
	j.conf = *conf;
	j.owner = owner;
	strlcpy(j.dir, dir, sizeof(j.dir));
	if (mkdir(dir, 0750) == -1 && errno != EEXIST)
		fatal("journal: mkdir %s", dir);
	if ((j.dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		fatal("journal: %s", dir);
	/* New files take the directory's group: the auditors'. */
	if ((owner != (uid_t)-1 || group != (gid_t)-1) &&
	    fchown(j.dirfd, owner, group) == -1)
		fatal("journal: chown %s", dir);
	if (fchmod(j.dirfd, 02750) == -1)
		fatal("journal: chmod %s", dir);
	evtimer_set(&j.commit_ev, journal_commit_cb, NULL);
	evtimer_set(&j.rotate_ev, journal_rotate_cb, NULL);
	if ((j.md = EVP_MD_CTX_new()) == NULL)
		fatal("journal");
	journal_recover();
}

void
journal_set_conf(const struct auditd_ctl_journal_conf *conf)
{
	j.conf = *conf;
	if (j.started)
		journal_rotate_arm();
}

void
journal_start(void)
{
	j.started = 1;
	journal_rotate_arm();
}

/* The last file tells where we are: open, closed, or cut short. */
static void
journal_recover(void)
{
	struct journal_stats	 st;
	struct journal_meta	 m;
	struct journal_chain	 chain;
	struct dirent		*de;
	DIR			*d;
	char			 name[JOURNAL_NAME_LEN], err[256];
	uint32_t		 n, last = 0;
	int			 dfd, fd;

	if ((dfd = openat(j.dirfd, ".", O_RDONLY | O_DIRECTORY |
	    O_CLOEXEC)) == -1 || (d = fdopendir(dfd)) == NULL)
		fatal("journal: %s", j.dir);
	while ((de = readdir(d)) != NULL) {
		if (record_journal_number(de->d_name, "log", &n) == 0 && n > last)
			last = n;
		/* A metadata file whose writing was cut short. */
		if (strlen(de->d_name) == 16 &&
		    strcmp(de->d_name + 12, ".tmp") == 0 &&
		    unlinkat(j.dirfd, de->d_name, 0) == -1)
			log_warn("journal: unlink %s", de->d_name);
	}
	closedir(d);

	if (last == 0) {
		memset(&chain, 0, sizeof(chain));
		journal_create(1, &chain);
		log_info("journal: new journal in %s", j.dir);
		return;
	}

	record_journal_name(last, "log", name);
	if (record_scan_keep(j.dirfd, name, &st, j.md) == -1)
		fatalx("journal: %s/%s: %s: the journal is damaged, see "
		    "cfjlctl journal verify", j.dir, name, st.error);
	if (st.records == 0 || !st.has_chain)
		fatalx("journal: %s/%s does not begin with its journal-open "
		    "record: the journal is damaged", j.dir, name);
	if (st.torn > 0) {
		/* Never acknowledged (no sync had covered it): its sender
		 * still holds it and sends it again. */
		if ((fd = openat(j.dirfd, name, O_WRONLY | O_CLOEXEC)) == -1 ||
		    ftruncate(fd, st.size) == -1 || fsync(fd) == -1)
			fatal("journal: truncating %s", name);
		close(fd);
		log_warnx("journal: %s ended with %lld bytes of a torn record: "
		    "removed", name, (long long)st.torn);
	}
	j.nextseq = st.last_seq + 1;

	if (strcmp(st.last_event, "journal-close") != 0) {
		if ((j.fd = openat(j.dirfd, name, O_WRONLY | O_APPEND |
		    O_CLOEXEC | O_NOFOLLOW)) == -1)
			fatal("journal: %s", name);
		j.cur = last;
		j.size = st.size;
		j.records = st.records;
		j.chain = st.chain;
		j.first_seq = st.first_seq;
		strlcpy(j.first_time, st.first_time, sizeof(j.first_time));
		strlcpy(j.last_time, st.last_time, sizeof(j.last_time));
		if (record_time_parse(st.first_time, &j.opened_ms) == -1)
			j.opened_ms = record_now_ms();
		log_info("journal: continuing %s at sequence %" PRIu64, name,
		    j.nextseq);
		if (st.torn > 0)
			journal_write("journal-recovered", name, "ok",
			    "a torn last record was removed", NULL);
		journal_meta_pending();
		return;
	}

	/* Closed: its metadata may not have been written yet. */
	record_journal_name(last, "xml", name);
	if (faccessat(j.dirfd, name, F_OK, 0) == -1) {
		memset(&m, 0, sizeof(m));
		record_journal_name(last, "log", m.file);
		m.size = (uint64_t)st.size;
		m.records = st.records;
		m.first_seq = st.first_seq;
		m.last_seq = st.last_seq;
		strlcpy(m.first_time, st.first_time, sizeof(m.first_time));
		strlcpy(m.last_time, st.last_time, sizeof(m.last_time));
		strlcpy(m.closed, st.last_time, sizeof(m.closed));
		strlcpy(m.reason, st.last_details, sizeof(m.reason));
		memcpy(m.sha256, st.sha256, SHA256_LEN);
		memcpy(m.prev_meta_sha256, st.chain.prev_meta_sha256,
		    SHA256_LEN);
		m.operator_id = j.conf.operator_id;
		m.vault_id = j.conf.vault_id;
		if (meta_write(j.dirfd, &m) == -1)
			fatal("journal: writing %s", name);
		log_info("journal: wrote the missing %s", name);
	}
	if (meta_read(j.dirfd, last, &m, NULL, NULL, err, sizeof(err)) == -1)
		fatalx("journal: %s", err);
	if (memcmp(m.sha256, st.sha256, SHA256_LEN) != 0)
		fatalx("journal: %s does not match its metadata: the journal "
		    "is damaged", m.file);
	memset(&chain, 0, sizeof(chain));
	strlcpy(chain.prev_file, m.file, sizeof(chain.prev_file));
	memcpy(chain.prev_sha256, st.sha256, SHA256_LEN);
	memcpy(chain.prev_meta_sha256, m.digest, SHA256_LEN);
	if (last >= JOURNAL_FILE_MAX)
		fatalx("journal: no file number after %u", last);
	journal_create(last + 1, &chain);
	journal_meta_pending();
}

/* Closed files still waiting for their signature go to filesign.c. */
static void
journal_meta_pending(void)
{
	struct journal_meta	 m;
	char			 err[256];
	uint32_t		 n;

	for (n = 1; n < j.cur; n++) {
		if (meta_read(j.dirfd, n, &m, NULL, NULL, err,
		    sizeof(err)) == -1) {
			log_warnx("journal: %s", err);
			continue;
		}
		if (!m.signed_)
			filesign_pending_add(n);
	}
}

static void
journal_create(uint32_t n, const struct journal_chain *chain)
{
	char	 name[JOURNAL_NAME_LEN], details[64];

	record_journal_name(n, "log", name);
	if ((j.fd = openat(j.dirfd, name, O_WRONLY | O_CREAT | O_EXCL |
	    O_APPEND | O_CLOEXEC | O_NOFOLLOW, 0640)) == -1)
		fatal("journal: creating %s", name);
	if (j.owner != (uid_t)-1 && geteuid() == 0 &&
	    fchown(j.fd, j.owner, (gid_t)-1) == -1)
		fatal("journal: chown %s", name);
	j.cur = n;
	j.size = 0;
	j.records = 0;
	j.chain = *chain;
	j.opened_ms = record_now_ms();
	if (EVP_DigestInit_ex(j.md, EVP_sha256(), NULL) != 1)
		fatalx("journal: SHA-256 unavailable");
	if (chain->prev_file[0] != '\0')
		snprintf(details, sizeof(details), "follows %s",
		    chain->prev_file);
	else
		strlcpy(details, "first file of the journal", sizeof(details));
	journal_write("journal-open", name, "ok", details, chain);
	journal_flush();
	if (meta_fsync_dir(j.dirfd) == -1)
		fatal("journal: fsync %s", j.dir);
}

/* A record of auditd's own about the journal itself. */
static void
journal_write(const char *event, const char *subject, const char *outcome,
    const char *details, const struct journal_chain *chain)
{
	struct audit_record	 r;
	struct ctl_text		 t = { 0 };

	memset(&r, 0, sizeof(r));
	r.time_ms = record_now_ms();
	strlcpy(r.process, "auditd", sizeof(r.process));
	strlcpy(r.event, event, sizeof(r.event));
	strlcpy(r.subject, subject, sizeof(r.subject));
	strlcpy(r.outcome, outcome, sizeof(r.outcome));
	strlcpy(r.details, details, sizeof(r.details));
	if (record_format(&t, j.nextseq, r.time_ms, &r, geteuid(),
	    chain) == -1)
		fatalx("journal: cannot format a record");
	journal_add(&t, r.time_ms);
	control_text_free(&t);
}

/*
 * A formatted record joins the lines to write, and the figures of the
 * file that its metadata will give (time: the one the record carries).
 */
static void
journal_add(const struct ctl_text *t, int64_t now_ms)
{
	control_text_printf(&j.wbuf, "%.*s", (int)t->len, t->buf);
	if (j.wbuf.error)
		fatalx("journal: out of memory");
	if (j.records == 0) {
		j.first_seq = j.nextseq;
		record_time(now_ms, j.first_time, sizeof(j.first_time));
	}
	record_time(now_ms, j.last_time, sizeof(j.last_time));
	j.size += (off_t)t->len;
	j.records++;
	j.nextseq++;
}

void
journal_append(const struct audit_record *r, uid_t uid, journal_ack_fn fn,
    void *ctx)
{
	struct ctl_text		 t = { 0 };
	struct journal_ack	*a;
	struct timeval		 tv = { 0, 0 };
	int64_t			 now = record_now_ms();
	uint64_t		 seq;

	if (record_format(&t, j.nextseq, now, r, uid, NULL) == -1)
		fatalx("journal: cannot format a record");
	if (j.conf.rotate_size > 0 && j.records > 1 &&
	    (size_t)j.size + t.len > j.conf.rotate_size) {
		journal_close_now("size");
		t.len = 0;
		now = record_now_ms();
		if (record_format(&t, j.nextseq, now, r, uid, NULL) == -1)
			fatalx("journal: cannot format a record");
	}
	seq = j.nextseq;
	journal_add(&t, now);
	control_text_free(&t);

	if (fn != NULL) {
		if ((a = calloc(1, sizeof(*a))) == NULL)
			fatal("journal");
		a->fn = fn;
		a->ctx = ctx;
		a->id = r->id;
		a->seq = seq;
		TAILQ_INSERT_TAIL(&j.acks, a, entry);
	}
	if (j.wbuf.len >= JOURNAL_WBUF_MAX)
		journal_commit();
	else if (!evtimer_pending(&j.commit_ev, NULL))
		evtimer_add(&j.commit_ev, &tv);
}

/* A client went away: its acks have nobody to go to. */
void
journal_forget(void *ctx)
{
	struct journal_ack	*a, *next;

	TAILQ_FOREACH_SAFE(a, &j.acks, entry, next)
		if (a->ctx == ctx) {
			TAILQ_REMOVE(&j.acks, a, entry);
			free(a);
		}
}

/* Write what is buffered and make it durable; fatal if we cannot. */
static void
journal_flush(void)
{
	ssize_t	 n;
	size_t	 off = 0;

	while (off < j.wbuf.len) {
		if ((n = write(j.fd, j.wbuf.buf + off, j.wbuf.len - off)) ==
		    -1) {
			if (errno == EINTR)
				continue;
			fatal("journal: writing %08u.log", j.cur);
		}
		if (EVP_DigestUpdate(j.md, j.wbuf.buf + off, (size_t)n) != 1)
			fatalx("journal: SHA-256 failed");
		off += (size_t)n;
	}
	j.wbuf.len = 0;
	if (off > 0 && fdatasync(j.fd) == -1)
		fatal("journal: fdatasync %08u.log", j.cur);
}

/* Group commit: everything written since the last one, one sync. */
void
journal_commit(void)
{
	struct journal_acks	 done;
	struct journal_ack	*a;

	evtimer_del(&j.commit_ev);
	journal_flush();
	/* An ack may journal something new: that goes to the next round. */
	TAILQ_INIT(&done);
	TAILQ_CONCAT(&done, &j.acks, entry);
	while ((a = TAILQ_FIRST(&done)) != NULL) {
		TAILQ_REMOVE(&done, a, entry);
		a->fn(a->ctx, a->id, a->seq);
		free(a);
	}
}

static void
journal_commit_cb(int fd, short event, void *arg)
{
	journal_commit();
}

/*
 * Close the current file: a closing record, its metadata, then the next
 * file whose first record chains to both.  Its signature is asked for.
 */
int
journal_close_now(const char *reason)
{
	struct journal_meta	 m;
	struct journal_chain	 chain;
	EVP_MD_CTX		*md;
	char			 name[JOURNAL_NAME_LEN], err[256];
	unsigned int		 mdlen;
	uint32_t		 old = j.cur;

	if (old >= JOURNAL_FILE_MAX)
		fatalx("journal: no file number after %u", old);
	record_journal_name(old, "log", name);
	journal_write("journal-close", name, "ok", reason, NULL);
	journal_commit();

	/*
	 * The metadata gives what was written; closecheck.c then reads
	 * the file back, between acknowledgements, and stops auditd if
	 * the disk holds anything else.
	 */
	memset(&m, 0, sizeof(m));
	strlcpy(m.file, name, sizeof(m.file));
	m.size = (uint64_t)j.size;
	m.records = j.records;
	m.first_seq = j.first_seq;
	m.last_seq = j.nextseq - 1;
	strlcpy(m.first_time, j.first_time, sizeof(m.first_time));
	strlcpy(m.last_time, j.last_time, sizeof(m.last_time));
	record_time(record_now_ms(), m.closed, sizeof(m.closed));
	strlcpy(m.reason, reason, sizeof(m.reason));
	if ((md = EVP_MD_CTX_new()) == NULL ||
	    EVP_MD_CTX_copy_ex(md, j.md) != 1 ||
	    EVP_DigestFinal_ex(md, m.sha256, &mdlen) != 1)
		fatalx("journal: SHA-256 failed");
	EVP_MD_CTX_free(md);
	memcpy(m.prev_meta_sha256, j.chain.prev_meta_sha256, SHA256_LEN);
	m.operator_id = j.conf.operator_id;
	m.vault_id = j.conf.vault_id;
	if (meta_write(j.dirfd, &m) == -1)
		fatal("journal: writing the metadata of %s", name);
	if (meta_read(j.dirfd, old, &m, NULL, NULL, err, sizeof(err)) == -1)
		fatalx("journal: %s", err);
	close(j.fd);
	j.fd = -1;
	closecheck_start(j.dirfd, &m);

	memset(&chain, 0, sizeof(chain));
	strlcpy(chain.prev_file, name, sizeof(chain.prev_file));
	memcpy(chain.prev_sha256, m.sha256, SHA256_LEN);
	memcpy(chain.prev_meta_sha256, m.digest, SHA256_LEN);
	journal_create(old + 1, &chain);
	j.closed++;
	log_info("journal: closed %s (%s, %" PRIu64 " records), now "
	    "writing %08u.log", name, reason, m.records, j.cur);
	filesign_pending_add(old);
	if (j.started)
		journal_rotate_arm();
	return 0;
}

static void
journal_rotate_arm(void)
{
	struct timeval	 tv;
	int64_t		 left;

	evtimer_del(&j.rotate_ev);
	if (j.conf.rotate_interval == 0)
		return;
	left = j.opened_ms + (int64_t)j.conf.rotate_interval * 1000 -
	    record_now_ms();
	if (left < 0)
		left = 0;
	tv.tv_sec = left / 1000;
	tv.tv_usec = (left % 1000) * 1000;
	evtimer_add(&j.rotate_ev, &tv);
}

/* A file holding only its opening record is not worth closing. */
static void
journal_rotate_cb(int fd, short event, void *arg)
{
	if (j.records > 1) {
		journal_close_now("interval");
		return;
	}
	j.opened_ms = record_now_ms();
	journal_rotate_arm();
}

void
journal_sealed(uint32_t n)
{
	char	 name[JOURNAL_NAME_LEN];

	record_journal_name(n, "log", name);
	audit_record("journal-sealed", name, "ok",
	    "CMS signature added to %08u.xml", n);
}

void
journal_status(struct ctl_text *t, int json)
{
	char	 name[JOURNAL_NAME_LEN];

	record_journal_name(j.cur, "log", name);
	if (json) {
		control_text_printf(t, "\"journal\":{\"directory\":");
		control_text_json(t, j.dir);
		control_text_printf(t, ",\"current\":\"%s\",\"size\":%lld,"
		    "\"records\":%" PRIu64 ",\"next_seq\":%" PRIu64 ","
		    "\"closed_since_start\":%" PRIu64 ",\"pending_seals\":%zu,"
		    "\"sealer\":%s,\"clients\":%zu,\"rotate_every\":%u,"
		    "\"rotate_size\":%zu}", name, (long long)j.size, j.records,
		    j.nextseq, j.closed, filesign_pending(),
		    filesign_connected() ? "true" : "false", auditsock_clients(),
		    j.conf.rotate_interval, j.conf.rotate_size);
		return;
	}
	control_text_printf(t, "journal %s\n  current file %s: %lld bytes, %"
	    PRIu64 " records\n  next sequence %" PRIu64 "\n  files closed "
	    "since start %" PRIu64 "\n  waiting for a seal %zu (sealerd %s)\n"
	    "  clients %zu\n", j.dir, name, (long long)j.size, j.records,
	    j.nextseq, j.closed, filesign_pending(), filesign_connected() ?
	    "connected" : "unreachable", auditsock_clients());
}
