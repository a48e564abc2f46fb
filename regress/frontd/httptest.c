/*
 * Unit tests of frontd/http.c: well-formed requests, pipelining, bytes
 * fed one at a time, and a catalogue of malformed and hostile heads,
 * each with the exact status it must get.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http.h"

static int	 npass, nfail;
static struct http_limits lim = { 16, 2048, 4096 };

#define CHECK(what, cond) do {						\
	if (cond) { npass++; }						\
	else { nfail++; printf("not ok - %s (line %d)\n", what, __LINE__); } \
} while (0)

/* Parse a whole buffer; returns the final code, *p holds the state. */
static int
parse_all(struct http_parser *p, const char *buf, size_t len)
{
	int	 rc;

	http_parser_init(p, &lim);
	rc = http_parse(p, buf, len);
	if (rc == HTTP_HEAD_OK)
		rc = http_parse(p, buf, len);
	return rc;
}

static void
refused(const char *what, const char *req, int status)
{
	struct http_parser	 p;
	int			 rc;

	rc = parse_all(&p, req, strlen(req));
	if (rc != HTTP_FAIL || p.status != status) {
		nfail++;
		printf("not ok - %s: got rc %d status %d, expected %d\n",
		    what, rc, p.status, status);
	} else
		npass++;
}

static void
test_simple(void)
{
	struct http_parser	 p;
	const char		*r = "POST /v1/events?x=1 HTTP/1.1\r\n"
	    "Host: a\r\nContent-Type: Application/XML; charset=utf-8\r\n"
	    "Content-Length: 5\r\nClient-Id: abc-1\r\n"
	    "Digest: sha-256=00\r\nTimestamp: 2026\r\n\r\nhello";

	CHECK("simple: complete", parse_all(&p, r, strlen(r)) ==
	    HTTP_COMPLETE);
	CHECK("simple: method", p.req.method == HTTP_POST);
	CHECK("simple: path", strcmp(p.req.path, "/v1/events") == 0);
	CHECK("simple: query", strcmp(p.req.query, "x=1") == 0);
	CHECK("simple: type lowered, no params",
	    strcmp(p.req.content_type, "application/xml") == 0);
	CHECK("simple: client id", strcmp(p.req.client_id, "abc-1") == 0);
	CHECK("simple: digest", strcmp(p.req.digest, "sha-256=00") == 0);
	CHECK("simple: timestamp", strcmp(p.req.timestamp, "2026") == 0);
	CHECK("simple: body", p.req.bodylen == 5 &&
	    memcmp(p.req.body, "hello", 5) == 0);
	CHECK("simple: keep-alive", p.req.keepalive == 1);
	CHECK("simple: sizes", p.req.headsize + 5 == strlen(r));
}

static void
test_incremental(void)
{
	struct http_parser	 p;
	const char		*r = "POST /v1/events HTTP/1.1\r\nHost: a\r\n"
	    "Expect: 100-continue\r\nContent-Length: 3\r\n\r\nabc";
	size_t			 i, len = strlen(r);
	int			 rc = HTTP_MORE, heads = 0;

	http_parser_init(&p, &lim);
	for (i = 1; i <= len; i++) {
		rc = http_parse(&p, r, i);
		if (rc == HTTP_HEAD_OK)
			heads++;
		if (rc == HTTP_FAIL || rc == HTTP_COMPLETE)
			break;
	}
	CHECK("byte by byte: complete at the last byte", rc ==
	    HTTP_COMPLETE && i == len);
	CHECK("byte by byte: head seen once before the body", heads == 1);
	CHECK("byte by byte: expect continue", p.req.expect_continue);
	CHECK("byte by byte: body", p.req.bodylen == 3);
}

