#!/bin/sh
# Daemon links between processes: credential check, HELLO, refusals,
# reconnection after a listener restart.  Also checks the log lines a
# person reading the journal would rely on.
cd "$(dirname "$0")" || exit 2
make -s peertest >/dev/null || { echo "cannot build peertest"; exit 1; }
dir=$(mktemp -d "${TMPDIR:-/tmp}/cfjl-peer.XXXXXX") || exit 2
trap 'rm -rf "$dir"' EXIT
# As root, run as nobody: a root listener is trusted by every connector
# (it could be anyone), so the wrong-uid refusal needs an ordinary one.
U=$(id -u)
run_as=""
if [ "$U" -eq 0 ]; then
	U=65534
	chmod 0777 "$dir"
	run_as="setpriv --reuid=$U --regid=$U --clear-groups"
fi
$run_as ./peertest "$dir" 2>"$dir/stderr"
rc=$?
cat "$dir/stderr"
fail=0
expect()
{
	if grep -q "$1" "$dir/stderr"; then
		echo "ok - log: $1"
	else
		echo "not ok - log: $1"; fail=1
	fi
}
expect "stored.sock: refused connection from uid $U (pid [0-9]*)$"
expect "refused future (uid $U, pid [0-9]*): protocol version 101, ours is 3"
expect "dropping frontd (uid $U, pid [0-9]*): unknown: unknown message type 9999$"
expect "dropping frontd (uid $U, pid [0-9]*): lot-get: 1 bytes missing$"
expect "dropping frontd (uid $U, pid [0-9]*): lot-get: 1 bytes left over$"
expect "dropping frontd (uid $U, pid [0-9]*): status-get: unexpected descriptor$"
expect "dropping sealerd (uid $U, pid [0-9]*): status-get: not a message this sender may send$"
expect "dropping peer (uid $U, pid [0-9]*): hello: uid $U may not speak as auditd$"
expect "dropping peer (uid $U, pid [0-9]*): status-get: not a HELLO$"
expect "dropping frontd (uid $U, pid [0-9]*): Message too long"
expect "frontd: stored broke the protocol: unknown: unknown message type 9999; link dropped"
expect "frontd: lost stored: connection closed, reconnecting"
expect "is served by uid $U (pid [0-9]*), not $((U + 1))"
expect "frontd: sealer.sock broke the protocol: hello: the listener of sealer.sock says it is stored; link dropped"
# Each protocol error is logged once, not once more by the daemon.
n=$(grep -c "lot-get: 1 bytes missing" "$dir/stderr")
if [ "$n" -eq 1 ]; then echo "ok - one line per protocol error"
else echo "not ok - one line per protocol error ($n)"; fail=1; fi
[ "$rc" -eq 0 ] && [ "$fail" -eq 0 ]
