/*
 * cfjl-verify: what the modules of the offline verifier share.  A bundle
 * is read once, as a stream; lots are checked as they arrive and kept as
 * small summaries; event files are kept as digests.  Cross-lot and
 * cross-bundle checks run on the summaries at the end.  See
 * cfjl-verify(1) and cfjl-export(5).
 */
#ifndef CFJL_VERIFY_H
#define CFJL_VERIFY_H

#include <sys/types.h>

#include <stdint.h>
#include <stdio.h>
#include <time.h>

#include <openssl/x509.h>

#define V_SHA256_LEN		32

/* Bounds on what a bundle may hold (a bigger entry is refused). */
#define V_MANIFEST_MAX		(64 * 1024)
#define V_CERTS_MAX		(256 * 1024)
#define V_EVENT_MAX		(16 * 1024 * 1024)
#define V_CHECKPOINT_MAX	(64 * 1024)
#define V_LOT_EVENTS_MAX	1000000

/*
 * What the verifier lets libxml2 parse (xmlbound.c), from what the vault
 * writes, with a margin: a lot is a Lot element of 7 attributes, at most
 * lot max-events (1000000) Evenement elements of 7 attributes, each
 * under 512 bytes (sealerd/lotxml.c), and a seal of about 40 elements;
 * journal metadata is about 15 elements without attributes
 * (auditd/meta.c); the ARJEL schemas declare no attribute, and frontd
 * takes traces of at most 4 MiB (max-body).  Parsing memory, across the
 * checking threads, stays within V_PARSE_BUDGET.
 */
#define V_LOT_MAX		(1000000ULL * 512 + 1024 * 1024)
#define V_LOT_ELEMENTS		(1000000 + 4096)
#define V_LOT_ATTRS		16
#define V_TRACE_ELEMENTS	65536
#define V_TRACE_ATTRS		32
#define V_META_ELEMENTS		1024
#define V_META_ATTRS		16
#define V_XML_DEPTH		64
#define V_TRACE_DEPTH		256	/* frontd's max-xml-depth at most */
#define V_PARSE_BUDGET		(128 * 1024 * 1024)

/* Plausibility of times: see cfjl-export(5). */
#define V_SKEW_MS		(5 * 1000)	/* clocks of stored, sealerd */
#define V_SEAL_DELAY_MS		(3600 * 1000)	/* SigningTime to genTime */

#define V_ROOT_MAX		32
#define V_CRL_FILES_MAX		16	/* -C, repeatable */
#define V_DATEEVT_MAX		16

/* options and process-wide state */
struct vctx {
	int		 json;
	const char	*trust_path;
	const char	*key_path;
	const char	*pass;
	const char	*xsd_dir;
	const char	*out_dir;

	X509_STORE	*trust;		/* trust.pem */
	STACK_OF(X509)	*trust_certs;
	STACK_OF(X509_CRL) *crls;	/* -C, NULL: revocation not checked */
	EVP_PKEY	*regkey;	/* -k */
	X509		*regcert;	/* from PKCS#12, may be NULL */
	struct xsdset	*xsd;		/* -x */
	struct cms_fast	*fast;		/* cached content keys (cms.c) */
	struct vcheckpoint *anchor;	/* journal -c */
};

/* report.c: every check ends in one of these lines */
void	 report_init(int json);
void	 report_scope(const char *);	/* the bundle or directory */
void	 report_ok(const char *, ...) __attribute__((__format__(printf, 1, 2)));
void	 report_note(const char *, ...) __attribute__((__format__(printf, 1, 2)));
void	 report_fail(const char *, ...) __attribute__((__format__(printf, 1, 2)));
void	 report_error(const char *, ...) __attribute__((__format__(printf, 1, 2)));
unsigned long	 report_failures(void);	/* failures and errors so far */
int	 report_finish(void);		/* prints the verdict, exit code */
void	 report_reset(void);		/* forget everything (fuzzing) */

/* tar.c: a streaming reader of USTAR and pax archives */
#define TAR_PATH_MAX		256
struct tar {
	FILE		*fp;
	uint64_t	 off;		/* bytes consumed */
	uint64_t	 remain;	/* of the current entry's data */
	uint64_t	 pad;		/* to the next block */
	int		 ioerr;
	char		 err[256];
};
struct tar_entry {
	char		 path[TAR_PATH_MAX];
	uint64_t	 size;
	char		 type;		/* '0' file, '5' directory */
	uint64_t	 offset;	/* of the header, for messages */
};
void	 tar_init(struct tar *, FILE *);
int	 tar_next(struct tar *, struct tar_entry *);	/* 1, 0 end, -1 */
int	 tar_read(struct tar *, void *, size_t);	/* all or -1 */
int	 tar_skip(struct tar *);

