/*
 * NNNNNNNN.xml: the metadata of a closed journal file, written once at
 * closing, then rewritten once with the CMS signature from sealerd.
 *
 * The signature is one line of its own, <Signature>, and the metadata
 * file's digest (the one the next file chains to) is the SHA-256 of the
 * file without that line: the chain cannot wait for the HSM, so it
 * covers what is known at closing, and the signature comes when it can.
 */
#include <sys/types.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/cms.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/x509v3.h>

#include "auditd.h"
#include "control.h"

#define META_MAX	(1024 * 1024)	/* a metadata file, signature included */
#define META_SIG_OPEN	"  <Signature Algorithm=\"CMS\">"
#define META_SIG_CLOSE	"</Signature>\n"
#define META_END	"</JournalFile>\n"

static uid_t	meta_owner = (uid_t)-1;

static int	meta_text(const struct journal_meta *, struct ctl_text *);
static int	meta_replace(int, const char *, const char *, size_t);
static int	meta_load(int, const char *, char **, size_t *);
static int	meta_field(const char *, const char *, char *, size_t);
static int	meta_uint(const char *, const char *, uint64_t *);
static int	meta_cms_signer(CMS_ContentInfo *, char *, size_t);

/* Files made while still root belong to the journal's user. */
void
meta_set_owner(uid_t uid)
{
	meta_owner = uid;
}

int
meta_fsync_dir(int dirfd)
{
	return fsync(dirfd);
}

/* The unsigned form: exactly these bytes, field for field. */
static int
meta_text(const struct journal_meta *m, struct ctl_text *t)
{
	char	 hex[JOURNAL_HEX_LEN], prev[JOURNAL_HEX_LEN];

	record_hex(m->sha256, SHA256_LEN, hex);
	record_hex(m->prev_meta_sha256, SHA256_LEN, prev);
	control_text_printf(t,
	    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	    "<JournalFile xmlns=\"urn:cfjl:journal:1\" Operator=\"%u\" "
	    "Vault=\"%u\">\n"
	    "  <File>%s</File>\n"
	    "  <Size>%" PRIu64 "</Size>\n"
	    "  <Records>%" PRIu64 "</Records>\n"
	    "  <FirstSequence>%" PRIu64 "</FirstSequence>\n"
	    "  <LastSequence>%" PRIu64 "</LastSequence>\n"
	    "  <FirstTime>%s</FirstTime>\n"
	    "  <LastTime>%s</LastTime>\n"
	    "  <Closed>%s</Closed>\n"
	    "  <CloseReason>%s</CloseReason>\n"
	    "  <SHA256>%s</SHA256>\n"
	    "  <PreviousMetadataSHA256>%s</PreviousMetadataSHA256>\n"
	    META_END,
	    m->operator_id, m->vault_id, m->file, m->size, m->records,
	    m->first_seq, m->last_seq, m->first_time, m->last_time,
	    m->closed, m->reason, hex, prev);
	return t->error ? -1 : 0;
}

/* Write dir/name through a temporary file: it is whole or absent. */
static int
meta_replace(int dirfd, const char *name, const char *buf, size_t len)
{
	char	 tmp[JOURNAL_NAME_LEN + 8];
	ssize_t	 n;
	size_t	 off = 0;
	int	 fd, saved;

	snprintf(tmp, sizeof(tmp), "%s.tmp", name);
	if ((fd = openat(dirfd, tmp, O_WRONLY | O_CREAT | O_TRUNC |
	    O_CLOEXEC | O_NOFOLLOW, 0640)) == -1)
		return -1;
	if (meta_owner != (uid_t)-1 && geteuid() == 0 &&
	    fchown(fd, meta_owner, (gid_t)-1) == -1)
		goto fail;
	while (off < len) {
		if ((n = write(fd, buf + off, len - off)) == -1) {
			if (errno == EINTR)
				continue;
			goto fail;
		}
		off += (size_t)n;
	}
	if (fsync(fd) == -1)
		goto fail;
	close(fd);
	if (renameat(dirfd, tmp, dirfd, name) == -1) {
		saved = errno;
		unlinkat(dirfd, tmp, 0);
		errno = saved;
		return -1;
	}
	return meta_fsync_dir(dirfd);
 fail:
	saved = errno;
	close(fd);
	unlinkat(dirfd, tmp, 0);
	errno = saved;
	return -1;
}

