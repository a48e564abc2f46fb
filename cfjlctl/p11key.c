/*
 * An administrator's key in a PKCS#11 token, named by an RFC 7512 URI:
 *
 *	pkcs11:token=LABEL;object=LABEL[;id=%01%02]
 *	    [?module-path=/path/module.so][&pin-source=file:/path]
 *
 * The module is the URI's module-path, else $CFJL_PKCS11_MODULE; the
 * PIN is read from -p FILE, else the URI's pin-source file, else
 * $CFJL_PKCS11_PIN.  A pin-value in the URI is refused: a PIN on a
 * command line is seen by every user of the machine.  The certificate is
 * the token's with the key's id (or, without one, its label), and must
 * be the key's.
 */
#include <sys/types.h>

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/x509.h>
#include <libp11.h>

#include "cfjlctl.h"
#include "ossl.h"
#include "pinfile.h"

#define P11_ATTR_MAX	256

struct p11key {
	PKCS11_CTX	*ctx;
	PKCS11_SLOT	*slots;
	unsigned int	 nslots;
	int		 loaded;
};

struct p11uri {
	char		 token[P11_ATTR_MAX];
	char		 object[P11_ATTR_MAX];
	unsigned char	 id[P11_ATTR_MAX];
	size_t		 idlen;
	char		 module[P11_ATTR_MAX * 4];
	char		 pinsource[P11_ATTR_MAX * 4];
};

static int	 p11_decode(const char *, size_t, unsigned char *, size_t,
		    size_t *);
static int	 p11_attr(const char *, size_t, int, struct p11uri *, char *,
		    size_t);
static int	 p11_uri(const char *, struct p11uri *, char *, size_t);
static int	 p11_login(struct p11key *, const struct p11uri *, const char *,
		    PKCS11_SLOT **, char *, size_t);
static int	 p11_find(PKCS11_TOKEN *, const struct p11uri *, EVP_PKEY **,
		    X509 **, char *, size_t);

/* Percent-decoding of n bytes of s into dst (NUL added); -1 if bad. */
static int
p11_decode(const char *s, size_t n, unsigned char *dst, size_t len,
    size_t *out)
{
	size_t		 i, o = 0;
	char		 hex[3];

	for (i = 0; i < n; i++) {
		if (o + 1 >= len)
			return -1;
		if (s[i] != '%') {
			dst[o++] = (unsigned char)s[i];
			continue;
		}
		if (i + 2 >= n || !isxdigit((unsigned char)s[i + 1]) ||
		    !isxdigit((unsigned char)s[i + 2]))
			return -1;
		hex[0] = s[i + 1];
		hex[1] = s[i + 2];
		hex[2] = '\0';
		dst[o++] = (unsigned char)strtoul(hex, NULL, 16);
		i += 2;
	}
	dst[o] = '\0';
	*out = o;
	return 0;
}

/* One attribute name=value of the path (;) or the query (&). */
static int
p11_attr(const char *p, size_t plen, int query, struct p11uri *u, char *err,
    size_t errlen)
{
	const char	*eq;
	unsigned char	*dst = NULL;
	size_t		 nlen, len = 0, n = 0;

	if ((eq = memchr(p, '=', plen)) == NULL) {
		snprintf(err, errlen, "PKCS#11 URI: \"%.*s\" is not "
		    "name=value", (int)plen, p);
		return -1;
	}
	nlen = eq - p;
#define IS(name) (nlen == strlen(name) && strncmp(p, name, nlen) == 0)
	if (!query && IS("token")) {
		dst = (unsigned char *)u->token;
		len = sizeof(u->token);
	} else if (!query && IS("object")) {
		dst = (unsigned char *)u->object;
		len = sizeof(u->object);
	} else if (!query && IS("id")) {
		dst = u->id;
		len = sizeof(u->id);
	} else if (query && IS("module-path")) {
		dst = (unsigned char *)u->module;
		len = sizeof(u->module);
	} else if (query && IS("pin-source")) {
		dst = (unsigned char *)u->pinsource;
		len = sizeof(u->pinsource);
	} else if (query && IS("pin-value")) {
		snprintf(err, errlen, "PKCS#11 URI: pin-value refused: a PIN "
		    "on the command line is public; use pin-source=file:..., "
		    "-p FILE or CFJL_PKCS11_PIN");
		return -1;
	}
#undef IS
	/* Anything else (type=, slot-id=, ...) is not needed. */
	if (dst == NULL)
		return 0;
	if (p11_decode(eq + 1, plen - nlen - 1, dst, len, &n) == -1) {
		snprintf(err, errlen, "PKCS#11 URI: bad value in \"%.*s\"",
		    (int)plen, p);
		return -1;
	}
	if (dst == u->id)
		u->idlen = n;
	return 0;
}

