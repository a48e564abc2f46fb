/*
 * bloomset_test MINBITS MAXBITS N: add ids "id-0" .. "id-N-1" to a set
 * sized for none, then print what a test checks: the layers and KiB it
 * grew to, the ids added that it reports absent (must be 0), and the
 * false positives among N ids never added.
 */
#include <stdio.h>
#include <stdlib.h>

#include "bloomset.h"

int
main(int argc, char *argv[])
{
	struct bloomset	*s;
	char		 id[64];
	unsigned long	 n, i, missed = 0, fp = 0;

	if (argc != 4) {
		fprintf(stderr, "usage: bloomset_test minbits maxbits n\n");
		return 2;
	}
	n = strtoul(argv[3], NULL, 10);
	s = bloomset_new(0, strtoull(argv[1], NULL, 10),
	    strtoull(argv[2], NULL, 10));
	for (i = 0; i < n; i++) {
		snprintf(id, sizeof(id), "id-%lu", i);
		bloomset_add(s, id);
	}
	for (i = 0; i < n; i++) {
		snprintf(id, sizeof(id), "id-%lu", i);
		missed += !bloomset_has(s, id);
		snprintf(id, sizeof(id), "other-%lu", i);
		fp += bloomset_has(s, id);
	}
	printf("layers %d kib %zu ids %zu missed %lu fp_per_10000 %lu\n",
	    bloomset_layers(s), bloomset_kib(s), bloomset_ids(s), missed,
	    n ? fp * 10000 / n : 0);
	bloomset_free(s);
	return 0;
}
