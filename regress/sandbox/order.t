#!/bin/sh
# Every daemon starts the same way: common/proc.c logs each step of the
# start-up ("start-up: STEP", -v), and the four daemons of a running
# suite must show the same steps in the same order, the documented one,
# ending in the event loop; and -n stops after the configuration.
. "$(dirname "$0")/../lib/common.sh"
t_unprivileged "$@"
t_need psql
t_tmpdir
. "$TOP/regress/lib/suite.sh"
suite_setup || exit 2
suite_start || exit 2

steps() { sed -n 's/.*start-up: \([a-z]*\)$/\1/p' "$SUITE/log/$1.log" | tr '\n' ' '; }
want="arguments config event open detach signals chroot drop limits filter audit start loop "

# frontd's one exception, in its description: it forks its workers.
wantf="arguments config event open detach signals chroot drop limits filter audit start fork loop "

for d in auditd sealerd stored frontd; do
	n=50; while ! grep -q "start-up: loop" "$SUITE/log/$d.log" && [ $n -gt 0 ]; do sleep 0.1; n=$((n - 1)); done
	w=$want; [ "$d" = frontd ] && w=$wantf
	t_eq "$d: the steps of the start-up, in order" "$(steps "$d")" "$w"
done
t_eq "frontd starts as stored does, then forks" "$(steps frontd)" \
    "$(steps stored | sed 's/start loop/start fork loop/')"
# Each worker takes its own steps after the fork, in this order.
n=50; while ! grep -q "start-up: worker 1: loop" "$SUITE/log/frontd.log" && [ $n -gt 0 ]; do sleep 0.1; n=$((n - 1)); done
t_eq "frontd worker 1: its steps, in order" \
    "$(sed -n 's/.*start-up: worker 1: \([a-z]*\)$/\1/p' "$SUITE/log/frontd.log" | head -6 | tr '\n' ' ')" \
    "forget limits filter audit start loop "
t_eq "sealerd and auditd start alike" "$(steps sealerd)" "$(steps auditd)"
# Each step appears once: no daemon takes a step twice or its own way.
for d in auditd sealerd stored frontd; do
	t_eq "$d: no step taken twice" "$(steps "$d" | tr ' ' '\n' | sed '/^$/d' | sort | uniq -d)" ""
	# The audit link is made after the filter, before start.
	t_match "$d: the journal link after the filter" "$(steps "$d")" "filter audit start"
done

# -n: arguments and configuration only, nothing opened.
for d in auditd sealerd stored frontd; do
	out=$("$(suite_bin "$d")" -n -v -f "$SUITE/cfjl.conf" 2>&1); rc=$?
	t_eq "$d -n: exits 0" "$rc" 0
	t_match "$d -n: checks the file" "$out" "configuration OK"
	t_not "$d -n: opens nothing" sh -c 'printf "%s\n" "$1" | grep -q "start-up: open"' sh "$out"
done
t_done
