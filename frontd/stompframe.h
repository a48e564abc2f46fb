/*
 * STOMP 1.2 frames (https://stomp.github.io/stomp-specification-1.2.html)
 * read from hostile input and written for the capture agents.  The
 * reader never allocates: the connection keeps its unconsumed bytes,
 * the parser keeps how far it searched, and a complete frame's headers
 * are decoded into a caller's struct stompframe, used at once and
 * dropped, so that an idle connection costs no frame.
 */
#ifndef FRONTD_STOMPFRAME_H
#define FRONTD_STOMPFRAME_H

#include <stddef.h>
#include <stdint.h>

#define STOMPFRAME_LINE_MAX	4096	/* command or one header line */
#define STOMPFRAME_NAME_MAX	64	/* header name, with the NUL */
#define STOMPFRAME_VALUE_MAX	1024	/* decoded header value, with the NUL */
#define STOMPFRAME_HEADERS_MAX	32

enum stompframe_command {
	STOMP_CONNECT = 1,
	STOMP_STOMP,
	STOMP_SEND,
	STOMP_SUBSCRIBE,
	STOMP_UNSUBSCRIBE,
	STOMP_ACK,
	STOMP_NACK,
	STOMP_BEGIN,
	STOMP_COMMIT,
	STOMP_ABORT,
	STOMP_DISCONNECT
};

struct stompframe_limits {
	size_t		 max_head;	/* command and headers, in bytes */
	size_t		 max_body;
};

struct stompframe_header {
	char		 name[STOMPFRAME_NAME_MAX];
	char		 value[STOMPFRAME_VALUE_MAX];
};

struct stompframe {
	enum stompframe_command	 command;
	size_t			 nheaders;
	struct stompframe_header headers[STOMPFRAME_HEADERS_MAX];
	const char		*body;		/* into the caller's buffer */
	size_t			 bodylen;
	size_t			 size;		/* bytes of the frame, NUL included */
};

/* Where the search stopped: kept across calls on one connection. */
struct stompframe_parser {
	struct stompframe_limits lim;
	size_t			 scanned;	/* head bytes searched */
	size_t			 headsize;	/* 0 until the head is whole */
	long long		 content_length; /* -1: up to the NUL */
	size_t			 body_scanned;	/* NUL searched up to here */
	size_t			 bodylen;
	int			 body_allowed;
	const char		*error;		/* static text, on failure */
	int			 too_large;	/* the failure is a size limit */
};

/* What stompframe_parse() returns. */
#define STOMPFRAME_MORE		0	/* need more bytes */
#define STOMPFRAME_COMPLETE	1	/* the frame is decoded */
#define STOMPFRAME_FAIL		2	/* p->error says why */
#define STOMPFRAME_HEARTBEAT	3	/* f->size bytes of EOLs to consume */

void	 stompframe_init(struct stompframe_parser *,
	    const struct stompframe_limits *);
/*
 * Feed every unconsumed byte of the connection.  On STOMPFRAME_COMPLETE
 * the first f->size bytes (leading heart-beats, the frame, its NUL) are
 * the frame's: consume them and call stompframe_init() again.  Headers
 * are decoded (\r \n \c \\, except in CONNECT and STOMP frames); a
 * repeated header keeps its first value, as the specification says.
 */
int	 stompframe_parse(struct stompframe_parser *, const char *buf,
	    size_t len, struct stompframe *f);
/* The first value of header name, NULL if absent. */
const char *stompframe_get(const struct stompframe *, const char *name);
const char *stompframe_command_name(enum stompframe_command);

/*
 * Write a server frame (CONNECTED, MESSAGE, RECEIPT, ERROR) into dst:
 * headers name, value pairs in hdr (nhdr pairs), escaped; a body gets
 * content-length.  Returns the frame's length, or the length it would
 * need if it does not fit in size (nothing useful is then in dst).
 */
size_t	 stompframe_format(char *dst, size_t size, const char *command,
	    const char *const *hdr, size_t nhdr, const void *body,
	    size_t bodylen);

#endif
