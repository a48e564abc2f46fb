/*
 * Print the refusal catalogue, one refusal a line: status, HTTP code and
 * sentence, separated by tabs; then the statuses of accepted answers,
 * each after "answer".  refusals-man.t compares it with frontd(8).
 */
#include <err.h>
#include <stdio.h>

#include "refusal.h"

int
main(void)
{
	const struct refusal_info	*r;
	uint32_t			 code;

	for (code = REFUSE_NONE + 1; code < REFUSE_MAX; code++) {
		if ((r = refusal_get(code)) == NULL || r->code != code)
			errx(1, "refusal %u is missing", code);
		printf("%s\t%d\t%s\n", r->status, r->http, r->sentence);
	}
	if (refusal_get(REFUSE_NONE) != NULL ||
	    refusal_get(REFUSE_MAX) != NULL)
		errx(1, "a code outside the catalogue was found");
	printf("answer\t%s\nanswer\t%s\nanswer\t%s\n", ANSWER_OK,
	    ANSWER_DUPLICATE, ANSWER_PENDING);
	return 0;
}
