/*
 * The signed administration command (ctlsig.h): its canonical text,
 * signing it in CMS, and opening a CMS to check the signature and read
 * the command back.  Both sides build the text with the same function,
 * so what cfjlctl signs and what a daemon compares cannot drift apart.
 */
#define _GNU_SOURCE	/* strptime */
#include <sys/types.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/bio.h>
#include <openssl/cms.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/rand.h>
#include <openssl/x509.h>

#include "config.h"
#include "control.h"
#include "ctlsig.h"
#include "ossl.h"

static const struct {
	const char	*command;
	int		 kind;
} ctlsig_commands[] = {
	{ CTL_JOURNAL_CLOSE,	CTLSIG_TECHNICAL },
	{ CTL_LOT_SEAL_NOW,	CTLSIG_TECHNICAL },
	{ CTL_RELOAD,		CTLSIG_TECHNICAL },
	{ CTL_STOP,		CTLSIG_TECHNICAL },
	{ CTL_ROLE_ADD,		CTLSIG_FUNCTIONAL },
	{ CTL_ROLE_REMOVE,	CTLSIG_FUNCTIONAL },
};

static int	 ctlsig_word(const char *);
static int	 ctlsig_line(const char **, const char *, const char *,
		    char *, size_t, int);

int
ctlsig_kind(const char *command)
{
	size_t	 i;

	for (i = 0; i < sizeof(ctlsig_commands) / sizeof(ctlsig_commands[0]);
	    i++)
		if (strcmp(command, ctlsig_commands[i].command) == 0)
			return ctlsig_commands[i].kind;
	return CTLSIG_NONE;
}

const char *
ctlsig_kind_name(int kind)
{
	return kind == CTLSIG_FUNCTIONAL ? "functional" : "technical";
}

int
ctlsig_fresh(struct ctlsig_cmd *c)
{
	unsigned char	 r[CTLSIG_NONCE_LEN];
	size_t		 i;

	if (RAND_bytes(r, sizeof(r)) != 1)
		return -1;
	for (i = 0; i < sizeof(r); i++)
		snprintf(c->nonce + 2 * i, 3, "%02x", r[i]);
	c->when = time(NULL);
	return 0;
}

/* A daemon or command name: lower-case letters, digits, '-'. */
static int
ctlsig_word(const char *s)
{
	if (*s == '\0')
		return 0;
	for (; *s != '\0'; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') ||
		    *s == '-'))
			return 0;
	return 1;
}

