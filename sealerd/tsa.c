/*
 * The embedded time-stamping unit.  OpenSSL's TS_RESP_CTX does the RFC
 * 3161 work: we build the request for the imprint ourselves (SHA-256, a
 * random 64-bit nonce, certReq so the token carries the TSA
 * certificate), have it answered with the token-backed key, and keep
 * only the token.  ESSCertIDv2 (SHA-256) names the signing certificate.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/objects.h>
#include <openssl/rand.h>
#include <openssl/ts.h>

#include "config.h"
#include "log.h"
#include "ossl.h"
#include "tsa.h"

static ASN1_INTEGER *tsa_serial_cb(TS_RESP_CTX *, void *);
static TS_REQ	*tsa_request(const unsigned char *);

int
tsa_init(struct tsa *t, const struct cfjl_sealerd_conf *sc, char *err,
    size_t errlen)
{
	memset(t, 0, sizeof(t[0]));
	if (sc->tsa_policy[0] == '\0') {
		snprintf(err, errlen, "no tsa policy configured");
		return -1;
	}
	strlcpy(t->policy, sc->tsa_policy, sizeof(t->policy));
	t->accuracy_ms = sc->tsa_accuracy_ms;
	clock_init(&t->clock, sc->clock_max_error_us, sc->clock_relaxed);
	return serial_open(&t->serial, sc->state_dir, err, errlen);
}

void
tsa_set_signer(struct tsa *t, EVP_PKEY *key, X509 *cert,
    STACK_OF(X509) *chain)
{
	t->key = key;
	t->cert = cert;
	t->chain = chain;
}

void
tsa_close(struct tsa *t)
{
	serial_close(&t->serial);
	t->key = NULL;
}

static ASN1_INTEGER *
tsa_serial_cb(TS_RESP_CTX *ctx, void *arg)
{
	struct tsa	*t = arg;
	ASN1_INTEGER	*i;
	uint64_t	 s;

	if ((s = serial_next(&t->serial)) == 0 ||
	    (i = ASN1_INTEGER_new()) == NULL)
		goto fail;
	if (!ASN1_INTEGER_set_uint64(i, s)) {
		ASN1_INTEGER_free(i);
		goto fail;
	}
	return i;
 fail:
	TS_RESP_CTX_set_status_info(ctx, TS_STATUS_REJECTION,
	    "no serial number");
	TS_RESP_CTX_add_failure_info(ctx, TS_INFO_ADD_INFO_NOT_AVAILABLE);
	return NULL;
}

static TS_REQ *
tsa_request(const unsigned char *imprint)
{
	TS_REQ		*req = NULL;
	TS_MSG_IMPRINT	*mi = NULL;
	X509_ALGOR	*alg = NULL;
	ASN1_INTEGER	*nonce = NULL;
	uint64_t	 n;

	if ((req = TS_REQ_new()) == NULL || !TS_REQ_set_version(req, 1) ||
	    (mi = TS_MSG_IMPRINT_new()) == NULL ||
	    (alg = X509_ALGOR_new()) == NULL)
		goto fail;
	X509_ALGOR_set0(alg, OBJ_nid2obj(NID_sha256), V_ASN1_NULL, NULL);
	if (!TS_MSG_IMPRINT_set_algo(mi, alg) ||
	    !TS_MSG_IMPRINT_set_msg(mi, (unsigned char *)(uintptr_t)imprint,
	    32) || !TS_REQ_set_msg_imprint(req, mi))
		goto fail;
	if (RAND_bytes((unsigned char *)&n, sizeof(n)) != 1 ||
	    (nonce = ASN1_INTEGER_new()) == NULL ||
	    !ASN1_INTEGER_set_uint64(nonce, n) ||
	    !TS_REQ_set_nonce(req, nonce) || !TS_REQ_set_cert_req(req, 1))
		goto fail;
	ASN1_INTEGER_free(nonce);
	TS_MSG_IMPRINT_free(mi);
	X509_ALGOR_free(alg);
	return req;
 fail:
	ASN1_INTEGER_free(nonce);
	TS_MSG_IMPRINT_free(mi);
	X509_ALGOR_free(alg);
	TS_REQ_free(req);
	return NULL;
}

int
tsa_stamp(struct tsa *t, const unsigned char imprint[32],
    unsigned char **der, size_t *len, int *clock_refused, char *err,
    size_t errlen)
{
	TS_RESP_CTX	*ctx = NULL;
	TS_REQ		*req = NULL;
	TS_RESP		*resp = NULL;
	ASN1_OBJECT	*policy = NULL;
	BIO		*rb = NULL;
	unsigned char	*p = NULL, *q;
	int		 l, st, rc = -1;

	*clock_refused = 0;
	*der = NULL;
	if (clock_check(&t->clock) == -1) {
		*clock_refused = 1;
		snprintf(err, errlen, "time-stamping refused: %s",
		    t->clock.why);
		return -1;
	}
	if (t->key == NULL || t->cert == NULL) {
		snprintf(err, errlen, "the time-stamping key is not available");
		return -1;
	}
	if ((policy = OBJ_txt2obj(t->policy, 1)) == NULL) {
		snprintf(err, errlen, "tsa policy %s is not an OID", t->policy);
		return -1;
	}
	if ((ctx = TS_RESP_CTX_new()) == NULL ||
	    !TS_RESP_CTX_set_signer_cert(ctx, t->cert) ||
	    !TS_RESP_CTX_set_signer_key(ctx, t->key) ||
	    !TS_RESP_CTX_set_signer_digest(ctx, EVP_sha256()) ||
	    !TS_RESP_CTX_set_ess_cert_id_digest(ctx, EVP_sha256()) ||
	    (t->chain != NULL && sk_X509_num(t->chain) > 0 &&
	    !TS_RESP_CTX_set_certs(ctx, t->chain)) ||
	    !TS_RESP_CTX_set_def_policy(ctx, policy) ||
	    !TS_RESP_CTX_add_md(ctx, EVP_sha256()) ||
	    !TS_RESP_CTX_set_accuracy(ctx, t->accuracy_ms / 1000,
	    t->accuracy_ms % 1000, 0) ||
	    !TS_RESP_CTX_set_clock_precision_digits(ctx, 3)) {
		snprintf(err, errlen, "time-stamping unit set-up: %s",
		    ossl_error());
		goto done;
	}
	TS_RESP_CTX_set_serial_cb(ctx, tsa_serial_cb, t);

	if ((req = tsa_request(imprint)) == NULL ||
	    (rb = BIO_new(BIO_s_mem())) == NULL ||
	    i2d_TS_REQ_bio(rb, req) != 1) {
		snprintf(err, errlen, "time-stamp request: %s",
		    ossl_error());
		goto done;
	}
	if ((resp = TS_RESP_create_response(ctx, rb)) == NULL) {
		snprintf(err, errlen, "time-stamping failed: %s",
		    ossl_error());
		goto done;
	}
	st = ASN1_INTEGER_get(TS_STATUS_INFO_get0_status(
	    TS_RESP_get_status_info(resp)));
	if (st != TS_STATUS_GRANTED && st != TS_STATUS_GRANTED_WITH_MODS) {
		snprintf(err, errlen, "time-stamping refused (status %d): %s",
		    st, ossl_error());
		goto done;
	}
	if ((l = i2d_PKCS7(TS_RESP_get_token(resp), NULL)) <= 0 ||
	    (p = malloc(l)) == NULL) {
		snprintf(err, errlen, "cannot encode the time-stamp token");
		goto done;
	}
	q = p;
	i2d_PKCS7(TS_RESP_get_token(resp), &q);
	*der = p;
	*len = l;
	p = NULL;
	t->tokens++;
	rc = 0;
 done:
	free(p);
	BIO_free(rb);
	TS_RESP_free(resp);
	TS_REQ_free(req);
	TS_RESP_CTX_free(ctx);
	ASN1_OBJECT_free(policy);
	return rc;
}
