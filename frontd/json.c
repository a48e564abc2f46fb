/*
 * JSON answers: everything written through here is escaped, so that a
 * subject, a detail from libxml2 or a Client-Id can never break out of
 * its string.  Invalid UTF-8 is replaced by U+FFFD.
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>

#include "json.h"
#include "utf8.h"

static void	json_add(struct json *, const char *, size_t);
static void	json_key(struct json *, const char *);
static void	json_escaped(struct json *, const char *, size_t);

void
json_init(struct json *j)
{
	memset(j, 0, sizeof(*j));
}

/* Empty again, keeping the buffer for the next answer. */
void
json_reset(struct json *j)
{
	j->len = 0;
	j->comma = 0;
	j->err = 0;
	if (j->buf != NULL)
		j->buf[0] = '\0';
}

void
json_free(struct json *j)
{
	free(j->buf);
	memset(j, 0, sizeof(*j));
}

static void
json_add(struct json *j, const char *s, size_t len)
{
	size_t	 ncap;
	char	*nbuf;

	if (j->err)
		return;
	if (len > JSON_MAX - j->len) {
		j->err = 1;
		return;
	}
	if (j->len + len + 1 > j->cap) {
		ncap = j->cap ? j->cap : 256;
		while (ncap < j->len + len + 1)
			ncap *= 2;
		if ((nbuf = realloc(j->buf, ncap)) == NULL) {
			j->err = 1;
			return;
		}
		j->buf = nbuf;
		j->cap = ncap;
	}
	memcpy(j->buf + j->len, s, len);
	j->len += len;
	j->buf[j->len] = '\0';
}

static void
json_key(struct json *j, const char *key)
{
	if (j->comma)
		json_add(j, ",", 1);
	j->comma = 1;
	if (key != NULL) {
		json_escaped(j, key, strlen(key));
		json_add(j, ":", 1);
	}
}

/* Runs of characters that need no escape are copied at once. */
static void
json_escaped(struct json *j, const char *s, size_t len)
{
	const unsigned char	*u = (const unsigned char *)s;
	char			 esc[8];
	size_t			 i, n, run;

	json_add(j, "\"", 1);
	for (i = 0; i < len; i += n) {
		for (run = i; run < len && u[run] >= 0x20 && u[run] < 0x7f &&
		    u[run] != '"' && u[run] != '\\'; run++)
			;
		if (run > i) {
			json_add(j, s + i, run - i);
			n = run - i;
			continue;
		}
		n = 1;
		if (u[i] == '"')
			json_add(j, "\\\"", 2);
		else if (u[i] == '\\')
			json_add(j, "\\\\", 2);
		else if (u[i] == '\n')
			json_add(j, "\\n", 2);
		else if (u[i] == '\t')
			json_add(j, "\\t", 2);
		else if (u[i] < 0x20 || u[i] == 0x7f) {
			snprintf(esc, sizeof(esc), "\\u%04x", u[i]);
			json_add(j, esc, 6);
		} else if ((n = utf8_seq(u + i, len - i)) > 0)
			json_add(j, s + i, n);
		else {
			json_add(j, "\\ufffd", 6);
			n = 1;
		}
	}
	json_add(j, "\"", 1);
}

void
json_obj_open(struct json *j, const char *key)
{
	json_key(j, key);
	json_add(j, "{", 1);
	j->comma = 0;
}

void
json_obj_close(struct json *j)
{
	json_add(j, "}", 1);
	j->comma = 1;
}

void
json_arr_open(struct json *j, const char *key)
{
	json_key(j, key);
	json_add(j, "[", 1);
	j->comma = 0;
}

void
json_arr_close(struct json *j)
{
	json_add(j, "]", 1);
	j->comma = 1;
}

void
json_str(struct json *j, const char *key, const char *val)
{
	json_strn(j, key, val, strlen(val));
}

void
json_strn(struct json *j, const char *key, const char *val, size_t len)
{
	json_key(j, key);
	json_escaped(j, val, len);
}

/* Decimal digits of v at the end of buf; returns where they start. */
static char *
json_digits(char *end, uint64_t v)
{
	do {
		*--end = (char)('0' + v % 10);
		v /= 10;
	} while (v != 0);
	return end;
}

void
json_u64(struct json *j, const char *key, uint64_t v)
{
	char	 num[24], *p;

	json_key(j, key);
	p = json_digits(num + sizeof(num), v);
	json_add(j, p, (size_t)(num + sizeof(num) - p));
}

void
json_i64(struct json *j, const char *key, int64_t v)
{
	char	 num[24], *p;

	json_key(j, key);
	p = json_digits(num + sizeof(num), v < 0 ? -(uint64_t)v : (uint64_t)v);
	if (v < 0)
		*--p = '-';
	json_add(j, p, (size_t)(num + sizeof(num) - p));
}

void
json_raw(struct json *j, const char *key, const char *raw, size_t len)
{
	json_key(j, key);
	json_add(j, raw, len);
}

void
json_hex(struct json *j, const char *key, const uint8_t *b, size_t len)
{
	static const char	 hex[] = "0123456789abcdef";
	char			 out[2 * 64];
	size_t			 i;

	if (len > sizeof(out) / 2) {
		j->err = 1;
		return;
	}
	for (i = 0; i < len; i++) {
		out[2 * i] = hex[b[i] >> 4];
		out[2 * i + 1] = hex[b[i] & 0xf];
	}
	json_strn(j, key, out, 2 * len);
}

void
json_b64(struct json *j, const char *key, const uint8_t *b, size_t len)
{
	char	 out[4 * 64 / 3 + 4];

	if (len > 64) {
		j->err = 1;
		return;
	}
	json_strn(j, key, out, EVP_EncodeBlock((unsigned char *)out, b,
	    (int)len));
}

/* The date and time of a second are made once for all its answers. */
void
json_time_ms(struct json *j, const char *key, int64_t ms)
{
	static time_t	 last_t = -1;
	static char	 last[32];
	struct tm	 tm;
	time_t		 t;
	char		 out[40];
	int		 n;
	int64_t		 frac;

	/* Rounded down, without ms - frac, which overflows near INT64_MIN. */
	t = (time_t)(ms / 1000);
	frac = ms % 1000;
	if (frac < 0) {
		frac += 1000;
		t--;
	}
	if (t != last_t || last_t == -1) {
		if (gmtime_r(&t, &tm) == NULL) {
			json_str(j, key, "");
			return;
		}
		n = snprintf(last, sizeof(last), "%04d-%02d-%02dT%02d:%02d:%02d",
		    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
		    tm.tm_min, tm.tm_sec);
		if (n != 19) {
			last_t = -1;
			json_str(j, key, "");
			return;
		}
		last_t = t;
	}
	memcpy(out, last, 19);
	out[19] = '.';
	out[20] = (char)('0' + frac / 100);
	out[21] = (char)('0' + frac / 10 % 10);
	out[22] = (char)('0' + frac % 10);
	out[23] = 'Z';
	json_strn(j, key, out, 24);
}
