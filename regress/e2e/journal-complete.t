#!/bin/sh
# Every request in the journal, on the running suite.  A deposit group's
# record (IDEvt range, depositor, lot) is durable before the client gets
# its answer: with auditd stopped (SIGSTOP) nothing is acknowledged,
# after a bounded wait the answer is 503 with Retry-After, and with
# auditd killed (-9) during deposits every IDEvt acknowledged is in the
# journal after its restart.  Reads are journaled with the reader's
# subject and what was read; each refusal frontd answers gives its
# record; a flood of bare connections gives a bounded number of them.
. "$(dirname "$0")/../lib/common.sh"
t_unprivileged "$@"
t_need curl openssl psql /usr/bin/python3
t_tmpdir
. "$TOP/regress/lib/suite.sh"
STOMP_PORT=$(( $(suite_free_port) + 1 ))
SUITE_FRONTD="	header-timeout 2s"
suite_setup || exit 2
sed -i "s|^\tlisten on 127.0.0.1 port $SUITE_PORT\$|&\\
	listen on 127.0.0.1 port $STOMP_PORT stomp|" "$SUITE/cfjl.conf"
suite_start || exit 2

J=$SUITE/journal
records() { cat "$J"/*.log | grep -F -- "$1"; }
nrecords() { cat "$J"/*.log | grep -c -F -- "$1"; }
suite_sample OUVINFOPERSO > "$T/good.xml"

# deposit CLIENT-ID: "CODE IDEVT" of a single deposit as the depositor.
deposit()
{
	_c=$(dep_curl -o "$T/ans.$1" -D "$T/hdr.$1" -w '%{http_code}' \
	    -H 'Content-Type: application/xml' -H "Client-Id: $1" \
	    --data-binary @"$T/good.xml" "$CFJL_URL/v1/events")
	echo "$_c $(sed -n 's/.*"idevt":\([0-9]*\).*/\1/p' "$T/ans.$1")"
}

# in_journal IDEVT: an "ok" deposit group record covers it.
in_journal()
{
	cat "$J"/*.log | sed -n 's/.*"event":"deposit",.*"outcome":"ok","details":"group [0-9]*: IDEvt \([0-9]*\)-\([0-9]*\), .*/\1 \2/p' |
	    awk -v n="$1" '$1 <= n && n <= $2 { f = 1 } END { exit !f }'
}

# --- a deposit group and its record ---
set -- $(deposit one)
t_eq "deposit: 201" "$1" 201
t_eq "deposit: IDEvt 1" "$2" 1
t_ok "deposit: its group is journaled" in_journal 1
t_match "deposit: the record names the depositor and the lot" \
    "$(records '"event":"deposit"' | grep '"details":"group')" \
    "\"process\":\"stored\",.*\"subject\":\"$PKI_DEPOSITOR_DN\",\"outcome\":\"ok\",\"details\":\"group [0-9]*: IDEvt 1-1, 1 events, lot [0-9]*, 1 requests; by $PKI_DEPOSITOR_DN\""

# --- auditd stopped: nothing acknowledged until it answers ---
ad=$(suite_pid auditd)
kill -STOP "$ad"
deposit stopped > "$T/stopped.out" &
bg=$!
sleep 3
t_ok "auditd stopped: the deposit is not answered" kill -0 "$bg"
kill -CONT "$ad"
wait "$bg"
set -- $(cat "$T/stopped.out")
t_eq "auditd back: the deposit is answered 201" "$1" 201
t_ok "auditd back: its IDEvt $2 is in the journal" in_journal "$2"

# --- auditd silent past the bound: 503, stored but not acknowledged ---
kill -STOP "$ad"
start=$(date +%s)
set -- $(deposit late)
took=$(( $(date +%s) - start ))
t_eq "journal silent: 503" "$1" 503
t_ok "journal silent: after the bounded wait (${took}s)" \
    [ "$took" -ge 9 -a "$took" -le 20 ]
