/*
 * A test vault without the daemons: events encrypted by stored's crypt.c,
 * lots built and sealed by sealerd's lot.c, xades.c and tsa.c (with the
 * keys in files instead of the HSM), and bundles written by stored's
 * export.c, driven through a small in-memory stand-in for the database
 * (vaultdb.c) with frontd's flow control played here.
 *
 *	mkvault make -p PKI -a SAMPLES -s STATE -n EVENTS -l PERLOT -o DIR
 *	mkvault export -v DIR -f FROM -t TO [-T] [-C MS] -o BUNDLE.tar
 *	mkvault resign -p PKI -c CERT -k KEY -s STATE -i LOT.xml -o OUT.xml
 *	mkvault checkpoint -p PKI -s STATE -v DIR -n NUM [-l LOT] [-i IDEVT]
 *	    [-P PREV.xml] [-j FILE -m METAHEX] [-T MS] -o OUT.xml
 *
 * "make" also writes DIR/checkpoint.xml, checkpoint 1 naming the last
 * lot, which "export" puts in the bundle (as stored's newest);
 * "checkpoint" makes any other with sealerd's checkpoint.c.
 * PKI holds seal.pem/.key, tsa.pem/.key, regulator.pem (regress/lib/pki.sh).
 */
#include <sys/stat.h>
#include <sys/types.h>

#include <dirent.h>
#include <err.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/sha.h>

#include "config.h"
#include "log.h"
#include "proto.h"
#include "lot.h"
#include "tsa.h"
#include "xades.h"
#include "crypt.h"
#include "checkpoint.h"
#include "stored.h"
#include "mkvault.h"

static void	 usage(void) __attribute__((__noreturn__));
static char	*trace_prepare(const char *, uint64_t, char *, size_t, char *,
		    size_t, size_t *);
static char	*slurp(const char *, size_t *);
static void	 spit(const char *, const void *, size_t);
static int	 stamp_cb(void *, const unsigned char [32], unsigned char **,
		    size_t *, char *, size_t);
static void	 signer_load(struct xades_signer *, const char *, const char *);
static void	 tsa_setup(struct tsa *, const char *, const char *);
static void	 signers_free(struct xades_signer *, struct tsa *);
static int	 cmd_make(int, char **);
static int	 cmd_resign(int, char **);
static int	 cmd_checkpoint(int, char **);
static void	 sigvalue_of(const char *, uint8_t *);
static void	 checkpoint_write(const char *, const struct checkpoint_req *,
		    const struct checkpoint_journal *, int64_t,
		    struct xades_signer *);

static void
usage(void)
{
	fprintf(stderr, "usage: mkvault make -p pki -a samples -s state "
	    "-n events -l perlot -o dir\n"
	    "       mkvault export -v dir -f from -t to [-T] [-C ms] "
	    "-o bundle\n"
	    "       mkvault resign -p pki -c cert -k key -s state -i lot "
	    "-o out\n"
	    "       mkvault checkpoint -p pki -s state -v dir -n num [-l lot] "
	    "[-i idevt] [-P prev]\n"
	    "            [-j file -m metahex] [-T ms] -o out\n");
	exit(2);
}

static char *
slurp(const char *path, size_t *len)
{
	FILE	*fp;
	char	*buf;
	long	 n;

	if ((fp = fopen(path, "rb")) == NULL)
		err(2, "%s", path);
	fseek(fp, 0, SEEK_END);
	n = ftell(fp);
	rewind(fp);
	if ((buf = malloc(n + 1)) == NULL || fread(buf, 1, n, fp) !=
	    (size_t)n)
		err(2, "%s", path);
	buf[n] = '\0';
	fclose(fp);
	*len = n;
	return buf;
}

static void
spit(const char *path, const void *buf, size_t len)
{
	FILE	*fp;

	if ((fp = fopen(path, "wb")) == NULL || fwrite(buf, 1, len, fp) !=
	    len || fclose(fp) != 0)
		err(2, "%s", path);
}

static int
stamp_cb(void *arg, const unsigned char imprint[32], unsigned char **tok,
    size_t *len, char *errbuf, size_t errlen)
{
	int	 refused;

	return tsa_stamp(arg, imprint, tok, len, &refused, errbuf, errlen);
}

