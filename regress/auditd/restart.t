#!/bin/sh
# Restarting auditd, cleanly or by SIGKILL, continues the sequence: no
# number lost, none repeated, and every acknowledged record is there.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/auditd.sh"
t_tmpdir
AD_ROTATE_SIZE=8K
ad_setup || exit 2
ad_start || exit 2

t_match "20 records acknowledged" "$(ad_send -n 20)" "^acked 20 "
ad_stop
t_match "the stop is journaled" "$(tail -n 1 "$(ls "$J"/*.log | tail -n 1)")" '"event":"stop"'
ad_start || exit 2
t_match "20 more after a clean restart" "$(ad_send -n 20)" "^acked 20 "
ad_kill9
ad_start || exit 2
t_match "20 more after SIGKILL" "$(ad_send -n 20)" "^acked 20 "
out=$(ad_send -n 1)
last=$(echo "$out" | sed -n 's/.* last \([0-9]*\)$/\1/p')
ad_stop

t_ok "sequence numbers consecutive across restarts" sh -c ". '$TOP/regress/auditd/auditd.sh'; J='$J'; ad_seqs | ad_consecutive"
t_eq "every acknowledged record is there once" "$(cat "$J"/*.log | grep -c '"event":"test"')" 61
t_eq "three starts journaled" "$(cat "$J"/*.log | grep -c '"event":"start"')" 3
t_ok "the last ack names a journaled sequence" grep -q "^{\"seq\":$last,.*\"event\":\"test\"" $J/*.log
ad_start || exit 2
out=$(ad_ctl journal verify)
t_ok "journal verify after restarts" [ $? -eq 0 ]
t_done
