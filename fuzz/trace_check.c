/*
 * Fuzzing frontd's trace checks: the input is checked as one trace and
 * split as a batch.  The schema set is loaded once from $CFJL_SCHEMAS,
 * else from ../../shared/arjel/xsd (the checkout's neighbour); without
 * it the checks run without XSD validation.  Whatever is accepted must
 * come out as the input less the IDEvt content, the offset inside.
 */
#include <sys/types.h>
#include <sys/uio.h>

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "../frontd/trace.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);
int	LLVMFuzzerInitialize(int *, char ***);

static struct trace_policy	 pol;

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char	*dir;

	log_init(1, 0, 0);
	log_procinit("fuzz");
	trace_init();
	if ((dir = getenv("CFJL_SCHEMAS")) == NULL)
		dir = "../../shared/arjel/xsd";
	pol.operator_id = 48;
	pol.vault_id = 1;
	pol.max_depth = 32;
	pol.schemas = schemaset_load(dir);
	return 0;
}

static void
check_one(const char *buf, size_t len)
{
	struct trace_out	 out;
	struct trace_error	 err;
	size_t			 total = 0;
	int			 i;

	if (trace_check(&pol, buf, len, &out, &err) == -1) {
		if (refusal_get(err.code) == NULL || err.error[0] == '\0')
			abort();
		return;
	}
	for (i = 0; i < out.iovcnt; i++)
		total += out.iov[i].iov_len;
	if (total != out.len || out.idevt_off > out.len ||
	    out.len > len + 16 || out.type[0] == '\0')
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct trace_slice	 sl[16];
	struct trace_error	 err;
	size_t			 n, i;

	check_one((const char *)data, size);
	if (trace_batch_split(&pol, (const char *)data, size, 16, sl, &n,
	    &err) == 0)
		for (i = 0; i < n; i++) {
			if (sl[i].off + sl[i].len > size)
				abort();
			check_one((const char *)data + sl[i].off, sl[i].len);
		}
	return 0;
}
