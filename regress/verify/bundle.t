#!/bin/sh
# cfjl-verify on real bundles: made by the sealing, encryption and export
# modules (mkvault), accepted untouched (also by xmlsec1, openssl ts and
# openssl cms), and refused, with the right message and exit 1, after
# each of many tamperings; exit 2 when it cannot check.
. "$(dirname "$0")/../lib/common.sh"
. "$TOP/regress/lib/pki.sh"

V=$TOP/cfjl-verify/cfjl-verify
MK=$TOP/regress/verify/mkvault
[ -x "$V" ] || t_skip "cfjl-verify not built (make -C cfjl-verify)"
[ -x "$MK" ] || t_skip "mkvault not built (make -C regress all)"
[ -d "$ARJEL/samples" ] || t_skip "no ARJEL samples in $ARJEL"
t_need openssl xmlsec1 tar
t_tmpdir
cd "$T" || exit 2

# --- a vault, three bundles -------------------------------------------------
pki_make pki || exit 2
for r in seal tsa; do
	openssl req -new -newkey rsa:2048 -nodes -keyout pki/$r.key \
	    -subj "/C=FR/O=Operateur 48/CN=CFJL $r" -out pki/$r.csr 2>/dev/null
	pki_sign_csr pki pki/$r.csr pki/$r.pem $r || exit 2
done
mkdir state state2
$MK make -p pki -a "$ARJEL/samples" -s state -n 60 -l 10 -o vault 2>/dev/null ||
    exit 2
$MK make -p pki -a "$ARJEL/samples" -s state2 -n 60 -l 10 -o vault2 \
    2>/dev/null || exit 2
for v in vault vault2; do
	mkdir $v/certs && cp pki/seal.pem pki/tsa.pem $v/certs/
done
now=$(($(date +%s) * 1000 + 500))
$MK export -v vault -f 1 -t 60 -C $now -o b.tar 2>/dev/null || exit 2
$MK export -v vault -f 1 -t 25 -o a.tar 2>/dev/null || exit 2
$MK export -v vault -f 21 -t 60 -o c.tar 2>/dev/null || exit 2
$MK export -v vault -f 45 -t 60 -o d.tar 2>/dev/null || exit 2
$MK export -v vault2 -f 21 -t 60 -o c2.tar 2>/dev/null || exit 2
$MK export -v vault -f 55 -t 80 -o e.tar 2>/dev/null || exit 2

run() { out=$("$V" "$@" 2>&1); rc=$?; }

# --- untouched ---------------------------------------------------------------
run -t pki/trust.pem b.tar
t_eq "untouched bundle verifies" "$rc" 0
t_match "every lot's seal verifies" "$out" "lot 6: XAdES-T seal verifies"
t_match "verdict" "$out" "^VERIFIED"

run -t pki/trust.pem -k pki/regulator.key -x "$ARJEL/xsd" -o plain b.tar
t_eq "with the regulator key and schemas" "$rc" 0
t_match "traces decrypted and valid" "$out" "60 traces decrypted.*valid against the schemas"
t_match "one RSA decryption for the run of events" "$out" \
    "note  b.tar: events: [12] content keys? unwrapped \\(one RSA decryption each\\) for 60 traces"
t_ok "plain traces written" test -s plain/000000000060.xml
t_match "plain trace carries its IDEvt" "$(cat plain/000000000042.xml)" "<IDEvt>42</IDEvt>"

run -j -t pki/trust.pem b.tar
t_eq "JSON output exit" "$rc" 0
t_match "JSON result" "$out" '^\{"result":"verified","exit":0'

run -t pki/trust.pem c.tar
t_eq "a bundle not starting at lot 1 verifies" "$rc" 0
t_match "the unseen link is named" "$out" "lot 3: first lot of the bundle; its link to lot 2 cannot be checked"

run -t pki/trust.pem a.tar c.tar
t_eq "two overlapping bundles" "$rc" 0
t_match "overlap identical" "$out" "a.tar and c.tar overlap in lots 3 to 3: identical"

run -t pki/trust.pem e.tar
t_eq "range beyond sealing" "$rc" 0
t_match "sealing reach is said" "$out" "sealing had reached IDEvt 60 \\(lot 6\\)"

$MK export -v vault -f 1 -t 60 -C $now -o b2.tar 2>/dev/null
t_ok "two exports of the same lots are byte-identical" cmp -s b.tar b2.tar

