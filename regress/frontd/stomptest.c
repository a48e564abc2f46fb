/*
 * Unit tests of frontd/stompframe.c: every frame is parsed whole and fed
 * one byte at a time, and both must agree on the outcome, the frame's
 * size and its first headers; written frames read back.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stompframe.h"

static int	 npass, nfail;
static const struct stompframe_limits lim = { 8192, 1024 };

static void
check(const char *what, int ok, const char *detail)
{
	if (ok) {
		npass++;
		return;
	}
	nfail++;
	printf("not ok - %s: %s\n", what, detail);
}

/* Feed buf[0..len) in steps of step bytes; the last result. */
static int
feed(const char *buf, size_t len, size_t step, struct stompframe_parser *p,
    struct stompframe *f)
{
	size_t	 n;
	int	 rc = STOMPFRAME_MORE;

	stompframe_init(p, &lim);
	for (n = step; ; n += step) {
		if (n > len)
			n = len;
		rc = stompframe_parse(p, buf, n, f);
		if (rc != STOMPFRAME_MORE || n == len)
			return rc;
	}
}

/*
 * want: "ok SIZE name=value", "more", "beat SIZE" or "fail ERROR".
 */
static void
frame(const char *what, const char *buf, size_t len, const char *want)
{
	struct stompframe_parser	 p;
	static struct stompframe	 f;
	char				 got[2][1200];
	const char			*v;
	size_t				 step[2] = { len ? len : 1, 1 };
	int				 i, rc;

	for (i = 0; i < 2; i++) {
		rc = feed(buf, len, step[i], &p, &f);
		switch (rc) {
		case STOMPFRAME_COMPLETE:
			v = f.nheaders > 0 ? f.headers[0].value : "";
			snprintf(got[i], sizeof(got[i]), "ok %zu %s%s%s",
			    f.size, f.nheaders ? f.headers[0].name : "",
			    f.nheaders ? "=" : "", v);
			break;
		case STOMPFRAME_HEARTBEAT:
			snprintf(got[i], sizeof(got[i]), "beat %zu", f.size);
			break;
		case STOMPFRAME_MORE:
			snprintf(got[i], sizeof(got[i]), "more");
			break;
		default:
			snprintf(got[i], sizeof(got[i]), "fail %s%s", p.error,
			    p.too_large ? " (limit)" : "");
			break;
		}
	}
	check(what, strcmp(got[0], want) == 0, got[0]);
	/* Heart-beats are handed back as they come. */
	if (strncmp(want, "beat", 4) != 0)
		check(what, strcmp(got[0], got[1]) == 0,
		    "byte by byte differs");
}
#define FRAME(what, s, want)	frame(what, s, sizeof(s) - 1, want)

static void
roundtrip(void)
{
	const char *const	 hdr[] = { "receipt-id", "a:b\\c\nd",
				    "client-id", "x" };
	struct stompframe_parser p;
	static struct stompframe f;
	char			 buf[256];
	size_t			 n, small;

	n = stompframe_format(buf, sizeof(buf), "SEND", hdr, 2, "body", 4);
	check("format: length", n == strlen("SEND\nreceipt-id:a\\cb\\\\c\\nd\n"
	    "client-id:x\ncontent-length:4\n\nbody") + 1, buf);
	check("format: escapes", memcmp(buf, "SEND\nreceipt-id:a\\cb\\\\c\\nd\n",
	    27) == 0, buf);
	stompframe_init(&p, &lim);
	check("format: reads back", stompframe_parse(&p, buf, n, &f) ==
	    STOMPFRAME_COMPLETE && f.size == n, p.error ? p.error : "?");
	check("format: value decoded", strcmp(stompframe_get(&f, "receipt-id"),
	    "a:b\\c\nd") == 0, stompframe_get(&f, "receipt-id"));
	check("format: body", f.bodylen == 4 && memcmp(f.body, "body", 4) == 0,
	    "body");
	small = stompframe_format(buf, 10, "SEND", hdr, 2, "body", 4);
	check("format: too small says the size", small == n, "size");
	n = stompframe_format(buf, sizeof(buf), "CONNECTED",
	    (const char *const[]){ "version", "1.2" }, 1, NULL, 0);
	check("format: CONNECTED", n == sizeof("CONNECTED\nversion:1.2\n\n") &&
	    strcmp(buf, "CONNECTED\nversion:1.2\n\n") == 0, buf);
}

