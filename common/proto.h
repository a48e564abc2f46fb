/*
 * Messages between the CFJL daemons.  Every message type is in the one
 * enum below, with its name in proto_type_name() for the logs.  Payloads
 * are fixed-size structures, optionally followed by variable data whose
 * length the structure states.  Nobody reads a payload by hand: each
 * receiver has one table (msg.h) saying which types it takes, from which
 * sender and with or without a descriptor, and its handlers take the
 * payload apart with the bounded getters of msg.h.  A structure's fixed
 * strings must be terminated inside their field: proto.c lists them for
 * m_get_struct(), and a new string field must be added there.  Any
 * length that does not fit is a protocol error, reported once by the
 * dispatching code, and the link is dropped.
 *
 * Who talks to whom (sockets live in the runtime directory):
 *
 *	frontd  --stored.sock-->  stored    deposits, lots, status, export
 *	stored  --sealer.sock-->  sealerd   lots to seal, status
 *	auditd  --sealer.sock-->  sealerd   journal digests to sign, and
 *	                                    the newest sealed file
 *	stored  --sealer.sock-->  sealerd   checkpoints to seal
 *	frontd, stored, sealerd --audit.sock--> auditd   journal records
 *	a daemon's parent <--socket pair--> its children (common/proc.c):
 *	    heartbeat and reports (frontd and its workers)
 *	cfjlctl --NAME.ctl--> each daemon   administration (common/control.c):
 *	    status: all; role, lot seal-now: stored (which pushes roles to
 *	    frontd); journal: auditd; reload, stop: each.
 */
#ifndef CFJL_PROTO_H
#define CFJL_PROTO_H

#include <stdint.h>

#define CFJL_VERSION		"0.1"
#define CFJL_PROTO_VERSION	3	/* raised whenever a structure below changes */

#define SOCK_STORED		"stored.sock"
#define SOCK_SEALER		"sealer.sock"
#define SOCK_AUDIT		"audit.sock"
#define SOCK_CONTROL_SUFFIX	".ctl"	/* frontd.ctl, stored.ctl, ... */

/* The largest message any peer may send: a batch or a chunk of a lot. */
#define CFJL_MSG_MAX		(4 * 1024 * 1024)

#define TYPE_NAME_MAX		32	/* ARJEL event type, e.g. PASPMISE */
#define DATEEVT_MAX		16	/* YYMMDDhhmmss */
#define CLIENT_ID_MAX		128
#define SHA256_LEN		32
#define STAMP_MAX		40	/* RFC 3339, RFC3339_MAX and a NUL */

enum imsg_type {
	IMSG_NONE = 0,
	IMSG_HELLO,		/* peer -> listener: struct proto_hello */

	/* frontd <-> stored */
	IMSG_DEPOSIT,		/* struct deposit_req + traces */
	IMSG_DEPOSIT_OK,	/* struct deposit_ok + items */
	IMSG_DEPOSIT_ERR,	/* struct deposit_err */
	IMSG_LOT_GET,		/* struct lot_get */
	IMSG_LOT_DATA,		/* struct lot_data + lot XML */
	IMSG_STATUS_GET,	/* struct status_get */
	IMSG_STATUS,		/* struct status_reply + JSON text */
	IMSG_EXPORT_START,	/* struct export_req */
	IMSG_EXPORT_CHUNK,	/* struct export_chunk + tar bytes */
	IMSG_EXPORT_MORE,	/* struct export_chunk: flow control */
	IMSG_EXPORT_CANCEL,	/* struct export_chunk */
	IMSG_REQUESTS_GET,	/* struct requests_get */
	IMSG_REQUESTS,		/* struct status_reply + JSON text */
	IMSG_ROLES_RESET,	/* stored -> frontd: empty, new table follows */
	IMSG_ROLE,		/* struct role_msg */
	IMSG_ROLES_END,		/* empty: the table is complete */
	IMSG_LOT_SEALED,	/* stored -> frontd: struct lot_sealed */

	/* stored <-> sealerd */
	IMSG_SEAL_LOT,		/* struct seal_lot + struct seal_event[] */
	IMSG_SEAL_DONE,		/* struct seal_done + lot XML */
	IMSG_SEAL_FAIL,		/* struct seal_fail */
	IMSG_SEALER_STATUS,	/* empty request, or JSON text reply */

	/* auditd <-> sealerd */
	IMSG_JOURNAL_SIGN,	/* struct journal_sign, fd of the file */
	IMSG_JOURNAL_SIGNED,	/* struct journal_sign + DER CMS */

	/* anyone -> auditd */
	IMSG_AUDIT,		/* struct audit_record */
	IMSG_AUDIT_ACK,		/* struct audit_ack */
	IMSG_AUDIT_CLOSE,	/* close the current journal file now */

	/* cfjlctl <-> a daemon's control socket */
	IMSG_CTL_REQUEST,	/* struct ctl_request [+ u32 len, CMS] */
	IMSG_CTL_REPLY,		/* struct ctl_reply + text */

