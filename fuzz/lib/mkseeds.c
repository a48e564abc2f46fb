/*
 * Seed inputs of the harnesses that drive a daemon's message table
 * (drive.h) and of the control protocol, written from the structures of
 * common/proto.h so that they follow the protocol as it is.  Traces
 * come from the regulator's samples when they are there.
 *
 *	mkseeds corpusdir [samplesdir]
 *
 * writes corpusdir/<harness>/<name> for imsg_frontd, imsg_stored,
 * imsg_sealerd, imsg_auditd, imsg_audit, imsg_cfjlctl, control and
 * peer_hello.
 */
#include <sys/types.h>
#include <sys/stat.h>

#include <err.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "imsg.h"
#include "proto.h"
#include "refusal.h"
#include "config.h"
#include "control.h"

struct seed {
	uint8_t	*buf;
	size_t	 len;
};

static const char	*corpus;
static const char	*samples;

static void
seed_add(struct seed *s, const void *p, size_t len)
{
	if ((s->buf = realloc(s->buf, s->len + len)) == NULL)
		err(1, NULL);
	memcpy(s->buf + s->len, p, len);
	s->len += len;
}

/* One message: table, type, flags (drive.h), payload in two parts. */
static void
seed_msg(struct seed *s, int table, uint32_t type, int flags,
    const void *a, size_t alen, const void *b, size_t blen)
{
	uint8_t	 h[5];
	size_t	 len = alen + blen;

	if (len > 0xffff)
		errx(1, "message of %zu bytes", len);
	h[0] = table;
	h[1] = 0x80 | type;
	h[2] = flags;
	h[3] = len & 0xff;
	h[4] = len >> 8;
	seed_add(s, h, sizeof(h));
	if (alen > 0)
		seed_add(s, a, alen);
	if (blen > 0)
		seed_add(s, b, blen);
}

static void
seed_write(struct seed *s, const char *harness, const char *name)
{
	char	 path[1024];
	FILE	*fp;

	snprintf(path, sizeof(path), "%s/%s", corpus, harness);
	if (mkdir(path, 0755) == -1 && access(path, F_OK) == -1)
		err(1, "%s", path);
	snprintf(path, sizeof(path), "%s/%s/%s", corpus, harness, name);
	if ((fp = fopen(path, "w")) == NULL ||
	    fwrite(s->buf, 1, s->len, fp) != s->len || fclose(fp) == EOF)
		err(1, "%s", path);
	free(s->buf);
	s->buf = NULL;
	s->len = 0;
}

/* A sample trace as frontd hands it over: IDEvt emptied. */
static char *
trace_load(const char *name, uint32_t *len, uint32_t *off)
{
	char	 path[1024], *buf, *p, *q;
	FILE	*fp;
	long	 n;

	snprintf(path, sizeof(path), "%s/%s.xml", samples, name);
	if (samples == NULL || (fp = fopen(path, "r")) == NULL) {
		buf = strdup("<?xml version=\"1.0\"?><PASPMISE><IDOper>48"
		    "</IDOper><IDCoffre>1</IDCoffre><IDEvt></IDEvt>"
		    "<DateEvt>100412103320</DateEvt></PASPMISE>");
		if (buf == NULL)
			err(1, NULL);
	} else {
		fseek(fp, 0, SEEK_END);
		n = ftell(fp);
		rewind(fp);
		if ((buf = calloc(1, n + 1)) == NULL ||
		    fread(buf, 1, n, fp) != (size_t)n)
			err(1, "%s", path);
		fclose(fp);
	}
	if ((p = strstr(buf, "<IDEvt>")) == NULL ||
	    (q = strstr(p, "</IDEvt>")) == NULL)
		errx(1, "%s: no IDEvt", name);
	p += strlen("<IDEvt>");
	memmove(p, q, strlen(q) + 1);
	*off = p - buf;
	*len = strlen(buf);
	return buf;
}

