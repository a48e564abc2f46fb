/*
 * Which certificates sealed the bundle: one sealing site, or a standby
 * that took over (cfjl(7), DEPLOYMENT).  Each lot's certificate was
 * checked on its own (xadescheck.c, tsacheck.c); here the runs of lots
 * sealed and time-stamped by each are told, so that a change of
 * certificate is seen, with the checkpoint's.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include "verify.h"

#define SEALERS_RUNS_MAX	8	/* told one by one; the rest counted */

static void	 sealers_kind(struct bundle *, int);
static X509	*sealers_find(STACK_OF(X509) *, const uint8_t *);
static void	 sealers_name(STACK_OF(X509) *, const uint8_t *, char *,
		    size_t);

static X509 *
sealers_find(STACK_OF(X509) *sk, const uint8_t *fp)
{
	uint8_t		 md[V_SHA256_LEN];
	int		 i;

	for (i = 0; sk != NULL && i < sk_X509_num(sk); i++)
		if (X509_digest(sk_X509_value(sk, i), EVP_sha256(), md,
		    NULL) && memcmp(md, fp, V_SHA256_LEN) == 0)
			return (sk_X509_value(sk, i));
	return (NULL);
}

/* "subject (serial HEX)" */
static void
sealers_name(STACK_OF(X509) *sk, const uint8_t *fp, char *buf, size_t len)
{
	X509	*x;
	BIGNUM	*bn = NULL;
	char	 subj[256], *hex = NULL;

	if ((x = sealers_find(sk, fp)) == NULL) {
		snprintf(buf, len, "?");
		return;
	}
	certs_name(x, subj, sizeof(subj));
	if ((bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(x), NULL)) != NULL)
		hex = BN_bn2hex(bn);
	snprintf(buf, len, "%s (serial %s)", subj, hex != NULL ? hex : "?");
	OPENSSL_free(hex);
	BN_free(bn);
}

/* tsa 0: the seal certificates; 1: the time-stamping ones. */
static void
sealers_kind(struct bundle *b, int tsa)
{
	STACK_OF(X509)	*sk = tsa ? b->tsa_certs : b->seal_certs;
	const uint8_t	*fp, *cur = NULL;
	const char	*verb = tsa ? "time-stamped" : "sealed";
	char		 line[900], name[400], part[600];
	unsigned long long first = 0, last = 0;
	size_t		 i, runs = 0, more = 0;
	int		 have, changes;

	line[0] = '\0';
	for (i = 0; i <= b->nlots; i++) {
		if (i < b->nlots) {
			have = tsa ? b->lots[i].has_tsa_fp :
			    b->lots[i].has_seal_fp;
			if (!have)
				continue;
			fp = tsa ? b->lots[i].tsa_fp : b->lots[i].seal_fp;
			if (cur != NULL && memcmp(fp, cur, V_SHA256_LEN) == 0) {
				last = b->lots[i].numero;
				continue;
			}
		} else
			fp = NULL;
		if (cur != NULL) {
			/* a run ends: lots first..last by cur */
			if (runs < SEALERS_RUNS_MAX) {
				sealers_name(sk, cur, name, sizeof(name));
				if (runs == 0)
					snprintf(part, sizeof(part), "lots "
					    "%llu..%llu %s by %s", first, last,
					    verb, name);
				else
					snprintf(part, sizeof(part), ", lots "
					    "%llu..%llu by %s", first, last,
					    name);
				strlcat(line, part, sizeof(line));
			} else
				more++;
			runs++;
		}
		if (fp == NULL)
			break;
		cur = fp;
		first = last = b->lots[i].numero;
	}
	if (more > 0) {
		snprintf(part, sizeof(part), ", and %zu more changes", more);
		strlcat(line, part, sizeof(line));
	}
	changes = runs > 1;
	have = tsa ? b->ck.has_tsa_fp : b->ck.has_seal_fp;
	if (have) {
		fp = tsa ? b->ck.tsa_fp : b->ck.seal_fp;
		/* The checkpoint sealed by another than the last lots'. */
		if (cur != NULL && memcmp(fp, cur, V_SHA256_LEN) != 0)
			changes = 1;
		sealers_name(sk, fp, name, sizeof(name));
		snprintf(part, sizeof(part), "%scheckpoint %llu %s by %s",
		    runs > 0 ? "; " : "", (unsigned long long)b->ck.numero,
		    verb, name);
		strlcat(line, part, sizeof(line));
	}
	if (line[0] == '\0')
		return;
	if (changes)
		report_note("the %s certificate changes: %s", tsa ?
		    "time-stamping" : "seal", line);
	else
		report_ok("%s certificate: %s", tsa ? "time-stamping" :
		    "seal", line);
}

void
sealers_report(struct bundle *b)
{
	sealers_kind(b, 0);
	sealers_kind(b, 1);
}
