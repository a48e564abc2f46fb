/*
 * Reading and writing STOMP 1.2 frames.  A frame is
 *
 *	COMMAND EOL *(name ":" value EOL) EOL body NUL
 *
 * with EOL a LF or CR LF.  The reader is strict where the specification
 * leaves room (an unknown command, an undefined escape, a raw ':' in a
 * value, a control character, a body on a frame that takes none, a
 * content-length that does not end on a NUL are all refused) and
 * bounded: the head by lim.max_head and STOMPFRAME_LINE_MAX a line, the
 * headers by STOMPFRAME_HEADERS_MAX, the body by lim.max_body.  It scans
 * each byte once however the bytes arrive: where the head ended and how
 * far a NUL was looked for are kept in the parser.
 */
#include <sys/types.h>

#include <stdio.h>
#include <string.h>

#include "stompframe.h"

static const struct {
	const char			*name;
	enum stompframe_command		 command;
	int				 body;	/* may carry one */
} commands[] = {
	{ "CONNECT",	 STOMP_CONNECT,		0 },
	{ "STOMP",	 STOMP_STOMP,		0 },
	{ "SEND",	 STOMP_SEND,		1 },
	{ "SUBSCRIBE",	 STOMP_SUBSCRIBE,	0 },
	{ "UNSUBSCRIBE", STOMP_UNSUBSCRIBE,	0 },
	{ "ACK",	 STOMP_ACK,		0 },
	{ "NACK",	 STOMP_NACK,		0 },
	{ "BEGIN",	 STOMP_BEGIN,		0 },
	{ "COMMIT",	 STOMP_COMMIT,		0 },
	{ "ABORT",	 STOMP_ABORT,		0 },
	{ "DISCONNECT",	 STOMP_DISCONNECT,	0 },
};
#define NCOMMANDS	(sizeof(commands) / sizeof(commands[0]))

static int	 fail(struct stompframe_parser *, const char *, int);
static int	 head_end(struct stompframe_parser *, const char *, size_t);
static int	 decode_head(struct stompframe_parser *, const char *,
		    struct stompframe *);
static int	 decode_header(struct stompframe_parser *, const char *,
		    size_t, int, struct stompframe *);
static int	 decode(const char *, size_t, int, char *, size_t,
		    const char **);
static size_t	 put_escaped(char *, size_t, size_t, const char *, int);

void
stompframe_init(struct stompframe_parser *p,
    const struct stompframe_limits *lim)
{
	memset(p, 0, sizeof(*p));
	p->lim = *lim;
	p->content_length = -1;
}

static int
fail(struct stompframe_parser *p, const char *why, int too_large)
{
	p->error = why;
	p->too_large = too_large;
	return STOMPFRAME_FAIL;
}

int
stompframe_parse(struct stompframe_parser *p, const char *buf, size_t len,
    struct stompframe *f)
{
	const char	*nul;
	size_t		 need, n;
	int		 rc;

	if (p->error != NULL)
		return STOMPFRAME_FAIL;
	/* Heart-beats: EOLs between frames, handed back to be consumed. */
	if (p->headsize == 0) {
		for (n = 0; n < len; n++) {
			if (buf[n] == '\n')
				continue;
			if (buf[n] == '\r' && n + 1 < len && buf[n + 1] == '\n') {
				n++;
				continue;
			}
			break;
		}
		if (n > 0) {
			memset(f, 0, sizeof(*f));
			f->size = n;
			return STOMPFRAME_HEARTBEAT;
		}
		if ((rc = head_end(p, buf, len)) != STOMPFRAME_COMPLETE)
			return rc;
		/* Refuse a bad head before waiting for its body. */
		if (decode_head(p, buf, f) == -1)
			return STOMPFRAME_FAIL;
		p->body_scanned = p->headsize;
	}

	if (p->content_length >= 0) {
		need = p->headsize + (size_t)p->content_length + 1;
		if (len < need)
			return STOMPFRAME_MORE;
		if (buf[need - 1] != '\0')
			return fail(p, "the body does not end with a NUL where "
			    "content-length says", 0);
		p->bodylen = (size_t)p->content_length;
	} else {
		nul = memchr(buf + p->body_scanned, '\0',
		    len - p->body_scanned);
		if (nul == NULL) {
			p->body_scanned = len;
			if (len - p->headsize > p->lim.max_body)
				return fail(p, "body too large", 1);
			return STOMPFRAME_MORE;
		}
		p->bodylen = (size_t)(nul - (buf + p->headsize));
	}
	if (p->bodylen > p->lim.max_body)
		return fail(p, "body too large", 1);