static void
test_pipeline(void)
{
	struct http_parser	 p;
	const char		*r = "GET /v1/status HTTP/1.1\r\nHost: a\r\n\r\n"
	    "POST /v1/events HTTP/1.1\r\nHost: a\r\nContent-Length: 2\r\n\r\nok"
	    "\r\nGET /v1/lots/1 HTTP/1.1\r\nHost: a\r\nConnection: close\r\n"
	    "\r\nGET /x HTT";
	const char		*paths[] = { "/v1/status", "/v1/events",
	    "/v1/lots/1" };
	size_t			 off = 0, len = strlen(r);
	int			 i;

	for (i = 0; i < 3; i++) {
		CHECK("pipeline: request complete", parse_all(&p, r + off,
		    len - off) == HTTP_COMPLETE);
		CHECK("pipeline: in order", strcmp(p.req.path, paths[i]) == 0);
		off += p.req.headsize + p.req.bodylen;
	}
	CHECK("pipeline: last one closes", p.req.keepalive == 0);
	CHECK("pipeline: partial fourth waits", parse_all(&p, r + off,
	    len - off) == HTTP_MORE);
}

static void
test_http10(void)
{
	struct http_parser	 p;
	const char		*a = "GET /v1/status HTTP/1.0\r\n\r\n";
	const char		*b = "GET /v1/status HTTP/1.0\r\n"
	    "Connection: keep-alive\r\n\r\n";

	CHECK("1.0: no Host needed", parse_all(&p, a, strlen(a)) ==
	    HTTP_COMPLETE);
	CHECK("1.0: closes by default", p.req.keepalive == 0);
	CHECK("1.0 keep-alive", parse_all(&p, b, strlen(b)) ==
	    HTTP_COMPLETE && p.req.keepalive == 1);
}

static void
test_limits(void)
{
	char	 buf[8192];
	size_t	 i;
	int	 n;

	/* Too many headers. */
	n = snprintf(buf, sizeof(buf), "GET / HTTP/1.1\r\nHost: a\r\n");
	for (i = 0; i < 20; i++)
		n += snprintf(buf + n, sizeof(buf) - n, "X-%zu: y\r\n", i);
	snprintf(buf + n, sizeof(buf) - n, "\r\n");
	refused("too many headers", buf, 431);

	/* A head larger than max-header-size, never terminated. */
	memset(buf, 'a', sizeof(buf));
	memcpy(buf, "GET /", 5);
	buf[sizeof(buf) - 1] = '\0';
	refused("endless request line", buf, 431);

	/* Body over max-body: refused from the header alone. */
	refused("Content-Length over max-body",
	    "POST /v1/events HTTP/1.1\r\nHost: a\r\nContent-Length: 4097\r\n"
	    "\r\n", 413);
	refused("Content-Length overflow",
	    "POST /v1/events HTTP/1.1\r\nHost: a\r\nContent-Length: "
	    "99999999999999999999999\r\n\r\n", 400);
	{
		struct http_parser	 p;
		const char		*r = "POST / HTTP/1.1\r\nHost: a\r\n"
		    "Content-Length: 4096\r\n\r\n";

		CHECK("Content-Length at max-body: waits for the body",
		    parse_all(&p, r, strlen(r)) == HTTP_MORE);
	}
}

