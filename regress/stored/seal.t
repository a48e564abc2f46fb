#!/bin/sh
# Lots as sealerd sees them: closed by count and by age, sent in order
# with the previous lot's SignatureValue digest (zeros for lot 1), a
# failed seal retried, seals stored and served to frontd; an idle vault
# opens no lot.  A backlog goes back to back, each lot chained to the
# seal just made, without waiting for seals to be written; a kill -9 of
# stored and a seal that cannot be written both resume at the first lot
# without a seal.  A stand-in plays sealerd (it also checks that lots
# come in order, none skipped, each chained to the one before).  An
# export finds its lots without reading them all.
. "$(dirname "$0")/../lib/common.sh"
t_unprivileged "$@"
t_tmpdir
. "$TOP/regress/stored/stored.sh"
t_need openssl sha256sum
ST_LOT_MAX=3 ST_LOT_AGE=1s st_setup
"$CLIENT" -d "$T/run" sealer -n 3 -f 2 > "$T/sealer.out" 2>&1 &
spid=$!
t_wait_path "$T/run/sealer.sock" 5
st_start || { cat "$T/stored.log"; exit 1; }
f=$(st_sample PASPMISE)
for i in 1 2 3 4 5 6 7; do st_client deposit "$f" >/dev/null; done
t_eq "open lot answered as open" "$(st_client lot 3 | head -n 1)" "open"

# Lots 1 and 2 by count, lot 3 by age (1 s), each sealed.
i=0
while [ "$(st_sql "SELECT count(*) FROM lot_seals")" != 3 ] && [ $i -lt 60 ]; do
	sleep 0.1; i=$((i + 1))
done
wait "$spid"
cat "$T/sealer.out"
z=0000000000000000000000000000000000000000000000000000000000000000
s1=$(printf 'sig-1' | sha256sum | cut -d' ' -f1)
s2=$(printf 'sig-2' | sha256sum | cut -d' ' -f1)
t_eq "lot 1 sent first, chained to zeros" "$(sed -n 2p "$T/sealer.out")" "lot 1 first 1 last 3 nevents 3 precedent $z operator 48 vault 1"
t_eq "lot 2 chained to lot 1's signature" "$(sed -n 3p "$T/sealer.out")" "lot 2 first 4 last 6 nevents 3 precedent $s1 operator 48 vault 1"
t_eq "lot 2 sent again after its failure" "$(sed -n 4p "$T/sealer.out")" "lot 2 first 4 last 6 nevents 3 precedent $s1 operator 48 vault 1"
t_eq "lot 3 closed by age, chained to lot 2" "$(sed -n 5p "$T/sealer.out")" "lot 3 first 7 last 7 nevents 1 precedent $s2 operator 48 vault 1"
t_eq "three seals stored" "$(st_sql "SELECT string_agg(numero || ':' || encode(xml, 'escape'), ' ' ORDER BY numero) FROM lot_seals")" \
    '1:<Lot Numero="1"/> 2:<Lot Numero="2"/> 3:<Lot Numero="3"/>'
t_eq "the seal served to frontd" "$(st_client lot 2 | tr '\n' ' ')" 'sealed <Lot Numero="2"/>'
# Each seal names the certificates that made it, kept once.
sealpem=$(printf '%s\n' '-----BEGIN CERTIFICATE-----' 'c2VhbA==' '-----END CERTIFICATE-----')
t_eq "the sealer's two certificates kept once, with their PEM" \
    "$(st_sql "SELECT string_agg(kind || ':' || encode(sha256(pem), 'hex'), ' ' ORDER BY kind) FROM seal_certs WHERE sha256 = sha256(pem)")" \
    "seal:$(printf '%s\n' "$sealpem" | sha256sum | cut -d' ' -f1) tsa:$(printf '%s\n' '-----BEGIN CERTIFICATE-----' 'dHNh' '-----END CERTIFICATE-----' | sha256sum | cut -d' ' -f1)"
t_eq "every seal names them" \
    "$(st_sql "SELECT count(*) FROM lot_seals s JOIN seal_certs c ON c.sha256 = s.seal_cert JOIN seal_certs t ON t.sha256 = s.tsa_cert WHERE c.kind = 'seal' AND t.kind = 'tsa'")" 3
# A seal stored before seals named their certificates (made so here by
# the owner, triggers off): its export needs the files of cfjl.conf,
# which this configuration does not name.
st_sql "ALTER TABLE lot_seals DISABLE TRIGGER lot_seals_append_only; UPDATE lot_seals SET seal_cert = NULL, tsa_cert = NULL WHERE numero = 1; ALTER TABLE lot_seals ENABLE TRIGGER lot_seals_append_only" >/dev/null
t_eq "a seal without its certificates, no files: export refused" \
    "$(st_client export 1 3)" \
    "refused status=503 code=CFJL_UNAVAILABLE last=1 reason=the certificates of seals made before they were recorded are unavailable (the certificate files of cfjl.conf)"