# --- third-party tools on the untouched bundle --------------------------------
mkdir x && tar -xf b.tar -C x
t_ok "xmlsec1 --verify accepts a lot seal" xmlsec1 --verify \
    --trusted-pem pki/trust.pem --enabled-reference-uris empty,same-doc \
    --id-attr:Id "http://uri.etsi.org/01903/v1.3.2#:SignedProperties" \
    x/lots/000000000002.xml >/dev/null 2>&1
lot=x/lots/000000000002.xml
sv=$(sed -n 's/.*\(<ds:SignatureValue Id="[^"]*">[^<]*<\/ds:SignatureValue>\).*/\1/p' $lot |
    sed 's/<ds:SignatureValue /<ds:SignatureValue xmlns:ds="http:\/\/www.w3.org\/2000\/09\/xmldsig#" /')
imprint=$(printf '%s' "$sv" | openssl dgst -sha256 -r | cut -d' ' -f1)
sed -n 's/.*<xades:EncapsulatedTimeStamp>\([^<]*\)<.*/\1/p' $lot |
    openssl base64 -d -A > tok.der
t_ok "openssl ts -verify accepts the time-stamp token" openssl ts -verify \
    -digest "$imprint" -in tok.der -token_in -CAfile pki/trust.pem \
    -untrusted pki/tsa.pem >/dev/null 2>&1
openssl cms -decrypt -inform DER -in x/events/000000000042.p7m \
    -inkey pki/regulator.key -recip pki/regulator.pem -out dec.xml 2>/dev/null
t_ok "openssl cms -decrypt recovers the trace" cmp -s dec.xml plain/000000000042.xml

# --- tamperings ----------------------------------------------------------------
# new NAME: a copy of b.tar's files to change; pack NAME: back into NAME.tar
new() { rm -rf "w/$1"; mkdir -p "w/$1"; tar -xf b.tar -C "w/$1"; W=w/$1; }
. "$TOP/regress/verify/pack.sh"
# refused NAME REGEX [verifier options]: exit 1 and the message
refused()
{
	n=$1; re=$2; shift 2
	run -t pki/trust.pem "$@" "$n.tar"
	t_eq "$n: exit 1" "$rc" 1
	t_match "$n: message" "$out" "$re"
}

new flip
printf '\377' | dd of=$W/events/000000000005.p7m bs=1 seek=200 conv=notrunc 2>/dev/null
pack flip
refused flip "lot 1: event 5: Empreinte does not match events/000000000005.p7m"

# -o: a trace gets its name only once its event and its lot's seal check
new sealflip
sed -i 's/Coffre="1"/Coffre="2"/' $W/lots/000000000002.xml
pack sealflip
rm -rf plain2
refused sealflip "lot 2: " -k pki/regulator.key -o plain2
t_ok "-o: traces of sealed lots written" test -s plain2/000000000001.xml
t_ok "-o: no trace of the lot whose seal fails" \
    test -z "$(ls plain2 | grep '^00000000001[1-9]\.xml')"
t_ok "-o: nothing left under a temporary name" \
    test -z "$(ls -A plain2 | grep -v '^[0-9]\{12\}\.xml$')"
new flipo
printf '\377' | dd of=$W/events/000000000005.p7m bs=1 seek=200 conv=notrunc 2>/dev/null
pack flipo
rm -rf plain3
run -t pki/trust.pem -k pki/regulator.key -o plain3 flipo.tar
t_eq "-o: a changed event: exit 1" "$rc" 1
t_ok "-o: its trace is not written" test ! -e plain3/000000000005.xml
t_ok "-o: the others are" test -s plain3/000000000006.xml
t_ok "-o: nothing left under a temporary name (changed event)" \
    test -z "$(ls -A plain3 | grep -v '^[0-9]\{12\}\.xml$')"

# the GCM tag (last bytes) of one event: it alone does not decrypt
new tag
sz=$(wc -c < $W/events/000000000005.p7m)
printf '\377' | dd of=$W/events/000000000005.p7m bs=1 seek=$((sz - 1)) \
    conv=notrunc 2>/dev/null
cmp -s $W/events/000000000005.p7m x/events/000000000005.p7m &&
    printf '\376' | dd of=$W/events/000000000005.p7m bs=1 seek=$((sz - 1)) \
    conv=notrunc 2>/dev/null
