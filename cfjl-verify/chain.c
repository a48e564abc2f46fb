/*
 * The checks that need more than one piece: the manifest against the
 * lots, each lot against the one before (numbers, IDEvt ranges, the
 * Precedent chain), the event files against the lot entries, and, with
 * several bundles, the bundles against each other (identical overlap,
 * the chain going on from one to the next).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "verify.h"

static const uint8_t zero32[V_SHA256_LEN];

static void	 chain_manifest(struct bundle *);
static void	 chain_lots(struct bundle *);
static void	 chain_events(struct vctx *, struct bundle *);
static int	 lot_touches_time(const struct vlot *, int64_t, int64_t);
static void	 chain_link(struct vlot *, struct vlot *, const char *);

#define ULL(x)	((unsigned long long)(x))

static int
lot_touches_time(const struct vlot *lot, int64_t since, int64_t until)
{
	size_t	 i;

	for (i = 0; i < lot->nentries; i++)
		if (lot->entries[i].recu_ms >= since &&
		    lot->entries[i].recu_ms < until)
			return (1);
	return (0);
}

static void
chain_manifest(struct bundle *b)
{
	struct manifest	*m = &b->m;
	struct vlot	*first, *last;
	uint64_t	 total = 0;
	int64_t		 since, until, created;
	char		 vault[32];
	size_t		 i;
	int		 bad = 0;

	if (!m->valid)
		return;
	snprintf(vault, sizeof(vault), "%llu", ULL(m->vault));
	for (i = 0; i < b->nlots; i++) {
		struct vlot *l = &b->lots[i];

		if (!l->parsed)
			continue;
		if (strcmp(l->operateur, m->operator) != 0 ||
		    strcmp(l->coffre, vault) != 0) {
			report_fail("lot %llu: Operateur %s, Coffre %s: the manifest "
			    "says operator %s, vault %s", ULL(l->numero),
			    l->operateur, l->coffre, m->operator, vault);
			bad++;
		}
		total += l->nentries;
	}
	if (util_parse_iso8601_ms(m->created, &created) == -1) {
		report_fail("manifest.json: created is not a UTC time");
		bad++;
	} else
		for (i = 0; i < b->nlots; i++) {
			struct vlot *l = &b->lots[i];

			if (l->signing_ms > created + V_SKEW_MS ||
			    l->gentime_ms > created + V_SKEW_MS) {
				report_fail("lot %llu: sealed after the bundle was "
				    "made (%s)", ULL(l->numero), m->created);
				bad++;
			}
		}
	if (b->nlots == 0) {
		if (m->has_included) {
			report_fail("manifest.json lists lots %llu to %llu but the "
			    "bundle holds no lot", ULL(m->lot_first),
			    ULL(m->lot_last));
			return;
		}
		report_ok("manifest.json: no sealed lot in the requested range; "
		    "the bundle is empty, as it says");
		return;
	}
	first = &b->lots[0];
	last = &b->lots[b->nlots - 1];
	if (!m->has_included) {
		report_fail("manifest.json says nothing is included, but the bundle "
		    "holds lots %llu to %llu", ULL(first->numero),
		    ULL(last->numero));
		return;
	}
	if (first->numero != m->lot_first || last->numero != m->lot_last) {
		report_fail("manifest.json lists lots %llu to %llu, the bundle holds "
		    "lots %llu to %llu", ULL(m->lot_first), ULL(m->lot_last),
		    ULL(first->numero), ULL(last->numero));
		bad++;
	}
	if (first->parsed && last->parsed &&
	    (first->premier != m->inc_from || last->dernier != m->inc_to)) {
		report_fail("manifest.json says IDEvt %llu to %llu are included, the "
		    "lots hold %llu to %llu", ULL(m->inc_from), ULL(m->inc_to),
		    ULL(first->premier), ULL(last->dernier));
		bad++;
	}
	if (m->has_events && m->nevents != total) {
		report_fail("manifest.json counts %llu events, the lots list %llu",
		    ULL(m->nevents), ULL(total));
		bad++;
	}
	if (m->has_sealed && (m->sealed_lot < m->lot_last ||
	    m->sealed_idevt < m->inc_to)) {
		report_fail("manifest.json says sealing had reached lot %llu (IDEvt "
		    "%llu), before the lots it includes", ULL(m->sealed_lot),
		    ULL(m->sealed_idevt));
		bad++;
	}

	/* the requested range against what came */
	if (!m->req_by_time) {
		if (first->parsed && first->dernier < m->req_from) {
			report_fail("lot %llu ends at IDEvt %llu, before the "
			    "requested range (from %llu)", ULL(first->numero),
			    ULL(first->dernier), ULL(m->req_from));
			bad++;
		}
		if (last->parsed && last->premier > m->req_to) {
			report_fail("lot %llu starts at IDEvt %llu, after the "
			    "requested range (to %llu)", ULL(last->numero),
			    ULL(last->premier), ULL(m->req_to));
			bad++;
		}
		if (m->inc_from > m->req_from && m->req_from > 0) {
			report_fail("the requested range starts at IDEvt %llu, the "
			    "bundle at %llu: events are missing at the start",
			    ULL(m->req_from), ULL(m->inc_from));
			bad++;
		}
		if (m->inc_to < m->req_to) {
			if (m->has_sealed && m->sealed_idevt == m->inc_to &&
			    m->sealed_lot == m->lot_last)
				report_note("sealing had reached IDEvt %llu (lot "
				    "%llu) when the bundle was made: IDEvt "
				    "%llu to %llu are not in it",
				    ULL(m->inc_to), ULL(m->lot_last),
				    ULL(m->inc_to + 1), ULL(m->req_to));
			else {
				report_fail("the requested range ends at IDEvt %llu, "
				    "the bundle at %llu, and the manifest does "
				    "not say sealing stopped there",
				    ULL(m->req_to), ULL(m->inc_to));
				bad++;
			}
		}
	} else {
		if (util_parse_compact_time(m->req_from, &since) == 0 &&
		    util_parse_compact_time(m->req_to, &until) == 0) {
			until += 1000;	/* the whole last second */
			for (i = 0; i < b->nlots; i++)
				if (b->lots[i].parsed && !lot_touches_time(
				    &b->lots[i], since, until)) {
					report_fail("lot %llu has no event received "
					    "in the requested time range",
					    ULL(b->lots[i].numero));
					bad++;
				}
		}
	}
	if (bad == 0)
		report_ok("manifest.json agrees with the lots: lots %llu to %llu, "
		    "IDEvt %llu to %llu, %llu events", ULL(m->lot_first),
		    ULL(m->lot_last), ULL(m->inc_from), ULL(m->inc_to),
		    ULL(total));
}

