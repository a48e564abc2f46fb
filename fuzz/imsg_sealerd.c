/*
 * sealerd's table (sealerd/sealersock.c), driven with typed messages
 * (lib/drive.h): lots to seal and status requests from stored, journal
 * files to sign from auditd (the descriptor is a memory file holding
 * the payload).  sealerd is linked whole, in the state it is in while
 * its PKCS#11 module cannot be loaded (a path where there is none): a
 * lot is read, checked and written as XML to the end, then refused for
 * want of the token; the answers are queued to the asker.  Journal
 * records go to a local sink.
 */
#include "../sealerd/sealersock.c"

#include "config.h"
#include "drive.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);
int	LLVMFuzzerInitialize(int *, char ***);

static struct peer	 speer, apeer;

static void
sealerd_audit_sink(const struct audit_record *r)
{
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	drive_init("sealerd");
	if ((env->conf = calloc(1, sizeof(*env->conf))) == NULL)
		abort();
	config_defaults(env->conf);
	audit_init_local("sealerd", sealerd_audit_sink);
	env->sealer.started = time(NULL);
	strlcpy(env->sealer.hsm.module, "/nonexistent/libsofthsm2.so",
	    sizeof(env->sealer.hsm.module));
	strlcpy(env->sealer.hsm.token, "cfjl", sizeof(env->sealer.hsm.token));
	env->module_awaited = 1;
	watch_start();
	drive_peer(&speer, "stored");
	drive_peer(&apeer, "auditd");
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct drive_target	 t[] = {
		{ &server_table, MSG_STORED, &speer, NULL, NULL },
		{ &server_table, MSG_AUDITD, &apeer, NULL, NULL },
	};

	(void)drive(t, 2, data, size);
	drive_peer_clear(&speer);
	drive_peer_clear(&apeer);
	return 0;
}
