/*
 * The cfjl.conf grammar and its lexer: macros, include files, size and
 * duration suffixes.  Errors are printed as "file:line: message" and the
 * parse fails once the whole file has been read, so that one run shows
 * every mistake.  The language is described in cfjl.conf(5).
 */
%code top {
#define _GNU_SOURCE		/* asprintf */
}

%code requires {
#include <stdint.h>

/* A duration as written: a bare number (in the option's unit) or with a suffix. */
struct conf_duration {
	int		 bare;
	long long	 value;		/* bare: in the option's unit; else us */
};
}

%code {
#include <sys/types.h>
#include <sys/queue.h>
#include <sys/stat.h>

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "proto.h"

#define MAXINCLUDE	8	/* open files, the main one included */
#define MAXTOKEN	4096	/* longest word or quoted string */
#define MAXUNGET	8

#define US_MS		1000LL
#define US_S		1000000LL

struct file {
	TAILQ_ENTRY(file)	 entry;
	FILE			*stream;
	char			*name;
	dev_t			 dev;
	ino_t			 ino;
	int			 lineno;
	int			 atbol;		/* next token starts a line */
	int			 ungetbuf[MAXUNGET];
	int			 ungetpos;
};
TAILQ_HEAD(files, file);

struct macro {
	TAILQ_ENTRY(macro)	 entry;
	char			*name;
	char			*value;
};
TAILQ_HEAD(macros, macro);

static struct files	 files = TAILQ_HEAD_INITIALIZER(files);
static struct file	*file;		/* the file being read */
static struct macros	 macros = TAILQ_HEAD_INITIALIZER(macros);
static struct cfjl_conf	*conf;
static int		 errors;
static int		 tokline;	/* line of the last token read */
static char		 toktext[64];	/* the same token, for messages */
static int		 lexerr;	/* the lexer already explained it */
static int		 inject_nl;	/* end the include statement */
static int		 operator_set, vault_set;
static struct cfjl_ca_conf *ca_cur;	/* the ca line being read */

int		 yylex(void);
int		 yyparse(void);
static void	 yyerror(const char *);
static void	 conf_error(const char *, ...)
		    __attribute__((__format__(printf, 1, 2)));
static struct file *pushfile(const char *, int);
static int	 popfile(void);
static int	 lgetc(int);
static void	 lungetc(int);
static int	 allowed_in_word(int);
static void	 set_toktext(const char *);
static int	 kw_lookup(const char *);
static void	 files_free(void);
static int	 macro_set(const char *, const char *);
static const char *macro_get(const char *);
static void	 macros_free(void);
static int	 set_string(char *, size_t, const char *, const char *);
static int	 check_number(long long, long long, long long, const char *);
static int	 set_size(long long, long long, long long, const char *,
		    size_t *);
static int	 set_duration(struct conf_duration, long long, long long,
		    long long, long long, const char *, long long *);
static int	 parse_size(const char *, long long *);
static int	 parse_duration(const char *, long long *);
static int	 valid_macro_name(const char *);
static void	 conf_validate(void);
static void	 ca_crl_set(int, const char *);
static void	 role_line(int, int, const char *, int);
static void	 admin_line(int, int, const char *, int);
}

%define api.prefix {cfjlconf_yy}

%union {
	long long		 number;
	char			*string;
	struct conf_duration	 dur;
	int			 role;
}

%token	ADMIN FUNCTIONAL TECHNICAL
%token	ACCURACY AUDITD AUDITORSGROUP CA CERTIFICATE CHECKPOINT CHROOT CIPHER
%token	CLOCK
%token	OWNER STOMP SYNCCOMMIT
%token	COMMITDELAY COMMITMAX CONTROL CRL CRLDIR DATABASE DEPOSITOR EVERY
%token	FINGERPRINT FRONTD REFRESH PKCS12 PASSFILE
%token	HANDSHAKETIMEOUT MAXHANDSHAKES MAXHANDSHAKESCLIENT
%token	FUNCGROUP HEADERTIMEOUT IDLETIMEOUT INCLUDE JOURNAL KEY LISTEN LOT
%token	MAXAGE MAXBATCH MAXBODY MAXCONNS MAXCONNSCLIENT MAXERROR MAXEVENTS
%token	MAXHEADERSIZE MAXHEADERS MAXXMLDEPTH MODULE ON OPERATOR PINFILE PKCS11
%token	POLICY PORT READER REGULATOR RELAXED ROLE ROTATE RUNTIMEDIR SCHEMAS
%token	SEAL SEALERD SIZE STATEDIR STORED TECHGROUP TLS TOKEN TSA USER VAULT
%token	WORKERS
%token	ERROR
%token	<string>	STRING MACRONAME
%token	<number>	NUMBER
%type	<string>	string port
%type	<number>	size listenproto
%type	<dur>		duration
%type	<role>		rolename caname adminkind
%destructor { free($$); } <string>

%%

grammar		: /* empty */
		| grammar '\n'
		| grammar statement '\n'
		| grammar error '\n'		{ yyerrok; }
		;

statement	: include
		| varset
		| global
		| frontd
		| stored
		| sealerd
		| auditd
		| control
		;

nl		: '\n'
		| nl '\n'
		;

optnl		: /* empty */
		| nl
		;

string		: STRING
		| NUMBER {
			if (asprintf(&$$, "%lld", $1) == -1) {
				conf_error("out of memory");
				YYERROR;
			}
		}
		;

size		: NUMBER
		| STRING {
			if (parse_size($1, &$$) == -1) {
				conf_error("\"%s\" is not a size (bytes, or "
				    "a number with K, M or G)", $1);
				free($1);
				YYERROR;
			}
			free($1);
		}
		;

duration	: NUMBER {
			$$.bare = 1;
			$$.value = $1;
		}
		| STRING {
			$$.bare = 0;
			if (parse_duration($1, &$$.value) == -1) {
				conf_error("\"%s\" is not a duration (a number "
				    "with us, ms, s, m or h)", $1);
				free($1);
				YYERROR;
			}
			free($1);
		}
		;

include		: INCLUDE STRING {
			struct file	*nfile;

			nfile = pushfile($2, 1);
			free($2);
			if (nfile != NULL) {
				file = nfile;
				inject_nl = 1;
			}
		}
		;

