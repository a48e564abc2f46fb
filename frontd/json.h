/*
 * Writing the small JSON answers of the HTTP API: a growable buffer and
 * helpers that escape every string.
 */
#ifndef FRONTD_JSON_H
#define FRONTD_JSON_H

#include <stddef.h>
#include <stdint.h>

#define JSON_MAX	(8 * 1024 * 1024)	/* no answer grows past this */

struct json {
	char	*buf;
	size_t	 len;
	size_t	 cap;
	int	 comma;		/* a value was written at this level */
	int	 err;		/* out of memory or over JSON_MAX */
};

void	json_init(struct json *);
void	json_free(struct json *);
/* Empty again, the buffer kept. */
void	json_reset(struct json *);
/* key NULL inside an array. */
void	json_obj_open(struct json *, const char *key);
void	json_obj_close(struct json *);
void	json_arr_open(struct json *, const char *key);
void	json_arr_close(struct json *);
void	json_str(struct json *, const char *key, const char *val);
void	json_strn(struct json *, const char *key, const char *val, size_t);
void	json_u64(struct json *, const char *key, uint64_t);
void	json_i64(struct json *, const char *key, int64_t);
/* Already valid JSON text, e.g. an object relayed from stored. */
void	json_raw(struct json *, const char *key, const char *raw, size_t);
/* Lower-case hex of a binary string. */
void	json_hex(struct json *, const char *key, const uint8_t *, size_t);
/* Base64 of a binary string, as the lot document writes digests. */
void	json_b64(struct json *, const char *key, const uint8_t *, size_t);
/* "2026-11-24T10:00:00.123Z" from Unix milliseconds. */
void	json_time_ms(struct json *, const char *key, int64_t ms);

#endif
