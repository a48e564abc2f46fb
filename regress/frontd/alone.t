#!/bin/sh
# frontd alone, end to end with curl and openssl s_client: TLS client
# authentication, roles, every refusal with its exact status and JSON,
# HTTP limits, pipelining, and 503 with Retry-After while stored is
# away (nothing can have been stored: no stored runs).
. "$(dirname "$0")/../lib/common.sh"
t_unprivileged "$@"
t_need curl openssl ss
[ -d "$ARJEL/xsd" ] || t_skip "no ARJEL schemas in $ARJEL"
t_tmpdir
. "$TOP/regress/frontd/alone.sh"
# Connection caps are each worker's (frontd(8)): one worker makes the
# count exact.
alone_start "	header-timeout 2s
	idle-timeout 4s
	max-connections-per-client 6
	max-batch 10
	workers 1"

sample0 PASPMISE > "$T/ok.xml"
body() { cat "$T/body"; }
json() { sed -n "s/.*\"$1\":\"\([^\"]*\)\".*/\1/p" "$T/body"; }

# --- TLS ---
http GET none /v1/status
t_not "no client certificate: no HTTP answer" [ "$CODE" -ge 100 ] 2>/dev/null
t_ok "no client certificate: curl fails" [ "$CURL_RC" -ne 0 ]
http GET stranger /v1/status
t_ok "certificate from another CA: refused in the handshake" [ "$CURL_RC" -ne 0 ] && [ "$CODE" = 000 ]
http GET revoked /v1/status
t_ok "revoked certificate: refused in the handshake" [ "$CURL_RC" -ne 0 ] && [ "$CODE" = 000 ]
out=$(openssl s_client -connect 127.0.0.1:$PORT -tls1_1 -CAfile "$P/ca.pem" \
    -cert "$P/depositor.pem" -key "$P/depositor.key" </dev/null 2>&1)
t_not "TLS 1.1 refused" printf '%s' "$out" | grep -q "Protocol  : TLSv1.1"
out=$(printf 'GET /v1/nope HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n' |
    openssl s_client -quiet -connect 127.0.0.1:$PORT -tls1_2 -CAfile "$P/ca.pem" \
    -cert "$P/depositor.pem" -key "$P/depositor.key" 2>/dev/null)
t_match "TLS 1.2 accepted" "$out" "^HTTP/1.1 404 Not Found"

# --- roles ---
deposit reader "$T/ok.xml"
t_eq "reader on the deposit endpoint: 403" "$CODE" 403
t_eq "reader: CFJL_FORBIDDEN" "$(json status)" CFJL_FORBIDDEN
t_eq "reader: says which role" "$(json detail)" "depositing needs the depositor role"
deposit nobody "$T/ok.xml"
t_eq "subject without role: 403" "$CODE" 403
t_eq "no role: error" "$(json error)" "no role"
http GET nobody /v1/status
t_eq "subject without role: 403 on status too" "$CODE" 403
http GET depositor "/v1/export?from=1&to=2"
t_eq "depositor on export: 403" "$CODE" 403
http GET depositor /v1/requests
t_eq "depositor on requests: 403" "$CODE" 403
t_match "refusals are logged with the subject" "$(cat "$T/frontd.log")" "CN=inconnu,O=Operateur 48,C=FR: refused 403"

# --- stored away: 503 with Retry-After, for a valid trace ---
deposit depositor "$T/ok.xml"
t_eq "valid trace, stored away: 503" "$CODE" 503
t_eq "503: CFJL_UNAVAILABLE" "$(json status)" CFJL_UNAVAILABLE
t_match "503: Retry-After" "$(cat "$T/headers")" "Retry-After: [0-9]+"
http GET reader /v1/status
t_eq "status, stored away: 503" "$CODE" 503
http GET reader "/v1/lots/1"
t_eq "lot, stored away: 503" "$CODE" 503
http GET reader "/v1/export?from=1&to=2"
t_eq "export, stored away: 503" "$CODE" 503

