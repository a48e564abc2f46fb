#!/bin/sh
# Losing the database's machine without losing an acknowledged event.
# stored writes to a primary with a synchronous standby (synchronous-
# commit remote_apply) through a multi-host conninfo.  While capture
# agents deposit, the primary's postmaster is killed with SIGKILL; the
# standby is promoted and, until it has a synchronous standby of its
# own, stored acknowledges nothing (503); then it finds the new primary
# by itself.  Afterwards every acknowledged event is on the new primary
# with its digest, IDEvt runs 1..N, the lots chain across the failover
# and the export verifies.
. "$(dirname "$0")/../lib/common.sh"
t_unprivileged "$@"
t_need curl openssl psql
t_tmpdir
. "$TOP/regress/lib/suite.sh"
. "$TOP/regress/lib/agents.sh"
SUITE_LOT_EVENTS=50
suite_setup || exit 2
t_ok "pg_basebackup is installed" test -x "$PGBIN/pg_basebackup"

PRIMARY=$SUITE/pg STANDBY=$SUITE/pg2 THIRD=$SUITE/pg3
t_ok "a streaming standby of the primary" pg_standby "$PRIMARY" "$STANDBY"
t_ok "the primary commits only with it" pg_sync_standby "$PRIMARY"

# stored (and this test) reach whichever of the two is the primary.
suite_dbhosts "$PRIMARY,$STANDBY" remote_apply
t_ok "configuration names both servers" grep -q "synchronous-commit remote_apply" "$SUITE/cfjl.conf"
t_ok "and finds the primary among them" \
    grep -q "database \"host=$PRIMARY,$STANDBY port=$PGPORT target_session_attrs=read-write user=cfjl_store\"" "$SUITE/cfjl.conf"
t_ok "the configuration is valid" "$(suite_bin stored)" -n -f "$SUITE/cfjl.conf"
suite_start || exit 2
t_ok "stored asks for the standby's confirmation" \
    grep -q 'connected, synchronous commit remote_apply' "$SUITE/log/stored.log"

suite_sample OUVINFOPERSO > "$T/base.xml"
agents_start 3
t_ok "deposits flow" agents_wait 100

# The primary's machine dies.
t0=$(date +%s.%N)
kill -9 "$(head -n 1 "$PRIMARY/data/postmaster.pid")"
sleep 1
a=$(agents_acks)
sleep 1
t_eq "nothing acknowledged while there is no primary" "$(agents_acks)" "$a"

# The administrator promotes the standby.  Until it has a synchronous
# standby of its own, stored acknowledges nothing.
t_log "# $(date +%T) promoting"
t_ok "the standby is promoted" "$PGBIN/pg_ctl" -D "$STANDBY/data" -w -t 30 promote
n=0
until grep -q 'names no synchronous standby' "$SUITE/log/stored.log" || [ $n -ge 100 ]; do
	sleep 0.1; n=$((n + 1))
done
t_ok "stored refuses a primary without a synchronous standby" \
    grep -q 'synchronous-commit remote_apply, but the server names no synchronous standby' "$SUITE/log/stored.log"
a=$(agents_acks)
sleep 1.5
t_eq "nothing acknowledged by a primary alone" "$(agents_acks)" "$a"
t_ok "503 with Retry-After meanwhile" grep -q '^[0-9-]* 503 [1-9]' "$T"/tries.*

# The new primary gets its standby; deposits resume by themselves.
t_log "# $(date +%T) a new standby"
t_ok "a standby for the new primary" pg_standby "$STANDBY" "$THIRD"
t_ok "the new primary commits only with it" pg_sync_standby "$STANDBY"
t_ok "deposits flow again on the new primary" agents_wait 100 200
t1=$(date +%s.%N)
t_log "# failover: $(echo "$t1 - $t0" | bc 2>/dev/null || echo "?") s from the kill to deposits flowing again (promotion and a new standby by hand included)"
agents_stop
agents_check
t_ok "no refusal other than 503 or no answer" \
    test -z "$(awk '$2 != 503 && $2 != "000"' "$T/tries")"
t_log "# answers other than 201, by code and status:" \
    "$(awk '{ print $2, $4 }' "$T/tries" | sort | uniq -c | tr '\n' ';')"
t_eq "the old primary's server holds nothing new (dead)" \
    "$(test -S "$PRIMARY/.s.PGSQL.$PGPORT" && pg_psql -h "$PRIMARY" -d postgres -c 'select 1' 2>/dev/null || echo dead)" dead

# Sealing resumes from the first lot without a seal; the lots chain
# across the failover and the export verifies.
N=$(wc -l < "$T/acks")
t_eq "every event closed into a sealed lot" "$(suite_wait_sealed "$N" 15)" "0 $N"
code=$(read_curl -o "$T/export.tar" -w '%{http_code}' "$CFJL_URL/v1/export?from=1&to=$N")
t_eq "the reader exports everything" "$code" 200
"$TOP/cfjl-verify/cfjl-verify" -t "$P/trust.pem" -k "$P/regulator.key" \
    "$T/export.tar" > "$T/verify.out" 2>&1
t_eq "cfjl-verify accepts the bundle across the failover ($(tail -n 1 "$T/verify.out"))" "$?" 0
t_done
