#!/bin/sh
# What a capture agent sees when the vault refuses a deposit, on the real
# suite with curl: the TLS layer (no certificate, another CA, revoked,
# TLS 1.1), roles, and every check of the trace and of the request.
# Each refusal gives the exact HTTP code and JSON status/error, stores
# nothing and consumes no IDEvt: the next good deposit gets the next
# number.  Also Client-Id replays, keep-alive and pipelined requests.
. "$(dirname "$0")/../lib/common.sh"
t_unprivileged "$@"
t_need curl openssl psql
t_tmpdir
. "$TOP/regress/lib/suite.sh"
suite_setup || exit 2
suite_start || exit 2

nev=0		# events stored so far, = the last IDEvt given
good=0		# Client-Ids of good deposits

# jget KEY JSON: a string or number member of a flat JSON answer.
jget()
{
	printf '%s' "$2" | sed -n "s/.*\"$1\":\"\{0,1\}\([^\",}]*\).*/\1/p" |
	    head -n 1
}

# post WHO CURL-ARGS...: POST /v1/events (or a URL given after the args)
# as WHO; the answer's body goes to $T/body, the code to $code.
post()
{
	who=$1; shift
	code=$(_suite_curl "$who" -o "$T/body" -w '%{http_code}' "$@")
	body=$(cat "$T/body" 2>/dev/null)
}

count() { suite_psql 'SELECT count(*) FROM events'; }

# refused NAME CODE STATUS ERROR: the last answer was this refusal and
# nothing was stored.
refused()
{
	t_eq "$1: HTTP $2" "$code" "$2"
	t_eq "$1: status" "$(jget status "$body")" "$3"
	t_eq "$1: error" "$(jget error "$body")" "$4"
	t_eq "$1: nothing stored" "$(count)" "$nev"
}

# good NAME: a good deposit gets exactly the next IDEvt.
good()
{
	good=$((good + 1))
	suite_sample OUVINFOPERSO > "$T/good.xml"
	post depositor -H 'Content-Type: application/xml' \
	    -H "Client-Id: good-$good" --data-binary @"$T/good.xml" \
	    "$CFJL_URL/v1/events"
	nev=$((nev + 1))
	t_eq "after $1: good deposit accepted" "$code" 201
	t_eq "after $1: next IDEvt is $nev" "$(jget idevt "$body")" "$nev"
}

# deposit FILE [CURL-ARGS...]: as the depositor, application/xml.
deposit()
{
	f=$1; shift
	post depositor -H 'Content-Type: application/xml' \
	    --data-binary @"$f" "$@" "$CFJL_URL/v1/events"
}

good "start"

# --- TLS: the handshake fails, no HTTP answer at all -----------------------
suite_sample CPTEALIM > "$T/ok.xml"
tls_refused()
{
	name=$1; shift
	code=$(curl -sS --max-time 10 --cacert "$P/ca.pem" "$@" \
	    -H 'Content-Type: application/xml' --data-binary @"$T/ok.xml" \
	    -o /dev/null -w '%{http_code}' "$CFJL_URL/v1/events" \
	    2>"$T/curl.err")
	rc=$?
	t_not "$name: curl fails ($(head -c 120 "$T/curl.err"))" \
	    test "$rc" -eq 0
	t_eq "$name: no HTTP answer" "$code" 000
	t_eq "$name: nothing stored" "$(count)" "$nev"
}
tls_refused "no client certificate"
tls_refused "certificate of another CA" --cert "$P/stranger.pem" \
    --key "$P/stranger.key"
tls_refused "revoked certificate" --cert "$P/revoked.pem" \
    --key "$P/revoked.key"
# The revoked certificate is refused for its revocation, not its chain:
# it was issued by the same CA as the depositor's.
t_ok "revoked certificate chains to the vault's CA" \
    openssl verify -CAfile "$P/ca.pem" "$P/revoked.pem" >/dev/null 2>&1
openssl verify -crl_check -CAfile "$P/ca.pem" -CRLfile "$P/crl.pem" \
    "$P/revoked.pem" > "$T/v.out" 2>&1
