/*
 * A client of stored.sock that behaves as frontd would, for the tests:
 *
 *	stored_client [-d rundir] deposit [-b] FILE[@CLIENTID]...
 *	stored_client [-d rundir] stream -n COUNT -o ACKS FILE
 *	stored_client [-d rundir] status | lot N | roles
 *	stored_client [-d rundir] sealer [-e] [-n LOTS] [-l LOT] [-f LOT] [-s MS]
 *	    [-w FILE]
 *
 * deposit sends each file as one request (-b: all in one batch), with
 * IDEvt located as frontd does (0, empty, or the SAFE_ID comment), and
 * prints one line per answer item:
 *	ok idevt=N lot=L dup=0|1 digest=HEX received=MS client_id=ID
 * or	err status=409 code=CFJL_... index=I retry=S detail=...
 * stream keeps up to 32 deposits in flight and appends "IDEVT DIGEST"
 * to ACKS for each acknowledgement, until COUNT or stored goes away.
 * sealer plays sealerd: it listens on sealer.sock, prints one line per
 * lot stored sends, "lot N first F last L nevents K precedent HEX", and
 * seals it with SignatureValue digest SHA-256("sig-N"), until LOTS are
 * sealed (-n) or, once lot LOT is sealed (-l), stored sends nothing for
 * 2 s.  -e: each event of a lot follows its line, "event IDEVT
 * RECEIVED_MS TYPE DATEEVT DEPOSITOR FILE_SHA256 STAMP" ("-" for no
 * stamp).  -f: the first attempt at LOT fails
 * with a retry after 1 s; -s: each seal takes MS milliseconds; -w: the
 * first lot waits until FILE exists.  When stored goes away it waits for
 * the next stored.  Every lot must chain to SHA-256("sig-N-1") (zeros
 * for lot 1) and come at most one after the lot before it: otherwise it
 * says "broken: ..." and exits 3.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <err.h>
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/sha.h>

#include "imsg.h"
#include "proto.h"
#include "refusal.h"

#define WINDOW	32
/* What a sealer names as its certificates; stored only keeps them. */
#define FAKE_SEAL_PEM	"-----BEGIN CERTIFICATE-----\nc2VhbA==\n" \
			"-----END CERTIFICATE-----\n"
#define FAKE_TSA_PEM	"-----BEGIN CERTIFICATE-----\ndHNh\n" \
			"-----END CERTIFICATE-----\n"

struct trace {
	uint8_t			*buf;
	size_t			 len;
	struct deposit_trace	 h;
};

static struct imsgbuf	 ibuf;
static uint64_t		 reqids;

static __attribute__((__noreturn__)) void usage(void);
static void	 connect_stored(const char *);
static void	 load(struct trace *, const char *);
static void	 send_deposit(struct trace *, size_t, int);
static int	 get(struct imsg *, int);
static int	 print_answer(struct imsg *);
static void	 hex(const uint8_t *, size_t, char *);
static int64_t	 now_ms(void);
static int	 cmd_export(const char *, const char *);

static void
usage(void)
{
	fprintf(stderr, "usage: stored_client [-d rundir] deposit [-b] "
	    "file[@id]...\n"
	    "       stored_client [-d rundir] stream -n count -o acks file\n"
	    "       stored_client [-d rundir] status | lot N | roles\n"
	    "       stored_client [-d rundir] export from to\n"
	    "       stored_client [-d rundir] sealer [-e] [-n lots] [-l lot] "
	    "[-f lot] [-s ms] [-w file]\n");
	exit(2);
}

