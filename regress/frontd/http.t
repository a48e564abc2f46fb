#!/bin/sh
# frontd's HTTP parser: the unit-test program's own checks (malformed and
# hostile requests, pipelining, limits, byte-by-byte input).
. "$(dirname "$0")/../lib/common.sh"
B=$(dirname "$0")
[ -x "$B/httptest" ] || t_skip "httptest not built (make -C regress)"
out=$("$B/httptest"); rc=$?
printf '%s\n' "$out"
t_eq "httptest exits 0" "$rc" 0
t_match "httptest ran its checks" "$(printf '%s\n' "$out" | tail -n 1)" "^[0-9]+ passed, 0 failed$"
[ -x "$B/jsontest" ] || t_skip "jsontest not built"
out=$("$B/jsontest"); rc=$?
printf '%s\n' "$out"
t_eq "jsontest exits 0" "$rc" 0
t_done
