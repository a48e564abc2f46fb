/*
 * sealerd's link to the HSM through libp11: module, token by label,
 * login, keys by label and their certificates (hsmcert.c).  A token
 * that is missing or refuses us is not fatal: sealerd says why, answers
 * "retry later" and opens it again.
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
#include "hsmcert.h"

static int	 hsm_key_find(struct hsm *, PKCS11_TOKEN *, const char *,
		    struct hsm_key *, enum hsmcert_kind);
static int	 hsm_key_cert(struct hsm *, PKCS11_TOKEN *, PKCS11_KEY *,
		    struct hsm_key *, enum hsmcert_kind);
static void	 hsm_key_forget(struct hsm_key *);
static void	 hsm_unload(struct hsm *);

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
	/*
	 * The token's certificates come first; the files serve tokens
	 * prepared before certificates were kept there (hsmcert.c).
	 */
	strlcpy(h->seal.file, sc->seal_cert, sizeof(h->seal.file));
	strlcpy(h->tsa.file, sc->tsa_cert, sizeof(h->tsa.file));
	if (hsmcert_file(sc->seal_cert, &h->seal.file_cert,
	    &h->seal.file_chain, h->err, sizeof(h->err)) == -1 ||
	    hsmcert_file(sc->tsa_cert, &h->tsa.file_cert,
	    &h->tsa.file_chain, h->err, sizeof(h->err)) == -1)
		return -1;
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
    struct hsm_key *hk, enum hsmcert_kind kind)
{
	PKCS11_KEY	*keys;
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
	if (hsm_key_cert(h, tok, &keys[found], hk, kind) == -1)
		return -1;
	if ((hk->key = PKCS11_get_private_key(&keys[found])) == NULL) {
		snprintf(h->err, sizeof(h->err), "cannot use key \"%s\": %s",
		    label, ossl_error());
		return -1;
	}
	return 0;
}

/*
 * The key's certificate: the token's object, else the file (with a
 * warning once per start); checked against the key and for its usage,
 * or every seal made with it would be worthless.
 */
static int
hsm_key_cert(struct hsm *h, PKCS11_TOKEN *tok, PKCS11_KEY *k,
    struct hsm_key *hk, enum hsmcert_kind kind)
{
	EVP_PKEY	*pub;
	const char	*what = kind == HSMCERT_SEAL ? "sealing" :
			    "time-stamping";
	char		 e[256], name[400];
	unsigned int	 mdlen;
	int		 rc;

	if ((rc = hsmcert_token(tok, k, &hk->cert, &hk->chain, e,
	    sizeof(e))) == -1) {
		snprintf(h->err, sizeof(h->err), "token \"%s\": %s",
		    h->token, e);
		return -1;
	}
	hk->from_token = rc == 0;
	if (rc == 1) {
		if (hk->file_cert == NULL) {
			snprintf(h->err, sizeof(h->err), "no certificate for "
			    "key \"%s\" in token \"%s\" (install it with "
			    "cfjl-keys install)", k->label, h->token);
			return -1;
		}
		if (!hk->file_warned)
			log_warnx("token \"%s\" holds no certificate for key "
			    "\"%s\": using the file %s; install it in the "
			    "token with cfjl-keys install", h->token, k->label,
			    hk->file);
		hk->file_warned = 1;
		if (!X509_up_ref(hk->file_cert) ||
		    (hk->chain = X509_chain_up_ref(hk->file_chain)) == NULL) {
			snprintf(h->err, sizeof(h->err), "out of memory");
			return -1;
		}
		hk->cert = hk->file_cert;
	}
	if ((pub = PKCS11_get_public_key(k)) == NULL ||
	    EVP_PKEY_eq(pub, X509_get0_pubkey(hk->cert)) != 1) {
		EVP_PKEY_free(pub);
		snprintf(h->err, sizeof(h->err), "the certificate for key "
		    "\"%s\" does not match the key in the token", k->label);
		ERR_clear_error();
		return -1;
	}
	EVP_PKEY_free(pub);
	if (hsmcert_usage(hk->cert, kind, e, sizeof(e)) == -1) {
		snprintf(h->err, sizeof(h->err), "the %s certificate %.200s "
		    "%s", what, hsmcert_name(hk->cert, name, sizeof(name)), e);
		return -1;
	}
	if (!X509_digest(hk->cert, EVP_sha256(), hk->fp, &mdlen) ||
	    (hk->pem = hsmcert_pem(hk->cert, hk->chain, &hk->pemlen)) ==
	    NULL) {
		snprintf(h->err, sizeof(h->err), "out of memory");
		return -1;
	}
	if (hk->pemlen > HSMCERT_PEM_MAX) {
		snprintf(h->err, sizeof(h->err), "the %s certificate and its "
		    "chain take %zu bytes as PEM, more than %d", what,
		    hk->pemlen, HSMCERT_PEM_MAX);
		return -1;
	}
	return 0;
}

static void
hsm_key_forget(struct hsm_key *hk)
{
	EVP_PKEY_free(hk->key);
	X509_free(hk->cert);
	if (hk->chain != NULL)
		sk_X509_pop_free(hk->chain, X509_free);
	free(hk->pem);
	hk->key = NULL;
	hk->cert = NULL;
	hk->chain = NULL;
	hk->pem = NULL;
	hk->pemlen = 0;
}

int
hsm_open(struct hsm *h)
{
	PKCS11_SLOT	*slots, *slot = NULL;
	unsigned int	 i;
	char		 sname[400], tname[400];
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
	if (hsm_key_find(h, slot->token, h->seal_label, &h->seal,
	    HSMCERT_SEAL) == -1 ||
	    hsm_key_find(h, slot->token, h->tsa_label, &h->tsa,
	    HSMCERT_TSA) == -1)
		goto fail;
	h->up = 1;
	h->failures = 0;
	h->err[0] = '\0';
	log_info("HSM token \"%s\" open: keys \"%s\" and \"%s\"; sealing "
	    "certificate %s (from the %s), time-stamping certificate %s "
	    "(from the %s)", h->token, h->seal_label, h->tsa_label,
	    hsmcert_name(h->seal.cert, sname, sizeof(sname)),
	    h->seal.from_token ? "token" : "file",
	    hsmcert_name(h->tsa.cert, tname, sizeof(tname)),
	    h->tsa.from_token ? "token" : "file");
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
	hsm_key_forget(&h->seal);
	hsm_key_forget(&h->tsa);
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
	X509_free(h->seal.file_cert);
	X509_free(h->tsa.file_cert);
	sk_X509_pop_free(h->seal.file_chain, X509_free);
	sk_X509_pop_free(h->tsa.file_chain, X509_free);
	h->seal.file_cert = h->tsa.file_cert = NULL;
	h->seal.file_chain = h->tsa.file_chain = NULL;
	if (h->dl != NULL)
		dlclose(h->dl);
	h->dl = NULL;
	OPENSSL_cleanse(h->pin, sizeof(h->pin));
}
