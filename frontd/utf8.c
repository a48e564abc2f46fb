/*
 * Strict UTF-8 checking: traces must be valid UTF-8 before libxml2 sees
 * them, and JSON answers must never carry invalid sequences.
 */
#include <stddef.h>

#include "utf8.h"

size_t
utf8_seq(const unsigned char *s, size_t len)
{
	unsigned char	 c;
	size_t		 n, i;
	unsigned long	 cp, min;

	if (len == 0)
		return 0;
	c = s[0];
	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf) {
		n = 2; cp = c & 0x1f; min = 0x80;
	} else if (c >= 0xe0 && c <= 0xef) {
		n = 3; cp = c & 0x0f; min = 0x800;
	} else if (c >= 0xf0 && c <= 0xf4) {
		n = 4; cp = c & 0x07; min = 0x10000;
	} else
		return 0;
	if (len < n)
		return 0;
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return n;
}

int
utf8_valid(const void *buf, size_t len, size_t *bad_off)
{
	const unsigned char	*s = buf;
	size_t			 i = 0, n;

	while (i < len) {
		if (s[i] == '\0')
			n = 0;
		else if (s[i] < 0x80)
			n = 1;
		else
			n = utf8_seq(s + i, len - i);
		if (n == 0) {
			if (bad_off != NULL)
				*bad_off = i;
			return 0;
		}
		i += n;
	}
	return 1;
}
