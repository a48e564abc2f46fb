/*
 * Reading the messages between the daemons, and dispatching them.
 *
 * A handler never touches the payload itself: m_msg() opens a reader over
 * it and bounded getters take it apart in order.  Every getter checks
 * that what it wants is there; a fixed-size string must end inside its
 * field; m_end() says nothing is left over.  The first failure is kept in
 * the reader (later getters fail too, and zero what they were given), the
 * handler returns -1, and the one caller that dispatched the message
 * (common/peer.c, common/control.c, cfjlctl) reports it once, naming the
 * type and the sender, and drops the link.  A handler that finds a well
 * formed message it cannot accept (an answer nobody asked for) says why
 * with m_fail() and takes the same path.
 *
 * Which messages a receiver takes is a table, one per receiver: the
 * type, who may send it, whether a descriptor comes with it, and the
 * handler.  msg_dispatch() looks the type up, checks the sender and the
 * descriptor, then calls the handler: an unknown type, a sender that may
 * not send it, a descriptor where none is expected (closed) or a missing
 * one are protocol errors on the same path.
 */
#ifndef CFJL_MSG_H
#define CFJL_MSG_H

#include <stddef.h>
#include <stdint.h>

struct imsg;

struct msg {
	const uint8_t	*pos;		/* next byte to read */
	size_t		 left;
	struct imsg	*imsg;
	const char	*error;		/* first failure, NULL if none */
	char		 why[96];
};

/* Fixed strings inside a structure of common/proto.h. */
#define MSG_STRINGS_MAX	5
struct msg_struct {
	const char	*name;
	size_t		 size;
	struct {
		size_t	 off;
		size_t	 len;
	}		 str[MSG_STRINGS_MAX];
};

void	 m_msg(struct msg *, struct imsg *);
/* A reader over any bytes (a nested record, a test). */
void	 m_buf(struct msg *, const void *, size_t);

int	 m_get_u32(struct msg *, uint32_t *);
int	 m_get_i32(struct msg *, int32_t *);
int	 m_get_u64(struct msg *, uint64_t *);
int	 m_get_i64(struct msg *, int64_t *);
/* len bytes copied into dst. */
int	 m_get_data(struct msg *, void *dst, size_t len);
/* A char[len] field: must hold its terminating NUL. */
int	 m_get_string(struct msg *, char *dst, size_t len);
/* A structure of common/proto.h, its strings checked. */
int	 m_get_struct_(struct msg *, const struct msg_struct *, void *,
	    size_t);
#define m_get_struct(m, desc, p) \
	m_get_struct_((m), &(desc), (p), sizeof(*(p)))
/*
 * len bytes left where they are: the pointer is valid as long as the
 * message (see m_keep()), and has no alignment promise.
 */
int	 m_get_ptr(struct msg *, const void **, size_t len);
/*
 * len bytes copied into a new allocation, NUL-terminated one byte past
 * the end (text), for data kept beyond the message; the caller frees.
 */
int	 m_get_dup(struct msg *, char **, size_t len);
size_t	 m_left(const struct msg *);
/* 0 when every byte was read, else -1 (bytes left over). */
int	 m_end(struct msg *);
/* A well formed message the receiver refuses: -1, why is kept. */
int	 m_fail(struct msg *, const char *fmt, ...)
	    __attribute__((__format__(printf, 2, 3)));
/* The message's descriptor, now the caller's to close. */
int	 m_fd(struct msg *);
/*
 * The payload outlives the message: the caller frees what this returns
 * (may be NULL for an empty payload), and pointers from m_get_ptr() stay
 * valid until then.  No copy is made.
 */
void	*m_keep(struct msg *);
/* What the reader failed on, or NULL. */
const char *m_error(const struct msg *);

/* Senders, as bits: who may send a message. */
#define MSG_FRONTD	0x01
#define MSG_STORED	0x02
#define MSG_SEALERD	0x04
#define MSG_AUDITD	0x08
#define MSG_CONTROL	0x10	/* cfjlctl on a control socket */
#define MSG_DAEMON	0x20	/* the daemon answering cfjlctl */
#define MSG_PARENT	0x40	/* a daemon's parent, to its child */
#define MSG_CHILD	0x80	/* a daemon's child, to its parent */

/* What a descriptor does with a message. */
#define MSG_FD_NONE	0	/* one arriving is closed: protocol error */
#define MSG_FD_NEEDED	1	/* the handler takes it with m_fd() */

/* 0, or -1 for a protocol error (the reader says why). */
typedef int	(*msg_handler)(struct msg *, void *arg);

struct msg_entry {
	uint32_t	 type;
	unsigned int	 from;		/* MSG_* bits */
	int		 fd;		/* MSG_FD_* */
	msg_handler	 fn;
};

struct msg_table {
	const char		*name;		/* for the logs: "sealer.sock" */
	const struct msg_entry	*entries;
	size_t			 nentries;
};
#define MSG_TABLE(name, e)	{ (name), (e), sizeof(e) / sizeof((e)[0]) }

/*
 * Hand one message to its handler.  from is the sender's MSG_* bit.
 * 0, or -1 with the reason in m (m_error()).  The message's descriptor
 * is closed unless the handler took it.
 */
int	 msg_dispatch(const struct msg_table *, struct imsg *,
	    unsigned int from, void *arg, struct msg *);

/* The sender bit of a daemon's name ("stored", or "sealer" for its
 * socket), 0 if none. */
unsigned int msg_sender(const char *);


#endif
