/*
 * The database of a vault, made ready at start with the owner's
 * connection: the database itself, the runtime role, the schema and its
 * migrations, and the identity (operator, vault) fixed at first start,
 * as are the two CAs (their certificates' fingerprints): whoever could
 * swap a CA in cfjl.conf could otherwise name administrators of his own
 * (ctlauth.h).
 *
 * Evidence is append-only in the database itself, whoever connects:
 * statement triggers refuse UPDATE, DELETE and TRUNCATE on every table,
 * even for the owner, and the runtime role holds INSERT and SELECT only.
 * IDEvt and lot numbers are checked gapless by triggers: once a
 * statement for events (a group is one INSERT), once a row for lots.
 */
#include <sys/types.h>

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libpq-fe.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "config.h"
#include "log.h"
#include "dbsetup.h"
#include "migrations.h"

static PGconn	*schema_connect(const char *, const char *);
static PGresult	*schema_exec(PGconn *, const char *, int, const char *const *);
static void	 schema_cmd(PGconn *, const char *);
static void	 schema_database(const struct cfjl_conf *, const char *,
		    const char *, const char *);
static void	 schema_role(PGconn *, const char *);
static void	 schema_migrate(PGconn *);
static void	 schema_grant(PGconn *, const char *);
static void	 schema_identity(PGconn *, const struct cfjl_conf *,
		    const char *);
static void	 schema_capins(PGconn *, const struct cfjl_conf *,
		    const char *);
static char	*schema_user(const char *);
static int	 schema_table_new(PGconn *, const char *);

/* Tables that hold evidence: all of them, append-only. */
static const char *schema_tables[] = {
	"schema_version", "identity", "events", "client_ids", "lots",
	"lot_seals", "roles", "exports", "checkpoints", "seal_certs",
	"ca_pins", NULL
};

/* Taken during migrations, so that two starts never migrate at once. */
#define SCHEMA_LOCK_KEY	"4339464a4c01"

static PGconn *
schema_connect(const char *conninfo, const char *dbname)
{
	const char	*keys[] = { "dbname", "dbname",
			    "fallback_application_name", NULL };
	const char	*vals[] = { conninfo, dbname, "stored", NULL };
	PGconn		*conn;

	conn = PQconnectdbParams(keys, vals, 1);
	if (conn == NULL)
		fatalx("out of memory connecting to the database");
	if (PQstatus(conn) != CONNECTION_OK)
		fatalx("cannot connect to database %s: %s", dbname,
		    PQerrorMessage(conn));
	return conn;
}

static PGresult *
schema_exec(PGconn *conn, const char *sql, int n, const char *const *vals)
{
	PGresult	*res;

	/* Without parameters, several statements may go at once. */
	if (n == 0)
		res = PQexec(conn, sql);
	else
		res = PQexecParams(conn, sql, n, NULL, vals, NULL, NULL, 0);
	if (res == NULL)
		fatalx("database: %s", PQerrorMessage(conn));
	if (PQresultStatus(res) != PGRES_COMMAND_OK &&
	    PQresultStatus(res) != PGRES_TUPLES_OK)
		fatalx("database schema set-up failed: %s",
		    PQresultErrorMessage(res));
	return res;
}

static void
schema_cmd(PGconn *conn, const char *sql)
{
	PQclear(schema_exec(conn, sql, 0, NULL));
}

/*
 * The runtime user named in a conninfo; NULL when it names none (libpq
 * then uses the system user, the same for both connections).
 */
static char *
schema_user(const char *conninfo)
{
	PQconninfoOption	*opts, *o;
	char			*err = NULL, *user = NULL;

	if ((opts = PQconninfoParse(conninfo, &err)) == NULL)
		fatalx("database connection string: %s",
		    err != NULL ? err : "out of memory");
	for (o = opts; o->keyword != NULL; o++)
		if (strcmp(o->keyword, "user") == 0 && o->val != NULL &&
		    o->val[0] != '\0')
			user = strdup(o->val);
	PQconninfoFree(opts);
	return user;
}