static int64_t
now_ms(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void
hex(const uint8_t *b, size_t n, char *out)
{
	size_t	 i;

	for (i = 0; i < n; i++)
		snprintf(out + 2 * i, 3, "%02x", b[i]);
}

static void
connect_stored(const char *dir)
{
	struct sockaddr_un	 sun;
	struct proto_hello	 hello;
	struct imsg		 imsg;
	int			 fd;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if ((size_t)snprintf(sun.sun_path, sizeof(sun.sun_path), "%s/%s",
	    dir, SOCK_STORED) >= sizeof(sun.sun_path))
		errx(2, "path too long");
	if ((fd = socket(AF_UNIX, SOCK_STREAM, 0)) == -1)
		err(2, "socket");
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1)
		err(2, "connect %s", sun.sun_path);
	imsg_init(&ibuf, fd);
	memset(&hello, 0, sizeof(hello));
	hello.version = CFJL_PROTO_VERSION;
	strlcpy(hello.name, "frontd", sizeof(hello.name));
	if (imsg_compose(&ibuf, IMSG_HELLO, 0, 0, -1, &hello,
	    sizeof(hello)) == -1 || imsg_flush(&ibuf) == -1)
		err(2, "hello");
	if (get(&imsg, 0) != IMSG_HELLO)
		errx(2, "no hello from stored");
	imsg_free(&imsg);
}

/* The next message; roles pushed by stored are skipped unless asked. */
static int
get(struct imsg *imsg, int roles)
{
	ssize_t	 n;

	for (;;) {
		if ((n = imsg_get(&ibuf, imsg)) == -1)
			err(2, "imsg_get");
		if (n > 0) {
			/* stored asks sealerd's status now and then. */
			if (imsg->hdr.type == IMSG_SEALER_STATUS) {
				imsg_free(imsg);
				continue;
			}
			if (!roles && (imsg->hdr.type == IMSG_ROLES_RESET ||
			    imsg->hdr.type == IMSG_ROLE ||
			    imsg->hdr.type == IMSG_ROLES_END)) {
				imsg_free(imsg);
				continue;
			}
			return imsg->hdr.type;
		}
		if ((n = imsg_read(&ibuf)) == -1 && errno == ECONNRESET)
			return -1;	/* stored was killed */
		if (n == -1 && errno != EAGAIN)
			err(2, "read");
		if (n == 0)
			return -1;	/* stored went away */
	}
}

/* Read a trace and find its IDEvt the way frontd does. */
static void
load(struct trace *t, const char *arg)
{
	char		 path[1024], *at, *p, *e;
	FILE		*fp;
	long		 sz;
	const char	*forms[] = { "<IDEvt>0</IDEvt>", "<IDEvt></IDEvt>",
			    "<IDEvt><!--SAFE_ID--></IDEvt>", NULL };
	int		 i;

	memset(t, 0, sizeof(*t));
	strlcpy(path, arg, sizeof(path));
	if ((at = strrchr(path, '@')) != NULL) {
		*at++ = '\0';
		strlcpy(t->h.client_id, at, sizeof(t->h.client_id));
	}
	if ((fp = fopen(path, "rb")) == NULL)
		err(2, "%s", path);
	fseek(fp, 0, SEEK_END);
	sz = ftell(fp);
	rewind(fp);
	if ((t->buf = malloc(sz + 1)) == NULL)
		err(2, NULL);
	if (fread(t->buf, 1, sz, fp) != (size_t)sz)
		err(2, "%s", path);
	fclose(fp);
	t->buf[sz] = '\0';
	t->len = sz;
	t->h.len = sz;
	SHA256(t->buf, t->len, t->h.body_sha256);

	for (i = 0; forms[i] != NULL; i++)
		if ((p = strstr((char *)t->buf, forms[i])) != NULL)
			break;
	if (forms[i] == NULL)
		errx(2, "%s: no IDEvt to fill", path);
	t->h.idevt_off = (p - (char *)t->buf) + 7;
	t->h.idevt_len = strlen(forms[i]) - 15;

	/* The root element names the type. */
	if ((p = strstr((char *)t->buf, "?>")) != NULL)
		p += 2;
	else
		p = (char *)t->buf;
	if ((p = strchr(p, '<')) == NULL)
		errx(2, "%s: no root element", path);
	p++;
	for (e = p; *e != '\0' && *e != '>' && *e != ' ' && *e != '/'; e++)
		;
	if ((size_t)(e - p) >= sizeof(t->h.type))
		errx(2, "%s: type too long", path);
	memcpy(t->h.type, p, e - p);
	if ((p = strstr((char *)t->buf, "<DateEvt>")) != NULL &&
	    (e = strstr(p, "</DateEvt>")) != NULL &&
	    (size_t)(e - p - 9) < sizeof(t->h.dateevt))
		memcpy(t->h.dateevt, p + 9, e - p - 9);
}