/* prev is lot n-1 of cur: IDEvt continuity and the Precedent link. */
static void
chain_link(struct vlot *prev, struct vlot *cur, const char *where)
{
	if (!prev->parsed || !cur->parsed)
		return;
	if (cur->premier != prev->dernier + 1)
		report_fail("lot %llu: Premier %llu does not follow lot %llu's "
		    "Dernier %llu%s", ULL(cur->numero), ULL(cur->premier),
		    ULL(prev->numero), ULL(prev->dernier), where);
	if (!prev->has_sigvalue || !cur->has_precedent)
		return;
	if (memcmp(cur->precedent, prev->sigvalue_sha, V_SHA256_LEN) != 0)
		report_fail("lot %llu: Precedent does not match lot %llu's "
		    "SignatureValue%s", ULL(cur->numero), ULL(prev->numero),
		    where);
}

static void
chain_lots(struct bundle *b)
{
	struct vlot	*cur, *prev;
	unsigned long	 before;
	size_t		 i;

	if (b->nlots == 0)
		return;
	before = report_failures();
	cur = &b->lots[0];
	if (cur->numero == 1) {
		if (cur->has_precedent &&
		    memcmp(cur->precedent, zero32, V_SHA256_LEN) != 0)
			report_fail("lot 1: Precedent is not 32 zero bytes");
		if (cur->parsed && cur->premier != 1)
			report_fail("lot 1: Premier is %llu, not 1",
			    ULL(cur->premier));
	} else
		report_note("lot %llu: first lot of the bundle; its link to lot "
		    "%llu cannot be checked here", ULL(cur->numero),
		    ULL(cur->numero - 1));
	for (i = 1; i < b->nlots; i++) {
		prev = &b->lots[i - 1];
		cur = &b->lots[i];
		if (cur->numero != prev->numero + 1) {
			if (cur->numero == prev->numero + 2)
				report_fail("lot %llu is missing (between lots %llu "
				    "and %llu)", ULL(prev->numero + 1),
				    ULL(prev->numero), ULL(cur->numero));
			else
				report_fail("lots %llu to %llu are missing",
				    ULL(prev->numero + 1),
				    ULL(cur->numero - 1));
			if (prev->parsed && cur->parsed &&
			    cur->premier != prev->dernier + 1)
				report_fail("IDEvt %llu to %llu are missing (gap "
				    "between lots %llu and %llu)",
				    ULL(prev->dernier + 1),
				    ULL(cur->premier - 1), ULL(prev->numero),
				    ULL(cur->numero));
			continue;
		}
		chain_link(prev, cur, "");
	}
	if (b->nlots > 1 && report_failures() == before)
		report_ok("lots %llu to %llu: consecutive numbers and IDEvt ranges; "
		    "Precedent chain checked", ULL(b->lots[0].numero),
		    ULL(b->lots[b->nlots - 1].numero));
}

