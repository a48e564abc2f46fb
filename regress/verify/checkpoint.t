#!/bin/sh
# Checkpoints in bundles (cfjl-export(5) "checkpoint.xml"), made by
# sealerd's checkpoint.c and stored's export.c (mkvault): the untouched
# bundle verifies and xmlsec1 and openssl ts accept the checkpoint's seal;
# a tail cut off with the manifest rewritten to match, a missing or
# altered checkpoint, one that names another lot, an older one than the
# checkpoint kept, and a fork (same number, other content) are refused,
# each with its message and exit 1.
. "$(dirname "$0")/../lib/common.sh"
. "$TOP/regress/lib/pki.sh"

V=$TOP/cfjl-verify/cfjl-verify
MK=$TOP/regress/verify/mkvault
[ -x "$V" ] || t_skip "cfjl-verify not built (make -C cfjl-verify)"
[ -x "$MK" ] || t_skip "mkvault not built (make -C regress all)"
[ -d "$ARJEL/samples" ] || t_skip "no ARJEL samples in $ARJEL"
t_need openssl xmlsec1 tar sed
t_tmpdir
cd "$T" || exit 2

pki_make pki || exit 2
for r in seal tsa; do
	openssl req -new -newkey rsa:2048 -nodes -keyout pki/$r.key \
	    -subj "/C=FR/O=Operateur 48/CN=CFJL $r" -out pki/$r.csr 2>/dev/null
	pki_sign_csr pki pki/$r.csr pki/$r.pem $r || exit 2
done
mkdir state state2
for v in vault vault2; do
	$MK make -p pki -a "$ARJEL/samples" -s state -n 60 -l 10 -o $v \
	    2>/dev/null || exit 2
	mkdir $v/certs && cp pki/seal.pem pki/tsa.pem $v/certs/
done
cp vault/checkpoint.xml ck1.xml
$MK export -v vault -f 1 -t 60 -o b.tar 2>/dev/null || exit 2
$MK export -v vault -f 1 -t 25 -o a.tar 2>/dev/null || exit 2

run() { out=$("$V" "$@" 2>&1); rc=$?; }
new() { rm -rf "w/$1"; mkdir -p "w/$1"; tar -xf "${2:-b}.tar" -C "w/$1"; W=w/$1; }
. "$TOP/regress/verify/pack.sh"
refused()
{
	n=$1; re=$2; shift 2
	run -t pki/trust.pem "$@" "$n.tar"
	t_eq "$n: exit 1" "$rc" 1
	t_match "$n: message" "$out" "$re"
}
# vault copy NAME with CHECKPOINT as its newest, exported whole as NAME.tar
with_checkpoint()
{
	rm -rf "v_$1"
	cp -r vault "v_$1" && cp "$2" "v_$1/checkpoint.xml" || exit 2
	$MK export -v "v_$1" -f 1 -t 60 -o "$1.tar" 2>/dev/null || exit 2
}

# --- untouched ------------------------------------------------------------------
run -t pki/trust.pem b.tar
t_eq "untouched bundle verifies" "$rc" 0
t_match "the checkpoint's seal verifies" "$out" \
    "checkpoint 1: XAdES-T seal verifies"
t_match "the bundle holds what it proves" "$out" \
    "checkpoint 1: the bundle holds every lot it proves, up to lot 6 \\(IDEvt 60\\)"

run -t pki/trust.pem a.tar
t_eq "a range that ends earlier verifies" "$rc" 0
t_match "the checkpoint shows the vault went further" "$out" \
    "the range asked for ends at IDEvt 25; checkpoint 1 \\(.*\\) shows the vault held lots up to 6 \\(IDEvt 60\\)"

# --- third-party tools on the checkpoint -----------------------------------------
mkdir x && tar -xf b.tar -C x
t_ok "xmlsec1 --verify accepts the checkpoint's seal" xmlsec1 --verify \
    --trusted-pem pki/trust.pem --enabled-reference-uris empty,same-doc \
    --id-attr:Id "http://uri.etsi.org/01903/v1.3.2#:SignedProperties" \
    x/checkpoint.xml >/dev/null 2>&1
