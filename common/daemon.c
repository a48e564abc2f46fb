/*
 * Steps of the start-up every daemon takes through common/proc.c:
 * options, configuration check, detaching and signal handling through
 * libevent.  No pid file: the
 * daemons are supervised (systemd, or scripts/cfjl-suite in development).
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include <event.h>

#include "config.h"
#include "daemon.h"
#include "log.h"

static __attribute__((__noreturn__)) void daemon_usage(void);
static void	daemon_signal(int, short, void *);

static const char	*daemon_name = "cfjl";

static struct {
	struct event	 ev_term;
	struct event	 ev_int;
	struct event	 ev_hup;
	void		(*stop)(void *);
	void		(*reload)(void *);
	void		*arg;
	int		 set;
} daemon_sigs;

static void
daemon_usage(void)
{
	fprintf(stderr, "usage: %s [-dnv] [-f file]\n", daemon_name);
	exit(1);
}

void
daemon_args(int argc, char *argv[], const char *name, struct daemon_opts *o)
{
	const char	*env;
	int		 ch;

	daemon_name = name;
	memset(o, 0, sizeof(*o));
	if ((env = getenv("CFJL_CONF")) != NULL && env[0] != '\0')
		o->conffile = env;
	else
		o->conffile = CFJL_CONF_FILE;

	while ((ch = getopt(argc, argv, "df:nv")) != -1) {
		switch (ch) {
		case 'd':
			o->foreground = 1;
			break;
		case 'f':
			o->conffile = optarg;
			break;
		case 'n':
			o->noaction = 1;
			break;
		case 'v':
			o->verbose++;
			break;
		default:
			daemon_usage();
		}
	}
	if (optind != argc)
		daemon_usage();
}

struct cfjl_conf *
daemon_config(const struct daemon_opts *o, const char *name)
{
	struct cfjl_conf	*conf;

	/* Until daemon_detach(), a person is watching: use stderr. */
	log_init(1, o->verbose, LOG_DAEMON);
	log_procinit(name);

	if ((conf = parse_config(o->conffile)) == NULL)
		exit(1);	/* the parser said file:line: what is wrong */
	if (o->noaction) {
		config_print(conf);
		fprintf(stderr, "configuration OK\n");
		exit(0);
	}
	return (conf);
}

void
daemon_detach(const struct daemon_opts *o)
{
	if (o->foreground)
		return;		/* stderr; under systemd that is the journal */
	if (daemon(0, 0) == -1)
		fatal("daemon");
	/* Opens syslog now (LOG_NDELAY), before any chroot hides /dev/log. */
	log_init(0, o->verbose, LOG_DAEMON);
}

void
daemon_signals(struct event_base *base, void (*stop)(void *),
    void (*reload)(void *), void *arg)
{
	daemon_sigs.stop = stop;
	daemon_sigs.reload = reload;
	daemon_sigs.arg = arg;

	if (base != NULL) {
		evsignal_assign(&daemon_sigs.ev_term, base, SIGTERM,
		    daemon_signal, NULL);
		evsignal_assign(&daemon_sigs.ev_int, base, SIGINT,
		    daemon_signal, NULL);
		evsignal_assign(&daemon_sigs.ev_hup, base, SIGHUP,
		    daemon_signal, NULL);
	} else {
		signal_set(&daemon_sigs.ev_term, SIGTERM, daemon_signal, NULL);
		signal_set(&daemon_sigs.ev_int, SIGINT, daemon_signal, NULL);
		signal_set(&daemon_sigs.ev_hup, SIGHUP, daemon_signal, NULL);
	}
	if (signal_add(&daemon_sigs.ev_term, NULL) == -1 ||
	    signal_add(&daemon_sigs.ev_int, NULL) == -1 ||
	    signal_add(&daemon_sigs.ev_hup, NULL) == -1)
		fatalx("cannot install signal handlers");
	daemon_sigs.set = 1;

	/* A peer that goes away is seen as EPIPE on write, not a signal. */
	if (signal(SIGPIPE, SIG_IGN) == SIG_ERR)
		fatal("signal SIGPIPE");
}

void
daemon_signals_del(void)
{
	if (!daemon_sigs.set)
		return;
	signal_del(&daemon_sigs.ev_term);
	signal_del(&daemon_sigs.ev_int);
	signal_del(&daemon_sigs.ev_hup);
	daemon_sigs.set = 0;
}

static void
daemon_signal(int sig, short event, void *unused)
{
	switch (sig) {
	case SIGTERM:
	case SIGINT:
		log_info("received %s, stopping",
		    sig == SIGTERM ? "SIGTERM" : "SIGINT");
		if (daemon_sigs.stop == NULL)
			exit(0);
		daemon_sigs.stop(daemon_sigs.arg);
		break;
	case SIGHUP:
		if (daemon_sigs.reload == NULL) {
			log_warnx("received SIGHUP: reload is not supported");
			break;
		}
		log_info("received SIGHUP, reloading");
		daemon_sigs.reload(daemon_sigs.arg);
		break;
	default:
		fatalx("unexpected signal %d", sig);
	}
}
