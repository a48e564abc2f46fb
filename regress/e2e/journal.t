#!/bin/sh
# The journal of the running suite: deposits (one summary per lot), a
# refused deposit with the client's subject, and the daemons' starts are
# recorded; journal close twice gives closed files whose CMS seals
# verify with openssl against the test CA, that cfjlctl journal verify
# and cfjl-verify journal accept, and an edited closed file is caught.
. "$(dirname "$0")/../lib/common.sh"
t_unprivileged "$@"
t_need curl openssl psql sha256sum
t_tmpdir
. "$TOP/regress/lib/suite.sh"
suite_setup || exit 2
suite_start || exit 2

CTL="$TOP/cfjlctl/cfjlctl"
VERIFY="$TOP/cfjl-verify/cfjl-verify"
J=$SUITE/journal
ctl() { "$CTL" -s "$SUITE/run" "$@"; }
records() { cat "$J"/*.log | grep -F -- "$1"; }

deposit()
{
	suite_sample "$2" > "$T/in.xml"
	_suite_curl "$1" -o "$T/answer" -w '%{http_code}' \
	    -H 'Content-Type: application/xml' -H "Client-Id: journal-$3" \
	    --data-binary @"$T/in.xml" "$CFJL_URL/v1/events"
}

# Deposits, then the lot closes by age (1s) and is sealed.
for i in 1 2 3; do
	t_eq "deposit $i" "$(deposit depositor CPTEALIM "$i")" 201
done
lot=$(sed -n 's/.*"lot":\([0-9]*\).*/\1/p' "$T/answer")
t_eq "nobody's deposit refused" "$(deposit nobody CPTEALIM 4)" 403
code=0
for _ in $(seq 1 50); do
	code=$(dep_curl -o /dev/null -w '%{http_code}' "$CFJL_URL/v1/lots/$lot")
	[ "$code" = 200 ] && break
	sleep 0.2
done
t_eq "lot $lot sealed" "$code" 200
sleep 0.3

# What the journal says.
for d in auditd sealerd stored frontd; do
	t_match "$d's start journaled" "$(records "\"process\":\"$d\"" |
	    grep '"event":"start"')" "\"subject\":\"$d\",\"outcome\":\"ok\""
done
t_match "the lot's deposits summarized" "$(records '"event":"deposit"')" \
    "\"process\":\"stored\",.*\"subject\":\"lot\",\"outcome\":\"ok\",\"details\":\"lot $lot closed: IDEvt 1 to 3, 3 events\""
t_match "the lot's seal journaled" "$(records '"event":"seal"')" \
    "\"outcome\":\"ok\",\"details\":\"lot $lot sealed"
t_match "the refusal journaled with the client's subject" \
    "$(records '"outcome":"refused"')" \
    "\"process\":\"frontd\",.*\"event\":\"access-refused\",\"subject\":\"$PKI_NOBODY_DN\",\"outcome\":\"refused\",\"details\":\"no role for this subject \\(POST /v1/events from 127.0.0.1"
t_eq "no refusal of the depositor" "$(records "\"subject\":\"$PKI_DEPOSITOR_DN\"" | grep -c refused)" 0

# Close twice: 00000001 and 00000002 closed, 00000003 open.
out=$(ctl journal close 2>&1); rc=$?
t_eq "journal close: exit 0" "$rc" 0
t_match "journal close: says which" "$out" "^closed 00000001.log, now writing 00000002.log"
deposit depositor CPTEALIM 5 >/dev/null
out=$(ctl journal close 2>&1); rc=$?
t_eq "journal close again: exit 0" "$rc" 0
t_match "journal close again: says which" "$out" "^closed 00000002.log, now writing 00000003.log"

