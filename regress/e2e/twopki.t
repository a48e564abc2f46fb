#!/bin/sh
# The two PKIs: depositors of the operator's CA, readers of the
# regulator's.  A certificate of the operator's CA bearing the reader's
# exact subject gets no role (403); a role bound to a fingerprint serves
# that one certificate and not another of the same subject and CA; a
# role is never bound to the wrong CA, in cfjl.conf or with cfjlctl.
. "$(dirname "$0")/../lib/common.sh"
t_unprivileged "$@"
t_need curl openssl psql
t_tmpdir
. "$TOP/regress/lib/suite.sh"
suite_setup || exit 2
suite_start || exit 2

CTL="$TOP/cfjlctl/cfjlctl"
ctl() { "$CTL" -s "$SUITE/run" "$@"; }
# code NAME: the HTTP code of GET /v1/status with NAME's certificate.
code() { _suite_curl "$1" -o "$T/answer" -w '%{http_code}' "$CFJL_URL/v1/status"; }

t_ok "the reader is of the regulator's CA" \
    openssl verify -CAfile "$P/regulator-ca.pem" "$P/reader.pem"
t_ok "the impostor is of the operator's CA" \
    openssl verify -CAfile "$P/ca.pem" "$P/impostor.pem"
t_eq "the impostor bears the reader's exact subject" \
    "$(openssl x509 -in "$P/impostor.pem" -noout -subject -nameopt RFC2253)" \
    "$(openssl x509 -in "$P/reader.pem" -noout -subject -nameopt RFC2253)"

