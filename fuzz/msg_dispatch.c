/*
 * Fuzz the message reader and the table dispatcher (common/msg.c): an
 * arbitrary payload, type, sender and descriptor go through
 * msg_dispatch() and a table whose handlers take every structure of
 * common/proto.h apart the way the daemons' handlers do (fixed part,
 * counted records, variable bytes by pointer, m_end).  A handler must
 * never read outside the payload, whatever the lengths it announces.
 *
 * Input: byte 0 the type, byte 1 the sender bits, byte 2 bit 0 a
 * descriptor; the rest is the payload.
 */
#include <sys/types.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "imsg.h"
#include "msg.h"
#include "proto.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static volatile uint8_t	 sink;

/* Touch every byte handed out, so the sanitizers see a bad pointer. */
static void
use(const void *p, size_t len)
{
	const uint8_t	*b = p;
	size_t		 i;

	for (i = 0; i < len; i++)
		sink ^= b[i];
}

static int
h_deposit(struct msg *m, void *arg)
{
	struct deposit_req	 r;
	struct deposit_trace	 t;
	const void		*xml;
	uint32_t		 i;

	if (m_get_struct(m, proto_deposit_req, &r) == -1)
		return -1;
	for (i = 0; i < r.ntraces && i < 1000; i++) {
		if (m_get_struct(m, proto_deposit_trace, &t) == -1 ||
		    m_get_ptr(m, &xml, t.len) == -1)
			return -1;
		use(xml, t.len);
		use(t.client_id, strlen(t.client_id));
	}
	if (m_end(m) == -1)
		return -1;
	free(m_keep(m));
	return 0;
}

static int
h_deposit_ok(struct msg *m, void *arg)
{
	struct deposit_ok	 ok;
	struct deposit_item	 it;

	if (m_get_struct(m, proto_deposit_ok, &ok) == -1)
		return -1;
	while (m_left(m) > 0)
		if (m_get_struct(m, proto_deposit_item, &it) == -1)
			return -1;
	return m_end(m);
}

static int
h_fixed(struct msg *m, void *arg)
{
	const struct msg_struct	*d = arg;
	uint8_t			 buf[4096];

	if (d->size > sizeof(buf))
		abort();
	if (m_get_struct_(m, d, buf, d->size) == -1)
		return -1;
	return m_end(m);
}

static int
h_lenthen(struct msg *m, void *arg)
{
	struct lot_data	 ld;
	const void	*p;

	if (m_get_struct(m, proto_lot_data, &ld) == -1 ||
	    m_get_ptr(m, &p, ld.len) == -1 || m_end(m) == -1)
		return -1;
	use(p, ld.len);
	return 0;
}

static int
h_chunk(struct msg *m, void *arg)
{
	struct export_chunk	 ec;
	const void		*p;
	size_t			 n;

	if (m_get_struct(m, proto_export_chunk, &ec) == -1)
		return -1;
	n = m_left(m);
	if (m_get_ptr(m, &p, n) == -1 || m_end(m) == -1)
		return -1;
	use(p, n);
	return 0;
}

static int
h_seal(struct msg *m, void *arg)
{
	struct seal_lot		 sl;
	struct seal_event	 ev;

	if (m_get_struct(m, proto_seal_lot, &sl) == -1)
		return -1;
	if (m_left(m) / sizeof(ev) != sl.nevents)
		return m_fail(m, "count");
	while (m_left(m) >= sizeof(ev))
		if (m_get_struct(m, proto_seal_event, &ev) == -1)
			return -1;
	return m_end(m);
}

static int
h_dup(struct msg *m, void *arg)
{
	struct seal_done	 sd;
	const void		*c;
	char			*x;

	if (m_get_struct(m, proto_seal_done, &sd) == -1 ||
	    m_get_dup(m, &x, sd.len) == -1)
		return -1;
	use(x, sd.len + 1);
	free(x);
	if (m_get_ptr(m, &c, sd.seal_pem_len) == -1 ||
	    m_get_ptr(m, &c, sd.tsa_pem_len) == -1)
		return -1;
	return m_end(m);
}

