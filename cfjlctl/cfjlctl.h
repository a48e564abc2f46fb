/*
 * cfjlctl: the administrators' tool.  What its two files share.
 */
#ifndef CFJL_CFJLCTL_H
#define CFJL_CFJLCTL_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

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
	    const uint8_t *sig, size_t siglen, struct ctl_answer *a);
int	client_present(const char *dir, const char *daemon);

/*
 * An administrator's key and certificate (signer.c), from a PKCS#12
 * file or a PKCS#11 token (p11key.c), to sign commands (ctlsig.h).
 * The passphrase or PIN comes from a file (-p) or the environment,
 * never from the command line.
 */
struct signer;
struct signer *signer_p12(const char *file, const char *passfile, char *err,
	    size_t errlen);
struct signer *signer_pkcs11(const char *uri, const char *pinfile, char *err,
	    size_t errlen);
int	signer_sign(struct signer *, const char *daemon, const char *command,
	    const char *arg1, const char *arg2, uint8_t **der, size_t *len,
	    char *err, size_t errlen);
void	signer_free(struct signer *);

/* p11key.c: the key and certificate a PKCS#11 URI names. */
struct p11key;
struct p11key *p11key_open(const char *uri, const char *pinfile,
	    EVP_PKEY **key, X509 **cert, char *err, size_t errlen);
void	p11key_close(struct p11key *);

#endif
