/*
 * The two client PKIs and their revocation lists.  The operator's CA
 * issues depositors' certificates, the regulator's CA readers'; the TLS
 * server accepts a chain to either (the union), and a role is then given
 * by the issuing CA and the subject, or by the certificate's fingerprint
 * (roles.c): a certificate of the wrong CA never gets the role.
 *
 * CRLs are read again on reload and every "crl refresh", without a
 * restart: the sandbox forbids opening paths, so the directories that
 * hold them are opened at start and read with openat().  A new set of
 * CRLs is checked (each signed by its own CA) before it replaces the old
 * one; libtls is then configured anew, from the certificate and key kept
 * in memory, and the next handshake sees the new lists.  Connections
 * already up keep going.
 */
#include <sys/types.h>
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>
#include <event.h>
#include <tls.h>

#include "audit.h"
#include "clientca.h"
#include "frontd.h"
#include "log.h"
#include "ossl.h"

#define CLIENTCA_CRL_MAX	(16 * 1024 * 1024)	/* one file, bytes */

struct clientca {
	int		 configured;
	X509_STORE	*store;		/* this CA alone: who issued a client */
	STACK_OF(X509)	*certs;
	uint8_t		*pem;		/* the CA file, for libtls */
	size_t		 pemlen;
	int		 crlfd;		/* directory of the CRL(s), or -1 */
	char		 crlname[NAME_MAX + 1];	/* the file; "": all files */
	char		 crlpath[PATH_MAX];	/* for messages */
};

static struct clientca	 clientca[CFJL_CA_MAX];
static struct tls	*clientca_tls;
static uint8_t		*clientca_cert, *clientca_key;
static size_t		 clientca_certlen, clientca_keylen;
static int		 clientca_crls;	/* CRLs are checked */
static unsigned int	 clientca_refresh;
static struct event	 clientca_timer;

static void	 clientca_load(enum cfjl_ca, const struct cfjl_ca_conf *);
static void	 clientca_crl_open(struct clientca *, const struct cfjl_ca_conf *);
static int	 clientca_crl_read(struct clientca *, BIO *, char *, size_t);
static int	 clientca_crl_file(struct clientca *, int, const char *, BIO *,
		    char *, size_t);
static int	 clientca_crl_check(struct clientca *, X509_CRL *, const char *,
		    char *, size_t);
static int	 clientca_configure(char *, size_t);
static void	 clientca_tick(int, short, void *);

/*
 * At start, before the sandbox: the CA files, the server's certificate
 * and key (kept to configure libtls again), the CRL directories, and the
 * first configuration.  Fatal on error.
 */
void
clientca_init(const struct cfjl_conf *conf, struct tls *ctx,
    uint8_t *cert, size_t certlen, uint8_t *key, size_t keylen)
{
	char		 err[512];
	enum cfjl_ca	 ca;
	int		 ncrl = 0;

	for (ca = CA_OPERATOR; ca < CFJL_CA_MAX; ca++) {
		if (conf->ca[ca].file[0] == '\0')
			fatalx("frontd needs the %s's CA: \"ca %s FILE\" in "
			    "cfjl.conf", config_ca_name(ca),
			    config_ca_name(ca));
		clientca_load(ca, &conf->ca[ca]);
		if (clientca[ca].crlfd != -1)
			ncrl++;
	}
	/* libtls checks the CRL of every issuer in a chain, or of none. */
	if (ncrl != 0 && ncrl != CFJL_CA_MAX - 1)
		fatalx("a CRL for one CA but not the other: with CRLs, every "
		    "CA needs one (\"ca NAME FILE crl FILE\")");
	clientca_crls = ncrl != 0;
	clientca_tls = ctx;
	clientca_cert = cert;
	clientca_certlen = certlen;
	clientca_key = key;
	clientca_keylen = keylen;
	clientca_refresh = conf->crl_refresh;
	if (clientca_configure(err, sizeof(err)) == -1)
		fatalx("%s", err);
}

