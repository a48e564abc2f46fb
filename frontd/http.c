/*
 * HTTP/1.1 request parsing (RFC 9110, 9112) for frontd.  Strict where
 * leniency would let two readers see two different requests: CRLF only,
 * no obs-fold, no space before the colon, one Content-Length at most and
 * never with Transfer-Encoding, which is refused altogether.  The
 * target is a path or an absolute http(s) URI (RFC 9112 3.2.2).  Bounds:
 * line length, header count, head size and body size, all checked as the
 * bytes arrive, and a refusal's detail names the bound broken.  Nothing
 * is allocated.
 */
#include <sys/types.h>

#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http.h"

static int	 http_fail(struct http_parser *, int, const char *);
static int	 http_fail_line(struct http_parser *);
static int	 http_fail_head(struct http_parser *);
static int	 http_lines(struct http_parser *, const char *, size_t,
		    size_t);
static int	 http_head(struct http_parser *, const char *, size_t);
static int	 http_reqline(struct http_parser *, const char *, size_t);
static int	 http_header(struct http_parser *, const char *, size_t,
		    unsigned int *);
static int	 http_istoken(int);
static int	 http_iequal(const char *, size_t, const char *);
static int	 http_copy(char *, size_t, const char *, size_t);
static const char *http_memmem(const char *, size_t, const char *, size_t);

/* Which singleton headers were seen in the current head. */
#define SEEN_HOST	0x01
#define SEEN_LENGTH	0x02
#define SEEN_TYPE	0x04
#define SEEN_DIGEST	0x08
#define SEEN_CLIENTID	0x10
#define SEEN_TE		0x20
#define SEEN_TIMESTAMP	0x40
#define SEEN_TE_CHUNKED	0x80

void
http_parser_init(struct http_parser *p, const struct http_limits *lim)
{
	memset(p, 0, sizeof(*p));
	p->lim = *lim;
	p->state = HTTP_S_HEAD;
}

static int
http_fail(struct http_parser *p, int status, const char *error)
{
	p->state = HTTP_S_ERROR;
	p->status = status;
	p->error = error;
	p->detail[0] = '\0';
	return HTTP_FAIL;
}

int
http_parse(struct http_parser *p, const char *buf, size_t len)
{
	size_t		 lead = 0, need;
	int		 rc;

	switch (p->state) {
	case HTTP_S_ERROR:
		return HTTP_FAIL;
	case HTTP_S_DONE:
		return HTTP_COMPLETE;
	case HTTP_S_BODY:
		goto body;
	case HTTP_S_HEAD:
		break;
	}

	/* A client may send CRLF after a body; a few are forgiven. */
	while (lead + 2 <= len && buf[lead] == '\r' && buf[lead + 1] == '\n') {
		lead += 2;
		if (lead / 2 > HTTP_LEADING_CRLF_MAX)
			return http_fail(p, 400, "empty lines before the "
			    "request line");
	}
	if (lead < len && buf[lead] == '\r' && lead + 1 == len)
		return HTTP_MORE;

	if ((rc = http_lines(p, buf, len, lead)) != HTTP_COMPLETE)
		return rc;
	if (p->req.headsize - lead > p->lim.max_header_size)
		return http_fail_head(p);
	if ((rc = http_head(p, buf + lead, p->req.headsize - lead - 2)) !=
	    HTTP_COMPLETE)
		return rc;
	p->state = HTTP_S_BODY;
	if (p->req.has_length && p->req.content_length > 0 &&
	    len < p->req.headsize + p->req.content_length)
		return HTTP_HEAD_OK;

 body:
	need = p->req.has_length ? p->req.content_length : 0;
	if (len < p->req.headsize || len - p->req.headsize < need)
		return HTTP_MORE;
	p->req.body = buf + p->req.headsize;
	p->req.bodylen = need;
	p->state = HTTP_S_DONE;
	return HTTP_COMPLETE;
}

/*
 * The head's lines as they arrive, each byte looked at once: a bare CR
 * or LF, or a line or a head over its bound, is refused as soon as it is
 * seen rather than after header-timeout, since such a head never ends
 * in CRLF CRLF.  HTTP_COMPLETE once the empty line is there (req.headsize
 * set), HTTP_MORE before.  Stops at the end of the head: the body may
 * hold any byte.
 */
