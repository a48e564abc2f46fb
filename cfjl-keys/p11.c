/*
 * Direct PKCS#11 for the key ceremony: load the module, log in to the
 * token named by its label, generate RSA key pairs that can never leave
 * it, sign in it, keep their certificates beside them, and read back
 * the attributes an auditor checks.
 */
#include <sys/types.h>

#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/rand.h>
#include <openssl/x509.h>

#include <p11-kit/pkcs11.h>

#include "p11.h"

#define P11_MAX_OBJECTS	256
#define P11_LABEL_MAX	64

struct p11 {
	void			*dl;
	CK_FUNCTION_LIST_PTR	 f;
	CK_SESSION_HANDLE	 s;
	int			 initialised;
	int			 session;
};

static int	 p11_token_match(const CK_TOKEN_INFO *, const char *);
static CK_OBJECT_HANDLE p11_find(struct p11 *, CK_OBJECT_CLASS,
		    const char *, int *);
static int	 p11_attr_bool(struct p11 *, CK_OBJECT_HANDLE,
		    CK_ATTRIBUTE_TYPE);
static unsigned char *p11_attr_bytes(struct p11 *, CK_OBJECT_HANDLE,
		    CK_ATTRIBUTE_TYPE, size_t *);
static const char *p11_rv(CK_RV);
static int	 p11_cert_create(struct p11 *, X509 *, const char *,
		    const unsigned char *, size_t, CK_OBJECT_HANDLE *);
static size_t	 p11_cert_find(struct p11 *, const char *,
		    CK_OBJECT_HANDLE *, size_t);

static const char *
p11_rv(CK_RV rv)
{
	static char	 buf[32];

	switch (rv) {
	case CKR_OK:			return "ok";
	case CKR_PIN_INCORRECT:		return "wrong PIN";
	case CKR_PIN_LOCKED:		return "PIN locked";
	case CKR_TOKEN_NOT_PRESENT:	return "token not present";
	case CKR_DEVICE_ERROR:		return "device error";
	case CKR_MECHANISM_INVALID:	return "mechanism not supported";
	case CKR_TEMPLATE_INCONSISTENT:	return "template inconsistent";
	case CKR_ATTRIBUTE_VALUE_INVALID: return "attribute value invalid";
	case CKR_USER_NOT_LOGGED_IN:	return "not logged in";
	default:
		snprintf(buf, sizeof(buf), "CKR 0x%lx", (unsigned long)rv);
		return buf;
	}
}

/* Token labels are 32 bytes padded with blanks. */
static int
p11_token_match(const CK_TOKEN_INFO *ti, const char *label)
{
	size_t	 n = strlen(label), i;

	if (n > sizeof(ti->label))
		return 0;
	if (memcmp(ti->label, label, n) != 0)
		return 0;
	for (i = n; i < sizeof(ti->label); i++)
		if (ti->label[i] != ' ' && ti->label[i] != '\0')
			return 0;
	return 1;
}

