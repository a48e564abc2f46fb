/*
 * Unit tests of the message reader and the table dispatcher
 * (common/msg.c): messages are built by hand, as a peer would send them,
 * and every refusal is checked with the exact reason it gives.
 */
#include <sys/types.h>

#include <err.h>
#include <stddef.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "imsg.h"
#include "log.h"
#include "msg.h"
#include "proto.h"

static int	 failures, passes;
static int	 calls;
static int	 taken_fd = -1;

static void	 check(int, const char *);
static void	 check_str(const char *, const char *, const char *);
static void	 mk(struct imsg *, uint32_t, const void *, size_t, int);
static int	 fd_open(int);
static int	 h_ack(struct msg *, void *);
static int	 h_fd(struct msg *, void *);
static int	 h_lazy(struct msg *, void *);
static int	 h_refuse(struct msg *, void *);

static const struct msg_entry t_msgs[] = {
	{ IMSG_AUDIT_ACK, MSG_AUDITD, MSG_FD_NONE, h_ack },
	{ IMSG_JOURNAL_SIGN, MSG_AUDITD, MSG_FD_NEEDED, h_fd },
	{ IMSG_STATUS_GET, MSG_FRONTD | MSG_STORED, MSG_FD_NONE, h_lazy },
	{ IMSG_LOT_GET, MSG_FRONTD, MSG_FD_NONE, h_refuse },
};
static const struct msg_table t_table = MSG_TABLE("test", t_msgs);

static void
check(int ok, const char *what)
{
	printf("%s - %s\n", ok ? "ok" : "not ok", what);
	if (ok)
		passes++;
	else
		failures++;
}

static void
check_str(const char *got, const char *want, const char *what)
{
	char	 line[256];

	snprintf(line, sizeof(line), "%s: \"%s\"", what,
	    got != NULL ? got : "(none)");
	check(got != NULL && want != NULL ? strcmp(got, want) == 0 :
	    got == want, line);
}

/* A message as imsg_get() hands it over: the payload is malloc'd. */
static void
mk(struct imsg *imsg, uint32_t type, const void *data, size_t len, int fd)
{
	memset(imsg, 0, sizeof(*imsg));
	imsg->hdr.type = type;
	imsg->hdr.len = IMSG_HEADER_SIZE + len;
	imsg->fd = fd;
	if (len > 0) {
		if ((imsg->data = malloc(len)) == NULL)
			err(1, NULL);
		memcpy(imsg->data, data, len);
	}
}

static int
fd_open(int fd)
{
	return fcntl(fd, F_GETFD) != -1 || errno != EBADF;
}

static int
h_ack(struct msg *m, void *arg)
{
	struct audit_ack	 ack;

	if (m_get_struct(m, proto_audit_ack, &ack) == -1 || m_end(m) == -1)
		return -1;
	calls++;
	*(uint64_t *)arg = ack.id;
	return 0;
}

static int
h_fd(struct msg *m, void *arg)
{
	struct journal_sign	 js;

	if (m_get_struct(m, proto_journal_sign, &js) == -1 || m_end(m) == -1)
		return -1;
	taken_fd = m_fd(m);
	calls++;
	return 0;
}

/* Forgets m_end(): the dispatcher still refuses what is left. */
static int
h_lazy(struct msg *m, void *arg)
{
	uint32_t	 v;

	calls++;
	return m_get_u32(m, &v);
}

static int
h_refuse(struct msg *m, void *arg)
{
	calls++;
	return m_fail(m, "lot %d is nobody's", 7);
}

