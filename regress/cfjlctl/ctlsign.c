/*
 * Test helper: a signed administration command (common/ctlsig.h) made
 * to order, written to stdout in DER, for ctlraw -S to send, once or
 * twice, to whatever daemon and command the test likes.
 *
 *	ctlsign [-t seconds] -K admin.p12 daemon command [arg1 [arg2]]
 *
 * -t moves the signing time by that many seconds (negative: older).
 * The passphrase is $CFJL_P12_PASS.
 */
#include <sys/types.h>

#include <err.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/pkcs12.h>

#include "ctlsig.h"
#include "ossl.h"

int
main(int argc, char *argv[])
{
	struct ctlsig_cmd	 c;
	STACK_OF(X509)		*chain = NULL;
	EVP_PKEY		*key = NULL;
	X509			*cert = NULL;
	PKCS12			*p12;
	BIO			*in;
	const char		*p12file = NULL, *pass, *errstr;
	uint8_t			*der;
	size_t			 len;
	long long		 shift = 0;
	char			 e[512];
	int			 ch;

	while ((ch = getopt(argc, argv, "K:t:")) != -1) {
		switch (ch) {
		case 'K':
			p12file = optarg;
			break;
		case 't':
			shift = strtonum(optarg, -100000, 100000, &errstr);
			if (errstr != NULL)
				errx(2, "-t %s", errstr);
			break;
		default:
			errx(2, "usage");
		}
	}
	argc -= optind;
	argv += optind;
	if (p12file == NULL || argc < 2 || argc > 4)
		errx(2, "usage: ctlsign [-t seconds] -K admin.p12 daemon "
		    "command [arg1 [arg2]]");
	if ((pass = getenv("CFJL_P12_PASS")) == NULL)
		pass = "";
	if ((in = BIO_new_file(p12file, "rb")) == NULL ||
	    (p12 = d2i_PKCS12_bio(in, NULL)) == NULL ||
	    PKCS12_parse(p12, pass, &key, &cert, &chain) != 1)
		errx(1, "%s: %s", p12file, ossl_error());
	memset(&c, 0, sizeof(c));
	strlcpy(c.daemon, argv[0], sizeof(c.daemon));
	strlcpy(c.command, argv[1], sizeof(c.command));
	if (argc > 2)
		strlcpy(c.arg1, argv[2], sizeof(c.arg1));
	if (argc > 3)
		strlcpy(c.arg2, argv[3], sizeof(c.arg2));
	if (ctlsig_fresh(&c) == -1)
		errx(1, "no nonce");
	c.when += shift;
	if (ctlsig_sign(&c, key, cert, chain, &der, &len, e, sizeof(e)) == -1)
		errx(1, "%s", e);
	if (fwrite(der, 1, len, stdout) != len)
		err(1, "stdout");
	free(der);
	PKCS12_free(p12);
	BIO_free(in);
	EVP_PKEY_free(key);
	X509_free(cert);
	sk_X509_pop_free(chain, X509_free);
	return 0;
}
