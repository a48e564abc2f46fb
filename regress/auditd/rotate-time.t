#!/bin/sh
# "rotate every" closes the current file on schedule, but only if it
# holds more than its opening record: an idle journal does not fill the
# directory with empty files.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/auditd.sh"
t_tmpdir
AD_ROTATE_EVERY=1s
ad_setup || exit 2
ad_start || exit 2

t_match "records acknowledged" "$(ad_send -n 5)" "^acked 5 "
sleep 1.6
t_ok "the first file was closed on schedule" [ -f "$J/00000001.xml" ]
t_eq "its close reason" "$(ad_meta "$J/00000001.xml" CloseReason)" "interval"
t_match "records acknowledged" "$(ad_send -n 5)" "^acked 5 "
sleep 1.6
t_ok "the second file was closed on schedule" [ -f "$J/00000002.xml" ]
# Idle now: the third file holds only its opening record.
sleep 2.2
t_ok "an idle file stays open" [ ! -f "$J/00000003.xml" ]
t_eq "it holds only its opening record" "$(wc -l < "$J/00000003.log")" 1
out=$(ad_ctl journal verify)
t_ok "journal verify" [ $? -eq 0 ]
t_match "verify summary" "$out" "journal verified: 3 files"
t_done