/* Once the event loop runs: the refresh timer. */
void
clientca_start(void)
{
	struct timeval	 tv;

	if (!clientca_crls || clientca_refresh == 0)
		return;
	evtimer_set(&clientca_timer, clientca_tick, NULL);
	tv.tv_sec = clientca_refresh;
	tv.tv_usec = 0;
	evtimer_add(&clientca_timer, &tv);
}

static void
clientca_tick(int fd, short ev, void *arg)
{
	char		 msg[512];
	struct timeval	 tv;

	(void)clientca_reload(msg, sizeof(msg));
	tv.tv_sec = clientca_refresh;
	tv.tv_usec = 0;
	evtimer_add(&clientca_timer, &tv);
}

/*
 * Read the CRLs again and give them to libtls.  0 and what was loaded,
 * or -1 and why not (the lists in force stay).  Journaled either way.
 */
int
clientca_reload(char *msg, size_t size)
{
	if (!clientca_crls) {
		snprintf(msg, size, "no CRL configured: nothing to read");
		return 0;
	}
	if (clientca_configure(msg, size) == -1) {
		log_warnx("CRLs not reloaded: %s", msg);
		audit_record("crl-reload", "frontd", "error", "%s", msg);
		return -1;
	}
	log_info("%s", msg);
	audit_record("crl-reload", "frontd", "ok", "%s", msg);
	return 0;
}

/* The CA that issued a client's certificate (chain: what it sent). */
enum cfjl_ca
clientca_issuer(X509 *leaf, STACK_OF(X509) *chain)
{
	X509_STORE_CTX	*xs;
	enum cfjl_ca	 ca;
	int		 ok;

	for (ca = CA_OPERATOR; ca < CFJL_CA_MAX; ca++) {
		if (!clientca[ca].configured)
			continue;
		if ((xs = X509_STORE_CTX_new()) == NULL)
			return CA_NONE;
		ok = X509_STORE_CTX_init(xs, clientca[ca].store, leaf,
		    chain) == 1 && X509_verify_cert(xs) == 1;
		X509_STORE_CTX_free(xs);
		if (ok)
			return ca;
	}
	return CA_NONE;
}

static void
clientca_load(enum cfjl_ca ca, const struct cfjl_ca_conf *cc)
{
	struct clientca	*c = &clientca[ca];
	BIO		*bio;
	X509		*x;
	int		 i;

	if ((c->pem = tls_load_file(cc->file, &c->pemlen, NULL)) == NULL)
		fatal("ca %s %s", config_ca_name(ca), cc->file);
	if ((c->store = X509_STORE_new()) == NULL ||
	    (c->certs = sk_X509_new_null()) == NULL ||
	    (bio = BIO_new_mem_buf(c->pem, (int)c->pemlen)) == NULL)
		fatalx("%s: %s", __func__, ossl_error());
	while ((x = PEM_read_bio_X509(bio, NULL, NULL, NULL)) != NULL) {
		if (X509_STORE_add_cert(c->store, x) != 1 ||
		    sk_X509_push(c->certs, x) == 0)
			fatalx("ca %s: %s", cc->file, ossl_error());
	}
	BIO_free(bio);
	if (sk_X509_num(c->certs) == 0)
		fatalx("ca %s %s: no certificate in it", config_ca_name(ca),
		    cc->file);
	for (i = 0; i < sk_X509_num(c->certs); i++)
		if (X509_check_ca(sk_X509_value(c->certs, i)) == 0)
			fatalx("ca %s %s: certificate %d is not a CA's",
			    config_ca_name(ca), cc->file, i + 1);
	c->configured = 1;
	clientca_crl_open(c, cc);
}

