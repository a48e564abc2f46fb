/*
 * The lot written as text (lotxml.c) against libxml2: for lots of all
 * shapes, the bytes equal the serialisation of lot_build()'s tree, the
 * digest equals SHA-256 of libxml2's exclusive canonical form, and a
 * whole seal made the fast way equals, byte for byte, the seal made on
 * the tree with the same key, time and token.  Times are checked
 * against gmtime and strftime.  No HSM: a key made here.
 *
 *	lotxml_test		exit 0 when everything is equal
 */
#include <err.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>

#include <libxml/parser.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include "log.h"
#include "proto.h"
#include "c14n.h"
#include "lot.h"
#include "lotxml.h"
#include "xades.h"

static int	 fails, checks;

static void	 check(int, const char *, uint64_t);
static int	 fake_stamp(void *, const unsigned char *, unsigned char **,
		    size_t *, char *, size_t);
static void	 make_signer(struct xades_signer *);
static void	 make_lot(struct seal_lot *, struct seal_event **, size_t,
		    uint64_t, int64_t, int64_t);
static void	 compare(const struct seal_lot *, const struct seal_event *,
		    size_t, const struct xades_signer *);
static void	 times(void);

static void
check(int ok, const char *what, uint64_t lot)
{
	checks++;
	if (!ok) {
		fails++;
		printf("not ok - lot %" PRIu64 ": %s\n", lot, what);
	}
}

/* A token that depends on the imprint only, so both ways get the same. */
static int
fake_stamp(void *arg, const unsigned char *imprint, unsigned char **tok,
    size_t *len, char *err, size_t errlen)
{
	if ((*tok = malloc(64)) == NULL)
		return -1;
	memcpy(*tok, imprint, 32);
	memcpy(*tok + 32, imprint, 32);
	*len = 64;
	return 0;
}

static void
make_signer(struct xades_signer *sg)
{
	X509		*x;
	X509_NAME	*n;

	memset(sg, 0, sizeof(*sg));
	if ((sg->key = EVP_RSA_gen(2048)) == NULL || (x = X509_new()) == NULL)
		errx(1, "key");
	n = X509_get_subject_name(x);
	X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC,
	    (const unsigned char *)"lotxml test", -1, -1, 0);
	if (!ASN1_INTEGER_set(X509_get_serialNumber(x), 4242) ||
	    !X509_set_issuer_name(x, n) ||
	    !X509_gmtime_adj(X509_getm_notBefore(x), 0) ||
	    !X509_gmtime_adj(X509_getm_notAfter(x), 86400) ||
	    !X509_set_pubkey(x, sg->key) || !X509_sign(x, sg->key, EVP_sha256()))
		errx(1, "certificate");
	sg->cert = x;
	sg->stamp = fake_stamp;
}

