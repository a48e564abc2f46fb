/*
 * manifest.json: what the bundle claims to hold.  Its members are read
 * here and checked for form; whether the lots agree with it is for
 * chain.c.  The members are described in cfjl-export(5).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "verify.h"

#define MANIFEST_FORMAT	"cfjl-export/1"

static int	 manifest_time(const struct jv *, uint64_t *);
static int	 manifest_pair(const struct jv *, const char *, const char *,
		    uint64_t *, uint64_t *);

/* since/until: "YYYYMMDDhhmmss" (or the same digits as a number) */
static int
manifest_time(const struct jv *v, uint64_t *t)
{
	int64_t	 ms;

	if (v == NULL)
		return (-1);
	if (v->type == J_STR) {
		if (strlen(v->str) != 14 || util_parse_u64(v->str, t) == -1)
			return (-1);
	} else if (jsonread_u64(v, t) == -1)
		return (-1);
	return (util_parse_compact_time(*t, &ms));
}

static int
manifest_pair(const struct jv *o, const char *a, const char *b,
    uint64_t *va, uint64_t *vb)
{
	if (o == NULL || o->type != J_OBJ)
		return (-1);
	if (jsonread_u64(jsonread_get(o, a), va) == -1 ||
	    jsonread_u64(jsonread_get(o, b), vb) == -1)
		return (-1);
	return (0);
}

int
manifest_parse(struct manifest *m, const char *buf, size_t len)
{
	struct jv	*root, *v, *req;
	char		 err[128];
	int		 bad = 0;

	m->present = 1;
	if ((root = jsonread_parse(buf, len, err, sizeof(err))) == NULL) {
		report_fail("manifest.json: not well-formed JSON: %s", err);
		return (-1);
	}
	if (root->type != J_OBJ) {
		report_fail("manifest.json: not a JSON object");
		jsonread_free(root);
		return (-1);
	}

	v = jsonread_get(root, "format");
	if (v == NULL || v->type != J_STR ||
	    strcmp(v->str, MANIFEST_FORMAT) != 0) {
		report_fail("manifest.json: format is not \"%s\"", MANIFEST_FORMAT);
		bad = 1;
	} else
		strlcpy(m->format, v->str, sizeof(m->format));

	v = jsonread_get(root, "operator");
	if (v != NULL && (v->type == J_STR || v->type == J_NUM) &&
	    strlen(v->str) < sizeof(m->operator) && *v->str != '\0')
		strlcpy(m->operator, v->str, sizeof(m->operator));
	else {
		report_fail("manifest.json: operator missing or malformed");
		bad = 1;
	}
	if (jsonread_u64(jsonread_get(root, "vault"), &m->vault) == -1) {
		report_fail("manifest.json: vault missing or not a number");
		bad = 1;
	}

	req = jsonread_get(root, "requested");
	if (req != NULL && jsonread_get(req, "since") != NULL) {
		m->req_by_time = 1;
		if (manifest_time(jsonread_get(req, "since"), &m->req_from) == -1 ||
		    manifest_time(jsonread_get(req, "until"), &m->req_to) == -1) {
			report_fail("manifest.json: requested since/until "
			    "malformed (YYYYMMDDhhmmss)");
			bad = 1;
		}
	} else if (manifest_pair(req, "from", "to", &m->req_from,
	    &m->req_to) == -1) {
		report_fail("manifest.json: requested range missing or "
		    "malformed");
		bad = 1;
	}
	if (!bad && m->req_from > m->req_to) {
		report_fail("manifest.json: requested range is reversed");
		bad = 1;
	}

	v = jsonread_get(root, "included");
	if (v != NULL && v->type == J_NULL)
		m->has_included = 0;
	else if (manifest_pair(v, "from", "to", &m->inc_from,
	    &m->inc_to) == -1 || m->inc_from > m->inc_to ||
	    m->inc_from == 0) {
		report_fail("manifest.json: included range missing or malformed");
		bad = 1;
	} else
		m->has_included = 1;

	v = jsonread_get(root, "lots");
	if (v != NULL && v->type == J_NULL) {
		if (m->has_included) {
			report_fail("manifest.json: included events but no lots");
			bad = 1;
		}
	} else if (manifest_pair(v, "first", "last", &m->lot_first,
	    &m->lot_last) == -1 || m->lot_first > m->lot_last ||
	    m->lot_first == 0) {
		report_fail("manifest.json: lots first/last missing or malformed");
		bad = 1;
	} else if (!m->has_included) {
		report_fail("manifest.json: lots listed but no included range");
		bad = 1;
	}

	if ((v = jsonread_get(root, "events")) != NULL) {
		if (jsonread_u64(v, &m->nevents) == -1) {
			report_fail("manifest.json: events is not a number");
			bad = 1;
		} else
			m->has_events = 1;
	}
	if ((v = jsonread_get(root, "sealed")) != NULL && v->type != J_NULL) {
		if (manifest_pair(v, "lot", "idevt", &m->sealed_lot,
		    &m->sealed_idevt) == -1) {
			report_fail("manifest.json: sealed lot/idevt malformed");
			bad = 1;
		} else
			m->has_sealed = 1;
	}
	v = jsonread_get(root, "created");
	if (v == NULL || v->type != J_STR ||
	    strlen(v->str) >= sizeof(m->created)) {
		report_fail("manifest.json: created missing or malformed");
		bad = 1;
	} else
		strlcpy(m->created, v->str, sizeof(m->created));

	jsonread_free(root);
	if (bad)
		return (-1);
	m->valid = 1;
	if (m->req_by_time)
		report_ok("manifest.json: %s, operator %s, vault %llu, requested "
		    "since %llu until %llu", m->format, m->operator,
		    (unsigned long long)m->vault,
		    (unsigned long long)m->req_from,
		    (unsigned long long)m->req_to);
	else
		report_ok("manifest.json: %s, operator %s, vault %llu, requested "
		    "IDEvt %llu to %llu", m->format, m->operator,
		    (unsigned long long)m->vault,
		    (unsigned long long)m->req_from,
		    (unsigned long long)m->req_to);
	return (0);
}
