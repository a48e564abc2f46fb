/*
 * The parsed configuration outside the grammar: its defaults, printing
 * it back in the grammar of cfjl.conf(5) (for -n and the regress tests,
 * so the output is deterministic), freeing it, and role look-ups.
 */
#include <sys/types.h>
#include <sys/queue.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"

#define US_MS	1000LL
#define US_S	1000000LL

static void	 print_string(const char *);
static void	 print_opt(const char *, const char *, const char *);
static void	 print_req(const char *, const char *, const char *);
static void	 print_size(const char *, const char *, unsigned long long);
static void	 print_duration(const char *, const char *, long long);
static int	 config_hexval(char);

void
config_defaults(struct cfjl_conf *conf)
{
	memset(conf, 0, sizeof(*conf));
	TAILQ_INIT(&conf->roles);
	TAILQ_INIT(&conf->frontd.listens);

	strlcpy(conf->runtime_dir, "/run/cfjl", sizeof(conf->runtime_dir));

	conf->lot.max_events = 1000;
	conf->lot.max_age_ms = 1000;
	conf->crl_refresh = 3600;
	conf->lot.checkpoint_every = 60;

	conf->frontd.max_body = 1024 * 1024;
	conf->frontd.max_batch = 1000;
	conf->frontd.max_headers = 64;
	conf->frontd.max_header_size = 16 * 1024;
	conf->frontd.max_conns = 1024;
	conf->frontd.max_conns_per_client = 64;
	conf->frontd.max_handshakes = 256;
	conf->frontd.max_handshakes_per_client = 64;
	conf->frontd.handshake_timeout = 5;
	conf->frontd.idle_timeout = 60;
	conf->frontd.header_timeout = 10;
	conf->frontd.max_xml_depth = 32;
	strlcpy(conf->frontd.user, "_cfjlfront", sizeof(conf->frontd.user));
	strlcpy(conf->frontd.chroot, "/var/empty",
	    sizeof(conf->frontd.chroot));

	strlcpy(conf->stored.cipher, "aes-256-gcm",
	    sizeof(conf->stored.cipher));
	conf->stored.commit_delay_us = 2000;
	conf->stored.commit_max = 2000;
	strlcpy(conf->stored.user, "_cfjlstore", sizeof(conf->stored.user));

	conf->sealerd.tsa_accuracy_ms = 1000;
	conf->sealerd.clock_max_error_us = 100000;
	strlcpy(conf->sealerd.user, "_cfjlseal", sizeof(conf->sealerd.user));

	conf->auditd.rotate_interval = 3600;
	conf->auditd.rotate_size = 16 * 1024 * 1024;
	strlcpy(conf->auditd.auditors_group, "_cfjlaudit",
	    sizeof(conf->auditd.auditors_group));
	strlcpy(conf->auditd.user, "_cfjlaudit", sizeof(conf->auditd.user));

	strlcpy(conf->control.technical_group, "cfjltech",
	    sizeof(conf->control.technical_group));
	strlcpy(conf->control.functional_group, "cfjlfunc",
	    sizeof(conf->control.functional_group));
}

void
config_free(struct cfjl_conf *conf)
{
	struct cfjl_role_entry	*r;
	struct cfjl_listen	*l;

	if (conf == NULL)
		return;
	while ((r = TAILQ_FIRST(&conf->roles)) != NULL) {
		TAILQ_REMOVE(&conf->roles, r, entry);
		free(r);
	}
	while ((l = TAILQ_FIRST(&conf->frontd.listens)) != NULL) {
		TAILQ_REMOVE(&conf->frontd.listens, l, entry);
		free(l);
	}
	free(conf);
}

const char *
config_role_name(enum cfjl_role role)
{
	switch (role) {
	case ROLE_DEPOSITOR:
		return ("depositor");
	case ROLE_READER:
		return ("reader");
	default:
		return ("none");
	}
}

enum cfjl_role
config_role_parse(const char *name)
{
	if (strcmp(name, "depositor") == 0)
		return (ROLE_DEPOSITOR);
	if (strcmp(name, "reader") == 0)
		return (ROLE_READER);
	return (ROLE_NONE);
}

const char *
config_ca_name(enum cfjl_ca ca)
{
	switch (ca) {
	case CA_OPERATOR:
		return ("operator");
	case CA_REGULATOR:
		return ("regulator");
	default:
		return ("none");
	}
}

