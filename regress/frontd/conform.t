#!/bin/sh
# frontd's HTTP on the wire, where RFC 9110/9112 leave no choice: HEAD
# wherever GET is served, the absolute form of the request target, a
# head that can never end refused at once, every pipelined request
# answered however many come in one write, and refusals whose detail
# names the bound actually broken.  No stored runs: what needs it gets
# 503, which is enough to compare GET and HEAD.
. "$(dirname "$0")/../lib/common.sh"
t_unprivileged "$@"
t_need curl openssl ss
[ -d "$ARJEL/xsd" ] || t_skip "no ARJEL schemas in $ARJEL"
t_tmpdir
. "$TOP/regress/frontd/alone.sh"
alone_start "	header-timeout 10s
	idle-timeout 10s"

W=$TOP/regress/frontd/wire.py
json() { sed -n "s/.*\"$1\":\"\([^\"]*\)\".*/\1/p" "$T/body"; }
wire() { /usr/bin/python3 "$W" "$@" "$PORT" "$P" depositor; }

# --- HEAD: GET's head, no body, wherever GET is served ---
for path in /v1/nope /v1/status /v1/lots/abc /v1/events; do
	out=$(printf 'HEAD %s HTTP/1.1\r\nHost: x\r\n\r\nGET %s HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n' \
	    "$path" "$path" | wire -m HEAD,GET)
	head=$(printf '%s\n' "$out" | sed -n 1p)
	get=$(printf '%s\n' "$out" | sed -n 2p)
	t_eq "HEAD $path: the status and length of GET, no body" \
	    "$(echo "$head" | cut -d' ' -f1-2) 0" "$(echo "$get" | cut -d' ' -f1-2) $(echo "$head" | cut -d' ' -f3)"
	t_match "HEAD $path: GET answered after it on the connection" "$get" "^[0-9]{3} [0-9]+ [1-9][0-9]* "
done
http HEAD depositor /v1/status -I
t_eq "HEAD /v1/status, stored away: 503" "$CODE" 503
t_match "HEAD: Retry-After as GET" "$(cat "$T/headers")" "Retry-After: [0-9]+"
t_not "HEAD: no JSON body (curl -I writes the head alone)" grep -q '{' "$T/body"
http HEAD depositor /v1/events -I
t_eq "HEAD on deposits: 405" "$CODE" 405
t_match "HEAD on deposits: Allow: POST" "$(cat "$T/headers")" "Allow: POST"
http POST reader /v1/status -H 'Content-Type: application/xml' --data-binary x
t_eq "POST on status: 405" "$CODE" 405
t_match "405 on a read-only route: Allow: GET, HEAD" "$(cat "$T/headers")" "Allow: GET, HEAD"
http HEAD nobody /v1/status -I
t_eq "HEAD without a role: 403" "$CODE" 403

# --- the absolute form (RFC 9112 3.2.2) ---
http GET depositor /v1/nope --request-target "https://127.0.0.1:$PORT/v1/nope"
t_eq "absolute form: routed by its path (404)" "$CODE" 404
t_eq "absolute form: the route's own refusal" "$(json detail)" "no such resource"
http GET reader /x --request-target "https://vault.example/v1/export?from=2&to=1"
t_eq "absolute form with a query: routed (bad range)" "$(json detail)" "from 2 is after to 1"
http GET depositor /x --request-target "ftp://127.0.0.1/v1/nope"
t_eq "another scheme: 400" "$CODE" 400
t_eq "another scheme: says why" "$(json error)" "the request target must be a path or an https URI"
http GET depositor /x --request-target "https://u@127.0.0.1/v1/nope"
t_eq "user information in the target: 400" "$CODE" 400
t_eq "user information: says so" "$(json error)" "user information in the request target"

# --- a head that never ends in CRLF CRLF: 400 at once, not 408 ---
out=$(printf 'GET /v1/nope HTTP/1.1\nHost: x\n\n' | wire -r -t 5)
t_match "bare LF: 400" "$out" "^HTTP/1.1 400 "
t_match "bare LF: says so" "$out" '"error":"bare LF in the request head: lines end with CRLF"'
out=$(printf 'GET /v1/nope HTTP/1.1\nHost: x\n\n' | wire -t 5)
t_match "bare LF: answered and closed within a second" "$out" "end 0\.[0-9]+$"
out=$(printf 'GET /v1/nope HTTP/1.1\r\nHost: x\rY\r\n\r\n' | wire -r -t 5)
t_match "bare CR: 400 with its reason" "$out" '"error":"bare CR in the request head"'

