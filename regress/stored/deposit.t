#!/bin/sh
# stored end to end with a real PostgreSQL: every sample trace stored,
# numbered 1, 2, 3... with its IDEvt written in, encrypted so that the
# regulator's key recovers exactly the archived XML whose digest was
# answered; batches; Client-Id duplicates and reuse; lots; status.
. "$(dirname "$0")/../lib/common.sh"
t_unprivileged "$@"
t_tmpdir
. "$TOP/regress/stored/stored.sh"
t_need openssl sha256sum perl
ST_LOT_MAX=5 ST_LOT_AGE=60s st_setup
st_start || { cat "$T/stored.log"; exit 1; }

# Every sample, one request each.
n=0
for f in "$ARJEL"/samples/*.xml; do
	name=$(basename "$f" .xml)
	grep -q '<IDEvt>1</IDEvt>' "$f" || continue
	n=$((n + 1))
	out=$(st_client deposit "$(st_sample "$name")")
	t_match "$name stored as IDEvt $n" "$out" "^ok idevt=$n lot=[0-9]+ dup=0 "
	sed "s|<IDEvt>1</IDEvt>|<IDEvt>$n</IDEvt>|" "$f" > "$T/want.xml"
	want=$(sha256sum < "$T/want.xml" | cut -d' ' -f1)
	t_match "$name digest is of the archived XML" "$out" "digest=$want "
	st_decrypt "$n" "$T/got.xml"
	t_ok "$name decrypts to the archived XML" cmp -s "$T/got.xml" "$T/want.xml"
	p7m=$(sha256sum < "$T/e.p7m" | cut -d' ' -f1)
	t_eq "$name p7m_sha256 recorded" "$(st_sql "SELECT encode(p7m_sha256, 'hex') FROM events WHERE idevt = $n")" "$p7m"
done
t_ok "samples deposited" test "$n" -gt 10

# Every column as answered and as sent (the rows go in as binary arrays).
n=$((n + 1))
out=$(st_client deposit "$(st_sample PASPMISE)@cols-$n")
recv=$(echo "$out" | sed -n 's/.* received=\([0-9]*\).*/\1/p')
dig=$(echo "$out" | sed -n 's/.* digest=\([0-9a-f]*\).*/\1/p')
body=$(sha256sum < "$T/PASPMISE.xml" | cut -d' ' -f1)
t_eq "columns: IDEvt, lot, Client-Id" "$(st_sql "SELECT idevt, lot > 0, client_id FROM events WHERE idevt = $n")" "$n|t|cols-$n"
t_eq "columns: received to the millisecond" "$(st_sql "SELECT (extract(epoch FROM received) * 1000)::bigint FROM events WHERE idevt = $n")" "$recv"
t_eq "columns: digest" "$(st_sql "SELECT encode(digest, 'hex') FROM events WHERE idevt = $n")" "$dig"
t_eq "columns: body as sent" "$(st_sql "SELECT encode(body_sha256, 'hex') FROM events WHERE idevt = $n")" "$body"
t_eq "columns: type, dateevt, depositor" "$(st_sql "SELECT type, dateevt <> '', length(depositor) FROM events WHERE idevt = $n")" "PASPMISE|t|32"
t_eq "columns: p7m and its digest" "$(st_sql "SELECT sha256(p7m) = p7m_sha256 FROM events WHERE idevt = $n")" "t"
t_eq "columns: the Client-Id row" "$(st_sql "SELECT client_id FROM client_ids WHERE idevt = $n")" "cols-$n"
t_eq "columns: no Client-Id row without one" "$(st_sql "SELECT count(*) FROM client_ids")" 1

# The placeholder comment form.
f=$ARJEL/samples/placeholder-OUVINFOPERSO.xml
if [ -f "$f" ]; then
	n=$((n + 1))
	out=$(st_client deposit "$f")
	t_match "placeholder trace numbered" "$out" "^ok idevt=$n "
	st_decrypt "$n" "$T/got.xml"
	t_ok "placeholder replaced by the IDEvt" grep -q "<IDEvt>$n</IDEvt>" "$T/got.xml"
