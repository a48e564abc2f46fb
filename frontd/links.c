/*
 * The link to stored: requests go out with a reqid, answers come back in
 * any order and find their waiting answer by it; stored also pushes the
 * role table.  If stored goes away, every waiting request is answered
 * 503 (a deposit may or may not have been committed: the capture agent
 * resends it with the same Client-Id and gets the same answer).
 * Every message from stored is read through the reader (msg.h); one that
 * does not fit, or answers nothing we asked, drops the link (peer.c).
 */
#include <sys/types.h>
#include <sys/tree.h>
#include <sys/uio.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "conn.h"
#include "events.h"
#include "frontd.h"
#include "imsgev.h"
#include "json.h"
#include "links.h"
#include "log.h"
#include "msg.h"
#include "stompconn.h"
#include "peer.h"
#include "resp.h"
#include "roles.h"

static int	 resp_cmp(struct resp *, struct resp *);
RB_PROTOTYPE_INTERNAL(resp_tree, resp, node, resp_cmp, static __attribute__((__unused__)));
RB_GENERATE_INTERNAL(resp_tree, resp, node, resp_cmp, static __attribute__((__unused__)))

static void	 links_up(struct peer *);
static void	 links_down(struct peer *);
static struct resp *links_take(struct msg *, uint64_t, int);
static int	 links_deposit_ok(struct msg *, void *);
static int	 links_deposit_err(struct msg *, void *);
static int	 links_lot(struct msg *, void *);
static int	 links_checkpoint(struct msg *, void *);
static int	 links_status(struct msg *, void *);
static int	 links_requests(struct msg *, void *);
static int	 links_json(struct msg *, int);
static int	 links_export(struct msg *, void *);
static int	 links_roles_reset(struct msg *, void *);
static int	 links_role(struct msg *, void *);
static int	 links_roles_end(struct msg *, void *);
static void	 links_export_end(struct resp *);
static void	 links_export_head(struct resp *, int);
static void	 links_expire(int, short, void *);

static struct event	 links_timer;
static struct peer	 links_stored;
static struct resp_tree	 links_pending = RB_INITIALIZER(&links_pending);
static uint64_t		 links_nextreqid;

/* Everything comes from stored: answers, and the role table. */
static int	links_lot_sealed(struct msg *, void *);

static const struct msg_entry links_msgs[] = {
	{ IMSG_DEPOSIT_OK, MSG_STORED, MSG_FD_NONE, links_deposit_ok },
	{ IMSG_DEPOSIT_ERR, MSG_STORED, MSG_FD_NONE, links_deposit_err },
	{ IMSG_LOT_DATA, MSG_STORED, MSG_FD_NONE, links_lot },
	{ IMSG_CHECKPOINT_DATA, MSG_STORED, MSG_FD_NONE, links_checkpoint },
	{ IMSG_STATUS, MSG_STORED, MSG_FD_NONE, links_status },
	{ IMSG_REQUESTS, MSG_STORED, MSG_FD_NONE, links_requests },
	{ IMSG_EXPORT_CHUNK, MSG_STORED, MSG_FD_NONE, links_export },
	{ IMSG_ROLES_RESET, MSG_STORED, MSG_FD_NONE, links_roles_reset },
	{ IMSG_ROLE, MSG_STORED, MSG_FD_NONE, links_role },
	{ IMSG_ROLES_END, MSG_STORED, MSG_FD_NONE, links_roles_end },
	{ IMSG_LOT_SEALED, MSG_STORED, MSG_FD_NONE, links_lot_sealed },
};
static const struct msg_table links_table = MSG_TABLE(SOCK_STORED,
    links_msgs);

static const char export_head[] =
    "Content-Type: application/x-tar\r\n"
    "Content-Disposition: attachment; filename=\"cfjl-export.tar\"\r\n"
    "Cache-Control: no-store\r\n";

static int
resp_cmp(struct resp *a, struct resp *b)
{
	return a->reqid < b->reqid ? -1 : a->reqid > b->reqid;
}

void
links_init(void)
{
	struct peer_cb	 cb;

	memset(&cb, 0, sizeof(cb));
	cb.table = &links_table;
	cb.on_up = links_up;
	cb.on_down = links_down;
	peer_connect(&links_stored, env->sockdir, SOCK_STORED,
	    env->stored_uid, "frontd", &cb);
	evtimer_set(&links_timer, links_expire, NULL);
	links_expire(-1, 0, NULL);
}

