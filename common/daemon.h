/*
 * Steps of the start-up that common/proc.c puts in order for every
 * daemon: command line, configuration (with -n to check it), detaching,
 * and the signals that stop or reload it.  There is no pid file: systemd (or scripts/cfjl-suite in
 * development) supervises the daemons.
 */
#ifndef CFJL_DAEMON_H
#define CFJL_DAEMON_H

#include <event.h>

struct cfjl_conf;

struct daemon_opts {
	int		 foreground;	/* -d: stay attached, log to stderr */
	int		 verbose;	/* -v, repeatable */
	int		 noaction;	/* -n: check the configuration, exit */
	const char	*conffile;	/* -f, else $CFJL_CONF, else default */
};

/* Parse "-dnv -f file"; prints the usage and exits 1 on anything else. */
void	daemon_args(int argc, char *argv[], const char *name,
	    struct daemon_opts *);

/*
 * Start logging and read the configuration.  Exits 1 if the file is
 * wrong; with -n prints the parsed configuration and "configuration OK"
 * to stderr and exits 0.
 */
struct cfjl_conf *daemon_config(const struct daemon_opts *, const char *name);

/* Without -d: detach with daemon(3) and log to syslog from now on. */
void	daemon_detach(const struct daemon_opts *);

/*
 * SIGTERM and SIGINT call stop (NULL: log and exit 0), SIGHUP calls
 * reload (NULL: log that reload is not supported), SIGPIPE is ignored.
 * base NULL means the current base of event_init().  Call it before
 * the sandbox (sandbox_filter()): it installs signal handlers.
 */
void	daemon_signals(struct event_base *, void (*stop)(void *),
	    void (*reload)(void *), void *arg);
/* Remove the signal events so that the event loop can end. */
void	daemon_signals_del(void);

#endif
