#!/bin/sh
# A lot whose events were all seen committed goes to sealerd from
# memory, without its events read back; one whose first events were
# written before a restart is read back in the write that closes it.
# Either way sealerd gets exactly what the database holds.  A stand-in
# plays sealerd and prints every event it is sent.
. "$(dirname "$0")/../lib/common.sh"
t_unprivileged "$@"
t_tmpdir
. "$TOP/regress/stored/stored.sh"
ST_LOT_MAX=4 ST_LOT_AGE=600s st_setup
pg_psql -d postgres -c "ALTER SYSTEM SET log_statement = 'all'"
pg_psql -d postgres -c "ALTER SYSTEM SET log_line_prefix = '[%p] '"
pg_psql -d postgres -c "SELECT pg_reload_conf()" >/dev/null
pglog=$T/pg/server.log
"$CLIENT" -d "$T/run" sealer -e -n 3 > "$T/sealer.out" 2>&1 &
spid=$!
t_wait_path "$T/run/sealer.sock" 5
st_start || { cat "$T/stored.log"; exit 1; }
a=$(st_sample PASPMISE)
b=$(st_sample CPTEALIM)

sealed()
{
	_n=100
	while [ "$(st_sql "SELECT count(*) FROM lot_seals")" != "$1" ] &&
	    [ $_n -gt 0 ]; do
		sleep 0.1; _n=$((_n - 1))
	done
	st_sql "SELECT count(*) FROM lot_seals"
}
# What sealerd was sent for lot N, and what the database holds for it.
sent() { awk -v n="$1" '/^lot / { on = ($2 == n) } on && /^event / { print }' "$T/sealer.out"; }
held()
{
	st_sql "SELECT 'event ' || idevt || ' ' ||
	    (extract(epoch FROM received) * 1000)::bigint || ' ' || type ||
	    ' ' || dateevt || ' ' || encode(depositor, 'hex') || ' ' ||
	    encode(p7m_sha256, 'hex') || ' ' || coalesce(stamp, '-')
	    FROM events WHERE lot = $1 ORDER BY idevt"
}
readback() { grep -c "p7m_sha256, stamp FROM events WHERE lot = \$1" "$pglog"; }

# Lots 1 and 2 closed by count, two deposits a write or one.
for f in "$a" "$b" "$a" "$b" "$b" "$a" "$a" "$b"; do
	st_client deposit "$f" >/dev/null
done
t_eq "lots 1 and 2 sealed" "$(sealed 2)" 2
t_eq "lot 1: sealerd got the events held" "$(sent 1)" "$(held 1)"
t_eq "lot 2: the same" "$(sent 2)" "$(held 2)"
t_eq "lot 2 has four events" "$(sent 2 | wc -l)" 4
t_eq "no lot's events read back" "$(readback)" 0

# Lot 3: two events, a restart, two more.  Its first two were not seen
# committed by this stored: the closing write reads them back.
st_client deposit "$a" >/dev/null
st_client deposit "$b" >/dev/null
st_stop
st_start || { cat "$T/stored.log"; exit 1; }
st_client deposit "$b" >/dev/null
st_client deposit "$a" >/dev/null
t_eq "lot 3 sealed after the restart" "$(sealed 3)" 3
wait "$spid"
t_eq "lot 3: sealerd got the events held" "$(sent 3)" "$(held 3)"
t_eq "lot 3 has four events" "$(sent 3 | wc -l)" 4
t_eq "lot 3's events read back, once" "$(readback)" 1
t_not "the stand-in saw nothing broken" grep -q broken "$T/sealer.out"
t_done