static int
p11_uri(const char *uri, struct p11uri *u, char *err, size_t errlen)
{
	const char	*p, *q, *end;
	size_t		 n;

	memset(u, 0, sizeof(*u));
	if (strncmp(uri, "pkcs11:", 7) != 0) {
		snprintf(err, errlen, "\"%s\" is not a PKCS#11 URI "
		    "(pkcs11:...)", uri);
		return -1;
	}
	p = uri + 7;
	if ((q = strchr(p, '?')) == NULL)
		q = p + strlen(p);
	for (; p < q; p = end + 1) {
		if ((end = memchr(p, ';', q - p)) == NULL)
			end = q;
		if ((n = end - p) > 0 && p11_attr(p, n, 0, u, err, errlen) == -1)
			return -1;
	}
	for (p = *q == '?' ? q + 1 : q; *p != '\0'; p = *end ? end + 1 : end) {
		end = p + strcspn(p, "&");
		if ((n = end - p) > 0 && p11_attr(p, n, 1, u, err, errlen) == -1)
			return -1;
	}
	if (u->object[0] == '\0' && u->idlen == 0) {
		snprintf(err, errlen, "PKCS#11 URI: name the key (object= or "
		    "id=)");
		return -1;
	}
	return 0;
}

static int
p11_login(struct p11key *k, const struct p11uri *u, const char *pinfile,
    PKCS11_SLOT **slotp, char *err, size_t errlen)
{
	PKCS11_SLOT	*slot = NULL;
	const char	*module, *env;
	char		 pin[PIN_MAX + 1];
	unsigned int	 i;
	int		 rc;

	module = u->module[0] != '\0' ? u->module :
	    getenv("CFJL_PKCS11_MODULE");
	if (module == NULL || module[0] == '\0') {
		snprintf(err, errlen, "no PKCS#11 module: module-path= in the "
		    "URI, or CFJL_PKCS11_MODULE");
		return -1;
	}
	if (pinfile == NULL && strncmp(u->pinsource, "file:", 5) == 0)
		pinfile = u->pinsource + 5;
	else if (pinfile == NULL && u->pinsource[0] != '\0')
		pinfile = u->pinsource;
	if (pinfile != NULL) {
		if (pinfile_read(pinfile, pin, sizeof(pin), err, errlen) == -1)
			return -1;
	} else if ((env = getenv("CFJL_PKCS11_PIN")) != NULL)
		strlcpy(pin, env, sizeof(pin));
	else {
		snprintf(err, errlen, "no PIN for the token: -p FILE, "
		    "pin-source=file:... in the URI, or CFJL_PKCS11_PIN");
		return -1;
	}
	if ((k->ctx = PKCS11_CTX_new()) == NULL ||
	    PKCS11_CTX_load(k->ctx, module) != 0) {
		snprintf(err, errlen, "cannot load PKCS#11 module %s: %s",
		    module, ossl_error());
		goto fail;
	}
	k->loaded = 1;
	if (PKCS11_enumerate_slots(k->ctx, &k->slots, &k->nslots) != 0) {
		snprintf(err, errlen, "cannot list the slots of %s: %s",
		    module, ossl_error());
		goto fail;
	}
	for (i = 0; i < k->nslots; i++) {
		if (k->slots[i].token == NULL ||
		    !k->slots[i].token->initialized ||
		    (u->token[0] != '\0' && (k->slots[i].token->label == NULL ||
		    strcmp(k->slots[i].token->label, u->token) != 0)))
			continue;
		slot = &k->slots[i];
		break;
	}
	if (slot == NULL) {
		snprintf(err, errlen, "no token%s%s%s in %s",
		    u->token[0] ? " labelled \"" : "", u->token,
		    u->token[0] ? "\"" : "", module);
		goto fail;
	}
	if (PKCS11_open_session(slot, 0) != 0 ||
	    PKCS11_login(slot, 0, pin) != 0) {
		snprintf(err, errlen, "login to token \"%s\" refused: %s",
		    slot->token->label, ossl_error());
		goto fail;
	}
	*slotp = slot;
	rc = 0;
	goto done;
 fail:
	rc = -1;
 done:
	OPENSSL_cleanse(pin, sizeof(pin));
	return rc;
}

