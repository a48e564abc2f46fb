/*
 * The parsed cfjl.conf: one structure shared by every daemon, each of
 * which reads its own part.  See cfjl.conf(5).
 */
#ifndef CFJL_CONFIG_H
#define CFJL_CONFIG_H

#include <sys/queue.h>
#include <stdint.h>
#include <limits.h>
#include <stddef.h>

#define CFJL_CONF_FILE		"/etc/cfjl/cfjl.conf"
#define CFJL_SUBJECT_MAX	512

#define CFJL_FP_LEN		32	/* SHA-256 of a certificate (DER) */
#define CFJL_FP_HEX		(CFJL_FP_LEN * 2 + 1)

enum cfjl_role {
	ROLE_NONE = 0,
	ROLE_DEPOSITOR,
	ROLE_READER
};

/*
 * The two PKIs: the operator's CA issues depositors' certificates, the
 * regulator's CA those of readers (and the regulator's encryption
 * certificate).  A role is only ever given to a certificate of its CA.
 */
enum cfjl_ca {
	CA_NONE = 0,
	CA_OPERATOR,
	CA_REGULATOR
};
#define CFJL_CA_MAX		3	/* array size, indexed by enum cfjl_ca */

struct cfjl_ca_conf {
	char		 file[PATH_MAX];	/* CA certificates, PEM */
	char		 crl[PATH_MAX];		/* optional: a CRL file or */
	int		 crl_dir;		/* ... a directory of CRLs */
};

/*
 * A role line: a subject as issued by a CA, or one certificate by its
 * SHA-256 fingerprint (which must still be of the role's CA).
 */
struct cfjl_role_entry {
	TAILQ_ENTRY(cfjl_role_entry) entry;
	enum cfjl_role	 role;
	enum cfjl_ca	 ca;
	int		 by_fp;				/* fp, not subject */
	char		 subject[CFJL_SUBJECT_MAX];	/* RFC 2253 DN */
	uint8_t		 fp[CFJL_FP_LEN];
};
TAILQ_HEAD(cfjl_roles, cfjl_role_entry);

struct cfjl_listen {
	TAILQ_ENTRY(cfjl_listen) entry;
	char		 host[256];
	char		 port[16];
	int		 stomp;		/* the queue front, not HTTP */
};
TAILQ_HEAD(cfjl_listens, cfjl_listen);

struct cfjl_frontd_conf {
	struct cfjl_listens listens;
	char		 tls_cert[PATH_MAX];
	char		 tls_key[PATH_MAX];
	char		 tls_pkcs12[PATH_MAX];	/* or key and chain in one */
	char		 tls_passfile[PATH_MAX];	/* its passphrase */
	size_t		 max_body;		/* bytes */
	unsigned int	 max_batch;		/* traces in one batch */
	unsigned int	 max_headers;
	size_t		 max_header_size;	/* bytes, all headers */
	unsigned int	 max_conns;
	unsigned int	 max_conns_per_client;	/* per source address */
	unsigned int	 max_handshakes;	/* TLS handshakes at once */
	unsigned int	 max_handshakes_per_client;
	unsigned int	 handshake_timeout;	/* seconds */
	unsigned int	 idle_timeout;		/* seconds */
	unsigned int	 header_timeout;	/* seconds, slow clients */
	unsigned int	 max_xml_depth;
	unsigned int	 workers;		/* 0: one per online core */
	char		 user[64];
	char		 chroot[PATH_MAX];
};

struct cfjl_stored_conf {
	char		 database[1024];	/* libpq conninfo, sans dbname */
	char		 database_owner[1024];	/* conninfo for schema set-up */
	char		 regulator_cert[PATH_MAX];
	char		 cipher[32];		/* aes-256-gcm or aes-256-cbc */
	unsigned int	 commit_delay_us;	/* group commit window */
	unsigned int	 commit_max;		/* events per transaction */
	char		 sync_commit[16];	/* "": the server's setting */
	char		 user[64];
	char		 chroot[PATH_MAX];
};

struct cfjl_lot_conf {
	unsigned int	 max_events;		/* default 1000 */
	unsigned int	 max_age_ms;		/* default 1000 */
	unsigned int	 checkpoint_every;	/* seconds, default 60 */
};