/*
 * A request stored has not answered in LINKS_STORED_TIMEOUT seconds is
 * answered 503; its place in the tree stays, without a client, so that
 * the late answer is recognised and dropped.
 */
static void
links_expire(int fd, short ev, void *arg)
{
	struct resp	*r, *n;
	struct timeval	 tv = { 5, 0 };
	time_t		 now = time(NULL);

	RB_FOREACH(r, resp_tree, &links_pending) {
		if (r->conn == NULL || now - r->asked < LINKS_STORED_TIMEOUT ||
		    (r->streaming && r->head_sent))
			continue;
		log_warnx("stored did not answer reqid %llu in %d seconds",
		    (unsigned long long)r->reqid, LINKS_STORED_TIMEOUT);
		if (r->kind == RESP_EXPORT)
			links_conn_gone(r);
		n = conn_resp_replace(r);
		resp_error(n, REFUSE_UNAVAILABLE, "storage unavailable",
		    r->kind == RESP_DEPOSIT ? "the store did not answer in "
		    "time: resend with the same Client-Id" : "the store did "
		    "not answer in time", -1);
	}
	evtimer_add(&links_timer, &tv);
}

void
links_shutdown(void)
{
	evtimer_del(&links_timer);
	peer_close(&links_stored);
}

void
links_wait(struct resp *r)
{
	r->reqid = ++links_nextreqid;
	r->asked = time(NULL);
	if (RB_INSERT(resp_tree, &links_pending, r) != NULL)
		fatalx("%s: reqid %llu twice", __func__,
		    (unsigned long long)r->reqid);
}

void
links_forget(struct resp *r)
{
	if (r->reqid != 0)
		RB_REMOVE(resp_tree, &links_pending, r);
	r->reqid = 0;
}

/*
 * Queued for stored; what one pass of the event loop queues is written
 * at the end of that pass, in one sendmsg (imsgev.c).
 */
int
links_send(uint32_t type, const struct iovec *iov, int n)
{
	struct imsgev	*iev = &links_stored.iev;

	if (!env->stored_up || links_stored.state != PEER_UP)
		return -1;
	if (imsg_composev_event(iev, type, 0, 0, -1, iov, n) == -1)
		return -1;
	return 0;
}

/* The answer waiting for reqid; NULL if none (stored is then wrong). */
static struct resp *
links_take(struct msg *m, uint64_t reqid, int kind)
{
	struct resp	 key, *r;

	key.reqid = reqid;
	if ((r = RB_FIND(resp_tree, &links_pending, &key)) == NULL ||
	    r->kind != kind) {
		m_fail(m, "reqid %llu, that nobody waits for",
		    (unsigned long long)reqid);
		return NULL;
	}
	return r;
}

static void
links_up(struct peer *p)
{
	env->stored_up = 1;
	log_info("stored is up");
}

static void
links_down(struct peer *p)
{
	struct resp	*r, *next;

	env->stored_up = 0;
	log_warnx("stored is down: deposits are refused (503) until it "
	    "comes back");
	RB_FOREACH_SAFE(r, resp_tree, &links_pending, next) {
		links_forget(r);
		if (r->conn == NULL) {
			resp_free(r);
			continue;
		}
		if (r->streaming && r->head_sent) {
			/* Mid-export: the client sees a cut stream. */
			r->done = 1;
			r->close = 1;
			conn_resp_ready(r);
			continue;
		}
		r->streaming = 0;
		resp_error(r, REFUSE_UNAVAILABLE, "storage unavailable",
		    r->kind == RESP_DEPOSIT ? "the store went away before "
		    "answering: resend with the same Client-Id" :
		    "the store went away before answering", -1);
	}
}

static int
links_roles_reset(struct msg *m, void *arg)
{
	if (m_end(m) == -1)
		return -1;
	roles_reset();
	return 0;
}

static int
links_role(struct msg *m, void *arg)
{
	struct role_msg	 rm;

	if (m_get_struct(m, proto_role, &rm) == -1 || m_end(m) == -1)
		return -1;
	if (roles_add(&rm) == -1)
		return m_fail(m, "role %u refused", rm.role);
	return 0;
}

