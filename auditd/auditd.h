/*
 * auditd: the journal.  What its modules share; see auditd(8) for the
 * formats of the .log and .xml files.
 */
#ifndef CFJL_AUDITD_H
#define CFJL_AUDITD_H

#include <sys/types.h>
#include <sys/queue.h>
#include <limits.h>
#include <stdint.h>
#include <time.h>

#include "proto.h"

struct cfjl_conf;

#define JOURNAL_FILE_MAX	99999999U	/* NNNNNNNN */
#define JOURNAL_NAME_LEN	13		/* "NNNNNNNN.log" and NUL */
#define JOURNAL_TIME_LEN	25		/* 2026-11-24T10:00:00.123Z */
#define JOURNAL_HEX_LEN		(SHA256_LEN * 2 + 1)
/* The longest line we accept back: the longest we write, with room. */
#define JOURNAL_LINE_MAX	16384

struct audit_record;
struct ctl_text;

/* The chain fields of a file's first record (event journal-open). */
struct journal_chain {
	char		 prev_file[JOURNAL_NAME_LEN];	/* "" for the first */
	uint8_t		 prev_sha256[SHA256_LEN];	/* zeros for the first */
	uint8_t		 prev_meta_sha256[SHA256_LEN];
};

/* One journal line as read back. */
struct journal_line {
	uint64_t	 seq;
	char		 time[JOURNAL_TIME_LEN + 8];
	char		 process[32];
	char		 event[AUDIT_FIELD];
	char		 subject[AUDIT_SUBJECT];
	char		 outcome[AUDIT_FIELD];
	char		 details[AUDIT_DETAILS];
	int		 has_chain;
	struct journal_chain chain;
};

/* What a scan of a whole .log says (record.c). */
struct journal_stats {
	off_t		 size;		/* up to the end of the last line */
	off_t		 torn;		/* bytes after it, without newline */
	uint64_t	 records;
	uint64_t	 first_seq;
	uint64_t	 last_seq;
	char		 first_time[JOURNAL_TIME_LEN + 8];
	char		 last_time[JOURNAL_TIME_LEN + 8];
	char		 last_event[AUDIT_FIELD];
	char		 last_details[AUDIT_DETAILS];
	int		 has_chain;	/* the first line is journal-open */
	struct journal_chain chain;
	uint8_t		 sha256[SHA256_LEN];	/* of the first size bytes */
	char		 error[256];	/* why the scan failed */
};

/* A .log being read a piece at a time (record.c). */
struct record_scanner {
	int			 fd;
	struct evp_md_ctx_st	*md;
	struct evp_md_ctx_st	*keep;		/* gets the open digest */
	char			*buf;
	size_t			 have;
	size_t			 cap;
	uint64_t		 lineno;
	char			 name[JOURNAL_NAME_LEN];
	struct journal_stats	*st;
};

/* The metadata of a closed file (meta.c). */
struct journal_meta {
	char		 file[JOURNAL_NAME_LEN];
	uint64_t	 size;
	uint64_t	 records;
	uint64_t	 first_seq;
	uint64_t	 last_seq;
	char		 first_time[JOURNAL_TIME_LEN + 8];
	char		 last_time[JOURNAL_TIME_LEN + 8];
	char		 closed[JOURNAL_TIME_LEN + 8];
	char		 reason[32];
	uint8_t		 sha256[SHA256_LEN];
	uint8_t		 prev_meta_sha256[SHA256_LEN];
	uint32_t	 operator_id;
	uint32_t	 vault_id;
	int		 signed_;	/* has a Signature */
	uint8_t		 digest[SHA256_LEN];	/* of the unsigned form */
};

/* record.c: one line of the journal, written and read back. */
void	 record_time(int64_t ms, char *buf, size_t len);
int	 record_time_parse(const char *, int64_t *ms);
int64_t	 record_now_ms(void);
int	 record_format(struct ctl_text *, uint64_t seq, int64_t now_ms,
	    const struct audit_record *, uid_t uid,
	    const struct journal_chain *);
int	 record_parse(const char *line, size_t len, struct journal_line *,
	    char *err, size_t errlen);