	if (decode_head(p, buf, f) == -1)
		return STOMPFRAME_FAIL;
	if (p->bodylen > 0 && !p->body_allowed)
		return fail(p, "this frame takes no body", 0);
	f->body = buf + p->headsize;
	f->bodylen = p->bodylen;
	f->size = p->headsize + p->bodylen + 1;
	return STOMPFRAME_COMPLETE;
}

/* Find the empty line that ends the head, one line at a time. */
static int
head_end(struct stompframe_parser *p, const char *buf, size_t len)
{
	const char	*nl;
	size_t		 linelen;

	while (p->scanned < len) {
		nl = memchr(buf + p->scanned, '\n', len - p->scanned);
		if (nl == NULL) {
			if (len - p->scanned > STOMPFRAME_LINE_MAX)
				return fail(p, "header line too long", 1);
			if (len > p->lim.max_head)
				return fail(p, "frame head too large", 1);
			return STOMPFRAME_MORE;
		}
		linelen = (size_t)(nl - (buf + p->scanned));
		if (linelen > 0 && nl[-1] == '\r')
			linelen--;
		if (linelen > STOMPFRAME_LINE_MAX)
			return fail(p, "header line too long", 1);
		if (linelen == 0 && p->scanned > 0) {
			p->headsize = (size_t)(nl + 1 - buf);
			if (p->headsize > p->lim.max_head)
				return fail(p, "frame head too large", 1);
			return STOMPFRAME_COMPLETE;
		}
		p->scanned = (size_t)(nl + 1 - buf);
		if (p->scanned > p->lim.max_head)
			return fail(p, "frame head too large", 1);
	}
	return STOMPFRAME_MORE;
}

/* The command and the headers of a head known to be complete. */
static int
decode_head(struct stompframe_parser *p, const char *buf,
    struct stompframe *f)
{
	const char	*line, *nl, *end = buf + p->headsize;
	size_t		 linelen, i;
	int		 escapes;

	memset(f, 0, sizeof(*f));
	nl = memchr(buf, '\n', p->headsize);
	linelen = (size_t)(nl - buf);
	if (linelen > 0 && nl[-1] == '\r')
		linelen--;
	for (i = 0; i < NCOMMANDS; i++)
		if (strlen(commands[i].name) == linelen &&
		    memcmp(commands[i].name, buf, linelen) == 0)
			break;
	if (i == NCOMMANDS) {
		fail(p, "unknown command", 0);
		return -1;
	}
	f->command = commands[i].command;
	p->body_allowed = commands[i].body;
	/* CONNECT and STOMP keep STOMP 1.0's unescaped headers. */
	escapes = f->command != STOMP_CONNECT && f->command != STOMP_STOMP;

	p->content_length = -1;
	for (line = nl + 1; line < end; line = nl + 1) {
		nl = memchr(line, '\n', (size_t)(end - line));
		linelen = (size_t)(nl - line);
		if (linelen > 0 && nl[-1] == '\r')
			linelen--;
		if (linelen == 0)
			break;		/* the empty line that ends the head */
		if (decode_header(p, line, linelen, escapes, f) == -1)
			return -1;
	}
	return 0;
}

static int
decode_header(struct stompframe_parser *p, const char *line, size_t len,
    int escapes, struct stompframe *f)
{
	struct stompframe_header	 h;
	const char			*colon, *why;
	size_t				 i, n;
	long long			 cl;

	if ((colon = memchr(line, ':', len)) == NULL || colon == line) {
		fail(p, "a header without a name and a ':'", 0);
		return -1;
	}
	if (decode(line, (size_t)(colon - line), escapes, h.name,
	    sizeof(h.name), &why) == -1 ||
	    decode(colon + 1, len - (size_t)(colon + 1 - line), escapes,
	    h.value, sizeof(h.value), &why) == -1) {
		fail(p, why, strcmp(why, "header too long") == 0);
		return -1;
	}
	if (f->nheaders == STOMPFRAME_HEADERS_MAX) {
		fail(p, "too many headers", 1);
		return -1;
	}
	/* A repeated header: only its first value counts. */
	for (i = 0; i < f->nheaders; i++)
		if (strcmp(f->headers[i].name, h.name) == 0)
			break;
	if (i < f->nheaders) {
		f->nheaders++;		/* counted, not kept */
		f->headers[f->nheaders - 1].name[0] = '\0';
		return 0;
	}
	if (strcmp(h.name, "content-length") == 0) {
		n = strlen(h.value);
		cl = 0;
		for (i = 0; i < n; i++) {
			if (h.value[i] < '0' || h.value[i] > '9' || i >= 12) {
				fail(p, "content-length is not a number", 0);
				return -1;
			}
			cl = cl * 10 + (h.value[i] - '0');
		}
		if (n == 0) {
			fail(p, "content-length is not a number", 0);
			return -1;
		}
		if ((unsigned long long)cl > p->lim.max_body) {
			fail(p, "body too large", 1);
			return -1;
		}
		p->content_length = cl;
	}
	f->headers[f->nheaders++] = h;
	return 0;
}

