#!/bin/sh
# frontd's STOMP 1.2 frame reader and writer (frontd/stompframe.c): the
# unit tests of stomptest, each frame read whole and byte by byte.
. "$(dirname "$0")/../lib/common.sh"
B=$TOP/regress/frontd
[ -x "$B/stomptest" ] || t_skip "stomptest not built"
out=$("$B/stomptest"); rc=$?
printf '%s\n' "$out" | grep '^not ok' | while IFS= read -r l; do t_log "$l"; done
t_eq "stomptest: $(printf '%s\n' "$out" | tail -n 1)" "$rc" 0
t_done
