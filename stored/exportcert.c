/*
 * The certificates of an export.  Since each lot seal and checkpoint
 * names the certificates that made it (sealcert.c), a bundle carries
 * exactly those of its lots and of its checkpoint: when sealing moved
 * to a standby site, both sites' certificates, in the order of the lots
 * they sealed (cfjl-export(5)).  Seals made before certificates were
 * recorded name none; for them the files of cfjl.conf are carried, as
 * before.
 */
#include <sys/types.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "db.h"
#include "dbval.h"
#include "exportcert.h"

/* What cfjl-verify reads of each file, at most. */
#define EXPORTCERT_FILE_MAX	(256 * 1024)

static char	*file_pem[2];
static size_t	 file_len[2];

static char	*exportcert_file(const char *, size_t *);
static void	 exportcert_add(struct exportcert *, int, const void *,
		    size_t);
static void	 exportcert_rows(PGresult *, void *);

static char *
exportcert_file(const char *path, size_t *len)
{
	FILE	*fp;
	char	*buf;
	size_t	 n;

	if (path == NULL || *path == '\0' || (fp = fopen(path, "r")) == NULL)
		return NULL;
	if ((buf = malloc(EXPORTCERT_FILE_MAX)) == NULL) {
		fclose(fp);
		return NULL;
	}
	n = fread(buf, 1, EXPORTCERT_FILE_MAX, fp);
	if (ferror(fp) || n == 0 || n == EXPORTCERT_FILE_MAX) {
		fclose(fp);
		free(buf);
		return NULL;
	}
	fclose(fp);
	*len = n;
	return buf;
}

int
exportcert_init(const char *seal_cert, const char *tsa_cert)
{
	free(file_pem[0]);
	free(file_pem[1]);
	file_pem[0] = exportcert_file(seal_cert, &file_len[0]);
	file_pem[1] = exportcert_file(tsa_cert, &file_len[1]);
	return file_pem[0] == NULL || file_pem[1] == NULL ? -1 : 0;
}

/* Once each: the same certificate sealed many lots. */
static void
exportcert_add(struct exportcert *ec, int k, const void *pem, size_t len)
{
	const char	*p = ec->pem[k], *end = ec->pem[k] + ec->len[k];
	char		*n;

	for (; p != NULL && (size_t)(end - p) >= len; p++)
		if (memcmp(p, pem, len) == 0)
			return;
	if (ec->len[k] + len > EXPORTCERT_FILE_MAX) {
		ec->toolong = 1;
		return;
	}
	if ((n = realloc(ec->pem[k], ec->len[k] + len)) == NULL)
		fatal(NULL);
	memcpy(n + ec->len[k], pem, len);
	ec->pem[k] = n;
	ec->len[k] += len;
}

void
exportcert_query(struct db_job *job, int by_time, uint64_t from,
    uint64_t to, int64_t since, int64_t until, struct exportcert *ec)
{
	struct dbval_params	 p;
	char			 sql[1536];
	const char		*range;

	dbval_params_init(&p);
	if (!by_time) {
		dbval_param_u64(&p, from);
		dbval_param_u64(&p, to);
		range = EXPORT_LOTS_OF_IDEVT;
	} else {
		dbval_param_time_ms(&p, since);
		dbval_param_time_ms(&p, until);
		range = "r0 AS (SELECT min(lot) AS lo, max(lot) AS hi "
		    "FROM events WHERE received >= $1 AND received < $2), "
		    "r AS (SELECT min(l.numero) AS lo, max(l.numero) AS hi "
		    "FROM lots l JOIN lot_seals s ON s.numero = l.numero, r0 "
		    "WHERE l.numero >= r0.lo AND l.numero <= r0.hi)";
	}
	/*
	 * One row a certificate and kind, with the first lot it sealed;
	 * a NULL pem: lots sealed before certificates were recorded.
	 */
	snprintf(sql, sizeof(sql), "WITH %s, "
	    "u AS (SELECT s.numero, 'seal' AS kind, s.seal_cert AS fp "
	    "FROM lot_seals s, r WHERE s.numero BETWEEN r.lo AND r.hi "
	    "UNION ALL SELECT s.numero, 'tsa', s.tsa_cert "
	    "FROM lot_seals s, r WHERE s.numero BETWEEN r.lo AND r.hi) "
	    "SELECT u.kind, c.pem, min(u.numero) FROM u "
	    "LEFT JOIN seal_certs c ON c.sha256 = u.fp "
	    "GROUP BY u.kind, u.fp, c.pem ORDER BY 3, 1", range);
	db_job_query(job, sql, &p, exportcert_rows, ec);
	dbval_params_free(&p);
}

static void
exportcert_rows(PGresult *res, void *arg)
{
	struct exportcert	*ec = arg;
	const uint8_t		*pem;
	size_t			 len;
	int			 i, k;

	for (i = 0; i < PQntuples(res); i++) {
		k = strcmp(PQgetvalue(res, i, 0), "seal") == 0 ? 0 : 1;
		if (PQgetisnull(res, i, 1)) {
			ec->legacy[k] = 1;
			continue;
		}
		pem = dbval_get_bytes(res, i, 1, &len);
		exportcert_add(ec, k, pem, len);
	}
}

void
exportcert_checkpoint(struct exportcert *ec, PGresult *res, int col)
{
	const uint8_t	*pem;
	size_t		 len;
	int		 k;

	if (PQntuples(res) != 1)
		return;
	for (k = 0; k < 2; k++) {
		if (PQnfields(res) <= col + k || PQgetisnull(res, 0, col + k)) {
			ec->legacy[k] = 1;
			continue;
		}
		pem = dbval_get_bytes(res, 0, col + k, &len);
		exportcert_add(ec, k, pem, len);
	}
}

int
exportcert_finish(struct exportcert *ec, const char **why)
{
	int	 k;

	if (ec->toolong) {
		*why = "the sealing certificates of the range are too many "
		    "for one bundle";
		return -1;
	}
	for (k = 0; k < 2; k++) {
		/* Nothing sealed in the range: the files say who seals. */
		if (!ec->legacy[k] && ec->len[k] > 0)
			continue;
		if (file_pem[k] == NULL) {
			*why = ec->legacy[k] ? "the certificates of seals made "
			    "before they were recorded are unavailable (the "
			    "certificate files of cfjl.conf)" :
			    "no certificates to export";
			return -1;
		}
		exportcert_add(ec, k, file_pem[k], file_len[k]);
	}
	return 0;
}

void
exportcert_free(struct exportcert *ec)
{
	free(ec->pem[0]);
	free(ec->pem[1]);
	memset(ec, 0, sizeof(*ec));
}
