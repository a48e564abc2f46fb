/*
 * Unit test of sealerd's sealing modules against a SoftHSM token made
 * by cfjl-keys: seal synthetic lots (chained), check every seal with the
 * xmlsec library, time-stamp, sign a journal file.
 *
 *	seal_test -f cfjl.conf -c ca.pem lots OUTDIR N	N chained lots
 *	seal_test -f cfjl.conf journal FILE OUT.der
 *	seal_test -f cfjl.conf stamp OUT.der		imprint: 32 x 0xab
 *	seal_test -f cfjl.conf verify -c ca.pem LOT.xml	xmlsec library only
 *	seal_test -f cfjl.conf open			HSM open, or why not
 *	seal_test -f cfjl.conf serials N		N serials, printed
 *	seal_test -f cfjl.conf clock			the kernel's clock state
 *
 * Exit 0 on success, 1 on failure, 3 when the clock refused.
 */
#include <err.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include <libxml/parser.h>
#include <xmlsec/xmlsec.h>
#include <xmlsec/xmldsig.h>
#include <xmlsec/xmltree.h>
#include <xmlsec/crypto.h>

#include "config.h"
#include "log.h"
#include "proto.h"
#include "lot.h"
#include "sealer.h"
#include "cmssign.h"

static int	 xmlsec_verify(const char *, const char *);
static int	 test_lots(struct sealer *, const char *, const char *, int);
static void	 sealer_setup(struct sealer *, const char *, int);
static int	 write_file(const char *, const void *, size_t);

static int
write_file(const char *path, const void *p, size_t len)
{
	FILE	*f;

	if ((f = fopen(path, "wb")) == NULL)
		return -1;
	if (fwrite(p, 1, len, f) != len) {
		fclose(f);
		return -1;
	}
	return fclose(f);
}

/* The xmlsec library's opinion of a sealed lot, trusting ca only. */
static int
xmlsec_verify(const char *file, const char *ca)
{
	static int		 init;
	xmlDocPtr		 doc;
	xmlNodePtr		 sig;
	xmlSecKeysMngrPtr	 mngr;
	xmlSecDSigCtxPtr	 ctx;
	const xmlChar		*ids[] = { (const xmlChar *)"Id", NULL };
	int			 ok = 0;

	if (!init) {
		if (xmlSecInit() < 0 || xmlSecCryptoAppInit(NULL) < 0 ||
		    xmlSecCryptoInit() < 0)
			errx(1, "xmlsec initialisation failed");
		init = 1;
	}
	if ((doc = xmlReadFile(file, NULL, XML_PARSE_NONET)) == NULL)
		errx(1, "%s: not XML", file);
	xmlSecAddIDs(doc, xmlDocGetRootElement(doc), ids);
	sig = xmlSecFindNode(xmlDocGetRootElement(doc), xmlSecNodeSignature,
	    xmlSecDSigNs);
	if (sig == NULL)
		errx(1, "%s: no ds:Signature", file);
	if ((mngr = xmlSecKeysMngrCreate()) == NULL ||
	    xmlSecCryptoAppDefaultKeysMngrInit(mngr) < 0 ||
	    xmlSecCryptoAppKeysMngrCertLoad(mngr, ca, xmlSecKeyDataFormatPem,
	    xmlSecKeyDataTypeTrusted) < 0)
		errx(1, "xmlsec key manager with %s", ca);
	if ((ctx = xmlSecDSigCtxCreate(mngr)) == NULL)
		errx(1, "xmlSecDSigCtxCreate");
	if (xmlSecDSigCtxVerify(ctx, sig) == 0 &&
	    ctx->status == xmlSecDSigStatusSucceeded)
		ok = 1;
	xmlSecDSigCtxDestroy(ctx);
	xmlSecKeysMngrDestroy(mngr);
	xmlFreeDoc(doc);
	return ok ? 0 : -1;
}

