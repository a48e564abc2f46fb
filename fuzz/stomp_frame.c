/*
 * Fuzzing frontd's STOMP frame reader: the input is read as a client's
 * stream of frames, whole and in two pieces split at a point taken from
 * its first byte; both ways must agree, no frame may claim more bytes
 * than there are, and every frame read is written back (escaped) and
 * must read back to the same headers and body.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../frontd/stompframe.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static const struct stompframe_limits lim = { 4096, 8192 };
static struct stompframe	 fa, fb, fc;
static char			 out[4096 * 3 + 8192 + 64];

static int
parse_one(const char *buf, size_t len, size_t split, struct stompframe *f)
{
	struct stompframe_parser	 p;
	int				 rc;

	stompframe_init(&p, &lim);
	if (split > 0 && split < len) {
		rc = stompframe_parse(&p, buf, split, f);
		if (rc != STOMPFRAME_MORE)
			return rc;
	}
	return stompframe_parse(&p, buf, len, f);
}

static void
write_back(const struct stompframe *f)
{
	const char	*hdr[2 * STOMPFRAME_HEADERS_MAX];
	size_t		 n = 0, i, len;

	if (f->command == STOMP_CONNECT || f->command == STOMP_STOMP)
		return;		/* unescaped: a value may hold CR or LF */
	for (i = 0; i < f->nheaders; i++) {
		if (f->headers[i].name[0] == '\0' ||
		    strcmp(f->headers[i].name, "content-length") == 0)
			continue;
		hdr[2 * n] = f->headers[i].name;
		hdr[2 * n + 1] = f->headers[i].value;
		n++;
	}
	len = stompframe_format(out, sizeof(out),
	    stompframe_command_name(f->command), hdr, n,
	    f->bodylen > 0 ? f->body : NULL, f->bodylen);
	if (len > sizeof(out))
		abort();
	if (parse_one(out, len, 0, &fc) != STOMPFRAME_COMPLETE ||
	    fc.size != len || fc.command != f->command ||
	    fc.bodylen != f->bodylen ||
	    memcmp(fc.body, f->body, f->bodylen) != 0)
		abort();
	for (i = 0; i < f->nheaders; i++)
		if (f->headers[i].name[0] != '\0' &&
		    strcmp(f->headers[i].name, "content-length") != 0 &&
		    strcmp(stompframe_get(&fc, f->headers[i].name),
		    stompframe_get(f, f->headers[i].name)) != 0)
			abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char	*buf = (const char *)data;
	size_t		 off = 0, split, i;
	int		 ra, rb, n;

	split = size > 0 ? data[0] : 0;
	for (n = 0; n < 64 && off < size; n++) {
		ra = parse_one(buf + off, size - off, 0, &fa);
		rb = parse_one(buf + off, size - off, split, &fb);
		if (ra == STOMPFRAME_HEARTBEAT || rb == STOMPFRAME_HEARTBEAT) {
			if (fa.size == 0 || fa.size > size - off)
				abort();
			off += fa.size;
			continue;
		}
		if (ra != rb)
			abort();
		if (ra != STOMPFRAME_COMPLETE)
			break;
		if (fa.size == 0 || fa.size > size - off || fa.size != fb.size ||
		    fa.bodylen > lim.max_body || fa.nheaders > STOMPFRAME_HEADERS_MAX)
			abort();
		for (i = 0; i < fa.nheaders; i++)
			if (memchr(fa.headers[i].value, '\0',
			    sizeof(fa.headers[i].value)) == NULL)
				abort();
		write_back(&fa);
		off += fa.size;
	}
	return 0;
}
