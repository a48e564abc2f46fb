/*
 * RFC 3339 section 5.6 date-time: full-date "T" full-time, the "T" and
 * "Z" in either case, seconds 00 to 60 (a leap second), a fraction of
 * 1 to 9 digits, an offset Z or +hh:mm / -hh:mm; the day must exist in
 * its month (February 29 in leap years only).  Nothing else: no space
 * for the "T", no missing seconds, no text around it.
 */
#include <string.h>

#include "rfc3339.h"

static int	 rfc3339_num(const char *, int, int, int);

/* n digits at s, between lo and hi; -1 if not. */
static int
rfc3339_num(const char *s, int n, int lo, int hi)
{
	int	 i, v = 0;

	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v < lo || v > hi ? -1 : v;
}

int
rfc3339_check(const char *s, size_t len)
{
	static const int mdays[] = { 31, 29, 31, 30, 31, 30, 31, 31, 30,
	    31, 30, 31 };
	int		 y, m, d;
	size_t		 i, f;

	if (len < 20 || len > RFC3339_MAX || memchr(s, '\0', len) != NULL)
		return -1;
	if ((y = rfc3339_num(s, 4, 0, 9999)) == -1 || s[4] != '-' ||
	    (m = rfc3339_num(s + 5, 2, 1, 12)) == -1 || s[7] != '-' ||
	    (d = rfc3339_num(s + 8, 2, 1, 31)) == -1 || d > mdays[m - 1] ||
	    (m == 2 && d == 29 && (y % 4 != 0 ||
	    (y % 100 == 0 && y % 400 != 0))))
		return -1;
	if ((s[10] != 'T' && s[10] != 't') ||
	    rfc3339_num(s + 11, 2, 0, 23) == -1 || s[13] != ':' ||
	    rfc3339_num(s + 14, 2, 0, 59) == -1 || s[16] != ':' ||
	    rfc3339_num(s + 17, 2, 0, 60) == -1)
		return -1;
	i = 19;
	if (s[i] == '.') {
		for (f = ++i; i < len && s[i] >= '0' && s[i] <= '9'; i++)
			;
		if (i == f || i - f > 9)
			return -1;
	}
	if (i < len && (s[i] == 'Z' || s[i] == 'z'))
		return i + 1 == len ? 0 : -1;
	if (i + 6 != len || (s[i] != '+' && s[i] != '-') ||
	    rfc3339_num(s + i + 1, 2, 0, 23) == -1 || s[i + 3] != ':' ||
	    rfc3339_num(s + i + 4, 2, 0, 59) == -1)
		return -1;
	return 0;
}
