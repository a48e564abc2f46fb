#!/bin/sh
# An HSM that is not there (module missing, no token with that label,
# keys missing) gives a sentence a person can act on, never a crash;
# the certificates are read from the token, or from the files for a
# token that holds none, and checked either way; time-stamp serial
# numbers never repeat across restarts.
. "$(dirname "$0")/../lib/common.sh"
t_unprivileged "$@"
. "$(dirname "$0")/setup.sh"
sealer_need
t_need pkcs11-tool
t_tmpdir
sealer_setup > "$T/setup.log" 2>&1 || { cat "$T/setup.log"; exit 1; }
C=$T/cfjl.conf

t_ok "the token opens" "$SEAL_TEST" -f "$C" open

SEAL_TOKEN=nope sealer_conf
out=$("$SEAL_TEST" -f "$C" open 2>&1); rc=$?
t_eq "wrong token label: not open" "$rc" 1
t_match "wrong token label: says why" "$out" "HSM unavailable: no token labelled \"nope\" in $HSM_MODULE"

SEAL_MODULE=$T/no-such-module.so sealer_conf
out=$("$SEAL_TEST" -f "$C" open 2>&1); rc=$?
t_eq "missing module: not open" "$rc" 1
t_match "missing module: says why" "$out" "HSM unavailable: cannot load PKCS#11 module $T/no-such-module.so"

hsm_add_token empty "$SEAL_PIN"
SEAL_TOKEN=empty sealer_conf
out=$("$SEAL_TEST" -f "$C" open 2>&1); rc=$?
t_eq "token without keys: not open" "$rc" 1
t_match "token without keys: says why" "$out" 'no private key "cfjl-seal" in token "empty" \(run cfjl-keys generate\)'

sealer_conf
printf '1111\n' > "$T/hsm/pin"
out=$("$SEAL_TEST" -f "$C" open 2>&1); rc=$?
t_eq "wrong PIN: not open" "$rc" 1
t_match "wrong PIN: says why" "$out" 'login to token "cfjl" refused'
printf '%s\n' "$SEAL_PIN" > "$T/hsm/pin"
chmod 0604 "$T/hsm/pin"
out=$("$SEAL_TEST" -f "$C" open 2>&1); rc=$?
t_eq "world-readable PIN file: refused" "$rc" 1
t_match "world-readable PIN file: says why" "$out" "mode 0604: it must be readable by its owner only"
chmod 0600 "$T/hsm/pin"

# The certificates are certificate objects in the token, beside their
# keys (cfjl-keys install): no file is needed.
p11() {
	pkcs11-tool --module "$HSM_MODULE" --token-label cfjl --login \
	    --pin "$SEAL_PIN" "$@" >/dev/null 2>&1
}
mv "$T/pki/seal.pem" "$T/seal.file" && mv "$T/pki/tsa.pem" "$T/tsa.file"
out=$("$SEAL_TEST" -f "$C" open 2>&1); rc=$?
t_eq "certificates in the token, no file: open" "$rc" 0
t_not "certificates in the token: no word of a file" \
    sh -c 'printf "%s\n" "$1" | grep -q "using the file"' - "$out"
mv "$T/seal.file" "$T/pki/seal.pem" && mv "$T/tsa.file" "$T/pki/tsa.pem"

# A token prepared before certificates were kept in it: the file, said.
t_ok "the seal certificate object removed" p11 --delete-object --type cert --label cfjl-seal
out=$("$SEAL_TEST" -f "$C" open 2>&1); rc=$?
t_eq "no certificate object: open with the file" "$rc" 0
t_match "no certificate object: says the file is used" "$out" \
    "token \"cfjl\" holds no certificate for key \"cfjl-seal\": using the file $T/pki/seal.pem; install it in the token with cfjl-keys install"
mv "$T/pki/seal.pem" "$T/seal.file"
out=$("$SEAL_TEST" -f "$C" open 2>&1); rc=$?
t_eq "neither object nor file: not open" "$rc" 1
t_match "neither object nor file: says why" "$out" \
    'HSM unavailable: no certificate for key "cfjl-seal" in token "cfjl" \(install it with cfjl-keys install\)'
mv "$T/seal.file" "$T/pki/seal.pem"

# A certificate that is not the key's: refused before any seal.
cp "$T/pki/seal.pem" "$T/seal.good"
pki_sign_csr "$T/pki" "$T/hsm/tsa.csr" "$T/pki/seal.pem" seal || exit 2
out=$("$SEAL_TEST" -f "$C" open 2>&1); rc=$?
t_eq "certificate of another key: not open" "$rc" 1
t_match "certificate of another key: says why" "$out" 'certificate for key "cfjl-seal" does not match'
cp "$T/seal.good" "$T/pki/seal.pem"

