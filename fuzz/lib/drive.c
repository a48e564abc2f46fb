/*
 * Driving a daemon's message table from fuzz input: see drive.h.
 */
#define _GNU_SOURCE		/* memfd_create */
#include <sys/types.h>
#include <sys/mman.h>
#include <sys/socket.h>

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event.h>

#include "imsg.h"
#include "log.h"
#include "msg.h"
#include "peer.h"
#include "proto.h"
#include "drive.h"

#define DRIVE_HEADER	5

static int	 drive_fd(const uint8_t *, size_t);

void
drive_init(const char *title)
{
	static int	 done;

	if (done)
		return;
	done = 1;
	log_init(1, 0, 0);
	log_procinit(title);
	event_init();
}

/* A descriptor holding the payload (a journal file to sign, say). */
static int
drive_fd(const uint8_t *data, size_t len)
{
	int	 fd;

	if ((fd = memfd_create("fuzz", 0)) == -1)
		return -1;
	if (write(fd, data, len) != (ssize_t)len ||
	    lseek(fd, 0, SEEK_SET) == -1) {
		close(fd);
		return -1;
	}
	return fd;
}

int
drive(const struct drive_target *t, size_t nt, const uint8_t *data,
    size_t size)
{
	const struct drive_target	*d;
	const struct msg_table		*tab;
	struct imsg			 imsg;
	struct msg			 m;
	unsigned int			 from, flags;
	size_t				 len;
	int				 n = 0, ret;

	while (size >= DRIVE_HEADER) {
		d = &t[data[0] % nt];
		tab = d->table;
		memset(&imsg, 0, sizeof(imsg));
		if (data[1] & 0x80)
			imsg.hdr.type = data[1] & 0x7f;
		else
			imsg.hdr.type =
			    tab->entries[data[1] % tab->nentries].type;
		flags = data[2];
		from = (flags & 2) ? flags >> 2 : d->from;
		len = data[3] | (size_t)data[4] << 8;
		data += DRIVE_HEADER;
		size -= DRIVE_HEADER;
		if (len > size)
			len = size;
		imsg.hdr.len = IMSG_HEADER_SIZE + len;
		imsg.fd = (flags & 1) ? drive_fd(data, len) : -1;
		/* A copy of its own, as imsg_get() makes: ASan sees its end. */
		if (len > 0) {
			if ((imsg.data = malloc(len)) == NULL)
				abort();
			memcpy(imsg.data, data, len);
		}
		data += len;
		size -= len;
		ret = msg_dispatch(tab, &imsg, from, d->arg, &m);
		/* The dispatcher closes every descriptor not taken. */
		if (imsg.fd != -1)
			abort();
		if (ret == -1 && m_error(&m) == NULL)
			abort();
		imsg_free(&imsg);
		if (d->turn != NULL)
			d->turn(d->arg);
		if (ret == -1) {
			if (d->dropped != NULL)
				d->dropped(d->arg);
			return n;
		}
		n++;
	}
	return -1;
}

void
drive_peer(struct peer *p, const char *name)
{
	int	 sv[2];

	memset(p, 0, sizeof(*p));
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv) == -1)
		abort();
	imsg_init(&p->iev.ibuf, sv[0]);
	strlcpy(p->name, name, sizeof(p->name));
	strlcpy(p->myname, "fuzz", sizeof(p->myname));
	p->from = msg_sender(name);
	p->uid = getuid();
	p->pid = getpid();
	p->state = PEER_UP;
	/* sv[1] stays open and unread: nothing is ever written to it. */
}

void
drive_peer_clear(struct peer *p)
{
	msgbuf_clear(&p->iev.ibuf.w);
	p->state = PEER_UP;
	p->dead = 0;
}