static void
chain_events(struct vctx *ctx, struct bundle *b)
{
	struct vevent	*ev;
	struct ventry	*e;
	size_t		 i, j, nfiles = 0, ndec = 0;
	int		 bad = 0, kbad = 0, b0, k0;

	for (i = 0; i < b->nlots; i++) {
		struct vlot *l = &b->lots[i];

		for (j = 0; j < l->nentries; j++) {
			e = &l->entries[j];
			if ((ev = bundle_event(b, e->idevt)) == NULL) {
				report_fail("lot %llu: event %llu: %s is missing",
				    ULL(l->numero), ULL(e->idevt), e->fichier);
				bad++;
				continue;
			}
			if (ev->ref) {
				report_fail("IDEvt %llu is listed by more than one "
				    "lot entry", ULL(e->idevt));
				bad++;
				continue;
			}
			ev->ref = 1;
			nfiles++;
			b0 = bad;
			k0 = kbad;
			if (ev->count != 1) {
				report_fail("events/%012llu.p7m appears twice in "
				    "the bundle", ULL(e->idevt));
				bad++;
			}
			if (memcmp(ev->sha, e->empreinte, V_SHA256_LEN) != 0) {
				report_fail("lot %llu: event %llu: Empreinte does "
				    "not match events/%012llu.p7m (%llu bytes): "
				    "the file was changed", ULL(l->numero),
				    ULL(e->idevt), ULL(e->idevt),
				    ULL(ev->size));
				bad++;
			}
			if (ctx->regkey == NULL)
				continue;
			if (ev->dec != DEC_OK) {
				report_fail("event %llu: %s", ULL(e->idevt),
				    ev->why != NULL ? ev->why : "?");
				kbad++;
				continue;
			}
			if (strcmp(ev->root, e->type) != 0) {
				report_fail("event %llu: the trace is a %s, the lot "
				    "says %s", ULL(e->idevt), ev->root,
				    e->type);
				kbad++;
			}
			if (!ev->has_idevt)
				report_fail("event %llu: the trace carries no "
				    "numeric IDEvt", ULL(e->idevt));
			else if (ev->inner_idevt != e->idevt)
				report_fail("event %llu: the trace carries IDEvt "
				    "%llu, the lot says %llu", ULL(e->idevt),
				    ULL(ev->inner_idevt), ULL(e->idevt));
			if (!ev->has_idevt || ev->inner_idevt != e->idevt)
				kbad++;
			if (strcmp(ev->inner_dateevt, e->dateevt) != 0) {
				report_fail("event %llu: the trace's DateEvt %s is "
				    "not the lot's %s", ULL(e->idevt),
				    ev->inner_dateevt, e->dateevt);
				kbad++;
			}
			if (ev->xsd < 0) {
				report_fail("event %llu: %s", ULL(e->idevt),
				    ev->why != NULL ? ev->why : "?");
				kbad++;
			}
			ndec++;
			event_publish(ctx, ev, bad == b0 && kbad == k0 &&
			    l->sig_ok && l->tst_ok);
		}
	}
	for (i = 0; i < b->nevents; i++)
		event_publish(ctx, &b->events[i], 0);
	for (i = 0; i < b->nevents; i++)
		if (!b->events[i].ref) {
			report_fail("events/%012llu.p7m is not listed in any lot "
			    "(extra file)", ULL(b->events[i].idevt));
			bad++;
		}
	if (bad == 0 && nfiles > 0)
		report_ok("events: %zu files present, each matches its Empreinte",
		    nfiles);
	if (ctx->regkey != NULL && kbad == 0 && ndec > 0)
		report_ok("events: %zu traces decrypted; root element, IDEvt and "
		    "DateEvt match their lots%s", ndec, ctx->xsd != NULL ?
		    "; valid against the schemas" : "");
	if (ctx->fast != NULL && ndec > 0)
		report_note("events: %llu content key%s unwrapped (one RSA "
		    "decryption each) for %zu traces", ULL(b->unwraps),
		    b->unwraps == 1 ? "" : "s", ndec);
}

