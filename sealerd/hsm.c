/*
 * sealerd's link to the HSM through libp11: module, token by label,
 * login, keys by label.  A token that is missing or refuses us is not
 * fatal: sealerd says why, answers "retry later" and opens it again.
 *
 * The module stays mapped from the first load (we hold our own dlopen
 * reference), so that re-initialising it after a failure needs no
 * executable mapping, which the sandbox forbids.
 */
#include <sys/types.h>

#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <libp11.h>

#include "config.h"
#include "log.h"
#include "ossl.h"
#include "hsm.h"

static int	 hsm_key_find(struct hsm *, PKCS11_TOKEN *, const char *,
		    struct hsm_key *);
static void	 hsm_unload(struct hsm *);
static int	 hsm_seal_usage(X509 *);

/*
 * The sealing certificate has the critical extended key usage
 * documentSigning (1.3.6.1.5.5.7.3.36) alone, as cfjl-verify(1)
 * requires: seals made with any other would all be refused.
 */
static int
hsm_seal_usage(X509 *x)
{
	EXTENDED_KEY_USAGE	*eku;
	ASN1_OBJECT		*docsign;
	int			 crit, ok = 0;

	if ((docsign = OBJ_txt2obj("1.3.6.1.5.5.7.3.36", 1)) == NULL)
		return -1;
	if ((eku = X509_get_ext_d2i(x, NID_ext_key_usage, &crit,
	    NULL)) != NULL) {
		ok = crit == 1 && sk_ASN1_OBJECT_num(eku) == 1 &&
		    OBJ_cmp(sk_ASN1_OBJECT_value(eku, 0), docsign) == 0;
		sk_ASN1_OBJECT_pop_free(eku, ASN1_OBJECT_free);
	}
	ASN1_OBJECT_free(docsign);
	ERR_clear_error();
	return ok ? 0 : -1;
}

