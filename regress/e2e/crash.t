#!/bin/sh
# Durability on the real suite: a capture agent deposits without pause
# while stored, then frontd, are killed with SIGKILL and restarted.  The
# agent resends a trace with the same Client-Id until it gets 201 (503
# with Retry-After while the store is down, no answer while frontd is).
# Afterwards every acknowledged event is in the database under the IDEvt
# and digest the agent was given, decrypts with the regulator's key to
# what was sent, and the IDEvt run is 1..max with no gap or duplicate.
. "$(dirname "$0")/../lib/common.sh"
t_unprivileged "$@"
t_need curl openssl psql xxd
t_tmpdir
. "$TOP/regress/lib/suite.sh"
SUITE_LOT_EVENTS=${SUITE_LOT_EVENTS:-50}
suite_setup || exit 2
suite_start || exit 2

NCLIENTS=${NCLIENTS:-3}	# capture agents depositing side by side
CLIENT_MAX=4000		# deposits at most, each
RETRY_MAX=400		# attempts for one trace, 0.05 s apart
# $T/acks.K: one line per 201 to agent K: K-i idevt digest status
# $T/tries.K: one line per other answer: K-i code retry-after status

# The trace K-i: IDSession names it so that each event differs.
trace()
{
	sed "s|<IDSession>1</IDSession>|<IDSession>crash-$1</IDSession>|" \
	    "$T/base.xml"
}
suite_sample OUVINFOPERSO > "$T/base.xml"

jget()
{
	printf '%s' "$2" | sed -n "s/.*\"$1\":\"\{0,1\}\([^\",}]*\).*/\1/p" |
	    head -n 1
}

# The capture agent K: deposits until $T/stop exists, resending each
# trace with the same Client-Id until it is acknowledged.
client()
{
	k=$1; i=0; acks=$T/acks.$k; log=$T/tries.$k; w=$T/c$k
	end=$(( $(date +%s) + 120 ))
	: > "$acks"; : > "$log"
	while [ ! -e "$T/stop" ] && [ -d "$T" ] && [ $i -lt $CLIENT_MAX ] &&
	    [ "$(date +%s)" -lt $end ]; do
		i=$((i + 1))
		trace "$k-$i" > "$w.xml"
		tries=0
		while [ $tries -lt $RETRY_MAX ] && [ -d "$T" ]; do
			tries=$((tries + 1))
			rm -f "$w.head" "$w.body"
			c=$(curl -sS --max-time 10 --cacert "$P/ca.pem" \
			    --cert "$P/depositor.pem" --key "$P/depositor.key" \
			    -H 'Content-Type: application/xml' \
			    -H "Client-Id: crash-$k-$i" \
			    --data-binary @"$w.xml" -D "$w.head" \
			    -o "$w.body" -w '%{http_code}' \
			    "$CFJL_URL/v1/events" 2>/dev/null)
			if [ "$c" = 201 ]; then
				b=$(cat "$w.body")
				echo "$k-$i $(jget idevt "$b")" \
				    "$(jget digest "$b") $(jget status "$b")" \
				    >> "$acks"
				break
			fi
			ra=$(sed -n 's/^[Rr]etry-[Aa]fter: *\([0-9]*\).*/\1/p' \
			    "$w.head" 2>/dev/null)
			echo "$k-$i ${c:-000} ${ra:--} $(jget status \
			    "$(cat "$w.body" 2>/dev/null)")" >> "$log"
			sleep 0.05
		done
		[ $tries -lt $RETRY_MAX ] || echo "$k-$i gave up" >> "$log"
	done
}

acks() { cat "$T"/acks.* 2>/dev/null | wc -l; }

# wait_acks N: until at least N more acknowledgements (10 s at most).
wait_acks()
{
	want=$(( $(acks) + $1 ))
	n=100
	while [ "$(acks)" -lt $want ] && [ $n -gt 0 ]; do sleep 0.1; n=$((n - 1)); done
	[ "$(acks)" -ge $want ]
}

cpids=""
for k in $(seq 1 "$NCLIENTS"); do
	client "$k" &
	cpids="$cpids $!"
done
t_cleanup_add stop_clients
stop_clients()
{
	touch "$T/stop" 2>/dev/null
	for p in $cpids; do kill "$p" 2>/dev/null; done
	return 0
}
alive()
{
	for p in $cpids; do kill -0 "$p" 2>/dev/null && return 0; done
	return 1
}

t_ok "deposits flow" wait_acks 50

# restart D: suite_start D, as a test.
restart()
{
	suite_start "$1" >"$T/start.out" 2>&1
	t_eq "$1 restarts ($(tail -n 1 "$T/start.out"))" "$?" 0
}

# stored dies in the middle of the stream.  A deposit it committed just
# before may still be acknowledged, none after.
suite_kill9 stored
sleep 0.3
a=$(acks)
sleep 1.2
t_eq "nothing acknowledged while stored is down" "$(acks)" "$a"
restart stored
t_ok "deposits flow again after stored came back" wait_acks 50

# frontd dies in the middle of the stream.
suite_kill9 frontd
a=$(acks)
sleep 1
t_eq "nothing acknowledged while frontd is down" "$(acks)" "$a"
restart frontd
t_ok "deposits flow again after frontd came back" wait_acks 50

touch "$T/stop"
n=0
while alive && [ $n -lt 300 ]; do sleep 0.1; n=$((n + 1)); done
t_not "the agents stopped" alive
wait $cpids
cat "$T"/acks.* > "$T/acks"
cat "$T"/tries.* > "$T/tries"
ACKS=$T/acks TRIES=$T/tries

