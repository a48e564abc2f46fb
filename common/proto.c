/*
 * Names of the message types, for the logs, and what the reader must
 * know of each payload structure.
 */
#include <stddef.h>
#include <stdint.h>

#include "msg.h"
#include "proto.h"

static const char *const proto_names[IMSG_TYPE_MAX] = {
	[IMSG_NONE] = "none",
	[IMSG_HELLO] = "hello",
	[IMSG_DEPOSIT] = "deposit",
	[IMSG_DEPOSIT_OK] = "deposit-ok",
	[IMSG_DEPOSIT_ERR] = "deposit-err",
	[IMSG_LOT_GET] = "lot-get",
	[IMSG_LOT_DATA] = "lot-data",
	[IMSG_STATUS_GET] = "status-get",
	[IMSG_STATUS] = "status",
	[IMSG_EXPORT_START] = "export-start",
	[IMSG_EXPORT_CHUNK] = "export-chunk",
	[IMSG_EXPORT_MORE] = "export-more",
	[IMSG_EXPORT_CANCEL] = "export-cancel",
	[IMSG_REQUESTS_GET] = "requests-get",
	[IMSG_REQUESTS] = "requests",
	[IMSG_ROLES_RESET] = "roles-reset",
	[IMSG_ROLE] = "role",
	[IMSG_ROLES_END] = "roles-end",
	[IMSG_LOT_SEALED] = "lot-sealed",
	[IMSG_SEAL_LOT] = "seal-lot",
	[IMSG_SEAL_DONE] = "seal-done",
	[IMSG_SEAL_FAIL] = "seal-fail",
	[IMSG_SEALER_STATUS] = "sealer-status",
	[IMSG_JOURNAL_SIGN] = "journal-sign",
	[IMSG_JOURNAL_SIGNED] = "journal-signed",
	[IMSG_AUDIT] = "audit",
	[IMSG_AUDIT_ACK] = "audit-ack",
	[IMSG_AUDIT_CLOSE] = "audit-close",
	[IMSG_CTL_REQUEST] = "ctl-request",
	[IMSG_CTL_REPLY] = "ctl-reply",
	[IMSG_PROC_PING] = "proc-ping",
	[IMSG_PROC_PONG] = "proc-pong",
	[IMSG_CHECKPOINT_MAKE] = "checkpoint-make",
	[IMSG_CHECKPOINT_DONE] = "checkpoint-done",
	[IMSG_CHECKPOINT_FAIL] = "checkpoint-fail",
	[IMSG_JOURNAL_SEALED] = "journal-sealed",
	[IMSG_CHECKPOINT_GET] = "checkpoint-get",
	[IMSG_CHECKPOINT_DATA] = "checkpoint-data",
};

const char *
proto_type_name(uint32_t type)
{
	if (type >= IMSG_TYPE_MAX || proto_names[type] == NULL)
		return "unknown";
	return proto_names[type];
}

/*
 * The structures, with the fixed strings each must hold terminated
 * (m_get_struct() refuses one that is not).
 */
#define S(type, field)	{ offsetof(struct type, field), \
			    sizeof(((struct type *)0)->field) }
#define D(var, type, ...) \
	const struct msg_struct var = { #type, sizeof(struct type), \
	    { __VA_ARGS__ } }

D(proto_hello, proto_hello, S(proto_hello, name));
D(proto_deposit_req, deposit_req, S(deposit_req, subject),
    S(deposit_req, stamp));
D(proto_deposit_trace, deposit_trace, S(deposit_trace, type),
    S(deposit_trace, dateevt), S(deposit_trace, client_id));
D(proto_deposit_item, deposit_item, S(deposit_item, client_id));
D(proto_deposit_ok, deposit_ok);
D(proto_deposit_err, deposit_err, S(deposit_err, error),
    S(deposit_err, detail));
D(proto_lot_get, lot_get, S(lot_get, subject));
D(proto_lot_data, lot_data);
D(proto_status_get, status_get, S(status_get, subject));
D(proto_status_reply, status_reply);
D(proto_requests_get, requests_get, S(requests_get, subject));
D(proto_export_req, export_req, S(export_req, subject));
D(proto_export_chunk, export_chunk);
D(proto_role, role_msg, S(role_msg, subject));
D(proto_lot_sealed, lot_sealed);
D(proto_seal_lot, seal_lot);
D(proto_seal_event, seal_event, S(seal_event, type), S(seal_event, dateevt),
    S(seal_event, stamp));
D(proto_seal_done, seal_done);
D(proto_seal_fail, seal_fail, S(seal_fail, reason));
D(proto_journal_sign, journal_sign);
D(proto_audit_record, audit_record, S(audit_record, process),
    S(audit_record, event), S(audit_record, subject),
    S(audit_record, outcome), S(audit_record, details));
D(proto_audit_ack, audit_ack);
D(proto_ctl_reply, ctl_reply);
D(proto_checkpoint_req, checkpoint_req);
D(proto_checkpoint_done, checkpoint_done,
    S(checkpoint_done, journal_file));
D(proto_journal_sealed, journal_sealed, S(journal_sealed, file));