# --- trace refusals ---
printf '<PASPMISE><IDOper>48</PASPMISE>' > "$T/bad.xml"
deposit depositor "$T/bad.xml"
t_eq "malformed XML: 400" "$CODE" 400
t_eq "malformed XML: CFJL_INVALID_MESSAGE" "$(json status)" CFJL_INVALID_MESSAGE
t_eq "malformed XML: error" "$(json error)" "malformed XML"
{ printf '<?xml version="1.0"?>\n<!DOCTYPE PASPMISE [<!ENTITY x SYSTEM "file:///etc/passwd">]>\n'; tail -n 1 "$T/ok.xml" | sed 's|<Clair>OM - Inter</Clair>|<Clair>\&x;</Clair>|'; } > "$T/xxe.xml"
deposit depositor "$T/xxe.xml"
t_eq "XXE: 400" "$CODE" 400
t_eq "XXE: DTD refused" "$(json error)" "DTD refused"
t_not "XXE: nothing of /etc/passwd in the answer" grep -q root: "$T/body"
cat > "$T/lol.xml" <<'LOL'
<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
]>
<lolz>&lol4;</lolz>
LOL
deposit depositor "$T/lol.xml"
t_eq "billion laughs: 400" "$CODE" 400
t_eq "billion laughs: DTD refused" "$(json error)" "DTD refused"
sed 's|PASPMISE>|PASPPARI>|g' "$T/ok.xml" > "$T/root.xml"
deposit depositor "$T/root.xml"
t_eq "unknown root: 422" "$CODE" 422
t_eq "unknown root: error" "$(json error)" "unknown event type"
sed 's|<Mise>2</Mise>|<Mise>deux</Mise>|' "$T/ok.xml" > "$T/xsd.xml"
deposit depositor "$T/xsd.xml"
t_eq "schema-invalid: 422" "$CODE" 422
t_match "schema-invalid: first error in detail" "$(json detail)" "Element 'Mise'"
deposit depositor "$ARJEL/samples/PASPMISE.xml"
t_eq "forged IDEvt: 400" "$CODE" 400
t_eq "forged IDEvt: error" "$(json error)" "IDEvt belongs to the vault"
sed 's|<IDOper>48</IDOper>|<IDOper>49</IDOper>|' "$T/ok.xml" > "$T/op.xml"
deposit depositor "$T/op.xml"
t_eq "another operator: 422" "$CODE" 422
t_eq "another operator: error" "$(json error)" "wrong operator"
awk 'BEGIN { printf "<PASPMISE>"; for (i = 0; i < 70000; i++) printf "x"; printf "</PASPMISE>" }' > "$T/big.xml"
deposit depositor "$T/big.xml"
t_eq "oversized body: 413" "$CODE" 413
t_eq "oversized: CFJL_TOO_LARGE" "$(json status)" CFJL_TOO_LARGE
# A body much larger than max-body, still being sent when the 413 goes
# out: the answer must reach the client, not a connection reset.
head -c 900000 /dev/zero | tr '\0' a > "$T/huge.xml"
codes=""
for i in 1 2 3 4 5; do deposit depositor "$T/huge.xml"; codes="$codes$CODE "; done
t_eq "oversized body still in flight: 413 every time" "$codes" "413 413 413 413 413 "
deposit depositor "$T/ok.xml" -H "Digest: sha-256=$(printf x | sha256sum | cut -c1-64)"
t_eq "Digest mismatch: 400" "$CODE" 400
t_eq "Digest mismatch: error" "$(json error)" "Digest mismatch"
deposit depositor "$T/ok.xml" -H "Digest: sha-256=$(sha256sum < "$T/ok.xml" | cut -c1-64)"
t_eq "Digest hex matches: goes on (503 here)" "$CODE" 503
deposit depositor "$T/ok.xml" -H "Digest: SHA-256=$(openssl dgst -sha256 -binary "$T/ok.xml" | base64)"
t_eq "Digest base64 (RFC 3230) matches: goes on (503 here)" "$CODE" 503
http POST depositor /v1/events -H 'Content-Type: text/plain' --data-binary @"$T/ok.xml"
t_eq "wrong media type: 415" "$CODE" 415
t_eq "415: CFJL_UNSUPPORTED_MEDIA_TYPE" "$(json status)" CFJL_UNSUPPORTED_MEDIA_TYPE
http POST depositor /v1/events --data-binary @"$T/ok.xml" -H 'Content-Type:'
t_eq "no media type: 415" "$CODE" 415
http POST depositor /v1/events -H 'Content-Type: application/xml' -H 'Transfer-Encoding: chunked' --data-binary @"$T/ok.xml"
t_eq "chunked body: 411" "$CODE" 411
t_match "chunked: says what to do" "$(json error)" "Content-Length"
t_eq "411: CFJL_LENGTH_REQUIRED" "$(json status)" CFJL_LENGTH_REQUIRED
t_eq "411: the catalogue's advice as detail" "$(json detail)" \
    "send the body with a Content-Length"
