#!/bin/sh
# A cfjlctl of another protocol version is refused with a message naming
# both versions, and the refusal is journaled; a request of the wrong
# size is not read at all (the connection is dropped, nothing done); a
# request of the right version is done once signed (ctlsig.h).
. "$(dirname "$0")/../lib/common.sh"
t_unprivileged "$@"
. "$(dirname "$0")/../auditd/auditd.sh"
RAW=$TOP/regress/cfjlctl/ctlraw
[ -x "$RAW" ] || t_skip "regress/cfjlctl/ctlraw is not built (make -C regress)"
t_tmpdir
ad_setup || exit 2
ad_start || exit 2

out=$("$RAW" -v 999 "$RUN" auditd journal-close)
t_eq "another version: refused with both versions" "$out" \
    "ok 0: protocol version mismatch: this cfjlctl speaks version 999, auditd speaks version 3; use the cfjlctl of the same release"
t_ok "nothing closed" [ ! -e "$J/00000001.xml" ]
# The answer may leave before the record reaches the file.
t_ok "the refusal is journaled" t_wait_grep '"event":"admin",.*"outcome":"refused",.*protocol version mismatch' "$J/00000001.log"

out=$("$RAW" -l 100 "$RUN" auditd journal-close)
t_eq "a request of the wrong size: dropped" "$out" "closed"
t_ok "nothing closed" [ ! -e "$J/00000001.xml" ]
t_match "auditd logs it" "$(cat "$T/auditd.log")" "control: dropping uid .*: ctl-request: 452 bytes missing"
out=$("$RAW" "$RUN" auditd frobnicate)
t_eq "an unknown command: refused" "$out" 'ok 0: unknown command "frobnicate"'
out=$("$RAW" "$RUN" auditd journal-close)
t_eq "the right version, unsigned: refused" "$out" \
    "ok 0: not signed: journal-close changes the vault and needs a technical administrator's signature (cfjlctl -K or -P)"
printf 'not a CMS' > "$T/junk"
out=$("$RAW" -S "$T/junk" "$RUN" auditd journal-close)
t_eq "a signature that is not CMS: refused" "$out" "ok 0: the signature is not a DER CMS"
"$TOP/regress/cfjlctl/ctlsign" -K "$T/pki/tech-admin.p12" auditd journal-close > "$T/sig" || exit 2
out=$("$RAW" -S "$T/sig" "$RUN" auditd journal-close)
t_match "the right version, signed: done" "$out" "^ok 1: closed 00000001.log"
t_done
