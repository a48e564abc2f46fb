/*
 * What every daemon hears from auditd (common/audit.c): acknowledgements
 * of its journal records, driven with typed messages (lib/drive.h).
 * Before each input the daemon has journaled four records, numbered 1
 * to 4, two of them waiting for their ack before going on (as a control
 * command does); an ack must find its record, once, whatever it says.
 */
#include "../common/audit.c"

#include "drive.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);
int	LLVMFuzzerInitialize(int *, char ***);

static int	 confirmed;

static void
audit_fuzz_done(void *arg, uint64_t seq)
{
	if (arg != &confirmed)
		abort();
	confirmed++;
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	drive_init("stored");
	audit_setup("stored");
	drive_peer(&audit.peer, "auditd");
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct drive_target	 t = { &audit_table, MSG_AUDITD,
					    &audit.peer, NULL, NULL };
	struct audit_item		*it;

	audit.nextid = 1;
	confirmed = 0;
	audit_record("deposit", "CN=capture 48", "ok", "idevt %d", 1);
	(void)audit_record_cb(audit_fuzz_done, &confirmed, "admin", "uid 0",
	    "allowed", "status on stored");
	audit_record("refusal", "CN=capture 48", "refused", "%s", "schema");
	(void)audit_record_cb(audit_fuzz_done, &confirmed, "admin", "uid 0",
	    "allowed", "journal-close on auditd");

	(void)drive(&t, 1, data, size);
	if (confirmed + audit.nqueued > 4 || confirmed > 2)
		abort();

	/* The link goes: what is unacknowledged is dropped here. */
	while ((it = TAILQ_FIRST(&audit.queue)) != NULL) {
		TAILQ_REMOVE(&audit.queue, it, entry);
		free(it);
	}
	audit.nqueued = 0;
	drive_peer_clear(&audit.peer);
	return 0;
}