int
meta_write(int dirfd, const struct journal_meta *m)
{
	struct ctl_text	 t = { 0 };
	char		 name[JOURNAL_NAME_LEN];
	uint32_t	 n;
	int		 ret = -1;

	if (record_journal_number(m->file, "log", &n) == -1) {
		errno = EINVAL;
		return -1;
	}
	record_journal_name(n, "xml", name);
	if (meta_text(m, &t) == 0)
		ret = meta_replace(dirfd, name, t.buf, t.len);
	else
		errno = ENOMEM;
	control_text_free(&t);
	return ret;
}

static int
meta_load(int dirfd, const char *name, char **bufp, size_t *lenp)
{
	struct stat	 st;
	char		*buf;
	ssize_t		 n;
	size_t		 off = 0;
	int		 fd, saved;

	if ((fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) ==
	    -1)
		return -1;
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode) ||
	    st.st_size > META_MAX) {
		saved = S_ISREG(st.st_mode) ? EFBIG : EINVAL;
		close(fd);
		errno = saved;
		return -1;
	}
	if ((buf = malloc((size_t)st.st_size + 1)) == NULL) {
		close(fd);
		return -1;
	}
	while (off < (size_t)st.st_size) {
		if ((n = read(fd, buf + off, (size_t)st.st_size - off)) <= 0) {
			if (n == -1 && errno == EINTR)
				continue;
			saved = n == 0 ? EIO : errno;
			free(buf);
			close(fd);
			errno = saved;
			return -1;
		}
		off += (size_t)n;
	}
	close(fd);
	buf[off] = '\0';
	*bufp = buf;
	*lenp = off;
	return 0;
}

static int
meta_field(const char *text, const char *tag, char *out, size_t outlen)
{
	char		 open[64], close_[64];
	const char	*s, *e;

	snprintf(open, sizeof(open), "  <%s>", tag);
	snprintf(close_, sizeof(close_), "</%s>\n", tag);
	if ((s = strstr(text, open)) == NULL)
		return -1;
	s += strlen(open);
	if ((e = strstr(s, close_)) == NULL || (size_t)(e - s) >= outlen ||
	    memchr(s, '\n', (size_t)(e - s)) != NULL)
		return -1;
	memcpy(out, s, (size_t)(e - s));
	out[e - s] = '\0';
	return 0;
}

static int
meta_uint(const char *text, const char *tag, uint64_t *v)
{
	char		 buf[32];
	char		*end;

	if (meta_field(text, tag, buf, sizeof(buf)) == -1 || buf[0] < '0' ||
	    buf[0] > '9')
		return -1;
	errno = 0;
	*v = strtoull(buf, &end, 10);
	return *end != '\0' || errno != 0 ? -1 : 0;
}

/*
 * Read NNNNNNNN.xml back, insisting that its unsigned form is exactly
 * what meta_text() writes for the values found: any edit shows.  The
 * signature, if any, is returned decoded (DER) in *der, to free.
 */