/* The database name: dbname= in the conninfo, else cfjl_<operator>. */
void
dbsetup_dbname(const struct cfjl_conf *conf, char *buf, size_t len)
{
	PQconninfoOption	*opts, *o;
	char			*err = NULL;

	snprintf(buf, len, "cfjl_%" PRIu32, conf->operator_id);
	if ((opts = PQconninfoParse(conf->stored.database, &err)) == NULL)
		fatalx("database connection string: %s",
		    err != NULL ? err : "out of memory");
	for (o = opts; o->keyword != NULL; o++)
		if (strcmp(o->keyword, "dbname") == 0 && o->val != NULL &&
		    o->val[0] != '\0')
			strlcpy(buf, o->val, len);
	PQconninfoFree(opts);
}

/*
 * Create the database when missing.  Under the default name, a cluster
 * that already holds another operator's vault is refused: the operator
 * number is fixed at first start, and a changed number would otherwise
 * silently start a new, empty vault beside the old one.
 */
static void
schema_database(const struct cfjl_conf *conf, const char *owner,
    const char *dbname, const char *runtime_user)
{
	PGconn		*conn;
	PGresult	*res;
	const char	*v[1];
	char		 defname[64], *q, sql[512];

	conn = schema_connect(owner, "postgres");
	if (runtime_user != NULL)
		schema_role(conn, runtime_user);

	v[0] = dbname;
	res = schema_exec(conn, "SELECT 1 FROM pg_database WHERE datname = $1",
	    1, v);
	if (PQntuples(res) == 1) {
		PQclear(res);
		PQfinish(conn);
		return;
	}
	PQclear(res);

	snprintf(defname, sizeof(defname), "cfjl_%" PRIu32, conf->operator_id);
	if (strcmp(defname, dbname) == 0) {
		res = schema_exec(conn, "SELECT datname FROM pg_database"
		    " WHERE datname ~ '^cfjl_[0-9]+$' ORDER BY datname", 0,
		    NULL);
		if (PQntuples(res) > 0)
			fatalx("the database cluster already holds the vault "
			    "of another operator (database %s) and operator "
			    "%" PRIu32 " has none: the operator number is "
			    "fixed at first start; to keep a second vault in "
			    "this cluster, name its database with dbname= in "
			    "the stored database setting",
			    PQgetvalue(res, 0, 0), conf->operator_id);
		PQclear(res);
	}

	if ((q = PQescapeIdentifier(conn, dbname, strlen(dbname))) == NULL)
		fatalx("database name %s: %s", dbname, PQerrorMessage(conn));
	snprintf(sql, sizeof(sql), "CREATE DATABASE %s ENCODING 'UTF8' "
	    "TEMPLATE template0", q);
	PQfreemem(q);
	schema_cmd(conn, sql);
	log_info("created database %s", dbname);
	PQfinish(conn);
}

/* The runtime role logs in and can do nothing until granted. */
static void
schema_role(PGconn *conn, const char *user)
{
	PGresult	*res;
	const char	*v[1];
	char		*q, sql[256];

	v[0] = user;
	res = schema_exec(conn, "SELECT 1 FROM pg_roles WHERE rolname = $1",
	    1, v);
	if (PQntuples(res) == 1) {
		PQclear(res);
		return;
	}
	PQclear(res);
	if ((q = PQescapeIdentifier(conn, user, strlen(user))) == NULL)
		fatalx("role name %s: %s", user, PQerrorMessage(conn));
	snprintf(sql, sizeof(sql), "CREATE ROLE %s LOGIN NOSUPERUSER "
	    "NOCREATEDB NOCREATEROLE NOINHERIT", q);
	PQfreemem(q);
	schema_cmd(conn, sql);
	log_info("created database role %s", user);
}