struct p11 *
p11_open(const char *module, const char *label, const char *pin,
    char *err, size_t errlen)
{
	struct p11		*p;
	CK_C_GetFunctionList	 getfl;
	CK_SLOT_ID		 slots[64], slot = 0;
	CK_ULONG		 nslots = 64, i;
	CK_TOKEN_INFO		 ti;
	CK_RV			 rv;
	int			 found = 0;

	if ((p = calloc(1, sizeof(*p))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	if ((p->dl = dlopen(module, RTLD_NOW | RTLD_LOCAL)) == NULL) {
		snprintf(err, errlen, "cannot load PKCS#11 module %s: %s",
		    module, dlerror());
		goto fail;
	}
	if ((getfl = (CK_C_GetFunctionList)dlsym(p->dl,
	    "C_GetFunctionList")) == NULL) {
		snprintf(err, errlen, "%s is not a PKCS#11 module", module);
		goto fail;
	}
	if ((rv = getfl(&p->f)) != CKR_OK) {
		snprintf(err, errlen, "C_GetFunctionList: %s", p11_rv(rv));
		goto fail;
	}
	if ((rv = p->f->C_Initialize(NULL)) != CKR_OK) {
		snprintf(err, errlen, "C_Initialize: %s", p11_rv(rv));
		goto fail;
	}
	p->initialised = 1;
	if ((rv = p->f->C_GetSlotList(CK_TRUE, slots, &nslots)) != CKR_OK) {
		snprintf(err, errlen, "C_GetSlotList: %s", p11_rv(rv));
		goto fail;
	}
	for (i = 0; i < nslots; i++) {
		if (p->f->C_GetTokenInfo(slots[i], &ti) != CKR_OK)
			continue;
		if (!p11_token_match(&ti, label))
			continue;
		if (found++ == 0)
			slot = slots[i];
	}
	if (found == 0) {
		snprintf(err, errlen, "no token labelled \"%s\" in %s",
		    label, module);
		goto fail;
	}
	if (found > 1) {
		snprintf(err, errlen, "%d tokens labelled \"%s\": ambiguous",
		    found, label);
		goto fail;
	}
	if ((rv = p->f->C_OpenSession(slot, CKF_SERIAL_SESSION | CKF_RW_SESSION,
	    NULL, NULL, &p->s)) != CKR_OK) {
		snprintf(err, errlen, "C_OpenSession: %s", p11_rv(rv));
		goto fail;
	}
	p->session = 1;
	rv = p->f->C_Login(p->s, CKU_USER, (CK_UTF8CHAR_PTR)(uintptr_t)pin,
	    strlen(pin));
	if (rv != CKR_OK && rv != CKR_USER_ALREADY_LOGGED_IN) {
		snprintf(err, errlen, "login to token \"%s\": %s", label,
		    p11_rv(rv));
		goto fail;
	}
	return p;
 fail:
	p11_close(p);
	return NULL;
}

void
p11_close(struct p11 *p)
{
	if (p == NULL)
		return;
	if (p->session) {
		p->f->C_Logout(p->s);
		p->f->C_CloseSession(p->s);
	}
	if (p->initialised)
		p->f->C_Finalize(NULL);
	if (p->dl != NULL)
		dlclose(p->dl);
	free(p);
}

/* The one object of a class with this label; found counts them. */
static CK_OBJECT_HANDLE
p11_find(struct p11 *p, CK_OBJECT_CLASS cls, const char *label, int *found)
{
	CK_ATTRIBUTE		 t[2];
	CK_OBJECT_HANDLE	 h[2], r = CK_INVALID_HANDLE;
	CK_ULONG		 n = 0;

	*found = -1;
	t[0].type = CKA_CLASS;
	t[0].pValue = &cls;
	t[0].ulValueLen = sizeof(cls);
	t[1].type = CKA_LABEL;
	t[1].pValue = (void *)(uintptr_t)label;
	t[1].ulValueLen = strlen(label);
	if (p->f->C_FindObjectsInit(p->s, t, 2) != CKR_OK)
		return r;
	if (p->f->C_FindObjects(p->s, h, 2, &n) == CKR_OK) {
		*found = n;
		if (n >= 1)
			r = h[0];
	}
	p->f->C_FindObjectsFinal(p->s);
	return r;
}

int
p11_key_exists(struct p11 *p, const char *label)
{
	int	 found;

	p11_find(p, CKO_PRIVATE_KEY, label, &found);
	if (found < 0)
		return -1;
	if (found > 0)
		return 1;
	p11_find(p, CKO_PUBLIC_KEY, label, &found);
	return found < 0 ? -1 : found > 0;
}

int
p11_key_generate(struct p11 *p, const char *label, unsigned int bits,
    char *err, size_t errlen)
{
	CK_MECHANISM	 mech = { CKM_RSA_PKCS_KEY_PAIR_GEN, NULL, 0 };
	CK_OBJECT_HANDLE pub, priv;
	CK_BBOOL	 yes = CK_TRUE, no = CK_FALSE;
	CK_ULONG	 modbits = bits;
	CK_KEY_TYPE	 kt = CKK_RSA;
	CK_OBJECT_CLASS	 pubc = CKO_PUBLIC_KEY, privc = CKO_PRIVATE_KEY;
	CK_BYTE		 e[] = { 0x01, 0x00, 0x01 };
	unsigned char	 id[16];
	CK_RV		 rv;
	CK_ULONG	 lablen = strlen(label);
	void		*lab = (void *)(uintptr_t)label;
	/*
	 * The private half: token object, private, usable for signing
	 * only, sensitive and not extractable, so that it cannot leave the
	 * token even wrapped.  The public half verifies and nothing else.
	 */
	CK_ATTRIBUTE	 pubt[] = {
		{ CKA_CLASS, &pubc, sizeof(pubc) },
		{ CKA_KEY_TYPE, &kt, sizeof(kt) },
		{ CKA_TOKEN, &yes, sizeof(yes) },
		{ CKA_PRIVATE, &no, sizeof(no) },
		{ CKA_LABEL, lab, lablen },
		{ CKA_ID, id, sizeof(id) },
		{ CKA_VERIFY, &yes, sizeof(yes) },
		{ CKA_ENCRYPT, &no, sizeof(no) },
		{ CKA_WRAP, &no, sizeof(no) },
		{ CKA_MODULUS_BITS, &modbits, sizeof(modbits) },
		{ CKA_PUBLIC_EXPONENT, e, sizeof(e) },
	};
	CK_ATTRIBUTE	 privt[] = {
		{ CKA_CLASS, &privc, sizeof(privc) },
		{ CKA_KEY_TYPE, &kt, sizeof(kt) },
		{ CKA_TOKEN, &yes, sizeof(yes) },
		{ CKA_PRIVATE, &yes, sizeof(yes) },
		{ CKA_LABEL, lab, lablen },
		{ CKA_ID, id, sizeof(id) },
		{ CKA_SENSITIVE, &yes, sizeof(yes) },
		{ CKA_EXTRACTABLE, &no, sizeof(no) },
		{ CKA_SIGN, &yes, sizeof(yes) },
		{ CKA_DECRYPT, &no, sizeof(no) },
		{ CKA_UNWRAP, &no, sizeof(no) },
		{ CKA_DERIVE, &no, sizeof(no) },
	};

	if (RAND_bytes(id, sizeof(id)) != 1) {
		snprintf(err, errlen, "no random bytes for the key id");
		return -1;
	}
	rv = p->f->C_GenerateKeyPair(p->s, &mech,
	    pubt, sizeof(pubt) / sizeof(pubt[0]),
	    privt, sizeof(privt) / sizeof(privt[0]), &pub, &priv);
	if (rv != CKR_OK) {
		snprintf(err, errlen, "generating RSA-%u key \"%s\": %s",
		    bits, label, p11_rv(rv));
		return -1;
	}
	/* Check what the token made, not what we asked for. */
	if (p11_attr_bool(p, priv, CKA_EXTRACTABLE) != 0 ||
	    p11_attr_bool(p, priv, CKA_SENSITIVE) != 1) {
		p->f->C_DestroyObject(p->s, priv);
		p->f->C_DestroyObject(p->s, pub);
		snprintf(err, errlen, "the token did not make key \"%s\" "
		    "sensitive and non-extractable: destroyed", label);
		return -1;
	}
	return 0;
}

/* 1 true, 0 false, -1 unreadable. */
static int
p11_attr_bool(struct p11 *p, CK_OBJECT_HANDLE h, CK_ATTRIBUTE_TYPE type)
{
	CK_BBOOL	 b = CK_FALSE;
	CK_ATTRIBUTE	 a = { type, &b, sizeof(b) };

	if (p->f->C_GetAttributeValue(p->s, h, &a, 1) != CKR_OK ||
	    a.ulValueLen != sizeof(b))
		return -1;
	return b == CK_TRUE;
}

static unsigned char *
p11_attr_bytes(struct p11 *p, CK_OBJECT_HANDLE h, CK_ATTRIBUTE_TYPE type,
    size_t *len)
{
	CK_ATTRIBUTE	 a = { type, NULL, 0 };
	unsigned char	*buf;

	if (p->f->C_GetAttributeValue(p->s, h, &a, 1) != CKR_OK ||
	    a.ulValueLen == CK_UNAVAILABLE_INFORMATION ||
	    a.ulValueLen > 65536)
		return NULL;
	if ((buf = malloc(a.ulValueLen + 1)) == NULL)
		return NULL;
	a.pValue = buf;
	if (p->f->C_GetAttributeValue(p->s, h, &a, 1) != CKR_OK) {
		free(buf);
		return NULL;
	}
	buf[a.ulValueLen] = '\0';
	*len = a.ulValueLen;
	return buf;
}

EVP_PKEY *
p11_key_public(struct p11 *p, const char *label)
{
	CK_OBJECT_HANDLE h;
	OSSL_PARAM_BLD	*bld = NULL;
	OSSL_PARAM	*prm = NULL;
	EVP_PKEY_CTX	*ctx = NULL;
	EVP_PKEY	*pk = NULL;
	BIGNUM		*n = NULL, *e = NULL;
	unsigned char	*nb = NULL, *eb = NULL;
	size_t		 nl, el;
	int		 found;

	/* A private RSA key object carries its modulus and exponent. */
	h = p11_find(p, CKO_PRIVATE_KEY, label, &found);
	if (found != 1)
		return NULL;
	if ((nb = p11_attr_bytes(p, h, CKA_MODULUS, &nl)) == NULL ||
	    (eb = p11_attr_bytes(p, h, CKA_PUBLIC_EXPONENT, &el)) == NULL)
		goto done;
	if ((n = BN_bin2bn(nb, nl, NULL)) == NULL ||
	    (e = BN_bin2bn(eb, el, NULL)) == NULL)
		goto done;
	if ((bld = OSSL_PARAM_BLD_new()) == NULL ||
	    !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, n) ||
	    !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, e) ||
	    (prm = OSSL_PARAM_BLD_to_param(bld)) == NULL)
		goto done;
	if ((ctx = EVP_PKEY_CTX_new_from_name(NULL, "RSA", NULL)) == NULL ||
	    EVP_PKEY_fromdata_init(ctx) <= 0 ||
	    EVP_PKEY_fromdata(ctx, &pk, EVP_PKEY_PUBLIC_KEY, prm) <= 0)
		pk = NULL;
 done:
	EVP_PKEY_CTX_free(ctx);
	OSSL_PARAM_free(prm);
	OSSL_PARAM_BLD_free(bld);
	BN_free(n);
	BN_free(e);
	free(nb);
	free(eb);
	return pk;
}

