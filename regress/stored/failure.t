#!/bin/sh
# A transaction that fails gives its IDEvt back: the trace is refused
# with 503 and Retry-After, nothing is stored, and the next trace takes
# the number the failed one would have had.  Refusals before the
# database (Client-Id reuse) use no number either.
. "$(dirname "$0")/../lib/common.sh"
t_unprivileged "$@"
t_tmpdir
# One lot for the whole test: the lot numbers below do not depend on
# how fast it runs (several times slower under make SAN=1).
ST_LOT_AGE=1h
. "$TOP/regress/stored/stored.sh"
t_need openssl
st_setup
st_start || { cat "$T/stored.log"; exit 1; }
ok=$(st_sample PASPMISE)
sed 's/PASPMISE>/FAILME>/g' "$ok" > "$T/FAILME.xml"

t_match "first deposit" "$(st_client deposit "$ok")" "^ok idevt=1 "
# The database refuses this trace type from now on (a fault injected by
# the owner: DDL, not a change to evidence).
st_sql "ALTER TABLE events ADD CONSTRAINT test_fault CHECK (type <> 'FAILME')"
out=$(st_client deposit "$T/FAILME.xml")
t_match "failed transaction: 503" "$out" "^err status=503 code=CFJL_UNAVAILABLE index=-1 retry=[1-9][0-9]* "
t_match "failed transaction: says nothing was stored" "$out" "nothing was stored"
t_eq "failed transaction stored nothing" "$(st_sql "SELECT count(*) FROM events")" 1
t_match "next deposit takes IDEvt 2" "$(st_client deposit "$ok")" "^ok idevt=2 "

# A failing batch: all or nothing.
out=$(st_client deposit -b "$ok" "$T/FAILME.xml" "$ok")
t_match "batch with a failing trace refused" "$out" "^err status=503 "
t_eq "failing batch stored nothing" "$(st_sql "SELECT count(*) FROM events")" 2
t_match "then IDEvt 3" "$(st_client deposit "$ok")" "^ok idevt=3 "

# Failing and good requests in one group: the good ones are retried
# alone and stored, in order; only the failing one is refused.
# Each answer comes when it is settled: a refusal waits for no journal
# record, so it may overtake the acknowledgement of the request before
# it (frontd puts answers back in request order).
st_client deposit "$ok" "$T/FAILME.xml" "$ok" "$ok" > "$T/mix"
t_eq "mixed: only the failing trace refused" "$(sed 's/ digest=.*//' "$T/mix" | sort | tr '\n' ';')" \
    "err status=503 code=CFJL_UNAVAILABLE index=-1 retry=2 error=storage unavailable detail=the database did not commit the trace (ERROR:  new row for relation \"events\" violates check constraint \"test_fault\"); nothing was stored, try again later;ok idevt=4 lot=1 dup=0;ok idevt=5 lot=1 dup=0;ok idevt=6 lot=1 dup=0;"
t_ok "mixed: the group was retried request by request" grep -q "retrying its requests one by one" "$T/stored.log"
t_eq "mixed: acknowledged = stored" "$(st_sql "SELECT count(*) FROM events")" 6
t_eq "mixed: still gapless" "$(st_sql "SELECT count(*) = max(idevt) FROM events")" t

# The failure is journaled in the log as a storage error.
t_ok "failure logged" grep -q "was not stored" "$T/stored.log"

# Refused before the database: no number used either.
st_sql "ALTER TABLE events DROP CONSTRAINT test_fault"
n=$(st_sql "SELECT max(idevt) FROM events")
st_client deposit "$ok@k1" >/dev/null
st_client deposit "$T/FAILME.xml@k1" >/dev/null
t_match "after a 409 the next number" "$(st_client deposit "$ok")" "^ok idevt=$((n + 2)) "
t_done