static void
schema_migrate(PGconn *conn)
{
	PGresult	*res;
	const char	*v[1];
	char		 num[16], sql[512];
	int		 have, i;
	const char	**t;

	schema_cmd(conn, "BEGIN");
	schema_cmd(conn, "SELECT pg_advisory_xact_lock(x'" SCHEMA_LOCK_KEY
	    "'::bigint)");
	res = schema_exec(conn, "SELECT to_regclass('schema_version') IS NULL",
	    0, NULL);
	have = strcmp(PQgetvalue(res, 0, 0), "t") == 0 ? 0 : -1;
	PQclear(res);
	if (have == -1) {
		res = schema_exec(conn, "SELECT coalesce(max(version), 0)"
		    " FROM schema_version", 0, NULL);
		have = atoi(PQgetvalue(res, 0, 0));
		PQclear(res);
	}
	for (i = 0; schema_migrations[i] != NULL; i++)
		;
	if (have > i)
		fatalx("database schema version %d is newer than this stored "
		    "knows (%d): refusing to start", have, i);

	for (i = have; schema_migrations[i] != NULL; i++) {
		schema_cmd(conn, schema_migrations[i]);
		/* Every evidence table, once it exists, is protected. */
		for (t = schema_tables; *t != NULL; t++) {
			if (!schema_table_new(conn, *t))
				continue;
			snprintf(sql, sizeof(sql), "CREATE TRIGGER "
			    "%s_append_only BEFORE UPDATE OR DELETE OR "
			    "TRUNCATE ON %s FOR EACH STATEMENT EXECUTE "
			    "FUNCTION cfjl_append_only()", *t, *t);
			schema_cmd(conn, sql);
			snprintf(sql, sizeof(sql), "REVOKE ALL ON %s FROM "
			    "PUBLIC", *t);
			schema_cmd(conn, sql);
		}
		snprintf(num, sizeof(num), "%d", i + 1);
		v[0] = num;
		PQclear(schema_exec(conn, "INSERT INTO schema_version "
		    "(version) VALUES ($1)", 1, v));
		log_info("database schema migrated to version %d", i + 1);
	}
	schema_cmd(conn, "COMMIT");
}

/* The table exists and has no append-only trigger yet. */
static int
schema_table_new(PGconn *conn, const char *table)
{
	PGresult	*res;
	char		 trig[128];
	const char	*v[2];
	int		 yes;

	snprintf(trig, sizeof(trig), "%s_append_only", table);
	v[0] = table;
	v[1] = trig;
	res = schema_exec(conn, "SELECT to_regclass($1) IS NOT NULL AND "
	    "NOT EXISTS (SELECT 1 FROM pg_trigger WHERE tgname = $2)", 2, v);
	yes = strcmp(PQgetvalue(res, 0, 0), "t") == 0;
	PQclear(res);
	return yes;
}

/* The runtime role: INSERT and SELECT on evidence, nothing else. */
static void
schema_grant(PGconn *conn, const char *user)
{
	char		*q, sql[512];
	const char	**t;

	if ((q = PQescapeIdentifier(conn, user, strlen(user))) == NULL)
		fatalx("role name %s: %s", user, PQerrorMessage(conn));
	schema_cmd(conn, "BEGIN");
	for (t = schema_tables; *t != NULL; t++) {
		snprintf(sql, sizeof(sql), "REVOKE ALL ON %s FROM %s", *t, q);
		schema_cmd(conn, sql);
		snprintf(sql, sizeof(sql), "GRANT INSERT, SELECT ON %s TO %s",
		    *t, q);
		schema_cmd(conn, sql);
	}
	snprintf(sql, sizeof(sql), "GRANT USAGE ON SEQUENCE roles_seq_seq, "
	    "exports_seq_seq TO %s", q);
	schema_cmd(conn, sql);
	schema_cmd(conn, "COMMIT");
	PQfreemem(q);
}

/* Recorded at first start; any later start must agree. */
static void
schema_identity(PGconn *conn, const struct cfjl_conf *conf,
    const char *dbname)
{
	PGresult	*res;
	const char	*v[2];
	char		 op[16], vault[16];
	long long	 dop, dvault;

	snprintf(op, sizeof(op), "%" PRIu32, conf->operator_id);
	snprintf(vault, sizeof(vault), "%" PRIu32, conf->vault_id);
	v[0] = op;
	v[1] = vault;
	PQclear(schema_exec(conn, "INSERT INTO identity (operator, vault) "
	    "VALUES ($1, $2) ON CONFLICT DO NOTHING", 2, v));
	res = schema_exec(conn, "SELECT operator, vault, created FROM identity",
	    0, NULL);
	if (PQntuples(res) != 1)
		fatalx("database %s: no identity row", dbname);
	dop = atoll(PQgetvalue(res, 0, 0));
	dvault = atoll(PQgetvalue(res, 0, 1));
	if (dop != conf->operator_id || dvault != conf->vault_id)
		fatalx("database %s holds the vault of operator %lld, vault "
		    "%lld, created %s; the configuration says operator "
		    "%" PRIu32 ", vault %" PRIu32 ": the operator and vault "
		    "numbers are fixed at first start, refusing to start",
		    dbname, dop, dvault, PQgetvalue(res, 0, 2),
		    conf->operator_id, conf->vault_id);
	PQclear(res);
}