varset		: MACRONAME '=' string {
			if (!valid_macro_name($1))
				conf_error("\"%s\" is not a valid macro name", $1);
			else if (macro_set($1, $3) == -1)
				conf_error("out of memory");
			free($1);
			free($3);
		}
		;

rolename	: DEPOSITOR	{ $$ = ROLE_DEPOSITOR; }
		| READER	{ $$ = ROLE_READER; }
		;

adminkind	: TECHNICAL	{ $$ = ADMIN_TECHNICAL; }
		| FUNCTIONAL	{ $$ = ADMIN_FUNCTIONAL; }
		;

caname		: OPERATOR	{ $$ = CA_OPERATOR; }
		| REGULATOR	{ $$ = CA_REGULATOR; }
		;

cacrl		: /* empty */
		| CRL string {
			ca_crl_set(0, $2);
			free($2);
		}
		| CRLDIR string {
			ca_crl_set(1, $2);
			free($2);
		}
		;

global		: OPERATOR NUMBER {
			/* Set even when refused: one error is enough. */
			if (check_number($2, 1, 999999, "operator") == 0) {
				if (operator_set && conf->operator_id != $2)
					conf_error("operator %lld conflicts with "
					    "operator %u given before", $2,
					    conf->operator_id);
				conf->operator_id = $2;
			}
			operator_set = 1;
		}
		| VAULT NUMBER {
			/* Set even when refused: one error is enough. */
			if (check_number($2, 1, 999999, "vault") == 0) {
				if (vault_set && conf->vault_id != $2)
					conf_error("vault %lld conflicts with "
					    "vault %u given before", $2,
					    conf->vault_id);
				conf->vault_id = $2;
			}
			vault_set = 1;
		}
		| RUNTIMEDIR string {
			set_string(conf->runtime_dir, sizeof(conf->runtime_dir),
			    $2, "runtime-dir");
			free($2);
		}
		| SCHEMAS string {
			set_string(conf->schemas, sizeof(conf->schemas), $2,
			    "schemas");
			free($2);
		}
		| CA caname string {
			struct cfjl_ca_conf	*ca = &conf->ca[$2];

			if (ca->file[0] != '\0')
				conf_error("ca %s given twice",
				    config_ca_name($2));
			set_string(ca->file, sizeof(ca->file), $3, "ca");
			ca->crl[0] = '\0';
			ca->crl_dir = 0;
			ca_cur = ca;
			/* Still on the stack if cacrl fails: freed once only. */
			free($3);
			$3 = NULL;
		} cacrl
		| CRL REFRESH duration {
			long long	 v;

			if ($3.value == 0)
				conf->crl_refresh = 0;
			else if (set_duration($3, US_S, US_S, 1, 24 * 3600,
			    "crl refresh", &v) == 0)
				conf->crl_refresh = v;
		}
		| ROLE rolename string {
			role_line($2, config_role_ca($2), $3, 0);
			free($3);
		}
		| ROLE rolename CA caname string {
			role_line($2, $4, $5, 0);
			free($5);
		}
		| ROLE rolename FINGERPRINT string {
			role_line($2, config_role_ca($2), $4, 1);
			free($4);
		}
		| ADMIN adminkind string {
			admin_line($2, config_admin_ca($2), $3, 0);
			free($3);
		}
		| ADMIN adminkind CA caname string {
			admin_line($2, $4, $5, 0);
			free($5);
		}
		| ADMIN adminkind FINGERPRINT string {
			admin_line($2, config_admin_ca($2), $4, 1);
			free($4);
		}
		| LOT MAXEVENTS NUMBER {
			if (check_number($3, 1, 1000000, "lot max-events") == 0)
				conf->lot.max_events = $3;
		}
		| LOT MAXAGE duration {
			long long	 v;

			if (set_duration($3, US_MS, US_MS, 1, 3600 * 1000,
			    "lot max-age", &v) == 0)
				conf->lot.max_age_ms = v;
		}
		| CHECKPOINT EVERY duration {
			long long	 v;

			if (set_duration($3, US_S, US_S, 1, 24 * 3600,
			    "checkpoint every", &v) == 0)
				conf->lot.checkpoint_every = v;
		}
		;

frontd		: FRONTD '{' optnl frontdopts '}'
		| FRONTD '{' optnl frontdopts frontdopt '}'
		;

frontdopts	: /* empty */
		| frontdopts frontdopt nl
		| frontdopts error nl		{ yyerrok; }
		;

port		: /* empty */ {
			if (($$ = strdup("443")) == NULL) {
				conf_error("out of memory");
				YYERROR;
			}
		}
		| PORT NUMBER {
			if (check_number($2, 1, 65535, "port") == -1 ||
			    asprintf(&$$, "%lld", $2) == -1)
				$$ = NULL;
		}
		| PORT STRING		{ $$ = $2; }
		;

listenproto	: /* empty */		{ $$ = 0; }
		| STOMP			{ $$ = 1; }
		;