int	 record_scan(int dirfd, const char *name, struct journal_stats *);
int	 record_scan_keep(int dirfd, const char *name, struct journal_stats *,
	    struct evp_md_ctx_st *keep);
int	 record_scan_begin(struct record_scanner *, int dirfd,
	    const char *name, struct journal_stats *);
int	 record_scan_step(struct record_scanner *, size_t max);
void	 record_scan_end(struct record_scanner *);

/* closecheck.c: a closed file read back, between other events */
void	 closecheck_start(int dirfd, const struct journal_meta *);
void	 closecheck_finish(void);
void	 record_hex(const uint8_t *, size_t, char *);
int	 record_unhex(const char *, uint8_t *, size_t);
void	 record_journal_name(uint32_t n, const char *ext, char *buf);
int	 record_journal_number(const char *name, const char *ext, uint32_t *);

/* meta.c: NNNNNNNN.xml */
int	 meta_write(int dirfd, const struct journal_meta *);
int	 meta_read(int dirfd, uint32_t n, struct journal_meta *,
	    uint8_t **der, size_t *derlen, char *err, size_t errlen);
int	 meta_sign(int dirfd, uint32_t n, const uint8_t *der, size_t len,
	    char *err, size_t errlen);
int	 meta_cms_check(int dirfd, const char *logname, const uint8_t *der,
	    size_t len, char *err, size_t errlen);
int	 meta_fsync_dir(int dirfd);
void	 meta_set_owner(uid_t);

/* journal.c: the current file, group commit, closing. */
struct auditd_ctl_journal_conf {
	unsigned int	 rotate_interval;	/* seconds, 0: never */
	size_t		 rotate_size;		/* bytes, 0: never */
	uint32_t	 operator_id;
	uint32_t	 vault_id;
};
typedef void	(*journal_ack_fn)(void *ctx, uint64_t id, uint64_t seq);

void	 journal_open(const char *dir, uid_t owner, gid_t group,
	    const struct auditd_ctl_journal_conf *);
void	 journal_start(void);		/* timers; after the sandbox */
void	 journal_set_conf(const struct auditd_ctl_journal_conf *);
void	 journal_append(const struct audit_record *, uid_t,
	    journal_ack_fn, void *ctx);
void	 journal_forget(void *ctx);
int	 journal_close_now(const char *reason);
void	 journal_commit(void);
void	 journal_status(struct ctl_text *, int json);
int	 journal_dirfd(void);
uint32_t journal_current(void);
uint64_t journal_next_seq(void);
void	 journal_sealed(uint32_t n);

/* filesign.c: signatures from sealerd, pending until they come. */
void	 filesign_init(void);
void	 filesign_connect(const char *runtime_dir, uid_t sealerd_uid);
void	 filesign_pending_add(uint32_t n);
size_t	 filesign_pending(void);
int	 filesign_connected(void);

/* auditsock.c: audit.sock */
struct peer_allow;
void	 auditsock_init(const char *runtime_dir, const struct peer_allow *,
	    size_t);
size_t	 auditsock_clients(void);
void	 auditsock_relisten(void);
void	 auditsock_close(void);

/* verify.c: the chain, as auditd sees it. */
int	 verify_journal(int dirfd, struct ctl_text *, int json);
int	 verify_list(int dirfd, struct ctl_text *, int json);

/* auditd_ctl.c: the control socket, the stop and the reload */
struct ctl_request;
struct ctl_conn;
void	 auditd_ctl_request(const struct ctl_request *, struct ctl_conn *);
void	 auditd_ctl_stop(void *);
void	 auditd_ctl_reload(void *);
void	 auditd_ctl_journal_conf(const struct cfjl_conf *,
	    struct auditd_ctl_journal_conf *);

/* auditd_env.c: the daemon's globals */
struct auditd {
	struct cfjl_conf	*conf;
	time_t			 started;
	uid_t			 uid;		/* ours, once confined */
	uid_t			 sealer_uid;	/* expected on sealer.sock */
	char			 rundir[PATH_MAX]; /* as seen once confined */
};
extern struct auditd	*env;
long long	 auditd_env_uptime(void);	/* seconds */

#endif
