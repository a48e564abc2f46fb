/*
 * stored: the only CFJL process that talks to PostgreSQL.  It numbers
 * traces (IDEvt), encrypts them for the regulator, stores them with group
 * commit, groups them into lots and hands closed lots to sealerd.
 *
 * This header holds only what the whole daemon shares: its state (env)
 * and its clocks (stored_env.c).  Each module declares its interface in
 * its own header:
 *
 *	stored.c	start-up only: its description for common/proc.c
 *	stored_env.c	the daemon's globals and its clocks
 *	stored_ctl.c	control socket (status, roles, seal now, stop)
 *	conninfo.c	the run-time database conninfo
 *	dbsetup.c	database, roles, migrations, identity (at start)
 *	db.c		the runtime connections: asynchronous, pipelined
 *	dbval.c		values to and from PostgreSQL: parameters, arrays
 *	crypt.c		CMS encryption for the regulator
 *	tracenum.c	the IDEvt written into a trace
 *	deposit.c	requests and their Client-Ids
 *	cidcache.c	the Client-Id cache and its lookups
 *	commit.c	group commit: numbering, encryption, write
 *	lotstate.c	numbering state, lots closing
 *	front.c		frontd's connections
 *	query.c		lots, status and export journal for frontd
 *	role.c		the dynamic role table (cfjlctl role)
 *	sealerlink.c	the link to sealerd
 *	sealqueue.c	sealing lots in order, seals written
 *	sealmem.c	the events of lots to seal, in memory
 *	export.c	export bundles; tarwrite.c, their tar writer
 */
#ifndef CFJL_STORED_H
#define CFJL_STORED_H

#include <sys/types.h>

#include <stdint.h>

struct cfjl_conf;

struct stored {
	struct cfjl_conf	*conf;
	char			 dbname[64];
	int64_t			 started_ms;
	uid_t			 front_uid;	/* expected frontd peer */
	uid_t			 sealer_uid;	/* expected on sealer.sock */
	int			 stopping;
};

extern struct stored	*env;
int64_t		 stored_env_now_ms(void);
int64_t		 stored_env_mono_us(void);

#endif