t_match "revoked certificate is in the CRL" "$(cat "$T/v.out")" \
    'certificate revoked'

# The same refusals seen with openssl s_client: the server's alert.
s_client()
{
	echo | timeout 10 openssl s_client -connect "127.0.0.1:$SUITE_PORT" \
	    -CAfile "$P/ca.pem" "$@" >"$T/s.out" 2>&1
}
s_client -tls1_2
t_match "no certificate, TLS 1.2: handshake failure alert" \
    "$(cat "$T/s.out")" 'alert handshake failure'
s_client -tls1_2 -cert "$P/stranger.pem" -key "$P/stranger.key"
t_match "another CA, TLS 1.2: unknown CA alert" "$(cat "$T/s.out")" \
    'alert unknown ca'
s_client -tls1_2 -cert "$P/revoked.pem" -key "$P/revoked.key"
t_match "revoked, TLS 1.2: revoked alert" "$(cat "$T/s.out")" \
    'alert certificate revoked'

# TLS 1.1 and older are refused (the client lowers its own floor so that
# the refusal is the server's).
s_client -tls1_1 -cipher 'DEFAULT@SECLEVEL=0' -cert "$P/depositor.pem" \
    -key "$P/depositor.key"
rc=$?
t_not "TLS 1.1 refused" test "$rc" -eq 0
t_match "TLS 1.1: protocol version alert" "$(cat "$T/s.out")" \
    'alert protocol version'
t_ok "TLS 1.1: no session" grep -q 'Cipher is (NONE)' "$T/s.out"
s_client -tls1_2 -cert "$P/depositor.pem" -key "$P/depositor.key"
t_ok "TLS 1.2 accepted" grep -q 'Protocol *: TLSv1.2' "$T/s.out"
good "TLS refusals"

# --- roles ----------------------------------------------------------------
post reader -H 'Content-Type: application/xml' --data-binary @"$T/ok.xml" \
    "$CFJL_URL/v1/events"
refused "reader deposits" 403 CFJL_FORBIDDEN "wrong role"
post nobody -H 'Content-Type: application/xml' --data-binary @"$T/ok.xml" \
    "$CFJL_URL/v1/events"
refused "subject without role deposits" 403 CFJL_FORBIDDEN "no role"
post reader -H 'Content-Type: application/xml' --data-binary @"$T/ok.xml" \
    "$CFJL_URL/v1/events/batch"
refused "reader deposits a batch" 403 CFJL_FORBIDDEN "wrong role"
good "role refusals"

# --- the trace -------------------------------------------------------------
head -c 200 "$T/ok.xml" > "$T/bad.xml"
deposit "$T/bad.xml"
refused "truncated XML" 400 CFJL_INVALID_MESSAGE "malformed XML"
suite_sample CPTEALIM | sed 's|</IDOper>|</IDOp>|' > "$T/bad.xml"
deposit "$T/bad.xml"
refused "mismatched tags" 400 CFJL_INVALID_MESSAGE "malformed XML"
printf 'not xml at all\n' > "$T/bad.xml"
deposit "$T/bad.xml"
refused "not XML" 400 CFJL_INVALID_MESSAGE "malformed XML"
good "malformed XML"

printf '%s\n' '<?xml version="1.0" encoding="UTF-8"?>' \
    '<!DOCTYPE OUVINFOPERSO [ <!ENTITY xxe SYSTEM "file:///etc/passwd"> ]>' \
    > "$T/xxe.xml"
suite_sample OUVINFOPERSO | sed 1d |
    sed 's|<Nom>Anguenot</Nom>|<Nom>\&xxe;</Nom>|' >> "$T/xxe.xml"
deposit "$T/xxe.xml"
refused "XXE (external entity)" 400 CFJL_INVALID_MESSAGE "DTD refused"
{
	echo '<?xml version="1.0"?>'
	echo '<!DOCTYPE lolz ['
	echo ' <!ENTITY lol "lol">'
	i=1; prev=lol
	while [ $i -le 9 ]; do
		printf ' <!ENTITY lol%d "' $i
		for _ in 1 2 3 4 5 6 7 8 9 10; do printf '&%s;' $prev; done
		echo '">'
		prev=lol$i; i=$((i + 1))
	done
	echo ']>'
	echo '<lolz>&lol9;</lolz>'
} > "$T/lolz.xml"
deposit "$T/lolz.xml"
refused "billion laughs" 400 CFJL_INVALID_MESSAGE "DTD refused"
printf '%s\n' '<?xml version="1.0"?>' '<!DOCTYPE OUVINFOPERSO SYSTEM "http://127.0.0.1:1/x.dtd">' \
    > "$T/ext.xml"