/* The key named by the URI, and the token's certificate for it. */
static int
p11_find(PKCS11_TOKEN *tok, const struct p11uri *u, EVP_PKEY **key,
    X509 **cert, char *err, size_t errlen)
{
	PKCS11_KEY	*keys, *kk = NULL;
	PKCS11_CERT	*certs;
	EVP_PKEY	*pub;
	unsigned int	 n, i;

	if (PKCS11_enumerate_keys(tok, &keys, &n) != 0) {
		snprintf(err, errlen, "cannot list the keys: %s", ossl_error());
		return -1;
	}
	for (i = 0; i < n && kk == NULL; i++)
		if ((u->object[0] == '\0' || (keys[i].label != NULL &&
		    strcmp(keys[i].label, u->object) == 0)) &&
		    (u->idlen == 0 || (keys[i].id_len == u->idlen &&
		    memcmp(keys[i].id, u->id, u->idlen) == 0)))
			kk = &keys[i];
	if (kk == NULL) {
		snprintf(err, errlen, "no such private key in token \"%s\"",
		    tok->label);
		return -1;
	}
	if (PKCS11_enumerate_certs(tok, &certs, &n) != 0) {
		snprintf(err, errlen, "cannot list the certificates: %s",
		    ossl_error());
		return -1;
	}
	for (i = 0; i < n; i++) {
		if (certs[i].x509 == NULL)
			continue;
		if (kk->id_len > 0 ? (certs[i].id_len == kk->id_len &&
		    memcmp(certs[i].id, kk->id, kk->id_len) == 0) :
		    (certs[i].label != NULL && kk->label != NULL &&
		    strcmp(certs[i].label, kk->label) == 0))
			break;
	}
	if (i == n) {
		snprintf(err, errlen, "token \"%s\" holds no certificate for "
		    "the key", tok->label);
		return -1;
	}
	if ((*key = PKCS11_get_private_key(kk)) == NULL ||
	    (pub = PKCS11_get_public_key(kk)) == NULL) {
		snprintf(err, errlen, "cannot use the key: %s", ossl_error());
		return -1;
	}
	if (EVP_PKEY_eq(pub, X509_get0_pubkey(certs[i].x509)) != 1) {
		EVP_PKEY_free(pub);
		snprintf(err, errlen, "the token's certificate is not the "
		    "key's");
		return -1;
	}
	EVP_PKEY_free(pub);
	if ((*cert = X509_dup(certs[i].x509)) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	return 0;
}

struct p11key *
p11key_open(const char *uri, const char *pinfile, EVP_PKEY **key,
    X509 **cert, char *err, size_t errlen)
{
	struct p11key	*k;
	struct p11uri	 u;
	PKCS11_SLOT	*slot;

	*key = NULL;
	*cert = NULL;
	if (p11_uri(uri, &u, err, errlen) == -1)
		return NULL;
	if ((k = calloc(1, sizeof(*k))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	if (p11_login(k, &u, pinfile, &slot, err, errlen) == -1 ||
	    p11_find(slot->token, &u, key, cert, err, errlen) == -1) {
		EVP_PKEY_free(*key);
		*key = NULL;
		p11key_close(k);
		ERR_clear_error();
		return NULL;
	}
	return k;
}

void
p11key_close(struct p11key *k)
{
	if (k->slots != NULL)
		PKCS11_release_all_slots(k->ctx, k->slots, k->nslots);
	if (k->ctx != NULL && k->loaded)
		PKCS11_CTX_unload(k->ctx);
	if (k->ctx != NULL)
		PKCS11_CTX_free(k->ctx);
	free(k);
}
