#!/bin/sh
# frontd's workers on the real suite.  With "workers 3": a parent that
# serves no client and three confined workers.  While capture agents
# deposit without pause, one worker is killed with SIGKILL and another
# stopped with SIGSTOP: each is replaced (the stopped one after the
# heartbeat timeout), a connection held on a third worker is answered
# throughout, and every acknowledged event is in the database under the
# IDEvt and digest the agent was given.  Then "workers 1" serves alone.
. "$(dirname "$0")/../lib/common.sh"
t_unprivileged "$@"
t_need curl psql /usr/bin/python3
t_tmpdir
. "$TOP/regress/lib/suite.sh"
SUITE_FRONTD="	workers 3"
suite_setup || exit 2
suite_start || exit 2
# cfjlctl asks every daemon whose socket it finds: frontd's alone here.
mkdir "$T/ctl"
ln -s "$SUITE/run/frontd.ctl" "$T/ctl/frontd.ctl"
ctl() { "$TOP/cfjlctl/cfjlctl" -s "$T/ctl" "$@"; }
LOG=$SUITE/log/frontd.log
PARENT=$(suite_pid frontd)

children() { ps -o pid= --ppid "$1" | tr -d ' ' | sort -n | tr '\n' ' '; }
# The pid of worker N, and the worker of a pid, as the parent logged them.
wpid() { sed -n "s/.*: worker $1 started (pid \([0-9]*\))$/\1/p" "$LOG" | tail -n 1; }
field() { awk -v f="$1:" '$1 == f { print $2 }' "/proc/$2/status"; }
# wait_log PATTERN [SECONDS]: until the log has it.
wait_log()
{
	_n=$(( ${2:-10} * 10 ))
	while ! grep -q "$1" "$LOG" && [ $_n -gt 0 ]; do sleep 0.1; _n=$((_n - 1)); done
	grep -q "$1" "$LOG"
}

wait_log ": worker 3: start-up: worker 3: loop" || true
t_eq "workers 3: three children" "$(children "$PARENT" | wc -w)" 3
W1=$(wpid 1) W2=$(wpid 2) W3=$(wpid 3)
t_eq "the children are the workers the parent started" \
    "$(children "$PARENT")" "$(printf '%s\n' "$W1" "$W2" "$W3" | sort -n | tr '\n' ' ')"

# Confinement: the parent has its filter, each worker its own stacked on
# it; all run as the suite's user (confined-frontd.t: as root, the switch).
t_eq "parent: Seccomp: 2" "$(field Seccomp "$PARENT")" 2
t_eq "parent: one filter" "$(field Seccomp_filters "$PARENT")" 1
t_eq "parent: NoNewPrivs" "$(field NoNewPrivs "$PARENT")" 1
for w in $W1 $W2 $W3; do
	t_eq "worker $w: Seccomp: 2" "$(field Seccomp "$w")" 2
	t_eq "worker $w: its filter stacked on the parent's" \
	    "$(field Seccomp_filters "$w")" 2
	t_eq "worker $w: the parent's user" "$(field Uid "$w")" \
	    "$(field Uid "$PARENT")"
done

# --- capture agents, each trace resent with its Client-Id until 201 ---
. "$TOP/regress/lib/agents.sh"
AGENT_RETRIES=200
suite_sample OUVINFOPERSO > "$T/base.xml"
agents_start 3
wait_acks() { agents_wait "$1" 150; }

# --- a connection held on one worker, used before and after ---
cat > "$T/held.py" <<PY
import http.client, json, os, ssl, sys, time
ctx = ssl.create_default_context(cafile="$P/ca.pem")
ctx.check_hostname = False
ctx.load_cert_chain("$P/depositor.pem", "$P/depositor.key")
c = http.client.HTTPSConnection("127.0.0.1", $SUITE_PORT, context=ctx, timeout=30)
def status():
    c.request("GET", "/v1/status")
    r = c.getresponse()
    b = r.read()
    return r.status, json.loads(b)["frontd"]["worker"] if r.status == 200 else 0
s, w = status()
open("$T/held.1.tmp", "w").write("%d %d\n" % (s, w))
os.rename("$T/held.1.tmp", "$T/held.1")
for _ in range(600):
    if os.path.exists("$T/go"):
        break
    time.sleep(0.1)
s, w = status()
body = open("$T/base.xml", "rb").read().replace(b"<IDSession>1</IDSession>", b"<IDSession>agent-held</IDSession>")
c.request("POST", "/v1/events", body=body, headers={"Content-Type": "application/xml", "Client-Id": "agent-held"})
r = c.getresponse()
a = json.loads(r.read())
open("$T/held.2", "w").write("%d %d %d %s %s\n" % (s, w, r.status, a.get("idevt", "-"), a.get("digest", "-")))
PY
/usr/bin/python3 "$T/held.py" > "$T/held.log" 2>&1 &
hpid=$!
n=100; while [ ! -e "$T/held.1" ] && [ $n -gt 0 ]; do sleep 0.1; n=$((n - 1)); done
read hs HW < "$T/held.1"
t_eq "held connection: /v1/status answered by a worker" "$hs" 200
t_ok "held connection: the worker says who it is" [ "$HW" -ge 1 ] && [ "$HW" -le 3 ]
# The parent serves no client: stopped, the workers serve on.
kill -STOP "$PARENT"
c=$(dep_curl -o /dev/null -w '%{http_code}' "$CFJL_URL/v1/status")
kill -CONT "$PARENT"
t_eq "the parent stopped: a new client is served all the same" "$c" 200
t_match "/v1/status says how many workers" "$(dep_curl "$CFJL_URL/v1/status")" '"frontd":\{"worker":[123],"workers":3,'

