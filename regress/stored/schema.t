#!/bin/sh
# The vault's database defends itself: evidence tables refuse UPDATE,
# DELETE and TRUNCATE even for their owner (a PostgreSQL superuser here),
# the runtime role holds INSERT and SELECT only, IDEvt stays gapless
# whatever is inserted, the operator and vault numbers are fixed at
# first start, and a second stored cannot write the same vault.
. "$(dirname "$0")/../lib/common.sh"
t_unprivileged "$@"
t_tmpdir
. "$TOP/regress/stored/stored.sh"
t_need openssl
# The runtime role is cfjl_rt; the owner is the cluster's superuser.
ST_LOT_AGE=60s ST_DBEXTRA="user=cfjl_rt" st_setup "database owner \"host=$T/pg port=5432\""
st_start || { cat "$T/stored.log"; exit 1; }
for s in PASPMISE CPTEALIM PASPGAIN; do
	st_client deposit "$(st_sample $s)@id-$s" >/dev/null
done
t_eq "three events stored" "$(st_sql "SELECT count(*) FROM events")" 3
t_eq "the runtime role was created" "$(st_sql "SELECT count(*) FROM pg_roles WHERE rolname = 'cfjl_rt' AND NOT rolsuper")" 1
t_eq "stored connects as the runtime role" "$(st_sql "SELECT DISTINCT usename FROM pg_stat_activity WHERE datname = 'cfjl_48' AND application_name = 'stored'")" "cfjl_rt"

# As the owner: every change refused by the triggers.
for tbl in events client_ids lots lot_seals identity roles exports \
    checkpoints seal_certs ca_pins schema_version; do
	out=$(st_sql "DELETE FROM $tbl" 2>&1)
	t_match "owner: DELETE on $tbl refused" "$out" "DELETE on $tbl refused: the vault is append-only"
	out=$(st_sql "TRUNCATE $tbl CASCADE" 2>&1)
	t_match "owner: TRUNCATE on $tbl refused" "$out" "TRUNCATE on $tbl refused: the vault is append-only"
done
out=$(st_sql "UPDATE events SET type = 'X' WHERE idevt = 2" 2>&1)
t_match "owner: UPDATE on events refused" "$out" "UPDATE on events refused"
out=$(st_sql "UPDATE identity SET vault = 2" 2>&1)
t_match "owner: UPDATE on identity refused" "$out" "UPDATE on identity refused"
out=$(st_sql "UPDATE events SET type = 'X' WHERE false" 2>&1)
t_match "owner: even an UPDATE of no row refused" "$out" "UPDATE on events refused"
t_eq "nothing changed" "$(st_sql "SELECT count(*), min(type) FROM events")" "3|CPTEALIM"

# As the runtime role: no privilege beyond INSERT and SELECT.
rt() { pg_psql -U cfjl_rt -d cfjl_48 -c "$1" 2>&1; }
for tbl in events client_ids lots lot_seals identity roles exports \
    seal_certs; do
	t_eq "runtime: $tbl INSERT and SELECT only" \
	    "$(st_sql "SELECT string_agg(p, ',' ORDER BY p) FROM unnest(ARRAY['SELECT','INSERT','UPDATE','DELETE','TRUNCATE','REFERENCES','TRIGGER']) p WHERE has_table_privilege('cfjl_rt', '$tbl', p)")" \
	    "INSERT,SELECT"
done
t_match "runtime: UPDATE refused" "$(rt "UPDATE events SET lot = 9")" "permission denied for table events"
t_match "runtime: DELETE refused" "$(rt "DELETE FROM events")" "permission denied for table events"
t_match "runtime: TRUNCATE refused" "$(rt "TRUNCATE events")" "permission denied for table events"
t_match "runtime: no DDL" "$(rt "DROP TABLE events")" "must be owner of table events"
t_match "runtime: no trigger disabling" "$(rt "ALTER TABLE events DISABLE TRIGGER ALL")" "must be owner of table events"

