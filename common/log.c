/*
 * Logging for every CFJL process: lines go to stderr when running in the
 * foreground, to syslog otherwise, and always begin with the title of
 * the process that wrote them, so the four daemons and their children
 * can be told apart in one stream.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>

#include "log.h"

#define LOG_LINE_MAX	1024

static int	 log_foreground = 1;	/* stderr until log_init says otherwise */
static int	 log_verbose;
static char	 log_title[64];

static const char *log_procname(void);
static void	 logit(int, const char *, ...)
		    __attribute__((__format__(printf, 2, 3)));
static void	 vlog_errno(int, const char *, int, const char *, va_list)
		    __attribute__((__format__(printf, 4, 0)));

void
log_init(int foreground, int verbose, int facility)
{
	log_foreground = foreground;
	log_verbose = verbose;

	/* Time zone data must be loaded before any chroot. */
	tzset();

	if (!log_foreground)
		openlog(log_procname(), LOG_PID | LOG_NDELAY, facility);
}

void
log_procinit(const char *title)
{
	if (title != NULL)
		strlcpy(log_title, title, sizeof(log_title));
}

void
log_setverbose(int verbose)
{
	log_verbose = verbose;
}

int
log_getverbose(void)
{
	return (log_verbose);
}

static const char *
log_procname(void)
{
	const char	*name;

	if (log_title[0] != '\0')
		return (log_title);
	if ((name = getprogname()) != NULL)
		return (name);
	return ("cfjl");
}

void
vlog(int pri, const char *fmt, va_list ap)
{
	char	 msg[LOG_LINE_MAX];
	int	 saved_errno = errno;

	vsnprintf(msg, sizeof(msg), fmt, ap);
	if (log_foreground) {
		fprintf(stderr, "%s: %s\n", log_procname(), msg);
		fflush(stderr);
	} else
		syslog(pri, "%s: %s", log_procname(), msg);
	errno = saved_errno;
}

static void
logit(int pri, const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	vlog(pri, fmt, ap);
	va_end(ap);
}

/*
 * Log prefix and fmt, then the text of err unless it is zero: the shared
 * body of log_warn and the fatal functions.
 */
static void
vlog_errno(int pri, const char *prefix, int err, const char *fmt, va_list ap)
{
	char	 msg[LOG_LINE_MAX];

	if (fmt == NULL)
		msg[0] = '\0';
	else
		vsnprintf(msg, sizeof(msg), fmt, ap);

	if (err == 0)
		logit(pri, "%s%s", prefix, msg);
	else if (msg[0] == '\0')
		logit(pri, "%s%s", prefix, strerror(err));
	else
		logit(pri, "%s%s: %s", prefix, msg, strerror(err));
}

void
log_warn(const char *fmt, ...)
{
	va_list	 ap;
	int	 saved_errno = errno;

	va_start(ap, fmt);
	vlog_errno(LOG_ERR, "", saved_errno, fmt, ap);
	va_end(ap);
	errno = saved_errno;
}

void
log_warnx(const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	vlog(LOG_ERR, fmt, ap);
	va_end(ap);
}

void
log_info(const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	vlog(LOG_INFO, fmt, ap);
	va_end(ap);
}

void
log_debug(const char *fmt, ...)
{
	va_list	 ap;

	if (!log_verbose)
		return;
	va_start(ap, fmt);
	vlog(LOG_DEBUG, fmt, ap);
	va_end(ap);
}

void
fatal(const char *fmt, ...)
{
	va_list	 ap;
	int	 saved_errno = errno;

	va_start(ap, fmt);
	vlog_errno(LOG_CRIT, "fatal: ", saved_errno, fmt, ap);
	va_end(ap);
	exit(1);
}

void
fatalx(const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	vlog_errno(LOG_CRIT, "fatal: ", 0, fmt, ap);
	va_end(ap);
	exit(1);
}