static void
test_getters(void)
{
	struct msg	 m;
	uint8_t		 buf[64];
	uint32_t	 u32;
	uint64_t	 u64;
	int64_t		 i64;
	int32_t		 i32;
	char		 s[8], *dup;
	const void	*p;

	memset(buf, 0, sizeof(buf));
	u32 = 0x01020304;
	memcpy(buf, &u32, 4);
	u64 = 0x1122334455667788ULL;
	memcpy(buf + 4, &u64, 8);
	i64 = -5;
	memcpy(buf + 12, &i64, 8);
	i32 = -7;
	memcpy(buf + 20, &i32, 4);
	memcpy(buf + 24, "abc", 4);	/* then 4 zero bytes: s[8] */
	memcpy(buf + 32, "payload!", 8);

	m_buf(&m, buf, 40);
	check(m_get_u32(&m, &u32) == 0 && u32 == 0x01020304, "m_get_u32");
	check(m_get_u64(&m, &u64) == 0 && u64 == 0x1122334455667788ULL,
	    "m_get_u64");
	check(m_get_i64(&m, &i64) == 0 && i64 == -5, "m_get_i64");
	check(m_get_i32(&m, &i32) == 0 && i32 == -7, "m_get_i32");
	check(m_get_string(&m, s, sizeof(s)) == 0 && strcmp(s, "abc") == 0,
	    "m_get_string: terminated inside its field");
	check(m_get_ptr(&m, &p, 8) == 0 && p == buf + 32,
	    "m_get_ptr: points into the payload, no copy");
	check(m_left(&m) == 0 && m_end(&m) == 0 && m_error(&m) == NULL,
	    "exact length: nothing left, no error");

	/* Short: the getter fails, zeroes, and the error sticks. */
	m_buf(&m, buf, 10);
	u64 = 99;
	check(m_get_u32(&m, &u32) == 0 && m_get_u64(&m, &u64) == -1 &&
	    u64 == 0, "short: m_get_u64 fails and zeroes");
	check_str(m_error(&m), "2 bytes missing", "short: the reason");
	check(m_get_u32(&m, &u32) == -1 && u32 == 0 && m_end(&m) == -1,
	    "short: every later getter fails, and m_end");
	check_str(m_error(&m), "2 bytes missing", "short: the first reason "
	    "is kept");

	/* Long: m_end refuses the bytes left over. */
	m_buf(&m, buf, 10);
	check(m_get_u64(&m, &u64) == 0 && m_end(&m) == -1,
	    "long: m_end fails");
	check_str(m_error(&m), "2 bytes left over", "long: the reason");

	/* A fixed string without its NUL is refused, never cut. */
	memcpy(buf, "12345678", 8);
	m_buf(&m, buf, 8);
	check(m_get_string(&m, s, sizeof(s)) == -1 && s[0] == '\0',
	    "unterminated string refused and not handed over");
	check_str(m_error(&m), "unterminated string of 8 bytes",
	    "unterminated string: the reason");

	/* m_get_ptr beyond the end. */
	m_buf(&m, buf, 8);
	check(m_get_ptr(&m, &p, 9) == -1 && p == NULL, "m_get_ptr short");
	check_str(m_error(&m), "1 bytes missing", "m_get_ptr short: reason");

	/* m_get_dup: a terminated copy. */
	m_buf(&m, "hello", 5);
	check(m_get_dup(&m, &dup, 5) == 0 && strcmp(dup, "hello") == 0 &&
	    m_end(&m) == 0, "m_get_dup copies and terminates");
	free(dup);
	m_buf(&m, "hello", 5);
	check(m_get_dup(&m, &dup, 6) == -1 && dup == NULL,
	    "m_get_dup short: nothing allocated");
}

