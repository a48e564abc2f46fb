/*
 * The outcome of every check: one line each ("ok", "note", "FAIL",
 * "ERROR"), printed at once for people, or gathered into one JSON
 * document with -j.  The verdict and the exit code come from the counts:
 * any failure is 1, else any error is 2, else 0.  Lots are checked on a
 * thread of their own (lotq.c): a line and its count are added under a
 * lock.
 */
#include <pthread.h>
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
		if (*rscope != '\0')
			printf("%-5s %s: %s\n", status, rscope, buf);
		else
			printf("%-5s %s\n", status, buf);
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
v_ok(const char *fmt, ...)
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
v_note(const char *fmt, ...)
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
v_fail(const char *fmt, ...)
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
v_error(const char *fmt, ...)
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

static void
json_str(const char *s)
{
	putchar('"');
	for (; *s != '\0'; s++) {
		unsigned char c = *s;

		if (c == '"' || c == '\\')
			printf("\\%c", c);
		else if (c < 0x20)
			printf("\\u%04x", c);
		else
			putchar(c);
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