static void
test_hostile(void)
{
	struct http_parser	 p0;

	refused("chunked", "POST / HTTP/1.1\r\nHost: a\r\n"
	    "Transfer-Encoding: chunked\r\n\r\n", 411);
	refused("chunked, mixed case, listed", "POST / HTTP/1.1\r\nHost: a\r\n"
	    "Transfer-Encoding: gzip, ChUnKeD\r\n\r\n", 411);
	refused("other transfer coding", "POST / HTTP/1.1\r\nHost: a\r\n"
	    "Transfer-Encoding: gzip\r\n\r\n", 501);
	refused("TE with CL (smuggling)", "POST / HTTP/1.1\r\nHost: a\r\n"
	    "Content-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\nabc", 400);
	refused("two Content-Length", "POST / HTTP/1.1\r\nHost: a\r\n"
	    "Content-Length: 3\r\nContent-Length: 3\r\n\r\nabc", 400);
	refused("Content-Length list", "POST / HTTP/1.1\r\nHost: a\r\n"
	    "Content-Length: 3, 3\r\n\r\nabc", 400);
	refused("Content-Length sign", "POST / HTTP/1.1\r\nHost: a\r\n"
	    "Content-Length: +3\r\n\r\nabc", 400);
	refused("Content-Length negative", "POST / HTTP/1.1\r\nHost: a\r\n"
	    "Content-Length: -1\r\n\r\n", 400);
	refused("Content-Length empty", "POST / HTTP/1.1\r\nHost: a\r\n"
	    "Content-Length: \r\n\r\n", 400);
	refused("POST without length", "POST / HTTP/1.1\r\nHost: a\r\n\r\n",
	    411);
	refused("no Host in 1.1", "GET / HTTP/1.1\r\n\r\n", 400);
	refused("two Host", "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400);
	refused("space before colon", "GET / HTTP/1.1\r\nHost : a\r\n\r\n",
	    400);
	refused("obs-fold", "GET / HTTP/1.1\r\nHost: a\r\nX: a\r\n b\r\n\r\n",
	    400);
	refused("bare LF", "GET / HTTP/1.1\nHost: a\n\n\r\n\r\n", 400);
	refused("bare CR", "GET / HTTP/1.1\r\nHost: a\rb\r\n\r\n", 400);
	refused("no colon", "GET / HTTP/1.1\r\nHost a\r\n\r\n", 400);
	refused("empty name", "GET / HTTP/1.1\r\n: a\r\nHost: a\r\n\r\n", 400);
	refused("bad name char", "GET / HTTP/1.1\r\nHo\"st: a\r\n\r\n", 400);
	refused("control char in value",
	    "GET / HTTP/1.1\r\nHost: a\x01\r\n\r\n", 400);
	refused("DEL in value", "GET / HTTP/1.1\r\nHost: a\x7f\r\n\r\n", 400);
	refused("HTTP/2.0", "GET / HTTP/2.0\r\nHost: a\r\n\r\n", 505);
	refused("HTTP/1.2 is 1.x but not ours", "GET / HTTP/1.2\r\n"
	    "Host: a\r\n\r\n", 505);
	refused("garbage version", "GET / HTTQ/1.1\r\nHost: a\r\n\r\n", 400);
	refused("lower-case version", "GET / http/1.1\r\nHost: a\r\n\r\n", 400);
	refused("no version", "GET /\r\nHost: a\r\n\r\n", 400);
	refused("double space", "GET  / HTTP/1.1\r\nHost: a\r\n\r\n", 400);
	refused("absolute form, other scheme",
	    "GET ftp://a/ HTTP/1.1\r\nHost: a\r\n\r\n", 400);
	refused("absolute form without a host",
	    "GET https:///v1/status HTTP/1.1\r\nHost: a\r\n\r\n", 400);
	refused("absolute form with user information",
	    "GET https://u:p@a/v1/status HTTP/1.1\r\nHost: a\r\n\r\n", 400);
	refused("absolute form without Host in 1.1",
	    "GET https://a/v1/status HTTP/1.1\r\n\r\n", 400);
	refused("empty Digest", "POST / HTTP/1.1\r\nHost: a\r\n"
	    "Digest: \r\nContent-Length: 0\r\n\r\n", 400);
	refused("Digest of spaces", "POST / HTTP/1.1\r\nHost: a\r\n"
	    "Digest:   \r\nContent-Length: 0\r\n\r\n", 400);
	refused("asterisk form", "OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n", 400);
	refused("space in target", "GET /a b HTTP/1.1\r\nHost: a\r\n\r\n",
	    400);
	refused("high byte in target", "GET /\xc3\xa9 HTTP/1.1\r\nHost: a\r\n"
	    "\r\n", 400);
	refused("bad method char", "G(T / HTTP/1.1\r\nHost: a\r\n\r\n", 400);
	refused("expect other", "POST / HTTP/1.1\r\nHost: a\r\n"
	    "Expect: 200-ok\r\nContent-Length: 0\r\n\r\n", 417);
	refused("two Content-Type", "POST / HTTP/1.1\r\nHost: a\r\n"
	    "Content-Type: a/b\r\nContent-Type: c/d\r\nContent-Length: 0\r\n"
	    "\r\n", 400);
	refused("two Digest", "POST / HTTP/1.1\r\nHost: a\r\n"
	    "Digest: a\r\nDigest: b\r\nContent-Length: 0\r\n\r\n", 400);
	refused("two Client-Id", "POST / HTTP/1.1\r\nHost: a\r\n"
	    "Client-Id: a\r\nClient-Id: b\r\nContent-Length: 0\r\n\r\n", 400);
	refused("Client-Id with space", "POST / HTTP/1.1\r\nHost: a\r\n"
	    "Client-Id: a b\r\nContent-Length: 0\r\n\r\n", 400);
	refused("Client-Id with quote", "POST / HTTP/1.1\r\nHost: a\r\n"
	    "Client-Id: a\"b\r\nContent-Length: 0\r\n\r\n", 400);
	refused("Client-Id 8-bit", "POST / HTTP/1.1\r\nHost: a\r\n"
	    "Client-Id: \xc3\xa9\r\nContent-Length: 0\r\n\r\n", 400);
	{
		char	 r[512];
		char	 id[130];

		memset(id, 'x', sizeof(id) - 1);
		id[sizeof(id) - 1] = '\0';
		snprintf(r, sizeof(r), "POST / HTTP/1.1\r\nHost: a\r\n"
		    "Client-Id: %s\r\nContent-Length: 0\r\n\r\n", id);
		refused("Client-Id of 129 bytes", r, 400);
		id[127] = '\0';
		snprintf(r, sizeof(r), "POST / HTTP/1.1\r\nHost: a\r\n"
		    "Client-Id: %s\r\nContent-Length: 0\r\n\r\n", id);
		CHECK("Client-Id of 127 bytes", parse_all(&p0, r,
		    strlen(r)) == HTTP_COMPLETE);
	}
	refused("empty Client-Id", "POST / HTTP/1.1\r\nHost: a\r\n"
	    "Client-Id: \r\nContent-Length: 0\r\n\r\n", 400);
	refused("too many empty lines first", "\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n"
	    "\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n", 400);
	{
		struct http_parser	 p;
		const char		*r = "\r\n\r\nGET / HTTP/1.1\r\nHost: a"
		    "\r\n\r\n";

		CHECK("two empty lines first are forgiven",
		    parse_all(&p, r, strlen(r)) == HTTP_COMPLETE &&
		    p.req.headsize == strlen(r));
	}
	{
		/* NUL inside the head given with its real length. */
		struct http_parser	 p;
		const char		 r[] = "GET / HTTP/1.1\r\nHost: a\0\r\n\r\n";

		CHECK("NUL byte (binary)", parse_all(&p, r, sizeof(r) - 1) ==
		    HTTP_FAIL && p.status == 400);
	}
}

/* Refused before the head is complete: no CRLF CRLF ever comes. */
static void
refused_early(const char *what, const char *req, int status,
    const char *error, const char *detail)
{
	struct http_parser	 p;
	size_t			 i, len = strlen(req);
	int			 rc = HTTP_MORE;

	http_parser_init(&p, &lim);
	for (i = 1; i <= len && rc == HTTP_MORE; i++)
		rc = http_parse(&p, req, i);
	if (rc != HTTP_FAIL || p.status != status ||
	    strcmp(p.error, error) != 0 || strcmp(p.detail, detail) != 0) {
		nfail++;
		printf("not ok - %s: got rc %d status %d \"%s\" \"%s\"\n",
		    what, rc, p.status, rc == HTTP_FAIL ? p.error : "",
		    rc == HTTP_FAIL ? p.detail : "");
	} else
		npass++;
}

static void
test_conformance(void)
{
	struct http_parser	 p;
	struct http_limits	 big = { 16, 65536, 4096 };
	const char		*r;
	char			 buf[10000];
	int			 n;

	r = "GET https://vault.example:8443/v1/lots/7?x=1 HTTP/1.1\r\n"
	    "Host: other\r\n\r\n";
	CHECK("absolute form: accepted", parse_all(&p, r, strlen(r)) ==
	    HTTP_COMPLETE);
	CHECK("absolute form: path", strcmp(p.req.path, "/v1/lots/7") == 0);
	CHECK("absolute form: query", strcmp(p.req.query, "x=1") == 0);
	r = "HEAD HTTP://a HTTP/1.1\r\nHost: a\r\n\r\n";
	CHECK("absolute form, no path, upper-case scheme: /",
	    parse_all(&p, r, strlen(r)) == HTTP_COMPLETE &&
	    strcmp(p.req.path, "/") == 0 && p.req.method == HTTP_HEAD);

	/* Bare LF: at once, before any CRLF CRLF (it would never come). */
	refused_early("bare LF: at the first one", "GET / HTTP/1.1\nHost: a\n",
	    400, "bare LF in the request head: lines end with CRLF", "");
	refused_early("bare LF in a header", "GET / HTTP/1.1\r\nHost: a\n",
	    400, "bare LF in the request head: lines end with CRLF", "");
	refused_early("bare LF first", "\n", 400,
	    "bare LF in the request head: lines end with CRLF", "");
	refused_early("bare CR: at once", "GET / HTTP/1.1\rHost", 400,
	    "bare CR in the request head", "");
	{
		/* A body may hold bare LFs: it is not looked at. */
		r = "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n"
		    "\r\na\nb";
		CHECK("bare LF in a body: fine", parse_all(&p, r, strlen(r)) ==
		    HTTP_COMPLETE && p.req.bodylen == 3);
	}

	/* The detail names the bound broken. */
	lim = big;
	n = snprintf(buf, sizeof(buf), "GET / HTTP/1.1\r\nHost: a\r\nX: ");
	memset(buf + n, 'y', 9 * 1024);
	buf[n + 9 * 1024] = '\0';
	refused_early("9 KB header line: the line bound", buf, 431,
	    "header line too long", "a header line is at most 8192 bytes");
	strlcat(buf, "\r\n\r\n", sizeof(buf));
	refused_early("9 KB header line, whole head: the line bound", buf, 431,
	    "header line too long", "a header line is at most 8192 bytes");
	memcpy(buf, "GET /", 5);
	memset(buf + 5, 'a', 9000);
	buf[9005] = '\0';
	refused_early("9 KB request line: 414", buf, 414,
	    "request line too long", "the request line is at most 8192 bytes");
	lim.max_header_size = 4096;
	n = snprintf(buf, sizeof(buf), "GET / HTTP/1.1\r\nHost: a\r\n");
	while (n < 5000)
		n += snprintf(buf + n, sizeof(buf) - n, "X: %0100d\r\n", 0);
	refused_early("head over max-header-size: that bound", buf, 431,
	    "request head too large",
	    "the request head is at most 4096 bytes (max-header-size)");
	lim.max_header_size = 65536;
	lim.max_headers = 4;
	refused_early("too many fields: max-headers", "GET / HTTP/1.1\r\n"
	    "Host: a\r\nA: 1\r\nB: 1\r\nC: 1\r\nD: 1\r\n\r\n", 431,
	    "too many header fields", "at most 4 header fields (max-headers)");
	refused_early("body over max-body: max-body", "POST / HTTP/1.1\r\n"
	    "Host: a\r\nContent-Length: 5000\r\n\r\n", 413,
	    "request body too large",
	    "a request body is at most 4096 bytes (max-body)");
	refused_early("empty Digest: says what it carries", "POST / HTTP/1.1"
	    "\r\nHost: a\r\nDigest:\r\nContent-Length: 0\r\n\r\n", 400,
	    "empty Digest", "a Digest header carries sha-256=<hex> or "
	    "SHA-256=<base64>");
	lim = (struct http_limits){ 16, 2048, 4096 };
}

int
main(void)
{
	test_simple();
	test_incremental();
	test_pipeline();
	test_http10();
	test_limits();
	test_hostile();
	test_conformance();
	printf("%d passed, %d failed\n", npass, nfail);
	return nfail != 0;
}
