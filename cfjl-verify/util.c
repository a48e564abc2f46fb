/*
 * Small helpers of the verifier: base64 (XML-signature style, with line
 * breaks allowed), SHA-256, the time formats of bundles, and numbers.
 */
#include <err.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>

#include "verify.h"

static int	 b64_val(int);
static void	 sha256_fetch(void);
static int	 digits(const char *, int);
static int64_t	 days_from_civil(int64_t, int, int);

static int
b64_val(int c)
{
	if (c >= 'A' && c <= 'Z')
		return (c - 'A');
	if (c >= 'a' && c <= 'z')
		return (c - 'a' + 26);
	if (c >= '0' && c <= '9')
		return (c - '0' + 52);
	if (c == '+')
		return (62);
	if (c == '/')
		return (63);
	return (-1);
}

/* Decode base64 text (white space ignored) into out; -1 if malformed. */
int
util_b64_decode(const char *s, uint8_t *out, size_t outlen, size_t *len)
{
	uint32_t	 acc = 0;
	size_t		 n = 0;
	int		 bits = 0, pad = 0, v;

	for (; *s != '\0'; s++) {
		if (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r')
			continue;
		if (*s == '=') {
			pad++;
			continue;
		}
		if (pad || (v = b64_val((unsigned char)*s)) == -1)
			return (-1);
		acc = (acc << 6) | v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			if (n >= outlen)
				return (-1);
			out[n++] = (acc >> bits) & 0xff;
		}
	}
	/* leftover bits must be zero and the padding must fit them */
	if (bits >= 6 || (acc & ((1u << bits) - 1)) != 0 || pad != bits / 2)
		return (-1);
	*len = n;
	return (0);
}

int
util_b64_decode_alloc(const char *s, uint8_t **out, size_t *len)
{
	size_t	 cap = strlen(s) / 4 * 3 + 3;

	*out = xcalloc(1, cap);
	if (util_b64_decode(s, *out, cap, len) == -1) {
		free(*out);
		*out = NULL;
		return (-1);
	}
	return (0);
}

void
util_b64_encode(const uint8_t *in, size_t len, char *out, size_t outlen)
{
	if (outlen < (len + 2) / 3 * 4 + 1) {
		*out = '\0';
		return;
	}
	EVP_EncodeBlock((unsigned char *)out, in, len);
}

static EVP_MD		*sha256_md;
static pthread_once_t	 sha256_once = PTHREAD_ONCE_INIT;

/* The implementation is looked up once, not at every digest. */
static void
sha256_fetch(void)
{
	if ((sha256_md = EVP_MD_fetch(NULL, "SHA256", NULL)) == NULL)
		errx(2, "SHA-256 is not available");
}

void
util_sha256(const void *buf, size_t len, uint8_t *md)
{
	unsigned int	 mdlen;

	pthread_once(&sha256_once, sha256_fetch);
	if (!EVP_Digest(buf, len, md, &mdlen, sha256_md, NULL))
		errx(2, "SHA-256 failed");
}

/*
 * "2026-11-24T10:00:00.123Z" or "...:00Z" or with "+00:00": to Unix
 * milliseconds.  Only UTC is accepted: every time CFJL writes is UTC.
 */
/* n decimal digits at s as a number, -1 if one is not a digit */
static int
digits(const char *s, int n)
{
	int	 v = 0;

	for (; n > 0; n--, s++) {
		if (*s < '0' || *s > '9')
			return (-1);
		v = v * 10 + (*s - '0');
	}
	return (v);
}

/* Days since 1970-01-01 of a proleptic Gregorian date (d may overflow). */
static int64_t
days_from_civil(int64_t y, int m, int d)
{
	int64_t	 era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return (era * 146097 + doe - 719468);
}

int
util_parse_iso8601_ms(const char *s, int64_t *ms)
{
	static const char pat[] = "dddd-dd-ddTdd:dd:dd";
	const char	*p;
	int64_t		 frac = 0;
	int		 ndig = 0, v[6], i;

	for (i = 0; pat[i] != '\0'; i++) {
		if (pat[i] == 'd' ? (s[i] < '0' || s[i] > '9') : s[i] != pat[i])
			return (-1);
	}
	v[0] = digits(s, 4);
	v[1] = digits(s + 5, 2);
	v[2] = digits(s + 8, 2);
	v[3] = digits(s + 11, 2);
	v[4] = digits(s + 14, 2);
	v[5] = digits(s + 17, 2);
	if (v[1] < 1 || v[1] > 12 || v[2] < 1 || v[2] > 31 || v[3] > 23 ||
	    v[4] > 59 || v[5] > 60)
		return (-1);
	p = s + sizeof(pat) - 1;
	if (*p == '.') {
		for (p++; *p >= '0' && *p <= '9'; p++, ndig++)
			if (ndig < 3)
				frac = frac * 10 + (*p - '0');
		if (ndig == 0 || ndig > 9)
			return (-1);
		for (; ndig < 3; ndig++)
			frac *= 10;
	}
	if (strcmp(p, "Z") != 0 && strcmp(p, "+00:00") != 0)
		return (-1);
	*ms = ((days_from_civil(v[0], v[1], v[2]) * 24 + v[3]) * 60 +
	    v[4]) * 60000 + (int64_t)v[5] * 1000 + frac;
	return (0);
}