static void
send_deposit(struct trace *t, size_t n, int batch)
{
	struct deposit_req	 req;
	struct ibuf		*b;
	size_t			 i, len = sizeof(req);

	for (i = 0; i < n; i++)
		len += sizeof(t[i].h) + t[i].len;
	memset(&req, 0, sizeof(req));
	req.reqid = ++reqids;
	req.ntraces = n;
	req.batch = batch;
	req.received_ms = now_ms();
	SHA256((const uint8_t *)"test depositor", 14, req.depositor);
	strlcpy(req.subject, "CN=capteur-test,O=Operateur 48,C=FR",
	    sizeof(req.subject));
	if ((b = imsg_create(&ibuf, IMSG_DEPOSIT, 0, 0, len)) == NULL ||
	    imsg_add(b, &req, sizeof(req)) == -1)
		err(2, "imsg_create");
	for (i = 0; i < n; i++)
		if (imsg_add(b, &t[i].h, sizeof(t[i].h)) == -1 ||
		    imsg_add(b, t[i].buf, t[i].len) == -1)
			err(2, "imsg_add");
	imsg_close(&ibuf, b);
}

/* Print the answer; 0 if it was OK. */
static int
print_answer(struct imsg *imsg)
{
	struct deposit_ok	 ok;
	struct deposit_item	 it;
	struct deposit_err	 e;
	const struct refusal_info	*rf;
	size_t			 len = imsg_get_len(imsg);
	uint32_t		 i;
	char			 d[2 * SHA256_LEN + 1];

	switch (imsg->hdr.type) {
	case IMSG_DEPOSIT_OK:
		if (len < sizeof(ok))
			errx(2, "short DEPOSIT_OK");
		memcpy(&ok, imsg->data, sizeof(ok));
		if (len != sizeof(ok) + ok.nitems * sizeof(it))
			errx(2, "bad DEPOSIT_OK length");
		for (i = 0; i < ok.nitems; i++) {
			memcpy(&it, (uint8_t *)imsg->data + sizeof(ok) +
			    i * sizeof(it), sizeof(it));
			hex(it.digest, SHA256_LEN, d);
			printf("ok idevt=%" PRIu64 " lot=%" PRIu64 " dup=%u "
			    "digest=%s received=%" PRId64 " client_id=%s\n",
			    it.idevt, it.lot, it.duplicate, d,
			    it.received_ms, it.client_id);
		}
		return 0;
	case IMSG_DEPOSIT_ERR:
		if (len != sizeof(e))
			errx(2, "bad DEPOSIT_ERR length");
		memcpy(&e, imsg->data, sizeof(e));
		if ((rf = refusal_get(e.code)) == NULL)
			errx(2, "DEPOSIT_ERR with unknown code %u", e.code);
		printf("err status=%d code=%s index=%d retry=%u error=%s "
		    "detail=%s\n", rf->http, rf->status, e.index,
		    e.retry_after, e.error, e.detail);
		return 1;
	default:
		errx(2, "unexpected message type %u", imsg->hdr.type);
	}
}

