/*
 * Talking to one daemon's control socket: one IMSG_CTL_REQUEST, one
 * IMSG_CTL_REPLY, with a time limit so that a stuck daemon cannot hang
 * an administrator's script.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>

#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cfjlctl.h"
#include "imsg.h"
#include "msg.h"
#include "proto.h"
#include "sock.h"

static int	ctl_reply(struct msg *, void *);

/* A daemon answers each request once. */
static const struct msg_entry ctl_msgs[] = {
	{ IMSG_CTL_REPLY, MSG_DAEMON, MSG_FD_NONE, ctl_reply },
};
static const struct msg_table ctl_table = MSG_TABLE("control", ctl_msgs);

int
client_present(const char *dir, const char *daemon)
{
	struct stat	 st;
	char		 path[1024];

	snprintf(path, sizeof(path), "%s/%s%s", dir, daemon,
	    SOCK_CONTROL_SUFFIX);
	return stat(path, &st) == 0 && S_ISSOCK(st.st_mode);
}

static int
ctl_reply(struct msg *m, void *arg)
{
	struct ctl_answer	*a = arg;
	struct ctl_reply	 rep;

	if (m_get_struct(m, proto_ctl_reply, &rep) == -1 ||
	    m_get_dup(m, &a->text, rep.len) == -1 || m_end(m) == -1)
		return -1;
	a->len = rep.len;
	a->ok = rep.ok != 0;
	return 0;
}

int
client_ask(const char *dir, const char *daemon, const char *command,
    const char *arg1, const char *arg2, int json, const uint8_t *sig,
    size_t siglen, struct ctl_answer *a)
{
	struct ctl_request	 req;
	struct iovec		 iov[3];
	uint32_t		 len32 = (uint32_t)siglen;
	struct imsgbuf		 ibuf;
	struct imsg		 imsg;
	struct msg		 m;
	struct pollfd		 pfd;
	char			 sockname[64];
	time_t			 deadline = time(NULL) + CTL_TIMEOUT;
	ssize_t			 n;
	int			 fd, ret = -1;

	memset(a, 0, sizeof(*a));
	memset(&req, 0, sizeof(req));
	req.version = CFJL_PROTO_VERSION;
	req.json = json ? 1 : 0;
	if (strlcpy(req.command, command, sizeof(req.command)) >=
	    sizeof(req.command) ||
	    strlcpy(req.arg1, arg1 != NULL ? arg1 : "", sizeof(req.arg1)) >=
	    sizeof(req.arg1) ||
	    strlcpy(req.arg2, arg2 != NULL ? arg2 : "", sizeof(req.arg2)) >=
	    sizeof(req.arg2)) {
		snprintf(a->error, sizeof(a->error), "argument too long");
		return -1;
	}
	snprintf(sockname, sizeof(sockname), "%s%s", daemon,
	    SOCK_CONTROL_SUFFIX);
	if ((fd = sock_connect(dir, sockname)) == -1) {
		snprintf(a->error, sizeof(a->error), "cannot reach %s at "
		    "%s/%s: %s", daemon, dir, sockname, errno == ENOENT ||
		    errno == ECONNREFUSED ? "not running" : strerror(errno));
		return -1;
	}
	imsg_init(&ibuf, fd);
	imsgbuf_set_maxsize(&ibuf, CFJL_MSG_MAX + IMSG_HEADER_SIZE);
	/* The signature, if any, follows the request (ctlsig.h). */
	iov[0].iov_base = &req;
	iov[0].iov_len = sizeof(req);
	iov[1].iov_base = &len32;
	iov[1].iov_len = sizeof(len32);
	iov[2].iov_base = (void *)(uintptr_t)sig;
	iov[2].iov_len = siglen;
	if (imsg_composev(&ibuf, IMSG_CTL_REQUEST, 0, 0, -1, iov,
	    siglen > 0 ? 3 : 1) == -1 || imsg_flush(&ibuf) == -1) {
		snprintf(a->error, sizeof(a->error), "%s: %s", daemon,
		    strerror(errno));
		goto done;
	}
	if (sock_nonblock(fd) == -1) {
		snprintf(a->error, sizeof(a->error), "%s", strerror(errno));
		goto done;
	}
	for (;;) {
		if ((n = imsg_get(&ibuf, &imsg)) == -1) {
			snprintf(a->error, sizeof(a->error), "%s: malformed "
			    "answer", daemon);
			goto done;
		}
		if (n > 0) {
			if ((ret = msg_dispatch(&ctl_table, &imsg, MSG_DAEMON,
			    a, &m)) == -1) {
				free(a->text);
				a->text = NULL;
				snprintf(a->error, sizeof(a->error), "%s: "
				    "malformed answer: %s: %s", daemon,
				    proto_type_name(imsg.hdr.type),
				    m_error(&m));
			}
			imsg_free(&imsg);
			goto done;
		}
		pfd.fd = fd;
		pfd.events = POLLIN;
		if (time(NULL) >= deadline ||
		    poll(&pfd, 1, (int)(deadline - time(NULL)) * 1000) == 0) {
			snprintf(a->error, sizeof(a->error), "%s did not "
			    "answer within %d seconds", daemon, CTL_TIMEOUT);
			goto done;
		}
		if ((n = imsg_read(&ibuf)) == 0 ||
		    (n == -1 && errno != EAGAIN && errno != EINTR)) {
			snprintf(a->error, sizeof(a->error), "%s closed the "
			    "connection without answering%s%s", daemon,
			    n == -1 ? ": " : "", n == -1 ? strerror(errno) :
			    "");
			goto done;
		}
	}
 done:
	imsg_clear(&ibuf);
	close(fd);
	return ret;
}