# What the agent saw.
N=$(acks)
t_log "$N acknowledged, $(wc -l < "$TRIES") answers retried"
t_not "no trace given up" grep -q 'gave up' "$TRIES"
t_ok "503 while stored was down" grep -q '^[0-9-]* 503 ' "$TRIES"
t_not "every 503 carries Retry-After" grep -q '^[0-9-]* 503 - ' "$TRIES"
t_ok "every 503 is CFJL_UNAVAILABLE" \
    test -z "$(awk '$2 == 503 && $4 != "CFJL_UNAVAILABLE"' "$TRIES")"
t_ok "no answer while frontd was down" grep -q '^[0-9-]* 000 ' "$TRIES"
t_ok "no refusal other than 503 or no answer" \
    test -z "$(awk '$2 != 503 && $2 != "000"' "$TRIES")"
for k in $(seq 1 "$NCLIENTS"); do
	m=$(wc -l < "$T/acks.$k")
	t_eq "agent $k: every trace acknowledged once, in order" \
	    "$(cut -d' ' -f1 "$T/acks.$k" | tr '\n' ' ')" \
	    "$(seq 1 "$m" | sed "s/^/$k-/" | tr '\n' ' ')"
done
t_eq "no IDEvt given twice" \
    "$(cut -d' ' -f2 "$ACKS" | sort -n | uniq -d | head -n 3)" ""
t_log "resent traces answered as duplicates:" \
    "$(grep -c CFJL_DUPLICATE_EVENT "$ACKS")"

# What the database holds: exactly the acknowledged events, 1..N.
t_eq "IDEvt 1..$N, no gap, no duplicate" \
    "$(suite_psql 'SELECT count(*), count(DISTINCT idevt), min(idevt), max(idevt) FROM events')" \
    "$N|$N|1|$N"
cut -d' ' -f2,3 "$ACKS" | sort -n > "$T/acked"
suite_psql "SELECT idevt || ' ' || encode(digest, 'hex') FROM events ORDER BY idevt" \
    > "$T/stored"
t_ok "every acknowledged IDEvt stored with the digest it was given" \
    cmp -s "$T/acked" "$T/stored"
suite_psql "SELECT client_id || ' ' || idevt FROM client_ids WHERE client_id LIKE 'crash-%' ORDER BY idevt" \
    > "$T/cids"
t_ok "each Client-Id names the IDEvt acknowledged for it" \
    cmp -s "$T/cids" "$(awk '{ print "crash-" $1 " " $2 }' "$ACKS" | sort -k2n > "$T/acids"; echo "$T/acids")"

# A Client-Id is remembered across both crashes: the first trace sent
# again gets its first answer back and stores nothing.
first=$(head -n 1 "$T/acks.1")
trace 1-1 > "$T/again.xml"
out=$(dep_curl -H 'Content-Type: application/xml' -H 'Client-Id: crash-1-1' \
    --data-binary @"$T/again.xml" -w ' %{http_code}' "$CFJL_URL/v1/events")
t_eq "first trace resent: same IDEvt, digest, duplicate, 201" \
    "$(jget idevt "$out") $(jget digest "$out") $(jget status "$out") ${out##* }" \
    "$(echo "$first" | cut -d' ' -f2,3) CFJL_DUPLICATE_EVENT 201"
t_eq "first trace resent: nothing stored" \
    "$(suite_psql 'SELECT count(*) FROM events')" "$N"

# A sample decrypts to what was sent, IDEvt written in: every 10th IDEvt,
# and the five last ones.
bad=0; checked=0
for line in $(awk -v n="$N" '$2 % 10 == 0 || $2 > n - 5 { print $1 ":" $2 ":" $3 }' "$ACKS"); do
	i=${line%%:*}; rest=${line#*:}; id=${rest%%:*}; dg=${rest#*:}
	suite_psql "SELECT encode(p7m, 'hex') FROM events WHERE idevt = $id" |
	    xxd -r -p > "$T/ev.p7m"
	if ! openssl cms -decrypt -inform DER -in "$T/ev.p7m" \
	    -recip "$P/regulator.pem" -inkey "$P/regulator.key" \
	    -out "$T/plain.xml" 2>"$T/err"; then
		t_fail "event $id decrypts: $(head -n 1 "$T/err")"
		bad=$((bad + 1)); continue
	fi
	trace $i | sed "s|<IDEvt>0</IDEvt>|<IDEvt>$id</IDEvt>|" > "$T/exp.xml"
	if [ "$(sha256sum < "$T/plain.xml" | cut -d' ' -f1)" != "$dg" ] ||
	    ! cmp -s "$T/plain.xml" "$T/exp.xml"; then
		t_fail "event $id (trace $i) is the trace sent, digest $dg"
		bad=$((bad + 1))
	fi
	checked=$((checked + 1))
done
t_ok "sample of $checked events decrypts to the traces sent" \
    test "$bad" -eq 0 -a "$checked" -gt 5

# The lots are whole after both crashes: every event in a lot, the lots
# consecutive, and they get sealed.
t_eq "every event in a closed or open lot, lots without overlap" \
    "$(suite_psql 'SELECT count(*) FROM lots a JOIN lots b ON a.numero < b.numero AND a.last >= b.first')" 0
k=0
while [ $k -lt 100 ]; do
	open=$(suite_psql 'SELECT count(*) FROM lots l LEFT JOIN lot_seals s USING (numero) WHERE s.numero IS NULL')
	last=$(suite_psql 'SELECT coalesce(max(last), 0) FROM lots')
	[ "$open" = 0 ] && [ "$last" = "$N" ] && break
	sleep 0.1; k=$((k + 1))
done
t_eq "every event closed into a sealed lot" "$open $last" "0 $N"

t_done