/* jsonread.c: a small bounded JSON reader for the manifest */
enum jtype { J_NULL, J_BOOL, J_NUM, J_STR, J_ARR, J_OBJ };
struct jv {
	enum jtype	 type;
	char		*key;		/* member name inside an object */
	char		*str;		/* J_STR; J_NUM as written */
	int		 b;
	struct jv	*child;		/* first member / element */
	struct jv	*next;
};
struct jv	*jsonread_parse(const char *, size_t, char *, size_t);
void		 jsonread_free(struct jv *);
struct jv	*jsonread_get(const struct jv *, const char *);
int		 jsonread_u64(const struct jv *, uint64_t *);

/* manifest.c */
struct manifest {
	int		 present;
	int		 valid;
	char		 format[64];
	char		 operator[64];
	uint64_t	 vault;
	int		 req_by_time;
	uint64_t	 req_from, req_to;	/* IDEvt or YYYYMMDDhhmmss */
	int		 has_included;
	uint64_t	 inc_from, inc_to;
	uint64_t	 lot_first, lot_last;
	int		 has_events;
	uint64_t	 nevents;
	int		 has_sealed;
	uint64_t	 sealed_lot, sealed_idevt;
	char		 created[64];
};
int	 manifest_parse(struct manifest *, const char *, size_t);

/* one <Evenement> of a lot */
struct ventry {
	uint64_t	 idevt;
	char		 type[V_ROOT_MAX];
	char		 dateevt[V_DATEEVT_MAX];
	int64_t		 recu_ms;
	uint8_t		 empreinte[V_SHA256_LEN];
	char		 fichier[64];
};

/*
 * what remains of a lot once its document is checked; a checkpoint's
 * seal is checked through one too (checkpointcheck.c), kind saying so
 */
struct vlot {
	const char	*kind;		/* NULL: "lot" */
	uint64_t	 numero;
	char		 path[24];	/* lots/LLLLLLLLLLLL.xml */
	uint64_t	 file_numero;	/* from the file name */
	int		 parsed;	/* attributes and entries read */
	char		 id[24];		/* lot-LLLLLLLLLLLL */
	char		 operateur[24];	/* digits, as the manifest */
	char		 coffre[24];
	uint64_t	 premier, dernier;
	int		 has_precedent;
	uint8_t		 precedent[V_SHA256_LEN];
	int		 has_racine;
	uint8_t		 racine[V_SHA256_LEN];	/* Merkle root, as signed */
	int		 racine_ok;	/* the root of the entries */
	int		 paths;		/* 1 its audit paths hold, -1 not */
	int		 has_sigvalue;
	uint8_t		 sigvalue_sha[V_SHA256_LEN];	/* next Precedent */
	uint8_t		 raw_sha[V_SHA256_LEN];		/* the file */
	int64_t		 signing_ms;
	int64_t		 gentime_ms;
	int		 sig_ok, tst_ok;
	int		 has_seal_fp, has_tsa_fp;	/* which sealed it */
	uint8_t		 seal_fp[V_SHA256_LEN];	/* of certs/seal.pem */
	uint8_t		 tsa_fp[V_SHA256_LEN];	/* of certs/tsa.pem */
	size_t		 nentries;
	struct ventry	*entries;
	int		 dup;		/* file seen twice */
};

#define VLOT_KIND(l)	((l)->kind != NULL ? (l)->kind : "lot")

/* an event file, as digests */
enum dec_state { DEC_NONE, DEC_OK, DEC_FAIL };
struct vevent {
	uint64_t	 idevt;
	uint64_t	 size;
	uint8_t		 sha[V_SHA256_LEN];
	int		 count;		/* -1: twice, different bytes */
	int		 ref;		/* listed by a lot */
	/* with -k */
	int		 dec;
	char		 root[V_ROOT_MAX];
	int		 has_idevt;
	uint64_t	 inner_idevt;
	char		 inner_dateevt[V_DATEEVT_MAX];
	int		 xsd;		/* 1 valid, 0 not checked, -1 invalid */
	char		*why;		/* first problem found, or NULL */
	int		 written;	/* -o: under its temporary name */
};