int
meta_read(int dirfd, uint32_t num, struct journal_meta *m, uint8_t **der,
    size_t *derlen, char *err, size_t errlen)
{
	struct ctl_text	 t = { 0 };
	char		 name[JOURNAL_NAME_LEN], hex[JOURNAL_HEX_LEN + 1];
	char		*buf = NULL, *sig, *sigend, *b64;
	size_t		 len, b64len, unsignedlen;
	unsigned int	 mdlen;
	int		 n, ret = -1;

	memset(m, 0, sizeof(*m));
	if (der != NULL) {
		*der = NULL;
		*derlen = 0;
	}
	record_journal_name(num, "xml", name);
	if (meta_load(dirfd, name, &buf, &len) == -1) {
		snprintf(err, errlen, "%s: %s", name, strerror(errno));
		return -1;
	}
	/* Take the signature line out: what is left is the unsigned form. */
	if ((sig = strstr(buf, META_SIG_OPEN)) != NULL) {
		b64 = sig + strlen(META_SIG_OPEN);
		if ((sigend = strstr(b64, META_SIG_CLOSE)) == NULL ||
		    memchr(b64, '\n', (size_t)(sigend - b64)) != NULL) {
			snprintf(err, errlen, "%s: malformed Signature", name);
			goto done;
		}
		b64len = (size_t)(sigend - b64);
		m->signed_ = 1;
		if (der != NULL && b64len > 0) {
			if ((*der = malloc(b64len / 4 * 3 + 3)) == NULL) {
				snprintf(err, errlen, "out of memory");
				goto done;
			}
			n = EVP_DecodeBlock(*der, (unsigned char *)b64,
			    (int)b64len);
			if (n < 0 || b64len % 4 != 0) {
				snprintf(err, errlen, "%s: Signature is not "
				    "base64", name);
				goto done;
			}
			/* EVP_DecodeBlock counts the padding as data. */
			if (b64[b64len - 1] == '=')
				n--;
			if (b64[b64len - 2] == '=')
				n--;
			*derlen = (size_t)n;
		}
		sigend += strlen(META_SIG_CLOSE);
		memmove(sig, sigend, len - (size_t)(sigend - buf) + 1);
	}
	unsignedlen = strlen(buf);
	EVP_Digest(buf, unsignedlen, m->digest, &mdlen, EVP_sha256(), NULL);

	if (sscanf(buf, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	    "<JournalFile xmlns=\"urn:cfjl:journal:1\" Operator=\"%u\" "
	    "Vault=\"%u\">", &m->operator_id, &m->vault_id) != 2 ||
	    meta_field(buf, "File", m->file, sizeof(m->file)) == -1 ||
	    meta_uint(buf, "Size", &m->size) == -1 ||
	    meta_uint(buf, "Records", &m->records) == -1 ||
	    meta_uint(buf, "FirstSequence", &m->first_seq) == -1 ||
	    meta_uint(buf, "LastSequence", &m->last_seq) == -1 ||
	    meta_field(buf, "FirstTime", m->first_time,
	    sizeof(m->first_time)) == -1 ||
	    meta_field(buf, "LastTime", m->last_time,
	    sizeof(m->last_time)) == -1 ||
	    meta_field(buf, "Closed", m->closed, sizeof(m->closed)) == -1 ||
	    meta_field(buf, "CloseReason", m->reason,
	    sizeof(m->reason)) == -1 ||
	    meta_field(buf, "SHA256", hex, sizeof(hex)) == -1 ||
	    record_unhex(hex, m->sha256, SHA256_LEN) == -1 ||
	    meta_field(buf, "PreviousMetadataSHA256", hex,
	    sizeof(hex)) == -1 ||
	    record_unhex(hex, m->prev_meta_sha256, SHA256_LEN) == -1) {
		snprintf(err, errlen, "%s: a field is missing or malformed",
		    name);
		goto done;
	}
	if (meta_text(m, &t) == -1 || t.len != unsignedlen ||
	    memcmp(t.buf, buf, unsignedlen) != 0) {
		snprintf(err, errlen, "%s: not in the form auditd writes "
		    "(edited?)", name);
		goto done;
	}
	ret = 0;
 done:
	if (ret == -1 && der != NULL) {
		free(*der);
		*der = NULL;
		*derlen = 0;
	}
	control_text_free(&t);
	free(buf);
	return ret;
}

/* Add the signature line to an unsigned NNNNNNNN.xml. */
int
meta_sign(int dirfd, uint32_t num, const uint8_t *der, size_t derlen,
    char *err, size_t errlen)
{
	char		 name[JOURNAL_NAME_LEN];
	char		*buf = NULL, *out = NULL, *b64 = NULL;
	size_t		 len, b64len, head, outlen;
	int		 ret = -1;

	record_journal_name(num, "xml", name);
	if (meta_load(dirfd, name, &buf, &len) == -1) {
		snprintf(err, errlen, "%s: %s", name, strerror(errno));
		return -1;
	}
	if (strstr(buf, META_SIG_OPEN) != NULL) {
		snprintf(err, errlen, "%s: already signed", name);
		goto done;
	}
	if (len < strlen(META_END) ||
	    strcmp(buf + len - strlen(META_END), META_END) != 0) {
		snprintf(err, errlen, "%s: does not end with %s", name,
		    "</JournalFile>");
		goto done;
	}
	b64len = 4 * ((derlen + 2) / 3);
	if ((b64 = malloc(b64len + 1)) == NULL) {
		snprintf(err, errlen, "out of memory");
		goto done;
	}
	EVP_EncodeBlock((unsigned char *)b64, der, (int)derlen);
	head = len - strlen(META_END);
	outlen = head + strlen(META_SIG_OPEN) + b64len +
	    strlen(META_SIG_CLOSE) + strlen(META_END);
	if ((out = malloc(outlen + 1)) == NULL) {
		snprintf(err, errlen, "out of memory");
		goto done;
	}
	snprintf(out, outlen + 1, "%.*s%s%s%s%s", (int)head, buf,
	    META_SIG_OPEN, b64, META_SIG_CLOSE, META_END);
	if (meta_replace(dirfd, name, out, outlen) == -1) {
		snprintf(err, errlen, "%s: %s", name, strerror(errno));
		goto done;
	}
	ret = 0;
 done:
	free(out);
	free(b64);
	free(buf);
	return ret;
}