t_eq "reader (regulator's CA): 200" "$(code reader)" 200
t_eq "depositor (operator's CA): 200" "$(code depositor)" 200
t_eq "impostor (operator's CA, reader's subject): 403" "$(code impostor)" 403
t_match "impostor: told it has no role" "$(cat "$T/answer")" '"error":"no role"'
t_ok "impostor: refusal journaled" grep -qF \
    "\"event\":\"access-refused\",\"subject\":\"$PKI_READER_DN\"" "$SUITE"/journal/*.log

# A role given with cfjlctl to the reader's subject "as the operator's CA
# issues it" is refused: the impostor stays without a role.
out=$(ctl role add reader ca operator "$PKI_READER_DN" 2>&1); rc=$?
t_eq "role add reader ca operator: refused" "$rc" 1
t_eq "role add reader ca operator: explained" "$out" \
    "cfjlctl: stored: a reader's certificate is issued by the regulator's CA, not by \"operator\": nothing added"
out=$(ctl role add depositor ca regulator "$PKI_AGENT_DN" 2>&1); rc=$?
t_eq "role add depositor ca regulator: refused" "$rc" 1
t_match "role add depositor ca regulator: explained" "$out" \
    "a depositor's certificate is issued by the operator's CA"
t_eq "impostor still 403" "$(code impostor)" 403
out=$(ctl role add reader fingerprint 0123 2>&1); rc=$?
t_eq "role add with a bad fingerprint: refused" "$rc" 1
t_match "role add with a bad fingerprint: explained" "$out" \
    'fingerprint "0123": 64 hex digits \(SHA-256 of the certificate\) expected'
out=$(ctl role add reader ca nowhere "$PKI_AGENT_DN" 2>&1); rc=$?
t_eq "role add with an unknown CA: usage" "$rc" 2

# A role by fingerprint: that certificate only.
fp=$(pki_fingerprint "$P/agent.pem")
t_ok "the twins differ" [ "$fp" != "$(pki_fingerprint "$P/agent-twin.pem")" ]
t_eq "agent without a role: 403" "$(code agent)" 403
colons=$(openssl x509 -in "$P/agent.pem" -noout -fingerprint -sha256 | sed 's/.*=//')
out=$(ctl role add reader fingerprint "$colons" 2>&1); rc=$?
t_eq "role add reader fingerprint: exit 0" "$rc" 0
t_eq "role add reader fingerprint: says what it did" "$out" \
    "added reader: fingerprint $fp"
t_eq "agent (bound by fingerprint): 200" "$(code agent)" 200
t_eq "agent's twin (same subject and CA): 403" "$(code agent-twin)" 403
t_match "role list names the fingerprint" "$(ctl role list 2>&1)" \
    "reader    fingerprint $fp"
t_match "role list -j: CA and fingerprint" "$(ctl -j role list 2>&1)" \
    "\\{\"role\":\"reader\",\"ca\":\"regulator\",\"fingerprint\":\"$fp\",\"source\":\"cfjlctl\"\\}"
t_eq "in the database with its CA and fingerprint" \
    "$(suite_psql "SELECT role || ' ' || ca || ' ' || fingerprint || ' [' || subject || ']' FROM roles ORDER BY seq")" \
    "reader regulator $fp []"

# A fingerprint binding is still bound to its CA: the same fingerprint
# made a depositor's is the operator's, and the agent is not.
out=$(ctl role add depositor fingerprint "$fp" 2>&1); rc=$?
t_eq "the agent's fingerprint as a depositor: recorded" "$rc" 0
t_eq "the fingerprint now a depositor's: no longer a reader" "$(code agent)" 403
t_eq "the link to stored stays up" "$(code reader)" 200
_suite_curl agent -o "$T/answer" -w '%{http_code}' -H 'Content-Type: application/xml' \
    -H 'Client-Id: twopki-1' --data-binary @"$ARJEL/samples/CPTEALIM.xml" \
    "$CFJL_URL/v1/events" > "$T/code"
t_eq "the agent (regulator's CA) still may not deposit" "$(cat "$T/code")" 403

# Removed: refused again.
out=$(ctl role remove fingerprint "$fp" 2>&1); rc=$?
t_eq "role remove fingerprint: exit 0" "$rc" 0
t_eq "role remove: the agent refused" "$(code agent)" 403
out=$(ctl role remove fingerprint "$fp" 2>&1); rc=$?
t_eq "removing it again: refused" "$rc" 1
t_eq "removing it again: explained" "$out" \
    "cfjlctl: stored: \"fingerprint $fp\" has no role given by cfjlctl: nothing removed"

# Roles by subject bound to the regulator's CA survive a restart of
# frontd (pushed by stored with their CA).
out=$(ctl role add reader ca regulator "$PKI_AGENT_DN" 2>&1); rc=$?
t_eq "role add reader ca regulator: exit 0" "$rc" 0
t_eq "both twins now readers (by subject)" "$(code agent) $(code agent-twin)" "200 200"
suite_stop frontd
suite_start frontd || exit 2
for _ in $(seq 1 50); do
	c=$(code agent)
	[ "$c" = 200 ] && break
	sleep 0.1
done
t_eq "after a restart of frontd: still a reader" "$c" 200
t_eq "the impostor still refused" "$(code impostor)" 403

# A row written before roles named their CA (ca ''): the role's own CA.
suite_psql "INSERT INTO roles (subject, role, action, by) VALUES ('$PKI_NOBODY_DN', 'depositor', 'add', 'older')" || exit 2
suite_stop stored
suite_start stored || exit 2
for _ in $(seq 1 50); do
	c=$(code nobody)
	[ "$c" = 200 ] && break
	sleep 0.1
done
t_eq "an older row without CA: the depositor's CA, served" "$c" 200
t_match "an older row without CA: listed with the operator's CA" \
    "$(ctl -j role list 2>&1)" \
    "\{\"role\":\"depositor\",\"ca\":\"operator\",\"subject\":\"$PKI_NOBODY_DN\",\"source\":\"cfjlctl\"\}"
out=$(ctl role remove ca operator "$PKI_NOBODY_DN" 2>&1); rc=$?
t_eq "an older row: removed by naming its CA" "$rc" 0
t_eq "removed: refused" "$(code nobody)" 403

# frontd needs both CAs, and CRLs for both or neither.
sed '/^ca regulator/d' "$SUITE/cfjl.conf" > "$T/noreg.conf"
out=$("$(suite_bin frontd)" -d -f "$T/noreg.conf" 2>&1); rc=$?
t_ok "frontd without the regulator's CA: refuses to start" [ "$rc" -ne 0 ]
t_match "frontd without the regulator's CA: explained" "$out" \
    "frontd needs the regulator's CA: \"ca regulator FILE\" in cfjl.conf"
sed 's|^\(ca regulator "[^"]*"\).*|\1|' "$SUITE/cfjl.conf" > "$T/onecrl.conf"
out=$("$(suite_bin frontd)" -d -f "$T/onecrl.conf" 2>&1); rc=$?
t_ok "frontd with one CRL of two: refuses to start" [ "$rc" -ne 0 ]
t_match "frontd with one CRL of two: explained" "$out" \
    "a CRL for one CA but not the other"

t_done
