/*
 * Batched durable inserts for the benchmark: COPY text gathered in
 * memory, one committed COPY a batch (pgbatch.c).
 */
#ifndef BENCH_PGBATCH_H
#define BENCH_PGBATCH_H

#include <stddef.h>
#include <stdint.h>

#include <libpq-fe.h>

struct pgb {
	PGconn		*conn;
	char		*buf;
	size_t		 len;
	size_t		 cap;
	size_t		 rows;		/* in buf */
	uint64_t	 batches;	/* committed */
};

void	 pgb_connect(struct pgb *, const char *conninfo);
void	 pgb_exec(struct pgb *, const char *sql);
void	 pgb_value(struct pgb *, const char *sql, char *out, size_t size);
void	 pgb_text(struct pgb *, const char *, size_t);
void	 pgb_u64(struct pgb *, uint64_t);
void	 pgb_bytes(struct pgb *, const uint8_t *, size_t);
void	 pgb_end_row(struct pgb *);
void	 pgb_flush(struct pgb *, const char *copy);
void	 pgb_flush_via(struct pgb *, PGconn *, const char *copy);
void	 pgb_close(struct pgb *);

#endif
