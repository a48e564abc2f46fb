/*
 * The RFC 3161 time-stamp token of a lot seal: signed by a certificate
 * of certs/tsa.pem (one a sealing site), which chains to the trust anchors at genTime and has
 * the critical timeStamping extended key usage; its imprint is SHA-256
 * of the canonical ds:SignatureValue; its genTime falls in the lot's
 * plausible window (see cfjl-export(5)).  The token is signed with
 * SHA-256 or stronger and names its certificate by ESSCertIDv2 with
 * SHA-256 or stronger (RFC 5816): SHA-1 is refused wherever it appears.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/asn1.h>
#include <openssl/err.h>
#include <openssl/objects.h>
#include <openssl/pkcs7.h>
#include <openssl/ts.h>
#include <openssl/x509.h>

#include "verify.h"

static X509_STORE	*tsa_store(struct vctx *, time_t);
static int		 tsa_algs(PKCS7 *, char *, size_t);
static int		 tsa_alg_plain(const X509_ALGOR *);
static int		 tsa_unsigned(PKCS7 *, STACK_OF(X509) *, X509 *);
static int		 tsa_essv2(PKCS7_SIGNER_INFO *, char *, size_t);

/*
 * signingCertificateV2: every ESSCertIDv2 hashes with SHA-256 (the
 * default, then absent from the DER) or stronger.
 */
static int
tsa_essv2(PKCS7_SIGNER_INFO *si, char *err, size_t errlen)
{
	ASN1_TYPE		*at, *t;
	STACK_OF(ASN1_TYPE)	*sc = NULL, *ids = NULL, *id = NULL;
	X509_ALGOR		*alg = NULL;
	const unsigned char	*p;
	int			 i, rc = -1;

	if ((at = PKCS7_get_signed_attribute(si,
	    NID_id_smime_aa_signingCertificateV2)) == NULL ||
	    at->type != V_ASN1_SEQUENCE) {
		snprintf(err, errlen, "it does not name its certificate with "
		    "ESSCertIDv2 (signingCertificateV2)");
		return (-1);
	}
	p = at->value.sequence->data;
	if ((sc = d2i_ASN1_SEQUENCE_ANY(NULL, &p,
	    at->value.sequence->length)) == NULL ||
	    sk_ASN1_TYPE_num(sc) < 1 ||
	    (t = sk_ASN1_TYPE_value(sc, 0))->type != V_ASN1_SEQUENCE ||
	    (p = t->value.sequence->data, ids = d2i_ASN1_SEQUENCE_ANY(NULL,
	    &p, t->value.sequence->length)) == NULL ||
	    sk_ASN1_TYPE_num(ids) < 1) {
		snprintf(err, errlen, "its signingCertificateV2 is malformed");
		goto done;
	}
	for (i = 0; i < sk_ASN1_TYPE_num(ids); i++) {
		t = sk_ASN1_TYPE_value(ids, i);
		sk_ASN1_TYPE_pop_free(id, ASN1_TYPE_free);
		id = NULL;
		if (t->type != V_ASN1_SEQUENCE || (p = t->value.sequence->data,
		    id = d2i_ASN1_SEQUENCE_ANY(NULL, &p,
		    t->value.sequence->length)) == NULL ||
		    sk_ASN1_TYPE_num(id) < 1) {
			snprintf(err, errlen, "its signingCertificateV2 is "
			    "malformed");
			goto done;
		}
		t = sk_ASN1_TYPE_value(id, 0);
		if (t->type == V_ASN1_OCTET_STRING)
			continue;		/* hashAlgorithm: SHA-256 */
		X509_ALGOR_free(alg);
		alg = NULL;
		if (t->type != V_ASN1_SEQUENCE ||
		    (p = t->value.sequence->data, alg = d2i_X509_ALGOR(NULL,
		    &p, t->value.sequence->length)) == NULL ||
		    !certs_digest_ok(OBJ_obj2nid(alg->algorithm))) {
			snprintf(err, errlen, "its ESSCertIDv2 hashes the "
			    "certificate with %s", alg ? OBJ_nid2sn(OBJ_obj2nid(
			    alg->algorithm)) : "an unreadable algorithm");
			goto done;
		}
	}
	rc = 0;
done:
	X509_ALGOR_free(alg);
	sk_ASN1_TYPE_pop_free(id, ASN1_TYPE_free);
	sk_ASN1_TYPE_pop_free(ids, ASN1_TYPE_free);
	sk_ASN1_TYPE_pop_free(sc, ASN1_TYPE_free);
	return (rc);
}

