/*
 * Revocation of the seal and time-stamping certificates, against the
 * CRLs given with -C.  A certificate is refused when it was revoked at
 * or before the time of the signature, or at any time for a reason that
 * leaves that time in doubt (key or CA compromise, no reason given); one
 * retired later for another reason (superseded, cessation of operation)
 * leaves earlier signatures standing.  A certificate whose issuer has no
 * CRL among those given is refused too: revocation was asked for and
 * cannot be told.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "verify.h"

static X509	*revoke_issuer(struct vctx *, X509 *, STACK_OF(X509) *);
static int	 revoke_reason(X509_REVOKED *);
static const char *revoke_reason_name(int);

/* -C FILE, repeatable: every PEM CRL of the file. */
int
revoke_load(struct vctx *ctx, const char *path)
{
	FILE		*fp;
	X509_CRL	*crl;
	int		 n = 0;

	if ((fp = fopen(path, "r")) == NULL) {
		report_error("CRL file %s: %s", path, strerror(errno));
		return (-1);
	}
	if (ctx->crls == NULL && (ctx->crls = sk_X509_CRL_new_null()) == NULL) {
		fclose(fp);
		report_error("out of memory");
		return (-1);
	}
	while ((crl = PEM_read_X509_CRL(fp, NULL, NULL, NULL)) != NULL) {
		if (!sk_X509_CRL_push(ctx->crls, crl)) {
			X509_CRL_free(crl);
			fclose(fp);
			report_error("out of memory");
			return (-1);
		}
		n++;
	}
	ERR_clear_error();
	fclose(fp);
	if (n == 0) {
		report_error("CRL file %s: no PEM CRL in it", path);
		return (-1);
	}
	return (0);
}

/* x's issuer: among the chain given with x, or the trust anchors. */
static X509 *
revoke_issuer(struct vctx *ctx, X509 *x, STACK_OF(X509) *chain)
{
	X509	*c;
	int	 i;

	for (i = 0; chain != NULL && i < sk_X509_num(chain); i++) {
		c = sk_X509_value(chain, i);
		if (X509_check_issued(c, x) == X509_V_OK)
			return (c);
	}
	for (i = 0; i < sk_X509_num(ctx->trust_certs); i++) {
		c = sk_X509_value(ctx->trust_certs, i);
		if (X509_check_issued(c, x) == X509_V_OK)
			return (c);
	}
	return (NULL);
}

/* The CRL reason code of an entry, -1 when it gives none. */
static int
revoke_reason(X509_REVOKED *rev)
{
	ASN1_ENUMERATED	*e;
	long		 v;

	if ((e = X509_REVOKED_get_ext_d2i(rev, NID_crl_reason, NULL,
	    NULL)) == NULL)
		return (-1);
	v = ASN1_ENUMERATED_get(e);
	ASN1_ENUMERATED_free(e);
	return ((int)v);
}

static const char *
revoke_reason_name(int r)
{
	switch (r) {
	case CRL_REASON_KEY_COMPROMISE:
		return ("keyCompromise");
	case CRL_REASON_CA_COMPROMISE:
		return ("cACompromise");
	case CRL_REASON_AFFILIATION_CHANGED:
		return ("affiliationChanged");
	case CRL_REASON_SUPERSEDED:
		return ("superseded");
	case CRL_REASON_CESSATION_OF_OPERATION:
		return ("cessationOfOperation");
	case CRL_REASON_CERTIFICATE_HOLD:
		return ("certificateHold");
	case CRL_REASON_PRIVILEGE_WITHDRAWN:
		return ("privilegeWithdrawn");
	case CRL_REASON_AA_COMPROMISE:
		return ("aACompromise");
	case -1:
		return ("no reason given");
	default:
		return ("unspecified");
	}
}

/*
 * Is x (with the chain it came with) revoked for a signature made at
 * when?  0: not revoked, or -C not given; -1 and why in err.
 */
int
revoke_check(struct vctx *ctx, X509 *x, STACK_OF(X509) *chain, time_t when,
    char *err, size_t errlen)
{
	X509		*issuer;
	X509_CRL	*crl;
	X509_REVOKED	*rev;
	EVP_PKEY	*pk;
	struct tm	 tm;
	char		 at[32], name[256];
	int		 i, found = 0, reason;
	int64_t		 revoked_s;

	if (ctx->crls == NULL)
		return (0);
	if ((issuer = revoke_issuer(ctx, x, chain)) == NULL ||
	    (pk = X509_get0_pubkey(issuer)) == NULL) {
		snprintf(err, errlen, "its issuer is not at hand to check a "
		    "CRL with");
		return (-1);
	}
	for (i = 0; i < sk_X509_CRL_num(ctx->crls); i++) {
		crl = sk_X509_CRL_value(ctx->crls, i);
		if (X509_NAME_cmp(X509_CRL_get_issuer(crl),
		    X509_get_subject_name(issuer)) != 0 ||
		    X509_CRL_verify(crl, pk) != 1)
			continue;
		found = 1;
		if (X509_CRL_get0_by_cert(crl, &rev, x) != 1)
			continue;
		reason = revoke_reason(rev);
		if (ASN1_TIME_to_tm(X509_REVOKED_get0_revocationDate(rev),
		    &tm) != 1) {
			snprintf(err, errlen, "revoked, at a time that cannot "
			    "be read");
			ERR_clear_error();
			return (-1);
		}
		revoked_s = (int64_t)timegm(&tm);
		util_fmt_time_ms(revoked_s * 1000, at, sizeof(at));
		if (revoked_s <= (int64_t)when) {
			snprintf(err, errlen, "revoked on %s (%s), before the "
			    "signature", at, revoke_reason_name(reason));
			return (-1);
		}
		if (reason == -1 || reason == CRL_REASON_UNSPECIFIED ||
		    reason == CRL_REASON_KEY_COMPROMISE ||
		    reason == CRL_REASON_CA_COMPROMISE) {
			snprintf(err, errlen, "revoked on %s (%s), after the "
			    "signature, for a reason that does not say the "
			    "key was sound before", at,
			    revoke_reason_name(reason));
			return (-1);
		}
	}
	ERR_clear_error();
	if (!found) {
		snprintf(err, errlen, "no CRL of %s among those given with -C",
		    certs_name(issuer, name, sizeof(name)));
		return (-1);
	}
	return (0);
}
