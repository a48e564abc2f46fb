/*
 * The regulator's encryption certificate, checked at start before any
 * event is encrypted for it: within its validity period, with the key
 * usage keyEncipherment, issued by the regulator's CA (and not revoked
 * when that CA comes with CRLs).  A vault that encrypted for a key of
 * the wrong authority, or a retired one, would keep events nobody
 * entitled can read; stored refuses to start instead.
 */
#include <sys/types.h>
#include <sys/stat.h>

#include <dirent.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>

#include "config.h"
#include "log.h"
#include "ossl.h"
#include "regcert.h"

#define REGCERT_WARN_DAYS	30	/* warn this long before it expires */

static X509	*regcert_read(const char *);
static void	 regcert_crls(X509_STORE *, const struct cfjl_ca_conf *);
static void	 regcert_when(const ASN1_TIME *, char *, size_t);

/* Fatal unless the certificate of certfile passes every check. */
void
regcert_check(const struct cfjl_conf *conf, const char *certfile)
{
	const struct cfjl_ca_conf	*ca = &conf->ca[CA_REGULATOR];
	X509				*x;
	X509_STORE			*st;
	X509_STORE_CTX			*xs;
	char				 when[64];
	uint32_t			 ku;
	time_t				 soon;

	if (ca->file[0] == '\0')
		fatalx("%s: stored needs the regulator's CA (\"ca regulator "
		    "FILE\") to check the regulator certificate", conf->file);
	x = regcert_read(certfile);

	if (X509_cmp_current_time(X509_get0_notBefore(x)) >= 0) {
		regcert_when(X509_get0_notBefore(x), when, sizeof(when));
		fatalx("regulator certificate %s: not valid before %s",
		    certfile, when);
	}
	if (X509_cmp_current_time(X509_get0_notAfter(x)) <= 0) {
		regcert_when(X509_get0_notAfter(x), when, sizeof(when));
		fatalx("regulator certificate %s: expired on %s", certfile,
		    when);
	}
	soon = time(NULL) + REGCERT_WARN_DAYS * 86400;
	if (X509_cmp_time(X509_get0_notAfter(x), &soon) <= 0) {
		regcert_when(X509_get0_notAfter(x), when, sizeof(when));
		log_warnx("regulator certificate %s expires on %s: ask the "
		    "regulator for the next one", certfile, when);
	}

	/* No extension at all means any usage: not enough here. */
	ku = X509_get_key_usage(x);
	if ((X509_get_extension_flags(x) & EXFLAG_KUSAGE) == 0 ||
	    (ku & KU_KEY_ENCIPHERMENT) == 0)
		fatalx("regulator certificate %s: its key usage does not "
		    "allow keyEncipherment", certfile);

	if ((st = X509_STORE_new()) == NULL ||
	    (xs = X509_STORE_CTX_new()) == NULL)
		fatalx("%s: %s", __func__, ossl_error());
	if (X509_STORE_load_file(st, ca->file) != 1)
		fatalx("ca regulator %s: %s", ca->file, ossl_error());
	regcert_crls(st, ca);
	if (X509_STORE_CTX_init(xs, st, x, NULL) != 1)
		fatalx("%s: %s", __func__, ossl_error());
	if (X509_verify_cert(xs) != 1)
		fatalx("regulator certificate %s: not accepted by the "
		    "regulator's CA (%s): %s", certfile, ca->file,
		    X509_verify_cert_error_string(X509_STORE_CTX_get_error(xs)));
	X509_STORE_CTX_free(xs);
	X509_STORE_free(st);
	X509_free(x);
	ERR_clear_error();
	log_debug("regulator certificate %s: valid, keyEncipherment, issued "
	    "by the regulator's CA", certfile);
}

static X509 *
regcert_read(const char *certfile)
{
	FILE	*fp;
	X509	*x;

	if ((fp = fopen(certfile, "r")) == NULL)
		fatal("regulator certificate %s", certfile);
	x = PEM_read_X509(fp, NULL, NULL, NULL);
	fclose(fp);
	if (x == NULL)
		fatalx("regulator certificate %s: %s", certfile, ossl_error());
	return x;
}

/* The CA's CRL file, or every file of its CRL directory. */
static void
regcert_crls(X509_STORE *st, const struct cfjl_ca_conf *ca)
{
	X509_LOOKUP	*lu;
	DIR		*d;
	struct dirent	*de;
	struct stat	 sb;
	char		 path[PATH_MAX];
	int		 n = 0;

	if (ca->crl[0] == '\0')
		return;
	if ((lu = X509_STORE_add_lookup(st, X509_LOOKUP_file())) == NULL)
		fatalx("%s: %s", __func__, ossl_error());
	if (!ca->crl_dir)
		n = X509_load_crl_file(lu, ca->crl, X509_FILETYPE_PEM);
	else if ((d = opendir(ca->crl)) == NULL)
		fatal("crl-dir %s", ca->crl);
	else {
		while ((de = readdir(d)) != NULL) {
			if (de->d_name[0] == '.' || (size_t)snprintf(path,
			    sizeof(path), "%s/%s", ca->crl, de->d_name) >=
			    sizeof(path) || stat(path, &sb) == -1 ||
			    !S_ISREG(sb.st_mode))
				continue;
			n += X509_load_crl_file(lu, path, X509_FILETYPE_PEM);
		}
		closedir(d);
	}
	if (n <= 0)
		fatalx("crl %s: no CRL of the regulator's CA read: %s",
		    ca->crl, ossl_error());
	X509_STORE_set_flags(st, X509_V_FLAG_CRL_CHECK);
}

static void
regcert_when(const ASN1_TIME *t, char *buf, size_t size)
{
	struct tm	 tm;

	if (ASN1_TIME_to_tm(t, &tm) != 1 ||
	    strftime(buf, size, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		strlcpy(buf, "(a time that cannot be read)", size);
}
