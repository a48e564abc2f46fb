/*
 * The refusal catalogue: every way the vault says no, with the HTTP
 * status, the CFJL_ status of the JSON answer and a sentence a person
 * can act on.  frontd answers from it; stored names a refusal by its
 * code and frontd looks the rest up here.  frontd(8) lists the same
 * table, and regress/common/refusals-man.t holds the two together.
 */
#ifndef CFJL_REFUSAL_H
#define CFJL_REFUSAL_H

#include <stdint.h>

/* The status of the answers that are not refusals. */
#define ANSWER_OK		"CFJL_OK"		/* 201 */
#define ANSWER_DUPLICATE	"CFJL_DUPLICATE_EVENT"	/* 201, seen */
#define ANSWER_PENDING		"CFJL_PENDING"	/* 202, unsealed */

/* Codes travel between daemons: append, never renumber. */
enum refusal {
	REFUSE_NONE = 0,		/* not a refusal */
	REFUSE_MALFORMED,		/* 400 */
	REFUSE_FORBIDDEN,		/* 403 */
	REFUSE_NOT_FOUND,		/* 404 */
	REFUSE_METHOD,			/* 405 */
	REFUSE_TIMEOUT,			/* 408 */
	REFUSE_CLIENT_ID_REUSED,	/* 409 */
	REFUSE_LENGTH_REQUIRED,		/* 411 */
	REFUSE_TOO_LARGE,		/* 413 */
	REFUSE_URI_TOO_LONG,		/* 414 */
	REFUSE_MEDIA_TYPE,		/* 415 */
	REFUSE_EXPECTATION,		/* 417 */
	REFUSE_INVALID,			/* 422 */
	REFUSE_HEAD_TOO_LARGE,		/* 431 */
	REFUSE_INTERNAL,		/* 500 */
	REFUSE_NOT_IMPLEMENTED,		/* 501 */
	REFUSE_UNAVAILABLE,		/* 503, with Retry-After */
	REFUSE_HTTP_VERSION,		/* 505 */
	REFUSE_TIMESTAMP,		/* 400: Timestamp not RFC 3339 */
	REFUSE_MAX
};

struct refusal_info {
	enum refusal	 code;
	int		 http;		/* HTTP status */
	const char	*status;	/* CFJL_..., the JSON "status" */
	const char	*sentence;	/* what to do about it */
};

const struct refusal_info	*refusal_get(uint32_t);
const struct refusal_info	*refusal_by_http(int);
int			 refusal_http(enum refusal);
const char		*refusal_status(enum refusal);
const char		*refusal_sentence(enum refusal);

#endif /* CFJL_REFUSAL_H */
