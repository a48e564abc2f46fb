/*
 * stored: the only CFJL process that talks to PostgreSQL.  It numbers
 * traces (IDEvt), encrypts them for the regulator, stores them with group
 * commit, groups them into lots and hands closed lots to sealerd.
 *
 *	stored.c	start-up only: its description for common/proc.c
 *	stored_env.c		the daemon's globals and its clock
 *	stored_ctl.c		control socket (status, roles, seal now, stop)
 *	conninfo.c	the run-time database conninfo
 *	dbsetup.c	database, roles, migrations, identity (at start)
 *	db.c		the runtime connection: asynchronous, pipelined
 *	crypt.c		CMS encryption for the regulator
 *	deposit.c	requests, Client-Id, group commit
 *	lotstate.c		numbering state, lots closing
 *	front.c		frontd's connections
 *	query.c		lots, status and export journal for frontd
 *	role.c		the dynamic role table (cfjlctl role)
 *	sealer.c	sealing lots in order: sealerd, seals written
 */
#ifndef CFJL_STORED_H
#define CFJL_STORED_H

#include <sys/types.h>
#include <sys/queue.h>

#include <stddef.h>
#include <stdint.h>

#include <event.h>
#include <libpq-fe.h>

#include "proto.h"

struct cfjl_conf;
struct ctl_request;
struct ctl_conn;

struct stored {
	struct cfjl_conf	*conf;
	char			 dbname[64];
	int64_t			 started_ms;
	uid_t			 front_uid;	/* expected frontd peer */
	uid_t			 sealer_uid;	/* expected on sealer.sock */
	int			 stopping;
};
/* stored_env.c: the daemon's globals and its clock */
extern struct stored	*env;
int64_t		 stored_env_now_ms(void);

/* stored_ctl.c: the control socket and the stop */
void		 stored_ctl_request(const struct ctl_request *, struct ctl_conn *);
void		 stored_ctl_stop(void *);

/* conninfo.c */
char		*conninfo_build(const struct cfjl_conf *);

/* dbsetup.c */
void		 dbsetup_dbname(const struct cfjl_conf *, char *, size_t);
void		 dbsetup_run(const struct cfjl_conf *, const char *dbname);

/* db.c */
struct db_job;
struct db_params {
	int		  n;
	int		  max;
	const char	**vals;
	int		 *lens;
	int		 *fmts;
	char		**owned;	/* formatted numbers, freed with it */
};
struct db_array {
	uint8_t		*buf;
	size_t		 len;
	size_t		 cap;
	uint32_t	 n;
	uint32_t	 oid;	/* element type */
	int		 nulls;
};
#define DB_OID_BYTEA		17
#define DB_OID_INT8		20
#define DB_OID_TEXT		25
#define DB_OID_TIMESTAMPTZ	1184
typedef void	(*db_rows_cb)(PGresult *, void *);
typedef void	(*db_done_cb)(int ok, const char *err, void *);

void		 db_init(const char *conninfo, const char *dbname,
		    void (*up)(void), void (*down)(void));
void		 db_set_sync_commit(const char *);
void		 db_start(void);
int		 db_ready(void);
const char	*db_state(void);
struct db_job	*db_job_begin(db_done_cb, void *);
void		 db_job_query(struct db_job *, const char *,
		    const struct db_params *, db_rows_cb, void *);
void		 db_job_end(struct db_job *);
struct db_stmt {
	const char	*name;
	const char	*sql;
};
void		 db_prepare(const struct db_stmt *);
void		 db_job_exec(struct db_job *, const struct db_stmt *,
		    const struct db_params *, db_rows_cb, void *);
void		 db_close(void);

void		 db_params_init(struct db_params *);
void		 db_params_free(struct db_params *);
void		 db_param_u64(struct db_params *, uint64_t);
void		 db_param_text(struct db_params *, const char *);
void		 db_param_bytes(struct db_params *, const void *, size_t);
void		 db_param_time_ms(struct db_params *, int64_t);
void		 db_param_null(struct db_params *);
void		 db_param_array(struct db_params *, struct db_array *);
void		 db_array_init(struct db_array *, uint32_t oid);
void		 db_array_reset(struct db_array *);
void		 db_array_free(struct db_array *);
void		 db_array_u64(struct db_array *, uint64_t);
void		 db_array_bytes(struct db_array *, const void *, size_t);
void		 db_array_text(struct db_array *, const char *);
void		 db_array_time_ms(struct db_array *, int64_t);
void		 db_array_null(struct db_array *);

