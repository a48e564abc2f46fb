/*
 * Batched durable inserts for the benchmark's ceilings: rows are
 * gathered in COPY text format and each batch is one COPY, committed on
 * its own (autocommit), so every batch waits for its WAL flush with the
 * cluster's durability settings (fsync on, synchronous_commit on).
 */
#include <sys/types.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "log.h"
#include "pgbatch.h"

static void	 pgb_grow(struct pgb *, size_t);

void
pgb_connect(struct pgb *b, const char *conninfo)
{
	memset(b, 0, sizeof(*b));
	b->conn = PQconnectdb(conninfo ? conninfo : "");
	if (PQstatus(b->conn) != CONNECTION_OK)
		fatalx("PostgreSQL: %s", PQerrorMessage(b->conn));
	pgb_exec(b, "SET client_min_messages = warning");
}

void
pgb_exec(struct pgb *b, const char *sql)
{
	PGresult	*res;

	res = PQexec(b->conn, sql);
	if (PQresultStatus(res) != PGRES_COMMAND_OK &&
	    PQresultStatus(res) != PGRES_TUPLES_OK)
		fatalx("%s: %s", sql, PQerrorMessage(b->conn));
	PQclear(res);
}

/* The first column of the first row, as text. */
void
pgb_value(struct pgb *b, const char *sql, char *out, size_t size)
{
	PGresult	*res;

	res = PQexec(b->conn, sql);
	if (PQresultStatus(res) != PGRES_TUPLES_OK || PQntuples(res) < 1)
		fatalx("%s: %s", sql, PQerrorMessage(b->conn));
	strlcpy(out, PQgetvalue(res, 0, 0), size);
	PQclear(res);
}

static void
pgb_grow(struct pgb *b, size_t more)
{
	size_t	 ncap;
	char	*n;

	if (b->len + more <= b->cap)
		return;
	ncap = b->cap ? b->cap : 1 << 20;
	while (ncap < b->len + more)
		ncap *= 2;
	if ((n = realloc(b->buf, ncap)) == NULL)
		fatal("%s", __func__);
	b->buf = n;
	b->cap = ncap;
}

/* A text field, which must hold no tab, newline nor backslash. */
void
pgb_text(struct pgb *b, const char *s, size_t len)
{
	pgb_grow(b, len + 1);
	if (b->len > 0 && b->buf[b->len - 1] != '\n')
		b->buf[b->len++] = '\t';
	memcpy(b->buf + b->len, s, len);
	b->len += len;
}

void
pgb_u64(struct pgb *b, uint64_t v)
{
	char	 num[24];
	int	 n;

	n = snprintf(num, sizeof(num), "%llu", (unsigned long long)v);
	pgb_text(b, num, n);
}

/* bytea in hex: \\x... in COPY text (the backslash doubled). */
void
pgb_bytes(struct pgb *b, const uint8_t *p, size_t len)
{
	static const char	 hex[] = "0123456789abcdef";
	size_t			 i;

	pgb_text(b, "\\\\x", 3);
	pgb_grow(b, 2 * len);
	for (i = 0; i < len; i++) {
		b->buf[b->len++] = hex[p[i] >> 4];
		b->buf[b->len++] = hex[p[i] & 15];
	}
}

void
pgb_end_row(struct pgb *b)
{
	pgb_grow(b, 1);
	b->buf[b->len++] = '\n';
	b->rows++;
}

/*
 * COPY what was gathered: committed on its own unless a transaction is
 * open; 0 rows is a no-op.
 */
void
pgb_flush(struct pgb *b, const char *copy)
{
	pgb_flush_via(b, b->conn, copy);
}

/* The same, through another connection (rows of a second table). */
void
pgb_flush_via(struct pgb *b, PGconn *conn, const char *copy)
{
	PGresult	*res;

	if (b->rows == 0)
		return;
	res = PQexec(conn, copy);
	if (PQresultStatus(res) != PGRES_COPY_IN)
		fatalx("%s: %s", copy, PQerrorMessage(conn));
	PQclear(res);
	if (PQputCopyData(conn, b->buf, b->len) != 1 ||
	    PQputCopyEnd(conn, NULL) != 1)
		fatalx("COPY: %s", PQerrorMessage(conn));
	while ((res = PQgetResult(conn)) != NULL) {
		if (PQresultStatus(res) != PGRES_COMMAND_OK)
			fatalx("COPY: %s", PQerrorMessage(conn));
		PQclear(res);
	}
	b->len = 0;
	b->rows = 0;
	b->batches++;
}

void
pgb_close(struct pgb *b)
{
	if (b->conn != NULL)
		PQfinish(b->conn);
	free(b->buf);
	memset(b, 0, sizeof(*b));
}
