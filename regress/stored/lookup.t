#!/bin/sh
# Client-Id lookups go on a read-only connection of their own, never
# behind a commit on the writer (the session with the advisory lock):
# its session refuses writes; when it is lost, lookups go on (on the
# writer, then on the new reader) and a known Client-Id is still found,
# never stored twice.  A new Client-Id is not looked up once the filter
# of the ids stored is loaded (page by page, on the reader); the filter
# is loaded again when the writer comes back.
. "$(dirname "$0")/../lib/common.sh"
t_unprivileged "$@"
t_tmpdir
. "$TOP/regress/stored/stored.sh"
# One open lot throughout: rows are added to it by hand below.
ST_LOT_MAX=24000 ST_LOT_AGE=1h st_setup
# Every statement in the server's log, with the pid of its session.
pg_psql -d postgres -c "ALTER SYSTEM SET log_statement = 'all'"
pg_psql -d postgres -c "ALTER SYSTEM SET log_line_prefix = '[%p] '"
pg_psql -d postgres -c "SELECT pg_reload_conf()" >/dev/null
st_start || { cat "$T/stored.log"; exit 1; }
f=$(st_sample PASPMISE)
pglog=$T/pg/server.log

sessions="SELECT count(*) FROM pg_stat_activity WHERE datname = '$ST_DB' AND application_name = 'stored'"
writer="SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted"
reader="SELECT pid FROM pg_stat_activity WHERE datname = '$ST_DB' AND application_name = 'stored' AND pid NOT IN ($writer)"
wait_sessions()
{
	_n=50
	while [ $_n -gt 0 ] && [ "$(st_sql "$sessions")" != "$1" ]; do
		sleep 0.1; _n=$((_n - 1))
	done
	st_sql "$sessions"
}

# The filter's state in the status: ready, and the ids it holds.
filter_state()
{
	st_client status | sed -n 's/.*"client_id_filter":{"state":"\([a-z]*\)","ids":\([0-9]*\).*/\1 \2/p'
}
wait_filter()
{
	_n=100
	while [ $_n -gt 0 ] && [ "$(filter_state | cut -d' ' -f1)" != ready ]; do
		sleep 0.1; _n=$((_n - 1))
	done
	filter_state
}
lookups() { grep -c "execute cfjl_client_id_lookup" "$pglog"; }

t_eq "two sessions: the writer and the reader" "$(wait_sessions 2)" 2
t_eq "one of them holds the writer's lock" "$(st_sql "$writer" | wc -l)" 1
rpid=$(st_sql "$reader")
t_ok "the other is the reader" test -n "$rpid"
_n=50
while [ $_n -gt 0 ] && ! grep -q "^\[$rpid\] .*READ ONLY" "$pglog"; do
	sleep 0.1; _n=$((_n - 1))
done
sleep 0.2
t_ok "the reader's session is made read-only" \
    grep -q "^\[$rpid\] .*SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY" "$pglog"

t_eq "the filter of an empty vault is ready" "$(wait_filter)" "ready 0"
t_ok "it was loaded on the reader" \
    grep -q "^\[$rpid\] .*execute cfjl_client_id_page" "$pglog"
first=$(st_client deposit "$f@look-1")
t_match "a new Client-Id stored" "$first" "^ok idevt=1 .*dup=0 .*client_id=look-1$"
t_eq "the new Client-Id was not looked up" "$(lookups)" 0
t_eq "the filter holds it" "$(filter_state)" "ready 1"
t_not "the reader wrote nothing" grep -q "^\[$rpid\] .*INSERT" "$pglog"
wpid=$(st_sql "$writer")
t_ok "the deposit was written by the writer" \
    grep -q "^\[$wpid\] .*INSERT INTO events" "$pglog"

# Known to the database only (a restart empties the cache): found.
st_stop
st_start || { cat "$T/stored.log"; exit 1; }
t_eq "after a restart, two sessions again" "$(wait_sessions 2)" 2
t_eq "the filter is loaded from the database" "$(wait_filter)" "ready 1"
rpid=$(st_sql "$reader")
wpid=$(st_sql "$writer")
again=$(st_client deposit "$f@look-1")
t_eq "a known Client-Id found by the reader" \
    "$(echo "$again" | sed 's/dup=1/dup=0/')" "$first"
t_match "answered as a duplicate" "$again" " dup=1 "
t_ok "the filter could not rule it out: looked up on the reader" \
    grep -q "^\[$rpid\] .*execute cfjl_client_id_lookup" "$pglog"
t_not "no lookup on the writer" \
    grep -q "^\[$wpid\] .*execute cfjl_client_id_lookup" "$pglog"

