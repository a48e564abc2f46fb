/*
 * stored's two tables, driven with typed messages (lib/drive.h): table
 * 0 is what frontd sends (stored/front.c: deposits, lots, status,
 * requests, exports), table 1 what sealerd answers (stored/sealerlink.c).
 * stored is linked whole, in the state it is in before its database
 * answers: every request is read and checked to the end, then refused
 * or answered the way it is while the database is away; the answers are
 * queued to a frontd that is up.  A protocol error drops that link, as
 * common/peer.c would.  Journal records go to a local sink.
 */
#include "../stored/front.c"
#include "../stored/sealerlink.c"

#include "audit.h"
#include "drive.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);
int	LLVMFuzzerInitialize(int *, char ***);

static struct peer	 fpeer;

static void
stored_audit_sink(const struct audit_record *r)
{
}

static void
stored_front_dropped(void *arg)
{
	front_down(&fpeer);
}

static void
stored_sealer_dropped(void *arg)
{
	sealerlink_down(&sealer);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	drive_init("stored");
	if ((env->conf = calloc(1, sizeof(*env->conf))) == NULL)
		abort();
	config_defaults(env->conf);
	audit_init_local("stored", stored_audit_sink);
	deposit_init();
	lotstate_init();
	sealqueue_queue_init();
	drive_peer(&fpeer, "frontd");
	drive_peer(&sealer, "sealerd");
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct drive_target	 t[] = {
		{ &front_table, MSG_FRONTD, &fpeer, NULL,
		    stored_front_dropped },
		{ &sealerlink_table, MSG_SEALERD, &sealer, NULL,
		    stored_sealer_dropped },
	};

	if (fpeer.arg == NULL)
		front_up(&fpeer);
	(void)drive(t, 2, data, size);
	/* frontd leaves: what it asked for is dropped with it. */
	if (fpeer.arg != NULL)
		front_down(&fpeer);
	drive_peer_clear(&fpeer);
	drive_peer_clear(&sealer);
	return 0;
}
