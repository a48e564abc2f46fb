/*
 * A test client for sealer.sock that speaks imsg as stored or auditd
 * would: HELLO, one request, one answer.
 *
 *	sealer_client [-n name] DIR lot N FIRST COUNT PRECEDENT OUT.xml
 *		PRECEDENT: 64 hex digits or "zero"; prints the SHA-256 of
 *		the SignatureValue (hex) on success
 *	sealer_client [-n name] DIR bad-lot		a lot that lies
 *	sealer_client [-n name] DIR journal FILE OUT.der
 *	sealer_client [-n name] DIR status
 *	sealer_client [-n name] DIR malformed KIND	a message sealerd must
 *		refuse by dropping the link (prints "closed"): short-lot,
 *		long-status, unterminated-event, stray-fd, journal-no-fd,
 *		journal (a journal to sign, as whoever -n says)
 *
 * A refusal prints "fail RETRY REASON" and exits 3; other errors exit 1.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "imsg.h"
#include "proto.h"

static struct imsgbuf	 ibuf;

static void	 client_connect(const char *, const char *);
static void	 client_wait(struct imsg *);
static int	 client_fail(struct imsg *);
static int	 hex2bin(const char *, uint8_t *, size_t);
static int	 client_malformed(const char *);

static int
hex2bin(const char *s, uint8_t *out, size_t len)
{
	size_t		 i;
	unsigned int	 v;

	if (strlen(s) != 2 * len)
		return -1;
	for (i = 0; i < len; i++) {
		if (sscanf(s + 2 * i, "%2x", &v) != 1)
			return -1;
		out[i] = v;
	}
	return 0;
}

static void
client_connect(const char *dir, const char *name)
{
	struct sockaddr_un	 sun;
	struct proto_hello	 h;
	struct imsg		 imsg;
	int			 fd;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if ((size_t)snprintf(sun.sun_path, sizeof(sun.sun_path), "%s/%s",
	    dir, SOCK_SEALER) >= sizeof(sun.sun_path))
		errx(1, "path too long");
	if ((fd = socket(AF_UNIX, SOCK_STREAM, 0)) == -1)
		err(1, "socket");
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1)
		err(1, "connect %s", sun.sun_path);
	imsg_init(&ibuf, fd);
	memset(&h, 0, sizeof(h));
	h.version = CFJL_PROTO_VERSION;
	strlcpy(h.name, name, sizeof(h.name));
	if (imsg_compose(&ibuf, IMSG_HELLO, 0, 0, -1, &h, sizeof(h)) == -1 ||
	    imsg_flush(&ibuf) == -1)
		err(1, "hello");
	client_wait(&imsg);
	if (imsg.hdr.type != IMSG_HELLO)
		errx(1, "no HELLO from sealerd (type %u)", imsg.hdr.type);
	imsg_free(&imsg);
}

/* The next message, within 30 seconds. */
static void
client_wait(struct imsg *imsg)
{
	struct pollfd	 pfd;
	ssize_t		 n;
	int		 i;

	for (i = 0; i < 300; i++) {
		if ((n = imsg_get(&ibuf, imsg)) == -1)
			errx(1, "bad message from sealerd");
		if (n > 0)
			return;
		pfd.fd = ibuf.fd;
		pfd.events = POLLIN;
		if (poll(&pfd, 1, 100) == -1)
			err(1, "poll");
		if (pfd.revents == 0)
			continue;
		if ((n = imsg_read(&ibuf)) == -1)
			err(1, "read");
		if (n == 0)
			errx(1, "sealerd closed the connection");
	}
	errx(1, "no answer from sealerd");
}

static int
client_fail(struct imsg *imsg)
{
	struct seal_fail	 sf;

	if (imsg_get_len(imsg) != sizeof(sf))
		errx(1, "bad IMSG_SEAL_FAIL");
	memcpy(&sf, imsg->data, sizeof(sf));
	printf("fail %u %s\n", sf.retry_after, sf.reason);
	return 3;
}