/* One SignerInfo, its digest and signature algorithms SHA-256 or more. */
static int
tsa_algs(PKCS7 *tok, char *err, size_t errlen)
{
	STACK_OF(PKCS7_SIGNER_INFO) *sis;
	PKCS7_SIGNER_INFO	*si;
	X509_ALGOR		*dig, *sig;
	int			 md, pk;

	if ((sis = PKCS7_get_signer_info(tok)) == NULL ||
	    sk_PKCS7_SIGNER_INFO_num(sis) != 1) {
		snprintf(err, errlen, "it must have exactly one signer");
		return (-1);
	}
	si = sk_PKCS7_SIGNER_INFO_value(sis, 0);
	PKCS7_SIGNER_INFO_get0_algs(si, NULL, &dig, &sig);
	if (dig == NULL || !certs_digest_ok(OBJ_obj2nid(dig->algorithm))) {
		snprintf(err, errlen, "it is signed with the digest %s",
		    dig ? OBJ_nid2sn(OBJ_obj2nid(dig->algorithm)) : "?");
		return (-1);
	}
	if (sig != NULL && OBJ_find_sigid_algs(OBJ_obj2nid(sig->algorithm),
	    &md, &pk) && md != NID_undef && !certs_digest_ok(md)) {
		snprintf(err, errlen, "it is signed with %s",
		    OBJ_nid2sn(OBJ_obj2nid(sig->algorithm)));
		return (-1);
	}
	return (tsa_essv2(si, err, errlen));
}

/* A store of the trust anchors that validates at time t. */
static X509_STORE *
tsa_store(struct vctx *ctx, time_t t)
{
	X509_STORE	*st;
	int		 i;

	if ((st = X509_STORE_new()) == NULL)
		return (NULL);
	for (i = 0; i < sk_X509_num(ctx->trust_certs); i++)
		X509_STORE_add_cert(st, sk_X509_value(ctx->trust_certs, i));
	X509_VERIFY_PARAM_set_time(X509_STORE_get0_param(st), t);
	X509_STORE_set_flags(st, X509_V_FLAG_PARTIAL_CHAIN);
	return (st);
}

/* An algorithm's parameters: absent or NULL, nothing else. */
static int
tsa_alg_plain(const X509_ALGOR *a)
{
	int	 pt;

	X509_ALGOR_get0(NULL, &pt, NULL, a);
	return (pt == V_ASN1_UNDEF || pt == V_ASN1_NULL);
}

/*
 * What the token's signature does not cover, held to the one form a
 * time-stamping unit writes, so that no byte of it changes unseen:
 * versions 3 and 1, one digest algorithm (the signer's), plain
 * parameters, the signer named exactly as its certificate names its
 * issuer, a signature algorithm of RSA or ECDSA, embedded certificates
 * from certs/tsa.pem only, no CRL, no unsigned attribute.
 */
static int
tsa_unsigned(PKCS7 *tok, STACK_OF(X509) *tsa, X509 *tsacert)
{
	PKCS7_SIGNED		*sd = tok->d.sign;
	PKCS7_SIGNER_INFO	*si;
	unsigned char		*a = NULL, *c = NULL;
	int			 i, j, found, al, cl, nid, rc = -1;

	if (!PKCS7_type_is_signed(tok) || sd == NULL ||
	    ASN1_INTEGER_get(sd->version) != 3 ||
	    sk_PKCS7_SIGNER_INFO_num(sd->signer_info) != 1 ||
	    sk_X509_ALGOR_num(sd->md_algs) != 1)
		return (-1);
	si = sk_PKCS7_SIGNER_INFO_value(sd->signer_info, 0);
	if (ASN1_INTEGER_get(si->version) != 1 ||
	    si->issuer_and_serial == NULL ||
	    OBJ_cmp(sk_X509_ALGOR_value(sd->md_algs, 0)->algorithm,
	    si->digest_alg->algorithm) != 0 ||
	    !tsa_alg_plain(sk_X509_ALGOR_value(sd->md_algs, 0)) ||
	    !tsa_alg_plain(si->digest_alg) ||
	    !tsa_alg_plain(si->digest_enc_alg) ||
	    sk_X509_ATTRIBUTE_num(si->unauth_attr) > 0 ||
	    sk_X509_CRL_num(sd->crl) > 0)
		return (-1);
	nid = OBJ_obj2nid(si->digest_enc_alg->algorithm);
	if (nid != NID_rsaEncryption && nid != NID_sha256WithRSAEncryption &&
	    nid != NID_sha384WithRSAEncryption &&
	    nid != NID_sha512WithRSAEncryption &&
	    nid != NID_ecdsa_with_SHA256 && nid != NID_ecdsa_with_SHA384 &&
	    nid != NID_ecdsa_with_SHA512)
		return (-1);
	if (ASN1_INTEGER_cmp(si->issuer_and_serial->serial,
	    X509_get0_serialNumber(tsacert)) != 0 ||
	    (al = i2d_X509_NAME(si->issuer_and_serial->issuer, &a)) <= 0 ||
	    (cl = i2d_X509_NAME(X509_get_issuer_name(tsacert), &c)) <= 0 ||
	    al != cl || memcmp(a, c, al) != 0)
		goto done;
	for (i = 0; i < sk_X509_num(sd->cert); i++) {
		for (j = 0, found = 0; j < sk_X509_num(tsa) && !found; j++)
			found = certs_equal(sk_X509_value(sd->cert, i),
			    sk_X509_value(tsa, j));
		if (!found)
			goto done;
	}
	rc = 0;
 done:
	OPENSSL_free(a);
	OPENSSL_free(c);
	return (rc);
}

