#!/bin/sh
# sealerd as a daemon, driven over sealer.sock by a test client that
# speaks as stored and auditd: lots sealed and chained, journal files
# signed, status; an HSM that is missing at start or vanishes while
# running gives clear refusals and sealerd recovers by itself; an
# untrustworthy clock stops sealing.
. "$(dirname "$0")/../lib/common.sh"
t_unprivileged "$@"
. "$(dirname "$0")/setup.sh"
sealer_need
[ -x "$SEALERD" ] || t_skip "sealerd not built"
[ -x "$SEALER_CLIENT" ] || t_skip "sealer_client not built"
t_tmpdir
sealer_setup > "$T/setup.log" 2>&1 || { cat "$T/setup.log"; exit 1; }
C=$T/cfjl.conf
O=$T/out
R=$T/run
PID=

sd_start()
{
	rm -f "$R/sealer.sock"
	"$SEALERD" -d -v -f "$C" >> "$T/sealerd.log" 2>&1 &
	PID=$!
	t_wait_path "$R/sealer.sock" 10
}
sd_stop()
{
	[ -n "$PID" ] || return 0
	kill "$PID" 2>/dev/null
	n=50; while kill -0 "$PID" 2>/dev/null && [ $n -gt 0 ]; do sleep 0.1; n=$((n - 1)); done
	kill -9 "$PID" 2>/dev/null
	PID=
}
t_cleanup_add sd_stop
alive() { kill -0 "$PID" 2>/dev/null; }
cl() { "$SEALER_CLIENT" "$@" "$R"; }

t_ok "sealerd starts" sd_start

# Two chained lots.
h1=$("$SEALER_CLIENT" "$R" lot 1 1001 3 zero "$O/1.xml")
t_match "lot 1 sealed" "$h1" "^[0-9a-f]{64}$"
t_ok "lot 1: xmlsec1 accepts" sealer_verify_xml "$O/1.xml"
t_ok "lot 1: openssl ts accepts" sealer_verify_ts "$O/1.xml"
t_eq "SEAL_DONE digest = SHA-256 of lot 1 SignatureValue" \
    "$(echo "$h1" | xxd -r -p | base64)" "$(sealer_next_precedent "$O/1.xml")"
h2=$("$SEALER_CLIENT" "$R" lot 2 1004 2 "$h1" "$O/2.xml")
t_match "lot 2 sealed" "$h2" "^[0-9a-f]{64}$"
t_ok "lot 2: xmlsec1 accepts" sealer_verify_xml "$O/2.xml"
t_eq "lot 2 Precedent links lot 1" \
    "$(sed -n 's|.*<Precedent>\(.*\)</Precedent>.*|\1|p' "$O/2.xml")" \
    "$(sealer_next_precedent "$O/1.xml")"

# A journal file, as auditd asks.
printf 'record one\nrecord two\n' > "$O/00000001.log"
t_match "journal file signed" "$("$SEALER_CLIENT" -n auditd "$R" journal "$O/00000001.log" "$O/j.der")" "^signed [0-9]+ bytes$"
t_ok "journal seal: openssl cms -verify accepts" openssl cms -verify -purpose any -binary \
    -inform DER -in "$O/j.der" -content "$O/00000001.log" -CAfile "$T/pki/ca.pem" -out /dev/null

st=$("$SEALER_CLIENT" "$R" status)
t_match "status: token present" "$st" '"token":\{"label":"cfjl","present":true'
t_match "status: relaxed clock shown" "$st" '"relaxed":true'
t_match "status: seals counted" "$st" '"seals":2,"journal_seals":1'

# A lot that contradicts itself is refused; sealerd carries on.
out=$("$SEALER_CLIENT" "$R" bad-lot); rc=$?
t_eq "inconsistent lot: refused" "$rc" 3
t_match "inconsistent lot: says why" "$out" "^fail 60 lot 99: event 1 has IDEvt 77, expected 6$"
# A lot from auditd is a protocol breach: that link is dropped.
out=$("$SEALER_CLIENT" -n auditd "$R" lot 3 1006 1 zero "$O/x.xml" 2>&1); rc=$?
t_eq "lot from auditd: link dropped" "$rc" 1
t_not "lot from auditd: nothing written" test -e "$O/x.xml"
t_ok "sealerd still running" alive

# The token vanishes while sealerd runs, then comes back.
mv "$T/hsm/tokens" "$T/hsm/tokens.away"
out=$("$SEALER_CLIENT" "$R" lot 3 1006 1 "$h2" "$O/3.xml"); rc=$?
t_eq "token gone: refused, retry later" "$rc" 3
t_match "token gone: says why" "$out" "^fail 5 "
t_ok "token gone: sealerd still running" alive
out=$("$SEALER_CLIENT" "$R" lot 3 1006 1 "$h2" "$O/3.xml"); rc=$?
t_match "token gone: says what is wrong" "$out" "^fail 5 HSM unavailable: (no token labelled \"cfjl\"|cannot initialise PKCS#11 module $HSM_MODULE \(is its token storage there)"
t_match "token gone: status says so" "$("$SEALER_CLIENT" "$R" status)" '"present":false'
mv "$T/hsm/tokens.away" "$T/hsm/tokens"
h3=$("$SEALER_CLIENT" "$R" lot 3 1006 1 "$h2" "$O/3.xml"); rc=$?
t_eq "token back: lot 3 sealed" "$rc" 0
t_ok "token back: lot 3 verifies" sealer_verify_xml "$O/3.xml"
t_match "token loss in the log" "$(cat "$T/sealerd.log")" "HSM unavailable: "
t_match "token return in the log" "$(tail -n 5 "$T/sealerd.log")" "HSM token \"cfjl\" open"
sd_stop