/* Send what sealerd must refuse; 0 if it drops the link unanswered. */
static int
client_malformed(const char *kind)
{
	struct seal_lot		 sl;
	struct seal_event	 ev;
	struct journal_sign	 js;
	struct imsg		 imsg;
	struct pollfd		 pfd;
	struct ibuf		*b;
	ssize_t			 n;
	int			 p[2], i;

	memset(&sl, 0, sizeof(sl));
	memset(&ev, 0, sizeof(ev));
	memset(&js, 0, sizeof(js));
	sl.lot = 5;
	sl.first = sl.last = 1;
	sl.nevents = 1;
	ev.idevt = 1;
	strlcpy(ev.type, "PASPMISE", sizeof(ev.type));
	strlcpy(ev.dateevt, "100412103320", sizeof(ev.dateevt));
	if (pipe(p) == -1)
		err(1, "pipe");
	if (strcmp(kind, "short-lot") == 0)
		n = imsg_compose(&ibuf, IMSG_SEAL_LOT, 0, 0, -1, &sl,
		    sizeof(sl) - 1);
	else if (strcmp(kind, "long-status") == 0)
		n = imsg_compose(&ibuf, IMSG_SEALER_STATUS, 0, 0, -1, "x", 1);
	else if (strcmp(kind, "unterminated-event") == 0) {
		memset(ev.type, 'A', sizeof(ev.type));
		if ((b = imsg_create(&ibuf, IMSG_SEAL_LOT, 0, 0,
		    sizeof(sl) + sizeof(ev))) == NULL ||
		    imsg_add(b, &sl, sizeof(sl)) == -1 ||
		    imsg_add(b, &ev, sizeof(ev)) == -1)
			err(1, "compose");
		imsg_close(&ibuf, b);
		n = 0;
	} else if (strcmp(kind, "stray-fd") == 0)
		n = imsg_compose(&ibuf, IMSG_SEALER_STATUS, 0, 0, p[0], NULL,
		    0);
	else if (strcmp(kind, "journal-no-fd") == 0)
		n = imsg_compose(&ibuf, IMSG_JOURNAL_SIGN, 0, 0, -1, &js,
		    sizeof(js));
	else if (strcmp(kind, "journal") == 0)
		n = imsg_compose(&ibuf, IMSG_JOURNAL_SIGN, 0, 0, p[0], &js,
		    sizeof(js));
	else if (strcmp(kind, "journal-sealed-name") == 0) {
		struct journal_sealed	 jd;

		memset(&jd, 0, sizeof(jd));
		strlcpy(jd.file, "../x.log", sizeof(jd.file));
		n = imsg_compose(&ibuf, IMSG_JOURNAL_SEALED, 0, 0, -1, &jd,
		    sizeof(jd));
	} else if (strcmp(kind, "checkpoint") == 0) {
		struct checkpoint_req	 cr;

		memset(&cr, 0, sizeof(cr));
		cr.numero = 1;
		n = imsg_compose(&ibuf, IMSG_CHECKPOINT_MAKE, 0, 0, -1, &cr,
		    sizeof(cr));
	} else
		errx(2, "unknown kind %s", kind);
	if (n == -1 || imsg_flush(&ibuf) == -1)
		err(1, "send");
	for (i = 0; i < 50; i++) {
		if ((n = imsg_get(&ibuf, &imsg)) > 0) {
			printf("answered with type %u\n", imsg.hdr.type);
			return 1;
		}
		pfd.fd = ibuf.fd;
		pfd.events = POLLIN;
		if (poll(&pfd, 1, 100) == -1)
			err(1, "poll");
		if (pfd.revents == 0)
			continue;
		if ((n = imsg_read(&ibuf)) == 0 || (n == -1 && errno != EAGAIN)) {
			printf("closed\n");
			return 0;
		}
	}
	printf("still open\n");
	return 1;
}

