#!/bin/sh
# frontd under hostile load keeps serving the clients that have a
# certificate: a flood of connections that never start their TLS
# handshake, held open and reopened from several addresses, is bounded
# by max-handshakes, max-handshakes-per-client and handshake-timeout;
# 1 MB traces built to make the checks superlinear are refused in
# milliseconds; a certificate without a role loses its connection with
# its 403.
. "$(dirname "$0")/../lib/common.sh"
t_unprivileged "$@"
t_need curl openssl ss
[ -d "$ARJEL/xsd" ] || t_skip "no ARJEL schemas in $ARJEL"
t_tmpdir
. "$TOP/regress/frontd/alone.sh"
# Connections per address as high as in all: only the handshake caps
# stand between the flood and the slots.
# One worker: the caps are each worker's own (frontd(8)).
alone_start "	workers 1
	max-connections 1024
	max-connections-per-client 1024
	max-handshakes 64
	max-handshakes-per-client 32
	handshake-timeout 2s
	max-body 2M"

json() { sed -n "s/.*\"$1\":\"\([^\"]*\)\".*/\1/p" "$T/body"; }
F=$TOP/regress/frontd/flood.py

# probe N: N requests of a good client, one connection each; prints the
# codes, then the slowest time.
probe()
{
	codes=""; worst=0
	i=0
	while [ $i -lt "$1" ]; do
		r=$(curl -sS --max-time 5 -o /dev/null -w '%{http_code} %{time_total}' \
		    --cacert "$P/ca.pem" --cert "$P/depositor.pem" --key "$P/depositor.key" \
		    "$URL/v1/nope" 2>/dev/null)
		codes="$codes${r%% *} "
		worst=$(awk -v a="$worst" -v b="${r#* }" 'BEGIN { print (b > a ? b : a) }')
		i=$((i + 1))
		sleep 0.2
	done
	echo "$codes$worst"
}

# sockets: the most connections frontd says it holds, over a second.
CTL=$TOP/regress/cfjlctl/ctlraw
[ -x "$CTL" ] || t_skip "ctlraw not built"
sockets()
{
	i=0; pids=""
	while [ $i -lt 8 ]; do
		"$CTL" "$T/run" frontd status > "$T/ctl.$i" 2>&1 &
		pids="$pids $!"
		i=$((i + 1)); sleep 0.1
	done
	wait $pids
	sed -n 's/.* \([0-9]*\) connections,.*/\1/p' "$T"/ctl.* | sort -n | tail -n 1
}
base=$(sockets)

# --- 1,000 bare connections from one address: max-handshakes-per-client ---
/usr/bin/python3 "$F" "$PORT" 1000 6 127.0.0.2 > "$T/flood.out" 2>&1 &
FLOOD=$!
sleep 1
n=$(( $(sockets) - base ))
t_log "# one address: frontd holds $n sockets of the flood"
t_ok "one address: frontd holds at most max-handshakes-per-client (32)" [ "$n" -le 32 ]
out=$(probe 4)
t_log "# good client during the flood: $out"
t_match "one address: 4 probes during the flood, all answered" "$out" "^(404 ){4}"
t_ok "one address: each within 1 s" awk -v w="${out##* }" 'BEGIN { exit !(w < 1) }'
wait $FLOOD
t_log "# flood: $(cat "$T/flood.out")"
t_match "one address: the flood was cut and reopened" "$(cat "$T/flood.out")" "dropped [1-9][0-9]{2,}"
t_match "one address: the cuts are counted in the log" "$(cat "$T/frontd.log")" \
    "connections closed in their TLS handshake: [1-9][0-9]* over max-handshakes-per-client, [0-9]+ over max-handshakes, [0-9]+ after handshake-timeout"
sleep 1

# --- 1,000 from 8 addresses: max-handshakes, the oldest evicted ---
addrs="127.0.0.2 127.0.0.3 127.0.0.4 127.0.0.5 127.0.0.6 127.0.0.7 127.0.0.8 127.0.0.9"
/usr/bin/python3 "$F" "$PORT" 1000 8 $addrs > "$T/flood.out" 2>&1 &
FLOOD=$!
sleep 1
n=$(( $(sockets) - base ))
t_log "# 8 addresses: frontd holds $n sockets of the flood"
t_ok "8 addresses: frontd holds at most max-handshakes (64)" [ "$n" -le 64 ]
out=$(probe 6)
t_log "# good client during the flood: $out"
t_match "8 addresses: 6 probes during the flood, all answered" "$out" "^(404 ){6}"
t_ok "8 addresses: each within 1 s" awk -v w="${out##* }" 'BEGIN { exit !(w < 1) }'
wait $FLOOD
t_log "# flood: $(cat "$T/flood.out")"
t_match "8 addresses: the flood was cut and reopened" "$(cat "$T/flood.out")" "dropped [1-9][0-9]{2,}"
t_match "8 addresses: evictions counted in the log" "$(cat "$T/frontd.log")" \
    "TLS handshake: [0-9]+ over max-handshakes-per-client, [1-9][0-9]* over max-handshakes"