static void
frontd_seeds(void)
{
	struct seed		 s = { 0 };
	struct deposit_ok	 ok;
	struct deposit_item	 it[3];
	struct deposit_err	 de;
	struct lot_data		 ld;
	struct status_reply	 sr;
	struct export_chunk	 ec;
	struct role_msg		 rm;
	struct lot_sealed	 ls;
	const char		*xml = "<Lot Id=\"lot-000000000007\"/>";
	const char		*json = "{\"stored\":{\"events\":12}}";
	int			 i;

	memset(&ok, 0, sizeof(ok));
	memset(it, 0, sizeof(it));
	for (i = 0; i < 3; i++) {
		it[i].idevt = 41 + i;
		it[i].lot = 7;
		it[i].received_ms = 1700000000000LL;
		strlcpy(it[i].client_id, "c-1", sizeof(it[i].client_id));
	}
	ok.reqid = 1;
	ok.nitems = 1;
	seed_msg(&s, 0, IMSG_DEPOSIT_OK, 0, &ok, sizeof(ok), it, sizeof(it[0]));
	seed_write(&s, "imsg_frontd", "deposit-ok");
	ok.reqid = 2;
	ok.nitems = 3;
	it[1].duplicate = 1;
	seed_msg(&s, 0, IMSG_DEPOSIT_OK, 0, &ok, sizeof(ok), it, sizeof(it));
	seed_write(&s, "imsg_frontd", "batch-ok");

	memset(&de, 0, sizeof(de));
	de.reqid = 2;
	de.code = REFUSE_INVALID;
	de.index = 1;
	strlcpy(de.error, "schema", sizeof(de.error));
	strlcpy(de.detail, "trace 1: not valid", sizeof(de.detail));
	seed_msg(&s, 0, IMSG_DEPOSIT_ERR, 0, &de, sizeof(de), NULL, 0);
	de.reqid = 1;
	de.code = REFUSE_UNAVAILABLE;
	de.index = -1;
	de.retry_after = 5;
	seed_msg(&s, 0, IMSG_DEPOSIT_ERR, 0, &de, sizeof(de), NULL, 0);
	seed_write(&s, "imsg_frontd", "deposit-err");

	memset(&ld, 0, sizeof(ld));
	ld.reqid = 3;
	ld.lot = 7;
	ld.state = LOT_SEALED;
	ld.len = strlen(xml);
	seed_msg(&s, 0, IMSG_LOT_DATA, 0, &ld, sizeof(ld), xml, ld.len);
	seed_write(&s, "imsg_frontd", "lot-sealed");
	ld.state = LOT_OPEN;
	ld.len = 0;
	seed_msg(&s, 0, IMSG_LOT_DATA, 0, &ld, sizeof(ld), NULL, 0);
	seed_write(&s, "imsg_frontd", "lot-open");

	memset(&sr, 0, sizeof(sr));
	sr.reqid = 4;
	sr.len = strlen(json);
	seed_msg(&s, 0, IMSG_STATUS, 0, &sr, sizeof(sr), json, sr.len);
	sr.reqid = 5;
	seed_msg(&s, 0, IMSG_REQUESTS, 0, &sr, sizeof(sr), json, sr.len);
	seed_write(&s, "imsg_frontd", "status-requests");

	memset(&ec, 0, sizeof(ec));
	ec.reqid = 6;
	seed_msg(&s, 0, IMSG_EXPORT_CHUNK, 0, &ec, sizeof(ec), "ustar", 5);
	ec.reqid = 7;
	seed_msg(&s, 0, IMSG_EXPORT_CHUNK, 0, &ec, sizeof(ec), "ustar", 5);
	ec.last = 1;
	ec.reqid = 6;
	seed_msg(&s, 0, IMSG_EXPORT_CHUNK, 0, &ec, sizeof(ec), NULL, 0);
	ec.reqid = 9;
	seed_msg(&s, 0, IMSG_EXPORT_CHUNK, 0, &ec, sizeof(ec), NULL, 0);
	seed_write(&s, "imsg_frontd", "export");
	ec.reqid = 7;
	ec.last = 0;
	ec.error = REFUSE_UNAVAILABLE;
	seed_msg(&s, 0, IMSG_EXPORT_CHUNK, 0, &ec, sizeof(ec),
	    "the database went away", 22);
	seed_write(&s, "imsg_frontd", "export-error");

	memset(&rm, 0, sizeof(rm));
	seed_msg(&s, 0, IMSG_ROLES_RESET, 0, NULL, 0, NULL, 0);
	rm.role = ROLE_DEPOSITOR;
	strlcpy(rm.subject, "CN=capture 48", sizeof(rm.subject));
	seed_msg(&s, 0, IMSG_ROLE, 0, &rm, sizeof(rm), NULL, 0);
	rm.role = ROLE_READER;
	strlcpy(rm.subject, "CN=regulator", sizeof(rm.subject));
	seed_msg(&s, 0, IMSG_ROLE, 0, &rm, sizeof(rm), NULL, 0);
	seed_msg(&s, 0, IMSG_ROLES_END, 0, NULL, 0, NULL, 0);
	seed_write(&s, "imsg_frontd", "roles");

	memset(&ls, 0, sizeof(ls));
	ls.lot = 7;
	ls.first = 41;
	ls.last = 43;
	ls.sealed_ms = 1700000000000LL;
	seed_msg(&s, 0, IMSG_LOT_SEALED, 0, &ls, sizeof(ls), NULL, 0);
	ls.first = 44;
	seed_msg(&s, 0, IMSG_LOT_SEALED, 0, &ls, sizeof(ls), NULL, 0);
	seed_write(&s, "imsg_frontd", "lot-sealed-notice");

	ok.reqid = 99;
	ok.nitems = 1;
	seed_msg(&s, 0, IMSG_DEPOSIT_OK, 0, &ok, sizeof(ok), it, sizeof(it[0]));
	seed_write(&s, "imsg_frontd", "unknown-reqid");
}

