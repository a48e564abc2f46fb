#!/bin/sh
# Merkle roots and proofs of one event (cfjl-export(5)): every lot of a
# real bundle carries the RFC 6962 root of its events, which a verifier
# written from the manual page alone (Python, below) finds again with
# every audit path; a lot whose root is not its events', a bundle with a
# wrong, missing or misplaced audit path are refused; "cfjl-verify
# prove" extracts the proof of one event, which "cfjl-verify proof"
# accepts alone and refuses with any of its bytes changed.
. "$(dirname "$0")/../lib/common.sh"
. "$TOP/regress/lib/pki.sh"

V=$TOP/cfjl-verify/cfjl-verify
MK=$TOP/regress/verify/mkvault
FLIP=$TOP/regress/verify/proof_flip
[ -x "$V" ] || t_skip "cfjl-verify not built (make -C cfjl-verify)"
[ -x "$MK" ] && [ -x "$FLIP" ] || t_skip "test programs not built (make -C regress all)"
[ -d "$ARJEL/samples" ] || t_skip "no ARJEL samples in $ARJEL"
t_need openssl xmlsec1 tar /usr/bin/python3
t_tmpdir
cd "$T" || exit 2

pki_make pki || exit 2
for r in seal tsa; do
	openssl req -new -newkey rsa:2048 -nodes -keyout pki/$r.key \
	    -subj "/C=FR/O=Operateur 48/CN=CFJL $r" -out pki/$r.csr 2>/dev/null
	pki_sign_csr pki pki/$r.csr pki/$r.pem $r || exit 2
done
mkdir state
# lots of 7 events (a tree that is not a power of two), the last of 2
$MK make -p pki -a "$ARJEL/samples" -s state -n 23 -l 7 -o vault 2>/dev/null ||
    exit 2
mkdir vault/certs && cp pki/seal.pem pki/tsa.pem vault/certs/
$MK export -v vault -f 1 -t 23 -o b.tar 2>/dev/null || exit 2

run() { out=$("$V" "$@" 2>&1); rc=$?; }

# --- the bundle ----------------------------------------------------------------
run -t pki/trust.pem b.tar
t_eq "untouched bundle verifies" "$rc" 0
t_match "each lot under its root" "$out" "lot 2: Id lot-000000000002, IDEvt 8 to 14, 7 entries in order under their Merkle root"
t_match "each event's audit path" "$out" "lot 4: 2 audit paths lead to its Racine"
t_eq "the paths come after the lots, before the events" \
    "$(tar -tf b.tar | sed -n '8,12p' | tr '\n' ' ')" \
    "paths/000000000001.txt paths/000000000002.txt paths/000000000003.txt paths/000000000004.txt events/000000000001.p7m "

mkdir x && tar -xf b.tar -C x
t_ok "xmlsec1 --verify still accepts a lot seal" xmlsec1 --verify \
    --trusted-pem pki/trust.pem --enabled-reference-uris empty,same-doc \
    --id-attr:Id "http://uri.etsi.org/01903/v1.3.2#:SignedProperties" \
    x/lots/000000000003.xml >/dev/null 2>&1

# Another verifier, from cfjl-export(5) alone: leaf = SHA-256(0x00 ||
# Empreinte bytes), node = SHA-256(0x01 || left || right), the RFC's split;
# each path line "IDEVT HASH..." checked by RFC 9162 2.1.3.2.
cat > mth.py <<'PY'
import base64, hashlib, re, sys
H = lambda b: hashlib.sha256(b).digest()
def mth(l):
    if len(l) == 1: return l[0]
    k = 1
    while k * 2 < len(l): k *= 2
    return H(b'\x01' + mth(l[:k]) + mth(l[k:]))
def root_from(m, n, leaf, path):
    fn, sn, r = m, n - 1, leaf
    for p in path:
        if sn == 0: return None
        if fn & 1 or fn == sn:
            r = H(b'\x01' + p + r)
            while not fn & 1 and fn != 0: fn >>= 1; sn >>= 1
        else:
            r = H(b'\x01' + r + p)
        fn >>= 1; sn >>= 1
    return r if sn == 0 else None
bad = 0
for lot in sys.argv[1:]:
    doc = open(lot).read()
    racine = base64.b64decode(re.search(r'<Racine>([^<]*)</Racine>', doc).group(1))
    emp = [base64.b64decode(e) for e in re.findall(r'Empreinte="([^"]*)"', doc)]
    leaves = [H(b'\x00' + e) for e in emp]
    if mth(leaves) != racine: print('root differs', lot); bad += 1
    first = int(re.search(r'Premier="(\d+)"', doc).group(1))
    lines = open(lot.replace('lots/', 'paths/').replace('.xml', '.txt')).read().split('\n')
    assert lines[-1] == ''
    for m, line in enumerate(lines[:-1]):
        f = line.split(' ')
        if int(f[0]) != first + m or root_from(m, len(leaves), leaves[m],
            [base64.b64decode(h) for h in f[1:]]) != racine:
            print('path differs', lot, m); bad += 1
