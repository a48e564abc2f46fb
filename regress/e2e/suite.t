#!/bin/sh
# The whole suite end to end: every sample trace deposited with curl,
# decrypted back from the database, its lot sealed, exported as the
# reader and verified offline by cfjl-verify and by third-party tools.
. "$(dirname "$0")/../lib/common.sh"
t_unprivileged "$@"
t_need curl openssl xmlsec1 psql
t_tmpdir
. "$TOP/regress/lib/suite.sh"
suite_setup || exit 2
suite_start || exit 2

# deposit NAME FILE: prints the answer followed by the HTTP code.
deposit()
{
	dep_curl -H 'Content-Type: application/xml' -H "Client-Id: e2e-$1" \
	    --data-binary @"$2" -w ' %{http_code}' "$CFJL_URL/v1/events" | tr -d '\n'
}

# check_archived NAME ANSWER EXPECTED-FILE: the stored event decrypts with
# the regulator's key to the expected XML, and the digest is over it.
check_archived()
{
	id=$(printf '%s' "$2" | sed -n 's/.*"idevt":\([0-9]*\).*/\1/p')
	dg=$(printf '%s' "$2" | sed -n 's/.*"digest":"\([0-9a-f]*\)".*/\1/p')
	suite_psql "SELECT encode(p7m, 'hex') FROM events WHERE idevt = ${id:-0}" |
	    xxd -r -p > "$T/ev.p7m"
	openssl cms -decrypt -inform DER -in "$T/ev.p7m" -recip "$P/regulator.pem" \
	    -inkey "$P/regulator.key" -out "$T/plain.xml" 2>"$T/err" || cat "$T/err"
	t_eq "$1: digest is over the archived XML" \
	    "$(sha256sum < "$T/plain.xml" | cut -d' ' -f1)" "$dg"
	t_eq "$1: decrypts to the trace with IDEvt $id written in" \
	    "$(cat "$T/plain.xml")" "$(sed "s|@ID@|$id|" "$3")"
}

n=0
for f in "$ARJEL"/samples/*.xml; do
	s=$(basename "$f" .xml)
	case $s in placeholder-*) continue ;; esac
	sed 's|<IDEvt>1</IDEvt>|<IDEvt>0</IDEvt>|' "$f" > "$T/in.xml"
	out=$(deposit "$s" "$T/in.xml")
	n=$((n + 1))
	t_match "$s deposited" "$out" '"status":"CFJL_OK".*"idevt":'$n',.* 201$'
	sed 's|<IDEvt>1</IDEvt>|<IDEvt>@ID@</IDEvt>|' "$f" > "$T/exp.xml"
	check_archived "$s" "$out" "$T/exp.xml"
done

# The placeholder comment and the empty element are both numbered.
sed 's|<IDEvt>1</IDEvt>|<IDEvt><!--SAFE_ID--></IDEvt>|' \
    "$ARJEL/samples/OUVINFOPERSO.xml" > "$T/in.xml"
out=$(deposit safe-id "$T/in.xml")
n=$((n + 1))
t_match "placeholder comment numbered" "$out" '"idevt":'$n',.* 201$'
sed 's|<IDEvt>1</IDEvt>|<IDEvt>@ID@</IDEvt>|' "$ARJEL/samples/OUVINFOPERSO.xml" > "$T/exp.xml"
check_archived safe-id "$out" "$T/exp.xml"
sed 's|<IDEvt>1</IDEvt>|<IDEvt/>|' "$ARJEL/samples/CPTEALIM.xml" > "$T/in.xml"
out=$(deposit empty-id "$T/in.xml")
n=$((n + 1))
t_match "empty IDEvt element numbered" "$out" '"idevt":'$n',.* 201$'
lot=$(printf '%s' "$out" | sed -n 's/.*"lot":\([0-9]*\).*/\1/p')

# The placeholder sample lacks TypAg, which the schema requires: refused,
# and no number is used.
out=$(deposit placeholder "$ARJEL/samples/placeholder-OUVINFOPERSO.xml")
t_match "schema-invalid sample refused" "$out" 'CFJL_.*TypAg.* 422$'
t_eq "refusal used no IDEvt" "$(suite_psql 'SELECT max(idevt) FROM events')" "$n"

# The lot is sealed within a few seconds (max-age 1s).
code=0
for _ in $(seq 1 50); do
	code=$(dep_curl -o "$T/lot.xml" -w '%{http_code}' "$CFJL_URL/v1/lots/$lot")
	[ "$code" = 200 ] && break
	sleep 0.2