static void
signer_load(struct xades_signer *sg, const char *cert, const char *key)
{
	FILE	*fp;

	memset(sg, 0, sizeof(*sg));
	if ((fp = fopen(key, "r")) == NULL ||
	    (sg->key = PEM_read_PrivateKey(fp, NULL, NULL, NULL)) == NULL)
		errx(2, "%s: no key", key);
	fclose(fp);
	if ((fp = fopen(cert, "r")) == NULL ||
	    (sg->cert = PEM_read_X509(fp, NULL, NULL, NULL)) == NULL)
		errx(2, "%s: no certificate", cert);
	fclose(fp);
	sg->stamp = stamp_cb;
}

static void
tsa_setup(struct tsa *t, const char *pki, const char *state)
{
	struct cfjl_sealerd_conf sc;
	struct xades_signer	 tmp;
	char			 c[PATH_MAX], k[PATH_MAX], e[256];

	memset(&sc, 0, sizeof(sc));
	strlcpy(sc.tsa_policy, "1.3.6.1.4.1.99999.1.1", sizeof(sc.tsa_policy));
	strlcpy(sc.state_dir, state, sizeof(sc.state_dir));
	sc.tsa_accuracy_ms = 1000;
	sc.clock_relaxed = 1;
	sc.clock_max_error_us = 100000;
	if (tsa_init(t, &sc, e, sizeof(e)) == -1)
		errx(2, "tsa: %s", e);
	snprintf(c, sizeof(c), "%s/tsa.pem", pki);
	snprintf(k, sizeof(k), "%s/tsa.key", pki);
	signer_load(&tmp, c, k);
	tsa_set_signer(t, tmp.key, tmp.cert, NULL);
}

/* Freed, so that a sanitizer build reports no leak at exit. */
static void
signers_free(struct xades_signer *sg, struct tsa *t)
{
	EVP_PKEY_free(sg->key);
	X509_free(sg->cert);
	EVP_PKEY_free(t->key);
	X509_free(t->cert);
	tsa_close(t);
}

/* Type, DateEvt and the IDEvt written in, as stored would. */
static char *
trace_prepare(const char *xml, uint64_t idevt, char *type, size_t tlen,
    char *dateevt, size_t dlen, size_t *outlen)
{
	const char	*p, *q;
	char		*out, num[32];
	size_t		 n;

	if ((p = strchr(xml, '<')) != NULL && p[1] == '?')
		p = strchr(p + 1, '<');
	if (p == NULL)
		errx(2, "not a trace");
	n = strcspn(p + 1, " >/");
	if (n >= tlen)
		errx(2, "type too long");
	memcpy(type, p + 1, n);
	type[n] = '\0';
	if ((p = strstr(xml, "<DateEvt>")) == NULL ||
	    (q = strstr(p, "</DateEvt>")) == NULL || (size_t)(q - p - 9) >= dlen)
		errx(2, "no DateEvt");
	memcpy(dateevt, p + 9, q - p - 9);
	dateevt[q - p - 9] = '\0';
	if ((p = strstr(xml, "<IDEvt>")) == NULL ||
	    (q = strstr(p, "</IDEvt>")) == NULL)
		errx(2, "no IDEvt");
	snprintf(num, sizeof(num), "%" PRIu64, idevt);
	n = (p + 7 - xml) + strlen(num) + strlen(q);
	if ((out = malloc(n + 1)) == NULL)
		err(2, NULL);
	memcpy(out, xml, p + 7 - xml);
	strlcpy(out + (p + 7 - xml), num, n + 1 - (p + 7 - xml));
	strlcat(out, q, n + 1);
	*outlen = strlen(out);
	return out;
}

