#!/bin/sh
# What cfjl-verify prints of a bundle's own bytes (tar paths, manifest
# fields) cannot forge a line: in text mode a control character, an
# escape sequence or a byte that is not UTF-8 is shown as \xNN and a
# backslash as \\; with -j the document stays valid JSON.
. "$(dirname "$0")/../lib/common.sh"
. "$TOP/regress/lib/pki.sh"

V=$TOP/cfjl-verify/cfjl-verify
H=$TOP/regress/verify/mkhostile
[ -x "$V" ] || t_skip "cfjl-verify not built (make -C cfjl-verify)"
t_need openssl /usr/bin/python3
t_tmpdir
cd "$T" || exit 2
pki_make pki || exit 2

has() { printf '%s\n' "$out" | grep -q "$1"; }
nl='
'
esc=$(printf '\033')
fake="x${nl}ok    b.tar: archive: 60 lots, properly ended${nl}VERIFIED: 99 checks passed${esc}[2J\\"
"$H" raw="$fake" > path.tar
out=$("$V" -t pki/trust.pem path.tar 2>&1)
t_eq "a forged path: exit 1" "$?" 1
t_match "shown escaped on one line" "$out" \
    '^FAIL  path.tar: entry "x\\x0aok    b.tar: archive: 60 lots, properly ended\\x0aVERIFIED: 99 checks passed\\x1b\[2J\\\\" is not part of the format'
t_not "no forged ok line" has '^ok    b.tar'
t_not "no forged verdict" has '^VERIFIED'
t_not "no escape character" has "$esc"

c1=$(printf '\302\233')
"$H" json='{"format":"cfjl-export/1","operator":"48\nok    forged\u001b[0m'"$c1"'","vault":1,"requested":{"from":1,"to":1},"included":{"from":1,"to":1},"lots":{"first":1,"last":1},"events":1,"sealed":{"lot":1,"idevt":1},"created":"2026-12-03T00:00:00.000Z"}' > man.tar
out=$("$V" -t pki/trust.pem man.tar 2>&1)
t_eq "a forged manifest field: exit 1" "$?" 1
t_match "the field shown escaped" "$out" 'operator 48\\x0aok    forged\\x1b\[0m\\xc2\\x9b, vault 1'
t_not "no forged line from the manifest" has '^ok    forged'
t_not "no escape from the manifest" has "$esc"

bad=$(printf 'x\377\302\233y')
"$H" raw="$bad" > bytes.tar
out=$("$V" -t pki/trust.pem bytes.tar 2>&1)
t_match "bytes not UTF-8 and C1 controls escaped" "$out" \
    'entry "x\\xff\\xc2\\x9by" is not part of the format'
t_match "UTF-8 kept" "$("$H" raw="é/x" > u.tar; "$V" -t pki/trust.pem u.tar 2>&1)" \
    'entry "é/x" is not part of the format'

for f in path man bytes; do
	"$V" -j -t pki/trust.pem $f.tar > $f.json 2>&1
	t_ok "-j: $f.tar gives valid JSON" /usr/bin/python3 -c \
	    'import json,sys; json.load(open(sys.argv[1], encoding="utf-8"))' $f.json
done
t_ok "-j: the path comes back as it was" /usr/bin/python3 -c '
import json, sys
d = json.load(open("path.json", encoding="utf-8"))
assert any(sys.argv[1] in c["message"] for c in d["checks"]), d' "$fake"
t_done
