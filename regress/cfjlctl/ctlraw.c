/*
 * Test helper: talk to a control socket the way a broken or foreign
 * cfjlctl would.
 *
 *	ctlraw [-h holds] [-l length] [-v version] [-S sig.der] dir name
 *	    command [arg1 [arg2]]
 *
 * -v sends another protocol version; -l sends a request of that many
 * bytes; -h first opens that many idle connections and keeps them; -S
 * sends the signature in that file (made by ctlsign), as it is.
 * Prints "ok N: text", or "closed" if the daemon hung up; exits 0.
 */
#include <sys/types.h>

#include <err.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ctlsig.h"
#include "imsg.h"
#include "proto.h"
#include "sock.h"

int
main(int argc, char *argv[])
{
	struct ctl_request	 req;
	struct ctl_reply	 rep;
	struct imsgbuf		 ibuf;
	struct imsg		 imsg;
	char			 sockname[64];
	char			 buf[sizeof(req) + 4 + CTLSIG_DER_MAX];
	const char		*sigfile = NULL;
	uint32_t		 siglen;
	FILE			*f;
	const char		*errstr;
	size_t			 len = sizeof(req);
	long long		 holds = 0, i;
	ssize_t			 n;
	int			 ch, fd;

	memset(&req, 0, sizeof(req));
	req.version = CFJL_PROTO_VERSION;
	while ((ch = getopt(argc, argv, "h:l:S:v:")) != -1) {
		switch (ch) {
		case 'S':
			sigfile = optarg;
			break;
		case 'h':
			holds = strtonum(optarg, 0, 64, &errstr);
			if (errstr != NULL)
				errx(2, "holds %s", errstr);
			break;
		case 'l':
			len = strtonum(optarg, 4, sizeof(buf), &errstr);
			if (errstr != NULL)
				errx(2, "length %s", errstr);
			break;
		case 'v':
			req.version = strtonum(optarg, 0, 1000000, &errstr);
			if (errstr != NULL)
				errx(2, "version %s", errstr);
			break;
		default:
			errx(2, "usage");
		}
	}
	argc -= optind;
	argv += optind;
	if (argc < 3)
		errx(2, "usage: ctlraw [-h n] [-l len] [-v version] [-S sig] "
		    "dir name command [arg1 [arg2]]");
	strlcpy(req.command, argv[2], sizeof(req.command));
	if (argc > 3)
		strlcpy(req.arg1, argv[3], sizeof(req.arg1));
	if (argc > 4)
		strlcpy(req.arg2, argv[4], sizeof(req.arg2));
	snprintf(sockname, sizeof(sockname), "%s.ctl", argv[1]);
	for (i = 0; i < holds; i++)
		if (sock_connect(argv[0], sockname) == -1)
			err(1, "hold %lld", i);
	if ((fd = sock_connect(argv[0], sockname)) == -1)
		err(1, "%s/%s", argv[0], sockname);
	memset(buf, 0, sizeof(buf));
	memcpy(buf, &req, sizeof(req));
	if (sigfile != NULL) {
		if ((f = fopen(sigfile, "rb")) == NULL)
			err(1, "%s", sigfile);
		siglen = fread(buf + sizeof(req) + 4, 1, CTLSIG_DER_MAX, f);
		fclose(f);
		memcpy(buf + sizeof(req), &siglen, sizeof(siglen));
		len = sizeof(req) + 4 + siglen;
	}
	imsg_init(&ibuf, fd);
	if (imsg_compose(&ibuf, IMSG_CTL_REQUEST, 0, 0, -1, buf, len) == -1)
		err(1, "compose");
	if (imsg_flush(&ibuf) == -1) {
		/* A daemon that cut us at accept may be gone before we write. */
		if (errno == EPIPE || errno == ECONNRESET) {
			printf("closed\n");
			imsg_clear(&ibuf);
			return 0;
		}
		err(1, "send");
	}
	for (;;) {
		if ((n = imsg_get(&ibuf, &imsg)) == -1)
			err(1, "imsg_get");
		if (n > 0)
			break;
		if ((n = imsg_read(&ibuf)) == -1 && errno != ECONNRESET)
			err(1, "read");
		if (n <= 0) {
			printf("closed\n");
			imsg_clear(&ibuf);
			return 0;
		}
	}
	if (imsg.hdr.type != IMSG_CTL_REPLY || imsg_get_len(&imsg) < sizeof(rep))
		errx(1, "unexpected answer");
	memcpy(&rep, imsg.data, sizeof(rep));
	printf("ok %u: %.*s\n", rep.ok, (int)rep.len,
	    (char *)imsg.data + sizeof(rep));
	/* Freed, so that a sanitizer build reports no leak. */
	imsg_free(&imsg);
	imsg_clear(&ibuf);
	return 0;
}