static int
cmd_deposit(int argc, char *argv[])
{
	struct trace	*t;
	struct imsg	 imsg;
	int		 batch = 0, i, n, ret = 0, type;

	if (argc > 0 && strcmp(argv[0], "-b") == 0) {
		batch = 1;
		argc--;
		argv++;
	}
	if (argc == 0)
		usage();
	if ((t = calloc(argc, sizeof(*t))) == NULL)
		err(2, NULL);
	for (i = 0; i < argc; i++)
		load(&t[i], argv[i]);
	n = batch ? 1 : argc;
	if (batch)
		send_deposit(t, argc, 1);
	else
		for (i = 0; i < argc; i++)
			send_deposit(&t[i], 1, 0);
	if (imsg_flush(&ibuf) == -1)
		err(2, "write");
	for (i = 0; i < n; i++) {
		if ((type = get(&imsg, 0)) == -1) {
			warnx("stored went away");
			ret = 2;
			break;
		}
		ret |= print_answer(&imsg);
		imsg_free(&imsg);
	}
	fflush(stdout);
	/* Freed on every way out: a sanitizer build reports no leak. */
	for (i = 0; i < argc; i++)
		free(t[i].buf);
	free(t);
	return ret;
}

static int
cmd_stream(int argc, char *argv[])
{
	struct trace		 t;
	struct imsg		 imsg;
	struct pollfd		 pfd;
	struct deposit_ok	 ok;
	struct deposit_item	 it;
	FILE			*acks = NULL;
	const char		*e;
	long long		 count = 0, sent = 0, done = 0;
	int			 ch, inflight = 0;
	ssize_t			 n;
	char			 d[2 * SHA256_LEN + 1];

	optind = 0;
	while ((ch = getopt(argc, argv, "n:o:")) != -1) {
		switch (ch) {
		case 'n':
			count = strtonum(optarg, 1, 10000000, &e);
			if (e != NULL)
				errx(2, "count %s", e);
			break;
		case 'o':
			if ((acks = fopen(optarg, "a")) == NULL)
				err(2, "%s", optarg);
			break;
		default:
			usage();
		}
	}
	argc -= optind;
	argv += optind;
	if (argc != 1 || acks == NULL || count == 0)
		usage();
	load(&t, argv[0]);

	pfd.fd = ibuf.fd;
	while (done < count) {
		while (inflight < WINDOW && sent < count) {
			send_deposit(&t, 1, 0);
			sent++;
			inflight++;
		}
		pfd.events = POLLIN | (imsg_queued(&ibuf) ? POLLOUT : 0);
		if (poll(&pfd, 1, 10000) <= 0)
			errx(2, "stored does not answer");
		if ((pfd.revents & POLLOUT) && msgbuf_write(&ibuf.w) == -1 &&
		    errno != EAGAIN)
			break;
		if (!(pfd.revents & (POLLIN | POLLHUP)))
			continue;
		if ((n = imsg_read(&ibuf)) == 0 || (n == -1 &&
		    errno != EAGAIN))
			break;
		while ((n = imsg_get(&ibuf, &imsg)) > 0) {
			if (imsg.hdr.type == IMSG_DEPOSIT_OK &&
			    imsg_get_len(&imsg) == sizeof(ok) + sizeof(it)) {
				memcpy(&it, (uint8_t *)imsg.data + sizeof(ok),
				    sizeof(it));
				hex(it.digest, SHA256_LEN, d);
				fprintf(acks, "%" PRIu64 " %s\n", it.idevt, d);
				fflush(acks);
				done++;
				inflight--;
			} else if (imsg.hdr.type == IMSG_DEPOSIT_ERR) {
				inflight--;
				done++;
			}
			imsg_free(&imsg);
		}
		if (n == -1)
			err(2, "imsg_get");
	}
	fclose(acks);
	printf("%lld acknowledged\n", done);
	return 0;
}