	/* a daemon's parent <-> its children (common/proc.c) */
	IMSG_PROC_PING,		/* parent -> child: empty, answer now */
	IMSG_PROC_PONG,		/* child -> parent: the child's report */
	/* checkpoints (sealerd/checkpoint.c, stored/checkpoint.c) */
	IMSG_CHECKPOINT_MAKE,	/* stored -> sealerd: struct checkpoint_req */
	IMSG_CHECKPOINT_DONE,	/* sealerd -> stored: checkpoint_done + XML */
	IMSG_CHECKPOINT_FAIL,	/* sealerd -> stored: struct seal_fail */
	IMSG_JOURNAL_SEALED,	/* auditd -> sealerd: struct journal_sealed */
	IMSG_CHECKPOINT_GET,	/* frontd -> stored: struct status_get */
	IMSG_CHECKPOINT_DATA,	/* stored -> frontd: struct lot_data + XML */

	IMSG_TYPE_MAX
};

const char	*proto_type_name(uint32_t type);

struct proto_hello {
	uint32_t	 version;	/* CFJL_PROTO_VERSION */
	char		 name[16];	/* "frontd", ... */
};

/* One trace inside IMSG_DEPOSIT, followed by len bytes of XML. */
struct deposit_trace {
	uint32_t	 len;
	uint32_t	 idevt_off;	/* where the IDEvt content starts */
	uint32_t	 idevt_len;	/* bytes to replace with the number */
	char		 type[TYPE_NAME_MAX];
	char		 dateevt[DATEEVT_MAX];
	char		 client_id[CLIENT_ID_MAX];	/* "" if none */
	uint8_t		 body_sha256[SHA256_LEN];	/* as sent */
};

struct deposit_req {
	uint64_t	 reqid;		/* frontd's, echoed back */
	uint32_t	 ntraces;
	uint32_t	 batch;		/* 1: answer as a batch */
	int64_t		 received_ms;	/* Unix time, milliseconds */
	uint8_t		 depositor[SHA256_LEN];	/* SHA-256 of cert DER */
	char		 subject[512];
	char		 stamp[STAMP_MAX];	/* Timestamp header, or "" */
	/* struct deposit_trace + XML, ntraces times */
};

struct deposit_item {
	uint64_t	 idevt;
	uint64_t	 lot;
	int64_t		 received_ms;
	uint8_t		 digest[SHA256_LEN];	/* of the archived XML */
	uint8_t		 record[SHA256_LEN];	/* of the .p7m: Empreinte */
	uint32_t	 duplicate;	/* 1: Client-Id seen with this body */
	char		 client_id[CLIENT_ID_MAX];
};

struct deposit_ok {
	uint64_t	 reqid;
	uint32_t	 nitems;
	/* struct deposit_item, nitems times */
};

/*
 * A refusal is sent as its code in the catalogue (refusal.h), which gives
 * the HTTP and CFJL_ statuses; a code outside it breaks the protocol.
 */
struct deposit_err {
	uint64_t	 reqid;
	uint32_t	 code;		/* enum refusal (refusal.h) */
	int32_t		 index;		/* trace in a batch, -1 if none */
	uint32_t	 retry_after;	/* seconds, for 503 */
	char		 error[128];
	char		 detail[512];
};

struct lot_get {
	uint64_t	 reqid;
	uint64_t	 lot;
	char		 subject[512];	/* who reads (journaled) */
};

enum lot_state {
	LOT_UNKNOWN = 0,
	LOT_OPEN,
	LOT_PENDING,	/* closed, waiting for its seal */
	LOT_SEALED
};

struct lot_data {
	uint64_t	 reqid;
	uint64_t	 lot;
	uint32_t	 state;		/* enum lot_state */
	uint32_t	 len;		/* XML bytes that follow (sealed) */
};

struct status_get {
	uint64_t	 reqid;
	char		 subject[512];	/* who asks (for requests) */
};

struct status_reply {
	uint64_t	 reqid;
	uint32_t	 len;		/* JSON bytes that follow */
};

struct requests_get {
	uint64_t	 reqid;
	char		 subject[512];
};

struct export_req {
	uint64_t	 reqid;
	uint32_t	 by_time;	/* 0: IDEvt range, 1: time range */
	uint64_t	 from;		/* IDEvt, or YYYYMMDDhhmmss */
	uint64_t	 to;
	char		 subject[512];
};

struct export_chunk {
	uint64_t	 reqid;
	uint32_t	 last;		/* 1: end of the tar stream */
	uint32_t	 error;		/* enum refusal: the export failed */
	/* tar bytes follow; with error set, stored's reason in words */
};

struct role_msg {
	uint32_t	 role;		/* enum cfjl_role */
	uint32_t	 ca;		/* enum cfjl_ca: the issuer bound */
	uint32_t	 by_fp;		/* 1: fp, not subject */
	uint8_t		 fp[SHA256_LEN];	/* certificate's SHA-256 */
	char		 subject[512];
};

/* A lot whose seal is stored: the archive notice of the queue front. */
struct lot_sealed {
	uint64_t	 lot;
	uint64_t	 first;		/* IDEvt */
	uint64_t	 last;
	int64_t		 sealed_ms;	/* when its seal was stored */
};

