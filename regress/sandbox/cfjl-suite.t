#!/bin/sh
# scripts/cfjl-suite with stand-in daemons: start order and socket wait,
# pid files, status, refusal to start twice, stop in reverse order,
# SIGKILL after the bounded wait, a daemon that dies at start.
. "$(dirname "$0")/../lib/common.sh"
t_need python3 setsid
t_tmpdir

SUITE_CMD=$TOP/scripts/cfjl-suite
export CFJL_BIN=$T/bin CFJL_SUITE_WAIT=1
RUN=$T/run
EVENTS=$T/events
export EVENTS

# A stand-in: binds its socket in the runtime directory, records start
# and stop.  It says "configuration OK" with -n, like daemon.c, which is
# how cfjl-suite tells our daemons from others.
mkdir -p "$T/bin"
cat >"$T/bin/standin" <<'PY'
#!/usr/bin/env python3
import os, re, signal, socket, sys, time
name = os.path.basename(sys.argv[0])
conf = sys.argv[sys.argv.index("-f") + 1]
run = os.environ.get("STANDIN_RUN") or \
    re.search(r'runtime-dir "([^"]*)"', open(conf).read()).group(1)
if "-n" in sys.argv:
    print('runtime-dir "%s"' % run)
    print("configuration OK", file=sys.stderr)
    sys.exit(0)
def log(what):
    with open(os.environ["EVENTS"], "a") as f:
        f.write("%s %s\n" % (what, name))
if os.environ.get("STANDIN_FAIL") == name:
    print("%s: fatal: cannot open the thing" % name, file=sys.stderr)
    sys.exit(1)
def term(sig, frame):
    log("stop")
    sys.exit(0)
if os.environ.get("STANDIN_STUBBORN") == name:
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
else:
    signal.signal(signal.SIGTERM, term)
socks = {"auditd": "audit.sock", "sealerd": "sealer.sock",
    "stored": "stored.sock", "frontd": "frontd.ctl"}
time.sleep(0.1)
log("start")
s = socket.socket(socket.AF_UNIX)
s.bind(os.path.join(run, socks[name]))
s.listen()
for i in range(600):
    time.sleep(0.1)
PY
chmod +x "$T/bin/standin"
for d in auditd sealerd stored frontd; do
	mkdir "$T/bin/$d"
	ln -s ../standin "$T/bin/$d/$d"
done
printf 'runtime-dir "%s"\n' "$RUN" >"$T/cfjl.conf"

suite() { "$SUITE_CMD" -f "$T/cfjl.conf" "$@"; }
# gone PID: no such process, or a zombie nobody reaped yet.
gone()
{
	kill -0 "$1" 2>/dev/null || return 0
	[ "$(awk '{ print $3 }' "/proc/$1/stat" 2>/dev/null)" = Z ]
}

out=$(suite start 2>&1)
t_eq "start: exit 0" "$?" 0
t_eq "start: in dependency order" "$(cat "$EVENTS" | tr '\n' ,)" \
    "start auditd,start sealerd,start stored,start frontd,"
t_match "start: reports pids" "$out" "^auditd started \(pid [0-9]+\)"
for d in auditd sealerd stored frontd; do
	t_ok "$d.pid names a live process" kill -0 "$(cat "$RUN/$d.pid")"
done
t_ok "runtime directory taken from the configuration" \
    test -S "$RUN/stored.sock"

out=$(suite status)
t_eq "status: exit 0 when all run" "$?" 0
t_match "status: one line each" "$(echo "$out" | wc -l)" "^4$"
t_match "status: frontd running" "$out" "frontd running \(pid [0-9]+\)"

out=$(suite start 2>&1)
t_eq "second start: exit 1" "$?" 1
t_match "second start: says why" "$out" \
    "cfjl-suite: auditd is already running \(pid [0-9]+\): stop the suite first"

: >"$EVENTS"
pids=$(cat "$RUN"/*.pid)
suite stop >/dev/null 2>&1
t_eq "stop: exit 0" "$?" 0
t_eq "stop: in reverse order" "$(cat "$EVENTS" | tr '\n' ,)" \
    "stop frontd,stop stored,stop sealerd,stop auditd,"
for p in $pids; do
	t_ok "pid $p is gone" gone "$p"
done
t_eq "stop: pid files removed" "$(ls "$RUN" | grep -c '\.pid$')" 0
out=$(suite status)
t_eq "status: exit 3 when stopped" "$?" 3
t_match "status: auditd stopped" "$out" "^auditd stopped"

# A daemon that dies at start: clear error, the others are stopped.
: >"$EVENTS"
out=$(STANDIN_FAIL=stored suite start 2>&1)
t_eq "failed start: exit 1" "$?" 1
t_match "failed start: names the daemon" "$out" \
    "cfjl-suite: stored died at start \(exit 1\)"
t_match "failed start: shows its log" "$out" \
    "stored: fatal: cannot open the thing"
t_eq "failed start: the earlier ones were stopped" \
    "$(cat "$EVENTS" | tr '\n' ,)" \
    "start auditd,start sealerd,stop sealerd,stop auditd,"
t_eq "failed start: frontd never ran" "$(ls "$RUN" | grep -c '\.pid$')" 0

# A daemon that ignores SIGTERM is killed after CFJL_SUITE_WAIT.
STANDIN_STUBBORN=sealerd suite start >/dev/null 2>&1
pid=$(cat "$RUN/sealerd.pid")
start=$(date +%s)
out=$(suite stop 2>&1)
t_match "stubborn: SIGKILL after the wait" "$out" \
    "cfjl-suite: sealerd \(pid $pid\) ignored SIGTERM for 1s: SIGKILL"
t_ok "stubborn: the wait is bounded" test $(( $(date +%s) - start )) -le 4
sleep 0.2
t_ok "stubborn: sealerd is gone" gone "$pid"

# -r overrides the configuration; a missing binary is a clear error.
mkdir "$T/run2"
rm "$T/bin/frontd/frontd"
out=$(STANDIN_RUN=$T/run2 suite -r "$T/run2" start 2>&1)
t_eq "missing frontd: exit 1" "$?" 1
t_match "missing frontd: says so" "$out" "cfjl-suite: frontd is not built"
t_ok "-r: the logs and sockets are in the other directory" \
    test -f "$T/run2/auditd.log" -a -S "$T/run2/audit.sock"
t_eq "missing frontd: the others were stopped" \
    "$(ls "$T/run2" | grep -c '\.pid$')" 0

out=$("$SUITE_CMD" restart 2>&1)
t_eq "unknown command: exit 2" "$?" 2
t_eq "unknown command: usage" "$out" \
    "usage: cfjl-suite [-dv] [-f file] [-r dir] start|stop|status"

t_done