frontdopt	: LISTEN ON string port listenproto {
			struct cfjl_listen	*l;

			if ($4 == NULL)
				;	/* already reported */
			else if ((l = calloc(1, sizeof(*l))) == NULL)
				conf_error("out of memory");
			else if (set_string(l->host, sizeof(l->host), $3,
			    "listen address") == -1 ||
			    set_string(l->port, sizeof(l->port), $4,
			    "port") == -1)
				free(l);
			else if (config_listen_find(conf, l->host,
			    l->port) != NULL) {
				conf_error("listen on %s port %s given twice",
				    l->host, l->port);
				free(l);
			} else {
				l->stomp = $5;
				TAILQ_INSERT_TAIL(&conf->frontd.listens, l,
				    entry);
			}
			free($3);
			free($4);
		}
		| TLS CERTIFICATE string {
			set_string(conf->frontd.tls_cert,
			    sizeof(conf->frontd.tls_cert), $3,
			    "tls certificate");
			free($3);
		}
		| TLS KEY string {
			set_string(conf->frontd.tls_key,
			    sizeof(conf->frontd.tls_key), $3, "tls key");
			free($3);
		}
		| TLS PKCS12 string {
			set_string(conf->frontd.tls_pkcs12,
			    sizeof(conf->frontd.tls_pkcs12), $3, "tls pkcs12");
			free($3);
		}
		| TLS PASSFILE string {
			set_string(conf->frontd.tls_passfile,
			    sizeof(conf->frontd.tls_passfile), $3,
			    "tls passphrase-file");
			free($3);
		}
		| TLS CA string {
			conf_error("\"tls ca\" is gone: name the operator's "
			    "and the regulator's CAs with \"ca operator\" and "
			    "\"ca regulator\"");
			free($3);
		}
		| TLS CRL string {
			conf_error("\"tls crl\" is gone: give each CA its "
			    "CRL (\"ca operator FILE crl FILE\")");
			free($3);
		}
		| MAXBODY size {
			set_size($2, 1024, CFJL_MSG_MAX, "max-body",
			    &conf->frontd.max_body);
		}
		| MAXBATCH NUMBER {
			if (check_number($2, 1, 100000, "max-batch") == 0)
				conf->frontd.max_batch = $2;
		}
		| MAXHEADERS NUMBER {
			if (check_number($2, 1, 1024, "max-headers") == 0)
				conf->frontd.max_headers = $2;
		}
		| MAXHEADERSIZE size {
			set_size($2, 1024, 1024 * 1024, "max-header-size",
			    &conf->frontd.max_header_size);
		}
		| MAXCONNS NUMBER {
			if (check_number($2, 1, 65536, "max-connections") == 0)
				conf->frontd.max_conns = $2;
		}
		| MAXCONNSCLIENT NUMBER {
			if (check_number($2, 1, 65536,
			    "max-connections-per-client") == 0)
				conf->frontd.max_conns_per_client = $2;
		}
		| MAXHANDSHAKES NUMBER {
			if (check_number($2, 1, 65536, "max-handshakes") == 0)
				conf->frontd.max_handshakes = $2;
		}
		| MAXHANDSHAKESCLIENT NUMBER {
			if (check_number($2, 1, 65536,
			    "max-handshakes-per-client") == 0)
				conf->frontd.max_handshakes_per_client = $2;
		}
		| HANDSHAKETIMEOUT duration {
			long long	 v;

			if (set_duration($2, US_S, US_S, 1, 600,
			    "handshake-timeout", &v) == 0)
				conf->frontd.handshake_timeout = v;
		}
		| IDLETIMEOUT duration {
			long long	 v;

			if (set_duration($2, US_S, US_S, 1, 3600,
			    "idle-timeout", &v) == 0)
				conf->frontd.idle_timeout = v;
		}
		| HEADERTIMEOUT duration {
			long long	 v;

			if (set_duration($2, US_S, US_S, 1, 600,
			    "header-timeout", &v) == 0)
				conf->frontd.header_timeout = v;
		}
		| MAXXMLDEPTH NUMBER {
			if (check_number($2, 4, 256, "max-xml-depth") == 0)
				conf->frontd.max_xml_depth = $2;
		}
		| WORKERS NUMBER {
			if (check_number($2, 1, 64, "workers") == 0)
				conf->frontd.workers = $2;
		}
		| USER string {
			set_string(conf->frontd.user, sizeof(conf->frontd.user),
			    $2, "user");
			free($2);
		}
		| CHROOT string {
			set_string(conf->frontd.chroot,
			    sizeof(conf->frontd.chroot), $2, "chroot");
			free($2);
		}
		;

stored		: STORED '{' optnl storedopts '}'
		| STORED '{' optnl storedopts storedopt '}'
		;

storedopts	: /* empty */
		| storedopts storedopt nl
		| storedopts error nl		{ yyerrok; }
		;

storedopt	: DATABASE string {
			set_string(conf->stored.database,
			    sizeof(conf->stored.database), $2, "database");
			free($2);
		}
		| DATABASE OWNER string {
			set_string(conf->stored.database_owner,
			    sizeof(conf->stored.database_owner), $3,
			    "database owner");
			free($3);
		}
		| REGULATOR CERTIFICATE string {
			set_string(conf->stored.regulator_cert,
			    sizeof(conf->stored.regulator_cert), $3,
			    "regulator certificate");
			free($3);
		}
		| CIPHER string {
			if (strcmp($2, "aes-256-gcm") != 0 &&
			    strcmp($2, "aes-256-cbc") != 0)
				conf_error("unknown cipher \"%s\" (aes-256-gcm "
				    "or aes-256-cbc)", $2);
			else
				set_string(conf->stored.cipher,
				    sizeof(conf->stored.cipher), $2, "cipher");
			free($2);
		}
		| COMMITDELAY duration {
			long long	 v;

			if (set_duration($2, 1, 1, 0, US_S, "commit-delay",
			    &v) == 0)
				conf->stored.commit_delay_us = v;
		}
		| SYNCCOMMIT string {
			if (strcmp($2, "on") != 0 &&
			    strcmp($2, "remote_apply") != 0 &&
			    strcmp($2, "remote_write") != 0)
				conf_error("synchronous-commit \"%s\": on, "
				    "remote_apply or remote_write (a standby "
				    "must confirm)", $2);
			else
				set_string(conf->stored.sync_commit,
				    sizeof(conf->stored.sync_commit), $2,
				    "synchronous-commit");
			free($2);
		}
		| COMMITMAX NUMBER {
			if (check_number($2, 1, 100000, "commit-max") == 0)
				conf->stored.commit_max = $2;
		}
		| USER string {
			set_string(conf->stored.user, sizeof(conf->stored.user),
			    $2, "user");
			free($2);
		}
		| CHROOT string {
			set_string(conf->stored.chroot,
			    sizeof(conf->stored.chroot), $2, "chroot");
			free($2);
		}
		;

sealerd		: SEALERD '{' optnl sealerdopts '}'
		| SEALERD '{' optnl sealerdopts sealerdopt '}'
		;

sealerdopts	: /* empty */
		| sealerdopts sealerdopt nl
		| sealerdopts error nl		{ yyerrok; }
		;

