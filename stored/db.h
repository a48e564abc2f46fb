/*
 * The runtime connections to PostgreSQL (db.c): jobs of pipelined
 * statements, each committed at its sync point; the writer, and a
 * read-only connection for the Client-Id lookups.
 */
#ifndef CFJL_DB_H
#define CFJL_DB_H

#include <libpq-fe.h>

struct db_job;
struct dbval_params;

typedef void	(*db_rows_cb)(PGresult *, void *);
typedef void	(*db_done_cb)(int ok, const char *err, void *);

struct db_stmt {
	const char	*name;
	const char	*sql;
};

void		 db_init(const char *conninfo, const char *dbname,
		    void (*up)(void), void (*down)(void));
/* The synchronous_commit the writer asks for (synchronous-commit). */
void		 db_set_sync_commit(const char *);
void		 db_start(void);
int		 db_ready(void);
void		 db_on_reader(void (*)(void));
int		 db_reader_pending(void);
const char	*db_state(void);
void		 db_prepare(const struct db_stmt *, int reader);
struct db_job	*db_job_begin(db_done_cb, void *);
struct db_job	*db_job_begin_read(db_done_cb, void *);
void		 db_job_query(struct db_job *, const char *,
		    const struct dbval_params *, db_rows_cb, void *);
void		 db_job_exec(struct db_job *, const struct db_stmt *,
		    const struct dbval_params *, db_rows_cb, void *);
void		 db_job_end(struct db_job *);
void		 db_close(void);

#endif
