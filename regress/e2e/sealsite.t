#!/bin/sh
# A standby sealing site takes over.  Site A seals the first lots with
# its own token; its sealerd stops for good; site B's sealerd, with
# another token holding its own seal and time-stamping keys and
# certificates (from the same CA, installed in the token only), starts
# against the same stored.  Deposits go on and B seals them, chained to
# A's last lot.  The export carries both sites' certificates and
# cfjl-verify accepts it, naming who sealed which lots; a bundle without
# B's certificate, or with two lots' certificates swapped, or whose lot
# names a certificate that does not chain to the trust anchors, is
# refused.
. "$(dirname "$0")/../lib/common.sh"
t_unprivileged "$@"
t_need curl openssl psql tar
t_tmpdir
. "$TOP/regress/lib/suite.sh"
SUITE_CHECKPOINT_EVERY=1s
suite_setup || exit 2
suite_start || exit 2
V=$TOP/cfjl-verify/cfjl-verify
K=$(suite_bin cfjl-keys)

# deposit FROM TO: events FROM..TO, each acknowledged
deposit()
{
	_i=$1
	while [ "$_i" -le "$2" ]; do
		suite_sample OUVINFOPERSO | dep_curl -H 'Content-Type: application/xml' \
		    -H "Client-Id: site-$_i" --data-binary @- -o /dev/null \
		    -w '%{http_code}\n' "$CFJL_URL/v1/events"
		_i=$((_i + 1))
	done
}
# sealed N: wait until events 1..N are in sealed lots
sealed()
{
	_k=0
	while [ $_k -lt 100 ]; do
		[ "$(suite_psql "SELECT count(*) FROM lots l JOIN lot_seals s USING (numero) WHERE l.last >= $1")" != 0 ] &&
		    [ "$(suite_psql 'SELECT count(*) FROM lots l LEFT JOIN lot_seals s USING (numero) WHERE s.numero IS NULL')" = 0 ] &&
		    return 0
		sleep 0.2; _k=$((_k + 1))
	done
	return 1
}
serial() { openssl x509 -in "$1" -noout -serial | sed 's/^serial=//'; }

t_eq "site A: 6 deposits acknowledged" "$(deposit 1 6 | sort | uniq -c | tr -s ' ')" " 6 201"
t_ok "site A: every lot sealed" sealed 6
t_match "site A's sealerd found its certificates in the token" \
    "$(cat "$SUITE/log/sealerd.log")" 'sealing certificate .* \(from the token\)'
lastA=$(suite_psql 'SELECT max(numero) FROM lot_seals')
t_eq "the seals name site A's certificate" \
    "$(suite_psql "SELECT encode(seal_cert, 'hex') FROM lot_seals GROUP BY seal_cert")" \
    "$(pki_fingerprint "$SUITE/hsm/seal.crt")"

# Site B: its own token, keys and certificates, in the token only; its
# own state directory and cfjl.conf sealerd section.
t_ok "site B: a token of its own" hsm_add_token cfjl-b "$SUITE_PIN"
mkdir -p "$SUITE/hsm-b" "$SUITE/state-b" && chmod 0700 "$SUITE/state-b"
sed -e 's|pkcs11 token "cfjl"|pkcs11 token "cfjl-b"|' \
    -e 's|seal key "cfjl-seal" certificate .*|seal key "cfjl-seal"|' \
    -e 's|tsa key "cfjl-tsa" certificate .*|tsa key "cfjl-tsa"|' \
    -e "s|state-dir \"$SUITE/state\"|state-dir \"$SUITE/state-b\"|" \
    "$SUITE/cfjl.conf" > "$SUITE/cfjl-b.conf"
t_not "site B's configuration names no certificate file" \
    grep -Eq 'key "cfjl-(seal|tsa)" certificate' "$SUITE/cfjl-b.conf"
t_ok "site B: key ceremony" "$K" -f "$SUITE/cfjl-b.conf" generate -o "$SUITE/hsm-b"
pki_sign_csr "$P" "$SUITE/hsm-b/seal.csr" "$SUITE/hsm-b/seal.crt" seal || exit 2
pki_sign_csr "$P" "$SUITE/hsm-b/tsa.csr" "$SUITE/hsm-b/tsa.crt" tsa || exit 2
out=$("$K" -f "$SUITE/cfjl-b.conf" install seal "$SUITE/hsm-b/seal.crt")
t_eq "site B: seal certificate installed in the token only" "$out" \
    'installed seal certificate for key "cfjl-seal" in token "cfjl-b"'
