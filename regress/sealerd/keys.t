#!/bin/sh
# The key ceremony: keys made in the token are sensitive and never
# extractable, requests are signed by them, only matching certificates
# with the right usage are installed (in the token beside their key, and
# in the configured file), a PIN file others can read is refused, and an
# existing key is never replaced.
. "$(dirname "$0")/../lib/common.sh"
t_unprivileged "$@"
. "$(dirname "$0")/setup.sh"
sealer_need
t_need pkcs11-tool
t_tmpdir
sealer_setup > "$T/setup.log" 2>&1 || { cat "$T/setup.log"; exit 1; }
C=$T/cfjl.conf

list=$("$KEYS" -f "$C" list)
t_log "$list"
for k in cfjl-seal cfjl-tsa; do
	line=$(printf '%s\n' "$list" | grep "^private key \"$k\"")
	t_match "$k: sensitive" "$line" " sensitive yes "
	t_match "$k: not extractable" "$line" " extractable no "
	t_match "$k: never extractable" "$line" " never-extractable yes "
	t_match "$k: generated in the token" "$line" " local yes "
	t_match "$k: RSA 2048" "$line" "rsa-2048"
done

# The same, as an independent PKCS#11 tool reads it.
obj=$(pkcs11-tool --module "$HSM_MODULE" --token-label cfjl --login \
    --pin "$SEAL_PIN" -O 2>/dev/null)