fi

# 5 events a lot: lots closed by count, gapless, and lots rows agree.
t_eq "lots closed by count" "$(st_sql "SELECT count(*) FROM lots")" "$((n / 5))"
t_eq "lots are whole" "$(st_sql "SELECT count(*) FROM lots l WHERE nevents <> 5 OR nevents <> (SELECT count(*) FROM events e WHERE e.lot = l.numero)")" "0"

# A batch: consecutive numbers, in order, one answer.
out=$(st_client deposit -b "$(st_sample PASPMISE)" "$(st_sample CPTEALIM)" "$(st_sample PASPGAIN)")
t_eq "batch answered per item" "$(echo "$out" | grep -c '^ok ')" 3
t_eq "batch numbered in order" "$(echo "$out" | sed 's/.*idevt=\([0-9]*\).*/\1/' | tr '\n' ' ')" "$((n + 1)) $((n + 2)) $((n + 3)) "
n=$((n + 3))

# Client-Id: same body -> the same answer, nothing stored.
first=$(st_client deposit "$(st_sample PASPMISE)@cap-1")
n=$((n + 1))
t_match "Client-Id first deposit" "$first" "^ok idevt=$n .*dup=0 .*client_id=cap-1$"
again=$(st_client deposit "$(st_sample PASPMISE)@cap-1")
t_eq "Client-Id retry gives the same answer" "$(echo "$again" | sed 's/dup=1/dup=0/')" "$first"
t_match "Client-Id retry flagged duplicate" "$again" "dup=1"
t_eq "Client-Id retry stored nothing" "$(st_sql "SELECT count(*) FROM events")" "$n"

# Client-Id with another body: 409, nothing stored, no IDEvt used.
out=$(st_client deposit "$(st_sample CPTEALIM)@cap-1")
t_match "Client-Id reuse refused" "$out" "^err status=409 code=CFJL_CLIENT_ID_REUSED "
t_eq "refused trace not stored" "$(st_sql "SELECT count(*) FROM events")" "$n"

# A batch holding a reused id is refused whole.
out=$(st_client deposit -b "$(st_sample PASPGAIN)@cap-2" "$(st_sample CPTEALIM)@cap-1")
t_match "batch with reused id refused" "$out" "^err status=409 code=CFJL_CLIENT_ID_REUSED index=1 "
out=$(st_client deposit -b "$(st_sample PASPGAIN)@cap-3" "$(st_sample CPTEALIM)@cap-3")
t_match "same id twice in a batch refused" "$out" "^err status=409 code=CFJL_CLIENT_ID_REUSED index=1 "
t_eq "refused batches stored nothing" "$(st_sql "SELECT count(*) FROM events")" "$n"

# The next deposit takes the next number: refusals used none.
out=$(st_client deposit "$(st_sample PASPGAIN)@cap-2")
n=$((n + 1))
t_match "next IDEvt after refusals" "$out" "^ok idevt=$n "

# Concurrent requests with the same id: one stored, one duplicate.
st_client deposit "$(st_sample PASPMISE)@cap-9" "$(st_sample PASPMISE)@cap-9" > "$T/conc"
n=$((n + 1))
t_eq "concurrent same id: stored once" "$(grep -c "idevt=$n " "$T/conc")" 2
t_eq "concurrent same id: one duplicate" "$(grep -c 'dup=1' "$T/conc")" 1

# The duplicate answer survives a restart (read back from the database).
st_stop
st_start || { cat "$T/stored.log"; exit 1; }
again=$(st_client deposit "$(st_sample PASPMISE)@cap-1")
t_eq "Client-Id answer after restart" "$(echo "$again" | sed 's/dup=1/dup=0/')" "$first"
out=$(st_client deposit "$(st_sample PASPGAIN)")
n=$((n + 1))
t_match "numbering resumes after restart" "$out" "^ok idevt=$n "

