#!/bin/sh
# No handler reads a payload by hand: imsg->data, imsg_get_len() and the
# like belong to the imsg library and the message layer (common/msg.c),
# and a message type is chosen by a dispatch table, not by a switch.
cd "$(dirname "$0")/../.." || exit 2
fail=0; passed=0; failed=0
check()
{
	what=$1; shift
	found=$(grep -rnE "$@" --include='*.c' --include='*.h' \
	    frontd stored sealerd auditd common cfjlctl cfjl-keys cfjl-verify \
	    | grep -v '^common/msg\.c:')
	if [ -z "$found" ]; then
		echo "ok - $what"; passed=$((passed + 1))
	else
		echo "not ok - $what"; echo "$found" | sed 's/^/	/'
		fail=1; failed=$((failed + 1))
	fi
}
check "no payload read outside the message layer" \
    'imsg(->|\.)data|imsg_get_len|imsg_get_data|IMSG_DATA_SIZE'
check "no switch on a message type outside the tables" \
    'switch \(imsg(->|\.)hdr\.type\)|switch \(type\)'
check "no sender checked by name in a handler" \
    'strcmp\(p->name,'
# The check itself must see what it looks for.
tmp=$(mktemp -d) || exit 2
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/stored"
printf 'x = imsg->data;\n' >"$tmp/stored/bad.c"
if grep -rnE 'imsg(->|\.)data' "$tmp/stored" >/dev/null; then
	echo "ok - the pattern finds a hand-read payload"
	passed=$((passed + 1))
else
	echo "not ok - the pattern finds a hand-read payload"
	fail=1; failed=$((failed + 1))
fi
echo "$passed passed, $failed failed"
exit $fail
