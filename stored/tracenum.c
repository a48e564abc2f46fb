/*
 * A trace as archived: the capture agent's XML with the IDEvt the vault
 * gave it written in place of what the agent sent there (0, nothing, or
 * the placeholder comment; frontd found where).
 */
#include <sys/types.h>

#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tracenum.h"

/*
 * Replace bytes [off, off + ilen) of xml with the decimal idevt.  *out
 * is malloc'd; -1 if the range does not lie inside the trace.
 */
int
tracenum_write(const uint8_t *xml, size_t len, uint32_t off, uint32_t ilen,
    uint64_t idevt, uint8_t **out, size_t *outlen)
{
	char	 num[24];
	size_t	 nlen, total;
	int	 n;

	*out = NULL;
	*outlen = 0;
	if (off > len || ilen > len - off)
		return -1;
	n = snprintf(num, sizeof(num), "%" PRIu64, idevt);
	if (n <= 0 || (size_t)n >= sizeof(num))
		return -1;
	nlen = n;
	total = len - ilen + nlen;
	if ((*out = malloc(total)) == NULL)
		return -1;
	memcpy(*out, xml, off);
	memcpy(*out + off, num, nlen);
	memcpy(*out + off + nlen, xml + off + ilen, len - off - ilen);
	*outlen = total;
	return 0;
}