int
tsacheck_verify(struct vctx *ctx, struct bundle *b, struct vlot *lot,
    const uint8_t *der, size_t len, const uint8_t *imprint)
{
	PKCS7		*tok = NULL;
	TS_TST_INFO	*tst = NULL;
	TS_MSG_IMPRINT	*mi;
	TS_VERIFY_CTX	*vctx = NULL;
	X509_STORE	*st = NULL;
	STACK_OF(X509)	*signers = NULL, *certs = NULL;
	const ASN1_GENERALIZEDTIME *gt;
	ASN1_OCTET_STRING *md;
	X509_ALGOR	*alg;
	X509		*tsacert;
	struct tm	 tm;
	unsigned char	*copy;
	const unsigned char *p = der;
	char		 err[256], name[256], when[40];
	unsigned long long num = lot->numero;
	int64_t		 last_recu = 0;
	size_t		 i;
	int		 rc = -1;

	if ((tok = d2i_PKCS7(NULL, &p, (long)len)) == NULL ||
	    p != der + len || (tst = PKCS7_to_TS_TST_INFO(tok)) == NULL) {
		report_fail("%s %llu: EncapsulatedTimeStamp is not an RFC 3161 "
		    "time-stamp token", VLOT_KIND(lot), num);
		goto done;
	}
	if ((gt = TS_TST_INFO_get_time(tst)) == NULL ||
	    !ASN1_TIME_to_tm(gt, &tm)) {
		report_fail("%s %llu: the time-stamp token has no valid genTime",
		    VLOT_KIND(lot), num);
		goto done;
	}
	lot->gentime_ms = (int64_t)timegm(&tm) * 1000;
	util_fmt_time_ms(lot->gentime_ms, when, sizeof(when));

	/* the imprint first: the clearest sign of a token moved from a lot */
	mi = TS_TST_INFO_get_msg_imprint(tst);
	alg = TS_MSG_IMPRINT_get_algo(mi);
	md = TS_MSG_IMPRINT_get_msg(mi);
	if (OBJ_obj2nid(alg->algorithm) != NID_sha256 ||
	    ASN1_STRING_length(md) != V_SHA256_LEN ||
	    memcmp(ASN1_STRING_get0_data(md), imprint, V_SHA256_LEN) != 0) {
		report_fail("%s %llu: the time-stamp token is not over this lot's "
		    "SignatureValue (imprint mismatch)", VLOT_KIND(lot), num);
		goto done;
	}

	if (b->tsa_certs == NULL) {
		report_fail("%s %llu: no time-stamping certificate to check the "
		    "token with", VLOT_KIND(lot), num);
		goto done;
	}
	if ((certs = X509_chain_up_ref(b->tsa_certs)) == NULL ||
	    (signers = PKCS7_get0_signers(tok, certs, 0)) == NULL ||
	    sk_X509_num(signers) != 1) {
		report_fail("%s %llu: the time-stamp token's signer is not in "
		    "certs/tsa.pem", VLOT_KIND(lot), num);
		ERR_clear_error();
		goto done;
	}
	/* One of certs/tsa.pem: each site has its time-stamping unit. */
	tsacert = NULL;
	for (i = 0; i < (size_t)sk_X509_num(b->tsa_certs) && tsacert == NULL;
	    i++)
		if (certs_equal(sk_X509_value(signers, 0),
		    sk_X509_value(b->tsa_certs, i)))
			tsacert = sk_X509_value(b->tsa_certs, i);
	if (tsacert == NULL) {
		report_fail("%s %llu: the time-stamp token is signed by %s, not "
		    "by a certificate of certs/tsa.pem", VLOT_KIND(lot), num,
		    certs_name(sk_X509_value(signers, 0), name, sizeof(name)));
		goto done;
	}
	/*
	 * What the token carries unsigned is certs/tsa.pem's or nothing:
	 * no certificate, CRL or unsigned attribute may differ unseen.
	 */
	if (tsa_unsigned(tok, b->tsa_certs, tsacert) == -1) {
		report_fail("lot %llu: the time-stamp token is not in the one "
		    "form of a token: its unsigned parts (versions, "
		    "algorithms, signer's name, certificates) differ", num);
		goto done;
	}
	if (certs_verify(ctx, tsacert, b->tsa_certs, (time_t)(lot->gentime_ms /
	    1000), err, sizeof(err)) == -1) {
		report_fail("%s %llu: the time-stamping certificate %s does not "
		    "chain to the trust anchors at genTime: %s", VLOT_KIND(lot), num,
		    certs_name(tsacert, name, sizeof(name)), err);
		goto done;
	}
	if (certs_tsa_usage(tsacert, err, sizeof(err)) == -1) {
		report_fail("%s %llu: the time-stamping certificate may not "
		    "time-stamp: %s", VLOT_KIND(lot), num, err);
		goto done;
	}
	if (revoke_check(ctx, tsacert, b->tsa_certs, (time_t)(lot->gentime_ms /
	    1000), err, sizeof(err)) == -1) {
		report_fail("lot %llu: the time-stamping certificate %s is "
		    "refused: %s", num, certs_name(tsacert, name, sizeof(name)),
		    err);
		goto done;
	}

	if (tsa_algs(tok, err, sizeof(err)) == -1) {
		report_fail("%s %llu: the time-stamp token is refused: %s", VLOT_KIND(lot), num,
		    err);
		goto done;
	}

	/* the token's own signature, the way openssl ts -verify does it */
	if ((vctx = TS_VERIFY_CTX_new()) == NULL ||
	    (st = tsa_store(ctx, (time_t)(lot->gentime_ms / 1000))) == NULL ||
	    (copy = OPENSSL_memdup(imprint, V_SHA256_LEN)) == NULL) {
		report_error("%s %llu: out of memory", VLOT_KIND(lot), num);
		goto done;
	}
	TS_VERIFY_CTX_set_flags(vctx, TS_VFY_VERSION | TS_VFY_SIGNATURE |
	    TS_VFY_IMPRINT);
	TS_VERIFY_CTX_set_imprint(vctx, copy, V_SHA256_LEN);
	TS_VERIFY_CTX_set_store(vctx, st);
	st = NULL;
	TS_VERIFY_CTX_set_certs(vctx, certs);
	certs = NULL;
	if (TS_RESP_verify_token(vctx, tok) != 1) {
		unsigned long e = ERR_peek_last_error();

		report_fail("%s %llu: the time-stamp token's signature does not "
		    "verify: %s", VLOT_KIND(lot), num, e ? ERR_reason_error_string(e) : "?");
		ERR_clear_error();
		goto done;
	}

	/* a plausible time: after the events, soon after the signature */
	for (i = 0; i < lot->nentries; i++)
		if (lot->entries[i].recu_ms > last_recu)
			last_recu = lot->entries[i].recu_ms;
	if (lot->gentime_ms + V_SKEW_MS < last_recu) {
		report_fail("%s %llu: the time-stamp (%s) is earlier than the "
		    "lot's last event", VLOT_KIND(lot), num, when);
		goto done;
	}
	if (lot->signing_ms != 0 &&
	    (lot->gentime_ms + V_SKEW_MS < lot->signing_ms ||
	    lot->gentime_ms > lot->signing_ms + V_SEAL_DELAY_MS)) {
		report_fail("%s %llu: the time-stamp (%s) is not within %d s after "
		    "SigningTime", VLOT_KIND(lot), num, when, V_SEAL_DELAY_MS / 1000);
		goto done;
	}
	if (X509_digest(tsacert, EVP_sha256(), lot->tsa_fp, NULL))
		lot->has_tsa_fp = 1;
	rc = 0;
done:
	if (signers != NULL)
		sk_X509_free(signers);
	if (certs != NULL)
		sk_X509_pop_free(certs, X509_free);
	X509_STORE_free(st);
	TS_VERIFY_CTX_free(vctx);
	TS_TST_INFO_free(tst);
	PKCS7_free(tok);
	return (rc);
}