for k in cfjl-seal cfjl-tsa; do
	acc=$(printf '%s\n' "$obj" | awk -v k="$k" '
	    /^Private Key Object/ { p = 1; next }
	    /^[A-Z]/ { p = 0 }
	    p && $1 == "label:" && $2 == k { f = 1 }
	    p && f && $1 == "Access:" { print; exit }')
	t_match "pkcs11-tool: $k sensitive, never extractable" "$acc" \
	    "sensitive, always sensitive, never extractable"
done

# Each certificate is a certificate object beside its key: same label,
# same CKA_ID; the configured file is a copy.
for k in cfjl-seal cfjl-tsa; do
	kid=$(printf '%s\n' "$list" | sed -n "s/^private key \"$k\" rsa-[0-9]* id \([0-9a-f]*\) .*/\1/p")
	t_match "$k: its certificate object has the key's id" "$list" \
	    "certificate \"$k\" id $kid subject .*CN=CFJL .* serial [0-9A-F]+"
done
t_eq "one certificate object each" "$(printf '%s\n' "$list" | grep -c '^certificate ')" 2
t_match "pkcs11-tool sees the seal certificate object" \
    "$(printf '%s\n' "$obj" | awk '/^Certificate Object/ { p = 1 } p && /label:/ { print $2; p = 0 }' | sort | tr '\n' ' ')" \
    "cfjl-seal cfjl-tsa"
t_eq "the file is a copy of the token's certificate" \
    "$(openssl x509 -in "$T/pki/seal.pem" -noout -fingerprint -sha256)" \
    "$(openssl x509 -in "$T/hsm/seal.crt" -noout -fingerprint -sha256)"
# Installed again: replaced, not added.
t_ok "install the seal certificate again" "$KEYS" -f "$C" install seal "$T/hsm/seal.crt"
t_eq "still one certificate object each" "$("$KEYS" -f "$C" list | grep -c '^certificate ')" 2

t_ok "seal.csr self-signature verifies" \
    openssl req -in "$T/hsm/seal.csr" -noout -verify
t_ok "tsa.csr self-signature verifies" \
    openssl req -in "$T/hsm/tsa.csr" -noout -verify
t_eq "seal.csr key is the installed certificate's key" \
    "$(openssl req -in "$T/hsm/seal.csr" -noout -pubkey)" \
    "$(openssl x509 -in "$T/pki/seal.pem" -noout -pubkey)"
t_match "seal.csr subject" \
    "$(openssl req -in "$T/hsm/seal.csr" -noout -subject)" "CN ?= ?CFJL cachet 48-1"

# A second ceremony on the same token does not replace anything.
out=$("$KEYS" -f "$C" generate -o "$T/out" 2>&1); rc=$?
t_eq "generate again: refused" "$rc" 1
t_match "generate again: says why" "$out" 'already holds a key "cfjl-seal": refusing'
t_not "generate again: no new request written" test -e "$T/out/seal.csr"

# Certificates that do not fit are refused, the installed one stays.
before=$(sha256sum < "$T/pki/seal.pem")
out=$("$KEYS" -f "$C" install seal "$T/hsm/tsa.crt" 2>&1); rc=$?
t_eq "install the tsa certificate as seal: refused" "$rc" 1
t_match "install wrong key: says why" "$out" 'not for the token.s key "cfjl-seal"'
out=$("$KEYS" -f "$C" install seal "$T/pki/depositor.pem" 2>&1); rc=$?
t_eq "install a foreign certificate: refused" "$rc" 1
t_eq "seal certificate untouched" "$(sha256sum < "$T/pki/seal.pem")" "$before"
t_eq "the token's untouched" "$("$KEYS" -f "$C" list | grep '^certificate "cfjl-seal"')" \
    "$(printf '%s\n' "$list" | grep '^certificate "cfjl-seal"')"

# A tsa certificate without a critical timeStamping-only usage is refused.
cp "$T/hsm/tsa.csr" "$T/out/t.csr"
printf '%s\n' "basicConstraints=critical,CA:false" \
    "keyUsage=critical,digitalSignature" \
    "extendedKeyUsage=timeStamping" > "$T/out/noncrit.ext"
openssl x509 -req -in "$T/out/t.csr" -CA "$T/pki/ca.pem" -CAkey "$T/pki/ca.key" \
    -CAcreateserial -days 30 -sha256 -extfile "$T/out/noncrit.ext" \
    -out "$T/out/noncrit.pem" 2>/dev/null
out=$("$KEYS" -f "$C" install tsa "$T/out/noncrit.pem" 2>&1); rc=$?
t_eq "tsa certificate with non-critical EKU: refused" "$rc" 1
t_match "non-critical EKU: says why" "$out" "must be critical"
printf '%s\n' "basicConstraints=critical,CA:false" \
    "keyUsage=critical,digitalSignature" \
    "extendedKeyUsage=critical,timeStamping,clientAuth" > "$T/out/two.ext"
openssl x509 -req -in "$T/out/t.csr" -CA "$T/pki/ca.pem" -CAkey "$T/pki/ca.key" \
    -CAcreateserial -days 30 -sha256 -extfile "$T/out/two.ext" \
    -out "$T/out/two.pem" 2>/dev/null
out=$("$KEYS" -f "$C" install tsa "$T/out/two.pem" 2>&1); rc=$?
t_eq "tsa certificate with two EKUs: refused" "$rc" 1
t_match "two EKUs: says why" "$out" "timeStamping only"

# A seal certificate needs the critical documentSigning usage alone: one
# without it, or with a TLS usage beside it, is refused.
# sealcert NAME EXT...: a certificate of the test CA for the token's seal key
sealcert()
{
	n=$1; shift
	printf '%s\n' "$@" > "$T/out/$n.ext"
	openssl x509 -req -in "$T/hsm/seal.csr" -CA "$T/pki/ca.pem" \
	    -CAkey "$T/pki/ca.key" -CAcreateserial -days 30 -sha256 \
	    -extfile "$T/out/$n.ext" -out "$T/out/$n.pem" 2>/dev/null
}
before=$(sha256sum < "$T/pki/seal.pem")
sealcert noeku "basicConstraints=critical,CA:false" \
    "keyUsage=critical,digitalSignature,nonRepudiation"
out=$("$KEYS" -f "$C" install seal "$T/out/noeku.pem" 2>&1); rc=$?
t_eq "seal certificate without extended key usage: refused" "$rc" 1
t_match "no EKU: says why" "$out" "a sealing certificate needs an extended key usage documentSigning \\(1.3.6.1.5.5.7.3.36\\)"
sealcert client "basicConstraints=critical,CA:false" \
    "keyUsage=critical,digitalSignature" "extendedKeyUsage=clientAuth"
out=$("$KEYS" -f "$C" install seal "$T/out/client.pem" 2>&1); rc=$?
t_eq "seal certificate with clientAuth: refused" "$rc" 1
t_match "clientAuth: says why" "$out" "the extended key usage of a sealing certificate must be critical"
sealcert twoeku "basicConstraints=critical,CA:false" \
    "keyUsage=critical,digitalSignature" \
    "extendedKeyUsage=critical,1.3.6.1.5.5.7.3.36,serverAuth"
out=$("$KEYS" -f "$C" install seal "$T/out/twoeku.pem" 2>&1); rc=$?
t_eq "seal certificate with documentSigning and serverAuth: refused" "$rc" 1
t_match "two EKUs: says why" "$out" "must be documentSigning \\(1.3.6.1.5.5.7.3.36\\) only"
sealcert noku "basicConstraints=critical,CA:false" \
    "extendedKeyUsage=critical,1.3.6.1.5.5.7.3.36"
out=$("$KEYS" -f "$C" install seal "$T/out/noku.pem" 2>&1); rc=$?
t_eq "seal certificate without key usage: refused" "$rc" 1
t_match "no key usage: says why" "$out" "neither digitalSignature nor nonRepudiation"
t_eq "seal certificate still untouched" "$(sha256sum < "$T/pki/seal.pem")" "$before"

# A PIN file the group may read is refused.
chmod 0640 "$T/hsm/pin"
out=$("$KEYS" -f "$C" list 2>&1); rc=$?
t_eq "group-readable PIN file: refused" "$rc" 1
t_match "group-readable PIN file: says why" "$out" "mode 0640.*owner only"
chmod 0600 "$T/hsm/pin"

# A wrong PIN is a clear error.
printf '0000\n' > "$T/hsm/pin"
out=$("$KEYS" -f "$C" list 2>&1); rc=$?
t_eq "wrong PIN: refused" "$rc" 1
t_match "wrong PIN: says why" "$out" "wrong PIN"
printf '%s\n' "$SEAL_PIN" > "$T/hsm/pin"

# A fresh token with 3072-bit keys, on request.
hsm_add_token big "$SEAL_PIN"
SEAL_TOKEN=big sealer_conf
t_ok "generate -b 3072" "$KEYS" -f "$C" generate -b 3072 -o "$T/out"
t_match "3072-bit key" "$("$KEYS" -f "$C" list)" 'private key "cfjl-seal" rsa-3072'
out=$("$KEYS" -f "$C" generate -b 1024 2>&1); rc=$?
t_eq "1024-bit keys: refused" "$rc" 2

t_done