static int
http_lines(struct http_parser *p, const char *buf, size_t len, size_t lead)
{
	size_t	 i;

	if (p->walked < lead)
		p->walked = p->linestart = lead;
	for (i = p->walked; i < len; i++) {
		if ((unsigned char)buf[i] > '\r')
			continue;	/* most bytes: neither CR nor LF */
		if (buf[i] == '\r') {
			if (i + 1 == len)
				break;	/* its LF may come next */
			if (buf[i + 1] != '\n')
				return http_fail(p, 400, "bare CR in the "
				    "request head");
			continue;
		}
		if (buf[i] != '\n')
			continue;
		if (i == lead || buf[i - 1] != '\r')
			return http_fail(p, 400, "bare LF in the request "
			    "head: lines end with CRLF");
		if (i - 1 - p->linestart > HTTP_LINE_MAX)
			return http_fail_line(p);
		if (i - 1 == p->linestart && p->nlines > 0) {
			p->req.headsize = i + 1;
			return HTTP_COMPLETE;
		}
		p->linestart = i + 1;
		p->nlines++;
	}
	p->walked = i;
	/* A CR may end the bytes so far: it is not part of the line. */
	if (len - p->linestart > HTTP_LINE_MAX + 1 ||
	    (len - p->linestart == HTTP_LINE_MAX + 1 && buf[len - 1] != '\r'))
		return http_fail_line(p);
	if (len - lead > p->lim.max_header_size)
		return http_fail_head(p);
	return HTTP_MORE;
}

static int
http_fail_line(struct http_parser *p)
{
	if (p->nlines == 0) {
		http_fail(p, 414, "request line too long");
		snprintf(p->detail, sizeof(p->detail), "the request line is "
		    "at most %u bytes", HTTP_LINE_MAX);
	} else {
		http_fail(p, 431, "header line too long");
		snprintf(p->detail, sizeof(p->detail), "a header line is at "
		    "most %u bytes", HTTP_LINE_MAX);
	}
	return HTTP_FAIL;
}

static int
http_fail_head(struct http_parser *p)
{
	http_fail(p, 431, "request head too large");
	snprintf(p->detail, sizeof(p->detail), "the request head is at most "
	    "%zu bytes (max-header-size)", p->lim.max_header_size);
	return HTTP_FAIL;
}

/* The head without its final CRLF: lines each ending in CRLF. */
static int
http_head(struct http_parser *p, const char *h, size_t len)
{
	const char	*line, *eol, *end = h + len;
	unsigned int	 seen = 0, n = 0;
	size_t		 i, ll;
	int		 rc, first = 1;

	for (i = 0; i < len; i++) {
		if ((unsigned char)h[i] > '\r')
			continue;	/* most bytes: none of the three */
		if (h[i] == '\0')
			return http_fail(p, 400, "NUL byte in the request "
			    "head");
		if (h[i] == '\r' && (i + 1 >= len || h[i + 1] != '\n'))
			return http_fail(p, 400, "bare CR in the request "
			    "head");
		if (h[i] == '\n' && (i == 0 || h[i - 1] != '\r'))
			return http_fail(p, 400, "bare LF in the request "
			    "head: lines end with CRLF");
	}

	for (line = h; line < end; line = eol + 2) {
		eol = http_memmem(line, (size_t)(end - line), "\r\n", 2);
		if (eol == NULL)
			return http_fail(p, 400, "malformed request head");
		ll = (size_t)(eol - line);
		if (ll > HTTP_LINE_MAX)
			return http_fail(p, first ? 414 : 431, first ?
			    "request line too long" : "header line too long");
		if (first) {
			if ((rc = http_reqline(p, line, ll)) != HTTP_COMPLETE)
				return rc;
			first = 0;
			continue;
		}
		if (++n > p->lim.max_headers) {
			http_fail(p, 431, "too many header fields");
			snprintf(p->detail, sizeof(p->detail), "at most %u "
			    "header fields (max-headers)", p->lim.max_headers);
			return HTTP_FAIL;
		}
		if ((rc = http_header(p, line, ll, &seen)) != HTTP_COMPLETE)
			return rc;
	}
	if (first)
		return http_fail(p, 400, "no request line");

	if (seen & SEEN_TE) {
		if (seen & SEEN_LENGTH)
			return http_fail(p, 400, "both Transfer-Encoding and "
			    "Content-Length");
		if (seen & SEEN_TE_CHUNKED)
			return http_fail(p, 411, "chunked transfer coding is "
			    "not accepted: send the body with a "
			    "Content-Length");
		return http_fail(p, 501, "Transfer-Encoding is not "
		    "implemented");
	}
	if (p->req.minor == 1 && !(seen & SEEN_HOST))
		return http_fail(p, 400, "HTTP/1.1 request without Host");
	if (p->req.method == HTTP_POST && !(seen & SEEN_LENGTH))
		return http_fail(p, 411, "a POST needs a Content-Length");
	return HTTP_COMPLETE;
}