int
main(void)
{
	static char	 big[4096 + 64];
	size_t		 n;

	FRAME("SEND with content-length",
	    "SEND\ndestination:/queue/events.in\ncontent-length:3\n\nabc\0",
	    "ok 56 destination=/queue/events.in");
	FRAME("SEND up to the NUL, CR LF",
	    "SEND\r\ndestination:/q\r\n\r\n<a/>\0\n\n",
	    "ok 29 destination=/q");
	FRAME("CONNECT keeps raw colons and backslashes",
	    "CONNECT\naccept-version:1.2\nhost:a:b\\x\n\n\0",
	    "ok 40 accept-version=1.2");
	FRAME("escapes decoded", "SUBSCRIBE\nid:a\\cb\\nc\\\\\n\n\0",
	    "ok 25 id=a:b\nc\\");
	FRAME("repeated header: the first counts",
	    "SEND\nreceipt:1\nreceipt:2\n\n\0", "ok 27 receipt=1");
	FRAME("heart-beats", "\n\r\n\nSEND\n\n\0", "beat 4");
	FRAME("incomplete head", "SEND\ndestination:/q\n", "more");
	FRAME("incomplete body", "SEND\ncontent-length:5\n\nab", "more");
	FRAME("a lone CR is not a heart-beat yet", "\r", "more");
	FRAME("unknown command", "PUBLISH\n\n\0", "fail unknown command");
	FRAME("lower-case command", "send\n\n\0", "fail unknown command");
	FRAME("undefined escape", "SEND\na:\\t\n\n\0",
	    "fail an undefined escape in a header");
	FRAME("escape cut short", "SEND\na:b\\\n\n\0",
	    "fail an escape cut short");
	FRAME("raw colon in a value", "SEND\na:b:c\n\n\0",
	    "fail a ':' in a header value must be escaped as \\c");
	FRAME("no colon", "SEND\nheader\n\n\0",
	    "fail a header without a name and a ':'");
	FRAME("empty name", "SEND\n:v\n\n\0",
	    "fail a header without a name and a ':'");
	FRAME("control character", "SEND\na:b\x01\n\n\0",
	    "fail a control character in a header");
	FRAME("NUL in the head", "SEND\na:\0b\n\n\0",
	    "fail a control character in a header");
	FRAME("content-length not a number", "SEND\ncontent-length:1x\n\n\0",
	    "fail content-length is not a number");
	FRAME("content-length empty", "SEND\ncontent-length:\n\n\0",
	    "fail content-length is not a number");
	FRAME("content-length huge", "SEND\ncontent-length:99999999999999\n\nx\0",
	    "fail content-length is not a number");
	FRAME("content-length over the limit", "SEND\ncontent-length:1025\n\n",
	    "fail body too large (limit)");
	FRAME("content-length off by one", "SEND\ncontent-length:2\n\nabc\0",
	    "fail the body does not end with a NUL where content-length says");
	FRAME("body on a SUBSCRIBE", "SUBSCRIBE\nid:1\n\nx\0",
	    "fail this frame takes no body");

	memset(big, 'a', sizeof(big));
	memcpy(big, "SEND\nx:", 7);
	frame("header line too long", big, sizeof(big),
	    "fail header line too long (limit)");
	n = 0;
	n += (size_t)snprintf(big + n, sizeof(big) - n, "SEND\n");
	while (n < 600)
		n += (size_t)snprintf(big + n, sizeof(big) - n, "h%zu:v\n", n);
	big[n++] = '\n';
	big[n++] = '\0';
	frame("too many headers", big, n, "fail too many headers (limit)");
	memset(big, 'b', sizeof(big));
	memcpy(big, "SEND\n\n", 6);
	frame("body without NUL over the limit", big, 6 + 1100,
	    "fail body too large (limit)");
	roundtrip();

	printf("%d passed, %d failed\n", npass, nfail);
	return nfail != 0;
}