http GET depositor /v1/events
t_eq "GET on deposits: 405" "$CODE" 405
t_match "405: Allow" "$(cat "$T/headers")" "Allow: POST"
t_eq "405: CFJL_METHOD_NOT_ALLOWED" "$(json status)" CFJL_METHOD_NOT_ALLOWED
http GET depositor /v1/lots/abc
t_eq "lot that is no number: 404" "$CODE" 404
t_eq "404: CFJL_NOT_FOUND" "$(json status)" CFJL_NOT_FOUND

# --- batch ---
{ echo '<Traces>'; for n in PASPMISE CPTEALIM; do sample0 $n | tail -n +2; done; sed 's|<IDEvt>1</IDEvt>|<IDEvt>5</IDEvt>|' "$ARJEL/samples/OUVINFOPERSO.xml" | tail -n +2; echo '</Traces>'; } > "$T/batch.xml"
http POST depositor /v1/events/batch -H 'Content-Type: application/xml' --data-binary @"$T/batch.xml"
t_eq "batch with a forged trace: 400" "$CODE" 400
t_match "batch: index of the bad trace" "$(body)" '"index":2'
{ echo '<Traces>'; i=0; while [ $i -lt 11 ]; do sample0 PASPMISE | tail -n +2; i=$((i + 1)); done; echo '</Traces>'; } > "$T/big-batch.xml"
http POST depositor /v1/events/batch -H 'Content-Type: application/xml' --data-binary @"$T/big-batch.xml"
t_eq "batch over max-batch: 413" "$CODE" 413
t_eq "batch over max-batch: CFJL_TOO_LARGE" "$(json status)" CFJL_TOO_LARGE
t_eq "batch over max-batch: error" "$(json error)" "batch too large"

# --- HTTP on the wire: pipelining in order, hostile heads ---
raw()	# raw "request bytes" -> the answers on stdout
{
	printf "$1" | timeout 10 openssl s_client -quiet -connect 127.0.0.1:$PORT \
	    -CAfile "$P/ca.pem" -cert "$P/depositor.pem" -key "$P/depositor.key" 2>/dev/null
}
out=$(raw 'GET /v1/nope HTTP/1.1\r\nHost: x\r\n\r\nGET /v1/lots/x HTTP/1.1\r\nHost: x\r\n\r\nPOST /v1/events HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\nContent-Length: 3\r\n\r\nabcGET /v1/events HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n')
t_eq "pipelined: four answers in request order" "$(printf '%s\n' "$out" | grep '^HTTP/1.1' | cut -d' ' -f2 | tr '\n' ' ')" "404 404 415 405 "
t_match "pipelined: the last one closes" "$out" "Connection: close"
out=$(raw 'GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 1\r\n\r\nx')
t_match "two Content-Length: 400" "$out" "^HTTP/1.1 400 "
t_match "two Content-Length: and close" "$out" "^Connection: close"
out=$(raw 'GET / HTTP/1.1\r\nHost: x\r\nX: a\r\n b\r\n\r\n')
t_match "obs-fold: 400" "$out" "^HTTP/1.1 400"
out=$(raw 'GET / HTTP/2.0\r\nHost: x\r\n\r\n')
t_match "HTTP/2.0 in HTTP/1 framing: 505" "$out" "^HTTP/1.1 505"
t_match "505: CFJL_INVALID_MESSAGE and the catalogue's advice" "$out" \
    '^\{"status":"CFJL_INVALID_MESSAGE","error":"HTTP version not supported","detail":"speak HTTP/1.1 or HTTP/1.0"\}'