# Many requests at once ask the database for their Client-Ids together:
# each still gets its own answer (new, duplicate from the database,
# reused, the same new id twice).
f=$(st_sample PASPGAIN)
args=$(i=0; while [ $i -lt 30 ]; do echo "$f@many-$i"; i=$((i + 1)); done)
# shellcheck disable=SC2086
st_client deposit $args "$(st_sample PASPMISE)@cap-9" \
    "$(st_sample CPTEALIM)@cap-2" "$f@many-0" > "$T/many"
t_eq "many at once: new ids stored" "$(grep -c '^ok .* dup=0 .*client_id=many-' "$T/many")" 30
t_eq "many at once: duplicates answered" "$(grep -c ' dup=1 ' "$T/many")" 2
t_match "many at once: known id from the database" "$(grep 'client_id=cap-9$' "$T/many")" " dup=1 "
t_eq "many at once: reuse refused" "$(grep -c '^err status=409 code=CFJL_CLIENT_ID_REUSED ' "$T/many")" 1
t_eq "many at once: numbered without gap" "$(grep '^ok .* dup=0 ' "$T/many" | sed 's/^ok idevt=\([0-9]*\) .*/\1/' | sort -n | tr '\n' ' ')" "$(seq $((n + 1)) $((n + 30)) | tr '\n' ' ')"
n=$((n + 30))
t_eq "many at once: stored once each" "$(st_sql "SELECT count(*) FROM events")" "$n"

# A batch of 200, every trace with a Client-Id: one INSERT of events,
# one of Client-Ids.  Its Client-Ids are sorted to find duplicates, over
# 1 KiB of pointers: past that size glibc's qsort asks the kernel for
# the size of memory (sysinfo) the first time, under the sandbox.
f=$(st_sample CPTEALIM)
args=$(i=0; while [ $i -lt 200 ]; do echo "$f@big-$i"; i=$((i + 1)); done)
# shellcheck disable=SC2086
out=$(st_client deposit -b $args)
t_eq "batch of 200: every item stored" "$(echo "$out" | grep -c '^ok idevt=[0-9]* lot=[0-9]* dup=0 ')" 200
t_eq "batch of 200: numbered in order" "$(echo "$out" | sed -n '1s/^ok idevt=\([0-9]*\) .*/\1/p;$s/^ok idevt=\([0-9]*\) .*/\1/p' | tr '\n' ' ')" "$((n + 1)) $((n + 200)) "
t_eq "batch of 200: every Client-Id row" "$(st_sql "SELECT count(*) FROM client_ids c JOIN events e USING (idevt) WHERE c.client_id LIKE 'big-%' AND e.client_id = c.client_id")" 200
n=$((n + 200))
out=$(st_client deposit "$f@big-199")
t_match "batch of 200: its last Client-Id known" "$out" "^ok idevt=$n .* dup=1 "

# Gapless, unique, and status agrees.
t_eq "IDEvt 1..$n without gap" "$(st_sql "SELECT count(*) = max(idevt) AND min(idevt) = 1 FROM events")" "t"
s=$(st_client status)
t_match "status: last IDEvt" "$s" "\"last_idevt\":$n,"
t_match "status: operator and vault" "$s" '"operator":48,"vault":1,'
t_match "status: sealing lag" "$s" '"sealing_lag":\{"events":[0-9]+,'

# Lots as frontd asks for them.
t_eq "closed lot pending its seal" "$(st_client lot 1 | head -n 1)" "pending"
t_eq "unknown lot" "$(st_client lot 999 | head -n 1)" "unknown"

# An export range frontd would not pass on: refused by its code, with why.
t_eq "export of a reversed range: refused" "$(st_client export 9 2)" \
    "refused status=400 code=CFJL_INVALID_MESSAGE last=1 reason=malformed range"
t_eq "export from IDEvt 0: refused" "$(st_client export 0 2)" \
    "refused status=400 code=CFJL_INVALID_MESSAGE last=1 reason=malformed range"

t_done
