/*
 * sealer.sock: stored sends lots (IMSG_SEAL_LOT) and checkpoints
 * (IMSG_CHECKPOINT_MAKE) and asks for the status, auditd sends closed
 * journal files (IMSG_JOURNAL_SIGN) and names the newest sealed one
 * (IMSG_JOURNAL_SEALED), which the next checkpoint carries.  Every request
 * gets one answer: the seal, with the certificates that made it, or
 * IMSG_SEAL_FAIL with a reason and when to ask again.  Nothing is kept here: the askers keep what is pending.
 */
#include <sys/types.h>
#include <sys/uio.h>

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "audit.h"
#include "log.h"
#include "msg.h"
#include "peer.h"
#include "proto.h"
#include "sealer.h"
#include "sealerd.h"

static struct peer_listener	 listener;

static int	 server_seal_lot(struct msg *, void *);
static int	 server_journal(struct msg *, void *);
static int	 server_status(struct msg *, void *);
static int	 server_checkpoint(struct msg *, void *);
static int	 server_journal_sealed(struct msg *, void *);
static void	 server_fail(struct peer *, uint64_t, unsigned int,
		    const char *);
static void	 server_fail_type(struct peer *, uint32_t, uint64_t,
		    unsigned int, const char *);
static size_t	 server_certs_len(void);
static void	 server_certs(uint8_t *, uint32_t *, uint8_t *, uint32_t *,
		    struct iovec *);

static const struct msg_entry server_msgs[] = {
	{ IMSG_SEAL_LOT, MSG_STORED, MSG_FD_NONE, server_seal_lot },
	{ IMSG_SEALER_STATUS, MSG_STORED, MSG_FD_NONE, server_status },
	{ IMSG_JOURNAL_SIGN, MSG_AUDITD, MSG_FD_NEEDED, server_journal },
	{ IMSG_CHECKPOINT_MAKE, MSG_STORED, MSG_FD_NONE, server_checkpoint },
	{ IMSG_JOURNAL_SEALED, MSG_AUDITD, MSG_FD_NONE,
	    server_journal_sealed },
};
static const struct msg_table server_table = MSG_TABLE(SOCK_SEALER,
    server_msgs);

void
sealersock_init(const char *dir, const struct peer_allow *allow, size_t nallow)
{
	struct peer_cb	 cb;

	memset(&cb, 0, sizeof(cb));
	cb.table = &server_table;
	if (peer_listen(&listener, dir, SOCK_SEALER, 0666, allow, nallow,
	    &cb) == -1)
		fatal("listen on %s/%s", dir, SOCK_SEALER);
}

void
sealersock_close(void)
{
	peer_listen_close(&listener);
}

static void
server_fail(struct peer *p, uint64_t id, unsigned int retry, const char *why)
{
	server_fail_type(p, IMSG_SEAL_FAIL, id, retry, why);
}

static void
server_fail_type(struct peer *p, uint32_t type, uint64_t id,
    unsigned int retry, const char *why)
{
	struct seal_fail	 sf;

	memset(&sf, 0, sizeof(sf));
	sf.lot = id;
	sf.retry_after = retry;
	strlcpy(sf.reason, why, sizeof(sf.reason));
	if (peer_compose(p, type, &sf, sizeof(sf)) == -1)
		log_warn("%s: seal failure report", p->name);
}

/* What the certificates add to a seal: at most twice HSMCERT_PEM_MAX. */
static size_t
server_certs_len(void)
{
	return env->sealer.hsm.seal.pemlen + env->sealer.hsm.tsa.pemlen;
}

/*
 * The certificates the seal was made with, for stored: right after a
 * seal the HSM is open and both are those of its keys.
 */