static int
http_reqline(struct http_parser *p, const char *l, size_t len)
{
	const char	*sp1, *sp2, *q, *t, *v, *a;
	size_t		 ml, tl, vl, i;

	if ((sp1 = memchr(l, ' ', len)) == NULL)
		return http_fail(p, 400, "malformed request line");
	ml = (size_t)(sp1 - l);
	t = sp1 + 1;
	if ((sp2 = memchr(t, ' ', len - ml - 1)) == NULL)
		return http_fail(p, 400, "malformed request line");
	tl = (size_t)(sp2 - t);
	v = sp2 + 1;
	vl = len - ml - tl - 2;

	if (ml == 0 || ml > 16)
		return http_fail(p, 400, "malformed method");
	for (i = 0; i < ml; i++)
		if (!http_istoken((unsigned char)l[i]))
			return http_fail(p, 400, "malformed method");
	if (ml == 3 && memcmp(l, "GET", 3) == 0)
		p->req.method = HTTP_GET;
	else if (ml == 4 && memcmp(l, "HEAD", 4) == 0)
		p->req.method = HTTP_HEAD;
	else if (ml == 4 && memcmp(l, "POST", 4) == 0)
		p->req.method = HTTP_POST;
	else
		p->req.method = HTTP_OTHER;

	if (vl == 8 && memcmp(v, "HTTP/1.", 7) == 0 &&
	    (v[7] == '0' || v[7] == '1'))
		p->req.minor = v[7] - '0';
	else if (vl == 8 && memcmp(v, "HTTP/", 5) == 0 &&
	    isdigit((unsigned char)v[5]) && v[6] == '.' &&
	    isdigit((unsigned char)v[7]))
		return http_fail(p, 505, "HTTP version not supported");
	else
		return http_fail(p, 400, "malformed HTTP version");
	p->req.keepalive = p->req.minor == 1;

	for (i = 0; i < tl; i++)
		if ((unsigned char)t[i] <= 0x20 || (unsigned char)t[i] >= 0x7f)
			return http_fail(p, 400, "invalid character in the "
			    "request target");
	/*
	 * The absolute form (RFC 9112 3.2.2), as a proxy would send it:
	 * its authority stands for Host, which we do not use; the path
	 * is what counts.
	 */
	if (tl > 0 && t[0] != '/') {
		if (tl >= 8 && strncasecmp(t, "https://", 8) == 0)
			i = 8;
		else if (tl >= 7 && strncasecmp(t, "http://", 7) == 0)
			i = 7;
		else
			return http_fail(p, 400, "the request target must be a "
			    "path or an https URI");
		a = t + i;
		while (i < tl && t[i] != '/' && t[i] != '?')
			i++;
		if (t + i == a)
			return http_fail(p, 400, "no host in the request "
			    "target");
		if (memchr(a, '@', (size_t)(t + i - a)) != NULL)
			return http_fail(p, 400, "user information in the "
			    "request target");
		t += i;
		tl -= i;
	} else if (tl == 0)
		return http_fail(p, 400, "the request target must be a path");
	if ((q = memchr(t, '?', tl)) == NULL)
		q = t + tl;
	if (q == t)
		(void)http_copy(p->req.path, sizeof(p->req.path), "/", 1);
	else if (!http_copy(p->req.path, sizeof(p->req.path), t,
	    (size_t)(q - t))) {
		http_fail(p, 414, "request target too long");
		snprintf(p->detail, sizeof(p->detail), "a request path is at "
		    "most %d bytes", HTTP_PATH_MAX - 1);
		return HTTP_FAIL;
	}
	if (q < t + tl && !http_copy(p->req.query, sizeof(p->req.query),
	    q + 1, (size_t)(t + tl - q - 1))) {
		http_fail(p, 414, "request target too long");
		snprintf(p->detail, sizeof(p->detail), "a query is at most %d "
		    "bytes", HTTP_QUERY_MAX - 1);
		return HTTP_FAIL;
	}
	return HTTP_COMPLETE;
}

