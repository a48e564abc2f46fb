/*
 * Signatures of closed journal files, from sealerd over sealer.sock:
 * one file at a time, oldest first, the .log handed over as a read-only
 * descriptor.  A file waits in the pending list, across restarts (its
 * .xml has no Signature yet), until a signature that holds over its
 * exact bytes comes back.
 */
#include <sys/types.h>
#include <sys/queue.h>

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event.h>

#include "auditd.h"
#include "log.h"
#include "msg.h"
#include "peer.h"
#include "proto.h"

#define SEAL_RETRY	10	/* seconds after a refusal */
#define SEAL_TIMEOUT	60	/* seconds for an answer */
#define SEAL_LOOK_BACK	1000	/* files searched for the newest sealed */

struct seal_item {
	TAILQ_ENTRY(seal_item)	 entry;
	uint32_t		 n;
};
TAILQ_HEAD(seal_list, seal_item);

static struct {
	struct peer		 peer;
	int			 dialing;
	struct seal_list	 pending;	/* oldest first */
	size_t			 npending;
	uint32_t		 inflight;	/* file number, 0: none */
	struct event		 retry;
	struct event		 timeout;
} seal;

static void	seal_next(void);
static void	seal_retry_cb(int, short, void *);
static void	seal_timeout_cb(int, short, void *);
static void	seal_failed(const char *, unsigned int);
static void	seal_done(const uint8_t *, size_t);
static int	seal_on_signed(struct msg *, void *);
static int	seal_on_fail(struct msg *, void *);
static void	seal_on_up(struct peer *);
static void	seal_on_down(struct peer *);
static void	seal_tell(uint32_t);
static void	seal_tell_newest(void);

/* sealerd answers each journal file with its signature or a failure. */
static const struct msg_entry seal_msgs[] = {
	{ IMSG_JOURNAL_SIGNED, MSG_SEALERD, MSG_FD_NONE, seal_on_signed },
	{ IMSG_SEAL_FAIL, MSG_SEALERD, MSG_FD_NONE, seal_on_fail },
};
static const struct msg_table seal_table = MSG_TABLE(SOCK_SEALER,
    seal_msgs);

void
filesign_init(void)
{
	TAILQ_INIT(&seal.pending);
	evtimer_set(&seal.retry, seal_retry_cb, NULL);
	evtimer_set(&seal.timeout, seal_timeout_cb, NULL);
}

void
filesign_connect(const char *runtime_dir, uid_t sealerd_uid)
{
	struct peer_cb	 cb;

	memset(&cb, 0, sizeof(cb));
	cb.table = &seal_table;
	cb.on_up = seal_on_up;
	cb.on_down = seal_on_down;
	seal.dialing = 1;
	peer_connect(&seal.peer, runtime_dir, SOCK_SEALER, sealerd_uid,
	    "auditd", &cb);
}

void
filesign_pending_add(uint32_t n)
{
	struct seal_item	*it, *at;

	TAILQ_FOREACH(at, &seal.pending, entry) {
		if (at->n == n)
			return;
		if (at->n > n)
			break;
	}
	if ((it = calloc(1, sizeof(*it))) == NULL)
		fatal("seal");
	it->n = n;
	if (at != NULL)
		TAILQ_INSERT_BEFORE(at, it, entry);
	else
		TAILQ_INSERT_TAIL(&seal.pending, it, entry);
	seal.npending++;
	seal_next();
}

size_t
filesign_pending(void)
{
	return seal.npending;
}

int
filesign_connected(void)
{
	return seal.dialing && seal.peer.state == PEER_UP;
}

static void
seal_next(void)
{
	struct journal_sign	 js;
	struct seal_item	*it;
	struct timeval		 tv = { SEAL_TIMEOUT, 0 };
	char			 name[JOURNAL_NAME_LEN];
	int			 fd;

	if (!filesign_connected() || seal.inflight != 0 ||
	    evtimer_pending(&seal.retry, NULL) ||
	    (it = TAILQ_FIRST(&seal.pending)) == NULL)
		return;
	record_journal_name(it->n, "log", name);
	if ((fd = openat(journal_dirfd(), name, O_RDONLY | O_CLOEXEC |
	    O_NOFOLLOW)) == -1) {
		log_warn("seal: %s", name);
		seal_failed("cannot open the file", SEAL_RETRY);
		return;
	}
	memset(&js, 0, sizeof(js));
	js.reqid = it->n;
	if (peer_compose_fd(&seal.peer, IMSG_JOURNAL_SIGN, fd, &js,
	    sizeof(js)) == -1) {
		log_warn("seal: asking for the signature of %s", name);
		return;		/* the link is going down: on_up retries */
	}
	seal.inflight = it->n;
	evtimer_add(&seal.timeout, &tv);
	log_debug("seal: signature of %s asked for", name);
}

