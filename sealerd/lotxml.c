/*
 * The lot document written directly as bytes, for sealerd: the text a
 * libxml2 tree from lot_build() would serialise to, and, digested on
 * the way, its exclusive canonical form (the enveloped Reference of the
 * seal covers the whole document less ds:Signature).  Building a tree
 * of 1000 events, canonicalising it and serialising it cost several
 * milliseconds; this costs a few hundred microseconds.
 *
 * It is our own document, so the canonical form is simple: no XML
 * declaration, the default namespace on Lot, attributes sorted by name,
 * empty elements as start and end tags, the whitespace text as it is.
 * No value needs escaping: lot_check() allows only [A-Z0-9_] in types,
 * digits in dates, RFC 3339 in depositors' times, and the rest is
 * numbers, times and base64.
 * regress/sealerd/lotxml_test proves both forms equal to libxml2's.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "proto.h"
#include "lot.h"
#include "lotxml.h"

/* One Evenement in either form, with room to spare (about 350 bytes). */
#define LOTXML_EVENT_MAX	512
#define LOTXML_HEAD_MAX		1024
#define LOTXML_C14N_BUF		16384

#define PUT(p, s)	put((p), (s), sizeof(s) - 1)

struct lotxml_c14n {
	EVP_MD_CTX	*md;
	char		 buf[LOTXML_C14N_BUF];
	size_t		 len;
	int		 failed;
};

static char	*put(char *, const char *, size_t);
static char	*put_u64(char *, uint64_t);
static char	*put_u64_12(char *, uint64_t);
static char	*put_b64(char *, const uint8_t *, size_t);
static int	 lotxml_reserve(struct lotxml *, size_t);
static void	 c14n_flush(struct lotxml_c14n *);
static char	*c14n_room(struct lotxml_c14n *);

static char *
put(char *p, const char *s, size_t len)
{
	memcpy(p, s, len);
	return p + len;
}

static char *
put_u64(char *p, uint64_t v)
{
	char	 d[20];
	size_t	 n = 0;

	do {
		d[sizeof(d) - ++n] = '0' + v % 10;
		v /= 10;
	} while (v != 0);
	return put(p, d + sizeof(d) - n, n);
}

/* At least 12 digits, zero-padded, as "%012" PRIu64. */
static char *
put_u64_12(char *p, uint64_t v)
{
	char	 d[20];
	size_t	 n = 0;

	do {
		d[sizeof(d) - ++n] = '0' + v % 10;
		v /= 10;
	} while (v != 0 || n < 12);
	return put(p, d + sizeof(d) - n, n);
}

static char *
put_b64(char *p, const uint8_t *b, size_t len)
{
	return p + EVP_EncodeBlock((unsigned char *)p, b, (int)len);
}

static int
lotxml_reserve(struct lotxml *x, size_t more)
{
	unsigned char	*b;
	size_t		 cap;

	if (x->cap - x->len >= more)
		return 0;
	if (more > SIZE_MAX / 2 - x->len)
		return -1;
	cap = x->len + more;
	if (cap < x->cap * 2)
		cap = x->cap * 2;
	if ((b = realloc(x->buf, cap)) == NULL)
		return -1;
	x->buf = b;
	x->cap = cap;
	return 0;
}

static void
c14n_flush(struct lotxml_c14n *c)
{
	if (c->len > 0 && EVP_DigestUpdate(c->md, c->buf, c->len) != 1)
		c->failed = 1;
	c->len = 0;
}

/* Where the next piece of canonical text goes: LOTXML_EVENT_MAX free. */
static char *
c14n_room(struct lotxml_c14n *c)
{
	if (sizeof(c->buf) - c->len < LOTXML_EVENT_MAX)
		c14n_flush(c);
	return c->buf + c->len;
}

