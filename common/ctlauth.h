/*
 * Who may change a daemon's state: the check of a signed administration
 * command (ctlsig.h).  A technical command (journal-close, lot-seal-now,
 * reload, stop) needs the signature of a technical administrator, whose
 * certificate chains to the operator's CA; a functional one (role-add,
 * role-remove) that of a functional administrator, of the regulator's
 * CA.  Administrators are named in cfjl.conf ("admin technical|functional
 * SUBJECT" or "... fingerprint HEX").  The signature must be for this
 * daemon, this command and these arguments, made within CTLSIG_WINDOW
 * seconds of the daemon's clock and not before the daemon started, with
 * a nonce not seen before: a signed command is good once.
 */
#ifndef CFJL_CTLAUTH_H
#define CFJL_CTLAUTH_H

#include <stddef.h>
#include <stdint.h>

#include "config.h"

struct ctl_request;

struct ctlauth_signer {
	char	 subject[CFJL_SUBJECT_MAX];	/* "" when not known */
	char	 fp[CFJL_FP_HEX];		/* SHA-256, hex */
};

/*
 * Before the sandbox: the CA certificates and CRLs, the administrators.
 * Fatal when a configured file cannot be read.  Without it every
 * state-changing command is refused.
 */
void	 ctlauth_init(const struct cfjl_conf *);
/*
 * Read the CRLs again (reload): 0 and what was read, 1 when there is none
 * to read, -1 and why (the lists in force stay).
 */
int	 ctlauth_reload(char *err, size_t errlen);

/*
 * 0 when sig is a good signature of req for daemon by an administrator
 * of the given kind (CTLSIG_*); else -1 and why, in a sentence.  The
 * signer is filled in as far as it is known either way.
 */
int	 ctlauth_check(const char *daemon, const struct ctl_request *req,
	    int kind, const uint8_t *sig, size_t siglen,
	    struct ctlauth_signer *, char *err, size_t errlen);

#endif