static int
cmd_make(int argc, char **argv)
{
	const char		*pki = NULL, *samples = NULL, *state = NULL;
	const char		*out = NULL;
	struct xades_signer	 sg;
	struct tsa		 tsa;
	struct seal_lot		 sl;
	struct seal_event	*ev;
	struct dirent		*de;
	DIR			*d;
	char			**traces = NULL, path[PATH_MAX], e[256], id[64];
	char			 type[TYPE_NAME_MAX], dateevt[DATEEVT_MAX];
	size_t			 ntraces = 0, len, i, j, plen;
	uint64_t		 nevents = 0, perlot = 0, idevt, lot;
	uint8_t			 prec[32];
	int64_t			 base;
	int			 ch;
	FILE			*idx;

	while ((ch = getopt(argc, argv, "p:a:s:n:l:o:")) != -1) {
		switch (ch) {
		case 'p': pki = optarg; break;
		case 'a': samples = optarg; break;
		case 's': state = optarg; break;
		case 'n': nevents = strtoull(optarg, NULL, 10); break;
		case 'l': perlot = strtoull(optarg, NULL, 10); break;
		case 'o': out = optarg; break;
		default: usage();
		}
	}
	if (!pki || !samples || !state || !out || !nevents || !perlot)
		usage();

	if ((d = opendir(samples)) == NULL)
		err(2, "%s", samples);
	while ((de = readdir(d)) != NULL) {
		len = strlen(de->d_name);
		if (len < 5 || strcmp(de->d_name + len - 4, ".xml") != 0 ||
		    strncmp(de->d_name, "placeholder", 11) == 0)
			continue;
		traces = reallocarray(traces, ntraces + 1, sizeof(*traces));
		snprintf(path, sizeof(path), "%s/%s", samples, de->d_name);
		traces[ntraces++] = slurp(path, &len);
	}
	closedir(d);
	if (ntraces == 0)
		errx(2, "no samples in %s", samples);

	snprintf(path, sizeof(path), "%s/regulator.pem", pki);
	crypt_init(path, "aes-256-gcm");
	snprintf(path, sizeof(path), "%s/seal.pem", pki);
	snprintf(e, sizeof(e), "%s/seal.key", pki);
	signer_load(&sg, path, e);
	tsa_setup(&tsa, pki, state);
	sg.stamp_arg = &tsa;

	mkdir(out, 0755);
	snprintf(path, sizeof(path), "%s/lots", out);
	mkdir(path, 0755);
	snprintf(path, sizeof(path), "%s/events", out);
	mkdir(path, 0755);
	snprintf(path, sizeof(path), "%s/lots.txt", out);
	if ((idx = fopen(path, "w")) == NULL)
		err(2, "%s", path);

	base = (int64_t)time(NULL) * 1000 - (int64_t)nevents * 3 - 2000;
	memset(prec, 0, sizeof(prec));
	ev = calloc(perlot, sizeof(*ev));
	for (lot = 1, idevt = 1; idevt <= nevents; lot++) {
		memset(&sl, 0, sizeof(sl));
		sl.lot = lot;
		sl.first = idevt;
		sl.operator_id = 48;
		sl.vault_id = 1;
		memcpy(sl.precedent, prec, 32);
		for (j = 0; j < perlot && idevt <= nevents; j++, idevt++) {
			char	*t;
			uint8_t	*p7m;

			t = trace_prepare(traces[idevt % ntraces], idevt, type,
			    sizeof(type), dateevt, sizeof(dateevt), &plen);
			if (crypt_encrypt((uint8_t *)t, plen, &p7m, &len) == -1)
				errx(2, "encryption failed");
			snprintf(path, sizeof(path), "%s/events/%012" PRIu64
			    ".p7m", out, idevt);
			spit(path, p7m, len);
			memset(&ev[j], 0, sizeof(ev[j]));
			ev[j].idevt = idevt;
			ev[j].received_ms = base + (int64_t)idevt * 3;
			strlcpy(ev[j].type, type, sizeof(ev[j].type));
			strlcpy(ev[j].dateevt, dateevt, sizeof(ev[j].dateevt));
			SHA256((uint8_t *)"depositor", 9, ev[j].depositor);
			SHA256(p7m, len, ev[j].file_sha256);
			free(p7m);
			free(t);
		}
		sl.last = idevt - 1;
		sl.nevents = j;
		{
			xmlDocPtr	 doc;
			xmlChar		*buf;
			int		 n;

			if ((doc = lot_build(&sl, ev, j, e, sizeof(e))) == NULL)
				errx(2, "lot_build: %s", e);
			lot_id(id, sizeof(id), lot);
			if (xades_sign(doc, id, &sg, time(NULL), prec, e,
			    sizeof(e)) == -1)
				errx(2, "xades_sign: %s", e);
			xmlDocDumpMemoryEnc(doc, &buf, &n, "UTF-8");
			snprintf(path, sizeof(path), "%s/lots/%012" PRIu64
			    ".xml", out, lot);
			spit(path, buf, n);
			xmlFree(buf);
			xmlFreeDoc(doc);
		}
		fprintf(idx, "%" PRIu64 " %" PRIu64 " %" PRIu64 " %" PRId64
		    "\n", lot, sl.first, sl.last, ev[0].received_ms);
	}
	fclose(idx);
	free(ev);
	{
		struct checkpoint_req		 cr;
		struct checkpoint_journal	 cj;

		memset(&cr, 0, sizeof(cr));
		memset(&cj, 0, sizeof(cj));
		cr.numero = 1;
		cr.last_lot = lot - 1;
		cr.last_idevt = nevents;
		cr.operator_id = 48;
		cr.vault_id = 1;
		memcpy(cr.lot_sigvalue, prec, 32);
		snprintf(path, sizeof(path), "%s/checkpoint.xml", out);
		checkpoint_write(path, &cr, &cj, (int64_t)time(NULL) * 1000,
		    &sg);
	}
	for (i = 0; i < ntraces; i++)
		free(traces[i]);
	free(traces);
	signers_free(&sg, &tsa);
	return 0;
}

