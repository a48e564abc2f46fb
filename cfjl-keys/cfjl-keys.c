/*
 * cfjl-keys: the key ceremony.  Generates the sealing and time-stamping
 * keys inside the token named in cfjl.conf, writes their certificate
 * requests, installs the certificates the CA returns in the token beside
 * their keys (and in the configured file, if any), and lists what the
 * token holds.
 */
#include <sys/stat.h>

#include <err.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "config.h"
#include "log.h"
#include "keys.h"
#include "p11.h"
#include "pinfile.h"

#define KEYS_BITS_DEFAULT	2048

__attribute__((__noreturn__)) static void usage(void);
static struct p11 *keys_open(const struct cfjl_conf *);
static int	 keys_generate(const struct cfjl_conf *, int, char **,
		    unsigned int, const char *);
static int	 keys_install(const struct cfjl_conf *, int, char **);
static int	 keys_list(const struct cfjl_conf *);

static void
usage(void)
{
	fprintf(stderr, "usage: cfjl-keys [-f file] generate [-b bits] "
	    "[-o dir] [seal | tsa]\n"
	    "       cfjl-keys [-f file] install seal | tsa cert.pem\n"
	    "       cfjl-keys [-f file] list\n");
	exit(2);
}

int
main(int argc, char *argv[])
{
	struct cfjl_conf	*conf;
	const char		*file, *outdir = ".", *e;
	unsigned int		 bits = KEYS_BITS_DEFAULT;
	int			 ch, rc;

	log_init(1, 0, LOG_DAEMON);
	log_procinit("cfjl-keys");
	file = (e = getenv("CFJL_CONF")) != NULL ? e : CFJL_CONF_FILE;
	while ((ch = getopt(argc, argv, "+f:")) != -1) {
		switch (ch) {
		case 'f':
			file = optarg;
			break;
		default:
			usage();
		}
	}
	argc -= optind;
	argv += optind;
	if (argc < 1)
		usage();
	if ((conf = parse_config(file)) == NULL)
		exit(1);

	if (strcmp(argv[0], "generate") == 0) {
		optind = 0;	/* glibc: start again at argv[1] */
		while ((ch = getopt(argc, argv, "+b:o:")) != -1) {
			switch (ch) {
			case 'b':
				bits = strtonum(optarg, 2048, 4096, &e);
				if (e != NULL || bits % 1024 != 0)
					errx(2, "key size %s: use 2048, 3072 "
					    "or 4096", optarg);
				break;
			case 'o':
				outdir = optarg;
				break;
			default:
				usage();
			}
		}
		rc = keys_generate(conf, argc - optind, argv + optind, bits,
		    outdir);
	} else if (strcmp(argv[0], "install") == 0)
		rc = keys_install(conf, argc - 1, argv + 1);
	else if (strcmp(argv[0], "list") == 0 && argc == 1)
		rc = keys_list(conf);
	else
		usage();
	config_free(conf);
	return rc;
}

static struct p11 *
keys_open(const struct cfjl_conf *conf)
{
	const struct cfjl_sealerd_conf *sc = &conf->sealerd;
	struct p11	*p;
	char		 pin[PIN_MAX + 1], e[512];

	e[0] = '\0';
	if (sc->pkcs11_module[0] == '\0' || sc->pkcs11_token[0] == '\0')
		errx(1, "%s: sealerd needs \"pkcs11 module\" and \"pkcs11 "
		    "token\"", conf->file);
	if (pinfile_read(sc->pkcs11_pin_file, pin, sizeof(pin), e,
	    sizeof(e)) == -1)
		errx(1, "%s", e);
	p = p11_open(sc->pkcs11_module, sc->pkcs11_token, pin, e, sizeof(e));
	OPENSSL_cleanse(pin, sizeof(pin));
	if (p == NULL)
		errx(1, "%s", e);
	return p;
}