# A certificate for the key, but without the documentSigning usage: its
# seals would be refused by cfjl-verify, so none is made.
printf '%s\n' "basicConstraints=critical,CA:false" \
    "keyUsage=critical,digitalSignature,nonRepudiation" > "$T/noeku.ext"
openssl x509 -req -in "$T/hsm/seal.csr" -CA "$T/pki/ca.pem" \
    -CAkey "$T/pki/ca.key" -CAcreateserial -days 30 -sha256 \
    -extfile "$T/noeku.ext" -out "$T/pki/seal.pem" 2>/dev/null
out=$("$SEAL_TEST" -f "$C" open 2>&1); rc=$?
t_eq "seal certificate without documentSigning: not open" "$rc" 1
t_match "without documentSigning: says why" "$out" "the sealing certificate .* lacks the critical extended key usage documentSigning \\(1.3.6.1.5.5.7.3.36\\) alone"
cp "$T/seal.good" "$T/pki/seal.pem"

# Likewise a time-stamping certificate without timeStamping.
t_ok "the tsa certificate object removed" p11 --delete-object --type cert --label cfjl-tsa
cp "$T/pki/tsa.pem" "$T/tsa.good"
openssl x509 -req -in "$T/hsm/tsa.csr" -CA "$T/pki/ca.pem" \
    -CAkey "$T/pki/ca.key" -CAcreateserial -days 30 -sha256 \
    -extfile "$T/noeku.ext" -out "$T/pki/tsa.pem" 2>/dev/null
out=$("$SEAL_TEST" -f "$C" open 2>&1); rc=$?
t_eq "tsa certificate without timeStamping: not open" "$rc" 1
t_match "without timeStamping: says why" "$out" "the time-stamping certificate .* lacks the critical extended key usage timeStamping alone"
cp "$T/tsa.good" "$T/pki/tsa.pem"

# A certificate object with the key's label but another id is not its.
openssl x509 -in "$T/hsm/seal.crt" -outform DER -out "$T/seal.der"
t_ok "a certificate object with another id" p11 --write-object "$T/seal.der" \
    --type cert --label cfjl-seal --id 0102
out=$("$SEAL_TEST" -f "$C" open 2>&1); rc=$?
t_eq "certificate object of another id: not open" "$rc" 1
t_match "certificate object of another id: says why" "$out" \
    'the certificate labelled "cfjl-seal" in the token does not have its key.s id'
t_ok "that object removed" p11 --delete-object --type cert --label cfjl-seal

# Installed again: the token's, the files no longer used.
t_ok "cfjl-keys installs the seal certificate again" \
    "$KEYS" -f "$C" install seal "$T/hsm/seal.crt"
t_ok "cfjl-keys installs the tsa certificate again" \
    "$KEYS" -f "$C" install tsa "$T/hsm/tsa.crt"
printf 'garbage\n' > "$T/pki/seal.pem"
out=$("$SEAL_TEST" -f "$C" open 2>&1); rc=$?
t_eq "a file that is not a certificate: refused at start" "$rc" 1
t_match "a file that is not a certificate: says why" "$out" "$T/pki/seal.pem holds no PEM certificate"
rm -f "$T/pki/seal.pem" "$T/pki/tsa.pem"
out=$("$SEAL_TEST" -f "$C" open 2>&1); rc=$?
t_eq "installed again, no file: open ($out)" "$rc" 0
cp "$T/seal.good" "$T/pki/seal.pem" && cp "$T/tsa.good" "$T/pki/tsa.pem"

# Serials: blocks reserved on disk, never reused after a restart.
rm -f "$T/state/tsa-serial"
first=$("$SEAL_TEST" -f "$C" serials 3 2>/dev/null | tr '\n' ' ')
t_eq "fresh counter starts at 1" "$first" "1 2 3 "
t_eq "a block is reserved on disk" "$(cat "$T/state/tsa-serial")" "00000000000000001001"
second=$("$SEAL_TEST" -f "$C" serials 2 2>/dev/null | tr '\n' ' ')
t_eq "after a restart: the next block" "$second" "1001 1002 "
many=$("$SEAL_TEST" -f "$C" serials 1500 2>/dev/null | sort -un | wc -l)
t_eq "1500 serials across block boundaries, all distinct" "$many" 1500
t_eq "reservation follows" "$(cat "$T/state/tsa-serial")" "00000000000000004001"
printf 'garbage\n' > "$T/state/tsa-serial"
out=$("$SEAL_TEST" -f "$C" serials 1 2>&1); rc=$?
t_eq "damaged counter: refused" "$rc" 1
t_match "damaged counter: says why" "$out" "is damaged: refusing to guess"
t_done
