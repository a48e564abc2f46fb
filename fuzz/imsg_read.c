/*
 * Fuzz the imsg reader: arbitrary bytes arrive through a socketpair, cut
 * into chunks of a size the input chooses, and go through imsg_read() and
 * imsg_get() until the stream ends or is refused.  Each message read is
 * composed again to exercise the write side.
 *
 * Input: byte 0 picks the bound (default, 64 or 4096 bytes), byte 1 the
 * chunk size (0: everything at once), the rest is the stream.
 */
#include <sys/types.h>
#include <sys/socket.h>

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "imsg.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct imsgbuf	 r, w;
	struct imsg	 imsg;
	size_t		 off = 0, chunk, len;
	ssize_t		 n;
	int		 sv[2], done = 0, rounds;

	if (size < 2)
		return 0;
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv) == -1)
		abort();
	imsg_init(&r, sv[1]);
	imsg_init(&w, sv[1]);
	switch (data[0] % 3) {
	case 1:
		imsgbuf_set_maxsize(&r, 64);
		break;
	case 2:
		imsgbuf_set_maxsize(&r, 4096);
		break;
	}
	chunk = data[1] == 0 ? size : data[1];
	data += 2;
	size -= 2;

	for (rounds = 0; !done && rounds < 100000; rounds++) {
		if (off < size) {
			len = size - off < chunk ? size - off : chunk;
			if ((n = write(sv[0], data + off, len)) > 0)
				off += n;
			if (off == size)
				shutdown(sv[0], SHUT_WR);
		}
		if ((n = imsg_read(&r)) == 0 || (n == -1 && errno != EAGAIN))
			done = 1;
		for (;;) {
			if ((n = imsg_get(&r, &imsg)) == -1) {
				done = 1;
				break;
			}
			if (n == 0)
				break;
			if (imsg.hdr.len != IMSG_HEADER_SIZE + imsg_get_len(&imsg))
				abort();
			if (imsg.fd != -1)
				abort();	/* nothing was passed */
			if (imsg_compose(&w, imsg.hdr.type, imsg.hdr.peerid,
			    imsg.hdr.pid, -1, imsg.data, imsg_get_len(&imsg))
			    != 1)
				abort();
			imsg_free(&imsg);
		}
		if (r.r.size > r.maxsize && r.r.size > IBUF_READ_SIZE)
			abort();	/* the bound must hold */
	}
	msgbuf_write(&w.w);
	imsg_clear(&w);
	imsg_clear(&r);
	close(sv[0]);
	close(sv[1]);
	return 0;
}
