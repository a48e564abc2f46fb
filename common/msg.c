/*
 * The message reader and the table dispatcher: the only code that looks
 * inside a payload.  See msg.h.
 */
#include <sys/types.h>

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "imsg.h"
#include "log.h"
#include "msg.h"
#include "proto.h"

static int	m_short(struct msg *, size_t);

void
m_msg(struct msg *m, struct imsg *imsg)
{
	m_buf(m, imsg->data, imsg->hdr.len - IMSG_HEADER_SIZE);
	m->imsg = imsg;
}

void
m_buf(struct msg *m, const void *data, size_t len)
{
	memset(m, 0, sizeof(*m));
	m->pos = data;
	m->left = data == NULL ? 0 : len;
}

/* Fewer bytes than wanted, or an earlier failure. */
static int
m_short(struct msg *m, size_t len)
{
	if (m->error != NULL)
		return 1;
	if (len <= m->left)
		return 0;
	snprintf(m->why, sizeof(m->why), "%zu bytes missing", len - m->left);
	m->error = m->why;
	return 1;
}

int
m_get_data(struct msg *m, void *dst, size_t len)
{
	if (m_short(m, len)) {
		memset(dst, 0, len);
		return -1;
	}
	/* An empty payload has no bytes at all: pos is NULL, not moved. */
	if (len > 0) {
		memcpy(dst, m->pos, len);
		m->pos += len;
		m->left -= len;
	}
	return 0;
}

int
m_get_u32(struct msg *m, uint32_t *v)
{
	return m_get_data(m, v, sizeof(*v));
}

int
m_get_i32(struct msg *m, int32_t *v)
{
	return m_get_data(m, v, sizeof(*v));
}

int
m_get_u64(struct msg *m, uint64_t *v)
{
	return m_get_data(m, v, sizeof(*v));
}

int
m_get_i64(struct msg *m, int64_t *v)
{
	return m_get_data(m, v, sizeof(*v));
}

/* Never terminated for the sender: the field is refused. */
int
m_get_string(struct msg *m, char *dst, size_t len)
{
	if (len == 0 || m_get_data(m, dst, len) == -1)
		return -1;
	if (memchr(dst, '\0', len) == NULL) {
		memset(dst, 0, len);
		return m_fail(m, "unterminated string of %zu bytes", len);
	}
	return 0;
}

int
m_get_struct_(struct msg *m, const struct msg_struct *d, void *dst,
    size_t size)
{
	size_t	 i;

	if (size != d->size)
		fatalx("%s: %s read into %zu bytes", __func__, d->name, size);
	if (m_get_data(m, dst, size) == -1)
		return -1;
	for (i = 0; i < MSG_STRINGS_MAX && d->str[i].len > 0; i++)
		if (memchr((char *)dst + d->str[i].off, '\0',
		    d->str[i].len) == NULL) {
			memset(dst, 0, size);
			return m_fail(m, "%s: unterminated string at offset "
			    "%zu", d->name, d->str[i].off);
		}
	return 0;
}

int
m_get_ptr(struct msg *m, const void **p, size_t len)
{
	if (m_short(m, len)) {
		*p = NULL;
		return -1;
	}
	*p = m->pos;
	if (len > 0) {
		m->pos += len;
		m->left -= len;
	}
	return 0;
}

int
m_get_dup(struct msg *m, char **p, size_t len)
{
	const void	*src;

	*p = NULL;
	if (m_get_ptr(m, &src, len) == -1)
		return -1;
	if ((*p = malloc(len + 1)) == NULL)
		fatal("%s", __func__);
	if (len > 0)
		memcpy(*p, src, len);
	(*p)[len] = '\0';
	return 0;
}

size_t
m_left(const struct msg *m)
{
	return m->error != NULL ? 0 : m->left;
}

int
m_end(struct msg *m)
{
	if (m->error != NULL)
		return -1;
	if (m->left != 0)
		return m_fail(m, "%zu bytes left over", m->left);
	return 0;
}

int
m_fail(struct msg *m, const char *fmt, ...)
{
	va_list	 ap;

	if (m->error != NULL)
		return -1;
	va_start(ap, fmt);
	vsnprintf(m->why, sizeof(m->why), fmt, ap);
	va_end(ap);
	m->error = m->why;
	return -1;
}

int
m_fd(struct msg *m)
{
	int	 fd;

	if (m->imsg == NULL)
		return -1;
	fd = m->imsg->fd;
	m->imsg->fd = -1;
	return fd;
}

void *
m_keep(struct msg *m)
{
	void	*data;

	if (m->imsg == NULL)
		fatalx("%s: not a message", __func__);
	data = m->imsg->data;
	m->imsg->data = NULL;
	return data;
}

const char *
m_error(const struct msg *m)
{
	return m->error;
}

int
msg_dispatch(const struct msg_table *t, struct imsg *imsg, unsigned int from,
    void *arg, struct msg *m)
{
	const struct msg_entry	*e = NULL;
	size_t			 i;
	int			 ret = -1;

	m_msg(m, imsg);
	for (i = 0; i < t->nentries; i++)
		if (t->entries[i].type == imsg->hdr.type) {
			e = &t->entries[i];
			break;
		}
	if (e == NULL)
		m_fail(m, "unknown message type %u", imsg->hdr.type);
	else if ((e->from & from) == 0)
		m_fail(m, "not a message this sender may send");
	else if (e->fd == MSG_FD_NONE && imsg->fd != -1)
		m_fail(m, "unexpected descriptor");
	else if (e->fd == MSG_FD_NEEDED && imsg->fd == -1)
		m_fail(m, "descriptor missing");
	else if ((ret = e->fn(m, arg)) == 0 && m->left != 0)
		ret = m_end(m);
	else if (ret == -1)
		m_fail(m, "refused");
	if (m->error != NULL)
		ret = -1;
	if (imsg->fd != -1) {
		close(imsg->fd);
		imsg->fd = -1;
	}
	return ret;
}

unsigned int
msg_sender(const char *name)
{
	static const struct {
		const char	*name;
		unsigned int	 bit;
	} names[] = {
		{ "frontd", MSG_FRONTD },
		{ "stored", MSG_STORED },
		{ "sealerd", MSG_SEALERD },
		{ "sealer", MSG_SEALERD },
		{ "auditd", MSG_AUDITD },
		{ "audit", MSG_AUDITD },
	};
	size_t	 i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strcmp(name, names[i].name) == 0)
			return names[i].bit;
	return 0;
}