sv=$(sed -n 's/.*\(<ds:SignatureValue Id="[^"]*">[^<]*<\/ds:SignatureValue>\).*/\1/p' x/checkpoint.xml |
    sed 's/<ds:SignatureValue /<ds:SignatureValue xmlns:ds="http:\/\/www.w3.org\/2000\/09\/xmldsig#" /')
imprint=$(printf '%s' "$sv" | openssl dgst -sha256 -r | cut -d' ' -f1)
sed -n 's/.*<xades:EncapsulatedTimeStamp>\([^<]*\)<.*/\1/p' x/checkpoint.xml |
    openssl base64 -d -A > tok.der
t_ok "openssl ts -verify accepts the checkpoint's time-stamp" openssl ts \
    -verify -digest "$imprint" -in tok.der -token_in -CAfile pki/trust.pem \
    -untrusted pki/tsa.pem >/dev/null 2>&1
sed 's/DernierLot Numero="6"/DernierLot Numero="4"/' x/checkpoint.xml > x/bad.xml
t_not "xmlsec1 --verify refuses an altered checkpoint" xmlsec1 --verify \
    --trusted-pem pki/trust.pem --enabled-reference-uris empty,same-doc \
    --id-attr:Id "http://uri.etsi.org/01903/v1.3.2#:SignedProperties" \
    x/bad.xml

# --- a tail cut off, the manifest rewritten to match ------------------------------
new cut
rm -f $W/lots/000000000005.xml $W/lots/000000000006.xml \
    $W/paths/000000000005.txt $W/paths/000000000006.txt
for i in $(seq 41 60); do rm -f $W/events/0000000000$i.p7m; done
sed -i -e 's/"included":{"from":1,"to":60}/"included":{"from":1,"to":40}/' \
    -e 's/"lots":{"first":1,"last":6}/"lots":{"first":1,"last":4}/' \
    -e 's/"events":60/"events":40/' \
    -e 's/"sealed":{"lot":6,"idevt":60}/"sealed":{"lot":4,"idevt":40}/' \
    $W/manifest.json
pack cut
refused cut "FAIL .*the bundle ends at lot 4, but checkpoint 1 \\(.*\\) proves lots up to 6 \\(IDEvt 60\\) were sealed: lots 5 to 6 are missing"
t_match "cut: the manifest's sealing reach is refused" "$out" \
    "manifest.json says sealing had reached lot 4; checkpoint 1 proves lot 6 was sealed before"
t_match "cut: without the checkpoint it would pass" "$out" \
    "ok .*manifest.json agrees with the lots: lots 1 to 4"

# ... and the checkpoint dropped as well
new nock
rm -f $W/checkpoint.xml $W/lots/000000000006.xml $W/paths/000000000006.txt
for i in $(seq 51 60); do rm -f $W/events/0000000000$i.p7m; done
sed -i -e 's/"to":60}/"to":50}/g' -e 's/"last":6}/"last":5}/' \
    -e 's/"events":60/"events":50/' \
    -e 's/"sealed":{"lot":6,"idevt":60}/"sealed":{"lot":5,"idevt":50}/' \
    $W/manifest.json
pack nock
refused nock "FAIL .*checkpoint.xml is missing: nothing proves that the bundle holds every lot"

# ... or the requested range rewritten too: it passes, and says so
new asked
rm -f $W/lots/000000000006.xml $W/paths/000000000006.txt
for i in $(seq 51 60); do rm -f $W/events/0000000000$i.p7m; done
sed -i -e 's/"to":60}/"to":50}/g' -e 's/"last":6}/"last":5}/' \
    -e 's/"events":60/"events":50/' \
    -e 's/"sealed":{"lot":6,"idevt":60}/"sealed":{"lot":6,"idevt":60}/' \
    $W/manifest.json
pack asked
run -t pki/trust.pem asked.tar
t_eq "asked: a smaller range written in the manifest verifies" "$rc" 0
t_match "asked: the range shown with what the checkpoint proves" "$out" \
    "the range asked for ends at IDEvt 50; checkpoint 1 \\(.*\\) shows the vault held lots up to 6 \\(IDEvt 60\\)"