int
p11_key_sign_sha256(struct p11 *p, const char *label,
    const unsigned char *data, size_t len, unsigned char *sig, size_t siglen)
{
	CK_MECHANISM	 mech = { CKM_SHA256_RSA_PKCS, NULL, 0 };
	CK_OBJECT_HANDLE h;
	CK_ULONG	 sl = siglen;
	int		 found;

	h = p11_find(p, CKO_PRIVATE_KEY, label, &found);
	if (found != 1)
		return -1;
	if (p->f->C_SignInit(p->s, &mech, h) != CKR_OK)
		return -1;
	if (p->f->C_Sign(p->s, (CK_BYTE_PTR)(uintptr_t)data, len, sig,
	    &sl) != CKR_OK)
		return -1;
	return (int)sl;
}

int
p11_key_list(struct p11 *p, FILE *fp)
{
	CK_OBJECT_HANDLE h[P11_MAX_OBJECTS];
	CK_OBJECT_CLASS	 cls;
	CK_ATTRIBUTE	 t = { CKA_CLASS, &cls, sizeof(cls) };
	CK_ULONG	 n = 0, i, j;
	unsigned char	*lab, *id, *mod;
	size_t		 ll, il, ml;
	const char	*b[] = { "no", "yes", "?" };
	int		 k, pass;

	/* Private keys first, then public keys. */
	for (pass = 0; pass < 2; pass++) {
		cls = pass == 0 ? CKO_PRIVATE_KEY : CKO_PUBLIC_KEY;
		if (p->f->C_FindObjectsInit(p->s, &t, 1) != CKR_OK)
			return -1;
		if (p->f->C_FindObjects(p->s, h, P11_MAX_OBJECTS, &n) !=
		    CKR_OK)
			n = 0;
		p->f->C_FindObjectsFinal(p->s);
		for (i = 0; i < n; i++) {
			lab = p11_attr_bytes(p, h[i], CKA_LABEL, &ll);
			id = p11_attr_bytes(p, h[i], CKA_ID, &il);
			mod = p11_attr_bytes(p, h[i], CKA_MODULUS, &ml);
			fprintf(fp, "%s key \"%s\" rsa-%zu id ",
			    pass == 0 ? "private" : "public",
			    lab != NULL ? (char *)lab : "",
			    mod != NULL ? ml * 8 : (size_t)0);
			for (j = 0; id != NULL && j < il; j++)
				fprintf(fp, "%02x", id[j]);
			if (pass == 0) {
#define B(a) b[(k = p11_attr_bool(p, h[i], (a))) < 0 ? 2 : k]
				fprintf(fp, " sensitive %s", B(CKA_SENSITIVE));
				fprintf(fp, " extractable %s",
				    B(CKA_EXTRACTABLE));
				fprintf(fp, " always-sensitive %s",
				    B(CKA_ALWAYS_SENSITIVE));
				fprintf(fp, " never-extractable %s",
				    B(CKA_NEVER_EXTRACTABLE));
				fprintf(fp, " local %s", B(CKA_LOCAL));
				fprintf(fp, " sign %s", B(CKA_SIGN));
				fprintf(fp, " decrypt %s", B(CKA_DECRYPT));
#undef B
			}
			fprintf(fp, "\n");
			free(lab);
			free(id);
			free(mod);
		}
	}
	return 0;
}