pack tag
refused tag "event 5: cannot be decrypted with the regulator key" -k pki/regulator.key
t_match "tag: the others decrypt with the cached key" "$out" \
    "[12] content keys? unwrapped \\(one RSA decryption each\\) for 59 traces"
t_ok "tag: no other event fails" test "$(printf '%s\n' "$out" | grep -c 'cannot be decrypted')" -eq 1

new dropevent
rm $W/events/000000000007.p7m
pack dropevent
refused dropevent "lot 1: event 7: events/000000000007.p7m is missing"

new droplot
rm $W/lots/000000000003.xml
pack droplot
refused droplot "lot 3 is missing \\(between lots 2 and 4\\)"

new swap
mv $W/lots/000000000002.xml $W/tmp.xml
mv $W/lots/000000000003.xml $W/lots/000000000002.xml
mv $W/tmp.xml $W/lots/000000000003.xml
pack swap
refused swap "lot 2: Numero is 3 but the file is lots/000000000002.xml"

new attr
sed -i 's/IDEvt="14" Type="[A-Z]*"/IDEvt="14" Type="PASPGAIN"/' $W/lots/000000000002.xml
pack attr
refused attr "lot 2: signed reference \"\" does not match: the lot changed after sealing"

new tst
t3=$(sed -n 's/.*<xades:EncapsulatedTimeStamp>\([^<]*\)<.*/\1/p' $W/lots/000000000003.xml)
sed -i "s|<xades:EncapsulatedTimeStamp>[^<]*<|<xades:EncapsulatedTimeStamp>$t3<|" $W/lots/000000000002.xml
pack tst
refused tst "lot 2: the time-stamp token is not over this lot's SignatureValue"

new resign
$MK resign -p pki -c pki/stranger.pem -k pki/stranger.key -s state \
    -i $W/lots/000000000002.xml -o $W/l2.xml 2>/dev/null &&
    mv $W/l2.xml $W/lots/000000000002.xml
pack resign
refused resign "lot 2: the certificate in ds:KeyInfo \\(.*\\) is not in certs/seal.pem"

new resign2
$MK resign -p pki -c pki/stranger.pem -k pki/stranger.key -s state \
    -i $W/lots/000000000002.xml -o $W/l2.xml 2>/dev/null &&
    mv $W/l2.xml $W/lots/000000000002.xml
cp pki/stranger.pem $W/certs/seal.pem
pack resign2
refused resign2 "the seal certificate .* does not chain to the trust anchors at SigningTime"

new precedent
sed -i 's|<Precedent>[^<]*</Precedent>|<Precedent>AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=</Precedent>|' $W/lots/000000000004.xml
pack precedent
refused precedent "lot 4: Precedent does not match lot 3's SignatureValue"

new dupid
sed -i 's/IDEvt="12"/IDEvt="11"/' $W/lots/000000000002.xml
pack dupid
refused dupid "lot 2: IDEvt 11 appears twice"

new truncated
head -c 100 b.tar >/dev/null
dd if=x/events/000000000009.p7m of=$W/events/000000000009.p7m bs=100 count=1 2>/dev/null
pack truncated
refused truncated "lot 1: event 9: Empreinte does not match events/000000000009.p7m \\(100 bytes\\)"

new hidegap
rm $W/lots/000000000003.xml $W/events/0000000000[23]?.p7m
cp x/events/000000000030.p7m $W/events/
rm $W/events/000000000030.p7m
sed -i 's/"events":60/"events":50/' $W/manifest.json
pack hidegap
refused hidegap "IDEvt 21 to 30 are missing \\(gap between lots 2 and 4\\)"

size=$(wc -c < b.tar)
head -c $((size / 2)) b.tar > cut.tar
refused cut "bundle archive: the archive is cut at byte"

new extra
cp x/events/000000000001.p7m $W/events/000000000061.p7m
pack extra
refused extra "events/000000000061.p7m is not listed in any lot \\(extra file; refused, the rest of the archive is not read\\)"

new lotid
sed -i 's/Id="lot-000000000002"/Id="lot-000000000009"/' $W/lots/000000000002.xml
pack lotid
refused lotid "lot 2: Id attribute is \"lot-000000000009\", expected \"lot-000000000002\""

