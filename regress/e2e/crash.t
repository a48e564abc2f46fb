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

. "$TOP/regress/lib/agents.sh"
NCLIENTS=${NCLIENTS:-3}	# capture agents depositing side by side
AGENT_RETRIES=400
suite_sample OUVINFOPERSO > "$T/base.xml"
agents_start "$NCLIENTS"
acks() { agents_acks; }
wait_acks() { agents_wait "$@"; }
trace() { agent_trace "$@"; }

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

agents_stop
ACKS=$T/acks TRIES=$T/tries

# What the agent saw.
N=$(acks)
t_log "$N acknowledged, $(wc -l < "$TRIES") answers retried"
t_ok "503 while stored was down" grep -q '^[0-9-]* 503 ' "$TRIES"
t_not "every 503 carries Retry-After" grep -q '^[0-9-]* 503 - ' "$TRIES"
t_ok "every 503 is CFJL_UNAVAILABLE" \
    test -z "$(awk '$2 == 503 && $4 != "CFJL_UNAVAILABLE"' "$TRIES")"
t_ok "no answer while frontd was down" grep -q '^[0-9-]* 000 ' "$TRIES"
t_ok "no refusal other than 503 or no answer" \
    test -z "$(awk '$2 != 503 && $2 != "000"' "$TRIES")"
agents_check_order
t_log "resent traces answered as duplicates:" \
    "$(grep -c CFJL_DUPLICATE_EVENT "$ACKS")"

# What the database holds: exactly the acknowledged events, 1..N.
agents_check

# A Client-Id is remembered across both crashes: the first trace sent
# again gets its first answer back and stores nothing.
first=$(head -n 1 "$T/acks.1")
trace 1-1 > "$T/again.xml"
out=$(dep_curl -H 'Content-Type: application/xml' -H 'Client-Id: agent-1-1' \
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
t_eq "every event closed into a sealed lot" "$(suite_wait_sealed "$N" 10)" "0 $N"

t_done
