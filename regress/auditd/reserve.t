#!/bin/sh
# The journal client's bounded queue keeps room for the records whose
# sender waits for them (a deposit group, an admin command): a flood of
# other records while auditd is away is dropped past its share, counted,
# and the count journaled, but never takes the place of a record a
# client's answer waits for.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/auditd.sh"
t_tmpdir
ad_setup || exit 2
# auditd not started yet: everything queues.
ad_send -f 9000 -n 1000 -t 20 > "$T/out" 2>&1 &
bg=$!
sleep 1
t_ok "auditd away: the sender waits" kill -0 "$bg"
ad_start || exit 2
wait "$bg"; rc=$?
t_eq "every record waited for is acknowledged" "$rc" 0
t_match "1000 acknowledged" "$(cat "$T/out")" "acked 1000 "
# 8192 places, 1024 of them kept: 7168 of the 9000 fill records.
t_match "the flood dropped past its share" "$(cat "$T/out")" "^dropped 1832$"
t_eq "the fill records kept are journaled" \
    "$(cat "$J"/*.log | grep -c '"event":"test-fill"')" 7168
t_eq "the records waited for are all journaled" \
    "$(cat "$J"/*.log | grep -c '"event":"test"')" 1000
t_match "the drop is journaled, counted" \
    "$(cat "$J"/*.log | grep '"event":"journal-dropped"')" \
    '"outcome":"error","details":"1832 records dropped while the journal was unreachable'
t_done