t_ok "site B: tsa certificate installed" \
    "$K" -f "$SUITE/cfjl-b.conf" install tsa "$SUITE/hsm-b/tsa.crt"

# Site A is gone; site B's sealerd takes over.
suite_stop sealerd
t_eq "deposits still acknowledged while no sealerd runs" \
    "$(deposit 7 8 | sort | uniq -c | tr -s ' ')" " 2 201"
rm -f "$SUITE/run/sealer.sock"
"$(suite_bin sealerd)" -d -v -f "$SUITE/cfjl-b.conf" >>"$SUITE/log/sealerd-b.log" 2>&1 &
echo $! > "$SUITE/run/sealerd.pid"
t_ok "site B's sealerd starts" t_wait_path "$SUITE/run/sealer.sock" 15
t_eq "site B: 6 more deposits acknowledged" "$(deposit 9 14 | sort | uniq -c | tr -s ' ')" " 6 201"
t_ok "site B: every lot sealed" sealed 14
t_match "site B's sealerd found its certificates in the token" \
    "$(cat "$SUITE/log/sealerd-b.log")" 'sealing certificate .* \(from the token\)'
t_eq "lots sealed by two certificates, in two runs" \
    "$(suite_psql "SELECT encode(seal_cert, 'hex'), min(numero) = 1, max(numero) = $lastA FROM lot_seals WHERE numero <= $lastA GROUP BY seal_cert")" \
    "$(pki_fingerprint "$SUITE/hsm/seal.crt")|t|t"
t_eq "after lot $lastA, only site B's" \
    "$(suite_psql "SELECT DISTINCT encode(seal_cert, 'hex') FROM lot_seals WHERE numero > $lastA")" \
    "$(pki_fingerprint "$SUITE/hsm-b/seal.crt")"
t_eq "four certificates kept" "$(suite_psql 'SELECT kind, count(*) FROM seal_certs GROUP BY kind ORDER BY kind' | tr '\n' ' ')" "seal|2 tsa|2 "
# A checkpoint by site B, then the export.
k=0
until [ "$(suite_psql "SELECT count(*) FROM checkpoints WHERE seal_cert = decode('$(pki_fingerprint "$SUITE/hsm-b/seal.crt")', 'hex') AND last_lot = (SELECT max(numero) FROM lot_seals)")" != 0 ] || [ $k -ge 50 ]; do
	sleep 0.2; k=$((k + 1))
done
t_ok "site B made a checkpoint of the last lot" test $k -lt 50
last=$(suite_psql 'SELECT max(numero) FROM lot_seals')
code=$(read_curl -o "$T/export.tar" -w '%{http_code}' "$CFJL_URL/v1/export?from=1&to=14")
t_eq "the reader exports across both sites" "$code" 200
mkdir -p "$T/w/ok" && tar -xf "$T/export.tar" -C "$T/w/ok"
t_eq "certs/seal.pem holds both seal certificates" \
    "$(grep -c 'BEGIN CERTIFICATE' "$T/w/ok/certs/seal.pem")" 2
t_eq "certs/tsa.pem holds both time-stamping certificates" \
    "$(grep -c 'BEGIN CERTIFICATE' "$T/w/ok/certs/tsa.pem")" 2
"$V" -t "$P/trust.pem" -k "$P/regulator.key" "$T/export.tar" > "$T/verify.out" 2>&1
t_eq "cfjl-verify accepts the bundle ($(tail -n 1 "$T/verify.out"))" "$?" 0
sa=$(serial "$SUITE/hsm/seal.crt") sb=$(serial "$SUITE/hsm-b/seal.crt")
ta=$(serial "$SUITE/hsm/tsa.crt") tb=$(serial "$SUITE/hsm-b/tsa.crt")
t_match "cfjl-verify names both seal certificates and the change" \
    "$(cat "$T/verify.out")" "note  .*: the seal certificate changes: lots 1\\.\\.$lastA sealed by [^;]*CN=CFJL cachet 48-1 \\(serial $sa\\), lots $((lastA + 1))\\.\\.$last by [^;]*CN=CFJL cachet 48-1 \\(serial $sb\\); checkpoint [0-9]+ sealed by .* \\(serial $sb\\)"
