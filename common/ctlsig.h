/*
 * The signed form of an administration command, written by cfjlctl and
 * checked by the daemons (ctlauth.h).  What is signed is a short
 * canonical text:
 *
 *	cfjl-admin-command 1
 *	daemon stored
 *	command role-add
 *	arg1 9 depositor		(length in bytes, then the bytes)
 *	arg2 31 CN=capteur-1,O=...
 *	nonce 32 hex digits		(16 random bytes)
 *	time 2026-12-03T08:30:00Z	(UTC, to the second)
 *
 * carried attached in a CMS SignedData, SHA-256, with the signer's
 * certificate and chain.  A signature is good for one command with its
 * arguments, to one daemon, once, within CTLSIG_WINDOW seconds of its
 * time.
 */
#ifndef CFJL_CTLSIG_H
#define CFJL_CTLSIG_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#define CTLSIG_MAGIC		"cfjl-admin-command 1"
#define CTLSIG_NONCE_LEN	16
#define CTLSIG_NONCE_HEX	(CTLSIG_NONCE_LEN * 2 + 1)
#define CTLSIG_TEXT_MAX		2048	/* the canonical text, bytes */
#define CTLSIG_DER_MAX		16384	/* the CMS, bytes */
#define CTLSIG_WINDOW		120	/* seconds either side */

/* Who must sign a command: values of the control privileges. */
#define CTLSIG_NONE		0	/* read-only: the Unix group is enough */
#define CTLSIG_TECHNICAL	1	/* operator's CA */
#define CTLSIG_FUNCTIONAL	2	/* regulator's CA */

struct ctlsig_cmd {
	char	 daemon[32];
	char	 command[32];
	char	 arg1[512];
	char	 arg2[512];
	char	 nonce[CTLSIG_NONCE_HEX];
	time_t	 when;
};

/* Which signature a control command needs (CTLSIG_*). */
int	 ctlsig_kind(const char *command);
const char *ctlsig_kind_name(int kind);	/* "technical", "functional" */

/* A fresh nonce and the time now. */
int	 ctlsig_fresh(struct ctlsig_cmd *);
/* The canonical text into buf: its length, or -1 (does not fit). */
int	 ctlsig_text(const struct ctlsig_cmd *, char *buf, size_t len);
/* The text back into its fields; -1 and why when it is not canonical. */
int	 ctlsig_parse(const char *text, size_t len, struct ctlsig_cmd *,
	    char *err, size_t errlen);

/* Sign with SHA-256: a DER CMS in *der, to free. */
int	 ctlsig_sign(const struct ctlsig_cmd *, EVP_PKEY *, X509 *,
	    STACK_OF(X509) *chain, uint8_t **der, size_t *len, char *err,
	    size_t errlen);
/*
 * The signature checked against the certificate it carries (not yet
 * its chain: ctlauth.c), the command read out of it.  The signer and
 * every certificate it carried come back to free.
 */
int	 ctlsig_open(const uint8_t *der, size_t len, struct ctlsig_cmd *,
	    X509 **signer, STACK_OF(X509) **certs, char *err, size_t errlen);

/* An RFC 2253 subject, as roles name them; SHA-256 fingerprint in hex. */
int	 ctlsig_subject(X509 *, char *buf, size_t len);
int	 ctlsig_fingerprint(X509 *, uint8_t *fp, char *hex);

#endif