/*
 * Each CA as fixed at first start (or when first configured): another
 * CA file is refused, as a changed operator number is.
 */
static void
schema_capins(PGconn *conn, const struct cfjl_conf *conf, const char *dbname)
{
	PGresult	*res;
	FILE		*f;
	X509		*x;
	const char	*v[2];
	char		 pins[1024], hex[CFJL_FP_HEX];
	unsigned char	 fp[EVP_MAX_MD_SIZE];
	unsigned int	 n;
	enum cfjl_ca	 ca;

	for (ca = CA_OPERATOR; ca < CFJL_CA_MAX; ca++) {
		if (conf->ca[ca].file[0] == '\0')
			continue;
		if ((f = fopen(conf->ca[ca].file, "r")) == NULL)
			fatal("ca %s %s", config_ca_name(ca),
			    conf->ca[ca].file);
		pins[0] = '\0';
		while ((x = PEM_read_X509(f, NULL, NULL, NULL)) != NULL) {
			if (X509_digest(x, EVP_sha256(), fp, &n) != 1 ||
			    n != CFJL_FP_LEN)
				fatalx("ca %s: no digest", conf->ca[ca].file);
			config_fp_format(fp, hex);
			if (pins[0] != '\0')
				strlcat(pins, ",", sizeof(pins));
			if (strlcat(pins, hex, sizeof(pins)) >= sizeof(pins))
				fatalx("ca %s: too many certificates",
				    conf->ca[ca].file);
			X509_free(x);
		}
		fclose(f);
		ERR_clear_error();
		v[0] = config_ca_name(ca);
		v[1] = pins;
		PQclear(schema_exec(conn, "INSERT INTO ca_pins (ca, sha256)"
		    " VALUES ($1, $2) ON CONFLICT DO NOTHING", 2, v));
		res = schema_exec(conn, "SELECT sha256, created FROM ca_pins"
		    " WHERE ca = $1", 1, v);
		if (PQntuples(res) != 1)
			fatalx("database %s: no pin for the %s's CA", dbname,
			    v[0]);
		if (strcmp(PQgetvalue(res, 0, 0), pins) != 0)
			fatalx("ca %s %s: not the %s's CA fixed in database %s "
			    "at %s (sha256 %s); this file holds sha256 %s: the "
			    "CAs are fixed like the operator number, as whoever "
			    "holds a CA's key may name administrators; refusing "
			    "to start", v[0], conf->ca[ca].file, v[0], dbname,
			    PQgetvalue(res, 0, 1), PQgetvalue(res, 0, 0), pins);
		PQclear(res);
	}
}

/*
 * Everything stored needs before it serves: fatal with a sentence a
 * person can act on when anything is wrong.
 */
void
dbsetup_run(const struct cfjl_conf *conf, const char *dbname)
{
	const char	*owner;
	char		*ouser, *ruser;
	PGconn		*conn;

	owner = conf->stored.database_owner[0] != '\0' ?
	    conf->stored.database_owner : conf->stored.database;
	ouser = schema_user(owner);
	ruser = schema_user(conf->stored.database);
	/* A runtime role of its own only when it differs from the owner. */
	if (ruser != NULL && ouser != NULL && strcmp(ouser, ruser) == 0) {
		free(ruser);
		ruser = NULL;
	}
	if (ruser != NULL && ouser == NULL && owner == conf->stored.database) {
		free(ruser);
		ruser = NULL;
	}

	schema_database(conf, owner, dbname, ruser);
	conn = schema_connect(owner, dbname);
	/* Messages from the migrations are for us, not the client. */
	schema_cmd(conn, "SET client_min_messages = warning");
	schema_migrate(conn);
	if (ruser != NULL)
		schema_grant(conn, ruser);
	schema_identity(conn, conf, dbname);
	schema_capins(conn, conf, dbname);
	PQfinish(conn);
	free(ouser);
	free(ruser);
}
