#!/bin/sh
# frontd's memory with 1,000 idle TLS connections, each having asked
# one request: per-connection buffers are given back while idle, and
# the memory of the connections is returned once they close.  The
# figures (of the largest process) are logged; the bounds asserted are
# generous (64 MiB a process).
. "$(dirname "$0")/../lib/common.sh"
t_unprivileged "$@"
t_need curl openssl ss
[ -d "$ARJEL/xsd" ] || t_skip "no ARJEL schemas in $ARJEL"
t_tmpdir
. "$TOP/regress/frontd/alone.sh"
alone_start "	max-connections 1100
	max-connections-per-client 1100
	idle-timeout 300s"

# The largest process's: the parent's or a worker's (the bound is a
# process's).
rss()
{
	for _p in $FRONTD_PID $(pgrep -P "$FRONTD_PID"); do
		sed -n 's/^VmRSS:[[:space:]]*\([0-9]*\) kB/\1/p' "/proc/$_p/status"
	done | sort -n | tail -n 1
}
mib() { awk -v k="$1" 'BEGIN { printf "%.1f", k / 1024 }'; }

# One request first: schemas and TLS state are loaded by then.
http GET depositor /v1/nope
t_eq "a first request: 404" "$CODE" 404
before=$(rss)
mkfifo "$T/hold"
/usr/bin/python3 "$TOP/regress/frontd/idle.py" "$PORT" "$P" depositor 1000 \
    < "$T/hold" > "$T/idle.out" 2>&1 &
IDLE=$!
exec 3> "$T/hold"
n=600
until grep -q '^ready' "$T/idle.out" || [ $n -le 0 ]; do sleep 0.1; n=$((n - 1)); done
t_eq "1000 idle connections, each answered once" "$(cat "$T/idle.out")" "ready 1000"
sleep 1
idle=$(rss)
http GET depositor /v1/nope
t_eq "another client served meanwhile" "$CODE" 404
exec 3>&-
wait $IDLE
# The memory comes back a second after the closes, or up to 10 s later
# if a trim ran while some were still open (frontd trims every 10 s at
# most).
n=30
if t_sanitized "$FRONTD"; then n=4; fi
while [ $n -gt 0 ] && [ "$(rss)" -gt $((before + 8192)) ]; do
	sleep 0.5; n=$((n - 1))
done
after=$(rss)
t_log "# frontd RSS: $(mib "$before") MiB before, $(mib "$idle") MiB with 1000 idle TLS connections, $(mib "$after") MiB after they closed"
# The sanitizers' allocator (make SAN=1) keeps shadow memory and a
# quarantine of what is freed, and gives nothing back on a trim: its
# figures are logged, not judged.
if t_sanitized "$FRONTD"; then
	t_log "# built with the sanitizers: the bounds are not judged"
else
	t_ok "1000 idle connections: at most 64 MiB" [ "$idle" -le 65536 ]
	t_ok "after they closed: within 8 MiB of before" \
	    [ "$after" -le $((before + 8192)) ]
fi
t_ok "frontd still runs" kill -0 "$FRONTD_PID"
t_done