t_ok "the failure was logged" grep -q "lot 2 not sealed: token busy" "$T/stored.log"
s=$(st_client status)
t_match "status: last sealed lot" "$s" '"last_sealed_lot":3,'
t_match "status: no sealing lag" "$s" '"sealing_lag":\{"events":0,"lots":0,'

# Idle: no new lot opens.
sleep 1.2
t_eq "an idle vault opens no lot" "$(st_sql "SELECT count(*) FROM lots")" 3
t_eq "no next lot yet" "$(st_client lot 4 | head -n 1)" "unknown"

# Lots closed while sealerd is away wait, and are sent on its return.
for i in 1 2 3; do st_client deposit "$f" >/dev/null; done
t_match "lag while sealerd is away" "$(st_client status)" '"sealing_lag":\{"events":3,"lots":1,'
st_stop
"$CLIENT" -d "$T/run" sealer -n 1 > "$T/sealer.out" 2>&1 &
spid=$!
t_wait_path "$T/run/sealer.sock" 5
st_start || { cat "$T/stored.log"; exit 1; }
wait "$spid"
s3=$(printf 'sig-3' | sha256sum | cut -d' ' -f1)
t_eq "pending lot resumed after a restart" "$(sed -n 2p "$T/sealer.out")" "lot 4 first 8 last 10 nevents 3 precedent $s3 operator 48 vault 1"

# wait_for N SQL VALUE: until the query answers VALUE (N tenths of s).
wait_for()
{
	_w=$1
	while [ "$(st_sql "$2")" != "$3" ] && [ "$_w" -gt 0 ]; do
		sleep 0.1; _w=$((_w - 1))
	done
}
# wait_line N FILE REGEX: until a line of FILE matches.
wait_line()
{
	_w=$1
	while ! grep -Eq -- "$3" "$2" && [ "$_w" -gt 0 ]; do
		sleep 0.1; _w=$((_w - 1))
	done
}
# wait_stand_in: the stand-in's exit status, killed after 30 s.
wait_stand_in()
{
	_w=300
	while kill -0 "$spid" 2>/dev/null && [ $_w -gt 0 ]; do
		sleep 0.1; _w=$((_w - 1))
	done
	kill "$spid" 2>/dev/null
	wait "$spid"
	_st=$?
	cat "$T/sealer.out"
	return $_st
}
# The lots the stand-in was sent, in turn.
sent() { sed -n 's/^lot \([0-9]*\) .*/\1/p' "$T/sealer.out" | tr '\n' ' '; }
deposit_n() { _a=""; for _i in $(seq "$1"); do _a="$_a $f"; done; st_client deposit $_a >/dev/null; }
sig() { printf 'sig-%s' "$1" | sha256sum | cut -d' ' -f1; }
SEALS_OK="SELECT count(*) FROM lot_seals WHERE sigvalue_sha256 = sha256(convert_to('sig-' || numero, 'UTF8'))"

# A backlog: ten lots close while sealerd holds lot 5.  Then the seals
# cannot be written (lot_seals locked), yet lots 5 to 14 all go, back to
# back, each chained to the seal just made; lot 8 fails once and is sent
# again after 1 s, and nothing after it goes before.
rm -f "$T/go"
"$CLIENT" -d "$T/run" sealer -l 14 -f 8 -w "$T/go" > "$T/sealer.out" 2>&1 &
spid=$!
t_wait_path "$T/run/sealer.sock" 5
deposit_n 30
wait_for 50 "SELECT count(*) FROM lots" 14
wait_line 80 "$T/sealer.out" "^lot 5 "
t_match "backlog of ten lots" "$(st_client status)" '"sealing_lag":\{"events":30,"lots":10,'
pg_psql -d "$ST_DB" -c "BEGIN; LOCK TABLE lot_seals IN EXCLUSIVE MODE; SELECT pg_sleep(4); COMMIT" >/dev/null &
lpid=$!
wait_for 50 "SELECT count(*) FROM pg_locks l JOIN pg_class c ON c.oid = l.relation WHERE c.relname = 'lot_seals' AND l.mode = 'ExclusiveLock' AND l.granted" 1
touch "$T/go"
wait_line 40 "$T/sealer.out" "^lot 14 "
t_eq "lots 5 to 14 sealed before any seal was written" "$(st_sql "SELECT count(*) FROM lot_seals")" 4
t_eq "sent in order, lot 8 again after its failure" "$(sent)" "5 6 7 8 8 9 10 11 12 13 14 "
t_eq "lot 6 chained to lot 5's seal" "$(grep '^lot 6 ' "$T/sealer.out")" "lot 6 first 14 last 16 nevents 3 precedent $(sig 5) operator 48 vault 1"
t_eq "lot 9 chained to lot 8's seal" "$(grep '^lot 9 ' "$T/sealer.out")" "lot 9 first 23 last 25 nevents 3 precedent $(sig 8) operator 48 vault 1"
wait "$lpid"
wait_stand_in
t_eq "the stand-in saw the chain whole" "$?" 0
wait_for 50 "SELECT count(*) FROM lot_seals" 14
t_eq "every seal written, each the lot's own" "$(st_sql "$SEALS_OK")" 14
t_ok "lot 8's failure logged" grep -q "lot 8 not sealed: token busy" "$T/stored.log"
s=$(st_client status)
t_match "status: last sealed lot 14" "$s" '"last_sealed_lot":14,'
t_match "status: no lag after the backlog" "$s" '"sealing_lag":\{"events":0,"lots":0,'

