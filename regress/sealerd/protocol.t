#!/bin/sh
# sealerd drops a peer that breaks the protocol, logs why once (the
# message type and the peer), and goes on serving the others: a short
# lot, a status request with a payload, an event whose type is not
# terminated, a stray descriptor, a journal without its descriptor, a
# journal from stored (only auditd may send one), a name that is not
# one of the configured users'.
. "$(dirname "$0")/../lib/common.sh"
t_unprivileged "$@"
. "$(dirname "$0")/setup.sh"
sealer_need
[ -x "$SEALERD" ] || t_skip "sealerd not built"
[ -x "$SEALER_CLIENT" ] || t_skip "sealer_client not built"
t_tmpdir
sealer_setup > "$T/setup.log" 2>&1 || { cat "$T/setup.log"; exit 1; }
C=$T/cfjl.conf
R=$T/run
PID=

sd_stop()
{
	[ -n "$PID" ] || return 0
	kill "$PID" 2>/dev/null
	n=50; while kill -0 "$PID" 2>/dev/null && [ $n -gt 0 ]; do sleep 0.1; n=$((n - 1)); done
	kill -9 "$PID" 2>/dev/null
	PID=
}
t_cleanup_add sd_stop
rm -f "$R/sealer.sock"
"$SEALERD" -d -v -f "$C" >> "$T/sealerd.log" 2>&1 &
PID=$!
t_ok "sealerd starts" t_wait_path "$R/sealer.sock" 10

# The status answers before, and after each refusal below.
status=$("$SEALER_CLIENT" "$R" status)
t_match "status answers" "$status" '^\{'

bad()
{
	kind=$1 why=$2 name=${3:-stored}
	out=$("$SEALER_CLIENT" -n "$name" "$R" malformed "$kind")
	t_eq "$kind: the link is dropped unanswered" "$out" "closed"
	sleep 0.2
	t_match "$kind: logged with the type and the peer" \
	    "$(cat "$T/sealerd.log")" "sealer.sock: dropping $name \(uid [0-9]+, pid [0-9]+\): $why\$"
	t_ok "$kind: sealerd still running" kill -0 "$PID"
	t_match "$kind: and still serving" "$("$SEALER_CLIENT" "$R" status)" '^\{'
}
bad short-lot "seal-lot: 1 bytes missing"
bad long-status "sealer-status: 1 bytes left over"
bad unterminated-event "seal-lot: seal_event: unterminated string at offset 16"
bad stray-fd "sealer-status: unexpected descriptor"
bad journal-no-fd "journal-sign: descriptor missing" auditd
bad journal "journal-sign: not a message this sender may send"

# frontd is nobody on sealer.sock: refused at HELLO.
out=$("$SEALER_CLIENT" -n frontd "$R" status 2>&1)
t_match "a name the uid may not claim: no HELLO back" "$out" "closed the connection"
sleep 0.2
t_match "and logged" "$(cat "$T/sealerd.log")" \
    "dropping peer \(uid [0-9]+, pid [0-9]+\): hello: uid [0-9]+ may not speak as frontd\$"
n=$(grep -c "seal-lot: 1 bytes missing" "$T/sealerd.log")
t_eq "each refusal is logged once" "$n" 1
t_done