/*
 * Every way out frees it, so that a sanitizer build sees no leak: at
 * exit, by a handler registered once the PKCS#11 module is loaded (it
 * must run before the module's own exit handlers), or before a return.
 */
static struct sealer	 test_sealer;
static int		 test_sealer_set;

static void
test_sealer_free(void)
{
	if (!test_sealer_set)
		return;
	test_sealer_set = 0;
	tsa_close(&test_sealer.tsa);
	hsm_free(&test_sealer.hsm);
}

static void
sealer_setup(struct sealer *s, const char *conffile, int open)
{
	struct cfjl_conf	*conf;
	char			 e[512];

	memset(s, 0, sizeof(*s));
	if ((conf = parse_config(conffile)) == NULL)
		errx(1, "%s: bad configuration", conffile);
	if (hsm_init(&s->hsm, &conf->sealerd) == -1)
		errx(1, "hsm: %s", s->hsm.err);
	if (tsa_init(&s->tsa, &conf->sealerd, e, sizeof(e)) == -1)
		errx(1, "tsa: %s", e);
	config_free(conf);
	test_sealer_set = 1;
	if (open && seal_hsm_ready(s) == -1) {
		strlcpy(e, s->hsm.err, sizeof(e));
		test_sealer_free();
		errx(1, "HSM: %s", e);
	}
	if (open)
		atexit(test_sealer_free);
}

/* n chained lots of 1, 2, ... events; each one verified. */
static int
test_lots(struct sealer *s, const char *dir, const char *ca, int n)
{
	struct seal_lot		 sl;
	struct seal_event	 ev[8];
	unsigned char		*xml, prev[32];
	size_t			 len, k;
	uint64_t		 id = 1001;
	char			 path[1024], e[512];
	int			 i;

	memset(prev, 0, sizeof(prev));
	for (i = 1; i <= n; i++) {
		memset(&sl, 0, sizeof(sl));
		sl.lot = i;
		sl.nevents = (i % 8) + 1;
		sl.first = id;
		sl.last = id + sl.nevents - 1;
		sl.operator_id = 48;
		sl.vault_id = 1;
		memcpy(sl.precedent, prev, sizeof(prev));
		memset(ev, 0, sizeof(ev));
		for (k = 0; k < sl.nevents; k++) {
			ev[k].idevt = id++;
			ev[k].received_ms = 1795514400123LL + k * 1001;
			strlcpy(ev[k].type, k % 2 ? "PASPMISE" : "OUVINFOPERSO",
			    sizeof(ev[k].type));
			strlcpy(ev[k].dateevt, "100412103320",
			    sizeof(ev[k].dateevt));
			memset(ev[k].depositor, 0x11, sizeof(ev[k].depositor));
			memset(ev[k].file_sha256, (int)(ev[k].idevt & 0xff),
			    sizeof(ev[k].file_sha256));
		}
		switch (seal_lot_make(s, &sl, ev, sl.nevents, &xml, &len, prev,
		    e, sizeof(e))) {
		case SEAL_OK:
			break;
		case SEAL_RETRY:
			warnx("lot %d: %s", i, e);
			return s->clock_refusing ? 3 : 1;
		default:
			warnx("lot %d refused: %s", i, e);
			return 1;
		}
		snprintf(path, sizeof(path), "%s/%012d.xml", dir, i);
		if (write_file(path, xml, len) == -1)
			err(1, "%s", path);
		free(xml);
		if (xmlsec_verify(path, ca) == -1) {
			warnx("%s: the xmlsec library rejects the seal", path);
			return 1;
		}
		printf("lot %d sealed and verified by libxmlsec: %s\n", i,
		    path);
	}

	/* A lot that contradicts itself is refused, not sealed. */
	sl.lot = n + 1;
	sl.first = id;
	sl.last = id + 5;
	sl.nevents = 1;
	ev[0].idevt = id;
	if (seal_lot_make(s, &sl, ev, 1, &xml, &len, prev, e, sizeof(e)) !=
	    SEAL_INVALID) {
		warnx("an inconsistent lot was not refused");
		return 1;
	}
	printf("inconsistent lot refused: %s\n", e);
	return 0;
}