# --- the checkpoint itself ----------------------------------------------------------
new alter
sed -i 's/IDEvt="60"/IDEvt="59"/' $W/checkpoint.xml
pack alter
refused alter "checkpoint 1: signed reference \"\" does not match: the checkpoint changed after sealing"

# the form, checked before the seal: each refused with its reason
form()
{
	n=$1 re=$2 expr=$3
	new "$n"
	sed -i "$expr" $W/checkpoint.xml
	pack "$n"
	refused "$n" "$re"
}
form nolot "FAIL .*checkpoint.xml: Precedent or DernierLot is missing" \
    '/<DernierLot /d'
form badlot "FAIL .*checkpoint.xml: DernierLot is malformed" \
    's/IDEvt="60"/IDEvt="5"/'
form lotattr "FAIL .*checkpoint.xml: DernierLot is malformed" \
    's/<DernierLot /<DernierLot Extra="1" /'
form badjournal "FAIL .*checkpoint.xml: Journal is malformed" \
    's|<DernierLot \([^>]*\)/>|<DernierLot \1/><Journal Fichier="1.log" Metadonnees="x"/>|'
form rootattr "FAIL .*checkpoint.xml: the Checkpoint element lacks Id, Numero, Operateur, Coffre or Heure, or has another attribute" \
    's/ Heure="/ Autre="1" Heure="/'
form badid "FAIL .*checkpoint.xml: Id is \"checkpoint-1\", expected \"checkpoint-000000000001\"" \
    's/Id="checkpoint-000000000001"/Id="checkpoint-1"/'
form unsealed "FAIL .*checkpoint.xml: no ds:Signature: the checkpoint is not sealed" \
    '/<ds:Signature/,$c</Checkpoint>'
form extra "FAIL .*checkpoint.xml: unexpected element Autre" \
    's|<Precedent>|<Autre/><Precedent>|'
form root "FAIL .*checkpoint.xml: the root element is not \{urn:cfjl:checkpoint:1\}Checkpoint" \
    's|urn:cfjl:checkpoint:1|urn:cfjl:lot:1|'

$MK checkpoint -p pki -s state -v vault -n 1 -i 59 -o lie.xml 2>/dev/null ||
    exit 2
with_checkpoint lie lie.xml
refused lie "FAIL .*lot 6 ends at IDEvt 60; checkpoint 1 says 59"

$MK checkpoint -p pki -s state -v vault -n 1 -o late.xml 2>/dev/null || exit 2
rm -rf v_late && cp -r vault v_late && cp late.xml v_late/checkpoint.xml
$MK export -v v_late -f 1 -t 60 -C $(($(date +%s) * 1000 - 20000)) \
    -o late.tar 2>/dev/null || exit 2
refused late "FAIL .*checkpoint 1: made after the bundle"

new other
cp vault2/checkpoint.xml $W/checkpoint.xml
pack other
refused other "FAIL .*lot 6 is not the one checkpoint 1 names: its SignatureValue differs"