static int
h_ctl(struct msg *m, void *arg)
{
	uint32_t	 version, json;
	char		 cmd[32], a1[512], a2[512];

	if (m_get_u32(m, &version) == -1 || m_get_u32(m, &json) == -1 ||
	    m_get_string(m, cmd, sizeof(cmd)) == -1 ||
	    m_get_string(m, a1, sizeof(a1)) == -1 ||
	    m_get_string(m, a2, sizeof(a2)) == -1)
		return -1;
	use(cmd, strlen(cmd));
	return m_end(m);
}

static int
h_fd(struct msg *m, void *arg)
{
	struct journal_sign	 js;
	int			 fd;

	if (m_get_struct(m, proto_journal_sign, &js) == -1 || m_end(m) == -1)
		return -1;
	if ((fd = m_fd(m)) != -1)
		close(fd);
	return 0;
}

static int
h_empty(struct msg *m, void *arg)
{
	return m_end(m);
}

#define ANY	(MSG_FRONTD | MSG_STORED | MSG_SEALERD | MSG_AUDITD)
static const struct msg_entry entries[] = {
	{ IMSG_DEPOSIT, MSG_FRONTD, MSG_FD_NONE, h_deposit },
	{ IMSG_DEPOSIT_OK, MSG_STORED, MSG_FD_NONE, h_deposit_ok },
	{ IMSG_DEPOSIT_ERR, MSG_STORED, MSG_FD_NONE, h_fixed },
	{ IMSG_LOT_GET, MSG_FRONTD, MSG_FD_NONE, h_fixed },
	{ IMSG_LOT_DATA, MSG_STORED, MSG_FD_NONE, h_lenthen },
	{ IMSG_STATUS_GET, MSG_FRONTD, MSG_FD_NONE, h_fixed },
	{ IMSG_EXPORT_START, MSG_FRONTD, MSG_FD_NONE, h_fixed },
	{ IMSG_EXPORT_CHUNK, MSG_STORED, MSG_FD_NONE, h_chunk },
	{ IMSG_ROLE, MSG_STORED, MSG_FD_NONE, h_fixed },
	{ IMSG_ROLES_END, MSG_STORED, MSG_FD_NONE, h_empty },
	{ IMSG_SEAL_LOT, MSG_STORED, MSG_FD_NONE, h_seal },
	{ IMSG_SEAL_DONE, MSG_SEALERD, MSG_FD_NONE, h_dup },
	{ IMSG_SEAL_FAIL, MSG_SEALERD, MSG_FD_NONE, h_fixed },
	{ IMSG_JOURNAL_SIGN, MSG_AUDITD, MSG_FD_NEEDED, h_fd },
	{ IMSG_AUDIT, ANY, MSG_FD_NONE, h_fixed },
	{ IMSG_CTL_REQUEST, MSG_CONTROL, MSG_FD_NONE, h_ctl },
};
static const struct msg_table table = MSG_TABLE("fuzz", entries);

/* The structure each fixed handler reads, by type. */
static const struct msg_struct *
fixed(uint32_t type)
{
	switch (type) {
	case IMSG_DEPOSIT_ERR:
		return &proto_deposit_err;
	case IMSG_LOT_GET:
		return &proto_lot_get;
	case IMSG_STATUS_GET:
		return &proto_status_get;
	case IMSG_EXPORT_START:
		return &proto_export_req;
	case IMSG_ROLE:
		return &proto_role;
	case IMSG_SEAL_FAIL:
		return &proto_seal_fail;
	case IMSG_AUDIT:
		return &proto_audit_record;
	}
	return NULL;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct imsg	 imsg;
	struct msg	 m;
	int		 p[2] = { -1, -1 };

	if (size < 3)
		return 0;
	memset(&imsg, 0, sizeof(imsg));
	imsg.hdr.type = data[0] % (IMSG_TYPE_MAX + 1);
	imsg.hdr.len = IMSG_HEADER_SIZE + size - 3;
	imsg.fd = -1;
	if ((data[2] & 1) && pipe(p) == 0) {
		close(p[1]);
		imsg.fd = p[0];
	}
	if (size > 3) {
		if ((imsg.data = malloc(size - 3)) == NULL)
			abort();
		memcpy(imsg.data, data + 3, size - 3);
	}
	(void)msg_dispatch(&table, &imsg, data[1] & 0x3f,
	    (void *)fixed(imsg.hdr.type), &m);
	/* The dispatcher closes every descriptor it was not relieved of. */
	if (imsg.fd != -1)
		abort();
	imsg_free(&imsg);
	return 0;
}