print('checked', len(sys.argv) - 1, 'lots,', bad, 'differences')
PY
t_eq "an independent verifier finds every root and every path" \
    "$(/usr/bin/python3 mth.py x/lots/*.xml)" "checked 4 lots, 0 differences"

# --- tamperings ----------------------------------------------------------------
new() { rm -rf "w/$1"; mkdir -p "w/$1"; tar -xf b.tar -C "w/$1"; W=w/$1; }
pack()
{
	(cd "w/$1" && tar --format=ustar -cf "../../$1.tar" manifest.json \
	    certs/seal.pem certs/tsa.pem $(ls lots/* | sort) \
	    $(ls paths/* 2>/dev/null | sort) $(ls events/* | sort))
}
refused()
{
	n=$1; re=$2; shift 2
	run -t pki/trust.pem "$@" "$n.tar"
	t_eq "$n: exit 1" "$rc" 1
	t_match "$n: message" "$out" "$re"
}

# A root that is not the events', sealed all the same: the seal holds,
# the root does not.
new wrongroot
other=$(sed -n 's/.*<Racine>\([^<]*\)<.*/\1/p' $W/lots/000000000001.xml)
sed -i "s|<Racine>[^<]*</Racine>|<Racine>$other</Racine>|" $W/lots/000000000002.xml
$MK resign -p pki -c pki/seal.pem -k pki/seal.key -s state \
    -i $W/lots/000000000002.xml -o $W/l2.xml 2>/dev/null &&
    mv $W/l2.xml $W/lots/000000000002.xml || exit 2
pack wrongroot
refused wrongroot "lot 2: Racine is not the Merkle root of its events' Empreinte"
t_match "wrongroot: the seal itself holds" "$out" "lot 2: XAdES-T seal verifies"
t_match "wrongroot: its paths are not taken on trust" "$out" \
    "paths/000000000002.txt: not checked: its lot's entries or Racine did not hold"

new noroot
sed -i '/<Racine>/d' $W/lots/000000000003.xml
$MK resign -p pki -c pki/seal.pem -k pki/seal.key -s state \
    -i $W/lots/000000000003.xml -o $W/l3.xml 2>/dev/null &&
    mv $W/l3.xml $W/lots/000000000003.xml || exit 2
pack noroot
refused noroot "lot 3: Racine \\(the Merkle root of its events\\) is missing"

# A path with one hash changed, two swapped, one missing, a line gone.
new badpath
/usr/bin/python3 - $W/paths/000000000002.txt <<'PY'
import base64, sys
p = sys.argv[1]; l = open(p).read().split('\n')
f = l[3].split(' '); h = bytearray(base64.b64decode(f[2])); h[0] ^= 1
f[2] = base64.b64encode(bytes(h)).decode(); l[3] = ' '.join(f)
open(p, 'w').write('\n'.join(l))
PY
pack badpath
refused badpath "lot 2: event 11: its audit path does not lead to Racine"

new swapped
/usr/bin/python3 - $W/paths/000000000001.txt <<'PY'
import sys
p = sys.argv[1]; l = open(p).read().split('\n')
f = l[0].split(' '); f[1], f[2] = f[2], f[1]; l[0] = ' '.join(f)
open(p, 'w').write('\n'.join(l))
PY
pack swapped
refused swapped "lot 1: event 1: its audit path does not lead to Racine"

new short
sed -i '5s/ [^ ]*$//' $W/paths/000000000001.txt
pack short
refused short "lot 1: event 5: its audit path does not lead to Racine"

new oneless
sed -i '7d' $W/paths/000000000001.txt
pack oneless
refused oneless "paths/000000000001.txt: 6 lines for the lot's 7 events"

new otherline
sed -i '2s/^2 /3 /' $W/paths/000000000001.txt
pack otherline
refused otherline "paths/000000000001.txt: line 2 is for IDEvt 3, expected 2"

new spaces
sed -i '4s/ /  /' $W/paths/000000000001.txt
pack spaces
refused spaces "paths/000000000001.txt: line 4 is not an IDEvt and base64 hashes"

new nopaths
rm $W/paths/000000000003.txt
pack nopaths
refused nopaths "lot 3: its audit paths \\(paths/000000000003.txt\\) are missing"

new latepaths
(cd w/latepaths && tar --format=ustar -cf ../../latepaths.tar manifest.json \
    certs/seal.pem certs/tsa.pem $(ls lots/* | sort) \
    paths/000000000001.txt paths/000000000002.txt paths/000000000003.txt \
    events/000000000001.p7m paths/000000000004.txt)
refused latepaths "paths/000000000004.txt comes after event files \\(refused"

new lotafterpaths
(cd w/lotafterpaths && tar --format=ustar -cf ../../lotafterpaths.tar \
    manifest.json certs/seal.pem certs/tsa.pem lots/000000000001.xml \
    lots/000000000002.xml lots/000000000003.xml paths/000000000001.txt \
    lots/000000000004.xml)
refused lotafterpaths "lots/000000000004.xml comes after paths files \\(refused: the lots come first\\)"

# --- the proof of one event ----------------------------------------------------
"$V" prove -t pki/trust.pem 11 b.tar > p11 2> prove.err
t_eq "prove: exit 0" "$?" 0
t_match "prove: the report goes to errors" "$(cat prove.err)" "^VERIFIED"
t_eq "proof: five entries, in order" "$(tar -tf p11 | tr '\n' ' ')" \
    "certs/seal.pem certs/tsa.pem lots/000000000002.xml paths/000000000002.txt events/000000000011.p7m "
t_eq "proof: nothing of the other events' records" \
    "$(tar -tf p11 | grep -c '^events/')" 1
t_eq "proof: the path is the bundle's line" \
    "$(tar -xOf p11 paths/000000000002.txt)" \
    "$(sed -n 4p x/paths/000000000002.txt)"
t_ok "proof: the lot is the bundle's, byte for byte" \
    sh -c "tar -xOf p11 lots/000000000002.xml | cmp -s - x/lots/000000000002.xml"

# A third party with the proof file and the trust anchors alone.
mkdir third && cp p11 pki/trust.pem third/
run proof -t third/trust.pem third/p11
t_eq "proof verifies alone" "$rc" 0
t_match "proof: the event is proven in its lot" "$out" \
    "event 11: its record \\([0-9]+ bytes\\) is in lot 2: audit path of 3 hashes to the sealed Racine"
t_match "proof: the lot's seal and time-stamp" "$out" "lot 2: XAdES-T seal verifies"
tar -xOf p11 events/000000000011.p7m > third/11.p7m
openssl cms -decrypt -inform DER -in third/11.p7m -inkey pki/regulator.key \
    -recip pki/regulator.pem -out third/11.xml 2>/dev/null
t_match "proof: the record decrypts to its trace" "$(cat third/11.xml)" "<IDEvt>11</IDEvt>"

for id in 1 7 8 22 23; do
	"$V" prove -t pki/trust.pem $id b.tar > p$id 2>/dev/null
	run proof -t pki/trust.pem p$id
	t_eq "proof of IDEvt $id (first, last, single-hash paths) verifies" "$rc" 0
done

run prove -t pki/trust.pem 24 b.tar
t_eq "prove: an event the bundle lacks: exit 1" "$rc" 1
t_match "prove: says so" "$out" "no lot for IDEvt 24"
run prove -t pki/trust.pem 11 badpath.tar
t_eq "prove: from a bundle whose path is wrong: exit 1" "$rc" 1
t_match "prove: the path is refused" "$out" "event 11: its audit path does not lead from its record to lot 2's Racine"
"$V" prove -t pki/trust.pem 11 badpath.tar > pbad 2>/dev/null
t_eq "prove: nothing written when it does not hold" "$(wc -c < pbad)" 0
run proof -t pki/trust.pem b.tar
t_eq "proof: a bundle is not a proof" "$rc" 1
t_match "proof: says what it expected" "$out" "entry \"manifest.json\" where certs/seal.pem is expected"
run proof -t pki/trust.pem p1 p7
t_eq "proof: one file at a time (usage)" "$rc" 2

# The other event of the lot put in the proof, with its own path: its
# record is not the one the path and Empreinte name.
mkdir sw && tar -xf p11 -C sw && tar -xOf b.tar events/000000000012.p7m > sw/events/000000000011.p7m
(cd sw && tar --format=ustar -cf ../swapped.proof certs/seal.pem certs/tsa.pem \
    lots/000000000002.xml paths/000000000002.txt events/000000000011.p7m)
run proof -t pki/trust.pem swapped.proof
t_eq "proof with another record: exit 1" "$rc" 1
t_match "proof with another record: refused" "$out" "event 11: the record's SHA-256 is not its Empreinte in lot 2"

# Every byte of the proof, changed (XOR 0x01 and 0xff), refused.
"$FLIP" pki/trust.pem p11 > flip.out 2>&1
t_eq "proof_flip: exit 0" "$?" 0
t_match "the untouched proof holds in-process too" "$(head -n 1 flip.out)" "^ok - the untouched proof holds"
t_match "every byte flipped is refused" "$(tail -n 1 flip.out)" \
    "^[0-9]+ flips of ([0-9]+) bytes, 0 accepted$"
n=$(wc -c < p11)
t_eq "every byte was flipped twice" "$(tail -n 1 flip.out | cut -d' ' -f1)" $((2 * n))
t_done