static void
test_structs(void)
{
	struct msg		 m;
	struct deposit_err	 e, got;
	struct role_msg		 r;
	char			 want[128];

	memset(&e, 0, sizeof(e));
	e.reqid = 42;
	e.code = 7;	/* any code: the reader does not interpret it */
	e.index = -1;
	strlcpy(e.error, "Client-Id reused", sizeof(e.error));
	strlcpy(e.detail, "seen before", sizeof(e.detail));
	m_buf(&m, &e, sizeof(e));
	check(m_get_struct(&m, proto_deposit_err, &got) == 0 &&
	    m_end(&m) == 0 && got.reqid == 42 && got.index == -1 &&
	    strcmp(got.detail, "seen before") == 0,
	    "m_get_struct: struct deposit_err, exact length");

	/* Each string of the structure is checked, the last one too. */
	memset(e.detail, 'x', sizeof(e.detail));
	m_buf(&m, &e, sizeof(e));
	check(m_get_struct(&m, proto_deposit_err, &got) == -1 &&
	    got.reqid == 0, "m_get_struct: unterminated detail refused");
	snprintf(want, sizeof(want), "deposit_err: unterminated string at "
	    "offset %zu", offsetof(struct deposit_err, detail));
	check_str(m_error(&m), want, "m_get_struct: names the structure and "
	    "the field");

	m_buf(&m, &e, sizeof(e) - 1);
	check(m_get_struct(&m, proto_deposit_err, &got) == -1,
	    "m_get_struct: one byte short");
	check_str(m_error(&m), "1 bytes missing", "m_get_struct short: "
	    "reason");

	memset(&r, 'A', sizeof(r));
	m_buf(&m, &r, sizeof(r));
	check(m_get_struct(&m, proto_role, &r) == -1,
	    "m_get_struct: struct role_msg with an unterminated subject");
}

