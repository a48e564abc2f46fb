/*
 * Names of the message types, for the logs.
 */
#include <stddef.h>
#include <stdint.h>

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
};

const char *
proto_type_name(uint32_t type)
{
	if (type >= IMSG_TYPE_MAX || proto_names[type] == NULL)
		return "unknown";
	return proto_names[type];
}
