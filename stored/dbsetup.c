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

/*
 * Migrations, applied in order inside one transaction each; a version is
 * never edited once released: a change is a new entry.
 */
static const char *schema_migrations[] = {
	/* 1: the first schema. */
	"CREATE TABLE schema_version ("
	"  version integer PRIMARY KEY,"
	"  applied timestamptz NOT NULL DEFAULT now());"

	"CREATE TABLE identity ("
	"  one boolean PRIMARY KEY DEFAULT true CHECK (one),"
	"  operator integer NOT NULL,"
	"  vault integer NOT NULL,"
	"  created timestamptz NOT NULL DEFAULT now());"

	"CREATE TABLE events ("
	"  idevt bigint PRIMARY KEY CHECK (idevt > 0),"
	"  lot bigint NOT NULL CHECK (lot > 0),"
	"  type text NOT NULL,"
	"  dateevt text NOT NULL,"
	"  received timestamptz NOT NULL,"
	"  depositor bytea NOT NULL CHECK (length(depositor) = 32),"
	"  client_id text,"
	"  body_sha256 bytea NOT NULL CHECK (length(body_sha256) = 32),"
	"  digest bytea NOT NULL CHECK (length(digest) = 32),"
	"  p7m bytea NOT NULL,"
	"  p7m_sha256 bytea NOT NULL CHECK (length(p7m_sha256) = 32));"
	"CREATE INDEX events_lot ON events (lot);"
	"CREATE INDEX events_received ON events (received);"

	"CREATE TABLE client_ids ("
	"  client_id text PRIMARY KEY,"
	"  idevt bigint NOT NULL UNIQUE REFERENCES events (idevt));"

	"CREATE TABLE lots ("
	"  numero bigint PRIMARY KEY CHECK (numero > 0),"
	"  first bigint NOT NULL,"
	"  last bigint NOT NULL,"
	"  nevents integer NOT NULL CHECK (nevents = last - first + 1),"
	"  opened timestamptz NOT NULL,"
	"  closed timestamptz NOT NULL);"

	"CREATE TABLE lot_seals ("
	"  numero bigint PRIMARY KEY REFERENCES lots (numero),"
	"  xml bytea NOT NULL,"
	"  sigvalue_sha256 bytea NOT NULL CHECK (length(sigvalue_sha256) = 32),"
	"  sealed timestamptz NOT NULL DEFAULT now());"

	"CREATE TABLE roles ("
	"  seq bigserial PRIMARY KEY,"
	"  subject text NOT NULL,"
	"  role text NOT NULL CHECK (role IN ('depositor', 'reader')),"
	"  action text NOT NULL CHECK (action IN ('add', 'remove')),"
	"  by text NOT NULL DEFAULT '',"
	"  at timestamptz NOT NULL DEFAULT now());"

	"CREATE TABLE exports ("
	"  seq bigserial PRIMARY KEY,"
	"  subject text NOT NULL,"
	"  at timestamptz NOT NULL DEFAULT now(),"
	"  by_time boolean NOT NULL,"
	"  req_from bigint NOT NULL,"
	"  req_to bigint NOT NULL,"
	"  inc_from bigint,"
	"  inc_to bigint,"
	"  nevents bigint NOT NULL DEFAULT 0,"
	"  bundle_sha256 bytea,"
	"  outcome text NOT NULL);"

	/* Evidence is never changed nor removed, whoever asks. */
	"CREATE FUNCTION cfjl_append_only() RETURNS trigger"
	" LANGUAGE plpgsql AS $$ BEGIN"
	"  RAISE EXCEPTION 'CFJL: % on % refused: the vault is append-only',"
	"   TG_OP, TG_TABLE_NAME USING ERRCODE = 'insufficient_privilege';"
	" END $$;"

	/*
	 * IDEvt 1, 2, 3...: each new event follows one that exists, in the
	 * same lot or the next one, and never joins a lot already closed.
	 */
	"CREATE FUNCTION cfjl_events_gapless() RETURNS trigger"
	" LANGUAGE plpgsql AS $$ DECLARE prev bigint; BEGIN"
	"  IF NEW.idevt = 1 THEN"
	"   IF NEW.lot <> 1 THEN"
	"    RAISE EXCEPTION 'CFJL: IDEvt 1 must be in lot 1';"
	"   END IF;"
	"  ELSE"
	"   SELECT lot INTO prev FROM events WHERE idevt = NEW.idevt - 1;"
	"   IF NOT FOUND THEN"
	"    RAISE EXCEPTION 'CFJL: IDEvt % would leave a gap', NEW.idevt;"
	"   END IF;"
	"   IF NEW.lot <> prev AND NEW.lot <> prev + 1 THEN"
	"    RAISE EXCEPTION 'CFJL: IDEvt % in lot % after lot %',"
	"     NEW.idevt, NEW.lot, prev;"
	"   END IF;"
	"  END IF;"
	"  IF EXISTS (SELECT 1 FROM lots WHERE numero >= NEW.lot) THEN"
	"   RAISE EXCEPTION 'CFJL: lot % is closed', NEW.lot;"
	"  END IF;"
	"  RETURN NULL;"
	" END $$;"
	"CREATE CONSTRAINT TRIGGER events_gapless AFTER INSERT ON events"
	" FOR EACH ROW EXECUTE FUNCTION cfjl_events_gapless();"

	/*
	 * A closed lot follows the previous one and holds exactly the
	 * events it names (checked at commit: the lot's last events may
	 * come in the same transaction).
	 */
	"CREATE FUNCTION cfjl_lots_check() RETURNS trigger"
	" LANGUAGE plpgsql AS $$ DECLARE n bigint; lo bigint; hi bigint;"
	" BEGIN"
	"  IF NEW.numero = 1 THEN"
	"   IF NEW.first <> 1 THEN"
	"    RAISE EXCEPTION 'CFJL: lot 1 must begin at IDEvt 1';"
	"   END IF;"
	"  ELSIF NOT EXISTS (SELECT 1 FROM lots WHERE numero = NEW.numero - 1"
	"    AND last = NEW.first - 1) THEN"
	"   RAISE EXCEPTION 'CFJL: lot % does not follow lot %',"
	"    NEW.numero, NEW.numero - 1;"
	"  END IF;"
	"  SELECT count(*), min(idevt), max(idevt) INTO n, lo, hi"
	"   FROM events WHERE lot = NEW.numero;"
	"  IF n <> NEW.nevents OR lo <> NEW.first OR hi <> NEW.last THEN"
	"   RAISE EXCEPTION 'CFJL: lot % does not hold IDEvt % to %',"
	"    NEW.numero, NEW.first, NEW.last;"
	"  END IF;"
	"  RETURN NULL;"
	" END $$;"
	"CREATE CONSTRAINT TRIGGER lots_follow AFTER INSERT ON lots"
	" DEFERRABLE INITIALLY DEFERRED"
	" FOR EACH ROW EXECUTE FUNCTION cfjl_lots_check();"

	"CREATE FUNCTION cfjl_client_id_check() RETURNS trigger"
	" LANGUAGE plpgsql AS $$ BEGIN"
	"  IF NOT EXISTS (SELECT 1 FROM events WHERE idevt = NEW.idevt"
	"    AND client_id = NEW.client_id) THEN"
	"   RAISE EXCEPTION 'CFJL: Client-Id % does not name IDEvt %',"
	"    NEW.client_id, NEW.idevt;"
	"  END IF;"
	"  RETURN NULL;"
	" END $$;"
	"CREATE CONSTRAINT TRIGGER client_ids_match AFTER INSERT ON client_ids"
	" DEFERRABLE INITIALLY DEFERRED"
	" FOR EACH ROW EXECUTE FUNCTION cfjl_client_id_check();",

	/*
	 * 2: the same rules checked once a statement, not once a row.
	 * stored writes a group of events in one INSERT; the checks read
	 * the statement's new rows (a transition table) in a few set
	 * queries.  The rules are unchanged: IDEvt 1, 2, 3... with no gap
	 * (the new rows are contiguous, the primary key forbids a
	 * duplicate, and the one before the first exists), each event in
	 * the lot of the one before or the next, IDEvt 1 in lot 1, never
	 * in a lot already closed; a Client-Id names an event that carries
	 * it.  The foreign key of client_ids goes: the check proves the
	 * event exists, and events are never deleted (append-only).
	 */
	"DROP TRIGGER events_gapless ON events;"
	"DROP FUNCTION cfjl_events_gapless();"
	"CREATE FUNCTION cfjl_events_follow() RETURNS trigger"
	" LANGUAGE plpgsql AS $$ DECLARE lo bigint; hi bigint; n bigint;"
	"  lolot bigint; prev bigint; badid bigint; bad record;"
	" BEGIN"
	/* One pass over the new rows: extent, first lot, a bad lot step. */
	"  SELECT count(*), min(idevt), max(idevt), min(lot) FILTER (WHERE"
	"   d IS NULL),"
	"   min(idevt) FILTER (WHERE d <> 0 AND d <> 1)"
	"   INTO n, lo, hi, lolot, badid FROM (SELECT idevt, lot,"
	"   lot - lag(lot) OVER (ORDER BY idevt) AS d FROM new_events) s;"
	"  IF n = 0 THEN RETURN NULL; END IF;"
	"  IF lo <> 1 THEN"
	"   SELECT lot INTO prev FROM events WHERE idevt = lo - 1;"
	"   IF NOT FOUND THEN"
	"    RAISE EXCEPTION 'CFJL: IDEvt % would leave a gap', lo;"
	"   END IF;"
	"  END IF;"
	"  IF hi - lo + 1 <> n THEN"
	"   SELECT min(a.idevt) INTO hi FROM new_events a WHERE a.idevt > lo"
	"    AND NOT EXISTS (SELECT 1 FROM new_events b"
	"    WHERE b.idevt = a.idevt - 1);"
	"   RAISE EXCEPTION 'CFJL: IDEvt % would leave a gap', hi;"
	"  END IF;"
	"  IF lo = 1 AND lolot <> 1 THEN"
	"   RAISE EXCEPTION 'CFJL: IDEvt 1 must be in lot 1';"
	"  END IF;"
	"  IF lo <> 1 AND lolot <> prev AND lolot <> prev + 1 THEN"
	"   RAISE EXCEPTION 'CFJL: IDEvt % in lot % after lot %',"
	"    lo, lolot, prev;"
	"  END IF;"
	"  IF badid IS NOT NULL THEN"
	"   SELECT a.lot AS lot, b.lot AS p INTO bad FROM new_events a,"
	"    new_events b WHERE a.idevt = badid AND b.idevt = badid - 1;"
	"   RAISE EXCEPTION 'CFJL: IDEvt % in lot % after lot %',"
	"    badid, bad.lot, bad.p;"
	"  END IF;"
	/* Lots only grow along IDEvt: the first lot is the smallest. */
	"  IF EXISTS (SELECT 1 FROM lots WHERE numero >= lolot) THEN"
	"   RAISE EXCEPTION 'CFJL: lot % is closed', lolot;"
	"  END IF;"
	"  RETURN NULL;"
	" END $$;"
	"CREATE TRIGGER events_follow AFTER INSERT ON events"
	" REFERENCING NEW TABLE AS new_events"
	" FOR EACH STATEMENT EXECUTE FUNCTION cfjl_events_follow();"

	"DROP TRIGGER client_ids_match ON client_ids;"
	"DROP FUNCTION cfjl_client_id_check();"
	"ALTER TABLE client_ids DROP CONSTRAINT client_ids_idevt_fkey;"
	"CREATE FUNCTION cfjl_client_ids_match() RETURNS trigger"
	" LANGUAGE plpgsql AS $$ DECLARE bad record; BEGIN"
	"  SELECT n.client_id, n.idevt INTO bad FROM new_ids n"
	"   WHERE NOT EXISTS (SELECT 1 FROM events e WHERE e.idevt = n.idevt"
	"   AND e.client_id = n.client_id) LIMIT 1;"
	"  IF FOUND THEN"
	"   RAISE EXCEPTION 'CFJL: Client-Id % does not name IDEvt %',"
	"    bad.client_id, bad.idevt;"
	"  END IF;"
	"  RETURN NULL;"
	" END $$;"
	"CREATE TRIGGER client_ids_match AFTER INSERT ON client_ids"
	" REFERENCING NEW TABLE AS new_ids"
	" FOR EACH STATEMENT EXECUTE FUNCTION cfjl_client_ids_match();",

	/*
	 * 3: roles bound to their issuing CA, or to one certificate by its
	 * SHA-256.  Older rows keep ca '': the role's own CA.
	 */
	"ALTER TABLE roles"
	"  ADD COLUMN ca text NOT NULL DEFAULT ''"
	"   CHECK (ca IN ('', 'operator', 'regulator')),"
	"  ADD COLUMN fingerprint text NOT NULL DEFAULT ''"
	"   CHECK (fingerprint = '' OR fingerprint ~ '^[0-9a-f]{64}$');",

	/*
	 * 4: the depositor's own time (its Timestamp header, RFC 3339, as
	 * sent), which the lot entry carries when there is one.
	 */
	"ALTER TABLE events ADD COLUMN stamp text"
	" CHECK (stamp IS NULL OR length(stamp) BETWEEN 20 AND 35);",

	/*
	 * 5: checkpoints (stored/ckptkeeper.c), numbered 1, 2, 3... with no
	 * gap and never back: a checkpoint ahead of its lots or behind the
	 * one before it is refused.  Append-only like every evidence
	 * table: schema_migrate() protects it.
	 */
	"CREATE TABLE checkpoints ("
	"  numero bigint PRIMARY KEY CHECK (numero > 0),"
	"  xml bytea NOT NULL,"
	"  sigvalue_sha256 bytea NOT NULL CHECK (length(sigvalue_sha256) = 32),"
	"  last_lot bigint NOT NULL CHECK (last_lot >= 0),"
	"  last_idevt bigint NOT NULL CHECK (last_idevt >= last_lot),"
	"  journal_file text,"
	"  journal_meta bytea CHECK (length(journal_meta) = 32),"
	"  made timestamptz NOT NULL);"
	"CREATE FUNCTION cfjl_checkpoints_follow() RETURNS trigger"
	" LANGUAGE plpgsql AS $$ DECLARE prev checkpoints%ROWTYPE; BEGIN"
	"  SELECT * INTO prev FROM checkpoints WHERE numero < NEW.numero"
	"   ORDER BY numero DESC LIMIT 1;"
	"  IF coalesce(prev.numero, 0) + 1 <> NEW.numero THEN"
	"   RAISE EXCEPTION 'CFJL: checkpoint % does not follow %',"
	"    NEW.numero, coalesce(prev.numero, 0);"
	"  END IF;"
	"  IF prev.last_lot > NEW.last_lot THEN"
	"   RAISE EXCEPTION 'CFJL: checkpoint % goes back to lot %',"
	"    NEW.numero, NEW.last_lot;"
	"  END IF;"
	"  IF NEW.last_lot > 0 AND NOT EXISTS (SELECT 1 FROM lot_seals"
	"   WHERE numero = NEW.last_lot) THEN"
	"   RAISE EXCEPTION 'CFJL: checkpoint % names lot %, not sealed',"
	"    NEW.numero, NEW.last_lot;"
	"  END IF;"
	"  RETURN NEW;"
	" END $$;"
	"CREATE TRIGGER checkpoints_follow BEFORE INSERT ON checkpoints"
	" FOR EACH ROW EXECUTE FUNCTION cfjl_checkpoints_follow();",

	/*
	 * 6: the certificates that sealed (stored/sealcert.c), each kept
	 * once with its chain, and named by every lot seal and checkpoint
	 * made since, so that an export carries those of its lots when
	 * sealing moved to another site.  Older seals name none: their
	 * export carries the configured files.
	 */
	"CREATE TABLE seal_certs ("
	"  sha256 bytea PRIMARY KEY CHECK (length(sha256) = 32),"
	"  kind text NOT NULL CHECK (kind IN ('seal', 'tsa')),"
	"  pem bytea NOT NULL,"
	"  first_seen timestamptz NOT NULL DEFAULT now());"
	"ALTER TABLE lot_seals"
	"  ADD COLUMN seal_cert bytea REFERENCES seal_certs (sha256),"
	"  ADD COLUMN tsa_cert bytea REFERENCES seal_certs (sha256);"
	"ALTER TABLE checkpoints"
	"  ADD COLUMN seal_cert bytea REFERENCES seal_certs (sha256),"
	"  ADD COLUMN tsa_cert bytea REFERENCES seal_certs (sha256);",

	/*
	 * 7: the CAs fixed at first start: the SHA-256 fingerprints of the
	 * certificates of "ca operator" and "ca regulator", in file order.
	 */
	"CREATE TABLE ca_pins ("
	"  ca text PRIMARY KEY CHECK (ca IN ('operator', 'regulator')),"
	"  sha256 text NOT NULL,"
	"  created timestamptz NOT NULL DEFAULT now());",

	/*
	 * 8: seals and checkpoints compressed with LZ4 rather than pglz:
	 * they are written on the connection that commits the deposits,
	 * and pglz made each lot's seal cost milliseconds of it.  Rows
	 * already written keep their compression; a server built without
	 * LZ4 keeps pglz.
	 */
	"DO $$ BEGIN"
	"  ALTER TABLE lot_seals ALTER COLUMN xml SET COMPRESSION lz4;"
	"  ALTER TABLE checkpoints ALTER COLUMN xml SET COMPRESSION lz4;"
	" EXCEPTION WHEN feature_not_supported THEN"
	"  RAISE NOTICE 'CFJL: no LZ4 in this server: pglz kept';"
	" END $$;",

	/*
	 * 9: the closed-lot test of events_follow reads the highest lot
	 * (the end of the primary key) instead of asking for any lot at
	 * or above the group's: the cached generic plan of that query
	 * scanned the whole table for the row that never exists, once a
	 * group, in a table that grows by a lot a second.  The rules are
	 * unchanged.
	 */
	"CREATE OR REPLACE FUNCTION cfjl_events_follow() RETURNS trigger"
	" LANGUAGE plpgsql AS $$ DECLARE lo bigint; hi bigint; n bigint;"
	"  lolot bigint; prev bigint; badid bigint; bad record;"
	" BEGIN"
	"  SELECT count(*), min(idevt), max(idevt), min(lot) FILTER (WHERE"
	"   d IS NULL),"
	"   min(idevt) FILTER (WHERE d <> 0 AND d <> 1)"
	"   INTO n, lo, hi, lolot, badid FROM (SELECT idevt, lot,"
	"   lot - lag(lot) OVER (ORDER BY idevt) AS d FROM new_events) s;"
	"  IF n = 0 THEN RETURN NULL; END IF;"
	"  IF lo <> 1 THEN"
	"   SELECT lot INTO prev FROM events WHERE idevt = lo - 1;"
	"   IF NOT FOUND THEN"
	"    RAISE EXCEPTION 'CFJL: IDEvt % would leave a gap', lo;"
	"   END IF;"
	"  END IF;"
	"  IF hi - lo + 1 <> n THEN"
	"   SELECT min(a.idevt) INTO hi FROM new_events a WHERE a.idevt > lo"
	"    AND NOT EXISTS (SELECT 1 FROM new_events b"
	"    WHERE b.idevt = a.idevt - 1);"
	"   RAISE EXCEPTION 'CFJL: IDEvt % would leave a gap', hi;"
	"  END IF;"
	"  IF lo = 1 AND lolot <> 1 THEN"
	"   RAISE EXCEPTION 'CFJL: IDEvt 1 must be in lot 1';"
	"  END IF;"
	"  IF lo <> 1 AND lolot <> prev AND lolot <> prev + 1 THEN"
	"   RAISE EXCEPTION 'CFJL: IDEvt % in lot % after lot %',"
	"    lo, lolot, prev;"
	"  END IF;"
	"  IF badid IS NOT NULL THEN"
	"   SELECT a.lot AS lot, b.lot AS p INTO bad FROM new_events a,"
	"    new_events b WHERE a.idevt = badid AND b.idevt = badid - 1;"
	"   RAISE EXCEPTION 'CFJL: IDEvt % in lot % after lot %',"
	"    badid, bad.lot, bad.p;"
	"  END IF;"
	/* Lots only grow along IDEvt: the first lot is the smallest. */
	"  IF (SELECT max(numero) FROM lots) >= lolot THEN"
	"   RAISE EXCEPTION 'CFJL: lot % is closed', lolot;"
	"  END IF;"
	"  RETURN NULL;"
	" END $$;",

	NULL
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
