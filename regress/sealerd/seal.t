#!/bin/sh
# Lot seals made with keys in a SoftHSM token: each verifies with
# xmlsec1 and the xmlsec library, its time-stamp with openssl ts, the
# chain links each lot to the previous signature value, and any change
# to a Precedent, an event digest, the signature or the time-stamp is
# caught.
. "$(dirname "$0")/../lib/common.sh"
t_unprivileged "$@"
. "$(dirname "$0")/setup.sh"
sealer_need
t_tmpdir
sealer_setup > "$T/setup.log" 2>&1 || { cat "$T/setup.log"; exit 1; }
O=$T/out

t_ok "seal 4 chained lots (each checked with libxmlsec)" \
    "$SEAL_TEST" -f "$T/cfjl.conf" -c "$T/pki/ca.pem" lots "$O" 4
L1=$O/000000000001.xml
L2=$O/000000000002.xml

for f in "$O"/00000000000[1-4].xml; do
	n=$(basename "$f" .xml)
	t_ok "lot $n: xmlsec1 --verify accepts" sealer_verify_xml "$f"
	t_ok "lot $n: openssl ts -verify accepts the time-stamp" sealer_verify_ts "$f"
done
t_ok "xmlsec1 needs no --id-attr (Reference URI is \"\")" \
    xmlsec1 --verify --trusted-pem "$T/pki/ca.pem" "$L1"
t_not "xmlsec1 refuses a seal from another CA" \
    xmlsec1 --verify --trusted-pem "$T/pki/other-ca.pem" "$L1"

# The document is the SPEC's.
head=$(sed -n 2p "$L1")
t_match "Lot element" "$head" '^<Lot xmlns="urn:cfjl:lot:1" Id="lot-000000000001" Numero="1" Operateur="48" Coffre="1" Premier="1001" Dernier="1002">$'
t_match "first Precedent is 32 zero bytes" "$(grep '<Precedent>' "$L1")" \
    '<Precedent>AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=</Precedent>'
t_match "Evenement" "$(grep -m1 '<Evenement' "$L1")" \
    '<Evenement IDEvt="1001" Type="OUVINFOPERSO" DateEvt="100412103320" Recu="2026-11-24T10:00:00.123Z" Deposant="[A-Za-z0-9+/]{43}=" Fichier="events/000000001001.p7m" Empreinte="[A-Za-z0-9+/]{43}="/>'
for e in SigningTime SigningCertificateV2 IssuerSerialV2 SignatureTimeStamp \
    EncapsulatedTimeStamp 'QualifyingProperties xmlns:xades="http://uri.etsi.org/01903/v1.3.2#" Target="#sig-lot-000000000001"'; do
	t_ok "XAdES: $e" grep -q "<xades:$e" "$L1"
done
certdig=$(openssl x509 -in "$T/pki/seal.pem" -outform DER | openssl dgst -sha256 -binary | base64)
t_eq "SigningCertificateV2 digest is the sealing certificate's" \
    "$(sed -n 's|.*<xades:CertDigest>.*<ds:DigestValue>\([^<]*\)</ds:DigestValue></xades:CertDigest>.*|\1|p' "$L1")" "$certdig"

# The chain: each Precedent is the SHA-256 of the previous SignatureValue.
for i in 2 3 4; do
	prev=$O/00000000000$((i - 1)).xml
	cur=$O/00000000000$i.xml
	t_eq "lot $i Precedent = SHA-256 of lot $((i - 1)) SignatureValue" \
	    "$(sed -n 's|.*<Precedent>\(.*\)</Precedent>.*|\1|p' "$cur")" \
	    "$(sealer_next_precedent "$prev")"
done

# Tampering.
sed 's|<Precedent>[^<]*</Precedent>|<Precedent>BAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=</Precedent>|' "$L2" > "$O/bad-prec.xml"
t_not "altered Precedent: xmlsec1 refuses" sealer_verify_xml "$O/bad-prec.xml"
t_not "altered Precedent: libxmlsec refuses" \
    "$SEAL_TEST" -f "$T/cfjl.conf" -c "$T/pki/ca.pem" verify "$O/bad-prec.xml"
