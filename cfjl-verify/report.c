/*
 * The outcome of every check: one line each ("ok", "note", "FAIL",
 * "ERROR"), printed at once for people, or gathered into one JSON
 * document with -j.  The verdict and the exit code come from the counts:
 * any failure is 1, else any error is 2, else 0.  Lots are checked on a
 * thread of their own (lotq.c): a line and its count are added under a
 * lock.
 */
#include <pthread.h>
#include <stdint.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "verify.h"

#define REPORT_KEEP_MAX	20000	/* JSON lines kept; the rest are counted */

struct rline {
	const char	*status;
	char		*scope;
	char		*msg;
};

static void	 report_add(const char *, const char *, va_list)
		    __attribute__((__format__(printf, 2, 0)));
static void	 json_str(const char *);
static size_t	 utf8_len(const unsigned char *);
static void	 text_str(const char *);

static int		 rjson;
static const char	*rscope = "";
static unsigned long	 nok, nnote, nfail, nerror, ndropped;
static pthread_mutex_t	 rlock = PTHREAD_MUTEX_INITIALIZER;
static struct rline	*lines;
static size_t		 nlines, linecap;

void
report_init(int json)
{
	rjson = json;
}

void
report_scope(const char *scope)
{
	rscope = scope != NULL ? scope : "";
}

static void
report_add(const char *status, const char *fmt, va_list ap)
{
	char	 buf[1024];

	vsnprintf(buf, sizeof(buf), fmt, ap);
	if (!rjson) {
		/* a path or a field may hold a newline or an escape */
		printf("%-5s ", status);
		if (*rscope != '\0') {
			text_str(rscope);
			fputs(": ", stdout);
		}
		text_str(buf);
		putchar('\n');
		fflush(stdout);
		return;
	}
	if (nlines >= REPORT_KEEP_MAX) {
		ndropped++;
		return;
	}
	if (nlines == linecap) {
		linecap = linecap ? linecap * 2 : 256;
		lines = xreallocarray(lines, linecap, sizeof(*lines));
	}
	lines[nlines].status = status;
	lines[nlines].scope = xstrdup(rscope);
	lines[nlines].msg = xstrdup(buf);
	nlines++;
}

void
report_ok(const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	pthread_mutex_lock(&rlock);
	nok++;
	report_add("ok", fmt, ap);
	pthread_mutex_unlock(&rlock);
	va_end(ap);
}

void
report_note(const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	pthread_mutex_lock(&rlock);
	nnote++;
	report_add("note", fmt, ap);
	pthread_mutex_unlock(&rlock);
	va_end(ap);
}

void
report_fail(const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	pthread_mutex_lock(&rlock);
	nfail++;
	report_add("FAIL", fmt, ap);
	pthread_mutex_unlock(&rlock);
	va_end(ap);
}

void
report_error(const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	pthread_mutex_lock(&rlock);
	nerror++;
	report_add("ERROR", fmt, ap);
	pthread_mutex_unlock(&rlock);
	va_end(ap);
}

unsigned long
report_failures(void)
{
	unsigned long	 n;

	pthread_mutex_lock(&rlock);
	n = nfail + nerror;
	pthread_mutex_unlock(&rlock);
	return (n);
}

/*
 * The length of the UTF-8 character at s, 0 if it is not one or is a
 * control character (C0, DEL, C1): those are never printed raw.
 */
static size_t
utf8_len(const unsigned char *s)
{
	size_t	 n, i;
	uint32_t cp;

	if (s[0] < 0x20 || s[0] == 0x7f)
		return (0);
	if (s[0] < 0x80)
		return (1);
	if (s[0] >= 0xc2 && s[0] <= 0xdf) {
		n = 2;
		cp = s[0] & 0x1f;
	} else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		n = 3;
		cp = s[0] & 0x0f;
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		n = 4;
		cp = s[0] & 0x07;
	} else
		return (0);
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return (0);
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 ||
	    cp > 0x10ffff)) || (cp >= 0xd800 && cp <= 0xdfff) ||
	    (cp >= 0x80 && cp <= 0x9f))
		return (0);
	return (n);
}

/* For a terminal: a backslash and what is not printable as \xNN. */
static void
text_str(const char *str)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t	 n;

	while (*s != '\0') {
		if (*s == '\\') {
			fputs("\\\\", stdout);
			s++;
		} else if ((n = utf8_len(s)) == 0)
			printf("\\x%02x", *s++);
		else {
			fwrite(s, 1, n, stdout);
			s += n;
		}
	}
}

/* JSON: controls as \uNNNN, bytes that are not UTF-8 as the text \xNN. */
static void
json_str(const char *str)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t	 n;

	putchar('"');
	while (*s != '\0') {
		if (*s == '"' || *s == '\\')
			printf("\\%c", *s++);
		else if ((n = utf8_len(s)) > 0) {
			fwrite(s, 1, n, stdout);
			s += n;
		} else if (*s < 0x20 || *s == 0x7f)
			printf("\\u%04x", *s++);
		else if (*s == 0xc2 && s[1] >= 0x80 && s[1] <= 0x9f) {
			printf("\\u%04x", s[1]);	/* C1 */
			s += 2;
		} else
			printf("\\\\x%02x", *s++);
	}
	putchar('"');
}

int
report_finish(void)
{
	const char	*verdict;
	int		 code;
	size_t		 i;

	if (nfail > 0) {
		verdict = "tampered";
		code = 1;
	} else if (nerror > 0) {
		verdict = "unchecked";
		code = 2;
	} else {
		verdict = "verified";
		code = 0;
	}
	if (!rjson) {
		switch (code) {
		case 0:
			printf("VERIFIED: %lu checks passed\n", nok);
			break;
		case 1:
			printf("NOT VERIFIED: %lu failed, %lu errors, "
			    "%lu checks passed\n", nfail, nerror, nok);
			break;
		default:
			printf("NOT CHECKED: %lu errors, %lu checks passed\n",
			    nerror, nok);
			break;
		}
		fflush(stdout);
		return (code);
	}
	printf("{\"result\":\"%s\",\"exit\":%d,\"passed\":%lu,\"notes\":%lu,"
	    "\"failed\":%lu,\"errors\":%lu,\"omitted\":%lu,\"checks\":[",
	    verdict, code, nok, nnote, nfail, nerror, ndropped);
	for (i = 0; i < nlines; i++) {
		printf("%s\n{\"status\":", i ? "," : "");
		json_str(strcmp(lines[i].status, "FAIL") == 0 ? "fail" :
		    strcmp(lines[i].status, "ERROR") == 0 ? "error" :
		    lines[i].status);
		printf(",\"scope\":");
		json_str(lines[i].scope);
		printf(",\"message\":");
		json_str(lines[i].msg);
		putchar('}');
		free(lines[i].scope);
		free(lines[i].msg);
	}
	printf("]}\n");
	free(lines);
	fflush(stdout);
	return (code);
}

void
report_reset(void)
{
	size_t	 i;

	for (i = 0; i < nlines; i++) {
		free(lines[i].scope);
		free(lines[i].msg);
	}
	free(lines);
	lines = NULL;
	nlines = linecap = 0;
	nok = nnote = nfail = nerror = ndropped = 0;
}