/* Where CKA_VALUE is in p11_cert_create()'s template, then the names. */
#define P11_T_VALUE	5

/* One certificate object; its handle in *h. */
static int
p11_cert_create(struct p11 *p, X509 *x, const char *label,
    const unsigned char *id, size_t idlen, CK_OBJECT_HANDLE *h)
{
	CK_OBJECT_CLASS		 cls = CKO_CERTIFICATE;
	CK_CERTIFICATE_TYPE	 ct = CKC_X_509;
	CK_BBOOL		 yes = CK_TRUE, no = CK_FALSE;
	unsigned char		*der = NULL, *subj = NULL, *iss = NULL;
	unsigned char		*ser = NULL;
	int			 dl, sl, il, nl, rc = -1;
	CK_ULONG		 n;
	CK_ATTRIBUTE		 t[] = {
		{ CKA_CLASS, &cls, sizeof(cls) },
		{ CKA_CERTIFICATE_TYPE, &ct, sizeof(ct) },
		{ CKA_TOKEN, &yes, sizeof(yes) },
		{ CKA_PRIVATE, &no, sizeof(no) },
		{ CKA_LABEL, (void *)(uintptr_t)label, strlen(label) },
		{ CKA_VALUE, NULL, 0 },
		{ CKA_SUBJECT, NULL, 0 },
		{ CKA_ISSUER, NULL, 0 },
		{ CKA_SERIAL_NUMBER, NULL, 0 },
		{ CKA_ID, (void *)(uintptr_t)id, idlen },
	};

	if ((dl = i2d_X509(x, &der)) <= 0 ||
	    (sl = i2d_X509_NAME(X509_get_subject_name(x), &subj)) <= 0 ||
	    (il = i2d_X509_NAME(X509_get_issuer_name(x), &iss)) <= 0 ||
	    (nl = i2d_ASN1_INTEGER(X509_get_serialNumber(x), &ser)) <= 0)
		goto done;
	t[P11_T_VALUE].pValue = der;
	t[P11_T_VALUE].ulValueLen = dl;
	t[P11_T_VALUE + 1].pValue = subj;
	t[P11_T_VALUE + 1].ulValueLen = sl;
	t[P11_T_VALUE + 2].pValue = iss;
	t[P11_T_VALUE + 2].ulValueLen = il;
	t[P11_T_VALUE + 3].pValue = ser;
	t[P11_T_VALUE + 3].ulValueLen = nl;
	/* A chain certificate has no key here: no CKA_ID. */
	n = sizeof(t) / sizeof(t[0]) - (id == NULL ? 1 : 0);
	if (p->f->C_CreateObject(p->s, t, n, h) == CKR_OK)
		rc = 0;
 done:
	OPENSSL_free(der);
	OPENSSL_free(subj);
	OPENSSL_free(iss);
	OPENSSL_free(ser);
	return rc;
}