static void
stored_seeds(void)
{
	struct seed		 s = { 0 }, body = { 0 };
	struct deposit_req	 dr;
	struct deposit_trace	 dt;
	struct lot_get		 lg;
	struct status_get	 sg;
	struct export_req	 er;
	struct export_chunk	 ec;
	struct seal_done	 sd;
	struct seal_fail	 sf;
	const char		*names[] = { "PASPMISE", "CPTEALIM" };
	char			*xml;
	uint32_t		 len, off;
	int			 i;

	memset(&dr, 0, sizeof(dr));
	dr.reqid = 1;
	dr.ntraces = 1;
	dr.received_ms = 1700000000000LL;
	strlcpy(dr.subject, "CN=capture 48", sizeof(dr.subject));
	for (i = 0; i < 2; i++) {
		xml = trace_load(names[i], &len, &off);
		memset(&dt, 0, sizeof(dt));
		dt.len = len;
		dt.idevt_off = off;
		strlcpy(dt.type, names[i], sizeof(dt.type));
		strlcpy(dt.dateevt, "100412103320", sizeof(dt.dateevt));
		if (i == 1)
			strlcpy(dt.client_id, "c-2", sizeof(dt.client_id));
		seed_add(&body, &dt, sizeof(dt));
		seed_add(&body, xml, len);
		if (i == 0) {
			seed_msg(&s, 0, IMSG_DEPOSIT, 0, &dr, sizeof(dr),
			    body.buf, body.len);
			seed_write(&s, "imsg_stored", "deposit");
		}
		free(xml);
	}
	dr.ntraces = 2;
	dr.batch = 1;
	seed_msg(&s, 0, IMSG_DEPOSIT, 0, &dr, sizeof(dr), body.buf, body.len);
	seed_write(&s, "imsg_stored", "batch");
	free(body.buf);

	memset(&lg, 0, sizeof(lg));
	lg.reqid = 3;
	lg.lot = 7;
	seed_msg(&s, 0, IMSG_LOT_GET, 0, &lg, sizeof(lg), NULL, 0);
	memset(&sg, 0, sizeof(sg));
	sg.reqid = 4;
	strlcpy(sg.subject, "CN=regulator", sizeof(sg.subject));
	seed_msg(&s, 0, IMSG_STATUS_GET, 0, &sg, sizeof(sg), NULL, 0);
	sg.reqid = 5;
	seed_msg(&s, 0, IMSG_REQUESTS_GET, 0, &sg, sizeof(sg), NULL, 0);
	seed_write(&s, "imsg_stored", "queries");

	memset(&er, 0, sizeof(er));
	er.reqid = 6;
	er.from = 1;
	er.to = 100;
	strlcpy(er.subject, "CN=regulator", sizeof(er.subject));
	seed_msg(&s, 0, IMSG_EXPORT_START, 0, &er, sizeof(er), NULL, 0);
	memset(&ec, 0, sizeof(ec));
	ec.reqid = 6;
	seed_msg(&s, 0, IMSG_EXPORT_MORE, 0, &ec, sizeof(ec), NULL, 0);
	seed_msg(&s, 0, IMSG_EXPORT_CANCEL, 0, &ec, sizeof(ec), NULL, 0);
	seed_write(&s, "imsg_stored", "export");
	er.by_time = 1;
	er.from = 20240101000000ULL;
	er.to = 20240102000000ULL;
	seed_msg(&s, 0, IMSG_EXPORT_START, 0, &er, sizeof(er), NULL, 0);
	seed_write(&s, "imsg_stored", "export-time");

	memset(&sd, 0, sizeof(sd));
	sd.lot = 7;
	sd.len = 5;
	seed_msg(&s, 1, IMSG_SEAL_DONE, 0, &sd, sizeof(sd), "<Lot/", 5);
	memset(&sf, 0, sizeof(sf));
	sf.lot = 7;
	sf.retry_after = 5;
	strlcpy(sf.reason, "HSM unavailable", sizeof(sf.reason));
	seed_msg(&s, 1, IMSG_SEAL_FAIL, 0, &sf, sizeof(sf), NULL, 0);
	seed_msg(&s, 1, IMSG_SEALER_STATUS, 0, "{\"token\":\"up\"}", 14,
	    NULL, 0);
	seed_write(&s, "imsg_stored", "sealer");
}