sealerdopt	: PKCS11 MODULE string {
			set_string(conf->sealerd.pkcs11_module,
			    sizeof(conf->sealerd.pkcs11_module), $3,
			    "pkcs11 module");
			free($3);
		}
		| PKCS11 TOKEN string {
			set_string(conf->sealerd.pkcs11_token,
			    sizeof(conf->sealerd.pkcs11_token), $3,
			    "pkcs11 token");
			free($3);
		}
		| PKCS11 PINFILE string {
			set_string(conf->sealerd.pkcs11_pin_file,
			    sizeof(conf->sealerd.pkcs11_pin_file), $3,
			    "pkcs11 pin-file");
			free($3);
		}
		| SEAL KEY string {
			set_string(conf->sealerd.seal_key,
			    sizeof(conf->sealerd.seal_key), $3, "seal key");
			free($3);
		}
		| SEAL KEY string CERTIFICATE string {
			set_string(conf->sealerd.seal_key,
			    sizeof(conf->sealerd.seal_key), $3, "seal key");
			set_string(conf->sealerd.seal_cert,
			    sizeof(conf->sealerd.seal_cert), $5,
			    "seal certificate");
			free($3);
			free($5);
		}
		| SEAL CERTIFICATE string {
			set_string(conf->sealerd.seal_cert,
			    sizeof(conf->sealerd.seal_cert), $3,
			    "seal certificate");
			free($3);
		}
		| TSA KEY string {
			set_string(conf->sealerd.tsa_key,
			    sizeof(conf->sealerd.tsa_key), $3, "tsa key");
			free($3);
		}
		| TSA KEY string CERTIFICATE string {
			set_string(conf->sealerd.tsa_key,
			    sizeof(conf->sealerd.tsa_key), $3, "tsa key");
			set_string(conf->sealerd.tsa_cert,
			    sizeof(conf->sealerd.tsa_cert), $5,
			    "tsa certificate");
			free($3);
			free($5);
		}
		| TSA CERTIFICATE string {
			set_string(conf->sealerd.tsa_cert,
			    sizeof(conf->sealerd.tsa_cert), $3,
			    "tsa certificate");
			free($3);
		}
		| TSA POLICY string {
			const char	*p;
			int		 ok = 1, dots = 0;

			/* A dotted OID: digits, single dots, two arcs at least. */
			for (p = $3; *p != '\0'; p++) {
				if (*p == '.') {
					if (p == $3 || p[1] == '.' ||
					    p[1] == '\0')
						ok = 0;
					dots++;
				} else if (!isdigit((unsigned char)*p))
					ok = 0;
			}
			if (!ok || dots == 0)
				conf_error("tsa policy \"%s\" is not a dotted "
				    "object identifier", $3);
			else
				set_string(conf->sealerd.tsa_policy,
				    sizeof(conf->sealerd.tsa_policy), $3,
				    "tsa policy");
			free($3);
		}
		| TSA ACCURACY duration {
			long long	 v;

			if (set_duration($3, US_MS, US_MS, 1, 60 * 1000,
			    "tsa accuracy", &v) == 0)
				conf->sealerd.tsa_accuracy_ms = v;
		}
		| STATEDIR string {
			set_string(conf->sealerd.state_dir,
			    sizeof(conf->sealerd.state_dir), $2, "state-dir");
			free($2);
		}
		| CLOCK MAXERROR duration {
			long long	 v;

			if (set_duration($3, 1, 1, 1, 10 * US_S,
			    "clock max-error", &v) == 0)
				conf->sealerd.clock_max_error_us = v;
		}
		| CLOCK RELAXED {
			conf->sealerd.clock_relaxed = 1;
		}
		| USER string {
			set_string(conf->sealerd.user,
			    sizeof(conf->sealerd.user), $2, "user");
			free($2);
		}
		| CHROOT string {
			set_string(conf->sealerd.chroot,
			    sizeof(conf->sealerd.chroot), $2, "chroot");
			free($2);
		}
		;

auditd		: AUDITD '{' optnl auditdopts '}'
		| AUDITD '{' optnl auditdopts auditdopt '}'
		;

auditdopts	: /* empty */
		| auditdopts auditdopt nl
		| auditdopts error nl		{ yyerrok; }
		;

auditdopt	: JOURNAL string {
			set_string(conf->auditd.journal_dir,
			    sizeof(conf->auditd.journal_dir), $2, "journal");
			free($2);
		}
		| ROTATE EVERY duration {
			long long	 v;

			if (set_duration($3, US_S, US_S, 0, 7 * 24 * 3600,
			    "rotate every", &v) == 0)
				conf->auditd.rotate_interval = v;
		}
		| ROTATE SIZE size {
			if ($3 != 0)
				set_size($3, 4096, 1024LL * 1024 * 1024 * 4,
				    "rotate size", &conf->auditd.rotate_size);
			else
				conf->auditd.rotate_size = 0;
		}
		| AUDITORSGROUP string {
			set_string(conf->auditd.auditors_group,
			    sizeof(conf->auditd.auditors_group), $2,
			    "auditors-group");
			free($2);
		}
		| USER string {
			set_string(conf->auditd.user, sizeof(conf->auditd.user),
			    $2, "user");
			free($2);
		}
		| CHROOT string {
			set_string(conf->auditd.chroot,
			    sizeof(conf->auditd.chroot), $2, "chroot");
			free($2);
		}
		;

control		: CONTROL '{' optnl controlopts '}'
		| CONTROL '{' optnl controlopts controlopt '}'
		;

controlopts	: /* empty */
		| controlopts controlopt nl
		| controlopts error nl		{ yyerrok; }
		;

controlopt	: TECHGROUP string {
			set_string(conf->control.technical_group,
			    sizeof(conf->control.technical_group), $2,
			    "technical-group");
			free($2);
		}
		| FUNCGROUP string {
			set_string(conf->control.functional_group,
			    sizeof(conf->control.functional_group), $2,
			    "functional-group");
			free($2);
		}
		;

%%