enum cfjl_ca
config_ca_parse(const char *name)
{
	if (strcmp(name, "operator") == 0)
		return (CA_OPERATOR);
	if (strcmp(name, "regulator") == 0)
		return (CA_REGULATOR);
	return (CA_NONE);
}

/* Depositors are the operator's; readers are the regulator's agents. */
const char *
config_admin_name(enum cfjl_admin_kind kind)
{
	return (kind == ADMIN_FUNCTIONAL ? "functional" : "technical");
}

/* Functional administrators are the regulator's, technical the operator's. */
enum cfjl_ca
config_admin_ca(enum cfjl_admin_kind kind)
{
	return (kind == ADMIN_FUNCTIONAL ? CA_REGULATOR : CA_OPERATOR);
}

enum cfjl_ca
config_role_ca(enum cfjl_role role)
{
	switch (role) {
	case ROLE_DEPOSITOR:
		return (CA_OPERATOR);
	case ROLE_READER:
		return (CA_REGULATOR);
	default:
		return (CA_NONE);
	}
}

/*
 * 64 hex digits, upper or lower case, pairs optionally separated by
 * colons as "openssl x509 -fingerprint -sha256" prints them.
 */
int
config_fp_parse(const char *s, uint8_t *fp)
{
	size_t	 i;
	int	 hi, lo;

	for (i = 0; i < CFJL_FP_LEN; i++) {
		if (i > 0 && *s == ':')
			s++;
		if ((hi = config_hexval(s[0])) == -1 ||
		    (lo = config_hexval(s[1])) == -1)
			return (-1);
		fp[i] = (uint8_t)(hi << 4 | lo);
		s += 2;
	}
	return (*s == '\0' ? 0 : -1);
}

void
config_fp_format(const uint8_t *fp, char *hex)
{
	size_t	 i;

	for (i = 0; i < CFJL_FP_LEN; i++)
		snprintf(hex + 2 * i, 3, "%02x", fp[i]);
}

static int
config_hexval(char c)
{
	if (c >= '0' && c <= '9')
		return (c - '0');
	if (c >= 'a' && c <= 'f')
		return (c - 'a' + 10);
	if (c >= 'A' && c <= 'F')
		return (c - 'A' + 10);
	return (-1);
}

/*
 * The entry with the same key: the same CA and subject (compared byte
 * for byte, as the certificate states it), or the same fingerprint.
 */
const struct cfjl_role_entry *
config_role_lookup(const struct cfjl_conf *conf,
    const struct cfjl_role_entry *key)
{
	const struct cfjl_role_entry	*r;

	TAILQ_FOREACH(r, &conf->roles, entry) {
		if (r->by_fp != key->by_fp)
			continue;
		if (r->by_fp ? memcmp(r->fp, key->fp, CFJL_FP_LEN) == 0 :
		    r->ca == key->ca && strcmp(r->subject, key->subject) == 0)
			return (r);
	}
	return (NULL);
}

int
config_role_add(struct cfjl_conf *conf, const struct cfjl_role_entry *e)
{
	struct cfjl_role_entry	*r;

	if ((r = calloc(1, sizeof(*r))) == NULL)
		return (-1);
	*r = *e;
	TAILQ_INSERT_TAIL(&conf->roles, r, entry);
	return (0);
}

struct cfjl_listen *
config_listen_find(const struct cfjl_conf *conf, const char *host,
    const char *port)
{
	struct cfjl_listen	*l;

	TAILQ_FOREACH(l, &conf->frontd.listens, entry)
		if (strcmp(l->host, host) == 0 && strcmp(l->port, port) == 0)
			return (l);
	return (NULL);
}

/* The largest suffix that states the size exactly: 16K, 1M, 1000. */
void
config_fmt_size(char *buf, size_t size, unsigned long long v)
{
	if (v != 0 && v % (1024ULL * 1024 * 1024) == 0)
		snprintf(buf, size, "%lluG", v / (1024ULL * 1024 * 1024));
	else if (v != 0 && v % (1024ULL * 1024) == 0)
		snprintf(buf, size, "%lluM", v / (1024ULL * 1024));
	else if (v != 0 && v % 1024ULL == 0)
		snprintf(buf, size, "%lluK", v / 1024ULL);
	else
		snprintf(buf, size, "%llu", v);
}