hdrs=$(awk 'BEGIN { for (i = 0; i < 80; i++) printf "X-%d: y\\r\\n", i }')
out=$(raw "GET / HTTP/1.1\r\nHost: x\r\n$hdrs\r\n")
t_match "too many headers: 431" "$out" "^HTTP/1.1 431"
start=$(date +%s)
out=$( (printf 'GET /v1/status HTTP/1.1\r\nHost: x\r\n'; sleep 5) | timeout 10 openssl s_client -quiet \
    -connect 127.0.0.1:$PORT -CAfile "$P/ca.pem" -cert "$P/depositor.pem" -key "$P/depositor.key" 2>/dev/null)
t_match "slow head: 408 after header-timeout" "$out" "^HTTP/1.1 408"
t_ok "slow head: cut within a few seconds" [ $(( $(date +%s) - start )) -le 6 ]

# Connections per client address: the seventh is refused at once.
i=0; pids=""
while [ $i -lt 6 ]; do
	(sleep 4) | openssl s_client -quiet -connect 127.0.0.1:$PORT -CAfile "$P/ca.pem" \
	    -cert "$P/depositor.pem" -key "$P/depositor.key" >/dev/null 2>&1 &
	pids="$pids $!"; i=$((i + 1))
done
sleep 1
http GET depositor /v1/nope
t_ok "connection over max-connections-per-client refused" [ "$CODE" = 000 ]
t_match "the cap is logged" "$(cat "$T/frontd.log")" "more than 6 connections from this address"
for p in $pids; do kill "$p" 2>/dev/null; done
wait $pids 2>/dev/null
sleep 0.5
http GET depositor /v1/nope
t_eq "below the cap again: served" "$CODE" 404

# idle-timeout: a connection silent after its answer is closed, and a
# connection that keeps asking is not.  (python3: s_client -quiet does
# not end when the server closes.)
idle_client()	# idle_client N-REQUESTS PAUSE -> "ANSWERS SECONDS-FROM-LAST-TO-CLOSE"
{
	python3 - "$PORT" "$P" "$1" "$2" <<'PY' 2>&1
import socket, ssl, sys, time
port, p, n, pause = int(sys.argv[1]), sys.argv[2], int(sys.argv[3]), float(sys.argv[4])
ctx = ssl.create_default_context(cafile=p + "/ca.pem")
ctx.check_hostname = False
ctx.load_cert_chain(p + "/depositor.pem", p + "/depositor.key")
s = ctx.wrap_socket(socket.create_connection(("127.0.0.1", port)))
s.settimeout(20)
got = b""
for i in range(n):
    s.sendall(b"GET /v1/nope HTTP/1.1\r\nHost: x\r\n\r\n")
    start = time.time()
    time.sleep(pause)
while True:
    try:
        b = s.recv(65536)
    except (ssl.SSLError, OSError):
        break
    if not b:
        break
    got += b
print(got.count(b"HTTP/1.1 404"), int(time.time() - start + 0.5))
PY
}
out=$(idle_client 1 0)
t_match "idle: answered, then closed after idle-timeout (4 s)" "$out" "^1 [45]$"
out=$(idle_client 6 1)
t_match "busy past idle-timeout: all answered, then closed 4 s after the last" "$out" "^6 [45]$"

t_ok "control socket is there" test -S "$T/run/frontd.ctl"
t_ok "frontd still runs" kill -0 "$FRONTD_PID"
t_done
