#!/bin/sh
# Log functions in the foreground: every line starts with the process
# title, warnings and fatal errors add the system error, debug lines
# appear only when verbose, and fatal errors exit 1.
. "$(dirname "$0")/../lib/common.sh"
t_tmpdir

cd "$TOP/regress/config" || exit 2
if [ ! -x ./logtest ]; then
	make -s logtest >"$T/make.log" 2>&1 || { cat "$T/make.log"; t_skip "cannot build logtest"; }
fi

# check CASE EXPECTED-STATUS EXPECTED-STDERR
check()
{
	./logtest "$1" >"$T/stdout" 2>"$T/stderr"
	rc=$?
	t_eq "$1: exit status" "$rc" "$2"
	t_eq "$1: stderr" "$(cat "$T/stderr")" "$3"
}

check untitled 0 "logtest: no title yet"
check levels 0 "frontd worker: warning 1
frontd worker: info two
frontd worker: debug after toggle"
check verbose 0 "frontd worker: warning 1
frontd worker: info two
frontd worker: debug 3"
check warn 0 "frontd worker: open /nonexistent: No such file or directory"
t_eq "warn: errno preserved" "$(cat "$T/stdout")" "errno kept: 1"
check fatal 1 "frontd worker: fatal: chroot /var/empty: Permission denied"
check fatal-noerrno 1 "frontd worker: fatal: no errno"
check fatalx 1 "frontd worker: fatal: bad message type 42"

t_done