# The seals arrive from sealerd.
for f in 00000001 00000002; do
	n=100
	while ! grep -q '^  <Signature Algorithm="CMS">' "$J/$f.xml" 2>/dev/null &&
	    [ $n -gt 0 ]; do
		sleep 0.1; n=$((n - 1))
	done
	t_ok "$f.xml holds its seal" grep -q '^  <Signature Algorithm="CMS">' "$J/$f.xml"
	sed -n 's|^  <Signature Algorithm="CMS">\(.*\)</Signature>$|\1|p' "$J/$f.xml" |
	    openssl base64 -d -A > "$T/$f.der"
	t_ok "$f.log: its CMS seal verifies with openssl" openssl cms -verify \
	    -purpose any \
	    -binary -inform DER -in "$T/$f.der" -content "$J/$f.log" \
	    -CAfile "$P/ca.pem" -out /dev/null
	t_eq "$f.xml: the SHA-256 of $f.log" \
	    "$(sed -n 's|^  <SHA256>\(.*\)</SHA256>$|\1|p' "$J/$f.xml")" \
	    "$(sha256sum < "$J/$f.log" | cut -d' ' -f1)"
	t_match "$f.log ends with its close record" "$(tail -n 1 "$J/$f.log")" \
	    '"event":"journal-close"'
done
t_ok "00000003.log open" [ -f "$J/00000003.log" ]
t_ok "00000003.log has no metadata yet" [ ! -e "$J/00000003.xml" ]
t_match "00000002.log chains to 00000001.log" "$(head -n 1 "$J/00000002.log")" \
    "\"prev_file\":\"00000001.log\",\"prev_sha256\":\"$(sha256sum < "$J/00000001.log" | cut -d' ' -f1)\""
t_match "the closes are journaled with the caller" \
    "$(records '"event":"admin"' | grep 'journal-close on auditd')" \
    "\"subject\":\"uid $(id -u) \\($(id -un)\\)\",\"outcome\":\"allowed\""
t_match "journal list names both sealed files" "$(ctl journal list 2>&1)" \
    '00000001.log.*sealed'

out=$(ctl journal verify 2>&1); rc=$?
t_eq "cfjlctl journal verify: exit 0" "$rc" 0
[ "$rc" -eq 0 ] || printf '%s\n' "$out"

HAVE_VERIFY=0
if [ -x "$VERIFY" ] && "$VERIFY" 2>&1 | grep -q 'cfjl-verify journal'; then
	HAVE_VERIFY=1
	"$VERIFY" journal -t "$P/trust.pem" "$J" > "$T/verify.out" 2>&1
	rc=$?
	t_eq "cfjl-verify journal accepts the journal" "$rc" 0
	[ "$rc" -eq 0 ] || grep -v -e '^ *#[0-9]' -e '^$' -e 'leak' "$T/verify.out" |
	    head -n 30
else
	echo "# cfjl-verify has no journal subcommand yet: its checks are left out"
fi

# An edited closed file is caught.  The daemons are stopped first so
# that nothing is written meanwhile; auditd is started again to verify.
suite_stop
cp "$J/00000001.log" "$T/orig.log"
# Same length: only the digest and the seal can tell.
sed 's/"outcome":"refused"/"outcome":"allowed"/' "$T/orig.log" > "$J/00000001.log"
t_ok "the edit changed the file" sh -c "! cmp -s '$T/orig.log' '$J/00000001.log'"
t_eq "same size after the edit" "$(wc -c < "$J/00000001.log")" "$(wc -c < "$T/orig.log")"
suite_start auditd || exit 2
out=$(ctl journal verify 2>&1); rc=$?
t_eq "cfjlctl journal verify: the edit fails it" "$rc" 1
t_match "cfjlctl journal verify: names the file" "$out" "00000001.log"
t_match "cfjlctl journal verify: says the file changed" "$out" "SHA-256|changed|signature"
if [ "$HAVE_VERIFY" -eq 1 ]; then
	"$VERIFY" journal -t "$P/trust.pem" "$J" > "$T/verify.out" 2>&1
	rc=$?
	t_not "cfjl-verify journal rejects the edited journal" [ "$rc" -eq 0 ]
	t_match "cfjl-verify journal names the edited file" "$(cat "$T/verify.out")" "00000001.log"
fi
suite_stop auditd

t_done