/* a checkpoint, as checkpointcheck.c reads it */
struct vcheckpoint {
	char		 what[64];	/* for the messages */
	int		 parsed;
	int		 sealed;	/* its seal holds */
	uint64_t	 numero;
	char		 id[24];
	char		 operateur[24];
	char		 coffre[24];
	int64_t		 heure_ms;
	int64_t		 signing_ms;
	uint8_t		 precedent[V_SHA256_LEN];
	uint64_t	 last_lot, last_idevt;
	uint8_t		 lot_sigvalue[V_SHA256_LEN];
	int		 has_journal;
	char		 journal_file[16];
	uint8_t		 journal_meta[V_SHA256_LEN];
	int		 journal_seen;	/* journal -c */
	uint8_t		 sigvalue_sha[V_SHA256_LEN];
	uint8_t		 raw_sha[V_SHA256_LEN];	/* the document */
	int		 has_seal_fp, has_tsa_fp;	/* as in struct vlot */
	uint8_t		 seal_fp[V_SHA256_LEN];
	uint8_t		 tsa_fp[V_SHA256_LEN];
};

struct bundle {
	const char	*name;
	int		 unreadable;	/* could not be checked at all */
	int		 complete;	/* the archive ended properly */
	int		 unlisted;	/* stopped at an entry of no format */
	uint64_t	*listed;	/* IDEvts the lots list, sorted */
	size_t		 nlisted;
	uint64_t	 last_event;	/* events come in IDEvt order */
	uint64_t	 last_lot;	/* and lots in lot order */
	uint64_t	 last_paths;	/* then the lots' audit paths */
	struct manifest	 m;
	char		*seal_pem;
	size_t		 seal_len;
	STACK_OF(X509)	*seal_certs;
	char		*tsa_pem;
	size_t		 tsa_len;
	STACK_OF(X509)	*tsa_certs;
	int		 seal_dup, tsa_dup;
	char		*checkpoint;	/* checkpoint.xml */
	size_t		 checkpoint_len;
	int		 checkpoint_dup;
	struct vcheckpoint ck;
	struct vlot	*lots;
	size_t		 nlots, lotcap;
	struct vevent	*events;
	size_t		 nevents, evalloc;
	uint64_t	 unwraps;	/* RSA decryptions of content keys */
	struct work	*work;		/* the checking threads */
	uint8_t		*evbuf;		/* one event file, reused */
	size_t		 evcap;
};

/* bundle.c */
int	 bundle_read(struct vctx *, struct bundle *, const char *);
int	 bundle_read_fp(struct vctx *, struct bundle *, const char *, FILE *);
void	 bundle_free(struct bundle *);
struct vlot	*bundle_lot(struct bundle *, uint64_t);
struct vevent	*bundle_event(struct bundle *, uint64_t);

/* work.c: lots and events checked by threads while the archive is read */
struct work	*work_start(struct vctx *, struct bundle *);
void		 work_lot(struct work *, size_t, char *, size_t, size_t);
void		 work_event(struct work *, uint64_t, const uint8_t *, size_t);
void		 work_sync(struct work *);
void		 work_finish(struct work *);
size_t		 work_budget_take(size_t);	/* of V_PARSE_BUDGET, waits */
void		 work_budget_give(size_t);
void		 work_trim(size_t);	/* after a document of that cost */

/* lotcheck.c: parse and check one lot document */
void	 lotcheck_run(struct vctx *, struct bundle *, struct vlot *,
	    const char *, size_t);
void	 lotcheck_free(struct vlot *);
extern const struct xbound lotcheck_bound;

/* pathcheck.c: a lot's audit paths */
int	 pathcheck_parse(const char *, size_t, uint64_t *,
	    uint8_t (*)[V_SHA256_LEN], size_t *);
int	 pathcheck_event(const struct vlot *, uint64_t, const uint8_t *,
	    const uint8_t (*)[V_SHA256_LEN], size_t);
void	 pathcheck_entry(struct vlot *, struct tar *, struct tar_entry *);

/* xadescheck.c, tsacheck.c */
struct _xmlDoc;
struct _xmlNode;
int	 xadescheck_init(void);
void	 xadescheck_cleanup(void);
void	 xadescheck_verify(struct vctx *, struct bundle *, struct vlot *,
	    struct _xmlDoc *, struct _xmlNode *);
int	 sigform_check(struct _xmlNode *, struct _xmlNode *, const char *,
	    struct _xmlNode **, char *, size_t);
int	 tsacheck_verify(struct vctx *, struct bundle *, struct vlot *,
	    const uint8_t *, size_t, const uint8_t *);

/* sealers.c: which certificates sealed the bundle's lots */
void	 sealers_report(struct bundle *);

/* certs.c */
int	 certs_trust_load(struct vctx *);
STACK_OF(X509)	*certs_parse_pem(const char *, size_t);
int	 certs_verify(struct vctx *, X509 *, STACK_OF(X509) *, time_t,
	    char *, size_t);