# kill -9 of stored with lots in flight (a slow sealerd): the restarted
# stored reads the lots back and resumes at the first without a seal,
# chained to the last seal written.
"$CLIENT" -d "$T/run" sealer -l 24 -s 150 > "$T/sealer.out" 2>&1 &
spid=$!
t_wait_path "$T/run/sealer.sock" 5
deposit_n 30
wait_line 100 "$T/sealer.out" "^lot 17 "
st_kill
n=$(st_sql "SELECT count(*) FROM lot_seals")
t_ok "lots left to seal when stored was killed" [ "$n" -lt 24 ]
st_start || { cat "$T/stored.log"; exit 1; }
wait_stand_in
t_eq "the stand-in saw the chain whole across the kill" "$?" 0
t_ok "stored went away and came back" grep -q "stored went away" "$T/sealer.out"
first=$(sed -n '/stored went away/,$p' "$T/sealer.out" | sed -n 's/^lot \([0-9]*\) .*/\1/p' | head -n 1)
head=$(sed -n 's/.*last sealed lot \([0-9]*\), .*/\1/p' "$T/stored.log" | tail -n 1)
t_eq "resumed at the first lot without a seal (lot $head sealed)" "$first" "$((head + 1))"
t_ok "resumed at a lot not sealed before the kill" [ "$first" -le 17 ]
wait_for 50 "SELECT count(*) FROM lot_seals" 24
t_eq "every seal written after the kill, each the lot's own" "$(st_sql "$SEALS_OK")" 24
t_match "status: no lag after the kill" "$(st_client status)" '"sealing_lag":\{"events":0,"lots":0,'

# A seal that cannot be written (lot 27 refused for a while): the state
# is read back and sealing resumes at the first lot without a seal.
st_sql "ALTER TABLE lot_seals ADD CONSTRAINT held CHECK (numero <> 27) NOT VALID"
"$CLIENT" -d "$T/run" sealer -l 30 > "$T/sealer.out" 2>&1 &
spid=$!
t_wait_path "$T/run/sealer.sock" 5
deposit_n 18
wait_line 100 "$T/stored.log" "lot 2[5-7]: the seal could not be stored"
sleep 1.5
st_sql "ALTER TABLE lot_seals DROP CONSTRAINT held"
wait_stand_in
t_eq "the stand-in saw the chain whole across the refusal" "$?" 0
t_ok "lot 27 sent again" [ "$(grep -c '^lot 27 ' "$T/sealer.out")" -ge 2 ]
wait_for 50 "SELECT count(*) FROM lot_seals" 30
t_eq "every seal written after the refusal, each the lot's own" "$(st_sql "$SEALS_OK")" 30
t_match "status: no lag after the refusal" "$(st_client status)" '"last_sealed_lot":30,.*"sealing_lag":\{"events":0,"lots":0,'

# An export finds the lots of its IDEvt range through primary keys, not
# by testing every lot's first and last: its cost must not grow with the
# vault.  The plans of stored's sessions go to the server's log, with
# sequential scans discouraged (on a table this small the planner would
# choose one anyway).
PLAN_SETTINGS="session_preload_libraries auto_explain.log_min_duration auto_explain.log_level auto_explain.log_nested_statements enable_seqscan"
st_sql "ALTER DATABASE $ST_DB SET session_preload_libraries = 'auto_explain'; ALTER DATABASE $ST_DB SET auto_explain.log_min_duration = 0; ALTER DATABASE $ST_DB SET auto_explain.log_level = warning; ALTER DATABASE $ST_DB SET auto_explain.log_nested_statements = on; ALTER DATABASE $ST_DB SET enable_seqscan = off"
st_stop
st_start || { cat "$T/stored.log"; exit 1; }
mark=$(($(wc -l < "$T/pg/server.log") + 1))
st_client export 4 20 > "$T/export.out" 2>&1
tail -n +"$mark" "$T/pg/server.log" > "$T/plans"
t_ok "the export's plans logged" grep -q "Query Text: WITH r AS .* FROM lots l" "$T/plans"
t_not "no plan tests every lot's first or last" \
    grep -Eq "Filter: .*(first|last) [<>]=" "$T/plans"
for s in $PLAN_SETTINGS; do st_sql "ALTER DATABASE $ST_DB RESET $s"; done
st_stop
t_done
