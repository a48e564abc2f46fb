/*
 * Values to and from PostgreSQL: statement parameters (text for
 * numbers and times, binary for bytes), whole columns sent as binary
 * arrays, and the binary results read back.
 */
#define _GNU_SOURCE		/* asprintf */
#include <sys/types.h>

#include <endian.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libpq-fe.h>

#include "log.h"
#include "dbval.h"

/* Milliseconds between the Unix and the PostgreSQL epochs (2000-01-01). */
#define DBVAL_EPOCH_DIFF_MS	946684800000LL

static void	 dbval_param_add(struct dbval_params *, const char *, int, int,
		    char *);
static uint8_t	*dbval_array_room(struct dbval_array *, size_t);
static void	 dbval_put32(uint8_t *, uint32_t);

void
dbval_params_init(struct dbval_params *p)
{
	memset(p, 0, sizeof(*p));
}

void
dbval_params_free(struct dbval_params *p)
{
	int	 i;

	for (i = 0; i < p->n; i++)
		free(p->owned[i]);
	free(p->owned);
	free(p->vals);
	free(p->lens);
	free(p->fmts);
	memset(p, 0, sizeof(*p));
}

static void
dbval_param_add(struct dbval_params *p, const char *val, int len, int fmt,
    char *owned)
{
	int	 n;

	if (p->n == p->max) {
		n = p->max ? p->max * 2 : 16;
		if ((p->vals = reallocarray(p->vals, n, sizeof(*p->vals))) ==
		    NULL ||
		    (p->lens = reallocarray(p->lens, n, sizeof(*p->lens))) ==
		    NULL ||
		    (p->fmts = reallocarray(p->fmts, n, sizeof(*p->fmts))) ==
		    NULL ||
		    (p->owned = reallocarray(p->owned, n,
		    sizeof(*p->owned))) == NULL)
			fatal(NULL);
		p->max = n;
	}
	p->vals[p->n] = val;
	p->lens[p->n] = len;
	p->fmts[p->n] = fmt;
	p->owned[p->n] = owned;
	p->n++;
}

void
dbval_param_u64(struct dbval_params *p, uint64_t v)
{
	char	*s;

	if (asprintf(&s, "%" PRIu64, v) == -1)
		fatal(NULL);
	dbval_param_add(p, s, 0, 0, s);
}

void
dbval_param_text(struct dbval_params *p, const char *s)
{
	dbval_param_add(p, s, 0, 0, NULL);
}

void
dbval_param_bytes(struct dbval_params *p, const void *buf, size_t len)
{
	if (len > INT32_MAX)
		fatalx("%s: parameter too long", __func__);
	dbval_param_add(p, buf, (int)len, 1, NULL);
}

void
dbval_param_time_ms(struct dbval_params *p, int64_t ms)
{
	struct tm	 tm;
	time_t		 t;
	char		*s;
	int64_t		 frac;

	/* UTC, ISO 8601: the server reads it as timestamptz. */
	frac = ms % 1000;
	if (frac < 0)
		frac += 1000;
	t = (time_t)((ms - frac) / 1000);
	if (gmtime_r(&t, &tm) == NULL)
		fatalx("%s: time out of range", __func__);
	if (asprintf(&s, "%04d-%02d-%02d %02d:%02d:%02d.%03d+00",
	    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
	    tm.tm_min, tm.tm_sec, (int)frac) == -1)
		fatal(NULL);
	dbval_param_add(p, s, 0, 0, s);
}

void
dbval_param_null(struct dbval_params *p)
{
	dbval_param_add(p, NULL, 0, 0, NULL);
}

/*
 * One-dimensional arrays in PostgreSQL's binary form, a column of many
 * rows sent as one parameter ($1::bigint[] and so on, then unnest):
 * dimensions, null flag, element type, length and lower bound, then
 * each element as a 32-bit length (-1: NULL) and its binary value.
 */
#define DBVAL_ARRAY_HEAD	20

void
dbval_array_init(struct dbval_array *a, uint32_t oid)
{
	memset(a, 0, sizeof(*a));
	a->oid = oid;
	a->len = DBVAL_ARRAY_HEAD;
}

/* Empty again, its memory kept for the next rows. */
void
dbval_array_reset(struct dbval_array *a)
{
	a->len = DBVAL_ARRAY_HEAD;
	a->n = 0;
	a->nulls = 0;
}

void
dbval_array_free(struct dbval_array *a)
{
	free(a->buf);
	memset(a, 0, sizeof(*a));
}