static void
seal_retry_cb(int fd, short event, void *arg)
{
	seal_next();
}

static void
seal_timeout_cb(int fd, short event, void *arg)
{
	seal_failed("no answer from sealerd", SEAL_RETRY);
}

static void
seal_failed(const char *why, unsigned int retry)
{
	struct timeval	 tv = { retry > 0 ? retry : SEAL_RETRY, 0 };

	log_warnx("seal: %08u.log not signed: %s; trying again in %lld "
	    "seconds", seal.inflight != 0 ? seal.inflight :
	    (TAILQ_FIRST(&seal.pending) != NULL ?
	    TAILQ_FIRST(&seal.pending)->n : 0), why, (long long)tv.tv_sec);
	evtimer_del(&seal.timeout);
	seal.inflight = 0;
	evtimer_add(&seal.retry, &tv);
}

/* The signature must hold over the exact bytes before it is kept. */
static void
seal_done(const uint8_t *der, size_t len)
{
	struct seal_item	*it = TAILQ_FIRST(&seal.pending);
	char			 name[JOURNAL_NAME_LEN], err[256];
	uint32_t		 n = seal.inflight;

	evtimer_del(&seal.timeout);
	record_journal_name(n, "log", name);
	if (meta_cms_check(journal_dirfd(), name, der, len, err,
	    sizeof(err)) == -1) {
		seal_failed(err, SEAL_RETRY);
		return;
	}
	if (meta_sign(journal_dirfd(), n, der, len, err, sizeof(err)) == -1) {
		seal_failed(err, SEAL_RETRY);
		return;
	}
	seal.inflight = 0;
	if (it != NULL && it->n == n) {
		TAILQ_REMOVE(&seal.pending, it, entry);
		seal.npending--;
		free(it);
	}
	log_info("seal: %08u.xml signed", n);
	journal_sealed(n);
	seal_tell(n);
	seal_next();
}

static int
seal_on_signed(struct msg *m, void *arg)
{
	struct journal_sign	 js;
	const void		*der;

	if (m_get_struct(m, proto_journal_sign, &js) == -1 ||
	    m_get_ptr(m, &der, js.len) == -1 || m_end(m) == -1)
		return -1;
	if (seal.inflight == 0 || js.reqid != seal.inflight)
		return m_fail(m, "signature of %llu, not asked for",
		    (unsigned long long)js.reqid);
	if (js.len == 0)
		seal_failed("sealerd could not sign it", SEAL_RETRY);
	else
		seal_done(der, js.len);
	return 0;
}

static int
seal_on_fail(struct msg *m, void *arg)
{
	struct seal_fail	 sf;

	if (m_get_struct(m, proto_seal_fail, &sf) == -1 || m_end(m) == -1)
		return -1;
	if (seal.inflight == 0 || sf.lot != seal.inflight)
		return m_fail(m, "failure of %llu, not asked for",
		    (unsigned long long)sf.lot);
	seal_failed(sf.reason, sf.retry_after);
	return 0;
}

static void
seal_on_up(struct peer *p)
{
	if (seal.npending > 0)
		log_info("seal: %zu closed files wait for their signature",
		    seal.npending);
	seal_tell_newest();
	seal_next();
}

/* File n is sealed: sealerd's next checkpoint names it. */
static void
seal_tell(uint32_t n)
{
	struct journal_sealed	 js;
	struct journal_meta	 m;
	char			 err[256];

	if (!filesign_connected())
		return;
	if (meta_read(journal_dirfd(), n, &m, NULL, NULL, err,
	    sizeof(err)) == -1) {
		log_warnx("seal: %s", err);
		return;
	}
	if (!m.signed_)
		return;
	memset(&js, 0, sizeof(js));
	record_journal_name(n, "log", js.file);
	memcpy(js.meta_sha256, m.digest, sizeof(js.meta_sha256));
	if (peer_compose(&seal.peer, IMSG_JOURNAL_SEALED, &js,
	    sizeof(js)) == -1)
		log_warn("seal: telling sealerd of %s", js.file);
}

/* The newest file with a seal, below the current one. */
static void
seal_tell_newest(void)
{
	struct journal_meta	 m;
	uint32_t		 cur = journal_current(), n;
	char			 err[256];

	if (cur < 2)
		return;
	for (n = cur - 1; n >= 1 && cur - n <= SEAL_LOOK_BACK; n--) {
		if (meta_read(journal_dirfd(), n, &m, NULL, NULL, err,
		    sizeof(err)) == 0 && m.signed_) {
			seal_tell(n);
			return;
		}
	}
}

static void
seal_on_down(struct peer *p)
{
	evtimer_del(&seal.timeout);
	seal.inflight = 0;
}