# The reader is lost: lookups go on, the duplicate is still found (the
# lookup lost with the reader is asked again).
st_stop
st_start || { cat "$T/stored.log"; exit 1; }
t_eq "two sessions before the loss" "$(wait_sessions 2)" 2
rpid=$(st_sql "$reader")
st_sql "SELECT pg_terminate_backend($rpid)" >/dev/null
again=$(st_client deposit "$f@look-1")
t_match "reader lost: a known Client-Id still found" "$again" \
    "^ok idevt=1 .* dup=1 .*client_id=look-1$"
t_match "reader lost: a new one stored" \
    "$(st_client deposit "$f@look-2")" "^ok idevt=2 .*dup=0 .*client_id=look-2$"
t_ok "the loss is logged" grep -q "read-only connection" "$T/stored.log"
t_eq "the reader comes back" "$(wait_sessions 2)" 2
t_ok "a new reader session" test "$(st_sql "$reader")" != "$rpid"
t_match "then a known Client-Id found again" \
    "$(st_client deposit "$f@look-2")" "^ok idevt=2 .* dup=1 "
t_eq "each Client-Id stored once" \
    "$(st_sql "SELECT count(*), count(DISTINCT client_id) FROM client_ids")" "2|2"
t_not "the writer was not lost" grep -q 'database cfjl_48: ' "$T/stored.log"

# More ids than a page of the load (20,000), added by hand while stored
# is down: every one is found after a restart, none is stored twice.
st_stop
st_sql "INSERT INTO events (idevt, lot, type, dateevt, received, depositor,
    client_id, body_sha256, digest, p7m, p7m_sha256, stamp)
    SELECT 2 + g, lot, type, dateevt, received, depositor, 'bulk-' || g,
    body_sha256, digest, p7m, p7m_sha256, stamp
    FROM events, generate_series(1, 20001) g WHERE idevt = 1 ORDER BY g" >/dev/null
st_sql "INSERT INTO client_ids SELECT client_id, idevt FROM events
    WHERE idevt > 2 ORDER BY idevt" >/dev/null
st_start || { cat "$T/stored.log"; exit 1; }
t_eq "the filter loads a full page and the rest" "$(wait_filter)" "ready 20003"
t_match "the first id of the first page is found" \
    "$(st_client deposit "$f@bulk-1")" "^ok idevt=3 .* dup=1 "
t_match "the last of the first page is found" \
    "$(st_client deposit "$f@bulk-19998")" "^ok idevt=20000 .* dup=1 "
t_match "the one of the last page is found" \
    "$(st_client deposit "$f@bulk-20001")" "^ok idevt=20003 .* dup=1 "
n=$(lookups)
t_match "a new one is stored after them" \
    "$(st_client deposit "$f@look-3")" "^ok idevt=20004 .*dup=0 "
t_eq "without a lookup" "$(lookups)" "$n"

# The writer is lost: the filter is dropped, loaded again once it is back.
wpid=$(st_sql "$writer")
st_sql "SELECT pg_terminate_backend($wpid)" >/dev/null
_n=100
while [ $_n -gt 0 ] && ! grep -q "Client-Id filter: 20004 ids" "$T/stored.log"; do
	sleep 0.1; _n=$((_n - 1))
done
t_ok "after the writer's loss the filter is loaded again" \
    grep -q "Client-Id filter: 20004 ids" "$T/stored.log"
t_eq "with every id" "$(wait_filter)" "ready 20004"
# The numbering is read back beside the filter: deposits wait for it.
_n=100
while [ $_n -gt 0 ] && ! st_client status | grep -q '"database_state":"up"'; do
	sleep 0.1; _n=$((_n - 1))
done
t_match "the id stored before the loss is found" \
    "$(st_client deposit "$f@look-3")" "^ok idevt=20004 .* dup=1 "
t_eq "each Client-Id stored once" \
    "$(st_sql "SELECT count(*), count(DISTINCT client_id) FROM client_ids")" "20004|20004"

# A batch of an id known to the database only and a new one: only the
# known one is looked up.
n=$(lookups)
mixed=$(st_client deposit -b "$f@bulk-7" "$f@mixed-1")
t_match "a mixed batch: the known id found" "$mixed" \
    "ok idevt=9 .* dup=1 .*client_id=bulk-7"
t_match "the new one stored" "$mixed" "ok idevt=20005 .*dup=0 .*client_id=mixed-1"
t_eq "one lookup" "$(lookups)" "$((n + 1))"
asked=$(grep -A1 "execute cfjl_client_id_lookup" "$pglog" | tail -1)
t_match "for the known id" "$asked" "bulk-7"
t_not "not for the one the filter rules out" \
    sh -c "echo '$asked' | grep -q mixed-1"
t_done