static int
http_header(struct http_parser *p, const char *l, size_t len,
    unsigned int *seen)
{
	const char	*colon, *v, *ve, *tok, *te;
	size_t		 nl, vl, i;
	uint64_t	 n;

	if (len == 0 || l[0] == ' ' || l[0] == '\t')
		return http_fail(p, 400, "folded header lines are not "
		    "accepted");
	if ((colon = memchr(l, ':', len)) == NULL)
		return http_fail(p, 400, "header line without a colon");
	nl = (size_t)(colon - l);
	if (nl == 0)
		return http_fail(p, 400, "empty header name");
	for (i = 0; i < nl; i++)
		if (!http_istoken((unsigned char)l[i]))
			return http_fail(p, 400, "invalid character in a "
			    "header name");
	v = colon + 1;
	ve = l + len;
	while (v < ve && (*v == ' ' || *v == '\t'))
		v++;
	while (ve > v && (ve[-1] == ' ' || ve[-1] == '\t'))
		ve--;
	vl = (size_t)(ve - v);
	for (i = 0; i < vl; i++) {
		unsigned char c = (unsigned char)v[i];
		if (c < 0x20 && c != '\t')
			return http_fail(p, 400, "control character in a "
			    "header value");
		if (c == 0x7f)
			return http_fail(p, 400, "control character in a "
			    "header value");
	}

	if (http_iequal(l, nl, "host")) {
		if (*seen & SEEN_HOST)
			return http_fail(p, 400, "more than one Host");
		*seen |= SEEN_HOST;
	} else if (http_iequal(l, nl, "content-length")) {
		if (*seen & SEEN_LENGTH)
			return http_fail(p, 400, "more than one "
			    "Content-Length");
		*seen |= SEEN_LENGTH;
		if (vl == 0 || vl > 19)
			return http_fail(p, 400, "malformed Content-Length");
		for (n = 0, i = 0; i < vl; i++) {
			if (!isdigit((unsigned char)v[i]))
				return http_fail(p, 400,
				    "malformed Content-Length");
			n = n * 10 + (uint64_t)(v[i] - '0');
		}
		if (n > p->lim.max_body) {
			http_fail(p, 413, "request body too large");
			snprintf(p->detail, sizeof(p->detail), "a request body "
			    "is at most %zu bytes (max-body)", p->lim.max_body);
			return HTTP_FAIL;
		}
		p->req.has_length = 1;
		p->req.content_length = (size_t)n;
	} else if (http_iequal(l, nl, "transfer-encoding")) {
		*seen |= SEEN_TE;
		for (tok = v; tok < ve; tok = te + 1) {
			while (tok < ve && (*tok == ' ' || *tok == '\t' ||
			    *tok == ','))
				tok++;
			if ((te = memchr(tok, ',', (size_t)(ve - tok))) == NULL)
				te = ve;
			if ((size_t)(te - tok) >= 7 &&
			    strncasecmp(tok, "chunked", 7) == 0)
				*seen |= SEEN_TE_CHUNKED;
		}
	} else if (http_iequal(l, nl, "connection")) {
		for (tok = v; tok < ve; tok = te + 1) {
			while (tok < ve && (*tok == ' ' || *tok == '\t'))
				tok++;
			if ((te = memchr(tok, ',', (size_t)(ve - tok))) == NULL)
				te = ve;
			i = (size_t)(te - tok);
			while (i > 0 && (tok[i - 1] == ' ' ||
			    tok[i - 1] == '\t'))
				i--;
			if (http_iequal(tok, i, "close"))
				p->req.keepalive = 0;
			else if (http_iequal(tok, i, "keep-alive") &&
			    p->req.minor == 0)
				p->req.keepalive = 1;
		}
	} else if (http_iequal(l, nl, "expect")) {
		if (!http_iequal(v, vl, "100-continue"))
			return http_fail(p, 417, "only 100-continue is "
			    "expected");
		p->req.expect_continue = 1;
	} else if (http_iequal(l, nl, "content-type")) {
		if (*seen & SEEN_TYPE)
			return http_fail(p, 400, "more than one Content-Type");
		*seen |= SEEN_TYPE;
		if ((tok = memchr(v, ';', vl)) == NULL)
			tok = ve;
		while (tok > v && (tok[-1] == ' ' || tok[-1] == '\t'))
			tok--;
		if (!http_copy(p->req.content_type,
		    sizeof(p->req.content_type), v, (size_t)(tok - v)))
			return http_fail(p, 400, "Content-Type too long");
		for (i = 0; p->req.content_type[i] != '\0'; i++)
			p->req.content_type[i] = (char)tolower(
			    (unsigned char)p->req.content_type[i]);
	} else if (http_iequal(l, nl, "digest")) {
		if (*seen & SEEN_DIGEST)
			return http_fail(p, 400, "more than one Digest");
		*seen |= SEEN_DIGEST;
		if (vl == 0) {
			http_fail(p, 400, "empty Digest");
			snprintf(p->detail, sizeof(p->detail), "a Digest "
			    "header carries sha-256=<hex> or SHA-256=<base64>");
			return HTTP_FAIL;
		}
		if (!http_copy(p->req.digest, sizeof(p->req.digest), v, vl)) {
			http_fail(p, 400, "Digest too long");
			snprintf(p->detail, sizeof(p->detail), "a Digest "
			    "header is at most %d bytes", HTTP_FIELD_MAX - 1);
			return HTTP_FAIL;
		}
	} else if (http_iequal(l, nl, "client-id")) {
		if (*seen & SEEN_CLIENTID)
			return http_fail(p, 400, "more than one Client-Id");
		*seen |= SEEN_CLIENTID;
		if (vl == 0)
			return http_fail(p, 400, "empty Client-Id");
		for (i = 0; i < vl; i++)
			if ((unsigned char)v[i] <= 0x20 ||
			    (unsigned char)v[i] >= 0x7f ||
			    v[i] == '"' || v[i] == '\\')
				return http_fail(p, 400, "Client-Id must be "
				    "printable ASCII without spaces or quotes");
		if (!http_copy(p->req.client_id, sizeof(p->req.client_id),
		    v, vl))
			return http_fail(p, 400, "Client-Id longer than 127 "
			    "bytes");
		p->req.has_client_id = 1;
	} else if (http_iequal(l, nl, "timestamp")) {
		if (*seen & SEEN_TIMESTAMP)
			return http_fail(p, 400, "more than one Timestamp");
		*seen |= SEEN_TIMESTAMP;
		/* Judged with the deposit, which refuses it by its code. */
		p->req.has_timestamp = 1;
		for (i = 0; i < vl; i++)
			if ((unsigned char)v[i] >= 0x7f ||
			    (unsigned char)v[i] < 0x20)
				p->req.timestamp_bad = 1;
		if (p->req.timestamp_bad || !http_copy(p->req.timestamp,
		    sizeof(p->req.timestamp), v, vl)) {
			p->req.timestamp_bad = 1;
			p->req.timestamp[0] = '\0';
		}
	}
	return HTTP_COMPLETE;
}

