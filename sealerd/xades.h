/*
 * Enveloped XAdES-T signatures (ETSI EN 319 132-1) made with a key that
 * stays in the HSM: the digests and canonical forms are computed here,
 * only the SignedInfo signature and the time-stamp token need the keys.
 */
#ifndef CFJL_XADES_H
#define CFJL_XADES_H

#include <stddef.h>
#include <time.h>

#include <libxml/tree.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#define XADES_NS_DS	"http://www.w3.org/2000/09/xmldsig#"
#define XADES_NS	"http://uri.etsi.org/01903/v1.3.2#"
#define XADES_EXC_C14N	"http://www.w3.org/2001/10/xml-exc-c14n#"

/*
 * Time-stamp the SHA-256 imprint; the DER token is malloc'd.  0, or -1
 * with a sentence in err.
 */
typedef int	(*xades_stamp_fn)(void *arg, const unsigned char imprint[32],
		    unsigned char **token, size_t *len, char *err,
		    size_t errlen);

struct xades_signer {
	EVP_PKEY	*key;
	X509		*cert;
	STACK_OF(X509)	*chain;		/* may be NULL */
	xades_stamp_fn	 stamp;
	void		*stamp_arg;
};

/*
 * Sign the document's root element in place: the signature is appended
 * as its last child and covers the whole document (Reference URI=""
 * with the enveloped-signature transform) and the signed properties.
 * id names the signed element ("lot-000000000017"); the other Id
 * attributes derive from it.  sigvalue_sha256 gets the SHA-256 of the
 * decoded ds:SignatureValue (the next lot's Precedent).  0, or -1 with
 * a sentence in err and the document left unsigned.
 */
int	xades_sign(xmlDocPtr, const char *id, const struct xades_signer *,
	    time_t signing_time, unsigned char sigvalue_sha256[32],
	    char *err, size_t errlen);
/*
 * The same signature for a document that is not a tree: digest is the
 * SHA-256 of its exclusive canonical form less the signature, and the
 * ds:Signature element comes back serialised in xml (malloc'd), to be
 * written as the last child of the signed element.  0, or -1 with a
 * sentence in err.
 */
int	xades_sign_digest(const unsigned char digest[32], const char *id,
	    const struct xades_signer *, time_t signing_time,
	    unsigned char sigvalue_sha256[32], unsigned char **xml,
	    size_t *len, char *err, size_t errlen);

#endif
