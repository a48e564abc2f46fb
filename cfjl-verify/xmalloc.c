/*
 * Allocation that cannot fail silently: the verifier exits 2 (nothing
 * was checked) rather than go on with half a result.  The names are
 * OpenSSH's xmalloc.c, which every reader of this code knows.
 */
#include <err.h>
#include <stdlib.h>
#include <string.h>

#include "verify.h"

void *
xcalloc(size_t n, size_t size)
{
	void	*p;

	if ((p = calloc(n, size)) == NULL)
		err(2, "calloc");
	return (p);
}

void *
xreallocarray(void *p, size_t n, size_t size)
{
	if ((p = reallocarray(p, n, size)) == NULL)
		err(2, "reallocarray");
	return (p);
}

char *
xstrdup(const char *s)
{
	char	*p;

	if ((p = strdup(s)) == NULL)
		err(2, "strdup");
	return (p);
}
