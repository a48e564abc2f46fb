#!/bin/sh
# The end-to-end tests' sandbox checks catch what they are for: a
# process without a seccomp filter is named, one under a filter passes,
# a daemon that ended by SIGSYS is named, whether its status or its log
# tells.
. "$(dirname "$0")/../lib/common.sh"
t_unprivileged "$@"
t_tmpdir
. "$TOP/regress/lib/suite.sh"
SUITE=$T
mkdir -p "$T/run" "$T/log"

# An unconfined stand-in for a daemon.
sleep 30 &
echo $! > "$T/run/frontd.pid"
out=$(suite_confined frontd 2>&1); rc=$?
t_eq "unconfined process: refused" "$rc" 1
t_match "unconfined process: named with its Seccomp value" "$out" \
    "^frontd: not under a seccomp filter \\(pid and Seccomp: $(cat "$T/run/frontd.pid")\\(0\\)\\)$"
kill "$(cat "$T/run/frontd.pid")"
suite_reap frontd "$(cat "$T/run/frontd.pid")"
rm -f "$T/run/frontd.pid"
out=$(suite_confined frontd 2>&1); rc=$?
t_eq "a daemon not running: refused" "$rc" 1
t_match "a daemon not running: said" "$out" "^frontd is not running$"

t_ok "a stop by SIGTERM is not SIGSYS" suite_no_sigsys
sh -c 'kill -SYS $$' &
suite_reap stored $!
out=$(suite_no_sigsys); rc=$?
t_eq "a daemon ended by SIGSYS: caught" "$rc" 1
t_match "a daemon ended by SIGSYS: named" "$out" "^killed by SIGSYS: stored \\(pid [0-9]+\\)$"
: > "$T/log/exits"
echo "sealerd: worker 12 terminated by signal 31" > "$T/log/sealerd.log"
out=$(suite_no_sigsys); rc=$?
t_eq "SIGSYS in a log: caught" "$rc" 1
t_match "SIGSYS in a log: the log named" "$out" "named in $T/log/sealerd.log"
rm -f "$T/log/sealerd.log"

# A real daemon under its own filter passes (when auditd is built).
B=$(suite_bin auditd)
if [ -x "$B" ]; then
	mkdir -p "$T/journal"
	cat > "$T/cfjl.conf" <<CONF
operator 48
vault 1
runtime-dir "$T/run"
auditd {
	journal "$T/journal"
}
CONF
	"$B" -d -f "$T/cfjl.conf" > "$T/log/auditd.log" 2>&1 &
	echo $! > "$T/run/auditd.pid"
	t_wait_path "$T/run/audit.sock" 10
	t_ok "auditd under its filter: passes" suite_confined auditd
	suite_stop auditd
	t_ok "auditd stopped by SIGTERM: no SIGSYS" suite_no_sigsys
fi
T_DONE_HOOKS=""
t_done