static int
links_roles_end(struct msg *m, void *arg)
{
	if (m_end(m) == -1)
		return -1;
	roles_commit();
	return 0;
}

static int
links_deposit_ok(struct msg *m, void *arg)
{
	static struct deposit_item *items;	/* kept for the next answer */
	static size_t		 nalloc;
	struct deposit_ok	 ok;
	struct deposit_item	*p;
	struct resp		*r;
	uint32_t		 i;

	if (m_get_struct(m, proto_deposit_ok, &ok) == -1)
		return -1;
	if (ok.nitems == 0 ||
	    m_left(m) != (size_t)ok.nitems * sizeof(*items))
		return m_fail(m, "%u items announced, %zu bytes sent",
		    ok.nitems, m_left(m));
	/* Copied out: the message's bytes carry no alignment promise. */
	if (ok.nitems > nalloc) {
		if ((p = reallocarray(items, ok.nitems, sizeof(*items))) ==
		    NULL)
			fatal("%s", __func__);
		items = p;
		nalloc = ok.nitems;
	}
	for (i = 0; i < ok.nitems; i++)
		if (m_get_struct(m, proto_deposit_item, &items[i]) == -1)
			return -1;
	if (m_end(m) == -1 ||
	    (r = links_take(m, ok.reqid, RESP_DEPOSIT)) == NULL)
		return -1;
	if (ok.nitems != r->ntraces)
		return m_fail(m, "%u items for %u traces", ok.nitems,
		    r->ntraces);
	links_forget(r);
	if (r->conn == NULL) {
		resp_free(r);
		return 0;
	}
	events_answer(r, &ok, items, ok.nitems);
	return 0;
}

static int
links_deposit_err(struct msg *m, void *arg)
{
	struct deposit_err	 e;
	const struct refusal_info	*rf;
	struct resp		*r, key;

	if (m_get_struct(m, proto_deposit_err, &e) == -1 || m_end(m) == -1)
		return -1;
	if ((rf = refusal_get(e.code)) == NULL)
		return m_fail(m, "refusal code %u outside the catalogue",
		    e.code);
	key.reqid = e.reqid;
	if ((r = RB_FIND(resp_tree, &links_pending, &key)) == NULL)
		return m_fail(m, "reqid %llu, that nobody waits for",
		    (unsigned long long)e.reqid);
	links_forget(r);
	if (r->conn == NULL) {
		resp_free(r);
		return 0;
	}
	r->streaming = 0;
	env->nrefused++;
	log_info("%s: deposit refused by stored %d: %s: %s",
	    conn_subject(r->conn), rf->http, e.error, e.detail);
	/* stored journals its refusals, but for 503 (nothing done). */
	r->journaled = rf->code != REFUSE_UNAVAILABLE;
	resp_error(r, rf->code, e.error, e.detail, r->batch ? e.index : -1);
	return 0;
}

/* A lot's seal is stored: the queue front's archive notices. */
static int
links_lot_sealed(struct msg *m, void *arg)
{
	struct lot_sealed	 ls;

	if (m_get_struct(m, proto_lot_sealed, &ls) == -1 || m_end(m) == -1)
		return -1;
	if (ls.first > ls.last)
		return m_fail(m, "lot %llu runs from %llu to %llu",
		    (unsigned long long)ls.lot, (unsigned long long)ls.first,
		    (unsigned long long)ls.last);
	stompconn_lot_sealed(&ls);
	return 0;
}

static int
links_lot(struct msg *m, void *arg)
{
	struct lot_data	 ld;
	struct resp	*r;
	struct json	 j;
	const void	*xml;

	if (m_get_struct(m, proto_lot_data, &ld) == -1 ||
	    m_get_ptr(m, &xml, ld.len) == -1 || m_end(m) == -1)
		return -1;
	if (ld.state > LOT_SEALED)
		return m_fail(m, "lot state %u", ld.state);
	if ((r = links_take(m, ld.reqid, RESP_LOT)) == NULL)
		return -1;
	links_forget(r);
	if (r->conn == NULL) {
		resp_free(r);
		return 0;
	}
	switch (ld.state) {
	case LOT_SEALED:
		resp_raw(r, 200, "application/xml", xml, ld.len, NULL);
		break;
	case LOT_OPEN:
	case LOT_PENDING:
		json_init(&j);
		json_obj_open(&j, NULL);
		json_str(&j, "status", ANSWER_PENDING);
		json_u64(&j, "lot", r->lot);
		json_str(&j, "state", ld.state == LOT_OPEN ? "open" :
		    "sealing");
		json_obj_close(&j);
		resp_json(r, 202, &j, "Retry-After: 1\r\n");
		json_free(&j);
		break;
	case LOT_UNKNOWN:
		r->journaled = 1;	/* stored journals the read */
		resp_error(r, REFUSE_NOT_FOUND, "no such lot",
		    "the vault has no lot of that number", -1);
		break;
	}
	return 0;
}