static const struct keyword {
	const char	*name;
	int		 token;
} keywords[] = {
	{ "accuracy",			ACCURACY },
	{ "admin",			ADMIN },
	{ "auditd",			AUDITD },
	{ "auditors-group",		AUDITORSGROUP },
	{ "ca",				CA },
	{ "certificate",		CERTIFICATE },
	{ "checkpoint",			CHECKPOINT },
	{ "chroot",			CHROOT },
	{ "cipher",			CIPHER },
	{ "clock",			CLOCK },
	{ "commit-delay",		COMMITDELAY },
	{ "commit-max",			COMMITMAX },
	{ "control",			CONTROL },
	{ "crl",			CRL },
	{ "crl-dir",			CRLDIR },
	{ "database",			DATABASE },
	{ "depositor",			DEPOSITOR },
	{ "every",			EVERY },
	{ "fingerprint",		FINGERPRINT },
	{ "frontd",			FRONTD },
	{ "functional",			FUNCTIONAL },
	{ "functional-group",		FUNCGROUP },
	{ "handshake-timeout",		HANDSHAKETIMEOUT },
	{ "header-timeout",		HEADERTIMEOUT },
	{ "idle-timeout",		IDLETIMEOUT },
	{ "include",			INCLUDE },
	{ "journal",			JOURNAL },
	{ "key",			KEY },
	{ "listen",			LISTEN },
	{ "lot",			LOT },
	{ "max-age",			MAXAGE },
	{ "max-batch",			MAXBATCH },
	{ "max-body",			MAXBODY },
	{ "max-connections",		MAXCONNS },
	{ "max-connections-per-client",	MAXCONNSCLIENT },
	{ "max-error",			MAXERROR },
	{ "max-events",			MAXEVENTS },
	{ "max-header-size",		MAXHEADERSIZE },
	{ "max-handshakes",		MAXHANDSHAKES },
	{ "max-handshakes-per-client",	MAXHANDSHAKESCLIENT },
	{ "max-headers",		MAXHEADERS },
	{ "max-xml-depth",		MAXXMLDEPTH },
	{ "module",			MODULE },
	{ "on",				ON },
	{ "operator",			OPERATOR },
	{ "owner",			OWNER },
	{ "passphrase-file",		PASSFILE },
	{ "pin-file",			PINFILE },
	{ "pkcs11",			PKCS11 },
	{ "pkcs12",			PKCS12 },
	{ "policy",			POLICY },
	{ "port",			PORT },
	{ "reader",			READER },
	{ "refresh",			REFRESH },
	{ "regulator",			REGULATOR },
	{ "relaxed",			RELAXED },
	{ "role",			ROLE },
	{ "rotate",			ROTATE },
	{ "runtime-dir",		RUNTIMEDIR },
	{ "schemas",			SCHEMAS },
	{ "seal",			SEAL },
	{ "sealerd",			SEALERD },
	{ "size",			SIZE },
	{ "state-dir",			STATEDIR },
	{ "stomp",			STOMP },
	{ "stored",			STORED },
	{ "synchronous-commit",	SYNCCOMMIT },
	{ "technical",			TECHNICAL },
	{ "technical-group",		TECHGROUP },
	{ "tls",			TLS },
	{ "token",			TOKEN },
	{ "tsa",			TSA },
	{ "user",			USER },
	{ "vault",			VAULT },
	{ "workers",			WORKERS },
};

static int
kw_lookup(const char *word)
{
	size_t	 i;

	for (i = 0; i < sizeof(keywords) / sizeof(keywords[0]); i++)
		if (strcmp(word, keywords[i].name) == 0)
			return (keywords[i].token);
	return (STRING);
}

/* Errors found by the grammar itself: say where, and near what. */
static void
yyerror(const char *msg)
{
	if (lexerr)
		return;		/* the lexer printed the real reason */
	errors++;
	if (strcmp(msg, "syntax error") != 0)
		fprintf(stderr, "%s:%d: %s\n", file->name, tokline, msg);
	else if (strcmp(toktext, "\n") == 0)
		fprintf(stderr, "%s:%d: syntax error at end of line\n",
		    file->name, tokline);
	else if (toktext[0] == '\0')
		fprintf(stderr, "%s:%d: syntax error at end of file\n",
		    file->name, tokline);
	else
		fprintf(stderr, "%s:%d: syntax error near \"%s\"\n",
		    file->name, tokline, toktext);
}