suite_sample OUVINFOPERSO | sed 1d >> "$T/ext.xml"
deposit "$T/ext.xml"
refused "external DTD" 400 CFJL_INVALID_MESSAGE "DTD refused"
good "DTD refusals"

suite_sample CPTEALIM | sed 's|CPTEALIM>|NOSUCHEVENT>|g' > "$T/bad.xml"
deposit "$T/bad.xml"
refused "unknown root element" 422 CFJL_INVALID_MESSAGE "unknown event type"
sed 's|<TypAg>PS</TypAg>||' "$T/good.xml" > "$T/bad.xml"
deposit "$T/bad.xml"
refused "schema-invalid trace (TypAg missing)" 422 CFJL_INVALID_MESSAGE \
    "schema validation failed"
t_match "schema refusal names the element" "$(jget detail "$body")" TypAg
sed 's|<DateN>19810408</DateN>|<DateN>not-a-date</DateN>|' "$T/good.xml" \
    > "$T/bad.xml"
deposit "$T/bad.xml"
refused "schema-invalid trace (DateN)" 422 CFJL_INVALID_MESSAGE \
    "schema validation failed"
good "schema refusals"

for v in 1 7 '-1' 'abc' '0<!--x-->'; do
	sed "s|<IDEvt>0</IDEvt>|<IDEvt>$v</IDEvt>|" "$T/good.xml" > "$T/bad.xml"
	deposit "$T/bad.xml"
	refused "forged IDEvt $v" 400 CFJL_INVALID_MESSAGE \
	    "IDEvt belongs to the vault"
done
sed "s|<IDEvt>0</IDEvt>|<IDEvt>$((nev + 1))</IDEvt>|" "$T/good.xml" > "$T/bad.xml"
deposit "$T/bad.xml"
refused "forged IDEvt equal to the next number" 400 CFJL_INVALID_MESSAGE \
    "IDEvt belongs to the vault"
good "forged IDEvt"

sed 's|<IDOper>48</IDOper>|<IDOper>49</IDOper>|' "$T/good.xml" > "$T/bad.xml"
deposit "$T/bad.xml"
refused "IDOper of another operator" 422 CFJL_INVALID_MESSAGE "wrong operator"
sed 's|<IDCoffre>1</IDCoffre>|<IDCoffre>2</IDCoffre>|' "$T/good.xml" \
    > "$T/bad.xml"
deposit "$T/bad.xml"
refused "IDCoffre of another vault" 422 CFJL_INVALID_MESSAGE "wrong vault"
good "operator refusals"

# --- the request ------------------------------------------------------------
# A body over max-body (1M): refused on its Content-Length.
{
	sed 's|</OUVINFOPERSO>||' "$T/good.xml"
	head -c 1100000 /dev/zero | tr '\0' ' '
	echo '</OUVINFOPERSO>'
} > "$T/big.xml"
deposit "$T/big.xml"
refused "oversized body" 413 CFJL_TOO_LARGE "request body too large"
good "oversized body"

sum=$(sha256sum < "$T/good.xml" | cut -d' ' -f1)
deposit "$T/ok.xml" -H "Digest: sha-256=$sum"
refused "Digest of another body" 400 CFJL_INVALID_MESSAGE "Digest mismatch"
t_match "Digest refusal says why" "$(jget detail "$body")" 'differs'
deposit "$T/ok.xml" -H "Digest: sha-256=nothex"
refused "malformed Digest" 400 CFJL_INVALID_MESSAGE "Digest mismatch"
good "Digest refusals"
okdg=$(sha256sum < "$T/ok.xml" | cut -d' ' -f1)
deposit "$T/ok.xml" -H "Digest: sha-256=$okdg" -H 'Client-Id: digest-ok'
nev=$((nev + 1))
t_eq "matching Digest accepted" "$code" 201
t_eq "matching Digest: IDEvt $nev" "$(jget idevt "$body")" "$nev"