/* Strip a lot's seal and seal it again with another key. */
static int
cmd_resign(int argc, char **argv)
{
	const char		*pki = NULL, *cert = NULL, *key = NULL;
	const char		*state = NULL, *in = NULL, *out = NULL;
	struct xades_signer	 sg;
	struct tsa		 tsa;
	xmlDocPtr		 doc;
	xmlNodePtr		 n, next;
	xmlChar			*buf, *id;
	uint8_t			 sv[32];
	char			 e[256];
	int			 ch, len;

	while ((ch = getopt(argc, argv, "p:c:k:s:i:o:")) != -1) {
		switch (ch) {
		case 'p': pki = optarg; break;
		case 'c': cert = optarg; break;
		case 'k': key = optarg; break;
		case 's': state = optarg; break;
		case 'i': in = optarg; break;
		case 'o': out = optarg; break;
		default: usage();
		}
	}
	if (!pki || !cert || !key || !state || !in || !out)
		usage();
	signer_load(&sg, cert, key);
	tsa_setup(&tsa, pki, state);
	sg.stamp_arg = &tsa;
	if ((doc = xmlReadFile(in, NULL, 0)) == NULL)
		errx(2, "%s: not XML", in);
	for (n = xmlDocGetRootElement(doc)->children; n != NULL; n = next) {
		next = n->next;
		if (n->type == XML_ELEMENT_NODE &&
		    strcmp((char *)n->name, "Signature") == 0) {
			xmlUnlinkNode(n);
			xmlFreeNode(n);
		}
	}
	id = xmlGetProp(xmlDocGetRootElement(doc), (const xmlChar *)"Id");
	if (xades_sign(doc, (char *)id, &sg, time(NULL), sv, e,
	    sizeof(e)) == -1)
		errx(2, "xades_sign: %s", e);
	xmlDocDumpMemoryEnc(doc, &buf, &len, "UTF-8");
	spit(out, buf, len);
	xmlFree(buf);
	xmlFree(id);
	xmlFreeDoc(doc);
	signers_free(&sg, &tsa);
	return 0;
}

/* SHA-256 of the decoded ds:SignatureValue of a sealed document. */
static void
sigvalue_of(const char *path, uint8_t *out)
{
	char		*buf, *p, *q;
	uint8_t		*der;
	size_t		 len;
	int		 n;

	buf = slurp(path, &len);
	if ((p = strstr(buf, "<ds:SignatureValue")) == NULL ||
	    (p = strchr(p, '>')) == NULL ||
	    (q = strstr(p, "</ds:SignatureValue>")) == NULL)
		errx(2, "%s: no SignatureValue", path);
	p++;
	*q = '\0';
	if ((der = malloc(strlen(p))) == NULL ||
	    (n = EVP_DecodeBlock(der, (uint8_t *)p, strlen(p))) <= 0)
		errx(2, "%s: SignatureValue is not base64", path);
	n -= (q[-1] == '=') + (q[-2] == '=');
	SHA256(der, n, out);
	free(der);
	free(buf);
}

