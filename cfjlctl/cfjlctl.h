/*
 * cfjlctl: the administrators' tool.  What its two files share.
 */
#ifndef CFJL_CFJLCTL_H
#define CFJL_CFJLCTL_H

#include <stddef.h>

#define CTL_TIMEOUT	60	/* seconds to wait for an answer */

/* One daemon's answer. */
struct ctl_answer {
	int	 ok;		/* the daemon's verdict */
	char	*text;		/* NUL-terminated, to free */
	size_t	 len;
	char	 error[512];	/* set when no answer came (ok is 0) */
};

/*
 * Ask daemon (frontd, stored, ...) over dir/daemon.ctl.  -1 with
 * a->error set when it could not be asked (not running, no answer);
 * 0 once an answer came, whatever it says.
 */
int	client_ask(const char *dir, const char *daemon, const char *command,
	    const char *arg1, const char *arg2, int json,
	    struct ctl_answer *a);
int	client_present(const char *dir, const char *daemon);

#endif