/* The newest checkpoint, as sealed; 503 while the store cannot say. */
static int
links_checkpoint(struct msg *m, void *arg)
{
	struct lot_data	 ld;
	struct resp	*r;
	const void	*xml;

	if (m_get_struct(m, proto_lot_data, &ld) == -1 ||
	    m_get_ptr(m, &xml, ld.len) == -1 || m_end(m) == -1)
		return -1;
	if (ld.state > LOT_SEALED || (ld.state == LOT_SEALED) != (ld.len > 0))
		return m_fail(m, "checkpoint state %u with %u bytes", ld.state,
		    ld.len);
	if ((r = links_take(m, ld.reqid, RESP_CHECKPOINT)) == NULL)
		return -1;
	links_forget(r);
	if (r->conn == NULL) {
		resp_free(r);
		return 0;
	}
	if (ld.state == LOT_SEALED)
		resp_raw(r, 200, "application/xml", xml, ld.len, NULL);
	else if (ld.state == LOT_UNKNOWN) {
		r->journaled = 1;	/* stored journals the read */
		resp_error(r, REFUSE_NOT_FOUND, "no checkpoint yet",
		    "the vault has sealed no checkpoint yet; try again "
		    "later", -1);
	} else
		resp_error(r, REFUSE_UNAVAILABLE, "storage unavailable",
		    "the store cannot read the checkpoint now; try again "
		    "later", -1);
	return 0;
}

static int
links_status(struct msg *m, void *arg)
{
	return links_json(m, RESP_STATUS);
}

static int
links_requests(struct msg *m, void *arg)
{
	return links_json(m, RESP_REQUESTS);
}

/* Status and requests: stored's JSON; status gets frontd's own part. */
static int
links_json(struct msg *m, int kind)
{
	struct status_reply	 sr;
	struct resp		*r;
	struct json		 j;
	const void		*text;
	const char		*body;
	size_t			 bl;

	if (m_get_struct(m, proto_status_reply, &sr) == -1 ||
	    m_get_ptr(m, &text, sr.len) == -1 || m_end(m) == -1)
		return -1;
	if ((r = links_take(m, sr.reqid, kind)) == NULL)
		return -1;
	links_forget(r);
	if (r->conn == NULL) {
		resp_free(r);
		return 0;
	}
	body = text;
	bl = sr.len;
	while (bl > 0 && (body[bl - 1] == '\n' || body[bl - 1] == ' '))
		bl--;
	if (kind == RESP_STATUS && bl >= 2 && body[0] == '{' &&
	    body[bl - 1] == '}') {
		json_init(&j);
		json_raw(&j, NULL, body, bl - 1);
		if (bl > 2)
			j.comma = 1;
		/* The worker that answers: its own counters (frontd(8)). */
		json_obj_open(&j, "frontd");
		json_u64(&j, "worker", env->worker);
		json_u64(&j, "workers", env->nworkers);
		json_i64(&j, "uptime", (int64_t)(time(NULL) - env->started));
		json_u64(&j, "connections", env->nconns);
		json_u64(&j, "deposited", env->ndeposits);
		json_u64(&j, "refused", env->nrefused);
		json_u64(&j, "roles", roles_count());
		json_obj_close(&j);
		j.comma = 0;	/* the closing brace takes no comma */
		json_raw(&j, NULL, "}", 1);
		resp_json(r, 200, &j, NULL);
		json_free(&j);
	} else
		resp_raw(r, 200, "application/json", body, sr.len, NULL);
	return 0;
}

