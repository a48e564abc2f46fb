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
expect "test.sock: refused connection from uid $U (pid [0-9]*)$"
expect "refused future (uid $U, pid [0-9]*): protocol version 99, ours is 1"
expect "dropping one (uid $U, pid [0-9]*): unexpected message"
expect "dropping big (uid $U, pid [0-9]*): Message too long"
expect "victim: test broke the protocol: unexpected message; link dropped"
expect "conn: lost test: connection closed, reconnecting"
expect "is served by uid $U (pid [0-9]*), not $((U + 1))"
[ "$rc" -eq 0 ] && [ "$fail" -eq 0 ]
