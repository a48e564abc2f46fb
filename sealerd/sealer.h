/*
 * sealerd: what its modules share.  The sealer holds the HSM link, the
 * time-stamping unit and the counters shown by IMSG_SEALER_STATUS.
 */
#ifndef CFJL_SEALER_H
#define CFJL_SEALER_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "hsm.h"
#include "tsa.h"
#include "checkpoint.h"

#define SEALER_RETRY_HSM	5	/* seconds, retry_after when HSM down */
#define SEALER_RETRY_CLOCK	10	/* seconds, clock not trustworthy */

struct seal_lot;
struct seal_event;
struct checkpoint_req;

enum seal_result {
	SEAL_OK,
	SEAL_RETRY,	/* HSM or clock: the same lot will do later */
	SEAL_INVALID	/* the lot itself is wrong */
};

struct sealer {
	struct hsm	 hsm;
	struct tsa	 tsa;
	unsigned long	 seals;
	unsigned long	 journal_seals;
	unsigned long	 checkpoints;
	struct checkpoint_journal journal;	/* newest sealed, from auditd */
	unsigned long	 refusals;
	uint64_t	 last_lot;
	time_t		 started;
	int		 clock_refusing;	/* refusing now */
	char		 last_error[512];
};

/* seal.c */
enum seal_result seal_lot_make(struct sealer *, const struct seal_lot *,
		    const struct seal_event *, size_t nevents,
		    unsigned char **xml, size_t *xmllen,
		    unsigned char sigvalue_sha256[32], char *err,
		    size_t errlen);
enum seal_result seal_journal_make(struct sealer *, int fd,
		    unsigned char **der, size_t *len, char *err,
		    size_t errlen);
/* The checkpoint, sealed with the lot key; *time_ms gets its time. */
enum seal_result seal_checkpoint_make(struct sealer *,
		    const struct checkpoint_req *, unsigned char **xml,
		    size_t *xmllen, unsigned char sigvalue_sha256[32],
		    int64_t *time_ms, char *err, size_t errlen);
/* Make sure the HSM is open; 0 if it is. */
int		 seal_hsm_ready(struct sealer *);

/* status.c */
char		*status_json(struct sealer *);

#endif