/*
 * The signer's form, as cfjl-verify(1) requires it: one signer, SHA-256
 * or stronger, a certificate with the critical extended key usage
 * documentSigning (1.3.6.1.5.5.7.3.36) alone.  A signature anyone could
 * make with a TLS certificate, or with SHA-1, is refused here too.
 */
static int
meta_cms_signer(CMS_ContentInfo *cms, char *err, size_t errlen)
{
	STACK_OF(CMS_SignerInfo) *sis;
	STACK_OF(X509)		*signers = NULL;
	EXTENDED_KEY_USAGE	*eku = NULL;
	ASN1_OBJECT		*docsign = NULL;
	X509_ALGOR		*dig, *sig;
	int			 md, pk, crit, ret = -1;

	if ((sis = CMS_get0_SignerInfos(cms)) == NULL ||
	    sk_CMS_SignerInfo_num(sis) != 1) {
		snprintf(err, errlen, "the signature must have one signer");
		return -1;
	}
	CMS_SignerInfo_get0_algs(sk_CMS_SignerInfo_value(sis, 0), NULL, NULL,
	    &dig, &sig);
	md = dig != NULL ? OBJ_obj2nid(dig->algorithm) : NID_undef;
	if (md != NID_sha256 && md != NID_sha384 && md != NID_sha512) {
		snprintf(err, errlen, "the signature uses the digest %s "
		    "(SHA-256 or stronger only)", OBJ_nid2sn(md));
		return -1;
	}
	if (sig != NULL && OBJ_find_sigid_algs(OBJ_obj2nid(sig->algorithm),
	    &md, &pk) && md != NID_undef && md != NID_sha256 &&
	    md != NID_sha384 && md != NID_sha512) {
		snprintf(err, errlen, "the signature uses %s",
		    OBJ_nid2sn(OBJ_obj2nid(sig->algorithm)));
		return -1;
	}
	if ((signers = CMS_get0_signers(cms)) == NULL ||
	    sk_X509_num(signers) != 1 ||
	    (docsign = OBJ_txt2obj("1.3.6.1.5.5.7.3.36", 1)) == NULL ||
	    (eku = X509_get_ext_d2i(sk_X509_value(signers, 0),
	    NID_ext_key_usage, &crit, NULL)) == NULL || crit != 1 ||
	    sk_ASN1_OBJECT_num(eku) != 1 ||
	    OBJ_cmp(sk_ASN1_OBJECT_value(eku, 0), docsign) != 0)
		snprintf(err, errlen, "the signer's certificate is not a "
		    "sealing one (critical extended key usage "
		    "documentSigning alone)");
	else
		ret = 0;
	sk_ASN1_OBJECT_pop_free(eku, ASN1_OBJECT_free);
	ASN1_OBJECT_free(docsign);
	sk_X509_free(signers);
	return ret;
}

/*
 * Does the detached CMS signature hold over the exact bytes of the
 * .log, made by a sealing certificate with SHA-256 or stronger?  Whether
 * that certificate is trusted is for cfjl-verify with the regulator's
 * trust anchors.
 */
int
meta_cms_check(int dirfd, const char *logname, const uint8_t *der,
    size_t len, char *err, size_t errlen)
{
	const unsigned char	*p = der;
	CMS_ContentInfo		*cms = NULL;
	BIO			*content = NULL;
	unsigned long		 e;
	int			 fd, ret = -1;

	if ((cms = d2i_CMS_ContentInfo(NULL, &p, (long)len)) == NULL ||
	    p != der + len) {
		snprintf(err, errlen, "signature is not a DER CMS structure");
		goto done;
	}
	if ((fd = openat(dirfd, logname, O_RDONLY | O_CLOEXEC)) == -1) {
		snprintf(err, errlen, "%s: %s", logname, strerror(errno));
		goto done;
	}
	if ((content = BIO_new_fd(fd, BIO_CLOSE)) == NULL) {
		close(fd);
		snprintf(err, errlen, "out of memory");
		goto done;
	}
	if (CMS_verify(cms, NULL, NULL, content, NULL,
	    CMS_BINARY | CMS_NO_SIGNER_CERT_VERIFY) != 1) {
		e = ERR_peek_last_error();
		snprintf(err, errlen, "CMS signature does not match %s: %s",
		    logname, e != 0 ? ERR_reason_error_string(e) : "?");
		goto done;
	}
	ret = meta_cms_signer(cms, err, errlen);
 done:
	ERR_clear_error();
	BIO_free(content);
	CMS_ContentInfo_free(cms);
	return ret;
}
