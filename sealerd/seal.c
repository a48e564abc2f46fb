/*
 * One seal from start to end: the lot document, its XAdES-T signature
 * and time-stamp, the checkpoint (the same seal), or the journal file's
 * CMS signature.  A failure of the
 * HSM closes the link so that the next request opens it again; stored
 * keeps the lot pending and asks later.
 */
#include <sys/time.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "proto.h"
#include "log.h"
#include "cmssign.h"
#include "lot.h"
#include "lotxml.h"
#include "xades.h"
#include "sealer.h"

/* The signature with its certificate and token: a few kB. */
#define SEAL_SIG_ROOM	16384

struct seal_stamp {
	struct sealer	*s;
	int		 clock;
};

static int	 seal_stamp_cb(void *, const unsigned char *,
		    unsigned char **, size_t *, char *, size_t);

int
seal_hsm_ready(struct sealer *s)
{
	if (s->hsm.up)
		return 0;
	if (hsm_open(&s->hsm) == -1) {
		tsa_set_signer(&s->tsa, NULL, NULL, NULL);
		return -1;
	}
	tsa_set_signer(&s->tsa, s->hsm.tsa.key, s->hsm.tsa.cert,
	    s->hsm.tsa.chain);
	return 0;
}

static int
seal_stamp_cb(void *arg, const unsigned char *imprint, unsigned char **tok,
    size_t *len, char *err, size_t errlen)
{
	struct seal_stamp	*ss = arg;

	return tsa_stamp(&ss->s->tsa, imprint, tok, len, &ss->clock, err,
	    errlen);
}

/*
 * The lot is written as text with the digest of its canonical form made
 * on the way (lotxml.c); only the signature is a libxml2 tree, a small
 * one.  The seal is those bytes, the signature and the end tag.
 */
enum seal_result
seal_lot_make(struct sealer *s, const struct seal_lot *sl,
    const struct seal_event *ev, size_t nevents, unsigned char **xml,
    size_t *xmllen, unsigned char sigvalue_sha256[32], char *err,
    size_t errlen)
{
	struct xades_signer	 sg;
	struct seal_stamp	 ss = { s, 0 };
	struct lotxml		 lx;
	unsigned char		*sig = NULL;
	size_t			 siglen;
	char			 id[LOT_ID_MAX];
	int			 rc;

	*xml = NULL;
	if ((rc = lotxml_write(&lx, sl, ev, nevents, SEAL_SIG_ROOM, err,
	    errlen)) != 0)
		return rc == LOTXML_NOMEM ? SEAL_RETRY : SEAL_INVALID;
	if (seal_hsm_ready(s) == -1) {
		snprintf(err, errlen, "HSM unavailable: %s", s->hsm.err);
		lotxml_free(&lx);
		return SEAL_RETRY;
	}
	sg.key = s->hsm.seal.key;
	sg.cert = s->hsm.seal.cert;
	sg.chain = s->hsm.seal.chain;
	sg.stamp = seal_stamp_cb;
	sg.stamp_arg = &ss;
	lot_id(id, sizeof(id), sl->lot);
	if (xades_sign_digest(lx.digest, id, &sg, time(NULL), sigvalue_sha256,
	    &sig, &siglen, err, errlen) == -1) {
		lotxml_free(&lx);
		if (ss.clock) {
			s->clock_refusing = 1;
			return SEAL_RETRY;
		}
		/* The token may have gone: open it again next time. */
		log_warnx("lot %llu: %s", (unsigned long long)sl->lot, err);
		hsm_close(&s->hsm);
		tsa_set_signer(&s->tsa, NULL, NULL, NULL);
		return SEAL_RETRY;
	}
	s->clock_refusing = 0;
	if (lotxml_append(&lx, sig, siglen) == -1 || lotxml_end(&lx) == -1) {
		snprintf(err, errlen, "out of memory");
		free(sig);
		lotxml_free(&lx);
		return SEAL_RETRY;
	}
	free(sig);
	*xml = lx.buf;
	*xmllen = lx.len;
	s->seals++;
	s->last_lot = sl->lot;
	return SEAL_OK;
}

/* Like a lot: the same key, the same time-stamping unit. */
enum seal_result
seal_checkpoint_make(struct sealer *s, const struct checkpoint_req *cr,
    unsigned char **xml, size_t *xmllen, unsigned char sigvalue_sha256[32],
    int64_t *time_ms, char *err, size_t errlen)
{
	struct xades_signer	 sg;
	struct seal_stamp	 ss = { s, 0 };
	struct timeval		 tv;
	int			 invalid;

	*xml = NULL;
	if (seal_hsm_ready(s) == -1) {
		snprintf(err, errlen, "HSM unavailable: %s", s->hsm.err);
		return SEAL_RETRY;
	}
	sg.key = s->hsm.seal.key;
	sg.cert = s->hsm.seal.cert;
	sg.chain = s->hsm.seal.chain;
	sg.stamp = seal_stamp_cb;
	sg.stamp_arg = &ss;
	gettimeofday(&tv, NULL);
	*time_ms = (int64_t)tv.tv_sec * 1000 + tv.tv_usec / 1000;
	if (checkpoint_make(cr, &s->journal, *time_ms, &sg, sigvalue_sha256,
	    xml, xmllen, &invalid, err, errlen) == -1) {
		if (invalid)
			return SEAL_INVALID;
		if (ss.clock) {
			s->clock_refusing = 1;
			return SEAL_RETRY;
		}
		log_warnx("checkpoint %llu: %s",
		    (unsigned long long)cr->numero, err);
		hsm_close(&s->hsm);
		tsa_set_signer(&s->tsa, NULL, NULL, NULL);
		return SEAL_RETRY;
	}
	s->clock_refusing = 0;
	s->checkpoints++;
	return SEAL_OK;
}

enum seal_result
seal_journal_make(struct sealer *s, int fd, unsigned char **der,
    size_t *len, char *err, size_t errlen)
{
	if (seal_hsm_ready(s) == -1) {
		snprintf(err, errlen, "HSM unavailable: %s", s->hsm.err);
		return SEAL_RETRY;
	}
	if (cmssign_journal(fd, s->hsm.seal.key, s->hsm.seal.cert,
	    s->hsm.seal.chain, der, len, err, errlen) == -1) {
		log_warnx("journal seal: %s", err);
		hsm_close(&s->hsm);
		tsa_set_signer(&s->tsa, NULL, NULL, NULL);
		return SEAL_RETRY;
	}
	s->journal_seals++;
	return SEAL_OK;
}
