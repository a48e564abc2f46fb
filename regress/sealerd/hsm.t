#!/bin/sh
# An HSM that is not there (module missing, no token with that label,
# keys missing) gives a sentence a person can act on, never a crash;
# time-stamp serial numbers never repeat across restarts.
. "$(dirname "$0")/../lib/common.sh"
t_unprivileged "$@"
. "$(dirname "$0")/setup.sh"
sealer_need
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
