/*
 * Fuzzing frontd's HTTP request parser: the input is fed whole, then in
 * two pieces split at a point taken from its first byte, and every
 * request it contains is parsed in turn as a pipelining client's would
 * be.  Both ways must agree, and no request may claim more bytes than
 * there are.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../frontd/http.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static const struct http_limits lim = { 32, 4096, 8192 };

static int
parse_one(const char *buf, size_t len, size_t split, struct http_parser *p)
{
	int	 rc;

	http_parser_init(p, &lim);
	if (split > 0 && split < len) {
		rc = http_parse(p, buf, split);
		if (rc == HTTP_FAIL || rc == HTTP_COMPLETE)
			return rc;
	}
	rc = http_parse(p, buf, len);
	if (rc == HTTP_HEAD_OK)
		rc = http_parse(p, buf, len);
	return rc;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct http_parser	 a, b;
	const char		*buf = (const char *)data;
	size_t			 off = 0, split, used;
	int			 ra, rb, n;

	split = size > 0 ? data[0] : 0;
	for (n = 0; n < 64 && off < size; n++) {
		ra = parse_one(buf + off, size - off, 0, &a);
		rb = parse_one(buf + off, size - off, split, &b);
		if (ra != rb && !(ra == HTTP_COMPLETE && rb == HTTP_COMPLETE))
			abort();
		if (ra != HTTP_COMPLETE)
			break;
		used = a.req.headsize + a.req.bodylen;
		if (used == 0 || used > size - off ||
		    used != b.req.headsize + b.req.bodylen)
			abort();
		if (a.req.bodylen > lim.max_body ||
		    strlen(a.req.path) >= sizeof(a.req.path))
			abort();
		off += used;
	}
	return 0;
}