/* Wait for stored on sealer.sock and exchange HELLO; -1 if it left. */
static int
sealer_accept(int lfd)
{
	struct proto_hello	 hello;
	struct imsg		 imsg;
	int			 fd;

	if ((fd = accept(lfd, NULL, NULL)) == -1)
		err(2, "accept");
	/* What the stored that went away left in the buffers goes. */
	imsg_clear(&ibuf);
	imsg_init(&ibuf, fd);
	if (get(&imsg, 0) != IMSG_HELLO) {
		close(fd);
		return -1;
	}
	imsg_free(&imsg);
	memset(&hello, 0, sizeof(hello));
	hello.version = CFJL_PROTO_VERSION;
	strlcpy(hello.name, "sealer", sizeof(hello.name));
	if (imsg_compose(&ibuf, IMSG_HELLO, 0, 0, -1, &hello,
	    sizeof(hello)) == -1 || imsg_flush(&ibuf) == -1) {
		close(fd);
		return -1;
	}
	return fd;
}

/*
 * The next message for sealerd, or 0 when nothing came by the deadline
 * (ms, 0: none); -1 when stored went away.
 */
static int
sealer_get(struct imsg *imsg, int64_t deadline)
{
	struct pollfd	 pfd;
	ssize_t		 n;
	int64_t		 left;

	for (;;) {
		if ((n = imsg_get(&ibuf, imsg)) == -1)
			err(2, "imsg_get");
		if (n > 0) {
			/* the status and checkpoints are not what it plays */
			if (imsg->hdr.type == IMSG_SEALER_STATUS ||
			    imsg->hdr.type == IMSG_CHECKPOINT_MAKE) {
				imsg_free(imsg);
				continue;
			}
			return imsg->hdr.type;
		}
		if (deadline != 0) {
			if ((left = deadline - now_ms()) <= 0)
				return 0;
			pfd.fd = ibuf.fd;
			pfd.events = POLLIN;
			if (poll(&pfd, 1, (int)left) == 0)
				return 0;
		}
		if ((n = imsg_read(&ibuf)) == -1 && errno == ECONNRESET)
			return -1;
		if (n == -1 && errno != EAGAIN)
			err(2, "read");
		if (n == 0)
			return -1;
	}
}