t_ok "journal silent: Retry-After" grep -qi '^Retry-After: [0-9]' "$T/hdr.late"
t_match "journal silent: says why" "$(cat "$T/ans.late")" \
    '"error":"journal unavailable","detail":"the trace was stored \(IDEvt [0-9]+-[0-9]+\) but its journal record is not durable'
start=$(date +%s)
set -- $(deposit refused-at-once)
t_eq "journal still silent: the next deposit 503" "$1" 503
t_ok "journal still silent: at once" [ $(( $(date +%s) - start )) -le 3 ]
t_match "journal still silent: nothing stored" "$(cat "$T/ans.refused-at-once")" \
    '"detail":"the journal is not reachable.*nothing was stored'
t_eq "journal still silent: the refused trace was not stored" \
    "$(suite_psql "SELECT count(*) FROM events WHERE client_id = 'refused-at-once'")" 0
kill -CONT "$ad"
sleep 1
late=$(suite_psql "SELECT idevt FROM events WHERE client_id = 'late'")
set -- $(deposit late)
t_match "auditd back: the retried deposit is acknowledged" "$1" '^20[01]$'
t_eq "auditd back: with the IDEvt first given" "$2" "$late"
t_ok "auditd back: IDEvt $late is in the journal" in_journal "$late"
t_match "the duplicate answer is journaled" "$(records '"outcome":"duplicate"')" \
    "\"subject\":\"$PKI_DEPOSITOR_DN\",\"outcome\":\"duplicate\",\"details\":\"1 traces already stored \\(IDEvt $late first"

# --- auditd killed during deposits: nothing acknowledged is missing ---
(
	i=0
	while [ $i -lt 40 ]; do
		deposit "k9-$i"
		i=$((i + 1))
	done
) > "$T/k9.out" &
bg=$!
sleep 0.5
suite_kill9 auditd
sleep 1
suite_start auditd || exit 2
wait "$bg"
acked=$(awk '$1 == 201 { print $2 }' "$T/k9.out")
t_ok "kill -9: deposits acknowledged ($(echo $acked | wc -w))" [ -n "$acked" ]
missing=""
for n in $acked; do in_journal "$n" || missing="$missing $n"; done
t_eq "kill -9: every acknowledged IDEvt is in the journal" "$missing" ""
t_eq "kill -9: only 201 and 503 answers" \
    "$(awk '$1 != 201 && $1 != 503' "$T/k9.out")" ""

# --- reads ---
lot=$(suite_psql "SELECT lot FROM events WHERE idevt = 1")
dep_curl -o /dev/null "$CFJL_URL/v1/status"
dep_curl -o /dev/null "$CFJL_URL/v1/lots/$lot"
dep_curl -o /dev/null "$CFJL_URL/v1/lots/999999"
read_curl -o /dev/null "$CFJL_URL/v1/checkpoint"
read_curl -o /dev/null "$CFJL_URL/v1/requests"
sleep 0.5
reads=$(records '"event":"read"')
t_match "read of the status journaled" "$reads" \
    "\"subject\":\"$PKI_DEPOSITOR_DN\",\"outcome\":\"ok\",\"details\":\"status\""
t_match "read of a lot journaled" "$reads" \
    "\"subject\":\"$PKI_DEPOSITOR_DN\",\"outcome\":\"ok\",\"details\":\"lot $lot: "
t_match "read of a missing lot journaled" "$reads" \
    "\"subject\":\"$PKI_DEPOSITOR_DN\",\"outcome\":\"not found\",\"details\":\"lot 999999: no such lot\""
t_match "read of the checkpoint journaled" "$reads" \
    "\"subject\":\"$PKI_READER_DN\",\"outcome\":\"[a-z ]*\",\"details\":\"checkpoint"
t_match "read of the requests journaled" "$reads" \
    "\"subject\":\"$PKI_READER_DN\",\"outcome\":\"ok\",\"details\":\"requests: [0-9]+ exports listed\""

