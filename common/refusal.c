/*
 * The refusal catalogue (see refusal.h).  One line a refusal, in the
 * order of enum refusal; the CFJL_ names are those of the deposit API.
 * A status seen by clients is spelt here and nowhere else.
 */
#include <stddef.h>
#include <stdlib.h>

#include "log.h"
#include "refusal.h"

static const struct refusal_info *refusal_must(enum refusal);

static const struct refusal_info refusals[] = {
	{ REFUSE_NONE, 0, NULL, NULL },
	{ REFUSE_MALFORMED, 400, "CFJL_INVALID_MESSAGE",
	    "the request or the trace is malformed: correct it and send it "
	    "again" },
	{ REFUSE_FORBIDDEN, 403, "CFJL_FORBIDDEN",
	    "the certificate's subject lacks the role this needs: ask the "
	    "functional administrator to grant it" },
	{ REFUSE_NOT_FOUND, 404, "CFJL_NOT_FOUND",
	    "there is no such resource or lot: check the path and the lot "
	    "number" },
	{ REFUSE_METHOD, 405, "CFJL_METHOD_NOT_ALLOWED",
	    "use the method the Allow header names" },
	{ REFUSE_TIMEOUT, 408, "CFJL_TIMEOUT",
	    "the request did not arrive in time: send it again, whole" },
	{ REFUSE_CLIENT_ID_REUSED, 409, "CFJL_CLIENT_ID_REUSED",
	    "this Client-Id names another trace: give each trace its own "
	    "Client-Id" },
	{ REFUSE_LENGTH_REQUIRED, 411, "CFJL_LENGTH_REQUIRED",
	    "send the body with a Content-Length" },
	{ REFUSE_TOO_LARGE, 413, "CFJL_TOO_LARGE",
	    "the body or the batch is over the vault's limits: split it" },
	{ REFUSE_URI_TOO_LONG, 414, "CFJL_INVALID_MESSAGE",
	    "the request target is too long: ask for a shorter one" },
	{ REFUSE_MEDIA_TYPE, 415, "CFJL_UNSUPPORTED_MEDIA_TYPE",
	    "send traces as application/xml" },
	{ REFUSE_EXPECTATION, 417, "CFJL_INVALID_MESSAGE",
	    "the only expectation understood is 100-continue" },
	{ REFUSE_INVALID, 422, "CFJL_INVALID_MESSAGE",
	    "the trace breaks its schema or names another operator or vault: "
	    "correct it and send it again" },
	{ REFUSE_HEAD_TOO_LARGE, 431, "CFJL_INVALID_MESSAGE",
	    "the request head is too large: send fewer or shorter header "
	    "fields" },
	{ REFUSE_INTERNAL, 500, "CFJL_INTERNAL_ERROR",
	    "the vault failed to handle the request and stored nothing: tell "
	    "its administrator" },
	{ REFUSE_NOT_IMPLEMENTED, 501, "CFJL_INVALID_MESSAGE",
	    "no transfer coding is understood: send a Content-Length" },
	{ REFUSE_UNAVAILABLE, 503, "CFJL_UNAVAILABLE",
	    "the store or the sealer is down: try again after Retry-After "
	    "seconds, a deposit with the same Client-Id" },
	{ REFUSE_HTTP_VERSION, 505, "CFJL_INVALID_MESSAGE",
	    "speak HTTP/1.1 or HTTP/1.0" },
	{ REFUSE_TIMESTAMP, 400, "CFJL_INVALID_TIMESTAMP",
	    "the Timestamp header is not an RFC 3339 date-time: send it as "
	    "2026-11-24T10:00:00.123Z or with an offset, or not at all" },
};
_Static_assert(sizeof(refusals) / sizeof(refusals[0]) == REFUSE_MAX,
    "one entry a code, in the order of enum refusal");

/* The entry of a code, NULL if there is none (a peer's unknown code). */
const struct refusal_info *
refusal_get(uint32_t code)
{
	if (code == REFUSE_NONE || code >= REFUSE_MAX)
		return NULL;
	if (refusals[code].code != code)
		fatalx("refusal catalogue out of order at %u", code);
	return &refusals[code];
}

/* The entry answering an HTTP status, NULL if none does. */
const struct refusal_info *
refusal_by_http(int http)
{
	size_t	 i;

	for (i = 1; i < sizeof(refusals) / sizeof(refusals[0]); i++)
		if (refusals[i].http == http)
			return &refusals[i];
	return NULL;
}

static const struct refusal_info *
refusal_must(enum refusal code)
{
	const struct refusal_info	*r;

	if ((r = refusal_get(code)) == NULL)
		fatalx("refusal %d is not in the catalogue", (int)code);
	return r;
}

int
refusal_http(enum refusal code)
{
	return refusal_must(code)->http;
}

const char *
refusal_status(enum refusal code)
{
	return refusal_must(code)->status;
}

const char *
refusal_sentence(enum refusal code)
{
	return refusal_must(code)->sentence;
}