# --- refusals name the bound broken ---
http POST depositor /v1/events -H 'Content-Type: application/xml' -H 'Digest;' --data-binary x
t_eq "empty Digest: 400" "$CODE" 400
t_eq "empty Digest: error" "$(json error)" "empty Digest"
t_eq "empty Digest: detail" "$(json detail)" "a Digest header carries sha-256=<hex> or SHA-256=<base64>"
big=$(head -c 9216 /dev/zero | tr '\0' y)
http GET depositor /v1/nope -H "X-Big: $big"
t_eq "9 KB header line: 431" "$CODE" 431
t_eq "9 KB header line: error" "$(json error)" "header line too long"
t_eq "9 KB header line: the 8 KiB line bound" "$(json detail)" "a header line is at most 8192 bytes"
hdrs=""; i=0
while [ $i -lt 5 ]; do hdrs="$hdrs -H X-$i:$(head -c 4000 /dev/zero | tr '\0' y)"; i=$((i + 1)); done
http GET depositor /v1/nope $hdrs
t_eq "20 KB of short lines: 431" "$CODE" 431
t_eq "20 KB head: the max-header-size bound" "$(json detail)" "the request head is at most 16384 bytes (max-header-size)"
http GET depositor "/v1/$(head -c 9000 /dev/zero | tr '\0' a)"
t_eq "9 KB request line: 414" "$CODE" 414
t_eq "9 KB request line: the line bound" "$(json detail)" "the request line is at most 8192 bytes"
http GET depositor "/v1/$(head -c 2000 /dev/zero | tr '\0' a)"
t_eq "2 KB path: 414" "$CODE" 414
t_eq "2 KB path: the path bound" "$(json detail)" "a request path is at most 1023 bytes"
hdrs=$(awk 'BEGIN { for (i = 0; i < 80; i++) printf "X-%d: y\\r\\n", i }')
out=$(printf "GET / HTTP/1.1\r\nHost: x\r\n$hdrs\r\n" | wire -r -t 5)
t_match "80 header fields: max-headers" "$out" '"detail":"at most 64 header fields \(max-headers\)"'
http POST depositor /v1/events -H 'Content-Type: application/xml' -H 'Content-Length: 999999' -H 'Expect:'
t_eq "body over max-body: 413" "$CODE" 413
t_eq "body over max-body: that bound" "$(json detail)" "a request body is at most 65536 bytes (max-body)"
for q in "since=20261301000000&until=20261231000000:since is not a date: YYYYMMDDhhmmss, a real day and time, once" \
    "since=20260101000000&until=20260230120000:until is not a date: YYYYMMDDhhmmss, a real day and time, once" \
    "since=20250229000000&until=20260101000000:since is not a date: YYYYMMDDhhmmss, a real day and time, once" \
    "since=20260101246000&until=20260102000000:since is not a date: YYYYMMDDhhmmss, a real day and time, once" \
    "since=2026-01-01&until=20260102000000:since is not a date: YYYYMMDDhhmmss, a real day and time, once" \
    "since=20260102000000&until=20260101000000:since 20260102000000 is after until 20260101000000" \
    "since=20260101000000:since and until go together" \
    "from=1&to=x:to is not an IDEvt: a number, once" \
    "from=0&to=3:from is 1 or more: IDEvt count from 1" \
    "from=1&to=2&since=20260101000000&until=20260102000000:ask for a range of IDEvt (from, to) or of time (since, until), not both" \
    "x=1:ask for ?from=A&to=B (IDEvt, 1 <= A <= B) or ?since=YYYYMMDDhhmmss&until=YYYYMMDDhhmmss"; do
	http GET reader "/v1/export?${q%%:*}"
	t_eq "export ${q%%:*}: 400 bad range" "$CODE $(json error)" "400 bad range"
	t_eq "export ${q%%:*}: says what is wrong" "$(json detail)" "${q#*:}"
done
http GET reader "/v1/export?since=20240229235959&until=20260101000000"
t_eq "a leap day: a date (503, stored away)" "$CODE" 503

# --- pipelining: every request answered, however many in one write ---
req=$(awk 'BEGIN { for (i = 0; i < 99; i++) printf "GET /v1/nope HTTP/1.1\\r\\nHost: x\\r\\n\\r\\n"; printf "GET /v1/nope HTTP/1.1\\r\\nHost: x\\r\\nConnection: close\\r\\n\\r\\n" }')
out=$(printf "$req" | wire -t 15)
t_eq "100 pipelined GETs: 100 answers" "$(printf '%s\n' "$out" | grep -c '^404 ')" 100
t_match "100 pipelined GETs: then the close, within a second" "$(printf '%s\n' "$out" | tail -n 1)" "^end 0\.[0-9]+$"
req=$(awk 'BEGIN { for (i = 0; i < 40; i++) printf "GET /v1/status HTTP/1.1\\r\\nHost: x\\r\\n\\r\\nHEAD /v1/nope HTTP/1.1\\r\\nHost: x\\r\\n\\r\\n"; printf "GET /v1/nope HTTP/1.1\\r\\nHost: x\\r\\nConnection: close\\r\\n\\r\\n" }')
m=$(awk 'BEGIN { for (i = 0; i < 40; i++) printf "GET,HEAD,"; printf "GET" }')
out=$(printf "$req" | wire -t 15 -m "$m")
t_eq "81 pipelined GET and HEAD: in order" "$(printf '%s\n' "$out" | sed '$d' | cut -d' ' -f1 | tr '\n' ' ' | sed 's/ $//')" \
    "$(awk 'BEGIN { for (i = 0; i < 40; i++) printf "503 404 "; printf "404" }')"
t_eq "81 pipelined: HEAD answers carry no body" "$(printf '%s\n' "$out" | awk '$1 == 404 && $3 == 0' | wc -l | tr -d ' ')" 40
t_ok "frontd still runs" kill -0 "$FRONTD_PID"
t_done