# --- each refusal frontd answers ---
raw()	# raw PORT "request bytes": the answers on stdout
{
	printf "$2" | timeout 10 openssl s_client -quiet -connect "127.0.0.1:$1" \
	    -CAfile "$P/ca.pem" -cert "$P/depositor.pem" -key "$P/depositor.key" 2>/dev/null
}
long=$(awk 'BEGIN { for (i = 0; i < 9000; i++) printf "a" }')
hdrs=$(awk 'BEGIN { for (i = 0; i < 80; i++) printf "X-%d: y\\r\\n", i }')
refusal()	# refusal STATUS "request bytes"
{
	out=$(raw "$SUITE_PORT" "$2")
	t_match "$1: answered" "$out" "^HTTP/1.1 $1 "
}
refusal 400 'GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 1\r\n\r\nx'
refusal 404 'GET /v1/nope HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'
refusal 405 'GET /v1/events HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'
refusal 411 'POST /v1/events HTTP/1.1\r\nHost: x\r\n\r\n'
refusal 413 'POST /v1/events HTTP/1.1\r\nHost: x\r\nContent-Length: 999999999\r\n\r\n'
refusal 414 "GET /$long HTTP/1.1\r\nHost: x\r\n\r\n"
refusal 431 "GET / HTTP/1.1\r\nHost: x\r\n$hdrs\r\n"
out=$( (printf 'GET /v1/status HTTP/1.1\r\nHost: x\r\n'; sleep 4) |
    timeout 10 openssl s_client -quiet -connect "127.0.0.1:$SUITE_PORT" \
    -CAfile "$P/ca.pem" -cert "$P/depositor.pem" -key "$P/depositor.key" 2>/dev/null)
t_match "408: answered" "$out" "^HTTP/1.1 408 "
out=$(raw "$STOMP_PORT" 'SEND\ndestination:/queue/events\n\nx\0')
t_match "STOMP: ERROR frame" "$out" "^ERROR"
echo | timeout 10 openssl s_client -connect "127.0.0.1:$SUITE_PORT" \
    -CAfile "$P/ca.pem" >/dev/null 2>&1
sleep 0.5
refusals=$(records '"event":"request-refused"')
for s in 400 404 405 408 411 413 414 431; do
	t_match "$s journaled with the client's subject" "$refusals" \
	    "\"subject\":\"$PKI_DEPOSITOR_DN\",\"outcome\":\"refused\",\"details\":\"$s "
done
t_match "STOMP ERROR journaled" "$(records '"event":"stomp-refused"')" \
    "\"subject\":\"$PKI_DEPOSITOR_DN\",\"outcome\":\"refused\",\"details\":\"STOMP ERROR 400 "
t_match "TLS refusal journaled with the peer address" \
    "$(records '"event":"tls-refused"')" \
    "\"subject\":\"127.0.0.1\",\"outcome\":\"refused\""

# --- a flood of bare connections: a bounded number of records ---
sleep 11		# the TLS refusal's interval is over
before=$(nrecords '"subject":"127.0.0.1"')
/usr/bin/python3 - "$SUITE_PORT" <<'EOF'
import socket, sys
port = int(sys.argv[1])
for i in range(2000):
    s = socket.create_connection(("127.0.0.1", port))
    s.close()
EOF
sleep 1
after=$(nrecords '"subject":"127.0.0.1"')
# Each of frontd's workers keeps its own counts: a few records each.
t_ok "2000 bare connections: $((after - before)) records at once" \
    [ $((after - before)) -ge 1 -a $((after - before)) -le 12 ]
set -- $(deposit after-flood)
t_eq "after the flood: deposits served" "$1" 201
sleep 10
summary=$(records '"subject":"127.0.0.1"' | grep 'more refusals')
t_match "the flood's count journaled as a summary" "$summary" \
    '"details":"[0-9]+ more refusals \(.*\) in the last 10 s'
total=$(( $(nrecords '"subject":"127.0.0.1"') - before ))
t_ok "the flood cost $total records" [ "$total" -le 24 ]
t_done