# --- Timestamp: the depositor's time, RFC 3339 or refused -------------------
for v in yesterday '2026-11-24 10:00:00Z' 2026-11-24T10:00:00 \
    2026-11-24T10:00Z 2026-02-29T10:00:00Z 2026-04-31T10:00:00Z \
    2026-11-24T24:00:00Z 2026-11-24T10:60:00Z 2026-11-24T10:00:61Z \
    2026-11-24T10:00:00.Z 2026-11-24T10:00:00.1234567890Z \
    2026-11-24T10:00:00+1:00 2026-11-24T10:00:00+01:00Z \
    '2026-11-24T10:00:00Z"/><x' 2026-11-24T10:00:00.123456789+01:00:00; do
	deposit "$T/ok.xml" -H "Timestamp: $v"
	refused "Timestamp \"$v\"" 400 CFJL_INVALID_TIMESTAMP \
	    "malformed Timestamp"
done
t_match "Timestamp refusal says why" "$body" \
    '"detail":"Timestamp .*2026-11-24T10:00:00.123456789\+01:00:00.* is not an RFC 3339 date-time'
deposit "$T/ok.xml" -H 'Timestamp;'
refused "empty Timestamp" 400 CFJL_INVALID_TIMESTAMP "malformed Timestamp"
deposit "$T/ok.xml" -H "Timestamp: 2026-11-24T10:00:00.$(printf '%0300d' 0)Z"
refused "Timestamp longer than a header field is kept" 400 \
    CFJL_INVALID_TIMESTAMP "malformed Timestamp"
t_match "a Timestamp too long: says so" "$body" "too long or not printable ASCII"
good "Timestamp refusals"
# Accepted in its forms, recorded as sent in the lot entry (below).
deposit "$T/ok.xml" -H 'Timestamp: 2026-11-24t11:00:00.123456789+01:00' \
    -H 'Client-Id: stamped'
nev=$((nev + 1))
stamped=$body
t_eq "RFC 3339 Timestamp accepted" "$code" 201
t_eq "RFC 3339 Timestamp: IDEvt $nev" "$(jget idevt "$body")" "$nev"
deposit "$T/ok.xml" -H 'Timestamp: 2028-02-29T23:59:60Z'
nev=$((nev + 1))
t_eq "leap day and leap second accepted" "$code" 201
stamped2=$body

post depositor -H 'Content-Type: text/plain' --data-binary @"$T/ok.xml" \
    "$CFJL_URL/v1/events"
refused "text/plain" 415 CFJL_UNSUPPORTED_MEDIA_TYPE "unsupported media type"
post depositor -H 'Content-Type: application/json' --data-binary @"$T/ok.xml" \
    "$CFJL_URL/v1/events"
refused "application/json" 415 CFJL_UNSUPPORTED_MEDIA_TYPE \
    "unsupported media type"
good "media type refusals"

# --- Client-Id ----------------------------------------------------------------
suite_sample CPTEALIM > "$T/c1.xml"
deposit "$T/c1.xml" -H 'Client-Id: cid-1'
nev=$((nev + 1))
first=$body
t_eq "Client-Id cid-1 deposited" "$code" 201
t_eq "Client-Id cid-1: IDEvt $nev" "$(jget idevt "$body")" "$nev"
deposit "$T/c1.xml" -H 'Client-Id: cid-1'
t_eq "same Client-Id, same body: 201" "$code" 201
t_eq "same Client-Id, same body: duplicate" "$(jget status "$body")" \
    CFJL_DUPLICATE_EVENT
t_eq "same Client-Id, same body: same IDEvt" "$(jget idevt "$body")" "$nev"
t_eq "same Client-Id, same body: same digest" "$(jget digest "$body")" \
    "$(jget digest "$first")"
t_eq "same Client-Id, same body: same lot" "$(jget lot "$body")" \
    "$(jget lot "$first")"