static int
keys_generate(const struct cfjl_conf *conf, int argc, char **argv,
    unsigned int bits, const char *outdir)
{
	const struct cfjl_sealerd_conf *sc = &conf->sealerd;
	struct p11	*p;
	const char	*labels[2] = { sc->seal_key, sc->tsa_key };
	const char	*names[2] = { "seal", "tsa" };
	const char	*what[2] = { "cachet", "horodatage" };
	char		 dn[512], path[PATH_MAX], e[512];
	int		 want[2] = { 1, 1 }, i, rc = 0;

	if (argc > 1)
		usage();
	if (argc == 1) {
		want[0] = strcmp(argv[0], "seal") == 0;
		want[1] = strcmp(argv[0], "tsa") == 0;
		if (!want[0] && !want[1])
			usage();
	}
	for (i = 0; i < 2; i++)
		if (want[i] && labels[i][0] == '\0')
			errx(1, "%s: no %s key label configured", conf->file,
			    names[i]);
	p = keys_open(conf);
	/* A ceremony never replaces a key: check both before making one. */
	for (i = 0; i < 2; i++) {
		if (!want[i])
			continue;
		switch (p11_key_exists(p, labels[i])) {
		case 0:
			break;
		case 1:
			p11_close(p);
			errx(1, "the token already holds a key \"%s\": "
			    "refusing to replace it", labels[i]);
		default:
			p11_close(p);
			errx(1, "cannot search the token for \"%s\"",
			    labels[i]);
		}
	}
	for (i = 0; i < 2 && rc == 0; i++) {
		if (!want[i])
			continue;
		e[0] = '\0';
		if (p11_key_generate(p, labels[i], bits, e, sizeof(e)) == -1) {
			warnx("%s", e);
			rc = 1;
			break;
		}
		printf("generated %s key \"%s\": RSA %u bits, sensitive, "
		    "not extractable\n", names[i], labels[i], bits);
		snprintf(dn, sizeof(dn), "C=FR,O=Operateur %u,OU=Coffre %u,"
		    "CN=CFJL %s %u-%u", conf->operator_id, conf->vault_id,
		    what[i], conf->operator_id, conf->vault_id);
		if (snprintf(path, sizeof(path), "%s/%s.csr", outdir,
		    names[i]) >= (int)sizeof(path))
			errx(1, "output path too long");
		if (csr_write(p, labels[i], dn, path, e, sizeof(e)) == -1) {
			warnx("%s", e);
			rc = 1;
			break;
		}
		printf("wrote %s (%s)\n", path, dn);
	}
	p11_close(p);
	return rc;
}

static int
keys_install(const struct cfjl_conf *conf, int argc, char **argv)
{
	const struct cfjl_sealerd_conf *sc = &conf->sealerd;
	struct p11	*p;
	enum keys_kind	 kind;
	const char	*label, *dest;
	char		 e[512];
	int		 rc;

	if (argc != 2)
		usage();
	if (strcmp(argv[0], "seal") == 0) {
		kind = KEYS_SEAL;
		label = sc->seal_key;
		dest = sc->seal_cert;
	} else if (strcmp(argv[0], "tsa") == 0) {
		kind = KEYS_TSA;
		label = sc->tsa_key;
		dest = sc->tsa_cert;
	} else
		usage();
	if (label[0] == '\0')
		errx(1, "%s: no %s key label configured", conf->file,
		    argv[0]);
	p = keys_open(conf);
	e[0] = '\0';
	rc = csr_cert_install(p, label, kind, argv[1], dest, e, sizeof(e));
	p11_close(p);
	if (rc == -1) {
		warnx("%s: %s", argv[1], e);
		return 1;
	}
	printf("installed %s certificate for key \"%s\" in token \"%s\"%s%s\n",
	    argv[0], label, sc->pkcs11_token, dest[0] != '\0' ? " and at " :
	    "", dest);
	return 0;
}

static int
keys_list(const struct cfjl_conf *conf)
{
	struct p11	*p;
	int		 rc;

	p = keys_open(conf);
	printf("token \"%s\" in %s\n", conf->sealerd.pkcs11_token,
	    conf->sealerd.pkcs11_module);
	rc = p11_key_list(p, stdout) == -1 || p11_cert_list(p, stdout) == -1;
	p11_close(p);
	return rc;
}
