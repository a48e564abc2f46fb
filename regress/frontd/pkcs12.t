#!/bin/sh
# frontd's TLS key and certificate from a PKCS#12 file, its passphrase
# from a file only its owner reads, both read at start: the server then
# presents that certificate.  A wrong passphrase, a passphrase file
# others may read, a file that is not PKCS#12, and pkcs12 given with a
# key are refused with their reason.
. "$(dirname "$0")/../lib/common.sh"
t_unprivileged "$@"
t_need curl openssl ss
[ -d "$ARJEL/xsd" ] || t_skip "no ARJEL schemas in $ARJEL"
t_tmpdir
. "$TOP/regress/frontd/alone.sh"
pki_make "$P" || exit 2
printf 'correct horse\n' > "$T/pass"
chmod 0600 "$T/pass"
openssl pkcs12 -export -in "$P/server.pem" -inkey "$P/server.key" \
    -certfile "$P/ca.pem" -passout "pass:correct horse" -out "$T/server.p12" \
    2>/dev/null || exit 2

ALONE_TLS="	tls pkcs12 \"$T/server.p12\"
	tls passphrase-file \"$T/pass\""
alone_start
http GET depositor /v1/status
t_ok "with the PKCS#12 key: the handshake succeeds" [ "$CURL_RC" -eq 0 ]
t_eq "with the PKCS#12 key: 503 (no stored), as with PEM files" "$CODE" 503
out=$(openssl s_client -connect 127.0.0.1:$PORT -CAfile "$P/ca.pem" \
    -cert "$P/depositor.pem" -key "$P/depositor.key" -showcerts </dev/null 2>&1)
t_match "the server presents the certificate of the PKCS#12 file" "$out" \
    "s:C = FR, O = Operateur 48, CN = localhost"
t_match "and its chain" "$out" "1 s:C = FR, O = Operateur 48, CN = CFJL Test Operator CA"
t_match "the passphrase file was read before the sandbox" \
    "$(cat "$T/frontd.log")" "tls pkcs12 $T/server.p12: key and certificate read"
alone_stop

# refused START-LINES: frontd does not start; $out its words.
refused()
{
	ALONE_TLS=$1
	sed -i '/^	tls \(pkcs12\|passphrase-file\|certificate\|key\) /d' "$T/cfjl.conf"
	awk -v tls="$ALONE_TLS" '{ print } /^frontd \{/ { print tls }' \
	    "$T/cfjl.conf" > "$T/r.conf"
	out=$(timeout 20 "$FRONTD" -d -f "$T/r.conf" 2>&1); rc=$?
	t_ok "$2: frontd does not start" [ "$rc" -ne 0 ]
	t_match "$2: explained" "$out" "$3"
}
printf 'wrong\n' > "$T/wrong"
chmod 0600 "$T/wrong"
refused "	tls pkcs12 \"$T/server.p12\"
	tls passphrase-file \"$T/wrong\"" "wrong passphrase" \
    "tls pkcs12 $T/server.p12: cannot be opened \\(wrong passphrase\\?\\)"
cp "$T/pass" "$T/open"
chmod 0644 "$T/open"
refused "	tls pkcs12 \"$T/server.p12\"
	tls passphrase-file \"$T/open\"" "passphrase file others may read" \
    "tls passphrase-file $T/open: PIN file $T/open has mode 0644: it must"
refused "	tls pkcs12 \"$P/server.pem\"
	tls passphrase-file \"$T/pass\"" "a PEM file given as PKCS#12" \
    "tls pkcs12 $P/server.pem: not a PKCS#12 file"
refused "	tls pkcs12 \"$T/server.p12\"" "no passphrase file" \
    "tls pkcs12 and tls passphrase-file go together"
refused "	tls pkcs12 \"$T/server.p12\"
	tls passphrase-file \"$T/pass\"
	tls key \"$P/server.key\"" "pkcs12 and a key" \
    "tls pkcs12 holds the key and certificate: no tls certificate or tls key with it"

t_done