/*
 * A depositor's time as the lot may carry it: one RFC 3339 date-time,
 * in any offset, "T" and "Z" in either case, a fraction of 1 to 9
 * digits, a day that exists; 0 if it is one, -1 if not.
 */
int
util_rfc3339(const char *s)
{
	static const char pat[] = "dddd-dd-ddTdd:dd:dd";
	size_t		 len = strlen(s), i;
	int		 y, m, d, mdays;

	if (len < 20 || len > 35)
		return (-1);
	for (i = 0; pat[i] != '\0'; i++) {
		if (pat[i] == 'd' ? (s[i] < '0' || s[i] > '9') :
		    pat[i] == 'T' ? (s[i] != 'T' && s[i] != 't') :
		    s[i] != pat[i])
			return (-1);
	}
	y = digits(s, 4);
	m = digits(s + 5, 2);
	d = digits(s + 8, 2);
	if (m < 1 || m > 12 || digits(s + 11, 2) > 23 ||
	    digits(s + 14, 2) > 59 || digits(s + 17, 2) > 60)
		return (-1);
	/* the day after the last of the month is the 1st of the next */
	mdays = (int)(days_from_civil(m == 12 ? y + 1 : y, m == 12 ? 1 : m + 1,
	    1) - days_from_civil(y, m, 1));
	if (d < 1 || d > mdays)
		return (-1);
	s += sizeof(pat) - 1;
	if (*s == '.') {
		for (i = 1; s[i] >= '0' && s[i] <= '9'; i++)
			;
		if (i == 1 || i > 10)
			return (-1);
		s += i;
	}
	if (strcmp(s, "Z") == 0 || strcmp(s, "z") == 0)
		return (0);
	if ((s[0] != '+' && s[0] != '-') || strlen(s) != 6 || s[3] != ':' ||
	    digits(s + 1, 2) < 0 || digits(s + 1, 2) > 23 ||
	    digits(s + 4, 2) < 0 || digits(s + 4, 2) > 59)
		return (-1);
	return (0);
}

/* YYYYMMDDhhmmss as a number: to Unix milliseconds. */
int
util_parse_compact_time(uint64_t v, int64_t *ms)
{
	struct tm	 tm;
	time_t		 t;

	memset(&tm, 0, sizeof(tm));
	tm.tm_sec = v % 100; v /= 100;
	tm.tm_min = v % 100; v /= 100;
	tm.tm_hour = v % 100; v /= 100;
	tm.tm_mday = v % 100; v /= 100;
	tm.tm_mon = v % 100 - 1; v /= 100;
	tm.tm_year = (int)(v - 1900);
	if (v < 1970 || v > 9999 || tm.tm_mon < 0 || tm.tm_mon > 11 ||
	    tm.tm_mday < 1 || tm.tm_mday > 31 || tm.tm_hour > 23 ||
	    tm.tm_min > 59 || tm.tm_sec > 60)
		return (-1);
	if ((t = timegm(&tm)) == (time_t)-1)
		return (-1);
	*ms = (int64_t)t * 1000;
	return (0);
}

void
util_fmt_time_ms(int64_t ms, char *buf, size_t len)
{
	struct tm	 tm;
	time_t		 t = ms / 1000;

	if (gmtime_r(&t, &tm) == NULL) {
		strlcpy(buf, "?", len);
		return;
	}
	snprintf(buf, len, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ",
	    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
	    tm.tm_min, tm.tm_sec, (int)(ms % 1000));
}

/* Decimal digits only, no sign, no leading zeros beyond "0", no overflow. */
int
util_parse_u64(const char *s, uint64_t *v)
{
	uint64_t	 n = 0;

	if (*s == '\0' || strlen(s) > 20)
		return (-1);
	for (; *s != '\0'; s++) {
		if (*s < '0' || *s > '9')
			return (-1);
		if (n > (UINT64_MAX - (*s - '0')) / 10)
			return (-1);
		n = n * 10 + (*s - '0');
	}
	*v = n;
	return (0);
}
