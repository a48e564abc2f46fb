/*
 * Trace checking: everything frontd verifies in a deposited trace before
 * a byte of it goes to stored, and the bytes stored receives (the trace
 * with an empty IDEvt element, where stored writes the number).
 */
#ifndef FRONTD_TRACE_H
#define FRONTD_TRACE_H

#include <sys/types.h>
#include <sys/uio.h>
#include <stddef.h>
#include <stdint.h>

#include "proto.h"
#include "refusal.h"

#define TRACE_SCHEMA_FILES	16
#define TRACE_TYPES_MAX		256

struct trace_schemas;		/* schemaset.c */

struct trace_policy {
	uint32_t			 operator_id;
	uint32_t			 vault_id;
	unsigned int			 max_depth;
	const struct trace_schemas	*schemas;	/* NULL: no XSD check */
};

/* A refusal, as the HTTP answer will state it. */
struct trace_error {
	enum refusal	 code;
	char		 error[128];
	char		 detail[512];
};

/*
 * What goes to stored: up to three pieces of the deposited bytes (or a
 * fixed string), idevt_off the offset in their concatenation where the
 * IDEvt number goes.  The pieces point into the caller's buffer.
 */
struct trace_out {
	char		 type[TYPE_NAME_MAX];
	char		 dateevt[DATEEVT_MAX];
	struct iovec	 iov[3];
	int		 iovcnt;
	size_t		 len;
	size_t		 idevt_off;
};

struct trace_slice {
	size_t		 off;
	size_t		 len;
};

/* schemaset.c: load every *.xsd at the top of dir; NULL and a log if bad. */
struct trace_schemas	*schemaset_load(const char *dir);
void			 schemaset_free(struct trace_schemas *);
/* The schema that declares this root element, or -1. */
int			 schemaset_find(const struct trace_schemas *,
			    const char *root);
void			*schemaset_get(const struct trace_schemas *, int);
/* That schema's validation context, made at load and reused. */
void			*schemaset_vctx(const struct trace_schemas *, int);
size_t			 schemaset_ntypes(const struct trace_schemas *);

/* Once at start: libxml2 quiet, no external entity loading at all. */
void	trace_init(void);

/* 0 and *out, or -1 and *err. */
int	trace_check(const struct trace_policy *, const char *buf, size_t len,
	    struct trace_out *out, struct trace_error *err);

/*
 * A batch: <Traces> whose element children are traces.  Fills at most
 * max slices (the children's raw bytes); 0 and *n, or -1 and *err.
 */
int	trace_batch_split(const struct trace_policy *, const char *buf,
	    size_t len, size_t max, struct trace_slice *slices, size_t *n,
	    struct trace_error *err);

#endif