/* Decode one name or value into dst (NUL-terminated). */
static int
decode(const char *s, size_t len, int escapes, char *dst, size_t size,
    const char **why)
{
	size_t		 i, o = 0;
	unsigned char	 c;

	for (i = 0; i < len; i++) {
		c = (unsigned char)s[i];
		if (c < 0x20 || c == 0x7f) {
			*why = "a control character in a header";
			return -1;
		}
		if (escapes && c == ':') {
			*why = "a ':' in a header value must be escaped as \\c";
			return -1;
		}
		if (escapes && c == '\\') {
			if (++i == len) {
				*why = "an escape cut short";
				return -1;
			}
			switch (s[i]) {
			case 'r':	c = '\r'; break;
			case 'n':	c = '\n'; break;
			case 'c':	c = ':'; break;
			case '\\':	c = '\\'; break;
			default:
				*why = "an undefined escape in a header";
				return -1;
			}
		}
		if (o + 1 >= size) {
			*why = "header too long";
			return -1;
		}
		dst[o++] = (char)c;
	}
	dst[o] = '\0';
	return 0;
}

const char *
stompframe_get(const struct stompframe *f, const char *name)
{
	size_t	 i;

	for (i = 0; i < f->nheaders; i++)
		if (f->headers[i].name[0] != '\0' &&
		    strcmp(f->headers[i].name, name) == 0)
			return f->headers[i].value;
	return NULL;
}

const char *
stompframe_command_name(enum stompframe_command c)
{
	size_t	 i;

	for (i = 0; i < NCOMMANDS; i++)
		if (commands[i].command == c)
			return commands[i].name;
	return "?";
}

/* Append s at dst[off], escaped if asked; the new offset either way. */
static size_t
put_escaped(char *dst, size_t size, size_t off, const char *s, int escapes)
{
	const char	*rep;
	char		 one[2] = { 0, 0 };

	for (; *s != '\0'; s++) {
		rep = one;
		one[0] = *s;
		if (escapes) {
			switch (*s) {
			case '\r':	rep = "\\r"; break;
			case '\n':	rep = "\\n"; break;
			case ':':	rep = "\\c"; break;
			case '\\':	rep = "\\\\"; break;
			}
		}
		for (; *rep != '\0'; rep++, off++)
			if (off < size)
				dst[off] = *rep;
	}
	return off;
}

size_t
stompframe_format(char *dst, size_t size, const char *command,
    const char *const *hdr, size_t nhdr, const void *body, size_t bodylen)
{
	char	 num[24];
	size_t	 off = 0, i;
	int	 escapes = strcmp(command, "CONNECTED") != 0;

	off = put_escaped(dst, size, off, command, 0);
	off = put_escaped(dst, size, off, "\n", 0);
	for (i = 0; i < nhdr; i++) {
		off = put_escaped(dst, size, off, hdr[2 * i], escapes);
		off = put_escaped(dst, size, off, ":", 0);
		off = put_escaped(dst, size, off, hdr[2 * i + 1], escapes);
		off = put_escaped(dst, size, off, "\n", 0);
	}
	if (body != NULL) {
		(void)snprintf(num, sizeof(num), "%zu", bodylen);
		off = put_escaped(dst, size, off, "content-length:", 0);
		off = put_escaped(dst, size, off, num, 0);
		off = put_escaped(dst, size, off, "\n", 0);
	}
	off = put_escaped(dst, size, off, "\n", 0);
	if (body != NULL) {
		if (off + bodylen <= size)
			memcpy(dst + off, body, bodylen);
		off += bodylen;
	}
	if (off < size)
		dst[off] = '\0';
	return off + 1;
}