/* The largest unit that states the duration exactly: 1h, 2ms, 250us. */
void
config_fmt_duration(char *buf, size_t size, long long us)
{
	if (us == 0)
		snprintf(buf, size, "0");
	else if (us % (3600 * US_S) == 0)
		snprintf(buf, size, "%lldh", us / (3600 * US_S));
	else if (us % (60 * US_S) == 0)
		snprintf(buf, size, "%lldm", us / (60 * US_S));
	else if (us % US_S == 0)
		snprintf(buf, size, "%llds", us / US_S);
	else if (us % US_MS == 0)
		snprintf(buf, size, "%lldms", us / US_MS);
	else
		snprintf(buf, size, "%lldus", us);
}

/* Always quoted, so that no value can read back as a keyword. */
static void
print_string(const char *s)
{
	putchar('"');
	for (; *s != '\0'; s++) {
		if (*s == '"' || *s == '\\')
			putchar('\\');
		putchar(*s);
	}
	putchar('"');
}

/* An optional string setting, printed only when set. */
static void
print_opt(const char *indent, const char *keyword, const char *value)
{
	if (value[0] == '\0')
		return;
	printf("%s%s ", indent, keyword);
	print_string(value);
	putchar('\n');
}

/* A string setting that is always printed, even when empty. */
static void
print_req(const char *indent, const char *keyword, const char *value)
{
	printf("%s%s ", indent, keyword);
	print_string(value);
	putchar('\n');
}

static void
print_size(const char *indent, const char *keyword, unsigned long long v)
{
	char	 buf[32];

	config_fmt_size(buf, sizeof(buf), v);
	printf("%s%s %s\n", indent, keyword, buf);
}

static void
print_duration(const char *indent, const char *keyword, long long us)
{
	char	 buf[32];

	config_fmt_duration(buf, sizeof(buf), us);
	printf("%s%s %s\n", indent, keyword, buf);
}

