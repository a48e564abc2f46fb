#!/bin/sh
# The Client-Id filter's set grows by layers as ids come, without a
# reload: no id added is ever reported absent, false positives stay
# rare while it has room, and it never holds more bits than allowed.
. "$(dirname "$0")/../lib/common.sh"
t_unprivileged "$@"
t_tmpdir
B=$TOP/regress/stored/bloomset_test
[ -x "$B" ] || t_skip "regress/stored/bloomset_test not built (make -C regress all)"

field() { echo "$1" | sed -n "s/.* $2 \([0-9]*\).*/\1/p; s/^$2 \([0-9]*\).*/\1/p"; }

out=$("$B" 1024 1048576 0)
t_eq "an empty set: one layer, no id" "$(field "$out" layers) $(field "$out" ids)" "1 0"

# 100,000 ids in a set whose first layer holds 64.
out=$("$B" 1024 16777216 100000)
t_ok "it grew by layers ($out)" [ "$(field "$out" layers)" -gt 1 ]
t_eq "no id added reported absent" "$(field "$out" missed)" 0
t_ok "false positives under 1 %" [ "$(field "$out" fp_per_10000)" -lt 100 ]
t_ok "within its bits" [ "$(field "$out" kib)" -le 2048 ]

# Bounded at 32 KiB: past that it only fills up, and still misses none.
out=$("$B" 65536 262144 200000)
t_ok "bounded: no more than its bits ($out)" [ "$(field "$out" kib)" -le 32 ]
t_eq "bounded: no id added reported absent" "$(field "$out" missed)" 0
t_done