void
chain_bundle(struct vctx *ctx, struct bundle *b)
{
	chain_manifest(b);
	chain_lots(b);
	chain_events(ctx, b);
}

/*
 * Several bundles: where two hold the same lot, the lot and its events
 * must be the same bytes; where one ends and the next begins, the chain
 * must go on; a hole between them is a failure.
 */
void
chain_bundles(struct vctx *ctx, struct bundle *bs, size_t n)
{
	struct bundle	**order, *a, *c, *t;
	struct vlot	*la, *lc;
	struct vevent	*ea, *ec;
	char		 where[512];
	uint64_t	 num, lo, hi;
	size_t		 i, j, k, bad;

	order = xcalloc(n, sizeof(*order));
	for (i = 0, j = 0; i < n; i++)
		if (!bs[i].unreadable && bs[i].nlots > 0)
			order[j++] = &bs[i];
	n = j;
	/* by first lot (a few bundles: insertion sort) */
	for (i = 1; i < n; i++)
		for (j = i; j > 0 && order[j]->lots[0].numero <
		    order[j - 1]->lots[0].numero; j--) {
			t = order[j];
			order[j] = order[j - 1];
			order[j - 1] = t;
		}
	report_scope("bundles");
	for (i = 0; i < n; i++)
		for (k = i + 1; k < n; k++) {
			a = order[i];
			c = order[k];
			if (a->m.valid && c->m.valid &&
			    (strcmp(a->m.operator, c->m.operator) != 0 ||
			    a->m.vault != c->m.vault))
				report_fail("%s and %s come from different vaults",
				    a->name, c->name);
			lo = c->lots[0].numero;
			hi = a->lots[a->nlots - 1].numero;
			if (c->lots[c->nlots - 1].numero < hi)
				hi = c->lots[c->nlots - 1].numero;
			if (lo > hi)
				continue;
			bad = 0;
			for (num = lo; num <= hi; num++) {
				la = bundle_lot(a, num);
				lc = bundle_lot(c, num);
				if (la == NULL || lc == NULL)
					continue;
				if (memcmp(la->raw_sha, lc->raw_sha,
				    V_SHA256_LEN) != 0) {
					report_fail("lot %llu differs between %s "
					    "and %s", ULL(num), a->name,
					    c->name);
					bad++;
				}
				for (j = 0; j < la->nentries; j++) {
					ea = bundle_event(a,
					    la->entries[j].idevt);
					ec = bundle_event(c,
					    la->entries[j].idevt);
					if (ea == NULL || ec == NULL)
						continue;
					if (memcmp(ea->sha, ec->sha,
					    V_SHA256_LEN) != 0) {
						report_fail("events/%012llu.p7m "
						    "differs between %s and %s",
						    ULL(ea->idevt), a->name,
						    c->name);
						bad++;
					}
				}
			}
			if (bad == 0)
				report_ok("%s and %s overlap in lots %llu to %llu: "
				    "identical", a->name, c->name, ULL(lo),
				    ULL(hi));
		}
	/* the chain across: each bundle must reach the next */
	for (i = 1; i < n; i++) {
		a = NULL;
		c = order[i];
		hi = 0;
		for (j = 0; j < i; j++)
			if (order[j]->lots[order[j]->nlots - 1].numero >= hi) {
				hi = order[j]->lots[order[j]->nlots - 1].numero;
				a = order[j];
			}
		lo = c->lots[0].numero;
		if (lo > hi + 1) {
			report_fail("lots %llu to %llu are in none of the bundles: "
			    "the chain cannot go on from %s to %s",
			    ULL(hi + 1), ULL(lo - 1), a->name, c->name);
			continue;
		}
		if (lo == hi + 1) {
			snprintf(where, sizeof(where), " (%s to %s)", a->name,
			    c->name);
			la = &a->lots[a->nlots - 1];
			lc = &c->lots[0];
			bad = report_failures();
			chain_link(la, lc, where);
			if (report_failures() == bad)
				report_ok("the chain goes on from %s (lot %llu) to %s (lot "
				    "%llu)", a->name, ULL(la->numero), c->name,
				    ULL(lc->numero));
		}
	}
	free(order);
}