int
hsm_cert_load(const char *path, X509 **cert, STACK_OF(X509) **chain,
    char *err, size_t errlen)
{
	BIO	*b;
	X509	*x;

	*cert = NULL;
	if ((*chain = sk_X509_new_null()) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	if ((b = BIO_new_file(path, "r")) == NULL) {
		snprintf(err, errlen, "cannot read certificate %s "
		    "(install it with cfjl-keys install)", path);
		ERR_clear_error();
		return -1;
	}
	while ((x = PEM_read_bio_X509(b, NULL, NULL, NULL)) != NULL) {
		if (*cert == NULL)
			*cert = x;
		else if (!sk_X509_push(*chain, x))
			X509_free(x);
	}
	ERR_clear_error();
	BIO_free(b);
	if (*cert == NULL) {
		snprintf(err, errlen, "%s holds no PEM certificate", path);
		return -1;
	}
	return 0;
}

int
hsm_init(struct hsm *h, const struct cfjl_sealerd_conf *sc)
{
	memset(h, 0, sizeof(*h));
	strlcpy(h->module, sc->pkcs11_module, sizeof(h->module));
	strlcpy(h->token, sc->pkcs11_token, sizeof(h->token));
	strlcpy(h->seal_label, sc->seal_key, sizeof(h->seal_label));
	strlcpy(h->tsa_label, sc->tsa_key, sizeof(h->tsa_label));
	if (h->module[0] == '\0' || h->token[0] == '\0' ||
	    h->seal_label[0] == '\0' || h->tsa_label[0] == '\0') {
		snprintf(h->err, sizeof(h->err), "the configuration needs "
		    "pkcs11 module, pkcs11 token, seal key and tsa key");
		return -1;
	}
	if (hsm_cert_load(sc->seal_cert, &h->seal.cert, &h->seal.chain,
	    h->err, sizeof(h->err)) == -1 ||
	    hsm_cert_load(sc->tsa_cert, &h->tsa.cert, &h->tsa.chain,
	    h->err, sizeof(h->err)) == -1)
		return -1;
	if (hsm_seal_usage(h->seal.cert) == -1) {
		snprintf(h->err, sizeof(h->err), "the sealing certificate %.300s "
		    "lacks the critical extended key usage documentSigning "
		    "(1.3.6.1.5.5.7.3.36) alone: its seals would be refused",
		    sc->seal_cert);
		return -1;
	}
	h->certs = 1;
	if (pinfile_read(sc->pkcs11_pin_file, h->pin, sizeof(h->pin), h->err,
	    sizeof(h->err)) == -1)
		return -1;
	if ((h->ctx = PKCS11_CTX_new()) == NULL) {
		snprintf(h->err, sizeof(h->err), "PKCS11_CTX_new failed");
		return -1;
	}
	/* Not fatal: hsm_open() says so and tries again. */
	h->dl = dlopen(h->module, RTLD_NOW | RTLD_LOCAL);
	if (h->dl == NULL)
		snprintf(h->err, sizeof(h->err), "cannot load PKCS#11 module "
		    "%.300s: %.150s", h->module, dlerror());
	return 0;
}

static void
hsm_unload(struct hsm *h)
{
	if (h->slots != NULL) {
		PKCS11_release_all_slots(h->ctx, h->slots, h->nslots);
		h->slots = NULL;
		h->nslots = 0;
	}
	/* libp11 would call through a null function list if not loaded. */
	if (h->ctx != NULL && h->loaded)
		PKCS11_CTX_unload(h->ctx);
	h->loaded = 0;
}

static int
hsm_key_find(struct hsm *h, PKCS11_TOKEN *tok, const char *label,
    struct hsm_key *hk)
{
	PKCS11_KEY	*keys;
	EVP_PKEY	*pub = NULL;
	unsigned int	 n, i;
	int		 found = -1;

	if (PKCS11_enumerate_keys(tok, &keys, &n) != 0) {
		snprintf(h->err, sizeof(h->err), "cannot list the keys of "
		    "token \"%s\": %s", h->token, ossl_error());
		return -1;
	}
	for (i = 0; i < n; i++) {
		if (keys[i].label == NULL || strcmp(keys[i].label, label) != 0)
			continue;
		if (found != -1) {
			snprintf(h->err, sizeof(h->err), "token \"%s\" holds "
			    "two keys labelled \"%s\"", h->token, label);
			return -1;
		}
		found = i;
	}
	if (found == -1) {
		snprintf(h->err, sizeof(h->err), "no private key \"%s\" in "
		    "token \"%s\" (run cfjl-keys generate)", label, h->token);
		return -1;
	}
	if ((hk->key = PKCS11_get_private_key(&keys[found])) == NULL) {
		snprintf(h->err, sizeof(h->err), "cannot use key \"%s\": %s",
		    label, ossl_error());
		return -1;
	}
	/* The certificate must be that key's, or every seal is worthless. */
	if ((pub = PKCS11_get_public_key(&keys[found])) == NULL ||
	    EVP_PKEY_eq(pub, X509_get0_pubkey(hk->cert)) != 1) {
		EVP_PKEY_free(pub);
		EVP_PKEY_free(hk->key);
		hk->key = NULL;
		snprintf(h->err, sizeof(h->err), "the certificate for key "
		    "\"%s\" does not match the key in the token", label);
		ERR_clear_error();
		return -1;
	}
	EVP_PKEY_free(pub);
	return 0;
}

int
hsm_open(struct hsm *h)
{
	PKCS11_SLOT	*slots, *slot = NULL;
	unsigned int	 i;
	int		 in, wasup = h->up;

	hsm_close(h);
	if (h->dl == NULL && (h->dl = dlopen(h->module,
	    RTLD_NOW | RTLD_LOCAL)) == NULL) {
		snprintf(h->err, sizeof(h->err), "cannot load PKCS#11 module "
		    "%.300s: %.150s", h->module, dlerror());
		goto fail;
	}
	if (PKCS11_CTX_load(h->ctx, h->module) != 0) {
		snprintf(h->err, sizeof(h->err), "cannot initialise PKCS#11 "
		    "module %.300s (is its token storage there and "
		    "readable?): %.120s", h->module, ossl_error());
		goto fail;
	}
	h->loaded = 1;
	if (PKCS11_enumerate_slots(h->ctx, &slots, &h->nslots) != 0) {
		snprintf(h->err, sizeof(h->err), "cannot list the slots of "
		    "%.300s: %.150s", h->module, ossl_error());
		goto fail;
	}
	h->slots = slots;
	for (i = 0; i < h->nslots; i++) {
		if (slots[i].token == NULL || slots[i].token->label == NULL ||
		    !slots[i].token->initialized)
			continue;
		if (strcmp(slots[i].token->label, h->token) != 0)
			continue;
		if (slot != NULL) {
			snprintf(h->err, sizeof(h->err), "two tokens labelled "
			    "\"%s\": ambiguous", h->token);
			goto fail;
		}
		slot = &slots[i];
	}
	if (slot == NULL) {
		snprintf(h->err, sizeof(h->err), "no token labelled \"%s\" "
		    "in %.300s", h->token, h->module);
		goto fail;
	}
	if (PKCS11_open_session(slot, 0) != 0) {
		snprintf(h->err, sizeof(h->err), "cannot open a session on "
		    "token \"%s\": %s", h->token, ossl_error());
		goto fail;
	}
	if (PKCS11_is_logged_in(slot, 0, &in) != 0 || !in) {
		if (PKCS11_login(slot, 0, h->pin) != 0) {
			snprintf(h->err, sizeof(h->err), "login to token "
			    "\"%s\" refused: %s", h->token, ossl_error());
			goto fail;
		}
	}
	if (hsm_key_find(h, slot->token, h->seal_label, &h->seal) == -1 ||
	    hsm_key_find(h, slot->token, h->tsa_label, &h->tsa) == -1)
		goto fail;
	h->up = 1;
	h->failures = 0;
	h->err[0] = '\0';
	log_info("HSM token \"%s\" open: keys \"%s\" and \"%s\"", h->token,
	    h->seal_label, h->tsa_label);
	return 0;
 fail:
	/* Once per outage in the log; the status always has the reason. */
	if (wasup || h->failures == 0)
		log_warnx("HSM unavailable: %s", h->err);
	h->failures++;
	hsm_close(h);
	return -1;
}

void
hsm_close(struct hsm *h)
{
	EVP_PKEY_free(h->seal.key);
	EVP_PKEY_free(h->tsa.key);
	h->seal.key = h->tsa.key = NULL;
	h->up = 0;
	hsm_unload(h);
}

void
hsm_free(struct hsm *h)
{
	hsm_close(h);
	if (h->ctx != NULL)
		PKCS11_CTX_free(h->ctx);
	h->ctx = NULL;
	X509_free(h->seal.cert);
	X509_free(h->tsa.cert);
	sk_X509_pop_free(h->seal.chain, X509_free);
	sk_X509_pop_free(h->tsa.chain, X509_free);
	h->seal.cert = h->tsa.cert = NULL;
	h->seal.chain = h->tsa.chain = NULL;
	if (h->dl != NULL)
		dlclose(h->dl);
	h->dl = NULL;
	OPENSSL_cleanse(h->pin, sizeof(h->pin));
}