/* Room for len more bytes (and the head); one more element. */
static uint8_t *
dbval_array_room(struct dbval_array *a, size_t len)
{
	uint8_t	*nbuf;
	size_t	 cap;

	if (a->n == INT32_MAX || len > INT32_MAX - a->len)
		fatalx("%s: array too long", __func__);
	if (a->buf == NULL || a->len + len > a->cap) {
		cap = a->cap ? a->cap : 4096;
		while (cap < a->len + len)
			cap *= 2;
		if ((nbuf = realloc(a->buf, cap)) == NULL)
			fatal(NULL);
		a->buf = nbuf;
		a->cap = cap;
	}
	a->n++;
	a->len += len;
	return a->buf + a->len - len;
}

static void
dbval_put32(uint8_t *p, uint32_t v)
{
	v = htobe32(v);
	memcpy(p, &v, sizeof(v));
}

void
dbval_array_u64(struct dbval_array *a, uint64_t v)
{
	uint8_t	*p;

	p = dbval_array_room(a, 4 + 8);
	dbval_put32(p, 8);
	v = htobe64(v);
	memcpy(p + 4, &v, 8);
}

/* bytea, or text in the database's encoding. */
void
dbval_array_bytes(struct dbval_array *a, const void *buf, size_t len)
{
	uint8_t	*p;

	if (len > INT32_MAX - 4)
		fatalx("%s: element too long", __func__);
	p = dbval_array_room(a, 4 + len);
	dbval_put32(p, (uint32_t)len);
	memcpy(p + 4, buf, len);
}

void
dbval_array_text(struct dbval_array *a, const char *s)
{
	dbval_array_bytes(a, s, strlen(s));
}

/* timestamptz: microseconds since 2000-01-01 UTC. */
void
dbval_array_time_ms(struct dbval_array *a, int64_t ms)
{
	dbval_array_u64(a, (uint64_t)((ms - DBVAL_EPOCH_DIFF_MS) * 1000));
}

void
dbval_array_null(struct dbval_array *a)
{
	dbval_put32(dbval_array_room(a, 4), UINT32_MAX);
	a->nulls = 1;
}

/* A binary parameter; a must stay untouched until the query is sent. */
void
dbval_param_array(struct dbval_params *p, struct dbval_array *a)
{
	if (a->buf == NULL) {
		/* An empty array still has a head. */
		dbval_array_room(a, 0);
		a->n = 0;
	}
	if (a->n == 0) {
		/* No dimensions: the empty array. */
		dbval_put32(a->buf, 0);
		dbval_put32(a->buf + 4, 0);
		dbval_put32(a->buf + 8, a->oid);
		dbval_param_add(p, (const char *)a->buf, 12, 1, NULL);
		return;
	}
	dbval_put32(a->buf, 1);
	dbval_put32(a->buf + 4, a->nulls);
	dbval_put32(a->buf + 8, a->oid);
	dbval_put32(a->buf + 12, a->n);
	dbval_put32(a->buf + 16, 1);
	dbval_param_add(p, (const char *)a->buf, (int)a->len, 1, NULL);
}

/* Binary results: int8/int4, timestamptz, bytea, text. */
uint64_t
dbval_get_u64(const PGresult *res, int row, int col)
{
	uint64_t	 v8;
	uint32_t	 v4;
	const char	*p;

	if (PQgetisnull(res, row, col))
		return 0;
	p = PQgetvalue(res, row, col);
	switch (PQgetlength(res, row, col)) {
	case 8:
		memcpy(&v8, p, 8);
		return be64toh(v8);
	case 4:
		memcpy(&v4, p, 4);
		return be32toh(v4);
	default:
		fatalx("%s: unexpected integer of %d bytes", __func__,
		    PQgetlength(res, row, col));
	}
}

int64_t
dbval_get_time_ms(const PGresult *res, int row, int col)
{
	int64_t	 us;

	if (PQgetisnull(res, row, col))
		return 0;
	if (PQgetlength(res, row, col) != 8)
		fatalx("%s: unexpected timestamp", __func__);
	us = (int64_t)dbval_get_u64(res, row, col);
	/* Floor division: times before 2000 are negative. */
	return (us >= 0 ? us / 1000 : -((-us + 999) / 1000)) +
	    DBVAL_EPOCH_DIFF_MS;
}

const uint8_t *
dbval_get_bytes(const PGresult *res, int row, int col, size_t *len)
{
	*len = PQgetisnull(res, row, col) ? 0 : PQgetlength(res, row, col);
	return (const uint8_t *)PQgetvalue(res, row, col);
}

void
dbval_get_text(const PGresult *res, int row, int col, char *buf, size_t size)
{
	size_t	 len;

	len = PQgetisnull(res, row, col) ? 0 : PQgetlength(res, row, col);
	if (size == 0)
		return;
	if (len >= size)
		len = size - 1;
	memcpy(buf, PQgetvalue(res, row, col), len);
	buf[len] = '\0';
}