/* Keep a descriptor on the directory: the path is gone once chrooted. */
static void
clientca_crl_open(struct clientca *c, const struct cfjl_ca_conf *cc)
{
	char	 dir[PATH_MAX], base[PATH_MAX];

	c->crlfd = -1;
	if (cc->crl[0] == '\0')
		return;
	strlcpy(c->crlpath, cc->crl, sizeof(c->crlpath));
	if (cc->crl_dir) {
		strlcpy(dir, cc->crl, sizeof(dir));
		c->crlname[0] = '\0';
	} else {
		strlcpy(dir, cc->crl, sizeof(dir));
		strlcpy(base, cc->crl, sizeof(base));
		strlcpy(c->crlname, basename(base), sizeof(c->crlname));
		strlcpy(dir, dirname(dir), sizeof(dir));
	}
	if ((c->crlfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		fatal("crl %s: directory %s", cc->crl, dir);
}

/*
 * Every CRL of c (its file, or each file of its directory) into out, in
 * PEM, each checked against c's certificates.  The number of CRLs, or -1.
 */
static int
clientca_crl_read(struct clientca *c, BIO *out, char *err, size_t size)
{
	DIR		*d;
	struct dirent	*de;
	int		 fd, n, total = 0;

	if (c->crlname[0] != '\0')
		return clientca_crl_file(c, c->crlfd, c->crlname, out, err,
		    size);
	if ((fd = openat(c->crlfd, ".", O_RDONLY | O_DIRECTORY |
	    O_CLOEXEC)) == -1 || (d = fdopendir(fd)) == NULL) {
		snprintf(err, size, "crl-dir %s: %s", c->crlpath,
		    strerror(errno));
		if (fd != -1)
			close(fd);
		return -1;
	}
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		if ((n = clientca_crl_file(c, dirfd(d), de->d_name, out, err,
		    size)) == -1) {
			closedir(d);
			return -1;
		}
		total += n;
	}
	closedir(d);
	if (total == 0) {
		snprintf(err, size, "crl-dir %s: no CRL in it", c->crlpath);
		return -1;
	}
	return total;
}

static int
clientca_crl_file(struct clientca *c, int dfd, const char *name, BIO *out,
    char *err, size_t size)
{
	struct stat	 st;
	BIO		*in = NULL;
	X509_CRL	*crl;
	char		*buf = NULL;
	ssize_t		 r;
	size_t		 len = 0;
	int		 fd, n = 0, rc = -1;

	if ((fd = openat(dfd, name, O_RDONLY | O_CLOEXEC)) == -1 ||
	    fstat(fd, &st) == -1) {
		snprintf(err, size, "crl %s/%s: %s", c->crlpath, name,
		    strerror(errno));
		goto done;
	}
	if (S_ISDIR(st.st_mode)) {
		rc = 0;
		goto done;
	}
	if (!S_ISREG(st.st_mode) || st.st_size > CLIENTCA_CRL_MAX) {
		snprintf(err, size, "crl %s/%s: not a file of at most %d "
		    "bytes", c->crlpath, name, CLIENTCA_CRL_MAX);
		goto done;
	}
	if ((buf = malloc((size_t)st.st_size + 1)) == NULL)
		fatal(NULL);
	while (len < (size_t)st.st_size &&
	    (r = read(fd, buf + len, (size_t)st.st_size - len)) > 0)
		len += r;
	if ((in = BIO_new_mem_buf(buf, (int)len)) == NULL)
		fatalx("%s: %s", __func__, ossl_error());
	while ((crl = PEM_read_bio_X509_CRL(in, NULL, NULL, NULL)) != NULL) {
		if (clientca_crl_check(c, crl, name, err, size) == -1 ||
		    PEM_write_bio_X509_CRL(out, crl) != 1) {
			X509_CRL_free(crl);
			goto done;
		}
		X509_CRL_free(crl);
		n++;
	}
	if (n == 0 && c->crlname[0] != '\0') {
		snprintf(err, size, "crl %s: no CRL in it", c->crlpath);
		goto done;
	}
	rc = n;
 done:
	ERR_clear_error();
	BIO_free(in);
	free(buf);
	if (fd != -1)
		close(fd);
	return rc;
}

/* Signed by one of c's certificates; an expired list is only a warning. */
static int
clientca_crl_check(struct clientca *c, X509_CRL *crl, const char *name,
    char *err, size_t size)
{
	const ASN1_TIME	*next;
	X509		*x;
	EVP_PKEY	*pk;
	int		 i;

	for (i = 0; i < sk_X509_num(c->certs); i++) {
		x = sk_X509_value(c->certs, i);
		if (X509_NAME_cmp(X509_get_subject_name(x),
		    X509_CRL_get_issuer(crl)) != 0 ||
		    (pk = X509_get0_pubkey(x)) == NULL ||
		    X509_CRL_verify(crl, pk) != 1)
			continue;
		next = X509_CRL_get0_nextUpdate(crl);
		if (next != NULL && X509_cmp_current_time(next) < 0)
			log_warnx("crl %s (%s): its next update is past: "
			    "every certificate of this CA is refused until "
			    "a fresh one is installed", c->crlpath, name);
		return 0;
	}
	snprintf(err, size, "crl %s (%s): not signed by this CA", c->crlpath,
	    name);
	return -1;
}

/* A complete libtls configuration, from memory, with the CRLs now. */
static int
clientca_configure(char *msg, size_t size)
{
	struct tls_config	*cfg = NULL;
	BIO			*cas = NULL, *crls = NULL;
	char			*p;
	long			 calen, crllen = 0;
	enum cfjl_ca		 ca;
	int			 n, ncrl = 0, rc = -1;

	if ((cas = BIO_new(BIO_s_mem())) == NULL ||
	    (crls = BIO_new(BIO_s_mem())) == NULL)
		fatalx("%s: %s", __func__, ossl_error());
	for (ca = CA_OPERATOR; ca < CFJL_CA_MAX; ca++) {
		if (BIO_write(cas, clientca[ca].pem,
		    (int)clientca[ca].pemlen) != (int)clientca[ca].pemlen ||
		    BIO_write(cas, "\n", 1) != 1)
			fatalx("%s: %s", __func__, ossl_error());
		if (!clientca_crls)
			continue;
		if ((n = clientca_crl_read(&clientca[ca], crls, msg,
		    size)) == -1)
			goto done;
		ncrl += n;
	}
	calen = BIO_get_mem_data(cas, &p);
	if ((cfg = tls_config_new()) == NULL)
		fatalx("tls_config_new failed");
	if (tls_config_set_protocols(cfg, TLS_PROTOCOL_TLSv1_2 |
	    TLS_PROTOCOL_TLSv1_3) == -1 ||
	    tls_config_set_ciphers(cfg, "secure") == -1 ||
	    tls_config_set_cert_mem(cfg, clientca_cert,
	    clientca_certlen) == -1 ||
	    tls_config_set_key_mem(cfg, clientca_key, clientca_keylen) == -1 ||
	    tls_config_set_ca_mem(cfg, (uint8_t *)p, (size_t)calen) == -1) {
		snprintf(msg, size, "tls: %s", tls_config_error(cfg));
		goto done;
	}
	if (clientca_crls) {
		crllen = BIO_get_mem_data(crls, &p);
		if (tls_config_set_crl_mem(cfg, (uint8_t *)p,
		    (size_t)crllen) == -1) {
			snprintf(msg, size, "crl: %s", tls_config_error(cfg));
			goto done;
		}
	}
	tls_config_verify_client(cfg);
	tls_config_set_verify_depth(cfg, 4);
	if (tls_configure(clientca_tls, cfg) == -1) {
		snprintf(msg, size, "tls: %s", tls_error(clientca_tls));
		goto done;
	}
	snprintf(msg, size, "client CAs: operator and regulator, %d CRL%s",
	    ncrl, ncrl == 1 ? "" : "s");
	rc = 0;
 done:
	if (cfg != NULL) {
		/* The context holds what it needs; wipe the copies. */
		tls_config_clear_keys(cfg);
		tls_config_free(cfg);
	}
	BIO_free(cas);
	BIO_free(crls);
	return rc;
}
