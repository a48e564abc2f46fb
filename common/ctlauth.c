/*
 * The daemons' side of signed administration (ctlauth.h): the two CAs
 * and their CRLs, the administrators of cfjl.conf, the time window and
 * the nonces already seen.  CRLs are read at start and again at each
 * reload; the sandbox forbids opening paths, so the directory holding
 * them is opened at start and read with openat().
 */
#include <sys/types.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>

#include "config.h"
#include "ctlauth.h"
#include "ctlsig.h"
#include "log.h"
#include "ossl.h"
#include "proto.h"

#define CTLAUTH_NONCES_MAX	1024	/* signed commands per window */

struct ctlauth_ca {
	int		 configured;
	STACK_OF(X509)	*certs;
	X509_STORE	*store;		/* certs and CRLs */
	int		 ncrls;
	int		 crlfd;		/* directory of the CRL(s), or -1 */
	char		 crlname[NAME_MAX + 1];	/* the file; "": every file */
	char		 crlpath[PATH_MAX];
};

static struct {
	int			 initialized;
	struct ctlauth_ca	 ca[CFJL_CA_MAX];
	struct cfjl_admin	 admins[CFJL_ADMIN_MAX];
	size_t			 nadmins;
	time_t			 started;
	struct {
		char	 nonce[CTLSIG_NONCE_HEX];
		time_t	 when;
	}			 seen[CTLAUTH_NONCES_MAX];
	size_t			 nseen;
} auth;

static void	 ctlauth_ca_load(enum cfjl_ca, const struct cfjl_ca_conf *);
static int	 ctlauth_store(struct ctlauth_ca *, char *, size_t);
static int	 ctlauth_crl_file(struct ctlauth_ca *, X509_STORE *, int,
		    const char *, char *, size_t);
static int	 ctlauth_chain(enum cfjl_ca, X509 *, STACK_OF(X509) *, int *);
static int	 ctlauth_bound(int, const struct ctlauth_signer *,
		    const uint8_t *);
static int	 ctlauth_nonce(const char *, time_t, time_t, char *, size_t);

void
ctlauth_init(const struct cfjl_conf *conf)
{
	char		 err[512];
	enum cfjl_ca	 ca;

	for (ca = CA_OPERATOR; ca < CFJL_CA_MAX; ca++) {
		auth.ca[ca].crlfd = -1;
		if (conf->ca[ca].file[0] == '\0')
			continue;
		ctlauth_ca_load(ca, &conf->ca[ca]);
		if (ctlauth_store(&auth.ca[ca], err, sizeof(err)) == -1)
			fatalx("%s", err);
	}
	memcpy(auth.admins, conf->control.admins, sizeof(auth.admins));
	auth.nadmins = conf->control.nadmins;
	auth.started = time(NULL);
	auth.initialized = 1;
}