static void
server_certs(uint8_t *seal_fp, uint32_t *seal_len, uint8_t *tsa_fp,
    uint32_t *tsa_len, struct iovec *iov)
{
	struct hsm	*h = &env->sealer.hsm;

	memcpy(seal_fp, h->seal.fp, SHA256_LEN);
	memcpy(tsa_fp, h->tsa.fp, SHA256_LEN);
	*seal_len = h->seal.pemlen;
	*tsa_len = h->tsa.pemlen;
	iov[0].iov_base = h->seal.pem;
	iov[0].iov_len = h->seal.pemlen;
	iov[1].iov_base = h->tsa.pem;
	iov[1].iov_len = h->tsa.pemlen;
}

static int
server_seal_lot(struct msg *m, void *arg)
{
	struct peer		*p = arg;
	struct seal_lot		 sl;
	struct seal_done	 sd;
	struct iovec		 iov[4];
	struct seal_event	*ev = NULL;
	unsigned char		*xml = NULL;
	size_t			 n, xmllen, i;
	char			 err[512];

	if (m_get_struct(m, proto_seal_lot, &sl) == -1)
		return -1;
	n = m_left(m) / sizeof(struct seal_event);
	if (n != sl.nevents)
		return m_fail(m, "%u events announced, %zu sent", sl.nevents,
		    n);
	/* The events are copied: the payload has no alignment promise. */
	if (n > 0 && (ev = calloc(n, sizeof(*ev))) == NULL)
		fatal("seal lot");
	for (i = 0; i < n; i++)
		if (m_get_struct(m, proto_seal_event, &ev[i]) == -1)
			break;
	if (m_end(m) == -1) {
		free(ev);
		return -1;
	}

	switch (seal_lot_make(&env->sealer, &sl, ev, n, &xml, &xmllen,
	    sd.sigvalue_sha256, err, sizeof(err))) {
	case SEAL_OK:
		if (xmllen + server_certs_len() > CFJL_MSG_MAX - sizeof(sd) -
		    64) {
			server_fail(p, sl.lot, 60, "the sealed lot is too "
			    "large for one message");
			break;
		}
		sd.lot = sl.lot;
		sd.len = xmllen;
		server_certs(sd.seal_cert, &sd.seal_pem_len, sd.tsa_cert,
		    &sd.tsa_pem_len, &iov[2]);
		iov[0].iov_base = &sd;
		iov[0].iov_len = sizeof(sd);
		iov[1].iov_base = xml;
		iov[1].iov_len = xmllen;
		if (peer_composev(p, IMSG_SEAL_DONE, iov, 4) == -1)
			log_warn("lot %" PRIu64 ": seal not sent", sl.lot);
		else
			log_debug("lot %" PRIu64 " sealed (%zu events)",
			    sl.lot, n);
		break;
	case SEAL_RETRY:
		env->sealer.refusals++;
		watch_trouble(err);
		server_fail(p, sl.lot, env->sealer.clock_refusing ?
		    SEALER_RETRY_CLOCK : SEALER_RETRY_HSM, err);
		break;
	case SEAL_INVALID:
		env->sealer.refusals++;
		log_warnx("%s", err);
		audit_record("seal", "lot", "refused", "%s", err);
		server_fail(p, sl.lot, 60, err);
		break;
	}
	watch_trouble_check();
	free(xml);
	free(ev);
	return 0;
}

static int
server_journal(struct msg *m, void *arg)
{
	struct peer		*p = arg;
	struct journal_sign	 js;
	struct iovec		 iov[2];
	unsigned char		*der = NULL;
	size_t			 len;
	char			 err[512];
	int			 fd;

	if (m_get_struct(m, proto_journal_sign, &js) == -1 || m_end(m) == -1)
		return -1;
	fd = m_fd(m);
	switch (seal_journal_make(&env->sealer, fd, &der, &len, err,
	    sizeof(err))) {
	case SEAL_OK:
		js.len = len;
		iov[0].iov_base = &js;
		iov[0].iov_len = sizeof(js);
		iov[1].iov_base = der;
		iov[1].iov_len = len;
		if (peer_composev(p, IMSG_JOURNAL_SIGNED, iov, 2) == -1)
			log_warn("journal seal not sent");
		break;
	default:
		env->sealer.refusals++;
		watch_trouble(err);
		server_fail(p, js.reqid, SEALER_RETRY_HSM, err);
		break;
	}
	watch_trouble_check();
	close(fd);
	free(der);
	return 0;
}

