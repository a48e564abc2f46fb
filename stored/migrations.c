/*
 * The vault's schema, as the list of migrations that build it
 * (dbsetup.c applies them): each a few SQL statements, applied in order
 * inside one transaction; the version of a vault is the number of them
 * applied.
 */
#include <stddef.h>

#include "migrations.h"

/*
 * Migrations, applied in order inside one transaction each; a version is
 * never edited once released: a change is a new entry.
 */
const char *schema_migrations[] = {
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