int	 certs_seal_usage(X509 *, char *, size_t);
int	 certs_tsa_usage(X509 *, char *, size_t);
int	 certs_digest_ok(int);
int	 certs_equal(X509 *, X509 *);
char	*certs_name(X509 *, char *, size_t);

/* revoke.c: the seal and TSA certificates against the CRLs of -C */
int	 revoke_load(struct vctx *, const char *);
int	 revoke_check(struct vctx *, X509 *, STACK_OF(X509) *, time_t,
	    char *, size_t);

/* event.c: decryption and schema checks (-k, -x, -o) */
int	 event_key_load(struct vctx *);
int	 event_xsd_load(struct vctx *);
void	 event_xsd_free(struct vctx *);
struct vwork;
struct vwork	*event_work_new(struct vctx *);
void	 event_work_free(struct vwork *);
void	 event_check(struct vctx *, struct vwork *, struct vevent *,
	    const uint8_t *, size_t);
void	 event_decrypt(struct vctx *, struct vwork *, struct vevent *,
	    const uint8_t *, size_t);
void	 event_publish(struct vctx *, struct vevent *, int);
void	 event_cleanup(struct vctx *);

/* xmlbound.c: a document's size before libxml2 parses it */
struct xbound {
	size_t		 bytes;
	size_t		 elements;
	size_t		 attrs;		/* per element, xmlns included */
	size_t		 depth;
};
struct xcount {
	size_t		 elements;
	size_t		 attrs;
	size_t		 maxattrs;
	size_t		 depth;
};
int	 xmlbound_scan(const char *, size_t, const struct xbound *,
	    struct xcount *, char *, size_t);
size_t	 xmlbound_cost(size_t, const struct xcount *);

/* cms.c: stored's CMS shape, one RSA operation per content key */
struct cms_fast	*cms_fast_new(EVP_PKEY *, X509 *);
void		 cms_fast_free(struct cms_fast *);
uint64_t	 cms_fast_unwraps(struct cms_fast *);
struct cms_dec	*cms_dec_new(struct cms_fast *);
void		 cms_dec_free(struct cms_dec *);
int		 cms_fast_decrypt(struct cms_dec *, const uint8_t *, size_t,
		    const uint8_t **, size_t *, char *, size_t);

/* chain.c: lots against each other, events against lots, bundles */
void	 chain_bundle(struct vctx *, struct bundle *);
void	 chain_bundles(struct vctx *, struct bundle *, size_t);

/* merkleproof.c: RFC 6962 trees over SHA-256 */
#define V_PATH_MAX		64	/* hashes in an audit path */
void	 merkleproof_leaf(const void *, size_t, uint8_t[V_SHA256_LEN]);
void	 merkleproof_root(const uint8_t (*)[V_SHA256_LEN], size_t,
	    uint8_t[V_SHA256_LEN]);
int	 merkleproof_check(uint64_t, uint64_t, const uint8_t[V_SHA256_LEN],
	    const uint8_t (*)[V_SHA256_LEN], size_t,
	    const uint8_t[V_SHA256_LEN]);

/* proof.c, prove.c: the proof of one event */
int	 proof_check(struct vctx *, FILE *, const char *);
int	 prove_run(struct vctx *, uint64_t, const char *, FILE *);
/* checkpointcheck.c */
int	 checkpointcheck_file(struct vctx *, const char *,
	    struct vcheckpoint *);
void	 checkpointcheck_bundle(struct vctx *, struct bundle *);
void	 checkpointcheck_since(struct vctx *, struct bundle *,
	    const struct vcheckpoint *);
void	 checkpointcheck_journal_file(struct vctx *, uint64_t,
	    const uint8_t *);
void	 checkpointcheck_journal_end(struct vctx *);

/* journalcheck.c */
int	 journalcheck_run(struct vctx *, const char *);

/* util.c */
int	 util_b64_decode(const char *, uint8_t *, size_t, size_t *);
int	 util_b64_decode_alloc(const char *, uint8_t **, size_t *);
void	 util_b64_encode(const uint8_t *, size_t, char *, size_t);
void	 util_sha256(const void *, size_t, uint8_t *);
int	 util_parse_iso8601_ms(const char *, int64_t *);
int	 util_parse_compact_time(uint64_t, int64_t *);
int	 util_rfc3339(const char *);
void	 util_fmt_time_ms(int64_t, char *, size_t);
int	 util_parse_u64(const char *, uint64_t *);
void	*xcalloc(size_t, size_t);
void	*xreallocarray(void *, size_t, size_t);
char	*xstrdup(const char *);

#endif