awk '!d && /Empreinte="/ { sub(/Empreinte="./, "Empreinte=\"Z"); d = 1 } { print }' "$L2" > "$O/bad-emp.xml"
t_not "altered Empreinte: differs" cmp -s "$L2" "$O/bad-emp.xml"
t_not "altered Empreinte: xmlsec1 refuses" sealer_verify_xml "$O/bad-emp.xml"
sed 's|IDEvt="1003"|IDEvt="1033"|' "$L2" > "$O/bad-id.xml"
t_not "altered IDEvt: xmlsec1 refuses" sealer_verify_xml "$O/bad-id.xml"
sed 's|<xades:SigningTime>2|<xades:SigningTime>1|' "$L2" > "$O/bad-time.xml"
t_not "altered SigningTime: xmlsec1 refuses" sealer_verify_xml "$O/bad-time.xml"
# An event removed (with its line) breaks the seal too.
awk '/<Evenement IDEvt="1004"/ { next } { print }' "$L2" > "$O/bad-del.xml"
t_not "removed event: xmlsec1 refuses" sealer_verify_xml "$O/bad-del.xml"

# The time-stamp: a changed token, and one moved from another lot.
sealer_token "$L2" > "$O/tok.der"
len=$(wc -c < "$O/tok.der")
{ head -c $((len - 10)) "$O/tok.der"; printf '\001'; tail -c 9 "$O/tok.der"; } > "$O/tok-bad.der"
sealer_sigvalue_c14n "$L2" > "$O/sv2"
dig=$(openssl dgst -sha256 -r "$O/sv2" | cut -d' ' -f1)
t_ok "genuine token verifies" openssl ts -verify -digest "$dig" -in "$O/tok.der" \
    -token_in -CAfile "$T/pki/ca.pem" -untrusted "$T/pki/tsa.pem"
t_not "altered token: openssl ts refuses" openssl ts -verify -digest "$dig" \
    -in "$O/tok-bad.der" -token_in -CAfile "$T/pki/ca.pem" -untrusted "$T/pki/tsa.pem"
t1=$(sed -n 's|.*<xades:EncapsulatedTimeStamp>\([^<]*\)<.*|\1|p' "$L1")
t2=$(sed -n 's|.*<xades:EncapsulatedTimeStamp>\([^<]*\)<.*|\1|p' "$L2")
sed "s|$t2|$t1|" "$L2" > "$O/moved-ts.xml"
t_ok "time-stamp moved from lot 1: signature still verifies (unsigned property)" \
    sealer_verify_xml "$O/moved-ts.xml"
t_not "time-stamp moved from lot 1: openssl ts refuses its imprint" \
    sealer_verify_ts "$O/moved-ts.xml"
# Change the first character, whatever it is (A becomes B, others A).
sed -e 's|<ds:SignatureValue Id="\([^"]*\)">A|<ds:SignatureValue Id="\1">B|' -e t \
    -e 's|<ds:SignatureValue Id="\([^"]*\)">.|<ds:SignatureValue Id="\1">A|' \
    "$L2" > "$O/bad-sv.xml"
t_not "altered SignatureValue: xmlsec1 refuses" sealer_verify_xml "$O/bad-sv.xml"

# The token itself: policy, digest, TSA certificate, serials distinct.
txt=$(openssl ts -reply -in "$O/tok.der" -token_in -token_out -text 2>/dev/null)
t_match "token policy from the configuration" "$txt" "Policy OID: 1.3.6.1.4.1.99999.1.1"
t_match "token hash SHA-256" "$txt" "Hash Algorithm: sha256"
t_match "token accuracy from the configuration" "$txt" "Accuracy: unspecified seconds, 0x01F4 millis"
t_match "token carries a nonce" "$txt" "Nonce: 0x"
serials=$(for f in "$O"/00000000000[1-4].xml; do sealer_token "$f" |
    openssl ts -reply -in /dev/stdin -token_in -token_out -text 2>/dev/null |
    sed -n 's/^Serial number: //p'; done | sort -u | wc -l)
t_eq "four tokens, four serial numbers" "$serials" 4
openssl pkcs7 -inform DER -in "$O/tok.der" -print_certs 2>/dev/null > "$O/tokcerts.pem"
t_match "token carries the TSA certificate" "$(openssl x509 -in "$O/tokcerts.pem" -noout -subject)" "horodatage"

t_done