static int
cmd_sealer(int argc, char *argv[], const char *dir)
{
	struct sockaddr_un	 sun;
	struct imsg		 imsg;
	struct seal_lot		 sl;
	struct seal_event	 ev;
	struct seal_done	 sd;
	struct seal_fail	 sf;
	struct ibuf		*b;
	struct timespec		 ts;
	const char		*e, *waitfile = NULL;
	char			 xml[128], sig[32], p[2 * SHA256_LEN + 1];
	uint8_t			 want[SHA256_LEN];
	long long		 lots = 0, lastlot = 0, failat = 0, sealed = 0;
	long long		 slow = 0, prev = -1;
	uint32_t		 i;
	int			 ch, lfd, fd, n, failed = 0, waited = 0;
	int			 linger = 0, events = 0;
	char			 dh[2 * SHA256_LEN + 1], fh[2 * SHA256_LEN + 1];

	optind = 0;
	while ((ch = getopt(argc, argv, "ef:l:n:s:w:")) != -1) {
		switch (ch) {
		case 'e':
			events = 1;
			break;
		case 'f':
			failat = strtonum(optarg, 1, INT64_MAX, &e);
			if (e != NULL)
				errx(2, "lot %s", e);
			break;
		case 'l':
			lastlot = strtonum(optarg, 1, INT64_MAX, &e);
			if (e != NULL)
				errx(2, "lot %s", e);
			break;
		case 'n':
			lots = strtonum(optarg, 1, 1000000, &e);
			if (e != NULL)
				errx(2, "count %s", e);
			break;
		case 's':
			slow = strtonum(optarg, 0, 60000, &e);
			if (e != NULL)
				errx(2, "milliseconds %s", e);
			break;
		case 'w':
			waitfile = optarg;
			break;
		default:
			usage();
		}
	}
	if (lots == 0 && lastlot == 0)
		usage();
	signal(SIGPIPE, SIG_IGN);
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s/%s", dir,
	    SOCK_SEALER);
	unlink(sun.sun_path);
	if ((lfd = socket(AF_UNIX, SOCK_STREAM, 0)) == -1 ||
	    bind(lfd, (struct sockaddr *)&sun, sizeof(sun)) == -1 ||
	    listen(lfd, 1) == -1)
		err(2, "listen %s", sun.sun_path);
	printf("listening\n");
	fflush(stdout);
	while ((fd = sealer_accept(lfd)) == -1)
		;

	while (lots == 0 || sealed < lots) {
		/* Once lot LOT is sealed, serve until stored is quiet. */
		if ((n = sealer_get(&imsg, linger ? now_ms() + 2000 : 0)) ==
		    0)
			return 0;
		if (n == -1) {
			/* stored went away: wait for the next one. */
			close(fd);
			printf("stored went away\n");
			fflush(stdout);
			while ((fd = sealer_accept(lfd)) == -1)
				;
			continue;
		}
		if (n != IMSG_SEAL_LOT)
			errx(2, "expected SEAL_LOT");
		if (imsg_get_len(&imsg) < sizeof(sl))
			errx(2, "short SEAL_LOT");
		memcpy(&sl, imsg.data, sizeof(sl));
		if (imsg_get_len(&imsg) != sizeof(sl) + sl.nevents * sizeof(ev))
			errx(2, "SEAL_LOT length");
		if (sl.nevents != sl.last - sl.first + 1)
			errx(2, "lot %" PRIu64 ": %u events for %" PRIu64
			    "..%" PRIu64, sl.lot, sl.nevents, sl.first, sl.last);
		for (i = 0; i < sl.nevents; i++) {
			memcpy(&ev, (uint8_t *)imsg.data + sizeof(sl) +
			    i * sizeof(ev), sizeof(ev));
			if (ev.idevt != sl.first + i || ev.type[0] == '\0')
				errx(2, "lot %" PRIu64 ": event %u is %" PRIu64,
				    sl.lot, i, ev.idevt);
		}
		hex(sl.precedent, SHA256_LEN, p);
		printf("lot %" PRIu64 " first %" PRIu64 " last %" PRIu64
		    " nevents %u precedent %s operator %u vault %u\n", sl.lot,
		    sl.first, sl.last, sl.nevents, p, sl.operator_id,
		    sl.vault_id);
		for (i = 0; events && i < sl.nevents; i++) {
			memcpy(&ev, (uint8_t *)imsg.data + sizeof(sl) +
			    i * sizeof(ev), sizeof(ev));
			hex(ev.depositor, SHA256_LEN, dh);
			hex(ev.file_sha256, SHA256_LEN, fh);
			printf("event %" PRIu64 " %lld %.*s %.*s %s %s %.*s\n",
			    ev.idevt, (long long)ev.received_ms,
			    (int)sizeof(ev.type), ev.type,
			    (int)sizeof(ev.dateevt), ev.dateevt, dh, fh,
			    (int)sizeof(ev.stamp),
			    ev.stamp[0] != '\0' ? ev.stamp : "-");
		}
		fflush(stdout);
		imsg_free(&imsg);

		/* In order, nothing skipped, chained to the lot before. */
		if (prev != -1 && (long long)sl.lot > prev + 1) {
			printf("broken: lot %" PRIu64 " after lot %lld\n",
			    sl.lot, prev);
			return 3;
		}
		memset(want, 0, sizeof(want));
		if (sl.lot > 1) {
			snprintf(sig, sizeof(sig), "sig-%" PRIu64, sl.lot - 1);
			SHA256((uint8_t *)sig, strlen(sig), want);
		}
		if (memcmp(want, sl.precedent, SHA256_LEN) != 0) {
			printf("broken: lot %" PRIu64 " not chained to lot %"
			    PRIu64 "\n", sl.lot, sl.lot - 1);
			return 3;
		}
		prev = sl.lot;

		for (n = 0; waitfile != NULL && !waited && n < 600; n++) {
			if (access(waitfile, F_OK) == 0)
				break;
			usleep(100000);
		}
		waited = 1;
		if (slow > 0) {
			ts.tv_sec = slow / 1000;
			ts.tv_nsec = (slow % 1000) * 1000000;
			nanosleep(&ts, NULL);
		}
		if ((long long)sl.lot == failat && !failed) {
			failed = 1;
			memset(&sf, 0, sizeof(sf));
			sf.lot = sl.lot;
			sf.retry_after = 1;
			strlcpy(sf.reason, "token busy", sizeof(sf.reason));
			if (imsg_compose(&ibuf, IMSG_SEAL_FAIL, 0, 0, -1, &sf,
			    sizeof(sf)) == -1)
				err(2, "seal fail");
			(void)imsg_flush(&ibuf);	/* stored may be gone */
			continue;
		}
		snprintf(xml, sizeof(xml), "<Lot Numero=\"%" PRIu64 "\"/>",
		    sl.lot);
		snprintf(sig, sizeof(sig), "sig-%" PRIu64, sl.lot);
		memset(&sd, 0, sizeof(sd));
		sd.lot = sl.lot;
		SHA256((uint8_t *)sig, strlen(sig), sd.sigvalue_sha256);
		sd.len = strlen(xml);
		/* stored keeps what it is told: no certificate is parsed. */
		sd.seal_pem_len = strlen(FAKE_SEAL_PEM);
		sd.tsa_pem_len = strlen(FAKE_TSA_PEM);
		SHA256((const uint8_t *)FAKE_SEAL_PEM, sd.seal_pem_len,
		    sd.seal_cert);
		SHA256((const uint8_t *)FAKE_TSA_PEM, sd.tsa_pem_len,
		    sd.tsa_cert);
		if ((b = imsg_create(&ibuf, IMSG_SEAL_DONE, 0, 0,
		    sizeof(sd) + sd.len + sd.seal_pem_len +
		    sd.tsa_pem_len)) == NULL ||
		    imsg_add(b, &sd, sizeof(sd)) == -1 ||
		    imsg_add(b, xml, sd.len) == -1 ||
		    imsg_add(b, FAKE_SEAL_PEM, sd.seal_pem_len) == -1 ||
		    imsg_add(b, FAKE_TSA_PEM, sd.tsa_pem_len) == -1)
			err(2, "seal done");
		imsg_close(&ibuf, b);
		(void)imsg_flush(&ibuf);	/* stored may be gone */
		sealed++;
		if ((long long)sl.lot == lastlot)
			linger = 1;
	}
	/* Give stored the time to store the last seal. */
	sleep(1);
	return 0;
}