void
config_print(const struct cfjl_conf *conf)
{
	const struct cfjl_frontd_conf	*f = &conf->frontd;
	const struct cfjl_stored_conf	*st = &conf->stored;
	const struct cfjl_sealerd_conf	*se = &conf->sealerd;
	const struct cfjl_auditd_conf	*a = &conf->auditd;
	const struct cfjl_control_conf	*c = &conf->control;
	struct cfjl_role_entry		*r;
	struct cfjl_listen		*l;
	char				 hex[CFJL_FP_HEX];
	size_t				 n;
	int				 i;

	printf("operator %u\n", conf->operator_id);
	printf("vault %u\n", conf->vault_id);
	print_opt("", "runtime-dir", conf->runtime_dir);
	print_opt("", "schemas", conf->schemas);
	for (i = CA_OPERATOR; i < CFJL_CA_MAX; i++) {
		if (conf->ca[i].file[0] == '\0')
			continue;
		printf("ca %s ", config_ca_name(i));
		print_string(conf->ca[i].file);
		if (conf->ca[i].crl[0] != '\0') {
			printf(conf->ca[i].crl_dir ? " crl-dir " : " crl ");
			print_string(conf->ca[i].crl);
		}
		putchar('\n');
	}
	print_duration("", "crl refresh", (long long)conf->crl_refresh * US_S);
	TAILQ_FOREACH(r, &conf->roles, entry) {
		printf("role %s ", config_role_name(r->role));
		if (r->by_fp) {
			config_fp_format(r->fp, hex);
			printf("fingerprint %s\n", hex);
			continue;
		}
		printf("ca %s ", config_ca_name(r->ca));
		print_string(r->subject);
		putchar('\n');
	}
	for (n = 0; n < c->nadmins; n++) {
		printf("admin %s ", config_admin_name(c->admins[n].kind));
		if (c->admins[n].by_fp) {
			config_fp_format(c->admins[n].fp, hex);
			printf("fingerprint %s\n", hex);
			continue;
		}
		printf("ca %s ", config_ca_name(config_admin_ca(
		    c->admins[n].kind)));
		print_string(c->admins[n].subject);
		putchar('\n');
	}
	printf("lot max-events %u\n", conf->lot.max_events);
	print_duration("", "lot max-age", conf->lot.max_age_ms * US_MS);
	/* Said only when set, so that older golden outputs still hold. */
	if (conf->lot.checkpoint_every != 60)
		print_duration("", "checkpoint every",
		    conf->lot.checkpoint_every * US_S);

	printf("\nfrontd {\n");
	TAILQ_FOREACH(l, &f->listens, entry) {
		printf("\tlisten on ");
		print_string(l->host);
		if (l->port[0] != '\0' &&
		    strspn(l->port, "0123456789") == strlen(l->port))
			printf(" port %s", l->port);
		else {
			printf(" port ");
			print_string(l->port);
		}
		printf("%s\n", l->stomp ? " stomp" : "");
	}
	print_opt("\t", "tls certificate", f->tls_cert);
	print_opt("\t", "tls key", f->tls_key);
	print_opt("\t", "tls pkcs12", f->tls_pkcs12);
	print_opt("\t", "tls passphrase-file", f->tls_passfile);
	print_size("\t", "max-body", f->max_body);
	printf("\tmax-batch %u\n", f->max_batch);
	printf("\tmax-headers %u\n", f->max_headers);
	print_size("\t", "max-header-size", f->max_header_size);
	printf("\tmax-connections %u\n", f->max_conns);
	printf("\tmax-connections-per-client %u\n", f->max_conns_per_client);
	printf("\tmax-handshakes %u\n", f->max_handshakes);
	printf("\tmax-handshakes-per-client %u\n",
	    f->max_handshakes_per_client);
	print_duration("\t", "handshake-timeout",
	    f->handshake_timeout * US_S);
	print_duration("\t", "idle-timeout", f->idle_timeout * US_S);
	print_duration("\t", "header-timeout", f->header_timeout * US_S);
	printf("\tmax-xml-depth %u\n", f->max_xml_depth);
	if (f->workers != 0)	/* unset: one per online core */
		printf("\tworkers %u\n", f->workers);
	print_req("\t", "user", f->user);
	print_req("\t", "chroot", f->chroot);	/* empty: no chroot */
	printf("}\n");

	printf("\nstored {\n");
	print_opt("\t", "database", st->database);
	print_opt("\t", "database owner", st->database_owner);
	print_opt("\t", "regulator certificate", st->regulator_cert);
	printf("\tcipher %s\n", st->cipher);
	print_duration("\t", "commit-delay", st->commit_delay_us);
	printf("\tcommit-max %u\n", st->commit_max);
	if (st->sync_commit[0] != '\0')
		printf("\tsynchronous-commit %s\n", st->sync_commit);
	print_req("\t", "user", st->user);
	print_opt("\t", "chroot", st->chroot);
	printf("}\n");

	printf("\nsealerd {\n");
	print_opt("\t", "pkcs11 module", se->pkcs11_module);
	print_opt("\t", "pkcs11 token", se->pkcs11_token);
	print_opt("\t", "pkcs11 pin-file", se->pkcs11_pin_file);
	print_opt("\t", "seal key", se->seal_key);
	print_opt("\t", "seal certificate", se->seal_cert);
	print_opt("\t", "tsa key", se->tsa_key);
	print_opt("\t", "tsa certificate", se->tsa_cert);
	print_opt("\t", "tsa policy", se->tsa_policy);
	print_duration("\t", "tsa accuracy", se->tsa_accuracy_ms * US_MS);
	print_opt("\t", "state-dir", se->state_dir);
	print_duration("\t", "clock max-error", se->clock_max_error_us);
	if (se->clock_relaxed)
		printf("\tclock relaxed\n");
	print_req("\t", "user", se->user);
	print_opt("\t", "chroot", se->chroot);
	printf("}\n");

	printf("\nauditd {\n");
	print_opt("\t", "journal", a->journal_dir);
	print_duration("\t", "rotate every", a->rotate_interval * US_S);
	print_size("\t", "rotate size", a->rotate_size);
	print_req("\t", "auditors-group", a->auditors_group);
	print_req("\t", "user", a->user);
	print_opt("\t", "chroot", a->chroot);
	printf("}\n");

	printf("\ncontrol {\n");
	print_req("\t", "technical-group", c->technical_group);
	print_req("\t", "functional-group", c->functional_group);
	printf("}\n");
}
