#!/bin/sh
# Clock control before every time-stamp: an unsynchronised clock stops
# time-stamping (and so sealing) unless "clock relaxed" is set.  The
# test programs are built with the test hook CFJL_TEST_CLOCK=unsync,
# which makes the clock look unsynchronised whatever the kernel says;
# the kernel's real state is tested too.
. "$(dirname "$0")/../lib/common.sh"
t_unprivileged "$@"
. "$(dirname "$0")/setup.sh"
sealer_need
t_tmpdir
sealer_setup > "$T/setup.log" 2>&1 || { cat "$T/setup.log"; exit 1; }
C=$T/cfjl.conf
O=$T/out

# Strict, with a bound wide enough for any synchronised machine.
sealer_conf "clock max-error 10s"
out=$(CFJL_TEST_CLOCK=unsync "$SEAL_TEST" -f "$C" stamp "$O/t.der" 2>&1); rc=$?
t_eq "test hook unsync: no time-stamp (exit 3)" "$rc" 3
t_match "test hook unsync: says why" "$out" "time-stamping refused: the system clock is not synchronised"
t_not "test hook unsync: no token written" test -e "$O/t.der"
out=$(CFJL_TEST_CLOCK=unsync "$SEAL_TEST" -f "$C" -c "$T/pki/ca.pem" lots "$O" 1 2>&1); rc=$?
t_eq "test hook unsync: no lot sealed" "$rc" 3
t_not "test hook unsync: no lot written" test -e "$O/000000000001.xml"

# Relaxed: the same clock is accepted, loudly.
sealer_conf "clock relaxed"
out=$(CFJL_TEST_CLOCK=unsync "$SEAL_TEST" -f "$C" stamp "$O/t.der" 2>&1); rc=$?
t_eq "relaxed: time-stamped anyway" "$rc" 0
t_match "relaxed: said loudly" "$out" "time-stamping ANYWAY because \"clock relaxed\" is set"
t_match "relaxed: shown in the status" "$out" '"relaxed":true'
t_ok "relaxed: token verifies" openssl ts -verify \
    -digest abababababababababababababababababababababababababababababababab \
    -in "$O/t.der" -token_in -CAfile "$T/pki/ca.pem" -untrusted "$T/pki/tsa.pem"

# The real kernel state, strict with the default bound (100 ms).
sealer_conf
sed -i '/clock relaxed/d' "$C"
state=$("$SEAL_TEST" -f "$C" clock 2>/dev/null)
t_log "kernel clock: $state"
out=$("$SEAL_TEST" -f "$C" stamp "$O/k.der" 2>&1); rc=$?
case $state in
*refusing)
	t_eq "kernel clock not trustworthy: no time-stamp" "$rc" 3
	t_match "kernel clock: says why" "$out" "time-stamping refused: the (system clock is not synchronised|clock error)"
	;;
*stamping)
	t_eq "kernel clock synchronised: time-stamped" "$rc" 0
	;;
*)	t_fail "clock state unreadable: $state" ;;
esac
t_done