done
t_eq "lot $lot sealed and served" "$code" 200
t_ok "the seal verifies with xmlsec1" xmlsec1 --verify --trusted-pem "$P/ca.pem" \
    --id-attr:Id urn:cfjl:lot:1:Lot "$T/lot.xml"

st=$(dep_curl "$CFJL_URL/v1/status")
t_match "status names the last IDEvt" "$st" "\"last_idevt\":$n"
t_match "status shows the sealing lag" "$st" '"sealing_lag":\{"events":0,'
t_match "status shows the clock, relaxed loudly" "$st" '"sealerd":\{.*"clock":\{.*"relaxed":true'
t_ok "status is valid JSON" sh -c "printf '%s' '$st' | /usr/bin/python3 -m json.tool >/dev/null"

# 40 pipelined requests that stored answers, in one write: the parse
# resumes as stored's answers free the 16 slots.
req=$(awk -v l="$lot" 'BEGIN { for (i = 0; i < 39; i++) printf "GET /v1/lots/%s HTTP/1.1\\r\\nHost: x\\r\\n\\r\\n", l; printf "GET /v1/status HTTP/1.1\\r\\nHost: x\\r\\nConnection: close\\r\\n\\r\\n" }')
out=$(printf "$req" | /usr/bin/python3 "$TOP/regress/frontd/wire.py" -t 20 "$SUITE_PORT" "$P" depositor)
t_eq "40 pipelined requests answered by stored: 40 answers, 200 each" \
    "$(printf '%s\n' "$out" | grep -c '^200 ')" 40
t_match "40 pipelined: then the close, in seconds" "$(printf '%s\n' "$out" | tail -n 1)" "^end [0-4]\."

# HEAD: GET's head without the body, for answers relayed from stored
# too; a HEAD of an export stops it at stored, and the connection goes on.
hl=$(dep_curl -I -w '%{http_code} %{size_download}' -o "$T/head.h" "$CFJL_URL/v1/lots/$lot")
t_eq "HEAD of a sealed lot: 200, nothing after the head" "$hl" "200 0"
t_match "HEAD of a lot: GET's Content-Length" "$(cat "$T/head.h")" \
    "Content-Length: $(wc -c < "$T/lot.xml" | tr -d ' ')"
hl=$(read_curl -I -w '%{http_code}' -o "$T/head.h" "$CFJL_URL/v1/export?from=1&to=$n" \
    -o /dev/null "$CFJL_URL/v1/status")
t_eq "HEAD of an export, then GET on the same connection: 200 200" "$hl" "200200"
t_match "HEAD of an export: GET's head" "$(cat "$T/head.h")" "Content-Type: application/x-tar"
code=$(read_curl -o "$T/export.tar" -w '%{http_code}' "$CFJL_URL/v1/export?from=1&to=$n")
t_eq "reader exports the range" "$code" 200
code=$(dep_curl -o /dev/null -w '%{http_code}' "$CFJL_URL/v1/export?from=1&to=$n")
t_eq "a depositor may not export" "$code" 403
mkdir -p "$T/plain"
"$TOP/cfjl-verify/cfjl-verify" -t "$P/trust.pem" -k "$P/regulator.key" \
    -x "$ARJEL/xsd" -o "$T/plain" "$T/export.tar" > "$T/verify.out" 2>&1
rc=$?
cat "$T/verify.out" | tail -n 5
t_eq "cfjl-verify accepts the bundle" "$rc" 0
t_eq "every event decrypted by cfjl-verify" "$(ls "$T/plain" | wc -l)" "$n"
t_match "every event's audit path leads to its lot's root" \
    "$(cat "$T/verify.out")" "audit paths lead to its Racine"

# One event of the vault's export proven alone.
"$TOP/cfjl-verify/cfjl-verify" prove -t "$P/trust.pem" 2 "$T/export.tar" \
    > "$T/2.proof" 2> "$T/prove.out"
t_eq "a proof of IDEvt 2 from the export" "$?" 0
"$TOP/cfjl-verify/cfjl-verify" proof -t "$P/trust.pem" "$T/2.proof" \
    > "$T/proof.out" 2>&1
t_eq "the proof holds alone" "$?" 0
t_match "the proof names its event and lot" "$(cat "$T/proof.out")" \
    "event 2: its record .* is in lot [0-9]+: audit path"

t_done