static void
conf_error(const char *fmt, ...)
{
	va_list	 ap;

	errors++;
	fprintf(stderr, "%s:%d: ", file->name, tokline);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/*
 * One character of the current file.  Outside quotes a backslash at the
 * end of a line joins it to the next, and reads as a space.
 */
static int
lgetc(int quoted)
{
	int	 c, next;

	if (file->ungetpos > 0)
		return (file->ungetbuf[--file->ungetpos]);

	c = getc(file->stream);
	if (quoted || c != '\\')
		return (c);
	while (c == '\\') {
		next = getc(file->stream);
		if (next != '\n') {
			if (next != EOF)
				ungetc(next, file->stream);
			return (c);
		}
		file->lineno++;
		c = ' ';
	}
	return (c);
}

static void
lungetc(int c)
{
	if (c == EOF)
		return;
	if (file->ungetpos < MAXUNGET)
		file->ungetbuf[file->ungetpos++] = c;
}

static int
allowed_in_word(int c)
{
	return (isalnum(c) || (c != '\0' && strchr("-_.:/@+*%~,[]", c) != NULL));
}

static void
set_toktext(const char *text)
{
	strlcpy(toktext, text, sizeof(toktext));
}

/* Words are keywords, numbers or plain strings; quotes make a string. */
int
yylex(void)
{
	char		 buf[MAXTOKEN];
	const char	*val, *errstr;
	size_t		 len;
	int		 c, quotec, next, token, bol;

	lexerr = 0;
	if (inject_nl) {
		inject_nl = 0;
		set_toktext("\n");
		return ('\n');
	}

top:
	while ((c = lgetc(0)) == ' ' || c == '\t' || c == '\r')
		;
	tokline = file->lineno;

	if (c == '#')
		while ((c = lgetc(1)) != '\n' && c != EOF)
			;

	if (c == EOF) {
		if (!file->atbol) {
			/* A last line without its newline still ends. */
			file->atbol = 1;
			set_toktext("\n");
			return ('\n');
		}
		if (popfile() == EOF) {
			set_toktext("");
			return (0);
		}
		goto top;
	}

	if (c == '\n') {
		file->lineno++;
		file->atbol = 1;
		set_toktext("\n");
		return ('\n');
	}
	bol = file->atbol;
	file->atbol = 0;

	/*
	 * A macro stands for exactly one value, never for keywords: its
	 * text is not read again by the lexer.
	 */
	if (c == '$') {
		len = 0;
		while ((c = lgetc(0)) != EOF &&
		    (isalnum(c) || c == '_')) {
			if (len >= 64) {
				lexerr = 1;
				conf_error("macro name too long");
				return (ERROR);
			}
			buf[len++] = c;
		}
		lungetc(c);
		buf[len] = '\0';
		set_toktext("$");
		strlcat(toktext, buf, sizeof(toktext));
		if (len == 0) {
			lexerr = 1;
			conf_error("macro name expected after \"$\"");
			return (ERROR);
		}
		if ((val = macro_get(buf)) == NULL) {
			lexerr = 1;
			conf_error("macro \"%s\" is not defined", buf);
			return (ERROR);
		}
		/* Word characters right after it extend it: $dir/file. */
		if (strlcpy(buf, val, sizeof(buf)) >= sizeof(buf)) {
			lexerr = 1;
			conf_error("macro \"%s\" expands too long", toktext + 1);
			return (ERROR);
		}
		len = strlen(buf);
		while ((c = lgetc(0)) != EOF && allowed_in_word(c)) {
			if (len >= sizeof(buf) - 1) {
				lexerr = 1;
				conf_error("word too long");
				return (ERROR);
			}
			buf[len++] = c;
		}
		lungetc(c);
		buf[len] = '\0';
		yylval.number = strtonum(buf, LLONG_MIN, LLONG_MAX, &errstr);
		if (errstr == NULL)
			return (NUMBER);
		if ((yylval.string = strdup(buf)) == NULL) {
			lexerr = 1;
			conf_error("out of memory");
			return (ERROR);
		}
		return (STRING);
	}

	if (c == '"' || c == '\'') {
		quotec = c;
		len = 0;
		for (;;) {
			if ((c = lgetc(1)) == EOF || c == '\n') {
				lungetc(c);
				lexerr = 1;
				conf_error("unterminated quoted string");
				return (ERROR);
			}
			if (c == quotec)
				break;
			if (c == '\\') {
				next = lgetc(1);
				if (next == '\n') {
					file->lineno++;
					continue;
				}
				if (next == quotec || next == '\\')
					c = next;
				else
					lungetc(next);
			}
			if (c == '\0') {
				lexerr = 1;
				conf_error("NUL byte in quoted string");
				return (ERROR);
			}
			if (len >= sizeof(buf) - 1) {
				lexerr = 1;
				conf_error("quoted string too long");
				return (ERROR);
			}
			buf[len++] = c;
		}
		buf[len] = '\0';
		set_toktext(buf);
		if ((yylval.string = strdup(buf)) == NULL) {
			lexerr = 1;
			conf_error("out of memory");
			return (ERROR);
		}
		return (STRING);
	}

	if (allowed_in_word(c)) {
		len = 0;
		do {
			if (len >= sizeof(buf) - 1) {
				lexerr = 1;
				conf_error("word too long");
				return (ERROR);
			}
			buf[len++] = c;
		} while ((c = lgetc(0)) != EOF && allowed_in_word(c));
		lungetc(c);
		buf[len] = '\0';
		set_toktext(buf);

		if (isdigit((unsigned char)buf[0]) ||
		    (buf[0] == '-' && isdigit((unsigned char)buf[1]))) {
			yylval.number = strtonum(buf, LLONG_MIN, LLONG_MAX,
			    &errstr);
			if (errstr == NULL)
				return (NUMBER);
			if (strspn(buf + 1, "0123456789") == len - 1) {
				lexerr = 1;
				conf_error("number %s is %s", buf, errstr);
				return (ERROR);
			}
			/* "1M", "10ms", "127.0.0.1": strings. */
		}
		if ((token = kw_lookup(buf)) == STRING && bol) {
			/* "name = value" at the start of a line defines a macro. */
			while ((c = lgetc(0)) == ' ' || c == '\t')
				;
			lungetc(c);
			if (c == '=')
				token = MACRONAME;
		}
		if (token == STRING || token == MACRONAME) {
			if ((yylval.string = strdup(buf)) == NULL) {
				lexerr = 1;
				conf_error("out of memory");
				return (ERROR);
			}
		}
		return (token);
	}

	buf[0] = c;
	buf[1] = '\0';
	set_toktext(buf);
	return (c);
}

/*
 * Open a file to read next.  An included name is relative to the
 * directory of the file that includes it; includes nest to a bound and
 * may not loop.
 */
static struct file *
pushfile(const char *name, int included)
{
	struct file	*nf, *f;
	struct stat	 st;
	const char	*slash;
	char		*path;
	int		 depth = 0;

	if (included && name[0] != '/' &&
	    (slash = strrchr(file->name, '/')) != NULL) {
		if (asprintf(&path, "%.*s/%s", (int)(slash - file->name),
		    file->name, name) == -1)
			path = NULL;
	} else
		path = strdup(name);
	if (path == NULL) {
		conf_error("out of memory");
		return (NULL);
	}

	TAILQ_FOREACH(f, &files, entry)
		depth++;
	if (depth >= MAXINCLUDE) {
		conf_error("include \"%s\": includes nested more than %d "
		    "deep", path, MAXINCLUDE - 1);
		free(path);
		return (NULL);
	}

	if ((nf = calloc(1, sizeof(*nf))) == NULL) {
		conf_error("out of memory");
		free(path);
		return (NULL);
	}
	nf->name = path;
	nf->lineno = 1;
	nf->atbol = 1;
	if ((nf->stream = fopen(path, "r")) == NULL ||
	    fstat(fileno(nf->stream), &st) == -1) {
		if (included)
			conf_error("include \"%s\": %s", path, strerror(errno));
		else {
			errors++;
			fprintf(stderr, "%s: %s\n", path, strerror(errno));
		}
		goto fail;
	}
	if (!S_ISREG(st.st_mode)) {
		if (included)
			conf_error("include \"%s\": not a regular file", path);
		else {
			errors++;
			fprintf(stderr, "%s: not a regular file\n", path);
		}
		goto fail;
	}
	TAILQ_FOREACH(f, &files, entry) {
		if (f->dev == st.st_dev && f->ino == st.st_ino) {
			conf_error("include \"%s\": loop, the file is already "
			    "being read", path);
			goto fail;
		}
	}
	nf->dev = st.st_dev;
	nf->ino = st.st_ino;
	TAILQ_INSERT_TAIL(&files, nf, entry);
	return (nf);

fail:
	if (nf->stream != NULL)
		fclose(nf->stream);
	free(nf->name);
	free(nf);
	return (NULL);
}

/* Close the current file; EOF once the main file is done. */
static int
popfile(void)
{
	struct file	*prev;

	if ((prev = TAILQ_PREV(file, files, entry)) == NULL)
		return (EOF);
	TAILQ_REMOVE(&files, file, entry);
	fclose(file->stream);
	free(file->name);
	free(file);
	file = prev;
	return (0);
}

static void
files_free(void)
{
	struct file	*f;

	while ((f = TAILQ_FIRST(&files)) != NULL) {
		TAILQ_REMOVE(&files, f, entry);
		fclose(f->stream);
		free(f->name);
		free(f);
	}
	file = NULL;
}

static int
valid_macro_name(const char *name)
{
	const char	*p;

	if (!isalpha((unsigned char)name[0]) && name[0] != '_')
		return (0);
	for (p = name; *p != '\0'; p++)
		if (!isalnum((unsigned char)*p) && *p != '_')
			return (0);
	return (p - name <= 64);
}

static int
macro_set(const char *name, const char *value)
{
	struct macro	*m;
	char		*v;

	if ((v = strdup(value)) == NULL)
		return (-1);
	TAILQ_FOREACH(m, &macros, entry) {
		if (strcmp(m->name, name) == 0) {
			free(m->value);
			m->value = v;
			return (0);
		}
	}
	if ((m = calloc(1, sizeof(*m))) == NULL ||
	    (m->name = strdup(name)) == NULL) {
		free(m);
		free(v);
		return (-1);
	}
	m->value = v;
	TAILQ_INSERT_TAIL(&macros, m, entry);
	return (0);
}

static const char *
macro_get(const char *name)
{
	struct macro	*m;

	TAILQ_FOREACH(m, &macros, entry)
		if (strcmp(m->name, name) == 0)
			return (m->value);
	return (NULL);
}

static void
macros_free(void)
{
	struct macro	*m;

	while ((m = TAILQ_FIRST(&macros)) != NULL) {
		TAILQ_REMOVE(&macros, m, entry);
		free(m->name);
		free(m->value);
		free(m);
	}
}

static int
set_string(char *dst, size_t size, const char *src, const char *what)
{
	if (strlen(src) >= size) {
		conf_error("%s too long (at most %zu bytes)", what, size - 1);
		return (-1);
	}
	strlcpy(dst, src, size);
	return (0);
}

static int
check_number(long long v, long long min, long long max, const char *what)
{
	if (v < min || v > max) {
		conf_error("%s %lld is out of range (%lld to %lld)", what, v,
		    min, max);
		return (-1);
	}
	return (0);
}

static int
set_size(long long v, long long min, long long max, const char *what,
    size_t *out)
{
	char	 a[32], b[32], c[32];

	if (v < min || v > max) {
		config_fmt_size(a, sizeof(a), v < 0 ? 0 : v);
		config_fmt_size(b, sizeof(b), min);
		config_fmt_size(c, sizeof(c), max);
		if (v < 0)
			conf_error("%s %lld is out of range (%s to %s)", what,
			    v, b, c);
		else
			conf_error("%s %s is out of range (%s to %s)", what,
			    a, b, c);
		return (-1);
	}
	*out = v;
	return (0);
}

/*
 * Convert a duration to the option's unit (unit_us microseconds), which
 * must hold it exactly, and check it against min and max in that unit.
 */
static int
set_duration(struct conf_duration d, long long bare_us, long long unit_us,
    long long min, long long max, const char *what, long long *out)
{
	char		 a[32], b[32], c[32];
	long long	 us;

	if (d.bare) {
		if (d.value < 0 || d.value > LLONG_MAX / bare_us) {
			conf_error("%s %lld is out of range", what, d.value);
			return (-1);
		}
		us = d.value * bare_us;
	} else
		us = d.value;
	if (us % unit_us != 0) {
		config_fmt_duration(a, sizeof(a), us);
		conf_error("%s %s is not a whole number of %s", what, a,
		    unit_us == US_S ? "seconds" : "milliseconds");
		return (-1);
	}
	if (us / unit_us < min || us / unit_us > max) {
		config_fmt_duration(a, sizeof(a), us);
		config_fmt_duration(b, sizeof(b), min * unit_us);
		config_fmt_duration(c, sizeof(c), max * unit_us);
		conf_error("%s %s is out of range (%s to %s)", what, a, b, c);
		return (-1);
	}
	*out = us / unit_us;
	return (0);
}

/* "16K", "1M", "2G" or plain digits, in bytes. */
static int
parse_size(const char *s, long long *out)
{
	const char	*errstr;
	char		 digits[32];
	long long	 mult = 1, v;
	size_t		 n;

	n = strspn(s, "0123456789");
	if (n == 0 || n >= sizeof(digits))
		return (-1);
	if (s[n] == '\0')
		;
	else if (s[n + 1] != '\0')
		return (-1);
	else if (s[n] == 'K' || s[n] == 'k')
		mult = 1024LL;
	else if (s[n] == 'M' || s[n] == 'm')
		mult = 1024LL * 1024;
	else if (s[n] == 'G' || s[n] == 'g')
		mult = 1024LL * 1024 * 1024;
	else
		return (-1);
	memcpy(digits, s, n);
	digits[n] = '\0';
	v = strtonum(digits, 0, LLONG_MAX / mult, &errstr);
	if (errstr != NULL)
		return (-1);
	*out = v * mult;
	return (0);
}

/* "250us", "2ms", "1s", "10m", "1h", in microseconds. */
static int
parse_duration(const char *s, long long *out)
{
	static const struct {
		const char	*suffix;
		long long	 us;
	} units[] = {
		{ "us",	1 },
		{ "ms",	US_MS },
		{ "s",	US_S },
		{ "m",	60 * US_S },
		{ "h",	3600 * US_S },
	};
	const char	*errstr;
	char		 digits[32];
	size_t		 i, n;
	long long	 v;

	n = strspn(s, "0123456789");
	if (n == 0 || n >= sizeof(digits))
		return (-1);
	for (i = 0; i < sizeof(units) / sizeof(units[0]); i++)
		if (strcmp(s + n, units[i].suffix) == 0)
			break;
	if (i == sizeof(units) / sizeof(units[0]))
		return (-1);
	memcpy(digits, s, n);
	digits[n] = '\0';
	v = strtonum(digits, 0, LLONG_MAX / units[i].us, &errstr);
	if (errstr != NULL)
		return (-1);
	*out = v * units[i].us;
	return (0);
}

/* Checks that need the whole file; reported against the file name. */
/* The CRL (file or directory) of the CA line being read. */
static void
ca_crl_set(int dir, const char *path)
{
	if (ca_cur == NULL)
		return;
	set_string(ca_cur->crl, sizeof(ca_cur->crl), path,
	    dir ? "crl-dir" : "crl");
	ca_cur->crl_dir = dir;
}

/*
 * role ROLE [ca CA] SUBJECT, or role ROLE fingerprint HEX.  A role is
 * only ever bound to certificates of its own CA: a depositor's of the
 * operator's, a reader's of the regulator's.
 */
static void
role_line(int role, int ca, const char *what, int by_fp)
{
	struct cfjl_role_entry		 e;
	const struct cfjl_role_entry	*old;

	memset(&e, 0, sizeof(e));
	e.role = role;
	e.ca = ca;
	e.by_fp = by_fp;
	if (ca != (int)config_role_ca(role)) {
		conf_error("a %s's certificate is issued by the %s's CA, not "
		    "the %s's", config_role_name(role),
		    config_ca_name(config_role_ca(role)), config_ca_name(ca));
		return;
	}
	if (by_fp) {
		if (config_fp_parse(what, e.fp) == -1) {
			conf_error("fingerprint \"%s\": 64 hex digits "
			    "(SHA-256 of the certificate) expected", what);
			return;
		}
	} else if (what[0] == '\0') {
		conf_error("empty role subject");
		return;
	} else if (strlcpy(e.subject, what, sizeof(e.subject)) >=
	    sizeof(e.subject)) {
		conf_error("role subject too long (at most %d bytes)",
		    CFJL_SUBJECT_MAX - 1);
		return;
	}
	if ((old = config_role_lookup(conf, &e)) != NULL) {
		if (old->role != e.role)
			conf_error("%s \"%s\" is already a %s", by_fp ?
			    "fingerprint" : "subject", what,
			    config_role_name(old->role));
		return;
	}
	if (config_role_add(conf, &e) == -1)
		conf_error("out of memory");
}

/*
 * admin KIND [ca CA] SUBJECT, or admin KIND fingerprint HEX: whose
 * signature the state-changing commands need.  A technical
 * administrator's certificate is the operator's CA's, a functional one's
 * the regulator's.
 */
static void
admin_line(int kind, int ca, const char *what, int by_fp)
{
	struct cfjl_control_conf	*c = &conf->control;
	struct cfjl_admin		 a;
	size_t				 i;

	memset(&a, 0, sizeof(a));
	a.kind = kind;
	a.by_fp = by_fp;
	if (ca != (int)config_admin_ca(kind)) {
		conf_error("a %s administrator's certificate is issued by the "
		    "%s's CA, not the %s's", config_admin_name(kind),
		    config_ca_name(config_admin_ca(kind)), config_ca_name(ca));
		return;
	}
	if (by_fp) {
		if (config_fp_parse(what, a.fp) == -1) {
			conf_error("fingerprint \"%s\": 64 hex digits "
			    "(SHA-256 of the certificate) expected", what);
			return;
		}
	} else if (what[0] == '\0') {
		conf_error("empty administrator subject");
		return;
	} else if (strlcpy(a.subject, what, sizeof(a.subject)) >=
	    sizeof(a.subject)) {
		conf_error("administrator subject too long (at most %d bytes)",
		    CFJL_SUBJECT_MAX - 1);
		return;
	}
	for (i = 0; i < c->nadmins; i++)
		if (c->admins[i].kind == a.kind && c->admins[i].by_fp == by_fp &&
		    (by_fp ? memcmp(c->admins[i].fp, a.fp, sizeof(a.fp)) == 0 :
		    strcmp(c->admins[i].subject, a.subject) == 0))
			return;
	if (c->nadmins == CFJL_ADMIN_MAX) {
		conf_error("more than %d administrators", CFJL_ADMIN_MAX);
		return;
	}
	c->admins[c->nadmins++] = a;
}

static void
conf_validate(void)
{
	const char	*name = conf->file;

	if (!operator_set) {
		errors++;
		fprintf(stderr, "%s: no operator number (\"operator N\")\n",
		    name);
	}
	if (!vault_set) {
		errors++;
		fprintf(stderr, "%s: no vault number (\"vault N\")\n", name);
	}
	if (conf->frontd.tls_pkcs12[0] != '\0' &&
	    (conf->frontd.tls_cert[0] != '\0' ||
	    conf->frontd.tls_key[0] != '\0')) {
		errors++;
		fprintf(stderr, "%s: tls pkcs12 holds the key and certificate: "
		    "no tls certificate or tls key with it\n", name);
	}
	if ((conf->frontd.tls_pkcs12[0] != '\0') !=
	    (conf->frontd.tls_passfile[0] != '\0')) {
		errors++;
		fprintf(stderr, "%s: tls pkcs12 and tls passphrase-file go "
		    "together\n", name);
	}
	if (conf->frontd.max_conns_per_client > conf->frontd.max_conns) {
		errors++;
		fprintf(stderr, "%s: max-connections-per-client %u exceeds "
		    "max-connections %u\n", name,
		    conf->frontd.max_conns_per_client, conf->frontd.max_conns);
	}
	if (conf->frontd.max_handshakes_per_client >
	    conf->frontd.max_handshakes) {
		errors++;
		fprintf(stderr, "%s: max-handshakes-per-client %u exceeds "
		    "max-handshakes %u\n", name,
		    conf->frontd.max_handshakes_per_client,
		    conf->frontd.max_handshakes);
	}
}

struct cfjl_conf *
parse_config(const char *filename)
{
	struct cfjl_conf	*c;

	if ((c = calloc(1, sizeof(*c))) == NULL) {
		fprintf(stderr, "%s: %s\n", filename, strerror(errno));
		return (NULL);
	}
	config_defaults(c);
	if (strlcpy(c->file, filename, sizeof(c->file)) >= sizeof(c->file)) {
		fprintf(stderr, "%s: file name too long\n", filename);
		config_free(c);
		return (NULL);
	}

	conf = c;
	errors = 0;
	tokline = 0;
	lexerr = inject_nl = 0;
	operator_set = vault_set = 0;
	toktext[0] = '\0';

	if ((file = pushfile(filename, 0)) == NULL) {
		conf = NULL;
		config_free(c);
		return (NULL);
	}
	if (yyparse() != 0 && errors == 0)
		errors++;	/* memory exhausted, already reported */
	files_free();
	macros_free();
	conf_validate();
	conf = NULL;

	if (errors != 0) {
		config_free(c);
		return (NULL);
	}
	return (c);
}
