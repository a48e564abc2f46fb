/*
 * Values to and from PostgreSQL (dbval.c): statement parameters,
 * columns sent as binary arrays, binary results read back.
 */
#ifndef CFJL_DBVAL_H
#define CFJL_DBVAL_H

#include <stddef.h>
#include <stdint.h>

#include <libpq-fe.h>

struct dbval_params {
	int		  n;
	int		  max;
	const char	**vals;
	int		 *lens;
	int		 *fmts;
	char		**owned;	/* formatted numbers, freed with it */
};
struct dbval_array {
	uint8_t		*buf;
	size_t		 len;
	size_t		 cap;
	uint32_t	 n;
	uint32_t	 oid;	/* element type */
	int		 nulls;
};
#define DBVAL_OID_BYTEA		17
#define DBVAL_OID_INT8		20
#define DBVAL_OID_TEXT		25
#define DBVAL_OID_TIMESTAMPTZ	1184

void		 dbval_params_init(struct dbval_params *);
void		 dbval_params_free(struct dbval_params *);
void		 dbval_param_u64(struct dbval_params *, uint64_t);
void		 dbval_param_text(struct dbval_params *, const char *);
void		 dbval_param_bytes(struct dbval_params *, const void *, size_t);
void		 dbval_param_time_ms(struct dbval_params *, int64_t);
void		 dbval_param_null(struct dbval_params *);
void		 dbval_param_array(struct dbval_params *, struct dbval_array *);
void		 dbval_array_init(struct dbval_array *, uint32_t oid);
void		 dbval_array_reset(struct dbval_array *);
void		 dbval_array_free(struct dbval_array *);
void		 dbval_array_u64(struct dbval_array *, uint64_t);
void		 dbval_array_bytes(struct dbval_array *, const void *, size_t);
void		 dbval_array_text(struct dbval_array *, const char *);
void		 dbval_array_time_ms(struct dbval_array *, int64_t);
void		 dbval_array_null(struct dbval_array *);

uint64_t	 dbval_get_u64(const PGresult *, int, int);
int64_t		 dbval_get_time_ms(const PGresult *, int, int);
const uint8_t	*dbval_get_bytes(const PGresult *, int, int, size_t *);
void		 dbval_get_text(const PGresult *, int, int, char *, size_t);

#endif
