/*
 * Logging: to stderr in the foreground (-d), to syslog otherwise.  Every
 * line starts with the process title set by log_procinit().
 */
#ifndef CFJL_LOG_H
#define CFJL_LOG_H

#include <stdarg.h>

void	log_init(int foreground, int verbose, int facility);
void	log_procinit(const char *title);
void	log_setverbose(int);
int	log_getverbose(void);
void	log_warn(const char *, ...) __attribute__((__format__(printf, 1, 2)));
void	log_warnx(const char *, ...) __attribute__((__format__(printf, 1, 2)));
void	log_info(const char *, ...) __attribute__((__format__(printf, 1, 2)));
void	log_debug(const char *, ...) __attribute__((__format__(printf, 1, 2)));
void	vlog(int, const char *, va_list) __attribute__((__format__(printf, 2, 0)));
__attribute__((__noreturn__)) void
	fatal(const char *, ...) __attribute__((__format__(printf, 1, 2)));
__attribute__((__noreturn__)) void
	fatalx(const char *, ...) __attribute__((__format__(printf, 1, 2)));

#endif
