#!/bin/sh
# kill -9 stored in the middle of a stream of deposits: after a restart
# every acknowledged event is in the database with the digest that was
# answered, decrypts, and IDEvt runs 1..N with no gap and no duplicate.
# Then the same with PostgreSQL itself stopped hard under load.
. "$(dirname "$0")/../lib/common.sh"
t_unprivileged "$@"
t_tmpdir
. "$TOP/regress/stored/stored.sh"
t_need openssl sha256sum perl
ST_LOT_MAX=50 ST_LOT_AGE=200ms st_setup
st_start || { cat "$T/stored.log"; exit 1; }
f=$(st_sample PASPMISE)

check()	# what: every ack stored with its digest, gapless numbering
{
	n=$(wc -l < "$T/acks")
	t_log "# $1: $n acknowledged, $(st_sql "SELECT count(*) FROM events") stored"
	t_ok "$1: deposits were acknowledged" test "$n" -gt 0
	missing=$(pg_psql -d "$ST_DB" <<SQL
CREATE TEMP TABLE acks (idevt bigint, digest text);
\copy acks FROM '$T/acks' WITH (DELIMITER ' ')
SELECT count(*) FROM acks a LEFT JOIN events e USING (idevt)
 WHERE e.idevt IS NULL OR encode(e.digest, 'hex') <> a.digest;
SQL
)
	t_eq "$1: every acknowledged event stored with its digest" "$missing" 0
	t_eq "$1: no acknowledgement twice" "$(sort "$T/acks" | cut -d' ' -f1 | uniq -d | wc -l)" 0
	t_eq "$1: IDEvt 1..N without gap" "$(st_sql "SELECT count(*) = max(idevt) AND min(idevt) = 1 FROM events")" t
	t_eq "$1: every .p7m matches its recorded digest" "$(st_sql "SELECT count(*) FROM events WHERE sha256(p7m) <> p7m_sha256")" 0
	t_eq "$1: closed lots are whole" "$(st_sql "SELECT count(*) FROM lots l WHERE nevents <> (SELECT count(*) FROM events e WHERE e.lot = l.numero)")" 0
	last=$(tail -n 1 "$T/acks" | cut -d' ' -f1)
	st_decrypt "$last" "$T/got.xml"
	sed "s|<IDEvt>0</IDEvt>|<IDEvt>$last</IDEvt>|" "$f" > "$T/want.xml"
	t_ok "$1: the last acknowledged event decrypts" cmp -s "$T/got.xml" "$T/want.xml"
}

# 1. stored killed mid-stream.
: > "$T/acks"
"$CLIENT" -d "$T/run" stream -n 1000000 -o "$T/acks" "$f" > "$T/stream.out" 2>&1 &
cpid=$!
sleep 1
st_kill
wait "$cpid"
st_start || { cat "$T/stored.log"; exit 1; }
check "stored killed"
max=$(st_sql "SELECT max(idevt) FROM events")
t_match "numbering resumes after the kill" "$(st_client deposit "$f")" "^ok idevt=$((max + 1)) "

# 2. PostgreSQL stopped hard mid-stream: stored answers 503 meanwhile,
#    and comes back by itself.
: > "$T/acks"
"$CLIENT" -d "$T/run" stream -n 1000000 -o "$T/acks" "$f" > "$T/stream.out" 2>&1 &
cpid=$!
sleep 1
pg_crash "$T/pg"
sleep 0.5
out=$(st_client deposit "$f")
t_match "database down: 503 with Retry-After" "$out" "^err status=503 code=CFJL_UNAVAILABLE index=-1 retry=[1-9]"
kill "$cpid" 2>/dev/null
wait "$cpid" 2>/dev/null
pg_start "$T/pg" || exit 2
i=0
until st_client status | grep -q '"database_state":"up"' || [ $i -ge 100 ]; do
	sleep 0.1; i=$((i + 1))
done
t_match "stored reconnected by itself" "$(st_client status)" '"database_state":"up"'
check "database crashed"
max=$(st_sql "SELECT max(idevt) FROM events")
t_match "numbering resumes after the database crash" "$(st_client deposit "$f")" "^ok idevt=$((max + 1)) "
t_done