static int
cmd_status(void)
{
	struct status_get	 req;
	struct status_reply	 r;
	struct imsg		 imsg;

	memset(&req, 0, sizeof(req));
	req.reqid = ++reqids;
	if (imsg_compose(&ibuf, IMSG_STATUS_GET, 0, 0, -1, &req,
	    sizeof(req)) == -1 || imsg_flush(&ibuf) == -1)
		err(2, "write");
	if (get(&imsg, 0) != IMSG_STATUS || imsg_get_len(&imsg) < sizeof(r))
		errx(2, "no status");
	memcpy(&r, imsg.data, sizeof(r));
	if (imsg_get_len(&imsg) != sizeof(r) + r.len)
		errx(2, "bad status length");
	fwrite((uint8_t *)imsg.data + sizeof(r), 1, r.len, stdout);
	printf("\n");
	imsg_free(&imsg);
	return 0;
}

static int
cmd_lot(const char *arg)
{
	struct lot_get	 req;
	struct lot_data	 d;
	struct imsg	 imsg;
	const char	*e;
	const char	*names[] = { "unknown", "open", "pending", "sealed" };

	memset(&req, 0, sizeof(req));
	req.reqid = ++reqids;
	req.lot = strtonum(arg, 0, INT64_MAX, &e);
	if (e != NULL)
		errx(2, "lot %s", e);
	if (imsg_compose(&ibuf, IMSG_LOT_GET, 0, 0, -1, &req,
	    sizeof(req)) == -1 || imsg_flush(&ibuf) == -1)
		err(2, "write");
	if (get(&imsg, 0) != IMSG_LOT_DATA || imsg_get_len(&imsg) < sizeof(d))
		errx(2, "no lot data");
	memcpy(&d, imsg.data, sizeof(d));
	if (imsg_get_len(&imsg) != sizeof(d) + d.len || d.state > 3)
		errx(2, "bad lot data");
	printf("%s\n", names[d.state]);
	fwrite((uint8_t *)imsg.data + sizeof(d), 1, d.len, stdout);
	imsg_free(&imsg);
	return 0;
}