static void
make_lot(struct seal_lot *sl, struct seal_event **evp, size_t n,
    uint64_t first, int64_t t0, int64_t step)
{
	static const char	*types[] = { "OUVINFOPERSO", "PASPMISE", "A",
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZ_0123" };
	struct seal_event	*ev;
	size_t			 i;

	if ((ev = calloc(n, sizeof(*ev))) == NULL)
		err(1, NULL);
	memset(sl, 0, sizeof(*sl));
	sl->lot = first;
	sl->nevents = n;
	sl->first = first;
	sl->last = first + n - 1;
	sl->operator_id = (uint32_t)(first * 7);
	sl->vault_id = (uint32_t)first % 5;
	RAND_bytes(sl->precedent, sizeof(sl->precedent));
	for (i = 0; i < n; i++) {
		ev[i].idevt = first + i;
		ev[i].received_ms = t0 + (int64_t)i * step;
		strlcpy(ev[i].type, types[i % 4], sizeof(ev[i].type));
		strlcpy(ev[i].dateevt, i % 3 ? "100412103320" : "9",
		    sizeof(ev[i].dateevt));
		RAND_bytes(ev[i].depositor, sizeof(ev[i].depositor));
		RAND_bytes(ev[i].file_sha256, sizeof(ev[i].file_sha256));
		/* Some depositors send their own time, in its forms. */
		if (i % 5 == 1)
			strlcpy(ev[i].stamp, "2026-11-24T10:00:00Z",
			    sizeof(ev[i].stamp));
		else if (i % 5 == 3)
			strlcpy(ev[i].stamp,
			    "2026-11-24t11:00:00.123456789+01:00",
			    sizeof(ev[i].stamp));
	}
	*evp = ev;
}

static void
compare(const struct seal_lot *sl, const struct seal_event *ev, size_t n,
    const struct xades_signer *sg)
{
	struct lotxml	 lx;
	xmlDocPtr	 doc;
	xmlChar		*dump = NULL;
	unsigned char	 dig[32], sv1[32], sv2[32], *sig;
	size_t		 siglen;
	char		 id[LOT_ID_MAX], e1[512], e2[512];
	int		 dl;
	time_t		 when = 1795514400;

	if ((doc = lot_build(sl, ev, n, e1, sizeof(e1))) == NULL)
		errx(1, "lot_build: %s", e1);
	if (lotxml_write(&lx, sl, ev, n, 0, e2, sizeof(e2)) != 0)
		errx(1, "lotxml_write: %s", e2);

	/* The digest: libxml2's exclusive c14n of the unsigned tree. */
	check(c14n_exc_sha256(doc, NULL, NULL, dig) == 0 &&
	    memcmp(dig, lx.digest, 32) == 0,
	    "digest equals libxml2's exclusive c14n", sl->lot);

	/* The whole seal, both ways. */
	lot_id(id, sizeof(id), sl->lot);
	if (xades_sign(doc, id, sg, when, sv1, e1, sizeof(e1)) == -1)
		errx(1, "xades_sign: %s", e1);
	xmlDocDumpMemoryEnc(doc, &dump, &dl, "UTF-8");
	if (xades_sign_digest(lx.digest, id, sg, when, sv2, &sig, &siglen, e2,
	    sizeof(e2)) == -1)
		errx(1, "xades_sign_digest: %s", e2);
	if (lotxml_append(&lx, sig, siglen) == -1 || lotxml_end(&lx) == -1)
		errx(1, "lotxml_append");
	check(dump != NULL && (size_t)dl == lx.len &&
	    memcmp(dump, lx.buf, lx.len) == 0,
	    "sealed bytes equal the tree's serialisation", sl->lot);
	check(memcmp(sv1, sv2, 32) == 0, "same SignatureValue digest",
	    sl->lot);
	if (dump != NULL && ((size_t)dl != lx.len ||
	    memcmp(dump, lx.buf, lx.len) != 0)) {
		fwrite(dump, 1, dl, stderr);
		fwrite(lx.buf, 1, lx.len, stderr);
	}
	xmlFree(dump);
	xmlFreeDoc(doc);
	free(sig);
	lotxml_free(&lx);
}

/* lot_time_ms against gmtime and strftime, edges and random. */
static void
times(void)
{
	static const int64_t	 edge[] = { 0, 999, 86399999, 86400000,
	    951782400000LL, 951868800000LL, 4107542399999LL,
	    253402300799999LL, 1795514400123LL };
	struct tm		 tm;
	time_t			 t;
	int64_t			 ms;
	uint64_t		 r;
	char			 a[64], b[64], s[32];
	size_t			 i;

	for (i = 0; i < sizeof(edge) / sizeof(edge[0]) + 100000; i++) {
		if (i < sizeof(edge) / sizeof(edge[0]))
			ms = edge[i];
		else {
			RAND_bytes((unsigned char *)&r, sizeof(r));
			ms = (int64_t)(r % (uint64_t)LOT_TIME_MAX_MS);
		}
		t = ms / 1000;
		gmtime_r(&t, &tm);
		strftime(s, sizeof(s), "%Y-%m-%dT%H:%M:%S", &tm);
		snprintf(b, sizeof(b), "%s.%03dZ", s, (int)(ms % 1000));
		check(lot_time_ms(a, sizeof(a), ms) == 0 && strcmp(a, b) == 0,
		    "time as strftime writes it", (uint64_t)ms);
	}
	check(lot_time_ms(a, sizeof(a), -1) == -1, "negative time refused", 0);
	check(lot_time_ms(a, sizeof(a), LOT_TIME_MAX_MS) == -1,
	    "year 10000 refused", 0);
}

int
main(void)
{
	struct xades_signer	 sg;
	struct seal_lot		 sl;
	struct seal_event	*ev;
	struct lotxml		 lx;
	char			 e1[512], e2[512];
	static const struct {
		size_t		 n;
		uint64_t	 first;
		int64_t		 t0, step;
	} shapes[] = {
		{ 1, 1, 0, 1 },
		{ 2, 9, 1795514400123LL, 1001 },
		{ 100, 1000, 951782399000LL, 997 },
		{ 1000, 123456789012ULL, 1795514400123LL, 3 },
		{ 1000, 9999999999999ULL, 4107542000000LL, 86400001 },
		{ 7, UINT64_MAX - 10, 253402300000000LL, 111 },
	};
	size_t			 i;

	log_init(1, 2, LOG_DAEMON);
	xmlInitParser();
	make_signer(&sg);
	times();
	for (i = 0; i < sizeof(shapes) / sizeof(shapes[0]); i++) {
		make_lot(&sl, &ev, shapes[i].n, shapes[i].first, shapes[i].t0,
		    shapes[i].step);
		compare(&sl, ev, shapes[i].n, &sg);
		free(ev);
	}

	/* A refused lot: the same sentence as lot_build's. */
	make_lot(&sl, &ev, 3, 50, 0, 1);
	ev[1].idevt = 77;
	check(lotxml_write(&lx, &sl, ev, 3, 0, e1, sizeof(e1)) ==
	    LOTXML_INVALID && lot_build(&sl, ev, 3, e2, sizeof(e2)) == NULL &&
	    strcmp(e1, e2) == 0 && lx.buf == NULL, "gap in IDEvt refused", 50);
	ev[1].idevt = 51;
	strlcpy(ev[2].type, "PASP<MISE", sizeof(ev[2].type));
	check(lotxml_write(&lx, &sl, ev, 3, 0, e1, sizeof(e1)) ==
	    LOTXML_INVALID, "type with markup refused", 50);
	strlcpy(ev[2].type, "PASPMISE", sizeof(ev[2].type));
	strlcpy(ev[2].stamp, "2026-11-24T10:00:00\"/><X", sizeof(ev[2].stamp));
	check(lotxml_write(&lx, &sl, ev, 3, 0, e1, sizeof(e1)) ==
	    LOTXML_INVALID && lot_build(&sl, ev, 3, e2, sizeof(e2)) == NULL,
	    "depositor's time with markup refused", 50);
	strlcpy(ev[2].stamp, "2026-02-29T10:00:00Z", sizeof(ev[2].stamp));
	check(lotxml_write(&lx, &sl, ev, 3, 0, e1, sizeof(e1)) ==
	    LOTXML_INVALID, "depositor's time on a day that is not refused",
	    50);
	ev[2].stamp[0] = '\0';
	ev[0].received_ms = LOT_TIME_MAX_MS;
	check(lotxml_write(&lx, &sl, ev, 3, 0, e1, sizeof(e1)) ==
	    LOTXML_INVALID, "time past 9999 refused", 50);
	free(ev);

	printf("%d checks, %d failed\n", checks, fails);
	EVP_PKEY_free(sg.key);
	X509_free(sg.cert);
	return fails == 0 ? 0 : 1;
}