/* One lot for sealerd: struct seal_lot then nevents struct seal_event. */
struct seal_lot {
	uint64_t	 lot;
	uint64_t	 first;		/* IDEvt */
	uint64_t	 last;
	uint32_t	 nevents;
	uint32_t	 operator_id;
	uint32_t	 vault_id;
	uint8_t		 precedent[SHA256_LEN];	/* previous SignatureValue */
};

struct seal_event {
	uint64_t	 idevt;
	int64_t		 received_ms;
	char		 type[TYPE_NAME_MAX];
	char		 dateevt[DATEEVT_MAX];
	uint8_t		 depositor[SHA256_LEN];
	uint8_t		 file_sha256[SHA256_LEN];	/* of the .p7m */
	char		 stamp[STAMP_MAX];	/* depositor's time, or "" */
};

/*
 * A seal names the certificates that made it: their SHA-256 (DER) and,
 * after the document, each with its chain as PEM, the sealing one then
 * the time-stamping one.  stored keeps them for the exports.
 */
struct seal_done {
	uint64_t	 lot;
	uint8_t		 sigvalue_sha256[SHA256_LEN];	/* next Precedent */
	uint8_t		 seal_cert[SHA256_LEN];
	uint8_t		 tsa_cert[SHA256_LEN];
	uint32_t	 len;		/* lot XML bytes that follow */
	uint32_t	 seal_pem_len;	/* then the sealing certificate */
	uint32_t	 tsa_pem_len;	/* then the time-stamping one */
};

struct seal_fail {
	uint64_t	 lot;
	uint32_t	 retry_after;	/* seconds */
	char		 reason[256];
};

struct journal_sign {
	uint64_t	 reqid;
	uint32_t	 len;		/* DER bytes that follow (reply) */
};

/*
 * A checkpoint to seal: what stored knows (the last sealed lot, the
 * previous checkpoint); sealerd adds the newest sealed journal file
 * that auditd told it of, and the time.  See cfjl-export(5).
 */
struct checkpoint_req {
	uint64_t	 numero;	/* 1, 2, ... */
	uint64_t	 last_lot;	/* 0: no lot sealed yet */
	uint64_t	 last_idevt;	/* Dernier of last_lot */
	uint32_t	 operator_id;
	uint32_t	 vault_id;
	uint8_t		 lot_sigvalue[SHA256_LEN];	/* of last_lot */
	uint8_t		 precedent[SHA256_LEN];	/* previous checkpoint's */
};

struct checkpoint_done {
	uint64_t	 numero;
	uint8_t		 sigvalue_sha256[SHA256_LEN];	/* next Precedent */
	char		 journal_file[16];	/* "" if none sealed yet */
	uint8_t		 journal_meta[SHA256_LEN];
	int64_t		 time_ms;
	uint8_t		 seal_cert[SHA256_LEN];	/* as in struct seal_done */
	uint8_t		 tsa_cert[SHA256_LEN];
	uint32_t	 len;		/* XML bytes that follow */
	uint32_t	 seal_pem_len;
	uint32_t	 tsa_pem_len;
};

/* The newest journal file with a seal, and its metadata digest. */
struct journal_sealed {
	char		 file[16];	/* NNNNNNNN.log */
	uint8_t		 meta_sha256[SHA256_LEN];
};

#define AUDIT_FIELD		64
#define AUDIT_SUBJECT		512
#define AUDIT_DETAILS		1024

struct audit_record {
	uint64_t	 id;		/* sender's, echoed in the ack */
	int64_t		 time_ms;
	char		 process[16];
	char		 event[AUDIT_FIELD];	/* deposit, refusal, ... */
	char		 subject[AUDIT_SUBJECT];
	char		 outcome[AUDIT_FIELD];	/* ok, refused, error */
	char		 details[AUDIT_DETAILS];
};

struct audit_ack {
	uint64_t	 id;
	uint64_t	 seq;		/* journal sequence number */
};

struct ctl_request {
	uint32_t	 version;	/* CFJL_PROTO_VERSION */
	uint32_t	 json;		/* 1: answer for scripts */
	char		 command[32];	/* "status", "role-add", ... */
	char		 arg1[512];
	char		 arg2[512];
};

struct ctl_reply {
	uint32_t	 ok;
	uint32_t	 len;		/* text that follows */
};

/* How the reader (msg.h) takes these structures apart: common/proto.c. */
struct msg_struct;
extern const struct msg_struct proto_hello, proto_deposit_req, proto_deposit_trace,
    proto_deposit_item, proto_deposit_ok, proto_deposit_err, proto_lot_get,
    proto_lot_data, proto_status_get, proto_status_reply, proto_requests_get,
    proto_export_req, proto_export_chunk, proto_role, proto_lot_sealed,
    proto_seal_lot,
    proto_seal_event, proto_seal_done, proto_seal_fail, proto_journal_sign,
    proto_audit_record, proto_audit_ack, proto_ctl_reply,
    proto_checkpoint_req, proto_checkpoint_done, proto_journal_sealed;

#endif
