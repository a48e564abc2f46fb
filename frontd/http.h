/*
 * An incremental HTTP/1.1 request parser for hostile input.  It reads
 * from the connection's buffer and never allocates: the head is parsed
 * in place once complete, the fields frontd uses are copied into fixed
 * arrays, every other header is checked and dropped.
 */
#ifndef FRONTD_HTTP_H
#define FRONTD_HTTP_H

#include <stddef.h>
#include <stdint.h>

#define HTTP_LINE_MAX		8192	/* request line or one header */
#define HTTP_PATH_MAX		1024
#define HTTP_QUERY_MAX		1024
#define HTTP_FIELD_MAX		256	/* Content-Type, Digest, Timestamp */
#define HTTP_CLIENT_ID_MAX	128	/* with the NUL */
#define HTTP_LEADING_CRLF_MAX	8	/* empty lines before a request */

enum http_method {
	HTTP_GET = 1,
	HTTP_HEAD,
	HTTP_POST,
	HTTP_OTHER		/* a token we do not implement */
};

struct http_limits {
	unsigned int	 max_headers;
	size_t		 max_header_size;	/* request line and headers */
	size_t		 max_body;
};

struct http_request {
	enum http_method method;
	int		 minor;		/* HTTP/1.minor */
	int		 keepalive;
	int		 expect_continue;
	char		 path[HTTP_PATH_MAX];
	char		 query[HTTP_QUERY_MAX];	/* after '?', "" if none */
	char		 content_type[HTTP_FIELD_MAX];	/* lower case, no params */
	char		 digest[HTTP_FIELD_MAX];
	char		 timestamp[HTTP_FIELD_MAX];
	int		 has_timestamp;	/* sent, maybe empty or bad */
	int		 timestamp_bad;	/* not ASCII or too long to keep */
	char		 client_id[HTTP_CLIENT_ID_MAX];
	int		 has_client_id;
	int		 has_length;
	size_t		 content_length;
	size_t		 headsize;	/* bytes of the head, CRLFCRLF included */
	const char	*body;		/* into the caller's buffer */
	size_t		 bodylen;
};

enum http_state {
	HTTP_S_HEAD = 0,	/* waiting for the end of the head */
	HTTP_S_BODY,		/* head parsed, waiting for the body */
	HTTP_S_DONE,
	HTTP_S_ERROR
};

struct http_parser {
	struct http_limits	 lim;
	enum http_state		 state;
	size_t			 walked;	/* head bytes looked at */
	size_t			 linestart;	/* current line */
	unsigned int		 nlines;	/* lines ended so far */
	struct http_request	 req;
	/* the refusal, in HTTP_S_ERROR */
	int			 status;
	const char		*error;		/* static text */
	char			 detail[128];	/* which bound, or "" */
};

/* What http_parse() returns. */
#define HTTP_MORE	0	/* need more bytes */
#define HTTP_HEAD_OK	1	/* head parsed, body still to come */
#define HTTP_COMPLETE	2	/* p->req is complete */
#define HTTP_FAIL	3	/* p->status and p->error say why */

void	http_parser_init(struct http_parser *, const struct http_limits *);
/*
 * Feed the whole buffer of unconsumed bytes (the start of the current
 * request and whatever follows).  On HTTP_COMPLETE, req.headsize +
 * req.bodylen bytes belong to this request; the rest is the next one:
 * consume them, then http_parser_init() again.
 */
int	http_parse(struct http_parser *, const char *buf, size_t len);

const char	*http_reason(int status);

#endif