t_match "and both time-stamping certificates" \
    "$(cat "$T/verify.out")" "note  .*: the time-stamping certificate changes: lots 1\\.\\.$lastA time-stamped by .* \\(serial $ta\\), lots $((lastA + 1))\\.\\.$last by .* \\(serial $tb\\)"
"$V" -j -t "$P/trust.pem" "$T/export.tar" > "$T/verify.json" 2>&1
t_eq "the JSON verdict too" "$?" 0
t_ok "the JSON report names the change" /usr/bin/python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
s = json.dumps(d)
sys.exit(0 if "the seal certificate changes: lots 1.." + sys.argv[2] in s and
    "(serial " + sys.argv[3] + ")" in s else 1)' "$T/verify.json" "$lastA" "$sb"

# An event sealed by site B proven alone.
"$V" prove -t "$P/trust.pem" 13 "$T/export.tar" > "$T/13.proof" 2>"$T/prove.out"
t_eq "a proof of IDEvt 13, sealed by site B" "$?" 0
"$V" proof -t "$P/trust.pem" "$T/13.proof" > "$T/proof.out" 2>&1
t_eq "the proof holds alone ($(tail -n 1 "$T/proof.out"))" "$?" 0

# Refusals, each with its message.
cd "$T" || exit 2
. "$TOP/regress/verify/pack.sh"
new() { rm -rf "w/$1"; mkdir -p "w/$1"; tar -xf export.tar -C "w/$1"; chmod -R u+w "w/$1"; W=w/$1; }
refused()
{
	out=$("$V" -t "$P/trust.pem" "$1.tar" 2>&1); rc=$?
	t_eq "$1: exit 1" "$rc" 1
	t_match "$1: $2" "$out" "$2"
}
LA=lots/$(printf '%012d' 1).xml LB=lots/$(printf '%012d' "$last").xml
kicert() { sed -n 's|.*<ds:X509Certificate>\([^<]*\)</ds:X509Certificate>.*|\1|p' "$1" | head -n 1; }

# Site B's certificate left out of the bundle.
new nob
openssl x509 -in "$SUITE/hsm/seal.crt" > $W/certs/seal.pem
pack nob
refused nob "lot $last: the certificate in ds:KeyInfo \\(.*\\) is not in certs/seal.pem"
t_match "nob: site A's lots still verify" "$out" "ok +.*: lot 1: XAdES-T seal verifies"

# Two lots' certificates swapped: each names the other site's.
new swap
ca=$(kicert $W/$LA) cb=$(kicert $W/$LB)
sed -i "s|<ds:X509Certificate>$ca</ds:X509Certificate>|<ds:X509Certificate>$cb</ds:X509Certificate>|" $W/$LA
sed -i "s|<ds:X509Certificate>$cb</ds:X509Certificate>|<ds:X509Certificate>$ca</ds:X509Certificate>|" $W/$LB
pack swap
refused swap "lot 1: SigningCertificateV2 does not match the signing certificate"
t_match "swap: the other lot too" "$out" "lot $last: SigningCertificateV2 does not match the signing certificate"
t_match "swap: the signatures fail" "$out" "lot 1: the XAdES signature does not verify with the key of its certificate"

# Site B's key certified by another authority, named by its last lot
# and carried in certs/seal.pem: it does not chain to the trust anchors.
_pki_ext seal > "$T/seal.ext"
openssl x509 -req -in "$SUITE/hsm-b/seal.csr" -CA "$P/other-ca.pem" \
    -CAkey "$P/other-ca.key" -CAcreateserial -days 30 -sha256 \
    -extfile "$T/seal.ext" -out "$T/other-seal.pem" 2>/dev/null || exit 2
new other
co=$(grep -v -- '-----' "$T/other-seal.pem" | tr -d '\n')
cb=$(kicert $W/$LB)
sed -i "s|<ds:X509Certificate>$cb</ds:X509Certificate>|<ds:X509Certificate>$co</ds:X509Certificate>|" $W/$LB
cat "$T/other-seal.pem" >> $W/certs/seal.pem
pack other
refused other "lot $last: the seal certificate .*CN=CFJL cachet 48-1 does not chain to the trust anchors at SigningTime"

t_done