static void
ctlauth_ca_load(enum cfjl_ca ca, const struct cfjl_ca_conf *cc)
{
	struct ctlauth_ca	*c = &auth.ca[ca];
	FILE			*f;
	X509			*x;
	char			 dir[PATH_MAX], base[PATH_MAX];

	if ((f = fopen(cc->file, "r")) == NULL)
		fatal("ca %s %s", config_ca_name(ca), cc->file);
	if ((c->certs = sk_X509_new_null()) == NULL)
		fatalx("%s: %s", __func__, ossl_error());
	while ((x = PEM_read_X509(f, NULL, NULL, NULL)) != NULL)
		if (sk_X509_push(c->certs, x) == 0)
			fatalx("%s: %s", __func__, ossl_error());
	fclose(f);
	ERR_clear_error();
	if (sk_X509_num(c->certs) == 0)
		fatalx("ca %s %s: no certificate in it", config_ca_name(ca),
		    cc->file);
	c->configured = 1;
	if (cc->crl[0] == '\0')
		return;
	/* Keep the directory: the path is out of reach once sandboxed. */
	strlcpy(c->crlpath, cc->crl, sizeof(c->crlpath));
	strlcpy(dir, cc->crl, sizeof(dir));
	if (!cc->crl_dir) {
		strlcpy(base, cc->crl, sizeof(base));
		strlcpy(c->crlname, basename(base), sizeof(c->crlname));
		strlcpy(base, cc->crl, sizeof(base));
		strlcpy(dir, dirname(base), sizeof(dir));
	}
	if ((c->crlfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		fatal("crl %s: directory %s", cc->crl, dir);
}

/* A new store for c: its certificates and, read now, its CRLs. */
static int
ctlauth_store(struct ctlauth_ca *c, char *err, size_t errlen)
{
	X509_STORE	*st;
	DIR		*d = NULL;
	struct dirent	*de;
	int		 i, fd, n = 0, rc = -1;

	if ((st = X509_STORE_new()) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	for (i = 0; i < sk_X509_num(c->certs); i++)
		if (X509_STORE_add_cert(st, sk_X509_value(c->certs, i)) != 1) {
			snprintf(err, errlen, "CA store: %s", ossl_error());
			goto done;
		}
	if (c->crlfd != -1 && c->crlname[0] != '\0') {
		if ((n = ctlauth_crl_file(c, st, c->crlfd, c->crlname, err,
		    errlen)) == -1)
			goto done;
	} else if (c->crlfd != -1) {
		if ((fd = openat(c->crlfd, ".", O_RDONLY | O_DIRECTORY |
		    O_CLOEXEC)) == -1 || (d = fdopendir(fd)) == NULL) {
			snprintf(err, errlen, "crl-dir %s: %s", c->crlpath,
			    strerror(errno));
			if (fd != -1)
				close(fd);
			goto done;
		}
		while ((de = readdir(d)) != NULL) {
			if (de->d_name[0] == '.')
				continue;
			if ((i = ctlauth_crl_file(c, st, dirfd(d), de->d_name,
			    err, errlen)) == -1)
				goto done;
			n += i;
		}
	}
	if (c->crlfd != -1 && n == 0) {
		snprintf(err, errlen, "crl %s: no CRL in it", c->crlpath);
		goto done;
	}
	if (n > 0)
		X509_STORE_set_flags(st, X509_V_FLAG_CRL_CHECK);
	X509_STORE_free(c->store);
	c->store = st;
	c->ncrls = n;
	st = NULL;
	rc = 0;
 done:
	if (d != NULL)
		closedir(d);
	X509_STORE_free(st);
	ERR_clear_error();
	return rc;
}

/* The PEM CRLs of one file into st: how many, or -1. */
static int
ctlauth_crl_file(struct ctlauth_ca *c, X509_STORE *st, int dfd,
    const char *name, char *err, size_t errlen)
{
	X509_CRL	*crl;
	X509		*ca;
	FILE		*f;
	int		 fd, i, n = 0;

	if ((fd = openat(dfd, name, O_RDONLY | O_CLOEXEC)) == -1 ||
	    (f = fdopen(fd, "r")) == NULL) {
		snprintf(err, errlen, "crl %s: %s", c->crlpath,
		    strerror(errno));
		if (fd != -1)
			close(fd);
		return -1;
	}
	while ((crl = PEM_read_X509_CRL(f, NULL, NULL, NULL)) != NULL) {
		/* Another CA's list would make every check fail: refused. */
		for (i = 0; i < sk_X509_num(c->certs); i++) {
			ca = sk_X509_value(c->certs, i);
			if (X509_NAME_cmp(X509_CRL_get_issuer(crl),
			    X509_get_subject_name(ca)) == 0 &&
			    X509_CRL_verify(crl, X509_get0_pubkey(ca)) == 1)
				break;
		}
		if (i == sk_X509_num(c->certs)) {
			X509_CRL_free(crl);
			fclose(f);
			snprintf(err, errlen, "crl %s (%s): not signed by this "
			    "CA", c->crlpath, name);
			return -1;
		}
		if (X509_STORE_add_crl(st, crl) != 1) {
			X509_CRL_free(crl);
			fclose(f);
			snprintf(err, errlen, "crl %s: %s", c->crlpath,
			    ossl_error());
			return -1;
		}
		X509_CRL_free(crl);
		n++;
	}
	fclose(f);
	return n;
}

int
ctlauth_reload(char *err, size_t errlen)
{
	enum cfjl_ca	 ca;
	int		 n = 0, m = 0;

	if (!auth.initialized) {
		snprintf(err, errlen, "no administrators' CA: no CRL to read");
		return 1;
	}
	for (ca = CA_OPERATOR; ca < CFJL_CA_MAX; ca++) {
		if (auth.ca[ca].crlfd == -1)
			continue;
		m++;
		if (ctlauth_store(&auth.ca[ca], err, errlen) == -1)
			return -1;
		n += auth.ca[ca].ncrls;
	}
	if (m == 0) {
		snprintf(err, errlen, "no CRL configured for administrators");
		return 1;
	}
	snprintf(err, errlen, "administrators' CRLs read again: %d", n);
	return 0;
}

/* 0 when leaf chains to ca's certificates (and is not revoked). */
static int
ctlauth_chain(enum cfjl_ca ca, X509 *leaf, STACK_OF(X509) *chain,
    int *why)
{
	X509_STORE_CTX	*xs;
	int		 ok;

	*why = X509_V_ERR_UNSPECIFIED;
	if (!auth.ca[ca].configured || (xs = X509_STORE_CTX_new()) == NULL)
		return -1;
	ok = X509_STORE_CTX_init(xs, auth.ca[ca].store, leaf, chain) == 1 &&
	    X509_verify_cert(xs) == 1;
	if (!ok)
		*why = X509_STORE_CTX_get_error(xs);
	X509_STORE_CTX_free(xs);
	ERR_clear_error();
	return ok ? 0 : -1;
}

/* Named by an "admin" line of its kind, by subject or fingerprint. */
static int
ctlauth_bound(int kind, const struct ctlauth_signer *s, const uint8_t *fp)
{
	size_t	 i;

	for (i = 0; i < auth.nadmins; i++) {
		if ((int)auth.admins[i].kind != kind)
			continue;
		if (auth.admins[i].by_fp ?
		    memcmp(auth.admins[i].fp, fp, CFJL_FP_LEN) == 0 :
		    strcmp(auth.admins[i].subject, s->subject) == 0)
			return 1;
	}
	return 0;
}

/* Refuse a nonce seen within the window; remember it otherwise. */
static int
ctlauth_nonce(const char *nonce, time_t when, time_t now, char *err,
    size_t errlen)
{
	size_t	 i, j;

	for (i = j = 0; i < auth.nseen; i++)
		if (auth.seen[i].when + CTLSIG_WINDOW >= now)
			auth.seen[j++] = auth.seen[i];
	auth.nseen = j;
	for (i = 0; i < auth.nseen; i++)
		if (strcmp(auth.seen[i].nonce, nonce) == 0) {
			snprintf(err, errlen, "replayed: this signed command "
			    "(nonce %s) was already received", nonce);
			return -1;
		}
	if (auth.nseen == CTLAUTH_NONCES_MAX) {
		snprintf(err, errlen, "more than %d signed commands within %d "
		    "seconds: try again later", CTLAUTH_NONCES_MAX,
		    CTLSIG_WINDOW);
		return -1;
	}
	strlcpy(auth.seen[auth.nseen].nonce, nonce,
	    sizeof(auth.seen[auth.nseen].nonce));
	auth.seen[auth.nseen].when = when;
	auth.nseen++;
	return 0;
}

int
ctlauth_check(const char *daemon, const struct ctl_request *req, int kind,
    const uint8_t *sig, size_t siglen, struct ctlauth_signer *s, char *err,
    size_t errlen)
{
	struct ctlsig_cmd	 c;
	STACK_OF(X509)		*certs = NULL;
	X509			*signer = NULL;
	uint8_t			 fp[CFJL_FP_LEN];
	enum cfjl_ca		 need, other;
	const char		*kn = ctlsig_kind_name(kind);
	time_t			 now = time(NULL);
	long long		 off;
	int			 why, owhy, rc = -1;

	memset(s, 0, sizeof(*s));
	need = config_admin_ca(kind);
	other = need == CA_OPERATOR ? CA_REGULATOR : CA_OPERATOR;
	if (!auth.initialized || !auth.ca[need].configured) {
		snprintf(err, errlen, "%s checks no %s administrator: no %s's "
		    "CA is configured (\"ca %s FILE\" in cfjl.conf)", daemon, kn,
		    config_ca_name(need), config_ca_name(need));
		return -1;
	}
	if (siglen == 0) {
		snprintf(err, errlen, "not signed: %s changes the vault and "
		    "needs a %s administrator's signature (cfjlctl -K or -P)",
		    req->command, kn);
		return -1;
	}
	if (ctlsig_open(sig, siglen, &c, &signer, &certs, err, errlen) == -1)
		return -1;
	if (ctlsig_subject(signer, s->subject, sizeof(s->subject)) == -1 ||
	    ctlsig_fingerprint(signer, fp, s->fp) == -1) {
		snprintf(err, errlen, "the signer's certificate cannot be read");
		goto done;
	}
	if (ctlauth_chain(need, signer, certs, &why) == -1) {
		if (why == X509_V_ERR_CERT_REVOKED)
			snprintf(err, errlen, "the certificate of %s is revoked "
			    "by the %s's CA", s->subject, config_ca_name(need));
		else if (ctlauth_chain(other, signer, certs, &owhy) == 0)
			snprintf(err, errlen, "%s's certificate is issued by the "
			    "%s's CA: a %s command needs a %s administrator, of "
			    "the %s's CA", s->subject, config_ca_name(other),
			    req->command, kn, config_ca_name(need));
		else
			snprintf(err, errlen, "%s's certificate does not chain "
			    "to the %s's CA: %s", s->subject,
			    config_ca_name(need),
			    X509_verify_cert_error_string(why));
		goto done;
	}
	if (!ctlauth_bound(kind, s, fp)) {
		snprintf(err, errlen, "%s is not a %s administrator: no \"admin "
		    "%s\" line of cfjl.conf names it", s->subject, kn, kn);
		goto done;
	}
	if (strcmp(c.daemon, daemon) != 0) {
		snprintf(err, errlen, "signed for %s, not for %s", c.daemon,
		    daemon);
		goto done;
	}
	if (strcmp(c.command, req->command) != 0) {
		snprintf(err, errlen, "signed for the command %s, not %s",
		    c.command, req->command);
		goto done;
	}
	if (strcmp(c.arg1, req->arg1) != 0 || strcmp(c.arg2, req->arg2) != 0) {
		snprintf(err, errlen, "signed for other arguments: \"%s\" "
		    "\"%s\"", c.arg1, c.arg2);
		goto done;
	}
	off = (long long)now - (long long)c.when;
	if (off > CTLSIG_WINDOW || off < -CTLSIG_WINDOW) {
		snprintf(err, errlen, "signed %lld seconds %s %s's clock: at "
		    "most %d seconds either side", off < 0 ? -off : off,
		    off < 0 ? "ahead of" : "behind", daemon, CTLSIG_WINDOW);
		goto done;
	}
	/* The nonces seen before a restart are forgotten: refuse those. */
	if (c.when < auth.started) {
		snprintf(err, errlen, "signed before %s started: a command "
		    "from before a restart may be a replay, sign it again",
		    daemon);
		goto done;
	}
	if (ctlauth_nonce(c.nonce, c.when, now, err, errlen) == -1)
		goto done;
	rc = 0;
 done:
	X509_free(signer);
	sk_X509_pop_free(certs, X509_free);
	return rc;
}