new twice
mkdir $W/dup && cp $W/checkpoint.xml $W/dup/
(cd $W && tar --format=ustar -cf ../../twice.tar manifest.json certs/seal.pem \
    certs/tsa.pem checkpoint.xml -C dup checkpoint.xml -C .. \
    $(ls lots/* | sort) $(ls paths/* | sort) $(ls events/* | sort))
refused twice "FAIL .*checkpoint.xml appears twice in the bundle"

# a checkpoint sealed by another authority
mkdir pki2 && pki_make pki2 >/dev/null 2>&1 || exit 2
openssl req -new -newkey rsa:2048 -nodes -keyout pki2/seal.key \
    -subj "/C=FR/O=Autre/CN=CFJL seal" -out pki2/seal.csr 2>/dev/null
pki_sign_csr pki2 pki2/seal.csr pki2/seal.pem seal || exit 2
cp pki/tsa.pem pki/tsa.key pki2/
$MK checkpoint -p pki2 -s state2 -v vault -n 1 -o forged.xml 2>/dev/null ||
    exit 2
with_checkpoint forged forged.xml
refused forged "checkpoint 1: the certificate in ds:KeyInfo .* is not in certs/seal.pem"
run -t pki/trust.pem --since-checkpoint forged.xml b.tar
t_eq "a kept checkpoint of another authority: exit 1" "$rc" 1
t_match "a kept checkpoint of another authority: message" "$out" \
    "checkpoint 1: the seal certificate .* does not chain to the trust anchors"

# --- --since-checkpoint: what a regulator kept --------------------------------------
run -t pki/trust.pem --since-checkpoint ck1.xml b.tar
t_eq "the same checkpoint as the one kept" "$rc" 0
t_match "the kept checkpoint verifies alone" "$out" \
    "ck1.xml: checkpoint 1, lot 6 \\(IDEvt 60\\), journal none"
t_match "the same one" "$out" "checkpoint 1 is the checkpoint kept"

# the next checkpoint, chained to the one kept
$MK checkpoint -p pki -s state -v vault -n 2 -P ck1.xml -o ck2.xml \
    2>/dev/null || exit 2
with_checkpoint next ck2.xml
run -t pki/trust.pem --since-checkpoint ck1.xml next.tar
t_eq "a later checkpoint that follows the one kept" "$rc" 0
t_match "it follows through the lots" "$out" \
    "checkpoint 2 follows checkpoint 1 kept: lot 6 is the one it names"

# a later one that goes back to an earlier lot
$MK checkpoint -p pki -s state -v vault -n 2 -l 4 -P ck1.xml -o back2.xml \
    2>/dev/null || exit 2
with_checkpoint back2 back2.xml
run -t pki/trust.pem back2.tar
t_eq "back2: alone, it holds" "$rc" 0
refused back2 "checkpoint 2 goes back from checkpoint 1 kept \(lot 4 after lot 6\)" \
    --since-checkpoint ck1.xml

# a fork: same number, other content
$MK checkpoint -p pki -s state -v vault -n 1 -l 5 -o fork1.xml 2>/dev/null ||
    exit 2
with_checkpoint fork fork1.xml
refused fork "fork: the bundle's checkpoint 1 is not the checkpoint 1 kept \\(same number, other content\\)" \
    --since-checkpoint ck1.xml
# a fork: the next number, chained elsewhere
$MK checkpoint -p pki -s state -v vault -n 2 -P vault2/checkpoint.xml \
    -o fork2.xml 2>/dev/null || exit 2
with_checkpoint fork2 fork2.xml
refused fork2 "fork: checkpoint 2 does not chain to checkpoint 1 kept \\(Precedent differs\\)" \
    --since-checkpoint ck1.xml
# a fork: lots rewritten under a later checkpoint
$MK checkpoint -p pki -s state -v vault2 -n 3 -o fork3.xml 2>/dev/null ||
    exit 2
rm -rf v_fork3 && cp -r vault2 v_fork3 && cp fork3.xml v_fork3/checkpoint.xml
$MK export -v v_fork3 -f 1 -t 60 -o fork3.tar 2>/dev/null || exit 2
refused fork3 "fork: lot 6 of the bundle is not the one checkpoint 1 kept names: lots were rewritten" \
    --since-checkpoint ck1.xml
# going back: an older checkpoint than the one kept, the tail cut to match
$MK checkpoint -p pki -s state -v vault -n 1 -l 4 -o old.xml 2>/dev/null ||
    exit 2
new back cut
cp old.xml $W/checkpoint.xml
sed -i "s/\"created\":\"[^\"]*\"/\"created\":\"$(date -u +%Y-%m-%dT%H:%M:%S.999Z)\"/" \
    $W/manifest.json
pack back
run -t pki/trust.pem back.tar
t_eq "back: alone, the older checkpoint hides the cut" "$rc" 0
refused back "the bundle carries checkpoint 1, older than checkpoint 2 kept: the vault went back" \
    --since-checkpoint ck2.xml

run -t pki/trust.pem --since-checkpoint nonexistent.xml b.tar
t_eq "an unreadable kept checkpoint: exit 2" "$rc" 2

t_done