static int
links_export(struct msg *m, void *arg)
{
	struct export_chunk	 ec;
	const struct refusal_info	*rf = NULL;
	struct resp		*r, *h;
	const void		*data;
	char			 line[64], detail[256];
	size_t			 dl;
	int			 n;

	/* The tar bytes (or stored's reason) are the rest of the message. */
	if (m_get_struct(m, proto_export_chunk, &ec) == -1)
		return -1;
	dl = m_left(m);
	if (m_get_ptr(m, &data, dl) == -1 || m_end(m) == -1)
		return -1;
	if (ec.error != 0 && (rf = refusal_get(ec.error)) == NULL)
		return m_fail(m, "refusal code %u outside the catalogue",
		    ec.error);
	if ((r = links_take(m, ec.reqid, RESP_EXPORT)) == NULL)
		return -1;
	if (r->conn == NULL) {
		/* Cancelled; wait for the end stored still sends. */
		if (ec.last || ec.error) {
			links_forget(r);
			resp_free(r);
		}
		return 0;
	}
	if (ec.error != 0) {
		links_forget(r);
		if (!r->head_sent) {
			r->streaming = 0;
			r->len = 0;
			/* stored's reason follows the chunk. */
			if (dl >= sizeof(detail))
				dl = sizeof(detail) - 1;
			memcpy(detail, data, dl);
			detail[dl] = '\0';
			r->journaled = 1;	/* by stored */
			resp_error(r, rf->code, "export failed", detail, -1);
		} else
			links_export_end(r);
		return 0;
	}
	if (!r->head_sent && r->head_only) {
		/*
		 * HEAD: the head GET gets, in r's place; stored is told
		 * to stop and r waits, without its client, for the end.
		 */
		h = conn_resp_replace(r);
		h->head_only = 0;
		links_export_head(h, r->chunked);
		h->ready = 1;
		conn_resp_ready(h);
		if (ec.last) {
			links_forget(r);
			resp_free(r);
		} else
			links_conn_gone(r);
		return 0;
	}
	if (!r->head_sent) {
		links_export_head(r, r->chunked);
		r->head_sent = 1;
	}
	if (dl > 0) {
		if (r->chunked) {
			n = snprintf(line, sizeof(line), "%zx\r\n", dl);
			resp_append(r, line, (size_t)n);
		}
		if (resp_append(r, data, dl) == -1)
			return m_fail(m, "the export answer cannot be kept");
		if (r->chunked)
			resp_append(r, "\r\n", 2);
	}
	if (!ec.last)
		r->chunks++;	/* one IMSG_EXPORT_MORE once written */
	if (ec.last) {
		links_forget(r);
		if (r->chunked)
			resp_append(r, "0\r\n\r\n", 5);
		r->done = 1;
	}
	conn_resp_ready(r);
	return 0;
}

/* The head of an export's answer, before its first chunk. */
static void
links_export_head(struct resp *r, int chunked)
{
	static const char	 status[] = "HTTP/1.1 200 OK\r\n";
	const char		*end = chunked ?
				    "Transfer-Encoding: chunked\r\n\r\n" :
				    "Connection: close\r\n\r\n";

	if (resp_append(r, status, sizeof(status) - 1) == -1 ||
	    resp_append(r, export_head, strlen(export_head)) == -1 ||
	    resp_append(r, end, strlen(end)) == -1)
		fatalx("%s", __func__);
}

/* Cut an export short: the connection closes without the last chunk. */
static void
links_export_end(struct resp *r)
{
	r->done = 1;
	r->close = 1;
	conn_resp_ready(r);
}

void
links_export_more(struct resp *r)
{
	struct export_chunk	 ec;
	struct iovec		 iov;

	if (r->reqid == 0)
		return;
	memset(&ec, 0, sizeof(ec));
	ec.reqid = r->reqid;
	iov.iov_base = &ec;
	iov.iov_len = sizeof(ec);
	(void)links_send(IMSG_EXPORT_MORE, &iov, 1);
}

void
links_conn_gone(struct resp *r)
{
	struct export_chunk	 ec;
	struct iovec		 iov;

	memset(&ec, 0, sizeof(ec));
	ec.reqid = r->reqid;
	iov.iov_base = &ec;
	iov.iov_len = sizeof(ec);
	(void)links_send(IMSG_EXPORT_CANCEL, &iov, 1);
}
