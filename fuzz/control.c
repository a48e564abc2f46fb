/*
 * The control protocol (common/control.c) as a daemon serves it: byte 0
 * of the input gives the caller's groups (bit 0 technical, bit 1
 * functional), the rest is what the caller writes on its socket before
 * hanging up.  It goes through the real path: imsg_read() and
 * imsg_get() on the socket, the table, the version and string checks,
 * the privileges, the journal record that must be confirmed before the
 * command runs (confirmed at each turn of the loop here), the daemon's
 * handler and the replies.  The handler is the one a daemon with no
 * commands of its own would have: it answers each request in words.
 */
#include "../common/control.c"

#include "drive.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);
int	LLVMFuzzerInitialize(int *, char ***);

#define CONTROL_ACKS_MAX	64

static uint64_t	 acks[CONTROL_ACKS_MAX];
static size_t	 nacks;
static uint64_t	 seq;

static void
control_sink(const struct audit_record *r)
{
	if (nacks < CONTROL_ACKS_MAX)
		acks[nacks++] = r->id;
}

static void
control_fuzz_handler(const struct ctl_request *req, struct ctl_conn *c)
{
	if (strcmp(req->command, CTL_STATUS) == 0)
		control_replyf(c, 1, "fuzz %s %s json %u", req->arg1,
		    req->arg2, req->json);
	else
		control_replyf(c, 0, "fuzz does not handle \"%s\"",
		    req->command);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct cfjl_control_conf	 cc;
	char				 dir[] =
					    "/tmp/cfjl-fuzz-ctl.XXXXXX";

	drive_init("control");
	audit_init_local("fuzz", control_sink);
	if (mkdtemp(dir) == NULL)
		abort();
	memset(&cc, 0, sizeof(cc));
	strlcpy(cc.technical_group, "cfjl-fuzz-none",
	    sizeof(cc.technical_group));
	control_init(dir, "fuzz", &cc, control_fuzz_handler);
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ctl_conn	*c;
	char		 buf[4096];
	size_t		 i, n;
	int		 sv[2], rounds;

	if (size < 1)
		return 0;
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv) == -1)
		abort();
	if ((c = calloc(1, sizeof(*c))) == NULL)
		abort();
	c->uid = 1000;
	c->gid = 1000;
	c->pid = 1;
	c->privs = data[0] & (CTL_PRIV_TECHNICAL | CTL_PRIV_FUNCTIONAL);
	snprintf(c->who, sizeof(c->who), "uid %u", (unsigned int)c->uid);
	imsg_init(&c->iev.ibuf, sv[0]);
	imsgbuf_set_maxsize(&c->iev.ibuf, IMSG_HEADER_SIZE +
	    sizeof(struct ctl_request) + sizeof(uint32_t) + CTLSIG_DER_MAX);
	c->iev.handler = control_dispatch;
	c->iev.data = c;
	evtimer_set(&c->idle, control_idle, c);
	evtimer_set(&c->wait, control_wait_over, c);
	TAILQ_INSERT_TAIL(&ctl.conns, c, entry);
	ctl.nconns++;

	/* The caller writes everything, then hangs up. */
	if (size - 1 > 0 &&
	    write(sv[1], data + 1, size - 1) != (ssize_t)(size - 1))
		abort();
	shutdown(sv[1], SHUT_WR);

	/* A connection dropped is off the list, and freed once answered. */
	for (rounds = 0; rounds < 256 && TAILQ_FIRST(&ctl.conns) == c;
	    rounds++) {
		if (!c->busy)
			control_dispatch(sv[0], EV_READ, c);
		else if (nacks > 0) {
			/* The journal confirms, as auditd would. */
			n = nacks;
			nacks = 0;
			for (i = 0; i < n; i++)
				audit_local_ack(acks[i], ++seq);
		} else if (evtimer_pending(&c->wait, NULL))
			control_wait_over(-1, 0, c);
		else
			break;
		while (read(sv[1], buf, sizeof(buf)) > 0)
			;
	}
	if (TAILQ_FIRST(&ctl.conns) == c)
		control_drop(c);
	nacks = 0;
	close(sv[1]);
	return 0;
}