sleep 1

# --- pathological traces: refused in milliseconds, others served ---
# pathological NAME: the PASPMISE sample made 1 MB of trouble.
pathological()
{
	sed 's|<IDEvt>1</IDEvt>|<IDEvt>0</IDEvt>|' "$ARJEL/samples/PASPMISE.xml" |
	    /usr/bin/python3 -c '
import sys
base, kind = sys.stdin.read(), sys.argv[1]
M = 1000000
if kind == "attrs":
    at, add = "<PASPMISE", "".join(" a%d=\"x\"" % k for k in range(95000))
elif kind == "ns":
    at = "<Tech>41</Tech>"
    dec = "".join("<d" + "".join(" xmlns:q%d_%d=\"u:%d\"" % (d, k, k)
        for k in range(32)) + ">" for d in range(29))
    add = dec + "<q0_0:a/>" * ((M - len(dec)) // 9) + "</d>" * 29
else:
    at = "<Tech>41</Tech>"
    add = ("<b>" * 250 + "</b>" * 250) * (M // 1750)
i = base.index(at) + len(at)
sys.stdout.write(base[:i] + add + base[i:])' "$1" > "$T/$1.xml"
}
for k in attrs ns deep; do pathological $k; done
t_log "# 95000 attributes: $(wc -c < "$T/attrs.xml") bytes"
(
	for round in 1 2 3; do
		for k in attrs ns deep; do
			curl -sS --max-time 10 -o "$T/p.$k.$round" -w "$k %{http_code} %{time_total}\n" \
			    --cacert "$P/ca.pem" --cert "$P/depositor.pem" --key "$P/depositor.key" \
			    -H 'Content-Type: application/xml' --data-binary @"$T/$k.xml" \
			    "$URL/v1/events"
		done
	done > "$T/patho.out" 2>&1
) &
PATHO=$!
out=$(probe 6)
wait $PATHO
t_log "# good client while the depositor sends them: $out"
t_log "$(sed 's/^/# /' "$T/patho.out")"
t_match "while pathological traces come: 6 probes answered" "$out" "^(404 ){6}"
t_ok "while pathological traces come: each within 1 s" awk -v w="${out##* }" 'BEGIN { exit !(w < 1) }'
t_eq "every pathological trace refused with 400" "$(cut -d' ' -f2 "$T/patho.out" | sort -u)" 400
t_ok "each refused within 1 s, upload included" awk '$3 >= 1 { exit 1 }' "$T/patho.out"
t_match "95000 attributes: the count's refusal" "$(cat "$T/p.attrs.1")" \
    '"error":"too many attributes","detail":"byte [0-9]+: more than 32 attributes on an element"'
t_match "29 x 32 namespace declarations: refused by their count" "$(cat "$T/p.ns.1")" \
    '"error":"too many namespaces","detail":"byte [0-9]+: more than 16 namespace declarations in a trace"'
t_match "1 MB nested 250 deep: refused before parsing" "$(cat "$T/p.deep.1")" \
    '"error":"too deep","detail":"byte [0-9]+: elements nested deeper than 32 levels"'

# --- handshake-timeout: a bare connection is closed after 2 s ---
/usr/bin/python3 - "$PORT" <<'PY' > "$T/one.out"
import socket, sys, time
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
s.settimeout(10)
t = time.time()
try:
    b = s.recv(1)
except OSError:
    b = b""
print("closed" if not b else "data", round(time.time() - t, 1))
PY
t_match "a connection silent in its handshake: closed after handshake-timeout" \
    "$(cat "$T/one.out")" "^closed (1\.[5-9]|2\.[0-9]|3\.0)"

# --- a certificate without a role: 403, and the connection closes ---
out=$(printf 'GET /v1/status HTTP/1.1\r\nHost: x\r\n\r\nGET /v1/status HTTP/1.1\r\nHost: x\r\n\r\n' |
    /usr/bin/python3 "$TOP/regress/frontd/wire.py" -t 8 "$PORT" "$P" nobody)
t_match "no role: 403" "$out" "^403 "
t_eq "no role: one answer, the second request is not read" "$(printf '%s\n' "$out" | grep -c '^[0-9]')" 1
t_match "no role: closed at once after it" "$(printf '%s\n' "$out" | tail -n 1)" "^end [0-2]\."
out=$(printf 'GET /v1/status HTTP/1.1\r\nHost: x\r\n\r\n' |
    /usr/bin/python3 "$TOP/regress/frontd/wire.py" -r -t 8 "$PORT" "$P" nobody)
t_match "no role: Connection: close" "$out" "Connection: close"
t_match "no role: the refusal" "$out" '"status":"CFJL_FORBIDDEN","error":"no role"'
t_ok "frontd still runs" kill -0 "$FRONTD_PID"
t_done