static void
checkpoint_write(const char *path, const struct checkpoint_req *cr,
    const struct checkpoint_journal *cj, int64_t ms, struct xades_signer *sg)
{
	unsigned char	*xml, sv[32];
	size_t		 len;
	char		 e[256];
	int		 invalid;

	if (checkpoint_make(cr, cj, ms, sg, sv, &xml, &len, &invalid, e,
	    sizeof(e)) == -1)
		errx(2, "checkpoint_make: %s", e);
	spit(path, xml, len);
	free(xml);
}

/* Any checkpoint of a vault made by "make", for the tests. */
static int
cmd_checkpoint(int argc, char **argv)
{
	const char			*pki = NULL, *state = NULL, *dir = NULL;
	const char			*prev = NULL, *jfile = NULL, *meta = NULL;
	const char			*out = NULL;
	struct checkpoint_req		 cr;
	struct checkpoint_journal	 cj;
	struct xades_signer		 sg;
	struct tsa			 tsa;
	char				 path[PATH_MAX], e[PATH_MAX];
	uint64_t			 lot = 0, l, f, last, idevt = 0;
	int64_t				 ms = (int64_t)time(NULL) * 1000, r;
	unsigned int			 x;
	FILE				*idx;
	int				 ch, i;

	memset(&cr, 0, sizeof(cr));
	memset(&cj, 0, sizeof(cj));
	while ((ch = getopt(argc, argv, "p:s:v:n:l:i:P:j:m:T:o:")) != -1) {
		switch (ch) {
		case 'p': pki = optarg; break;
		case 's': state = optarg; break;
		case 'v': dir = optarg; break;
		case 'n': cr.numero = strtoull(optarg, NULL, 10); break;
		case 'l': lot = strtoull(optarg, NULL, 10); break;
		case 'i': idevt = strtoull(optarg, NULL, 10); break;
		case 'P': prev = optarg; break;
		case 'j': jfile = optarg; break;
		case 'm': meta = optarg; break;
		case 'T': ms = strtoll(optarg, NULL, 10); break;
		case 'o': out = optarg; break;
		default: usage();
		}
	}
	if (!pki || !state || !dir || !out || cr.numero == 0 ||
	    (jfile != NULL) != (meta != NULL))
		usage();
	snprintf(path, sizeof(path), "%s/lots.txt", dir);
	if ((idx = fopen(path, "r")) == NULL)
		err(2, "%s", path);
	while (fscanf(idx, "%" SCNu64 " %" SCNu64 " %" SCNu64 " %" SCNd64,
	    &l, &f, &last, &r) == 4)
		if (lot == 0 || l <= lot) {
			cr.last_lot = l;
			cr.last_idevt = last;
		}
	fclose(idx);
	if (cr.last_lot != 0) {
		snprintf(path, sizeof(path), "%s/lots/%012" PRIu64 ".xml", dir,
		    cr.last_lot);
		sigvalue_of(path, cr.lot_sigvalue);
	}
	if (idevt != 0)		/* a checkpoint that lies about its lot */
		cr.last_idevt = idevt;
	if (prev != NULL)
		sigvalue_of(prev, cr.precedent);
	if (jfile != NULL) {
		strlcpy(cj.file, jfile, sizeof(cj.file));
		for (i = 0; i < 32 && sscanf(meta + 2 * i, "%2x", &x) == 1; i++)
			cj.meta_sha256[i] = x;
		if (i != 32)
			errx(2, "-m: not 64 hex digits");
	}
	cr.operator_id = 48;
	cr.vault_id = 1;
	snprintf(path, sizeof(path), "%s/seal.pem", pki);
	snprintf(e, sizeof(e), "%s/seal.key", pki);
	signer_load(&sg, path, e);
	tsa_setup(&tsa, pki, state);
	sg.stamp_arg = &tsa;
	checkpoint_write(out, &cr, &cj, ms, &sg);
	signers_free(&sg, &tsa);
	return 0;
}

int
main(int argc, char *argv[])
{
	log_init(1, 0, 0);
	if (argc < 2)
		usage();
	if (strcmp(argv[1], "make") == 0)
		return cmd_make(argc - 1, argv + 1);
	if (strcmp(argv[1], "export") == 0)
		return vaultdb_export(argc - 1, argv + 1);
	if (strcmp(argv[1], "resign") == 0)
		return cmd_resign(argc - 1, argv + 1);
	if (strcmp(argv[1], "checkpoint") == 0)
		return cmd_checkpoint(argc - 1, argv + 1);
	usage();
}