int
lotxml_write(struct lotxml *x, const struct seal_lot *sl,
    const struct seal_event *ev, size_t nevents, size_t room, char *err,
    size_t errlen)
{
	struct lotxml_c14n	*c;
	char			 id[LOT_ID_MAX], b64p[48], tm[LOT_TIME_LEN + 1];
	char			 dep[48], emp[48], num[24], b64r[48], *p, *q;
	uint8_t			 mth[SHA256_LEN];
	size_t			 i, idl, b64l, b64rl, tl, dl, nl, depl, empl;
	size_t			 sl_;
	unsigned int		 dlen;
	int			 rc = LOTXML_NOMEM;

	memset(x, 0, sizeof(*x));
	if (lot_check(sl, ev, nevents, err, errlen) == -1)
		return LOTXML_INVALID;
	if ((c = calloc(1, sizeof(*c))) == NULL ||
	    (c->md = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestInit_ex(c->md, EVP_sha256(), NULL) != 1 ||
	    nevents > (SIZE_MAX - LOTXML_HEAD_MAX - room) / LOTXML_EVENT_MAX ||
	    lotxml_reserve(x, LOTXML_HEAD_MAX + nevents * LOTXML_EVENT_MAX +
	    room) == -1)
		goto oom;

	lot_id(id, sizeof(id), sl->lot);
	idl = strlen(id);
	b64l = put_b64(b64p, sl->precedent, sizeof(sl->precedent)) - b64p;
	if (lot_root(ev, nevents, mth) == -1)
		goto oom;
	b64rl = put_b64(b64r, mth, sizeof(mth)) - b64r;

	/* As stored: the document order of lot_build(). */
	p = (char *)x->buf;
	p = PUT(p, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	    "<Lot xmlns=\"" LOT_NS "\" Id=\"");
	p = put(p, id, idl);
	p = PUT(p, "\" Numero=\"");
	p = put_u64(p, sl->lot);
	p = PUT(p, "\" Operateur=\"");
	p = put_u64(p, sl->operator_id);
	p = PUT(p, "\" Coffre=\"");
	p = put_u64(p, sl->vault_id);
	p = PUT(p, "\" Premier=\"");
	p = put_u64(p, sl->first);
	p = PUT(p, "\" Dernier=\"");
	p = put_u64(p, sl->last);
	p = PUT(p, "\">\n  <Precedent>");
	p = put(p, b64p, b64l);
	p = PUT(p, "</Precedent>\n  <Racine>");
	p = put(p, b64r, b64rl);
	p = PUT(p, "</Racine>");

	/* Canonical: attributes sorted by name. */
	q = c14n_room(c);
	q = PUT(q, "<Lot xmlns=\"" LOT_NS "\" Coffre=\"");
	q = put_u64(q, sl->vault_id);
	q = PUT(q, "\" Dernier=\"");
	q = put_u64(q, sl->last);
	q = PUT(q, "\" Id=\"");
	q = put(q, id, idl);
	q = PUT(q, "\" Numero=\"");
	q = put_u64(q, sl->lot);
	q = PUT(q, "\" Operateur=\"");
	q = put_u64(q, sl->operator_id);
	q = PUT(q, "\" Premier=\"");
	q = put_u64(q, sl->first);
	q = PUT(q, "\">\n  <Precedent>");
	q = put(q, b64p, b64l);
	q = PUT(q, "</Precedent>\n  <Racine>");
	q = put(q, b64r, b64rl);
	q = PUT(q, "</Racine>");
	c->len = q - c->buf;

	for (i = 0; i < nevents; i++) {
		/* lot_check() has seen both fields and the time. */
		tl = strlen(ev[i].type);
		dl = strlen(ev[i].dateevt);
		if (lot_time_ms(tm, sizeof(tm), ev[i].received_ms) == -1)
			goto oom;
		nl = put_u64(num, ev[i].idevt) - num;
		depl = put_b64(dep, ev[i].depositor, sizeof(ev[i].depositor)) -
		    dep;
		empl = put_b64(emp, ev[i].file_sha256,
		    sizeof(ev[i].file_sha256)) - emp;

		p = PUT(p, "\n  <Evenement IDEvt=\"");
		p = put(p, num, nl);
		p = PUT(p, "\" Type=\"");
		p = put(p, ev[i].type, tl);
		p = PUT(p, "\" DateEvt=\"");
		p = put(p, ev[i].dateevt, dl);
		p = PUT(p, "\" Recu=\"");
		p = put(p, tm, LOT_TIME_LEN);
		if ((sl_ = strlen(ev[i].stamp)) > 0) {
			p = PUT(p, "\" Horodatage=\"");
			p = put(p, ev[i].stamp, sl_);
		}
		p = PUT(p, "\" Deposant=\"");
		p = put(p, dep, depl);
		p = PUT(p, "\" Fichier=\"events/");
		p = put_u64_12(p, ev[i].idevt);
		p = PUT(p, ".p7m\" Empreinte=\"");
		p = put(p, emp, empl);
		p = PUT(p, "\"/>");

		q = c14n_room(c);
		q = PUT(q, "\n  <Evenement DateEvt=\"");
		q = put(q, ev[i].dateevt, dl);
		q = PUT(q, "\" Deposant=\"");
		q = put(q, dep, depl);
		q = PUT(q, "\" Empreinte=\"");
		q = put(q, emp, empl);
		q = PUT(q, "\" Fichier=\"events/");
		q = put_u64_12(q, ev[i].idevt);
		if (sl_ > 0) {
			q = PUT(q, ".p7m\" Horodatage=\"");
			q = put(q, ev[i].stamp, sl_);
			q = PUT(q, "\" IDEvt=\"");
		} else
			q = PUT(q, ".p7m\" IDEvt=\"");
		q = put(q, num, nl);
		q = PUT(q, "\" Recu=\"");
		q = put(q, tm, LOT_TIME_LEN);
		q = PUT(q, "\" Type=\"");
		q = put(q, ev[i].type, tl);
		q = PUT(q, "\"></Evenement>");
		c->len = q - c->buf;
	}
	/* The signature goes after this newline; the canonical form cuts it. */
	p = PUT(p, "\n");
	q = c14n_room(c);
	q = PUT(q, "\n</Lot>");
	c->len = q - c->buf;
	c14n_flush(c);
	if (c->failed || EVP_DigestFinal_ex(c->md, x->digest, &dlen) != 1 ||
	    dlen != sizeof(x->digest))
		goto oom;
	x->len = p - (char *)x->buf;
	rc = 0;
	goto done;
 oom:
	snprintf(err, errlen, "lot %" PRIu64 ": out of memory", sl->lot);
	lotxml_free(x);
 done:
	if (c != NULL) {
		EVP_MD_CTX_free(c->md);
		free(c);
	}
	return rc;
}

int
lotxml_append(struct lotxml *x, const void *p, size_t len)
{
	if (lotxml_reserve(x, len) == -1)
		return -1;
	memcpy(x->buf + x->len, p, len);
	x->len += len;
	return 0;
}

int
lotxml_end(struct lotxml *x)
{
	return lotxml_append(x, "</Lot>\n", 7);
}

void
lotxml_free(struct lotxml *x)
{
	free(x->buf);
	memset(x, 0, sizeof(*x));
}