static void
sealerd_seeds(void)
{
	struct seed		 s = { 0 };
	struct seal_lot		 sl;
	struct seal_event	 ev[3];
	struct journal_sign	 js;
	int			 i;

	memset(&sl, 0, sizeof(sl));
	memset(ev, 0, sizeof(ev));
	sl.lot = 7;
	sl.first = 41;
	sl.last = 43;
	sl.nevents = 3;
	sl.operator_id = 48;
	sl.vault_id = 1;
	for (i = 0; i < 3; i++) {
		ev[i].idevt = 41 + i;
		ev[i].received_ms = 1700000000000LL + i;
		strlcpy(ev[i].type, i == 1 ? "CPTEALIM" : "PASPMISE",
		    sizeof(ev[i].type));
		strlcpy(ev[i].dateevt, "100412103320", sizeof(ev[i].dateevt));
		memset(ev[i].depositor, 0xa0 + i, sizeof(ev[i].depositor));
		memset(ev[i].file_sha256, 0x10 + i, sizeof(ev[i].file_sha256));
	}
	seed_msg(&s, 0, IMSG_SEAL_LOT, 0, &sl, sizeof(sl), ev, sizeof(ev));
	seed_write(&s, "imsg_sealerd", "seal-lot");
	sl.lot = 1;
	sl.first = sl.last = 1;
	sl.nevents = 1;
	seed_msg(&s, 0, IMSG_SEAL_LOT, 0, &sl, sizeof(sl), ev, sizeof(ev[0]));
	seed_msg(&s, 0, IMSG_SEALER_STATUS, 0, NULL, 0, NULL, 0);
	seed_write(&s, "imsg_sealerd", "first-lot-status");
	memset(&js, 0, sizeof(js));
	js.reqid = 2;
	seed_msg(&s, 1, IMSG_JOURNAL_SIGN, 1, &js, sizeof(js), NULL, 0);
	seed_write(&s, "imsg_sealerd", "journal-sign");
}

