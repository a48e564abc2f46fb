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

# Each trace gets its own key: two encryptions differ.
"$B" encrypt "$T/reg.pem" aes-256-gcm < "$T/want.xml" > "$T/gcm2.p7m"
t_not "fresh key per trace" cmp -s "$T/gcm.p7m" "$T/gcm2.p7m"

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
