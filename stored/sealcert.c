/*
 * The sealing and time-stamping certificates, as sealerd reports them
 * with each seal.  They are few (one pair a site, a new one at each
 * renewal), so they are kept in memory once seen, and written to
 * seal_certs in the transaction of the first seal that names them,
 * before that seal's row which refers to them.
 */
#include <sys/types.h>
#include <sys/queue.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "msg.h"
#include "proto.h"
#include "db.h"
#include "dbval.h"
#include "sealcert.h"

/* What a PEM certificate begins with. */
#define SEALCERT_PEM_HEAD	"-----BEGIN CERTIFICATE-----"

/* More would mean a sealerd changing certificates at every seal. */
#define SEALCERT_KEEP_MAX	32

struct sealcert {
	TAILQ_ENTRY(sealcert)	 entry;
	uint8_t			 fp[SHA256_LEN];
	enum sealcert_kind	 kind;
	uint8_t			*pem;
	size_t			 len;
	int			 queued;	/* in a job not yet committed */
	int			 stored;	/* committed: in seal_certs */
};

static TAILQ_HEAD(sealcert_head, sealcert) certs =
    TAILQ_HEAD_INITIALIZER(certs);
static size_t			ncerts;

static int	 sealcert_note(struct msg *, enum sealcert_kind,
		    const uint8_t *, uint32_t);

static int
sealcert_note(struct msg *m, enum sealcert_kind kind, const uint8_t *fp,
    uint32_t len)
{
	struct sealcert	*c;
	const void	*pem;

	if (len == 0 || len > SEALCERT_PEM_MAX)
		return m_fail(m, "%s certificate of %u bytes",
		    kind == SEALCERT_SEAL ? "sealing" : "time-stamping", len);
	if (m_get_ptr(m, &pem, len) == -1)
		return -1;
	if (len < sizeof(SEALCERT_PEM_HEAD) - 1 ||
	    memcmp(pem, SEALCERT_PEM_HEAD, sizeof(SEALCERT_PEM_HEAD) - 1) != 0)
		return m_fail(m, "certificate that is not PEM");
	TAILQ_FOREACH(c, &certs, entry)
		if (memcmp(c->fp, fp, SHA256_LEN) == 0 && c->kind == kind) {
			/* The newest first: the one the next seals name. */
			TAILQ_REMOVE(&certs, c, entry);
			TAILQ_INSERT_HEAD(&certs, c, entry);
			return 0;
		}
	/* The oldest goes; if a seal still names it, it is written again. */
	if (ncerts == SEALCERT_KEEP_MAX) {
		c = TAILQ_LAST(&certs, sealcert_head);
		TAILQ_REMOVE(&certs, c, entry);
		free(c->pem);
		free(c);
		ncerts--;
	}
	if ((c = calloc(1, sizeof(*c))) == NULL ||
	    (c->pem = malloc(len)) == NULL)
		fatal(NULL);
	memcpy(c->fp, fp, SHA256_LEN);
	memcpy(c->pem, pem, len);
	c->len = len;
	c->kind = kind;
	TAILQ_INSERT_HEAD(&certs, c, entry);
	ncerts++;
	log_info("sealerd uses a %s certificate not seen before "
	    "(SHA-256 %02x%02x%02x%02x...)", kind == SEALCERT_SEAL ?
	    "sealing" : "time-stamping", fp[0], fp[1], fp[2], fp[3]);
	return 0;
}

int
sealcert_read(struct msg *m, const uint8_t *seal_fp, uint32_t seal_len,
    const uint8_t *tsa_fp, uint32_t tsa_len)
{
	if (sealcert_note(m, SEALCERT_SEAL, seal_fp, seal_len) == -1 ||
	    sealcert_note(m, SEALCERT_TSA, tsa_fp, tsa_len) == -1)
		return -1;
	return 0;
}

void
sealcert_store(struct db_job *job)
{
	struct sealcert		*c;
	struct dbval_array	 a[3];
	struct dbval_params	 p;
	int			 i, n = 0;

	dbval_array_init(&a[0], DBVAL_OID_BYTEA);
	dbval_array_init(&a[1], DBVAL_OID_TEXT);
	dbval_array_init(&a[2], DBVAL_OID_BYTEA);
	TAILQ_FOREACH(c, &certs, entry) {
		if (c->stored)
			continue;
		dbval_array_bytes(&a[0], c->fp, SHA256_LEN);
		dbval_array_text(&a[1], c->kind == SEALCERT_SEAL ? "seal" :
		    "tsa");
		dbval_array_bytes(&a[2], c->pem, c->len);
		c->queued = 1;
		n++;
	}
	if (n > 0) {
		dbval_params_init(&p);
		for (i = 0; i < 3; i++)
			dbval_param_array(&p, &a[i]);
		/* Kept once: a certificate seen again changes nothing. */
		db_job_query(job, "INSERT INTO seal_certs (sha256, kind, pem) "
		    "SELECT * FROM unnest($1::bytea[], $2::text[], "
		    "$3::bytea[]) ON CONFLICT (sha256) DO NOTHING", &p, NULL,
		    NULL);
		dbval_params_free(&p);
	}
	for (i = 0; i < 3; i++)
		dbval_array_free(&a[i]);
}

void
sealcert_stored(int ok)
{
	struct sealcert	*c;

	TAILQ_FOREACH(c, &certs, entry) {
		if (ok && c->queued)
			c->stored = 1;
		c->queued = 0;
	}
}