new inner
sed 's/<IDEvt>[0-9]*<\/IDEvt>/<IDEvt>99<\/IDEvt>/' plain/000000000004.xml > inner.xml
openssl cms -encrypt -binary -aes-256-cbc -outform DER -in inner.xml \
    -out $W/events/000000000004.p7m pki/regulator.pem 2>/dev/null
pack inner
refused inner "event 4: the trace carries IDEvt 99, the lot says 4" -k pki/regulator.key

new unknown
mkdir $W/extra && echo hello > $W/extra/notes.txt
pack unknown
refused unknown "entry \"extra/notes.txt\" is not part of the format \\(refused; the rest of the archive is not read\\)"

new nomanifest
rm $W/manifest.json
pack nomanifest
refused nomanifest "manifest.json is missing"

new manifestlots
sed -i 's/"last":6/"last":7/' $W/manifest.json
pack manifestlots
refused manifestlots "manifest.json lists lots 1 to 7, the bundle holds lots 1 to 6"

new symlink
ln -s ../../etc/passwd $W/events/000000000061.p7m
pack symlink
refused symlink "bundle archive: entry at byte [0-9]+ has type '2': only files are allowed"

new traversal
(cd w/traversal && tar --format=ustar -cPf ../../traversal.tar \
    --transform='s,^lots/000000000001.xml,../lots/000000000001.xml,' \
    manifest.json certs/seal.pem certs/tsa.pem $(ls lots/* | sort) \
    $(ls events/* | sort))
refused traversal "entry \"../lots/000000000001.xml\" is not part of the format \\(refused; the rest of the archive is not read\\)"

cp b.tar badsum.tar
printf 'X' | dd of=badsum.tar bs=1 seek=10 conv=notrunc 2>/dev/null
refused badsum "bundle archive: header checksum mismatch at byte 0"

cp b.tar trailing.tar
printf 'appended' >> trailing.tar
refused trailing "bundle archive: data after the end of the archive"

openssl pkcs12 -export -inkey pki/regulator.key -in pki/regulator.pem \
    -passout pass:secret -out reg.p12 2>/dev/null
run -t pki/trust.pem -k reg.p12 -p pass:secret b.tar
t_eq "PKCS#12 regulator key with its pass phrase" "$rc" 0
t_match "PKCS#12: traces decrypted" "$out" "60 traces decrypted"
run -t pki/trust.pem -k reg.p12 -p pass:wrong b.tar
t_eq "PKCS#12 with a wrong pass phrase: exit 2" "$rc" 2
out=$("$V" -t pki/trust.pem - < b.tar 2>&1); rc=$?
t_eq "a bundle on the standard input" "$rc" 0

new created
sed -i 's/"created":"[^"]*"/"created":"2020-01-01T00:00:00.000Z"/' $W/manifest.json
pack created
refused created "lot 1: sealed after the bundle was made \\(2020-01-01T00:00:00.000Z\\)"

run -t pki/trust.pem a.tar c2.tar
t_eq "overlap mismatch: exit 1" "$rc" 1
t_match "overlap mismatch: message" "$out" "lot 3 differs between a.tar and c2.tar"

run -t pki/trust.pem a.tar d.tar
t_eq "bundles with a hole: exit 1" "$rc" 1
t_match "bundles with a hole: message" "$out" "lots 4 to 4 are in none of the bundles"

run -t pki/other-ca.pem b.tar
t_eq "another trust anchor: exit 1" "$rc" 1
t_match "another trust anchor: message" "$out" "lot 1: the seal certificate .* does not chain"

# --- could not check: exit 2 -------------------------------------------------
run -t pki/trust.pem nonexistent.tar
t_eq "unreadable bundle: exit 2" "$rc" 2
t_match "unreadable bundle: message" "$out" "cannot open nonexistent.tar"
run -t pki/none.pem b.tar
t_eq "missing trust file: exit 2" "$rc" 2
t_match "missing trust file: message" "$out" "trust file pki/none.pem"
: > empty.pem
run -t empty.pem b.tar
t_eq "trust file without certificates: exit 2" "$rc" 2
run b.tar
t_eq "no -t: usage, exit 2" "$rc" 2
run -t pki/trust.pem -k pki/none.key b.tar
t_eq "unreadable regulator key: exit 2" "$rc" 2

t_done