/* The certificate objects labelled so, at most max. */
static size_t
p11_cert_find(struct p11 *p, const char *label, CK_OBJECT_HANDLE *h,
    size_t max)
{
	CK_OBJECT_CLASS	 cls = CKO_CERTIFICATE;
	CK_ATTRIBUTE	 t[2] = {
		{ CKA_CLASS, &cls, sizeof(cls) },
		{ CKA_LABEL, (void *)(uintptr_t)label, strlen(label) },
	};
	CK_ULONG	 n = 0;

	if (p->f->C_FindObjectsInit(p->s, t, 2) != CKR_OK)
		return 0;
	if (p->f->C_FindObjects(p->s, h, max, &n) != CKR_OK)
		n = 0;
	p->f->C_FindObjectsFinal(p->s);
	return n;
}

int
p11_cert_store(struct p11 *p, const char *label, X509 *cert,
    STACK_OF(X509) *chain, char *err, size_t errlen)
{
	CK_OBJECT_HANDLE old[P11_MAX_OBJECTS], made[P11_MAX_OBJECTS], key;
	unsigned char	*id = NULL;
	char		 chainlabel[P11_LABEL_MAX + 8];
	size_t		 nold, nmade = 0, idlen, i;
	int		 found, rc = -1;

	key = p11_find(p, CKO_PRIVATE_KEY, label, &found);
	if (found != 1 || (id = p11_attr_bytes(p, key, CKA_ID,
	    &idlen)) == NULL || idlen == 0) {
		snprintf(err, errlen, "the key \"%s\" has no id in the token",
		    label);
		goto done;
	}
	snprintf(chainlabel, sizeof(chainlabel), "%s chain", label);
	nold = p11_cert_find(p, label, old, P11_MAX_OBJECTS / 2);
	nold += p11_cert_find(p, chainlabel, old + nold,
	    P11_MAX_OBJECTS / 2);
	if (sk_X509_num(chain) >= P11_MAX_OBJECTS - 1) {
		snprintf(err, errlen, "a chain of %d certificates is too long",
		    sk_X509_num(chain));
		goto done;
	}
	if (p11_cert_create(p, cert, label, id, idlen, &made[nmade]) == -1) {
		snprintf(err, errlen, "the token refused the certificate "
		    "object");
		goto done;
	}
	nmade++;
	for (i = 0; i < (size_t)sk_X509_num(chain); i++, nmade++)
		if (p11_cert_create(p, sk_X509_value(chain, i), chainlabel,
		    NULL, 0, &made[nmade]) == -1) {
			snprintf(err, errlen, "the token refused a chain "
			    "certificate object");
			goto done;
		}
	/* The new ones are in: the old ones go. */
	for (i = 0; i < nold; i++)
		p->f->C_DestroyObject(p->s, old[i]);
	nmade = 0;
	rc = 0;
 done:
	for (i = 0; i < nmade; i++)
		p->f->C_DestroyObject(p->s, made[i]);
	free(id);
	return rc;
}