struct cfjl_sealerd_conf {
	char		 pkcs11_module[PATH_MAX];
	char		 pkcs11_token[64];	/* token label */
	char		 pkcs11_pin_file[PATH_MAX];
	char		 seal_key[64];		/* key label in the token */
	char		 seal_cert[PATH_MAX];	/* certificate and chain, PEM */
	char		 tsa_key[64];
	char		 tsa_cert[PATH_MAX];
	char		 tsa_policy[128];	/* dotted OID */
	unsigned int	 tsa_accuracy_ms;
	char		 state_dir[PATH_MAX];	/* time-stamp serial counter */
	long		 clock_max_error_us;	/* bound on ntp_adjtime errors */
	int		 clock_relaxed;		/* demo machines only */
	char		 user[64];
	char		 chroot[PATH_MAX];
};

struct cfjl_auditd_conf {
	char		 journal_dir[PATH_MAX];
	unsigned int	 rotate_interval;	/* seconds, 0: never */
	size_t		 rotate_size;		/* bytes, 0: never */
	char		 auditors_group[64];
	char		 user[64];
	char		 chroot[PATH_MAX];
};

/*
 * An administrator: whose signature a state-changing command needs
 * (ctlauth.h).  A technical administrator's certificate is issued by the
 * operator's CA, a functional one's by the regulator's; named by subject
 * or by the certificate's fingerprint.
 */
enum cfjl_admin_kind {
	ADMIN_TECHNICAL = 1,	/* = CTLSIG_TECHNICAL */
	ADMIN_FUNCTIONAL = 2	/* = CTLSIG_FUNCTIONAL */
};
#define CFJL_ADMIN_MAX		32

struct cfjl_admin {
	enum cfjl_admin_kind	 kind;
	int			 by_fp;
	char			 subject[CFJL_SUBJECT_MAX];
	uint8_t			 fp[CFJL_FP_LEN];
};

struct cfjl_control_conf {
	char		 technical_group[64];
	char		 functional_group[64];
	struct cfjl_admin admins[CFJL_ADMIN_MAX];
	size_t		 nadmins;
};

struct cfjl_conf {
	char		 file[PATH_MAX];	/* the file it was read from */
	uint32_t	 operator_id;		/* operator number */
	uint32_t	 vault_id;		/* vault number */
	char		 runtime_dir[PATH_MAX];	/* Unix sockets */
	char		 schemas[PATH_MAX];	/* ARJEL XSD directory */
	struct cfjl_roles roles;
	struct cfjl_ca_conf	 ca[CFJL_CA_MAX];
	unsigned int	 crl_refresh;		/* seconds, 0: at reload only */
	struct cfjl_lot_conf	 lot;
	struct cfjl_frontd_conf	 frontd;
	struct cfjl_stored_conf	 stored;
	struct cfjl_sealerd_conf sealerd;
	struct cfjl_auditd_conf	 auditd;
	struct cfjl_control_conf control;
};

/* parse.y */
struct cfjl_conf	*parse_config(const char *file);	/* NULL on error */

/* config.c */
void			 config_free(struct cfjl_conf *);
void			 config_print(const struct cfjl_conf *);
void			 config_defaults(struct cfjl_conf *);
const struct cfjl_role_entry *config_role_lookup(const struct cfjl_conf *,
			    const struct cfjl_role_entry *);	/* same key */
const char		*config_role_name(enum cfjl_role);
enum cfjl_role		 config_role_parse(const char *);
int			 config_role_add(struct cfjl_conf *,
			    const struct cfjl_role_entry *);	/* -1: no memory */
const char		*config_ca_name(enum cfjl_ca);
const char		*config_admin_name(enum cfjl_admin_kind);
enum cfjl_ca		 config_admin_ca(enum cfjl_admin_kind);	/* its issuer */
enum cfjl_ca		 config_ca_parse(const char *);
enum cfjl_ca		 config_role_ca(enum cfjl_role);	/* its issuer */
int			 config_fp_parse(const char *, uint8_t *);
void			 config_fp_format(const uint8_t *, char *);	/* HEX */
struct cfjl_listen	*config_listen_find(const struct cfjl_conf *,
			    const char *host, const char *port);
void			 config_fmt_size(char *, size_t, unsigned long long);
void			 config_fmt_duration(char *, size_t, long long us);

#endif