static void
test_dispatch(void)
{
	struct imsg		 imsg;
	struct msg		 m;
	struct audit_ack	 ack = { 5, 6 };
	struct journal_sign	 js = { 9, 0 };
	uint64_t		 id = 0;
	uint8_t			 big[sizeof(ack) + 1];
	uint32_t		 v = 1;
	int			 p[2];

	calls = 0;
	mk(&imsg, IMSG_AUDIT_ACK, &ack, sizeof(ack), -1);
	check(msg_dispatch(&t_table, &imsg, MSG_AUDITD, &id, &m) == 0 &&
	    calls == 1 && id == 5, "dispatch: exact length reaches handler");
	imsg_free(&imsg);

	mk(&imsg, IMSG_AUDIT_ACK, &ack, sizeof(ack) - 1, -1);
	check(msg_dispatch(&t_table, &imsg, MSG_AUDITD, &id, &m) == -1,
	    "dispatch: short payload refused");
	check_str(m_error(&m), "1 bytes missing", "dispatch short: reason");
	imsg_free(&imsg);

	memset(big, 0, sizeof(big));
	mk(&imsg, IMSG_AUDIT_ACK, big, sizeof(big), -1);
	check(msg_dispatch(&t_table, &imsg, MSG_AUDITD, &id, &m) == -1,
	    "dispatch: long payload refused");
	check_str(m_error(&m), "1 bytes left over", "dispatch long: reason");
	imsg_free(&imsg);

	calls = 0;
	mk(&imsg, IMSG_AUDIT_ACK, &ack, sizeof(ack), -1);
	check(msg_dispatch(&t_table, &imsg, MSG_FRONTD, &id, &m) == -1 &&
	    calls == 0, "dispatch: wrong sender never reaches the handler");
	check_str(m_error(&m), "not a message this sender may send",
	    "wrong sender: reason");
	imsg_free(&imsg);

	mk(&imsg, IMSG_AUDIT_ACK, &ack, sizeof(ack), -1);
	check(msg_dispatch(&t_table, &imsg, 0, &id, &m) == -1 && calls == 0,
	    "dispatch: a sender with no name is nobody");
	imsg_free(&imsg);

	mk(&imsg, 9999, NULL, 0, -1);
	check(msg_dispatch(&t_table, &imsg, MSG_AUDITD, &id, &m) == -1 &&
	    calls == 0, "dispatch: unknown type refused");
	check_str(m_error(&m), "unknown message type 9999",
	    "unknown type: reason");
	imsg_free(&imsg);

	if (pipe(p) == -1)
		err(1, "pipe");
	close(p[1]);
	mk(&imsg, IMSG_AUDIT_ACK, &ack, sizeof(ack), p[0]);
	check(msg_dispatch(&t_table, &imsg, MSG_AUDITD, &id, &m) == -1 &&
	    calls == 0, "dispatch: unexpected descriptor refused");
	check_str(m_error(&m), "unexpected descriptor",
	    "unexpected descriptor: reason");
	check(!fd_open(p[0]) && imsg.fd == -1,
	    "unexpected descriptor: closed");
	imsg_free(&imsg);

	mk(&imsg, IMSG_JOURNAL_SIGN, &js, sizeof(js), -1);
	check(msg_dispatch(&t_table, &imsg, MSG_AUDITD, &id, &m) == -1 &&
	    calls == 0, "dispatch: missing descriptor refused");
	check_str(m_error(&m), "descriptor missing",
	    "missing descriptor: reason");
	imsg_free(&imsg);

	if (pipe(p) == -1)
		err(1, "pipe");
	close(p[1]);
	mk(&imsg, IMSG_JOURNAL_SIGN, &js, sizeof(js), p[0]);
	check(msg_dispatch(&t_table, &imsg, MSG_AUDITD, &id, &m) == 0 &&
	    calls == 1 && taken_fd == p[0] && fd_open(p[0]),
	    "dispatch: expected descriptor handed to the handler, open");
	close(taken_fd);
	imsg_free(&imsg);

	/* A descriptor with a malformed message is closed all the same. */
	if (pipe(p) == -1)
		err(1, "pipe");
	close(p[1]);
	mk(&imsg, IMSG_JOURNAL_SIGN, &js, sizeof(js) - 1, p[0]);
	check(msg_dispatch(&t_table, &imsg, MSG_AUDITD, &id, &m) == -1 &&
	    !fd_open(p[0]), "dispatch: descriptor of a short message closed");
	imsg_free(&imsg);

	calls = 0;
	mk(&imsg, IMSG_STATUS_GET, &v, sizeof(v) + 0, -1);
	check(msg_dispatch(&t_table, &imsg, MSG_STORED, NULL, &m) == 0 &&
	    calls == 1, "dispatch: either of two senders");
	imsg_free(&imsg);
	{
		uint32_t	 two[2] = { 1, 2 };

		mk(&imsg, IMSG_STATUS_GET, two, sizeof(two), -1);
		check(msg_dispatch(&t_table, &imsg, MSG_FRONTD, NULL, &m) ==
		    -1, "dispatch: a handler without m_end still refuses "
		    "bytes left over");
		check_str(m_error(&m), "4 bytes left over",
		    "left over after the handler: reason");
		imsg_free(&imsg);
	}

	mk(&imsg, IMSG_LOT_GET, NULL, 0, -1);
	check(msg_dispatch(&t_table, &imsg, MSG_FRONTD, NULL, &m) == -1,
	    "dispatch: a handler's own refusal");
	check_str(m_error(&m), "lot 7 is nobody's", "handler refusal: reason");
	imsg_free(&imsg);

	/* m_keep: the payload outlives the message, not copied. */
	mk(&imsg, IMSG_AUDIT_ACK, &ack, sizeof(ack), -1);
	{
		const void	*p1;
		void		*kept = NULL;

		m_msg(&m, &imsg);
		check(m_get_ptr(&m, &p1, sizeof(ack)) == 0 &&
		    (kept = m_keep(&m)) == p1 && imsg.data == NULL,
		    "m_keep: the payload is handed over as it is");
		imsg_free(&imsg);
		check(memcmp(p1, &ack, sizeof(ack)) == 0,
		    "m_keep: pointers stay valid after imsg_free");
		free(kept);
	}

	check(msg_sender("stored") == MSG_STORED &&
	    msg_sender("sealer") == MSG_SEALERD &&
	    msg_sender("audit") == MSG_AUDITD &&
	    msg_sender("frontd") == MSG_FRONTD &&
	    msg_sender("intruder") == 0, "msg_sender names");
}

int
main(void)
{
	log_init(1, 0, LOG_DAEMON);
	log_procinit("msgtest");
	test_getters();
	test_structs();
	test_dispatch();
	printf("%d passed, %d failed\n", passes, failures);
	return failures ? 1 : 0;
}