int
p11_cert_list(struct p11 *p, FILE *fp)
{
	CK_OBJECT_HANDLE h[P11_MAX_OBJECTS];
	CK_OBJECT_CLASS	 cls = CKO_CERTIFICATE;
	CK_ATTRIBUTE	 t = { CKA_CLASS, &cls, sizeof(cls) };
	CK_ULONG	 n = 0, i;
	unsigned char	*lab, *id, *val;
	const unsigned char *q;
	size_t		 ll, il, vl, j;
	X509		*x;
	BIGNUM		*bn;
	char		 subj[256], *hex;

	if (p->f->C_FindObjectsInit(p->s, &t, 1) != CKR_OK)
		return -1;
	if (p->f->C_FindObjects(p->s, h, P11_MAX_OBJECTS, &n) != CKR_OK)
		n = 0;
	p->f->C_FindObjectsFinal(p->s);
	for (i = 0; i < n; i++) {
		lab = p11_attr_bytes(p, h[i], CKA_LABEL, &ll);
		id = p11_attr_bytes(p, h[i], CKA_ID, &il);
		val = p11_attr_bytes(p, h[i], CKA_VALUE, &vl);
		x = NULL;
		hex = NULL;
		if (val != NULL && (q = val, x = d2i_X509(NULL, &q,
		    (long)vl)) != NULL) {
			X509_NAME_oneline(X509_get_subject_name(x), subj,
			    sizeof(subj));
			if ((bn = ASN1_INTEGER_to_BN(
			    X509_get0_serialNumber(x), NULL)) != NULL) {
				hex = BN_bn2hex(bn);
				BN_free(bn);
			}
		} else
			snprintf(subj, sizeof(subj), "?");
		fprintf(fp, "certificate \"%s\" id ",
		    lab != NULL ? (char *)lab : "");
		for (j = 0; id != NULL && j < il; j++)
			fprintf(fp, "%02x", id[j]);
		fprintf(fp, " subject %s serial %s\n", subj,
		    hex != NULL ? hex : "?");
		OPENSSL_free(hex);
		X509_free(x);
		free(lab);
		free(id);
		free(val);
	}
	return 0;
}