int
ctlsig_text(const struct ctlsig_cmd *c, char *buf, size_t len)
{
	struct tm	 tm;
	char		 when[32];
	int		 n;

	if (!ctlsig_word(c->daemon) || !ctlsig_word(c->command) ||
	    strlen(c->nonce) != CTLSIG_NONCE_HEX - 1 ||
	    gmtime_r(&c->when, &tm) == NULL ||
	    strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		return -1;
	n = snprintf(buf, len, "%s\ndaemon %s\ncommand %s\narg1 %zu %s\n"
	    "arg2 %zu %s\nnonce %s\ntime %s\n", CTLSIG_MAGIC, c->daemon,
	    c->command, strlen(c->arg1), c->arg1, strlen(c->arg2), c->arg2,
	    c->nonce, when);
	if (n < 0 || (size_t)n >= len)
		return -1;
	return n;
}

/*
 * One line "key value\n" at *p; counted: "key N bytes\n".  The value
 * goes into dst (NUL-terminated, at most len - 1 bytes).
 */
static int
ctlsig_line(const char **p, const char *end, const char *key, char *dst,
    size_t len, int counted)
{
	const char	*s = *p, *nl, *ep;
	size_t		 klen = strlen(key), n = 0;

	if ((size_t)(end - s) < klen + 1 || memcmp(s, key, klen) != 0 ||
	    s[klen] != ' ')
		return -1;
	s += klen + 1;
	if (counted) {
		/* Decimal, no leading zero, bounded: the text is not a string. */
		for (ep = s; ep < end && *ep >= '0' && *ep <= '9' &&
		    ep - s < 5; ep++)
			n = n * 10 + (*ep - '0');
		if (ep == s || ep >= end || *ep != ' ' ||
		    (ep - s > 1 && *s == '0'))
			return -1;
		s = ep + 1;
		if (n >= len || (size_t)(end - s) < n + 1 || s[n] != '\n' ||
		    memchr(s, '\0', n) != NULL)
			return -1;
	} else {
		if ((nl = memchr(s, '\n', end - s)) == NULL ||
		    (size_t)(nl - s) >= len)
			return -1;
		n = nl - s;
	}
	memcpy(dst, s, n);
	dst[n] = '\0';
	*p = s + n + 1;
	return 0;
}

int
ctlsig_parse(const char *text, size_t len, struct ctlsig_cmd *c, char *err,
    size_t errlen)
{
	const char	*p = text, *end = text + len;
	char		 when[32], again[CTLSIG_TEXT_MAX];
	struct tm	 tm;
	int		 n;

	memset(c, 0, sizeof(*c));
	memset(&tm, 0, sizeof(tm));
	if ((size_t)(end - p) < sizeof(CTLSIG_MAGIC) ||
	    memcmp(p, CTLSIG_MAGIC "\n", sizeof(CTLSIG_MAGIC)) != 0) {
		snprintf(err, errlen, "the signed content is not a cfjlctl "
		    "command of this release (\"%s\" expected)", CTLSIG_MAGIC);
		return -1;
	}
	p += sizeof(CTLSIG_MAGIC);
	if (ctlsig_line(&p, end, "daemon", c->daemon, sizeof(c->daemon),
	    0) == -1 ||
	    ctlsig_line(&p, end, "command", c->command, sizeof(c->command),
	    0) == -1 ||
	    ctlsig_line(&p, end, "arg1", c->arg1, sizeof(c->arg1), 1) == -1 ||
	    ctlsig_line(&p, end, "arg2", c->arg2, sizeof(c->arg2), 1) == -1 ||
	    ctlsig_line(&p, end, "nonce", c->nonce, sizeof(c->nonce),
	    0) == -1 ||
	    ctlsig_line(&p, end, "time", when, sizeof(when), 0) == -1 ||
	    p != end) {
		snprintf(err, errlen, "the signed command is malformed");
		return -1;
	}
	if (strptime(when, "%Y-%m-%dT%H:%M:%SZ", &tm) == NULL ||
	    (c->when = timegm(&tm)) == (time_t)-1) {
		snprintf(err, errlen, "the signed command's time \"%s\" is not "
		    "a UTC time", when);
		return -1;
	}
	/* One text per command: anything else was not written by us. */
	if ((n = ctlsig_text(c, again, sizeof(again))) == -1 ||
	    (size_t)n != len || memcmp(again, text, len) != 0) {
		snprintf(err, errlen, "the signed command is not in its "
		    "canonical form");
		return -1;
	}
	return 0;
}

int
ctlsig_sign(const struct ctlsig_cmd *c, EVP_PKEY *key, X509 *cert,
    STACK_OF(X509) *chain, uint8_t **der, size_t *len, char *err,
    size_t errlen)
{
	CMS_ContentInfo	*cms = NULL;
	BIO		*in = NULL;
	unsigned char	*p = NULL, *q;
	char		 text[CTLSIG_TEXT_MAX];
	unsigned int	 flags = CMS_BINARY | CMS_NOSMIMECAP;
	int		 n, l, rc = -1;

	*der = NULL;
	if ((n = ctlsig_text(c, text, sizeof(text))) == -1) {
		snprintf(err, errlen, "the command is too long to sign");
		return -1;
	}
	if ((in = BIO_new_mem_buf(text, n)) == NULL ||
	    (cms = CMS_sign(NULL, NULL, chain, NULL, flags | CMS_PARTIAL)) ==
	    NULL ||
	    CMS_add1_signer(cms, cert, key, EVP_sha256(), flags) == NULL ||
	    CMS_final(cms, in, NULL, flags) != 1 ||
	    (l = i2d_CMS_ContentInfo(cms, NULL)) <= 0 ||
	    (p = malloc(l)) == NULL) {
		snprintf(err, errlen, "signing failed: %s", ossl_error());
		goto done;
	}
	q = p;
	i2d_CMS_ContentInfo(cms, &q);
	*der = p;
	*len = l;
	rc = 0;
 done:
	CMS_ContentInfo_free(cms);
	BIO_free(in);
	return rc;
}

int
ctlsig_open(const uint8_t *der, size_t len, struct ctlsig_cmd *c,
    X509 **signer, STACK_OF(X509) **certs, char *err, size_t errlen)
{
	CMS_ContentInfo			*cms = NULL;
	STACK_OF(CMS_SignerInfo)	*sis;
	STACK_OF(X509)			*signers = NULL;
	X509_ALGOR			*dig = NULL;
	const ASN1_OBJECT		*oid = NULL;
	BIO				*out = NULL;
	const unsigned char		*p = der;
	char				*text;
	long				 n;
	int				 rc = -1;

	*signer = NULL;
	*certs = NULL;
	if (len > CTLSIG_DER_MAX ||
	    (cms = d2i_CMS_ContentInfo(NULL, &p, len)) == NULL ||
	    p != der + len) {
		snprintf(err, errlen, "the signature is not a DER CMS");
		goto done;
	}
	if (OBJ_obj2nid(CMS_get0_type(cms)) != NID_pkcs7_signed ||
	    (sis = CMS_get0_SignerInfos(cms)) == NULL ||
	    sk_CMS_SignerInfo_num(sis) != 1) {
		snprintf(err, errlen, "the signature is not a CMS SignedData "
		    "with one signer");
		goto done;
	}
	CMS_SignerInfo_get0_algs(sk_CMS_SignerInfo_value(sis, 0), NULL, NULL,
	    &dig, NULL);
	if (dig != NULL)
		X509_ALGOR_get0(&oid, NULL, NULL, dig);
	if (dig == NULL || OBJ_obj2nid(oid) != NID_sha256) {
		snprintf(err, errlen, "the signature's digest is not SHA-256");
		goto done;
	}
	if (CMS_is_detached(cms)) {
		snprintf(err, errlen, "the signature does not carry the "
		    "command it signs");
		goto done;
	}
	/* The chain is checked by the caller, against the right CA. */
	if ((out = BIO_new(BIO_s_mem())) == NULL ||
	    CMS_verify(cms, NULL, NULL, NULL, out,
	    CMS_NO_SIGNER_CERT_VERIFY | CMS_BINARY) != 1) {
		snprintf(err, errlen, "the signature does not verify: %s",
		    ossl_error());
		goto done;
	}
	if ((signers = CMS_get0_signers(cms)) == NULL ||
	    sk_X509_num(signers) != 1) {
		snprintf(err, errlen, "the signature names no signer "
		    "certificate");
		goto done;
	}
	n = BIO_get_mem_data(out, &text);
	if (n <= 0 || n >= CTLSIG_TEXT_MAX) {
		snprintf(err, errlen, "the signed command is empty or too "
		    "long");
		goto done;
	}
	if (ctlsig_parse(text, (size_t)n, c, err, errlen) == -1)
		goto done;
	*signer = sk_X509_value(signers, 0);
	X509_up_ref(*signer);
	*certs = CMS_get1_certs(cms);
	rc = 0;
 done:
	sk_X509_free(signers);
	BIO_free(out);
	CMS_ContentInfo_free(cms);
	ERR_clear_error();
	return rc;
}

int
ctlsig_subject(X509 *x, char *buf, size_t len)
{
	BIO		*mem;
	char		*p;
	long		 n;
	int		 rc = -1;

	if ((mem = BIO_new(BIO_s_mem())) == NULL)
		return -1;
	if (X509_NAME_print_ex(mem, X509_get_subject_name(x), 0,
	    XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB) >= 0 &&
	    (n = BIO_get_mem_data(mem, &p)) >= 0 && (size_t)n < len) {
		memcpy(buf, p, n);
		buf[n] = '\0';
		rc = 0;
	}
	BIO_free(mem);
	return rc;
}

int
ctlsig_fingerprint(X509 *x, uint8_t *fp, char *hex)
{
	unsigned int	 n = 0;

	if (X509_digest(x, EVP_sha256(), fp, &n) != 1 || n != CFJL_FP_LEN)
		return -1;
	config_fp_format(fp, hex);
	return 0;
}