int
main(int argc, char *argv[])
{
	const char	*conffile = NULL, *ca = NULL;
	unsigned char	 imprint[32], *der;
	size_t		 len;
	char		 e[512];
	char		*status;
	int		 ch, fd, rc, clk, i;

	log_init(1, 2, LOG_DAEMON);
	log_procinit("seal_test");
	while ((ch = getopt(argc, argv, "+c:f:")) != -1) {
		switch (ch) {
		case 'c':
			ca = optarg;
			break;
		case 'f':
			conffile = optarg;
			break;
		default:
			exit(2);
		}
	}
	argc -= optind;
	argv += optind;
	if (conffile == NULL || argc < 1)
		errx(2, "usage: seal_test -f conf [-c ca] command ...");

	if (strcmp(argv[0], "verify") == 0 && argc == 2 && ca != NULL) {
		rc = xmlsec_verify(argv[1], ca) == 0 ? 0 : 1;
		printf("%s: %s\n", argv[1], rc == 0 ? "verified" : "REJECTED");
		return rc;
	}
	if (strcmp(argv[0], "open") == 0) {
		sealer_setup(&test_sealer, conffile, 0);
		rc = seal_hsm_ready(&test_sealer);
		if (rc == -1)
			printf("HSM unavailable: %s\n", test_sealer.hsm.err);
		else
			printf("HSM open\n");
		test_sealer_free();
		return rc == -1;
	}
	if (strcmp(argv[0], "clock") == 0) {
		sealer_setup(&test_sealer, conffile, 0);
		rc = clock_check(&test_sealer.tsa.clock);
		printf("%s maxerror %ld esterror %ld: %s\n",
		    clock_name(&test_sealer.tsa.clock),
		    test_sealer.tsa.clock.maxerror_us,
		    test_sealer.tsa.clock.esterror_us,
		    rc == 0 ? "stamping" : "refusing");
		test_sealer_free();
		return 0;
	}
	if (strcmp(argv[0], "serials") == 0 && argc == 2) {
		sealer_setup(&test_sealer, conffile, 0);
		for (i = 0; i < atoi(argv[1]); i++)
			printf("%" PRIu64 "\n",
			    serial_next(&test_sealer.tsa.serial));
		test_sealer_free();
		return 0;
	}
	sealer_setup(&test_sealer, conffile, 1);
	if (strcmp(argv[0], "lots") == 0 && argc == 3 && ca != NULL)
		rc = test_lots(&test_sealer, argv[1], ca, atoi(argv[2]));
	else if (strcmp(argv[0], "journal") == 0 && argc == 3) {
		if ((fd = open(argv[1], O_RDONLY)) == -1)
			err(1, "%s", argv[1]);
		rc = seal_journal_make(&test_sealer, fd, &der, &len, e,
		    sizeof(e));
		close(fd);
		if (rc != SEAL_OK)
			errx(1, "%s", e);
		if (write_file(argv[2], der, len) == -1)
			err(1, "%s", argv[2]);
		free(der);
	} else if (strcmp(argv[0], "stamp") == 0 && argc == 2) {
		memset(imprint, 0xab, sizeof(imprint));
		if (tsa_stamp(&test_sealer.tsa, imprint, &der, &len, &clk, e,
		    sizeof(e)) == -1) {
			printf("%s\n", e);
			return clk ? 3 : 1;
		}
		if (write_file(argv[1], der, len) == -1)
			err(1, "%s", argv[1]);
		free(der);
		rc = 0;
	} else
		errx(2, "unknown command %s", argv[0]);
	status = status_json(&test_sealer);
	puts(status);
	free(status);
	return rc;
}