int
main(int argc, char *argv[])
{
	struct seal_lot		 sl;
	struct seal_event	*ev;
	struct seal_done	 sd;
	struct journal_sign	 js;
	struct imsg		 imsg;
	struct ibuf		*b;
	const char		*name = "stored", *e;
	size_t			 len, i;
	FILE			*f;
	int			 ch, fd, rc = 0;

	while ((ch = getopt(argc, argv, "+n:")) != -1) {
		if (ch != 'n')
			exit(2);
		name = optarg;
	}
	argc -= optind;
	argv += optind;
	if (argc < 2)
		errx(2, "usage: sealer_client [-n name] dir command ...");
	client_connect(argv[0], name);

	if (strcmp(argv[1], "lot") == 0 || strcmp(argv[1], "bad-lot") == 0) {
		memset(&sl, 0, sizeof(sl));
		if (strcmp(argv[1], "lot") == 0) {
			if (argc != 7)
				errx(2, "lot N FIRST COUNT PRECEDENT OUT");
			sl.lot = strtonum(argv[2], 1, INT64_MAX, &e);
			sl.first = strtonum(argv[3], 1, INT64_MAX, &e);
			sl.nevents = strtonum(argv[4], 1, 100000, &e);
			if (strcmp(argv[5], "zero") != 0 &&
			    hex2bin(argv[5], sl.precedent, SHA256_LEN) == -1)
				errx(2, "bad precedent");
		} else {
			sl.lot = 99;
			sl.first = 5;
			sl.nevents = 2;
		}
		sl.last = sl.first + sl.nevents - 1;
		sl.operator_id = 48;
		sl.vault_id = 1;
		if ((ev = calloc(sl.nevents, sizeof(*ev))) == NULL)
			err(1, NULL);
		for (i = 0; i < sl.nevents; i++) {
			ev[i].idevt = sl.first + i;
			ev[i].received_ms = 1795514400123LL + i;
			strlcpy(ev[i].type, "PASPMISE", sizeof(ev[i].type));
			strlcpy(ev[i].dateevt, "100412103320",
			    sizeof(ev[i].dateevt));
			memset(ev[i].depositor, 0x22, SHA256_LEN);
			memset(ev[i].file_sha256, (int)i, SHA256_LEN);
		}
		if (strcmp(argv[1], "bad-lot") == 0)
			ev[1].idevt = 77;	/* not consecutive */
		b = imsg_create(&ibuf, IMSG_SEAL_LOT, 0, 0,
		    sizeof(sl) + sl.nevents * sizeof(*ev));
		if (b == NULL || imsg_add(b, &sl, sizeof(sl)) == -1 ||
		    imsg_add(b, ev, sl.nevents * sizeof(*ev)) == -1)
			err(1, "compose");
		imsg_close(&ibuf, b);
		if (imsg_flush(&ibuf) == -1)
			err(1, "send");
		client_wait(&imsg);
		if (imsg.hdr.type == IMSG_SEAL_FAIL)
			rc = client_fail(&imsg);
		else if (imsg.hdr.type == IMSG_SEAL_DONE) {
			len = imsg_get_len(&imsg);
			if (len < sizeof(sd))
				errx(1, "short IMSG_SEAL_DONE");
			memcpy(&sd, imsg.data, sizeof(sd));
			if ((uint64_t)sd.len + sd.seal_pem_len +
			    sd.tsa_pem_len != len - sizeof(sd) ||
			    sd.lot != sl.lot || sd.seal_pem_len == 0 ||
			    sd.tsa_pem_len == 0)
				errx(1, "inconsistent IMSG_SEAL_DONE");
			if (argc < 7 || (f = fopen(argv[6], "wb")) == NULL ||
			    fwrite((uint8_t *)imsg.data + sizeof(sd), 1,
			    sd.len, f) != sd.len || fclose(f) != 0)
				err(1, "writing the lot");
			for (i = 0; i < SHA256_LEN; i++)
				printf("%02x", sd.sigvalue_sha256[i]);
			printf("\n");
		} else
			errx(1, "unexpected answer type %u", imsg.hdr.type);
		imsg_free(&imsg);
		free(ev);
	} else if (strcmp(argv[1], "journal") == 0 && argc == 4) {
		if ((fd = open(argv[2], O_RDONLY)) == -1)
			err(1, "%s", argv[2]);
		memset(&js, 0, sizeof(js));
		js.reqid = 7;
		if (imsg_compose(&ibuf, IMSG_JOURNAL_SIGN, 0, 0, fd, &js,
		    sizeof(js)) == -1 || imsg_flush(&ibuf) == -1)
			err(1, "send");
		client_wait(&imsg);
		if (imsg.hdr.type == IMSG_SEAL_FAIL)
			rc = client_fail(&imsg);
		else if (imsg.hdr.type == IMSG_JOURNAL_SIGNED) {
			len = imsg_get_len(&imsg);
			memcpy(&js, imsg.data, sizeof(js));
			if (len < sizeof(js) || js.len != len - sizeof(js) ||
			    js.reqid != 7)
				errx(1, "inconsistent IMSG_JOURNAL_SIGNED");
			if ((f = fopen(argv[3], "wb")) == NULL ||
			    fwrite((uint8_t *)imsg.data + sizeof(js), 1,
			    js.len, f) != js.len || fclose(f) != 0)
				err(1, "%s", argv[3]);
			printf("signed %u bytes\n", js.len);
		} else
			errx(1, "unexpected answer type %u", imsg.hdr.type);
		imsg_free(&imsg);
	} else if (strcmp(argv[1], "checkpoint") == 0 && argc == 6) {
		struct checkpoint_req	 cr;
		struct checkpoint_done	 cd;

		memset(&cr, 0, sizeof(cr));
		cr.numero = strtonum(argv[2], 0, INT64_MAX, &e);
		cr.last_lot = strtonum(argv[3], 0, INT64_MAX, &e);
		cr.last_idevt = strtonum(argv[4], 0, INT64_MAX, &e);
		cr.operator_id = 48;
		cr.vault_id = 1;
		memset(cr.lot_sigvalue, 0x11, SHA256_LEN);
		memset(cr.precedent, 0x22, SHA256_LEN);
		if (imsg_compose(&ibuf, IMSG_CHECKPOINT_MAKE, 0, 0, -1, &cr,
		    sizeof(cr)) == -1 || imsg_flush(&ibuf) == -1)
			err(1, "send");
		client_wait(&imsg);
		if (imsg.hdr.type == IMSG_CHECKPOINT_FAIL)
			rc = client_fail(&imsg);
		else if (imsg.hdr.type == IMSG_CHECKPOINT_DONE) {
			len = imsg_get_len(&imsg);
			if (len < sizeof(cd))
				errx(1, "short IMSG_CHECKPOINT_DONE");
			memcpy(&cd, imsg.data, sizeof(cd));
			if ((uint64_t)cd.len + cd.seal_pem_len +
			    cd.tsa_pem_len != len - sizeof(cd) ||
			    cd.numero != cr.numero || cd.seal_pem_len == 0 ||
			    cd.tsa_pem_len == 0)
				errx(1, "inconsistent IMSG_CHECKPOINT_DONE");
			if ((f = fopen(argv[5], "wb")) == NULL ||
			    fwrite((uint8_t *)imsg.data + sizeof(cd), 1,
			    cd.len, f) != cd.len || fclose(f) != 0)
				err(1, "%s", argv[5]);
			printf("sealed, journal %s\n", cd.journal_file[0] ?
			    cd.journal_file : "none");
		} else
			errx(1, "unexpected answer type %u", imsg.hdr.type);
		imsg_free(&imsg);
	} else if (strcmp(argv[1], "journal-sealed") == 0 && argc == 4) {
		struct journal_sealed	 jd;

		memset(&jd, 0, sizeof(jd));
		strlcpy(jd.file, argv[2], sizeof(jd.file));
		if (hex2bin(argv[3], jd.meta_sha256, SHA256_LEN) == -1)
			errx(2, "bad digest");
		/* no answer: the link must still be up a moment later */
		if (imsg_compose(&ibuf, IMSG_JOURNAL_SEALED, 0, 0, -1, &jd,
		    sizeof(jd)) == -1 || imsg_flush(&ibuf) == -1)
			err(1, "send");
		{
			struct pollfd	 pfd = { ibuf.fd, POLLIN, 0 };

			if (poll(&pfd, 1, 300) > 0)
				errx(1, "sealerd closed the connection");
		}
		printf("told\n");
	} else if (strcmp(argv[1], "malformed") == 0 && argc == 3) {
		rc = client_malformed(argv[2]);
	} else if (strcmp(argv[1], "status") == 0) {
		if (imsg_compose(&ibuf, IMSG_SEALER_STATUS, 0, 0, -1, NULL,
		    0) == -1 || imsg_flush(&ibuf) == -1)
			err(1, "send");
		client_wait(&imsg);
		if (imsg.hdr.type != IMSG_SEALER_STATUS)
			errx(1, "unexpected answer type %u", imsg.hdr.type);
		printf("%.*s\n", (int)imsg_get_len(&imsg), (char *)imsg.data);
		imsg_free(&imsg);
	} else
		errx(2, "unknown command %s", argv[1]);
	return rc;
}
