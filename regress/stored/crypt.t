#!/bin/sh
# stored's units: the IDEvt written into a trace, and CMS encryption for
# the regulator that `openssl cms -decrypt` undoes to the exact bytes.
. "$(dirname "$0")/../lib/common.sh"
t_unprivileged "$@"
t_need openssl cmp
t_tmpdir
B=$TOP/regress/stored/crypt_test
[ -x "$B" ] || t_skip "regress/stored/crypt_test not built (make -C regress all)"
[ -d "$ARJEL/samples" ] || t_skip "no ARJEL samples in $ARJEL"

openssl req -x509 -newkey rsa:2048 -nodes -keyout "$T/reg.key" \
    -out "$T/reg.pem" -subj "/CN=Regulateur/O=ANJ/C=FR" -days 2 2>/dev/null
openssl req -x509 -newkey rsa:1024 -nodes -keyout "$T/small.key" \
    -out "$T/small.pem" -subj "/CN=small" -days 2 2>/dev/null

n=0
for f in "$ARJEL"/samples/*.xml; do
	name=$(basename "$f" .xml)
	pos=$(grep -bo '<IDEvt>1</IDEvt>' "$f" | head -n 1 | cut -d: -f1)
	[ -n "$pos" ] || continue
	n=$((n + 1))
	# The agent sends 0; the vault writes its number there.
	sed 's|<IDEvt>1</IDEvt>|<IDEvt>0</IDEvt>|' "$f" > "$T/in.xml"
	sed 's|<IDEvt>1</IDEvt>|<IDEvt>987654321</IDEvt>|' "$f" > "$T/want.xml"
	"$B" number $((pos + 7)) 1 987654321 < "$T/in.xml" > "$T/num.xml"
	t_ok "$name: IDEvt written in" cmp -s "$T/num.xml" "$T/want.xml"

	"$B" encrypt "$T/reg.pem" aes-256-gcm < "$T/num.xml" > "$T/e.p7m"
	openssl cms -decrypt -inform DER -in "$T/e.p7m" -recip "$T/reg.pem" \
	    -inkey "$T/reg.key" -out "$T/dec.xml" 2>"$T/err"
	t_ok "$name: GCM decrypts to the exact bytes" cmp -s "$T/dec.xml" "$T/want.xml"
done
t_ok "samples found" test "$n" -gt 10

# The placeholder comment is replaced whole.
f=$ARJEL/samples/placeholder-OUVINFOPERSO.xml
if [ -f "$f" ]; then
	pos=$(grep -bo '<!--SAFE_ID-->' "$f" | cut -d: -f1)
	"$B" number "$pos" 14 7 < "$f" > "$T/num.xml"
	t_ok "placeholder replaced" grep -q '<IDEvt>7</IDEvt>' "$T/num.xml"
	t_not "placeholder gone" grep -q SAFE_ID "$T/num.xml"
fi

# Range outside the trace: refused.
printf '<a/>' > "$T/short"
"$B" number 2 9 5 < "$T/short" > /dev/null 2>&1
t_eq "range past the end refused" "$?" 3

# The algorithms, as a third party sees them.
"$B" encrypt "$T/reg.pem" aes-256-gcm < "$T/want.xml" > "$T/gcm.p7m"
p=$(openssl cms -cmsout -print -inform DER -in "$T/gcm.p7m")
t_match "GCM: AuthEnvelopedData" "$p" "authEnvelopedData"
t_match "GCM: AES-256-GCM" "$p" "aes-256-gcm"
t_match "RSA-OAEP key transport" "$p" "rsaesOaep"
t_match "OAEP with SHA-256" "$p" "OBJECT +:sha256"

"$B" encrypt "$T/reg.pem" aes-256-cbc < "$T/want.xml" > "$T/cbc.p7m"
p=$(openssl cms -cmsout -print -inform DER -in "$T/cbc.p7m")
t_match "CBC: EnvelopedData" "$p" "envelopedData"
t_match "CBC: AES-256-CBC" "$p" "aes-256-cbc"
openssl cms -decrypt -inform DER -in "$T/cbc.p7m" -recip "$T/reg.pem" \
    -inkey "$T/reg.key" -out "$T/dec.xml" 2>/dev/null
t_ok "CBC decrypts to the exact bytes" cmp -s "$T/dec.xml" "$T/want.xml"

# Two processes never share a key: two encryptions differ.
"$B" encrypt "$T/reg.pem" aes-256-gcm < "$T/want.xml" > "$T/gcm2.p7m"
t_not "fresh key in each process" cmp -s "$T/gcm.p7m" "$T/gcm2.p7m"

# The DER is written by hand: it has the very shape OpenSSL's CMS API
# gives (every tag, length and OID), values aside.
shape() { openssl asn1parse -inform DER -in "$1" | sed 's/:[0-9A-F]*$//'; }
for c in aes-256-gcm aes-256-cbc; do
	"$B" reference "$T/reg.pem" $c < "$T/want.xml" > "$T/ref.p7m"
	"$B" encrypt "$T/reg.pem" $c < "$T/want.xml" > "$T/own.p7m"
	t_eq "$c: same DER shape as the CMS API" "$(shape "$T/own.p7m")" "$(shape "$T/ref.p7m")"
	openssl cms -decrypt -inform DER -in "$T/ref.p7m" -recip "$T/reg.pem" \
	    -inkey "$T/reg.key" -out "$T/dec.xml" 2>/dev/null
	t_ok "$c: the reference decrypts too" cmp -s "$T/dec.xml" "$T/want.xml"
done

ek() { openssl asn1parse -inform DER -in "$1" | awk '/l= *256 prim: OCTET STRING/ { print $NF }'; }

# One content key for a run of events, each event decryptable alone,
# each GCM nonce its own; CBC: a random IV each event.
for c in aes-256-gcm aes-256-cbc; do
	out=$("$B" series "$T/reg.pem" $c 3 "$T/s" < "$T/want.xml")
	t_eq "$c: one key for three events" "$out" "keys=1"
	for i in 0 1 2; do
		openssl cms -decrypt -inform DER -in "$T/s.$i" -recip "$T/reg.pem" \
		    -inkey "$T/reg.key" -out "$T/dec.xml" 2>/dev/null
		t_ok "$c: event $i decrypts alone" cmp -s "$T/dec.xml" "$T/want.xml"
	done
	t_not "$c: events differ" cmp -s "$T/s.0" "$T/s.1"
	t_eq "$c: the same wrapped key" "$(ek "$T/s.0")" "$(ek "$T/s.2")"
	ivs=$(for i in 0 1 2; do openssl asn1parse -inform DER -in "$T/s.$i" | awk '/l= *(12|16) prim: OCTET STRING/ { print $NF; exit }'; done | sort -u | wc -l)
	t_eq "$c: three IVs" "$ivs" 3
done
hex() { sed 's/.*://'; }
"$B" series "$T/reg.pem" aes-256-gcm 2 "$T/g" < "$T/want.xml" >/dev/null
g0=$(openssl asn1parse -inform DER -in "$T/g.0" | awk '/l= *12 prim: OCTET STRING/ { print $NF }' | hex)
g1=$(openssl asn1parse -inform DER -in "$T/g.1" | awk '/l= *12 prim: OCTET STRING/ { print $NF }' | hex)
t_eq "GCM: nonce = fixed prefix, counter 0" "$(echo "$g0" | cut -c9-)" "0000000000000000"
t_eq "GCM: nonce = fixed prefix, counter 1" "$(echo "$g1" | cut -c9-)" "0000000000000001"
t_eq "GCM: prefix fixed for the key" "$(echo "$g0" | cut -c1-8)" "$(echo "$g1" | cut -c1-8)"

# A key serves 4096 events at most, then a new one is made.
out=$("$B" series "$T/reg.pem" aes-256-gcm 4096 - < "$T/want.xml")
t_eq "4096 events: one key" "$out" "keys=1"
out=$("$B" series "$T/reg.pem" aes-256-gcm 9000 - < "$T/want.xml")
t_eq "9000 events: three keys" "$out" "keys=3"
out=$("$B" series "$T/reg.pem" aes-256-gcm 4097 "$T/r" < "$T/want.xml")
t_eq "4097 events: two keys" "$out" "keys=2"
for i in 0 4095 4096; do
	openssl cms -decrypt -inform DER -in "$T/r.$i" -recip "$T/reg.pem" \
	    -inkey "$T/reg.key" -out "$T/dec.xml" 2>/dev/null
	t_ok "event $i of 4097 decrypts alone" cmp -s "$T/dec.xml" "$T/want.xml"
done
t_eq "event 4095 under the first key" "$(ek "$T/r.0")" "$(ek "$T/r.4095")"
t_not "a new key for event 4096" test "$(ek "$T/r.4095")" = "$(ek "$T/r.4096")"
n=$(openssl asn1parse -inform DER -in "$T/r.4096" | awk '/l= *12 prim: OCTET STRING/ { print $NF }' | hex)
t_eq "the new key's nonces start again at zero" "$(echo "$n" | cut -c9-)" "0000000000000000"
n=$(openssl asn1parse -inform DER -in "$T/r.4095" | awk '/l= *12 prim: OCTET STRING/ { print $NF }' | hex)
t_eq "the last nonce of a key" "$(echo "$n" | cut -c9-)" "0000000000000FFF"
# ... and one second at most.
t_eq "a key older than a second is replaced" "$("$B" aged "$T/reg.pem" aes-256-gcm < "$T/want.xml")" "keys=2"

# Sizes around the DER length forms and the CBC block.
for n in 1 15 16 17 127 128 255 256 65535 65536 70000; do
	head -c $n /dev/urandom > "$T/sz"
	for c in aes-256-gcm aes-256-cbc; do
		"$B" encrypt "$T/reg.pem" $c < "$T/sz" > "$T/sz.p7m"
		openssl cms -decrypt -inform DER -in "$T/sz.p7m" -recip "$T/reg.pem" \
		    -inkey "$T/reg.key" -out "$T/dec" 2>/dev/null
		t_ok "$c: $n bytes" cmp -s "$T/dec" "$T/sz"
	done
done

# A changed ciphertext byte is caught by the GCM tag.
"$B" encrypt "$T/reg.pem" aes-256-gcm < "$T/want.xml" > "$T/t.p7m"
len=$(wc -c < "$T/t.p7m")
cp "$T/t.p7m" "$T/bad.p7m"
b=$(od -An -tu1 -j $((len - 20)) -N1 "$T/t.p7m" | tr -d ' ')
printf "\\$(printf %03o $(((b + 1) % 256)))" | dd of="$T/bad.p7m" bs=1 seek=$((len - 20)) conv=notrunc 2>/dev/null
t_not "the copy differs" cmp -s "$T/t.p7m" "$T/bad.p7m"
t_not "GCM: a changed ciphertext byte is refused" openssl cms -decrypt \
    -inform DER -in "$T/bad.p7m" -recip "$T/reg.pem" -inkey "$T/reg.key" \
    -out "$T/x"

# Another key cannot decrypt.
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$T/other.key" \
    -out "$T/other.pem" -subj "/CN=other" -days 2 2>/dev/null
t_not "another key does not decrypt" openssl cms -decrypt -inform DER \
    -in "$T/gcm.p7m" -inkey "$T/other.key" -out "$T/x" 2>/dev/null

# Configuration mistakes stop stored at start.
out=$("$B" encrypt "$T/reg.pem" des-cbc < "$T/want.xml" 2>&1)
t_match "unknown cipher refused" "$out" "cipher des-cbc: use aes-256-gcm or aes-256-cbc"
out=$("$B" encrypt "$T/small.pem" aes-256-gcm < "$T/want.xml" 2>&1)
t_match "short RSA key refused" "$out" "1024 bits, at least 2048"
out=$("$B" encrypt "$T/nope.pem" aes-256-gcm < "$T/want.xml" 2>&1)
t_match "missing certificate refused" "$out" "regulator certificate .*nope.pem"

t_done
