/*
 * The Client-Id cache (cidcache.c): ids held by a request on its way to
 * the database, and settled ids with their answers.
 */
#ifndef CFJL_CIDCACHE_H
#define CFJL_CIDCACHE_H

#include <sys/queue.h>
#include <sys/tree.h>

#include <stddef.h>
#include <stdint.h>

#include "proto.h"

enum cid_state {
	CID_LOOKUP,	/* its owner asks the database */
	CID_PENDING,	/* its owner will store it */
	CID_DONE	/* stored: item is the answer */
};

struct cid {
	RB_ENTRY(cid)		 node;
	TAILQ_ENTRY(cid)	 lru;
	char			 id[CLIENT_ID_MAX];
	enum cid_state		 state;
	void			*owner;		/* LOOKUP, PENDING */
	int			 found;		/* LOOKUP: in the database */
	uint8_t			 body[SHA256_LEN];
	struct deposit_item	 item;
};

void		 cidcache_init(void);
struct cid	*cidcache_find(const char *);
struct cid	*cidcache_claim(const char *, const uint8_t *body, void *owner);
void		 cidcache_touch(struct cid *);
void		 cidcache_settle(struct cid *);
void		 cidcache_drop(struct cid *);
void		 cidcache_each(void (*)(const char *));
int		 cidcache_lookup(struct cid **, size_t,
		    void (*)(int, const char *, void *), void *);

#endif
