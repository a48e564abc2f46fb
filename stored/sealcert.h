/*
 * The certificates that sealed: sealerd names, with every seal, the
 * sealing and time-stamping certificates it used (by SHA-256, with their
 * PEM); stored keeps each once in the seal_certs table, and every lot
 * seal and checkpoint names its two.  Exports carry those of their lots
 * (export.c), so a bundle sealed by two sites carries both.
 */
#ifndef CFJL_SEALCERT_H
#define CFJL_SEALCERT_H

#include <stddef.h>
#include <stdint.h>

struct db_job;
struct msg;

#define SEALCERT_PEM_MAX	(64 * 1024)	/* a certificate and its chain */

enum sealcert_kind {
	SEALCERT_SEAL,
	SEALCERT_TSA
};

/*
 * The PEM that follows a seal: seal_len bytes for the sealing
 * certificate, then tsa_len for the time-stamping one, each named by
 * its SHA-256.  Remembered; -1 (the reader failed) if they do not fit.
 */
int	sealcert_read(struct msg *, const uint8_t *seal_fp, uint32_t seal_len,
	    const uint8_t *tsa_fp, uint32_t tsa_len);
/* Add to job the statement that writes the certificates not yet kept. */
void	sealcert_store(struct db_job *);
/* The job that had them is committed (1) or not (0). */
void	sealcert_stored(int ok);

#endif
