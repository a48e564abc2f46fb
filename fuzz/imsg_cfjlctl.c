/*
 * What cfjlctl hears from a daemon (cfjlctl/client.c): replies, driven
 * with typed messages (lib/drive.h) into the answer cfjlctl prints.
 */
#include "../cfjlctl/client.c"

#include "drive.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);
int	LLVMFuzzerInitialize(int *, char ***);

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	drive_init("cfjlctl");
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ctl_answer		 a;
	const struct drive_target	 t = { &ctl_table, MSG_DAEMON, &a,
					    NULL, NULL };

	/* One reply is read per request: what follows it is not. */
	if (size >= 5 && size - 5 > (size_t)(data[3] | data[4] << 8))
		size = 5 + (size_t)(data[3] | data[4] << 8);
	memset(&a, 0, sizeof(a));
	if (drive(&t, 1, data, size) == -1 && a.text != NULL &&
	    strlen(a.text) > a.len)
		abort();
	free(a.text);
	return 0;
}