static void
auditd_seeds(void)
{
	struct seed		 s = { 0 };
	struct audit_record	 r;
	struct journal_sign	 js;
	struct seal_fail	 sf;
	static const uint8_t	 der[] = {
				    0x30, 0x80, 0x06, 0x09, 0x2a, 0x86,
				    0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x02,
				    0x00, 0x00 };

	memset(&r, 0, sizeof(r));
	r.id = 1;
	r.time_ms = 1700000000000LL;
	strlcpy(r.process, "stored", sizeof(r.process));
	strlcpy(r.event, "deposit", sizeof(r.event));
	strlcpy(r.subject, "CN=capture 48", sizeof(r.subject));
	strlcpy(r.outcome, "ok", sizeof(r.outcome));
	strlcpy(r.details, "idevt 41 lot 7 \"quoted\" \\ \x01 é",
	    sizeof(r.details));
	seed_msg(&s, 0, IMSG_AUDIT, 0, &r, sizeof(r), NULL, 0);
	r.id = 2;
	strlcpy(r.event, "refusal", sizeof(r.event));
	strlcpy(r.outcome, "refused", sizeof(r.outcome));
	seed_msg(&s, 0, IMSG_AUDIT, 0, &r, sizeof(r), NULL, 0);
	seed_write(&s, "imsg_auditd", "records");

	seed_msg(&s, 0, IMSG_AUDIT, 0, &r, sizeof(r), NULL, 0);
	seed_msg(&s, 0, IMSG_AUDIT_CLOSE, 0, NULL, 0, NULL, 0);
	memset(&js, 0, sizeof(js));
	js.reqid = 1;
	js.len = sizeof(der);
	seed_msg(&s, 1, IMSG_JOURNAL_SIGNED, 0, &js, sizeof(js), der,
	    sizeof(der));
	seed_write(&s, "imsg_auditd", "close-signed");

	seed_msg(&s, 0, IMSG_AUDIT_CLOSE, 0, NULL, 0, NULL, 0);
	memset(&sf, 0, sizeof(sf));
	sf.lot = 1;
	sf.retry_after = 5;
	strlcpy(sf.reason, "HSM unavailable", sizeof(sf.reason));
	seed_msg(&s, 1, IMSG_SEAL_FAIL, 0, &sf, sizeof(sf), NULL, 0);
	js.len = 0;
	seed_msg(&s, 1, IMSG_JOURNAL_SIGNED, 0, &js, sizeof(js), NULL, 0);
	seed_write(&s, "imsg_auditd", "close-failed");
}

static void
audit_seeds(void)
{
	struct seed		 s = { 0 };
	struct audit_ack	 a;
	int			 i;

	for (i = 1; i <= 4; i++) {
		a.id = i;
		a.seq = 100 + i;
		seed_msg(&s, 0, IMSG_AUDIT_ACK, 0, &a, sizeof(a), NULL, 0);
	}
	seed_write(&s, "imsg_audit", "acks");
	a.id = 2;
	seed_msg(&s, 0, IMSG_AUDIT_ACK, 0, &a, sizeof(a), NULL, 0);
	seed_msg(&s, 0, IMSG_AUDIT_ACK, 0, &a, sizeof(a), NULL, 0);
	a.id = 77;
	seed_msg(&s, 0, IMSG_AUDIT_ACK, 0, &a, sizeof(a), NULL, 0);
	seed_write(&s, "imsg_audit", "twice-unknown");
}

static void
cfjlctl_seeds(void)
{
	struct seed		 s = { 0 };
	struct ctl_reply	 rep;
	const char		*text = "stored 0.1: up, 12 events";

	rep.ok = 1;
	rep.len = strlen(text);
	seed_msg(&s, 0, IMSG_CTL_REPLY, 0, &rep, sizeof(rep), text, rep.len);
	seed_write(&s, "imsg_cfjlctl", "reply");
	rep.ok = 0;
	rep.len = 3;
	seed_msg(&s, 0, IMSG_CTL_REPLY, 0, &rep, sizeof(rep), "no\0x", 5);
	seed_write(&s, "imsg_cfjlctl", "reply-nul");
}

/* One message as it goes on a socket (no pid: reproducible). */
static void
seed_frame(struct seed *s, uint32_t type, const void *p, size_t len)
{
	struct imsg_hdr		 h;

	memset(&h, 0, sizeof(h));
	h.type = type;
	h.len = IMSG_HEADER_SIZE + len;
	seed_add(s, &h, sizeof(h));
	if (len > 0)
		seed_add(s, p, len);
}