t_eq "same Client-Id, same body: client_id" "$(jget client_id "$body")" cid-1
t_eq "same Client-Id, same body: nothing stored" "$(count)" "$nev"
suite_sample CPTEALIMOPE > "$T/c2.xml"
deposit "$T/c2.xml" -H 'Client-Id: cid-1'
refused "Client-Id reused with another body" 409 CFJL_CLIENT_ID_REUSED \
    "Client-Id reused"
good "Client-Id refusal"

# --- batches: all or nothing --------------------------------------------------
batch()
{
	{
		echo '<Traces>'
		for s; do
			case $s in
			bad) sed 's|<IDOper>48</IDOper>|<IDOper>49</IDOper>|' \
			    "$T/good.xml" | sed 1d ;;
			*) suite_sample "$s" | sed 1d ;;
			esac
		done
		echo '</Traces>'
	} > "$T/batch.xml"
}
batch CPTEALIM CPTERETRAIT bad PASPMISE
post depositor -H 'Content-Type: application/xml' -H 'Client-Id: b1' \
    --data-binary @"$T/batch.xml" "$CFJL_URL/v1/events/batch"
refused "batch with a bad third trace" 422 CFJL_INVALID_MESSAGE \
    "wrong operator"
t_eq "batch refusal names index 2" "$(jget index "$body")" 2
batch CPTEALIM CPTERETRAIT PASPMISE
sed 's|<IDEvt>0</IDEvt>|<IDEvt>5</IDEvt>|' "$T/batch.xml" > "$T/batch2.xml"
post depositor -H 'Content-Type: application/xml' \
    --data-binary @"$T/batch2.xml" "$CFJL_URL/v1/events/batch"
refused "batch with a forged IDEvt in the first trace" 400 \
    CFJL_INVALID_MESSAGE "IDEvt belongs to the vault"
t_eq "batch refusal names index 0" "$(jget index "$body")" 0
good "batch refusals"
# The good batch after the refusal: three consecutive numbers.
post depositor -H 'Content-Type: application/xml' -H 'Client-Id: b1' \
    --data-binary @"$T/batch.xml" "$CFJL_URL/v1/events/batch"
t_eq "good batch accepted" "$code" 201
t_eq "good batch: three items" "$(jget count "$body")" 3
ids=$(printf '%s' "$body" | grep -o '"idevt":[0-9]*' | cut -d: -f2 | tr '\n' ' ')
t_eq "good batch: consecutive IDEvt" "$ids" "$((nev + 1)) $((nev + 2)) $((nev + 3)) "
nev=$((nev + 3))
t_eq "good batch: three stored" "$(count)" "$nev"

# --- keep-alive and pipelining --------------------------------------------
# curl reuses the connection for the second URL: both are answered.
dep_curl -H 'Content-Type: application/xml' --data-binary @"$T/good.xml" \
    -w '%{http_code} %{num_connects}\n' -o /dev/null -o /dev/null \
    "$CFJL_URL/v1/events" "$CFJL_URL/v1/events" > "$T/ka.out"
t_eq "keep-alive: both answered, one connection" "$(tr '\n' ' ' < "$T/ka.out")" \
    "201 1 201 0 "
nev=$((nev + 2))
t_eq "keep-alive: both stored" "$(count)" "$nev"

# Two deposits written back to back before reading any answer.
len=$(wc -c < "$T/good.xml")
{
	for i in 1 2; do
		printf 'POST /v1/events HTTP/1.1\r\nHost: 127.0.0.1\r\n'
		printf 'Content-Type: application/xml\r\nClient-Id: pipe-%d\r\n' $i
		[ $i = 2 ] && printf 'Connection: close\r\n'
		printf 'Content-Length: %d\r\n\r\n' "$len"
		cat "$T/good.xml"
	done
} > "$T/pipe.req"
timeout 10 openssl s_client -quiet < "$T/pipe.req" \
    -connect "127.0.0.1:$SUITE_PORT" -CAfile "$P/ca.pem" \
    -cert "$P/depositor.pem" -key "$P/depositor.key" > "$T/pipe.out" 2>/dev/null