# Gapless in the database itself, whoever inserts.
ins() {
	st_sql "INSERT INTO events (idevt, lot, type, dateevt, received, depositor, body_sha256, digest, p7m, p7m_sha256) VALUES ($1, $2, 'T', '1', now(), sha256('a'), sha256('b'), sha256('c'), 'x', sha256('x'))" 2>&1
}
t_match "a gap is refused" "$(ins 5 1)" "IDEvt 5 would leave a gap"
t_match "a duplicate is refused" "$(ins 3 1)" "duplicate key value violates unique constraint \"events_pkey\""
t_match "skipping a lot is refused" "$(ins 4 3)" "IDEvt 4 in lot 3 after lot 1"
t_match "a lot that skips IDEvt is refused" "$(st_sql "INSERT INTO lots VALUES (1, 1, 2, 2, now(), now())" 2>&1)" "lot 1 does not hold IDEvt 1 to 2"
# Checked once a statement: a group's many rows, each rule kept.
row() { echo "($1, $2, 'T', '1', now(), sha256('a'), ${3:-NULL}, sha256('b'), sha256('c'), 'x', sha256('x'))"; }
insm() {
	st_sql "INSERT INTO events (idevt, lot, type, dateevt, received, depositor, client_id, body_sha256, digest, p7m, p7m_sha256) VALUES $*" 2>&1
}
t_match "many rows: a gap inside is refused" "$(insm "$(row 4 1), $(row 6 1), $(row 7 1)")" "IDEvt 6 would leave a gap"
t_match "many rows: a gap before is refused" "$(insm "$(row 5 1), $(row 6 1)")" "IDEvt 5 would leave a gap"
t_match "many rows: a skipped lot inside is refused" "$(insm "$(row 4 1), $(row 5 2), $(row 6 4)")" "IDEvt 6 in lot 4 after lot 2"
t_match "many rows: a lot going back is refused" "$(insm "$(row 4 2), $(row 5 1)")" "IDEvt 5 in lot 1 after lot 2"
t_match "many rows: a duplicate inside is refused" "$(insm "$(row 4 1), $(row 4 1)")" "duplicate key value violates unique constraint \"events_pkey\""
t_match "many rows: a closed lot is refused" "$(st_sql "BEGIN; INSERT INTO lots VALUES (1, 1, 3, 3, now(), now()); INSERT INTO events (idevt, lot, type, dateevt, received, depositor, body_sha256, digest, p7m, p7m_sha256) VALUES $(row 4 1 | sed 's/, NULL,/,/'), $(row 5 2 | sed 's/, NULL,/,/'); COMMIT" 2>&1)" "lot 1 is closed"
t_match "a Client-Id of no event is refused" "$(st_sql "INSERT INTO client_ids VALUES ('other', 99)" 2>&1)" "Client-Id other does not name IDEvt 99"
t_match "a Client-Id must name its event" "$(st_sql "BEGIN; INSERT INTO events (idevt, lot, type, dateevt, received, depositor, client_id, body_sha256, digest, p7m, p7m_sha256) VALUES $(row 4 1 "'c4'"); INSERT INTO client_ids VALUES ('other', 4); COMMIT" 2>&1)" "Client-Id other does not name IDEvt 4"
t_match "one bad Client-Id refuses the statement" "$(st_sql "INSERT INTO client_ids VALUES ('x', 98), ('y', 99)" 2>&1)" "Client-Id . does not name IDEvt 9[89]"
t_eq "nothing inserted" "$(st_sql "SELECT count(*) FROM events")" 3
t_eq "no Client-Id inserted" "$(st_sql "SELECT count(*) FROM client_ids")" 3
t_eq "schema at version 9" "$(st_sql "SELECT string_agg(version::text, ',' ORDER BY version) FROM schema_version")" "1,2,3,4,5,6,7,8,9"
# The closed-lot test of each group reads the end of the lots index, not
# the whole table: its cost must not grow with the vault.
t_eq "a group's checks scan no table of lots" "$(st_sql "BEGIN; INSERT INTO events (idevt, lot, type, dateevt, received, depositor, client_id, body_sha256, digest, p7m, p7m_sha256) VALUES $(row 4 1); SELECT seq_scan, idx_scan > 0 FROM pg_stat_xact_user_tables WHERE relname = 'lots'; ROLLBACK" | grep '|')" "0|t"
t_eq "seals and checkpoints compressed with LZ4" "$(st_sql "SELECT string_agg(attrelid::regclass || '.' || attname || '=' || attcompression::text, ',' ORDER BY attrelid::regclass::text) FROM pg_attribute WHERE attname = 'xml' AND attrelid IN ('lot_seals'::regclass, 'checkpoints'::regclass)")" "checkpoints.xml=l,lot_seals.xml=l"
t_eq "no per-row trigger on events nor client_ids" "$(st_sql "SELECT count(*) FROM pg_trigger WHERE tgrelid IN ('events'::regclass, 'client_ids'::regclass) AND (tgtype & 1) = 1")" 0
t_eq "statement triggers on insert" "$(st_sql "SELECT string_agg(tgname, ',' ORDER BY tgname) FROM pg_trigger WHERE tgrelid IN ('events'::regclass, 'client_ids'::regclass) AND (tgtype & 4) = 4")" "client_ids_match,events_follow"

# One writer per vault: a second stored on the same database gives up.
mkdir -p "$T/run2" && chmod 0700 "$T/run2"
sed "s|$T/run|$T/run2|" "$T/cfjl.conf" > "$T/second.conf"
out=$(timeout 30 "$STORED" -d -f "$T/second.conf" 2>&1)
t_match "second stored refused" "$out" "database cfjl_48 is in use by another stored: only one may write a vault"
st_stop

# Operator and vault numbers are fixed at first start.
ST_VAULT=2 ST_DBEXTRA="user=cfjl_rt" st_conf "database owner \"host=$T/pg port=5432\""
out=$(timeout 30 "$STORED" -d -f "$T/cfjl.conf" 2>&1)
t_eq "vault change: stored exits" "$?" 1
t_match "vault change refused" "$out" "database cfjl_48 holds the vault of operator 48, vault 1, .* the configuration says operator 48, vault 2: the operator and vault numbers are fixed at first start"
ST_OPERATOR=49 ST_DBEXTRA="user=cfjl_rt" st_conf "database owner \"host=$T/pg port=5432\""
out=$(timeout 30 "$STORED" -d -f "$T/cfjl.conf" 2>&1)
t_match "operator change refused" "$out" "already holds the vault of another operator \(database cfjl_48\) and operator 49 has none"
t_eq "no database made for the new operator" "$(pg_psql -d postgres -c "SELECT count(*) FROM pg_database WHERE datname = 'cfjl_49'")" 0
t_eq "identity unchanged" "$(st_sql "SELECT operator, vault FROM identity")" "48|1"

# The original configuration still starts, and numbering goes on.
ST_DBEXTRA="user=cfjl_rt" st_conf "database owner \"host=$T/pg port=5432\""
st_start || { cat "$T/stored.log"; exit 1; }
t_match "restart continues the numbering" "$(st_client deposit "$(st_sample PASPMISE)")" "^ok idevt=4 "
t_done
