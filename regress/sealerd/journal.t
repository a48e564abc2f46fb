#!/bin/sh
# Journal seals: a detached CMS signature over the exact bytes of a
# closed journal file, made in the HSM, that openssl cms -verify accepts
# (signing certificate included) and that fails on any changed byte.
. "$(dirname "$0")/../lib/common.sh"
t_unprivileged "$@"
. "$(dirname "$0")/setup.sh"
sealer_need
t_tmpdir
sealer_setup > "$T/setup.log" 2>&1 || { cat "$T/setup.log"; exit 1; }
O=$T/out

printf '2026-11-24T10:00:00.123Z stored start - ok version=0.1\n' > "$O/00000001.log"
printf 'no newline at the end, CRLF\r\nkept as is' >> "$O/00000001.log"
t_ok "sign a journal file" "$SEAL_TEST" -f "$T/cfjl.conf" journal "$O/00000001.log" "$O/sig.der"
t_ok "openssl cms -verify accepts it" openssl cms -verify -purpose any -binary -inform DER \
    -in "$O/sig.der" -content "$O/00000001.log" -CAfile "$T/pki/ca.pem" -out /dev/null
t_match "the signer is the sealing certificate (included)" \
    "$(openssl cms -cmsout -print -inform DER -in "$O/sig.der" | grep -c 'CFJL cachet')" "^[1-9]"
t_match "detached: the file is not inside" \
    "$(openssl cms -cmsout -print -inform DER -in "$O/sig.der" | grep -A1 'eContent:' | tr -d ' \n')" "eContent:<ABSENT>"
cp "$O/00000001.log" "$O/changed.log"
printf 'x' >> "$O/changed.log"
t_not "one byte more: refused" openssl cms -verify -purpose any -binary -inform DER \
    -in "$O/sig.der" -content "$O/changed.log" -CAfile "$T/pki/ca.pem" -out /dev/null
sed 's/stored/frontd/' "$O/00000001.log" > "$O/changed.log"
t_not "a changed word: refused" openssl cms -verify -purpose any -binary -inform DER \
    -in "$O/sig.der" -content "$O/changed.log" -CAfile "$T/pki/ca.pem" -out /dev/null
t_not "another CA: refused" openssl cms -verify -purpose any -binary -inform DER \
    -in "$O/sig.der" -content "$O/00000001.log" -CAfile "$T/pki/other-ca.pem" -out /dev/null

: > "$O/empty.log"
t_ok "an empty file can be sealed" "$SEAL_TEST" -f "$T/cfjl.conf" journal "$O/empty.log" "$O/empty.der"
t_ok "its seal verifies" openssl cms -verify -purpose any -binary -inform DER \
    -in "$O/empty.der" -content "$O/empty.log" -CAfile "$T/pki/ca.pem" -out /dev/null
out=$("$SEAL_TEST" -f "$T/cfjl.conf" journal "$O" "$O/dir.der" 2>&1); rc=$?
t_eq "a directory is not sealed" "$rc" 1
t_match "a directory: says why" "$out" "not a regular file"
t_done