static int
server_status(struct msg *m, void *arg)
{
	struct peer	*p = arg;
	char		*j;

	if (m_end(m) == -1)
		return -1;
	if ((j = status_json(&env->sealer)) == NULL)
		fatal("status");
	if (peer_compose(p, IMSG_SEALER_STATUS, j, strlen(j)) == -1)
		log_warn("status not sent");
	free(j);
	return 0;
}

static int
server_checkpoint(struct msg *m, void *arg)
{
	struct peer		*p = arg;
	struct checkpoint_req	 cr;
	struct checkpoint_done	 cd;
	struct iovec		 iov[4];
	unsigned char		*xml = NULL;
	size_t			 xmllen;
	char			 err[512];

	if (m_get_struct(m, proto_checkpoint_req, &cr) == -1 ||
	    m_end(m) == -1)
		return -1;
	memset(&cd, 0, sizeof(cd));
	switch (seal_checkpoint_make(&env->sealer, &cr, &xml, &xmllen,
	    cd.sigvalue_sha256, &cd.time_ms, err, sizeof(err))) {
	case SEAL_OK:
		cd.numero = cr.numero;
		strlcpy(cd.journal_file, env->sealer.journal.file,
		    sizeof(cd.journal_file));
		memcpy(cd.journal_meta, env->sealer.journal.meta_sha256,
		    sizeof(cd.journal_meta));
		cd.len = xmllen;
		server_certs(cd.seal_cert, &cd.seal_pem_len, cd.tsa_cert,
		    &cd.tsa_pem_len, &iov[2]);
		iov[0].iov_base = &cd;
		iov[0].iov_len = sizeof(cd);
		iov[1].iov_base = xml;
		iov[1].iov_len = xmllen;
		if (peer_composev(p, IMSG_CHECKPOINT_DONE, iov, 4) == -1)
			log_warn("checkpoint %" PRIu64 " not sent", cr.numero);
		else
			log_debug("checkpoint %" PRIu64 " sealed (lot %"
			    PRIu64 ", journal %s)", cr.numero, cr.last_lot,
			    cd.journal_file[0] ? cd.journal_file : "none");
		break;
	case SEAL_RETRY:
		env->sealer.refusals++;
		watch_trouble(err);
		server_fail_type(p, IMSG_CHECKPOINT_FAIL, cr.numero,
		    env->sealer.clock_refusing ? SEALER_RETRY_CLOCK :
		    SEALER_RETRY_HSM, err);
		break;
	case SEAL_INVALID:
		env->sealer.refusals++;
		log_warnx("%s", err);
		audit_record("seal", "checkpoint", "refused", "%s", err);
		server_fail_type(p, IMSG_CHECKPOINT_FAIL, cr.numero, 60, err);
		break;
	}
	watch_trouble_check();
	free(xml);
	return 0;
}

/*
 * auditd names the newest file it has sealed, after each seal and when
 * it connects.  Kept in memory only: auditd says it again after a
 * restart of either, before which checkpoints name the file they knew.
 */
static int
server_journal_sealed(struct msg *m, void *arg)
{
	struct journal_sealed	 js;
	struct checkpoint_journal *cj = &env->sealer.journal;

	if (m_get_struct(m, proto_journal_sealed, &js) == -1 ||
	    m_end(m) == -1)
		return -1;
	if (strlen(js.file) != 12 || strspn(js.file, "0123456789") != 8 ||
	    strcmp(js.file + 8, ".log") != 0)
		return m_fail(m, "journal file \"%s\"", js.file);
	/* Files are sealed in order: never back to an older one. */
	if (cj->file[0] != '\0' && strcmp(js.file, cj->file) < 0)
		return 0;
	strlcpy(cj->file, js.file, sizeof(cj->file));
	memcpy(cj->meta_sha256, js.meta_sha256, sizeof(cj->meta_sha256));
	return 0;
}
