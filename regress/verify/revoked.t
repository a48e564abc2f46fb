#!/bin/sh
# cfjl-verify -C: the seal and time-stamping certificates against CRLs.
# Not revoked: the bundle verifies.  Revoked before the seal, or after
# it for a key compromise: refused with the date and reason.  Retired
# after the seal for another reason (superseded): earlier seals stand.
# A CRL of another CA only: refused, revocation cannot be told.
. "$(dirname "$0")/../lib/common.sh"
. "$TOP/regress/lib/pki.sh"

V=$TOP/cfjl-verify/cfjl-verify
MK=$TOP/regress/verify/mkvault
[ -x "$V" ] || t_skip "cfjl-verify not built (make -C cfjl-verify)"
[ -x "$MK" ] || t_skip "mkvault not built (make -C regress all)"
[ -d "$ARJEL/samples" ] || t_skip "no ARJEL samples in $ARJEL"
t_need openssl tar
t_tmpdir
cd "$T" || exit 2

pki_make pki || exit 2
for r in seal tsa; do
	openssl req -new -newkey rsa:2048 -nodes -keyout pki/$r.key \
	    -subj "/C=FR/O=Operateur 48/CN=CFJL $r" -out pki/$r.csr 2>/dev/null
	pki_sign_csr pki pki/$r.csr pki/$r.pem $r || exit 2
done
# vault DIR PKI OUT: a vault sealed now with PKI's keys, exported to OUT.
vault()
{
	mkdir -p "$1.state"
	$MK make -p "$2" -a "$ARJEL/samples" -s "$1.state" -n 4 -l 2 -o "$1" \
	    2>/dev/null || return 1
	mkdir "$1/certs" && cp "$2/seal.pem" "$2/tsa.pem" "$1/certs/" &&
	    $MK export -v "$1" -f 1 -t 4 -o "$3" 2>/dev/null
}
# revoke NAME REASON: NAME.pem of the operator's CA, crl.pem anew.
revoke()
{
	openssl ca -config pki/ca.db/ca.cnf -cert pki/ca.pem -keyfile pki/ca.key \
	    -revoke "pki/$1.pem" -crl_reason "$2" 2>/dev/null &&
	    openssl ca -config pki/ca.db/ca.cnf -cert pki/ca.pem -keyfile pki/ca.key \
	    -gencrl -out pki/crl.pem 2>/dev/null
}
run() { out=$("$V" "$@" 2>&1); rc=$?; }
vault v1 pki b.tar || exit 2

run -t pki/trust.pem -C pki/crl.pem b.tar
t_eq "not revoked: verifies" "$rc" 0
t_match "not revoked: the seals pass" "$out" "lot 2"
run -t pki/trust.pem -C pki/regulator-crl.pem b.tar
t_eq "only another CA's CRL: refused" "$rc" 1
t_match "only another CA's CRL: explained" "$out" \
    "lot 1: the seal certificate /C=FR/O=Operateur 48/CN=CFJL seal is refused: no CRL of /C=FR/O=Operateur 48/CN=CFJL Test Operator CA among those given with -C"
run -t pki/trust.pem -C nowhere.pem b.tar
t_eq "a CRL file that is not there: error" "$rc" 2
t_match "a CRL file that is not there: explained" "$out" "CRL file nowhere.pem: No such file"
run -t pki/trust.pem -C pki/ca.pem b.tar
t_eq "a file without a CRL: error" "$rc" 2
t_match "a file without a CRL: explained" "$out" "CRL file pki/ca.pem: no PEM CRL in it"

sleep 1		# the revocations below come after the seals
revoke seal superseded || exit 2
run -t pki/trust.pem -C pki/crl.pem b.tar
t_eq "seal retired after the seals (superseded): verifies" "$rc" 0
revoke tsa keyCompromise || exit 2
run -t pki/trust.pem -C pki/crl.pem b.tar
t_eq "TSA key compromised after the seals: refused" "$rc" 1
t_match "TSA key compromised: explained" "$out" \
    "lot 1: the time-stamping certificate /C=FR/O=Operateur 48/CN=CFJL tsa is refused: revoked on [0-9T:.-]*Z \\(keyCompromise\\), after the signature, for a reason that does not say the key was sound before"
run -t pki/trust.pem b.tar
t_eq "without -C: revocation not checked" "$rc" 0

# A seal certificate revoked before it sealed.
mkdir pki2
cp pki/ca.pem pki/ca.key pki/regulator.pem pki/regulator.key pki2/ 2>/dev/null
cp pki/*.pem pki/*.key pki2/ 2>/dev/null
openssl req -new -newkey rsa:2048 -nodes -keyout pki2/seal.key \
    -subj "/C=FR/O=Operateur 48/CN=CFJL seal 2" -out pki2/seal.csr 2>/dev/null
pki_sign_csr pki pki2/seal.csr pki2/seal.pem seal || exit 2
openssl req -new -newkey rsa:2048 -nodes -keyout pki2/tsa.key \
    -subj "/C=FR/O=Operateur 48/CN=CFJL tsa 2" -out pki2/tsa.csr 2>/dev/null
pki_sign_csr pki pki2/tsa.csr pki2/tsa.pem tsa || exit 2
cp pki2/seal.pem pki/seal2.pem
revoke seal2 superseded || exit 2
vault v2 pki2 b2.tar || exit 2
run -t pki/trust.pem b2.tar
t_eq "sealed by a revoked certificate, without -C: verifies" "$rc" 0
run -t pki/trust.pem -C pki/crl.pem b2.tar
t_eq "sealed by a certificate revoked before: refused" "$rc" 1
t_match "sealed by a certificate revoked before: explained" "$out" \
    "lot 1: the seal certificate /C=FR/O=Operateur 48/CN=CFJL seal 2 is refused: revoked on [0-9T:.-]*Z \\(superseded\\), before the signature"

t_done