t_eq "pipelined: two 201 answers" \
    "$(grep -c '^HTTP/1.1 201' "$T/pipe.out")" 2
ids=$(grep -o '"idevt":[0-9]*' "$T/pipe.out" | cut -d: -f2 | tr '\n' ' ')
t_eq "pipelined: answered in order" "$ids" "$((nev + 1)) $((nev + 2)) "
t_match "pipelined: client ids in order" \
    "$(grep -o '"client_id":"[^"]*"' "$T/pipe.out" | tr '\n' ' ')" \
    'pipe-1.*pipe-2'
nev=$((nev + 2))
t_eq "pipelined: both stored" "$(count)" "$nev"

# A refusal in the middle of a pipeline does not disturb the others.
{
	printf 'POST /v1/events HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\n'
	printf 'Content-Length: %d\r\n\r\n' "$len"
	cat "$T/good.xml"
	printf 'POST /v1/events HTTP/1.1\r\nHost: x\r\nContent-Type: application/xml\r\n'
	printf 'Connection: close\r\nContent-Length: %d\r\n\r\n' "$len"
	cat "$T/good.xml"
} > "$T/pipe.req"
timeout 10 openssl s_client -quiet < "$T/pipe.req" \
    -connect "127.0.0.1:$SUITE_PORT" -CAfile "$P/ca.pem" \
    -cert "$P/depositor.pem" -key "$P/depositor.key" > "$T/pipe.out" 2>/dev/null
t_eq "pipelined refusal then deposit" \
    "$(grep '^HTTP/1.1' "$T/pipe.out" | cut -d' ' -f2 | tr '\n' ' ')" "415 201 "
nev=$((nev + 1))
t_eq "pipelined: the good one got IDEvt $nev" \
    "$(grep -o '"idevt":[0-9]*' "$T/pipe.out" | cut -d: -f2)" "$nev"

# --- depositor attestation: the answer against the sealed lot ---------------
# record_digest is the Empreinte of the event's entry; the Timestamp sent
# is its Horodatage, as sent; an event sent without one has none.
lotxml()
{
	for _ in $(seq 1 50); do
		c=$(dep_curl -o "$T/lot.xml" -w '%{http_code}' \
		    "$CFJL_URL/v1/lots/$1")
		[ "$c" = 200 ] && break
		sleep 0.2
	done
	grep -o "<Evenement IDEvt=\"$2\"[^>]*>" "$T/lot.xml"
}
id=$(jget idevt "$stamped")
entry=$(lotxml "$(jget lot "$stamped")" "$id")
t_match "stamped event: its lot entry" "$entry" "IDEvt=\"$id\""
t_match "stamped event: Horodatage as sent" "$entry" \
    ' Horodatage="2026-11-24t11:00:00.123456789\+01:00" '
t_eq "stamped event: record_digest is the Empreinte" \
    "$(printf '%s' "$entry" | sed -n 's/.*Empreinte="\([^"]*\)".*/\1/p')" \
    "$(jget record_digest "$stamped")"
t_eq "record_digest is the SHA-256 of the stored record" \
    "$(suite_psql "SELECT encode(p7m_sha256, 'base64') FROM events WHERE idevt = $id")" \
    "$(jget record_digest "$stamped")"
deposit "$T/ok.xml" -H 'Client-Id: stamped'
t_eq "a duplicate's answer: the same record_digest" \
    "$(jget record_digest "$body")" "$(jget record_digest "$stamped")"
id2=$(jget idevt "$stamped2")
t_match "leap second recorded" "$(lotxml "$(jget lot "$stamped2")" "$id2")" \
    ' Horodatage="2028-02-29T23:59:60Z" '
id3=$(jget idevt "$first")
t_not "an event sent without Timestamp has no Horodatage" \
    sh -c "printf '%s' '$(lotxml "$(jget lot "$first")" "$id3")' | grep -q Horodatage"

# --- the end: numbering has no gap -----------------------------------------
good "everything"
t_eq "IDEvt 1..$nev, no gap, no duplicate" \
    "$(suite_psql 'SELECT count(DISTINCT idevt), min(idevt), max(idevt) FROM events')" \
    "$nev|1|$nev"

t_done