t_ok "deposits flow" wait_acks 30

# --- SIGKILL: a worker other than the held one dies mid-stream ---
V=$(( HW % 3 + 1 )); VP=$(wpid "$V")
O=$(( V % 3 + 1 )); [ "$O" = "$V" ] || [ "$O" = "$HW" ] && O=$(( O % 3 + 1 ))
kill -9 "$VP"
t_ok "killed worker $V: the parent saw it" wait_log ": worker $V (pid $VP) killed by signal 9"
t_ok "killed worker $V: replaced" wait_log ": worker $V: a new one in"
n=50; while [ "$(wpid "$V")" = "$VP" ] && [ $n -gt 0 ]; do sleep 0.1; n=$((n - 1)); done
NV=$(wpid "$V")
t_ok "killed worker $V: a new process ($VP -> $NV)" [ "$NV" != "$VP" ]
t_ok "killed worker $V: the new one serves" kill -0 "$NV"
t_ok "deposits flow after the SIGKILL" wait_acks 30
t_eq "the held worker $HW was not replaced" "$(wpid "$HW")" \
    "$(eval echo "\$W$HW")"

# --- SIGSTOP: a stuck worker is killed after the heartbeat timeout ---
SP=$(wpid "$O")
kill -STOP "$SP"
t0=$(date +%s)
t_ok "stopped worker $O: killed after the timeout" \
    wait_log ": worker $O (pid $SP): no answer for 10 seconds: killed" 25
t1=$(date +%s)
t_ok "stopped worker $O: not before 9 s ($((t1 - t0)) s)" [ $((t1 - t0)) -ge 9 ]
t_ok "stopped worker $O: replaced" wait_log ": worker $O (pid $SP) killed by signal 9"
n=50; while [ "$(wpid "$O")" = "$SP" ] && [ $n -gt 0 ]; do sleep 0.1; n=$((n - 1)); done
t_ok "stopped worker $O: a new process" [ "$(wpid "$O")" != "$SP" ]
t_ok "deposits flow after the SIGSTOP" wait_acks 30

# The held connection, on a worker untouched, still answers.
touch "$T/go"
n=150; while [ ! -e "$T/held.2" ] && [ $n -gt 0 ]; do sleep 0.1; n=$((n - 1)); done
read h2s h2w h2d h2id h2dg < "$T/held.2" 2>/dev/null
t_eq "held connection: still answered, by the same worker, deposit 201" \
    "$h2s $h2w $h2d" "200 $HW 201"
wait "$hpid"

out=$(ctl status)
t_match "cfjlctl status frontd: the workers, the restarts" "$out" \
    "3 of 3 workers \\(2 restarted\\)"
t_match "cfjlctl status frontd: stored up through every worker" "$out" "stored up"

agents_stop
t_log "$(wc -l < "$T/acks") acknowledged, $(wc -l < "$T/tries") answers retried"
t_ok "no refusal but no answer or 503 while a worker died" \
    test -z "$(awk '$2 != 503 && $2 != "000"' "$T/tries")"
agents_check_order
# The held deposit is one more event; then exactly what was acknowledged
# is stored: IDEvt 1..N, each digest, each Client-Id.
echo "held $h2id $h2dg" >> "$T/acks"
agents_check

# --- workers 1 ---
suite_stop frontd
t_eq "stopped: no worker left behind" "$(children "$PARENT" | wc -w)" 0
sed -i 's/^	workers 3$/	workers 1/' "$SUITE/cfjl.conf"
suite_start frontd || t_fail "frontd restarts with workers 1"
PARENT=$(suite_pid frontd)
wait_log "start-up: worker 1: loop" 10 || true
t_eq "workers 1: one child" "$(children "$PARENT" | wc -w)" 1
t_match "workers 1: /v1/status from worker 1 of 1" \
    "$(dep_curl "$CFJL_URL/v1/status")" '"frontd":\{"worker":1,"workers":1,'
agent_trace one > "$T/one.xml"
t_match "workers 1: a deposit, 201" \
    "$(agent_post "$T/one.xml" w-one "$T/one")" '^201 - CFJL_OK$'
t_match "cfjlctl stop frontd: the parent relays" "$(ctl stop)" "frontd stops"
n=50; while kill -0 "$PARENT" 2>/dev/null && [ $n -gt 0 ]; do sleep 0.1; n=$((n - 1)); done
t_not "cfjlctl stop: the parent is gone" kill -0 "$PARENT"
t_not "cfjlctl stop: no frontd process left" pgrep -f "frontd/frontd -d -v -f $SUITE/cfjl.conf"
t_ok "the workers stopped before the parent" grep -q "every worker stopped" "$LOG"
t_done