/* A request as cfjlctl frames it on the socket. */
static void
ctl_frame(struct seed *s, const char *cmd, const char *a1, const char *a2,
    uint32_t version)
{
	struct ctl_request	 req;

	memset(&req, 0, sizeof(req));
	req.version = version;
	strlcpy(req.command, cmd, sizeof(req.command));
	strlcpy(req.arg1, a1, sizeof(req.arg1));
	strlcpy(req.arg2, a2, sizeof(req.arg2));
	seed_frame(s, IMSG_CTL_REQUEST, &req, sizeof(req));
}

/* The HELLO a daemon says when it connects. */
static void
hello_frame(struct seed *s, const char *name, uint32_t version)
{
	struct proto_hello	 h;

	memset(&h, 0, sizeof(h));
	h.version = version;
	strlcpy(h.name, name, sizeof(h.name));
	seed_frame(s, IMSG_HELLO, &h, sizeof(h));
}

static void
peer_seeds(void)
{
	struct seed		 s = { 0 };
	struct lot_get		 lg;
	struct audit_record	 r;

	memset(&lg, 0, sizeof(lg));
	lg.reqid = 1;
	lg.lot = 7;
	memset(&r, 0, sizeof(r));
	r.id = 1;
	strlcpy(r.event, "deposit", sizeof(r.event));
	strlcpy(r.outcome, "ok", sizeof(r.outcome));
	hello_frame(&s, "frontd", CFJL_PROTO_VERSION);
	seed_frame(&s, IMSG_LOT_GET, &lg, sizeof(lg));
	seed_write(&s, "peer_hello", "frontd-lot");
	hello_frame(&s, "stored", CFJL_PROTO_VERSION);
	seed_frame(&s, IMSG_AUDIT, &r, sizeof(r));
	seed_write(&s, "peer_hello", "stored-audit");
	hello_frame(&s, "frontd", CFJL_PROTO_VERSION + 1);
	seed_write(&s, "peer_hello", "version");
	hello_frame(&s, "sealerd", CFJL_PROTO_VERSION);
	seed_frame(&s, IMSG_LOT_GET, &lg, sizeof(lg));
	seed_write(&s, "peer_hello", "not-allowed");
	seed_frame(&s, IMSG_LOT_GET, &lg, sizeof(lg));
	seed_write(&s, "peer_hello", "no-hello");
}

static void
control_seeds(void)
{
	struct seed	 s = { 0 };
	uint8_t		 privs;

	privs = 3;
	seed_add(&s, &privs, 1);
	ctl_frame(&s, CTL_STATUS, "", "", CFJL_PROTO_VERSION);
	seed_write(&s, "control", "status");
	seed_add(&s, &privs, 1);
	ctl_frame(&s, CTL_ROLE_ADD, "depositor", "CN=capture 48",
	    CFJL_PROTO_VERSION);
	ctl_frame(&s, CTL_ROLE_LIST, "", "", CFJL_PROTO_VERSION);
	seed_write(&s, "control", "pipelined");
	privs = 0;
	seed_add(&s, &privs, 1);
	ctl_frame(&s, CTL_JOURNAL_CLOSE, "", "", CFJL_PROTO_VERSION);
	seed_write(&s, "control", "refused");
	privs = 2;
	seed_add(&s, &privs, 1);
	ctl_frame(&s, CTL_STOP, "", "", CFJL_PROTO_VERSION);
	seed_write(&s, "control", "functional-stop");
	privs = 1;
	seed_add(&s, &privs, 1);
	ctl_frame(&s, CTL_STATUS, "", "", CFJL_PROTO_VERSION + 1);
	seed_write(&s, "control", "version");
	seed_add(&s, &privs, 1);
	ctl_frame(&s, "no-such-command", "x", "y", CFJL_PROTO_VERSION);
	seed_write(&s, "control", "unknown");
}

int
main(int argc, char *argv[])
{
	if (argc < 2 || argc > 3)
		errx(2, "usage: mkseeds corpusdir [samplesdir]");
	corpus = argv[1];
	samples = argc > 2 ? argv[2] : NULL;
	frontd_seeds();
	stored_seeds();
	sealerd_seeds();
	auditd_seeds();
	audit_seeds();
	cfjlctl_seeds();
	control_seeds();
	peer_seeds();
	return 0;
}
