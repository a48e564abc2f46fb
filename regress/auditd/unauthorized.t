#!/bin/sh
# Only the daemons' users may journal: a process of any other uid is
# refused on audit.sock before a byte is read, and nothing it sent is
# written.  Needs root, to run auditd and the stranger as two users.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/auditd.sh"
[ "$(id -u)" -eq 0 ] || t_skip "needs root to run a sender under another uid"
id nobody >/dev/null 2>&1 || t_skip "no user nobody"
t_tmpdir
ad_setup || exit 2
ad_start || exit 2
auid=$(id -u "$TEST_USER")

t_match "a daemon's user journals" "$(ad_send -n 3)" "^acked 3 "
before=$(cat "$J"/*.log | wc -l)
out=$(setpriv --reuid=nobody --regid="$(id -g nobody)" --clear-groups \
    "$AUDIT_SEND" -n 3 -t 2 -u "$auid" -p frontd "$RUN" 2>&1)
rc=$?
t_eq "a stranger's records are not acknowledged" "$rc" 1
t_match "none of them" "$out" "acked 0 of 3"
t_match "auditd says whom it refused" "$(cat "$T/auditd.log")" \
    "audit.sock: refused connection from uid $(id -u nobody)"
t_eq "nothing was written" "$(cat "$J"/*.log | wc -l)" "$before"
t_not "no record of that uid" grep -q "\"uid\":$(id -u nobody)," "$J"/*.log
t_eq "only the allowed records" "$(cat "$J"/*.log | grep -c '"event":"test"')" 3
t_done