uint64_t	 db_get_u64(const PGresult *, int, int);
int64_t		 db_get_time_ms(const PGresult *, int, int);
const uint8_t	*db_get_bytes(const PGresult *, int, int, size_t *);
void		 db_get_text(const PGresult *, int, int, char *, size_t);

/* crypt.c */
#define CRYPT_CEK_EVENTS	4096	/* events under one CEK, at most */
#define CRYPT_CEK_MS		1000	/* age of a CEK, at most */
void		 crypt_init(const char *certfile, const char *cipher);
int		 crypt_encrypt(const uint8_t *, size_t, uint8_t **, size_t *);
const char	*crypt_cipher(void);
uint64_t	 crypt_keys(void);

/* tracenum.c */
int		 tracenum_write(const uint8_t *, size_t, uint32_t, uint32_t, uint64_t,
		    uint8_t **, size_t *);

/* deposit.c */
void		 deposit_init(void);
struct msg;
int		 deposit_request(uint64_t front, struct msg *);
void		 deposit_db_up(void);
void		 deposit_db_down(void);
void		 deposit_kick(void);
int		 deposit_writing(void);
size_t		 deposit_pending(void);

/* lotstate.c */
struct lot_closed {
	uint64_t	 numero;
	uint64_t	 first;
	uint64_t	 last;
	int64_t		 opened_ms;
	int64_t		 closed_ms;
};
struct lotstate_mark {
	uint64_t	 next_idevt;
	uint64_t	 lot;
	uint64_t	 lot_first;
	uint32_t	 lot_count;
	int64_t		 lot_opened_ms;
	int		 close_due;
};

void		 lotstate_init(void);
void		 lotstate_db_up(void (*ready)(void));
void		 lotstate_db_down(void);
int		 lotstate_ready(void);
void		 lotstate_mark(struct lotstate_mark *);
void		 lotstate_rewind(const struct lotstate_mark *);
uint64_t	 lotstate_assign(int64_t received_ms, uint64_t *lot,
		    struct lot_closed *, int *closed);
int		 lotstate_close_due(struct lot_closed *);
void		 lotstate_committed(const struct lot_closed *, size_t,
		    uint64_t last_idevt);
void		 lotstate_add_close(struct db_job *, const struct lot_closed *);
int		 lotstate_closing(void);
int		 lotstate_seal_now(void);
uint64_t	 lotstate_last_idevt(void);
uint64_t	 lotstate_last_sealed(void);
uint64_t	 lotstate_current(void);
enum lot_state	 lotstate_of(uint64_t);
void		 lotstate_lag(uint64_t *events, int64_t *oldest_ms, uint64_t *lots);

/* front.c */
void		 front_init(const char *dir);
int		 front_send(uint64_t, uint32_t, const struct iovec *, int);
void		 front_roles_push_all(void);
void		 front_close(void);

/* sealer.c */
void		 sealer_init(const char *dir, uid_t);
int		 sealer_ready(void);
const char	*sealer_status_json(size_t *);
void		 sealer_close(void);
void		 sealqueue_capture(struct db_job *, const struct lot_closed *);
void		 sealqueue_capture_drop(void);
void		 sealqueue_closed(const struct lot_closed *);
void		 sealqueue_db_load(struct db_job *);
void		 sealqueue_db_loaded(int ok);
void		 sealqueue_db_down(void);
void		 sealqueue_kick(void);
uint64_t	 sealqueue_last_sealed(uint64_t *last_idevt);
uint64_t	 sealqueue_pending(int64_t *oldest_opened_ms);
int		 sealer_send_lot(const struct iovec *, int);
int		 sealqueue_done(struct msg *);
int		 sealqueue_fail(struct msg *);
void		 sealqueue_lost(void);
void		 sealqueue_queue_init(void);

/* query.c */
int		 query_lot(uint64_t, struct msg *);
int		 query_status(uint64_t, struct msg *);
int		 query_requests(uint64_t, struct msg *);
char		*query_status_json(size_t *);

/* role.c */
void		 role_load(void);
void		 role_push(uint64_t front);
void		 role_control(const struct ctl_request *, struct ctl_conn *);

#endif