/* RFC 9110 tchar. */
static int
http_istoken(int c)
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c == '-')
		return 1;
	return c != '\0' && strchr("!#$%&'*+.^_`|~", c) != NULL;
}

static int
http_iequal(const char *s, size_t len, const char *lit)
{
	return strlen(lit) == len && strncasecmp(s, lit, len) == 0;
}

/* Copy len bytes and a NUL; 0 if it does not fit. */
static int
http_copy(char *dst, size_t size, const char *src, size_t len)
{
	if (len >= size)
		return 0;
	memcpy(dst, src, len);
	dst[len] = '\0';
	return 1;
}

static const char *
http_memmem(const char *h, size_t hl, const char *n, size_t nl)
{
	const char	*c, *end = h + hl;

	if (nl == 0 || hl < nl)
		return NULL;
	for (c = h; (size_t)(end - c) >= nl; c++) {
		if ((c = memchr(c, n[0], (size_t)(end - c) - nl + 1)) == NULL)
			return NULL;
		if (memcmp(c, n, nl) == 0)
			return c;
	}
	return NULL;
}

const char *
http_reason(int status)
{
	switch (status) {
	case 100: return "Continue";
	case 200: return "OK";
	case 201: return "Created";
	case 202: return "Accepted";
	case 400: return "Bad Request";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 408: return "Request Timeout";
	case 409: return "Conflict";
	case 411: return "Length Required";
	case 413: return "Content Too Large";
	case 414: return "URI Too Long";
	case 415: return "Unsupported Media Type";
	case 417: return "Expectation Failed";
	case 422: return "Unprocessable Content";
	case 431: return "Request Header Fields Too Large";
	case 500: return "Internal Server Error";
	case 501: return "Not Implemented";
	case 503: return "Service Unavailable";
	case 505: return "HTTP Version Not Supported";
	default:  return "Unknown";
	}
}