/* An IDEvt range; only a refusal is printed (frontd's checks skipped). */
static int
cmd_export(const char *from, const char *to)
{
	struct export_req		 req;
	struct export_chunk		 c;
	struct imsg			 imsg;
	const struct refusal_info	*rf;
	const char			*e;
	size_t				 len;

	memset(&req, 0, sizeof(req));
	req.reqid = ++reqids;
	req.from = strtonum(from, 0, INT64_MAX, &e);
	if (e != NULL)
		errx(2, "from %s", e);
	req.to = strtonum(to, 0, INT64_MAX, &e);
	if (e != NULL)
		errx(2, "to %s", e);
	strlcpy(req.subject, "CN=stored_client", sizeof(req.subject));
	if (imsg_compose(&ibuf, IMSG_EXPORT_START, 0, 0, -1, &req,
	    sizeof(req)) == -1 || imsg_flush(&ibuf) == -1)
		err(2, "write");
	if (get(&imsg, 0) != IMSG_EXPORT_CHUNK ||
	    (len = imsg_get_len(&imsg)) < sizeof(c))
		errx(2, "no export chunk");
	memcpy(&c, imsg.data, sizeof(c));
	if (c.error == 0) {
		printf("bundle\n");
		imsg_free(&imsg);
		return 0;
	}
	if ((rf = refusal_get(c.error)) == NULL)
		errx(2, "export refused with unknown code %u", c.error);
	printf("refused status=%d code=%s last=%u reason=%.*s\n", rf->http,
	    rf->status, c.last, (int)(len - sizeof(c)),
	    (char *)imsg.data + sizeof(c));
	imsg_free(&imsg);
	return 1;
}

static int
cmd_roles(void)
{
	struct imsg	 imsg;
	struct role_msg	 m;
	int		 type;

	while ((type = get(&imsg, 1)) != -1) {
		if (type == IMSG_ROLE && imsg_get_len(&imsg) == sizeof(m)) {
			memcpy(&m, imsg.data, sizeof(m));
			m.subject[sizeof(m.subject) - 1] = '\0';
			printf("%s %s\n", m.role == 2 ? "reader" :
			    "depositor", m.subject);
		}
		imsg_free(&imsg);
		if (type == IMSG_ROLES_END)
			return 0;
	}
	return 1;
}

int
main(int argc, char *argv[])
{
	const char	*dir = ".";
	int		 ch;

	while ((ch = getopt(argc, argv, "+d:")) != -1) {
		switch (ch) {
		case 'd':
			dir = optarg;
			break;
		default:
			usage();
		}
	}
	argc -= optind;
	argv += optind;
	if (argc < 1)
		usage();
	if (strcmp(argv[0], "sealer") == 0)
		return cmd_sealer(argc, argv, dir);
	connect_stored(dir);
	if (strcmp(argv[0], "deposit") == 0)
		return cmd_deposit(argc - 1, argv + 1);
	if (strcmp(argv[0], "stream") == 0)
		return cmd_stream(argc, argv);
	if (strcmp(argv[0], "status") == 0)
		return cmd_status();
	if (strcmp(argv[0], "lot") == 0 && argc == 2)
		return cmd_lot(argv[1]);
	if (strcmp(argv[0], "roles") == 0)
		return cmd_roles();
	if (strcmp(argv[0], "export") == 0 && argc == 3)
		return cmd_export(argv[1], argv[2]);
	usage();
}