# No such token at start: sealerd runs, refuses, and recovers alone.
SEAL_TOKEN=later sealer_conf
t_ok "starts without its token" sd_start
t_match "says so at start" "$(cat "$T/sealerd.log")" 'no token labelled "later"'
out=$("$SEALER_CLIENT" "$R" lot 4 1007 1 "$h3" "$O/4.xml"); rc=$?
t_eq "no token: refused" "$rc" 3
t_match "no token: says why" "$out" '^fail 5 HSM unavailable: no token labelled "later"'
t_ok "no token: still running" alive
sd_stop

# Token storage missing at start: sealerd waits and recovers by itself.
sealer_conf
mv "$T/hsm/tokens" "$T/hsm/tokens.away"
t_ok "starts without its token storage" sd_start
out=$("$SEALER_CLIENT" "$R" lot 4 1007 1 "$h3" "$O/4.xml"); rc=$?
t_eq "no token storage: refused" "$rc" 3
mv "$T/hsm/tokens.away" "$T/hsm/tokens"
n=80; while ! tail -n 3 "$T/sealerd.log" | grep -q 'HSM token "cfjl" open' && [ $n -gt 0 ]; do sleep 0.1; n=$((n - 1)); done
t_match "token storage back: found without a request" "$(tail -n 3 "$T/sealerd.log")" 'HSM token "cfjl" open'
t_eq "token storage back: seals" "$("$SEALER_CLIENT" "$R" lot 4 1007 1 "$h3" "$O/4.xml" >/dev/null; echo $?)" 0
t_ok "token storage back: lot 4 verifies" sealer_verify_xml "$O/4.xml"
sd_stop

# No module at start: confined all the same, refuses, and once the
# module appears loads it and forbids mapping code from then on.
SEAL_MODULE=$T/module.so sealer_conf
t_ok "starts without its PKCS#11 module" sd_start
out=$("$SEALER_CLIENT" "$R" lot 5 1008 1 zero "$O/5.xml"); rc=$?
t_eq "no module: refused" "$rc" 3
t_match "no module: says why" "$out" "^fail 5 HSM unavailable: cannot load PKCS#11 module $T/module.so"
t_match "no module: confined while waiting, and says so" "$(cat "$T/sealerd.log")" "confined, waiting: the PKCS#11 module cannot be loaded yet"
t_eq "no module: Seccomp: 2 while waiting" "$(awk '/^Seccomp:/ { print $2 }' "/proc/$PID/status")" 2
t_eq "no module: one filter while waiting" "$(awk '/^Seccomp_filters:/ { print $2 }' "/proc/$PID/status")" 1
ln -s "$HSM_MODULE" "$T/module.so"
n=80; while ! grep -q "no more code may be mapped" "$T/sealerd.log" && [ $n -gt 0 ]; do sleep 0.1; n=$((n - 1)); done
t_match "module found: loaded, filter tightened" "$(cat "$T/sealerd.log")" "module.so loaded: no more code may be mapped from now on"
t_eq "module found: the steady-state filter stacked" "$(awk '/^Seccomp_filters:/ { print $2 }' "/proc/$PID/status")" 2
out=$("$SEALER_CLIENT" "$R" lot 5 1008 1 zero "$O/5.xml"); rc=$?
t_eq "module found: lot sealed" "$rc" 0
t_ok "module found: lot verifies" sealer_verify_xml "$O/5.xml"
t_ok "still running, confined" alive
sd_stop

# An untrustworthy clock stops sealing.
sealer_conf "clock max-error 10s"
state=$("$SEAL_TEST" -f "$C" clock 2>/dev/null)
if grep -q CFJL_TEST_CLOCK "$SEALERD"; then
	hook=1
else
	hook=0
fi
case "$state:$hook" in
*refusing:*)	t_ok "strict clock (kernel unsynchronised)" sd_start ;;
*:1)		export CFJL_TEST_CLOCK=unsync
		t_ok "strict clock (test hook CFJL_TEST_CLOCK=unsync)" sd_start ;;
*)		t_log "clock synchronised and no test hooks in sealerd: skipping the refusal"
		state=skip ;;
esac
if [ "$state" != skip ]; then
	out=$("$SEALER_CLIENT" "$R" lot 6 1009 1 zero "$O/6.xml"); rc=$?
	t_eq "unsynchronised clock: refused" "$rc" 3
	t_match "unsynchronised clock: says why" "$out" "^fail 10 time-stamping refused: the system clock is not synchronised"
	t_not "unsynchronised clock: nothing sealed" test -e "$O/6.xml"
	t_match "unsynchronised clock: status" "$("$SEALER_CLIENT" "$R" status)" '"relaxed":false,"stamping":false'
	t_match "unsynchronised clock: logged" "$(cat "$T/sealerd.log")" "time-stamping stopped"
	sd_stop
	unset CFJL_TEST_CLOCK
fi
t_done
