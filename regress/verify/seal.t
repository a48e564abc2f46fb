#!/bin/sh
# cfjl-verify against forged lot seals, as an attacker who has read its
# code would make them: signature wrapping of the SignedProperties, Id
# tricks (duplicates, xml:id, wsu:Id), other reference URIs, transforms
# and algorithms, things added to KeyInfo; lots re-sealed with another
# certificate of the same authority (TLS client or server, time-stamping,
# a seal certificate without the documentSigning usage, or signed with
# SHA-1); time-stamp tokens signed with SHA-1 or naming their certificate
# by SHA-1 only.  Each is refused with its message and exit 1.
. "$(dirname "$0")/../lib/common.sh"
. "$TOP/regress/lib/pki.sh"

V=$TOP/cfjl-verify/cfjl-verify
MK=$TOP/regress/verify/mkvault
PY=/usr/bin/python3
[ -x "$V" ] || t_skip "cfjl-verify not built (make -C cfjl-verify)"
[ -x "$MK" ] || t_skip "mkvault not built (make -C regress all)"
[ -d "$ARJEL/samples" ] || t_skip "no ARJEL samples in $ARJEL"
[ -x "$PY" ] || t_skip "no $PY"
t_need openssl tar
t_tmpdir
cd "$T" || exit 2

pki_make pki || exit 2
for r in seal tsa; do
	openssl req -new -newkey rsa:2048 -nodes -keyout pki/$r.key \
	    -subj "/C=FR/O=Operateur 48/CN=CFJL $r" -out pki/$r.csr 2>/dev/null
	pki_sign_csr pki pki/$r.csr pki/$r.pem $r || exit 2
done
mkdir state
$MK make -p pki -a "$ARJEL/samples" -s state -n 20 -l 10 -o vault \
    2>/dev/null || exit 2
mkdir vault/certs && cp pki/seal.pem pki/tsa.pem vault/certs/
$MK export -v vault -f 1 -t 20 -o b.tar 2>/dev/null || exit 2
$MK export -v vault -f 1 -t 10 -o one.tar 2>/dev/null || exit 2

run() { out=$("$V" "$@" 2>&1); rc=$?; }
new() { rm -rf "w/$1"; mkdir -p "w/$1"; tar -xf "${2:-b}.tar" -C "w/$1"; W=w/$1; }
# fresh NAME: the manifest made now (it is not signed), after a re-sealing
fresh()
{
	sed -i "s/\"created\":\"[^\"]*\"/\"created\":\"$(date -u +%Y-%m-%dT%H:%M:%S.999Z)\"/" \
	    "w/$1/manifest.json"
}
. "$TOP/regress/verify/pack.sh"
refused()
{
	n=$1; re=$2; shift 2
	run -t pki/trust.pem "$@" "$n.tar"
	t_eq "$n: exit 1" "$rc" 1
	t_match "$n: message" "$out" "$re"
}

run -t pki/trust.pem b.tar
t_eq "untouched bundle verifies" "$rc" 0
run -t pki/trust.pem one.tar
t_eq "untouched one-lot bundle verifies" "$rc" 0

# edit LOT WHAT: the XML tamperings, made with an XML library (Python's
# ElementTree; moving namespace declarations does not change the exclusive
# canonical forms the signature covers)
cat > edit.py <<'PY'
import copy, datetime, sys
from xml.etree import ElementTree as etree
DS = "http://www.w3.org/2000/09/xmldsig#"
XA = "http://uri.etsi.org/01903/v1.3.2#"
WSU = ("http://docs.oasis-open.org/wss/2004/01/"
    "oasis-200401-wss-wssecurity-utility-1.0.xsd")
for p, u in (("", "urn:cfjl:lot:1"), ("ds", DS), ("xades", XA),
    ("wsu", WSU)):
	etree.register_namespace(p, u)
path, what = sys.argv[1], sys.argv[2]
t = etree.parse(path)
lot = t.getroot()
sig = lot.find("{%s}Signature" % DS)
obj = sig.find("{%s}Object" % DS)
sp = obj.find(".//{%s}SignedProperties" % XA)
si = sig.find("{%s}SignedInfo" % DS)
refs = si.findall("{%s}Reference" % DS)
ki = sig.find("{%s}KeyInfo" % DS)
ev = lot.find("{urn:cfjl:lot:1}Evenement")

def later(node):
	st = node.find(".//{%s}SigningTime" % XA)
	d = datetime.datetime.strptime(st.text, "%Y-%m-%dT%H:%M:%SZ")
	st.text = (d + datetime.timedelta(seconds=4)).strftime(
	    "%Y-%m-%dT%H:%M:%SZ")

def spcopy():
	return copy.deepcopy(sp)

if what == "wrap":
	# the signed SignedProperties in a second ds:Object, the read one
	# edited and without its Id
	o2 = etree.SubElement(sig, "{%s}Object" % DS)
	o2.append(spcopy())
	del sp.attrib["Id"]
	later(sp)
elif what == "wrapki":
	# the signed one first, in KeyInfo, with the same Id
	ki.append(spcopy())
	later(sp)
elif what == "xmlid":
	# the signed one named by xml:id, registered by the parser first
	c = spcopy()
	del c.attrib["Id"]
	c.set("{http://www.w3.org/XML/1998/namespace}id", sp.get("Id"))
	o2 = etree.SubElement(sig, "{%s}Object" % DS)
	w = etree.SubElement(o2, "{%s}Wrapper" % XA)
	w.append(c)
	later(sp)
elif what == "xmlidev":
	ev.set("{http://www.w3.org/XML/1998/namespace}id", sp.get("Id"))
elif what == "wsuid":
	ev.set("{%s}Id" % WSU, sp.get("Id"))
elif what == "idev":
	ev.set("Id", sp.get("Id"))
elif what == "xpointer":
	refs[1].set("URI", "#xpointer(id('%s'))" % sp.get("Id"))
elif what == "lotref":
	refs[0].set("URI", "#" + lot.get("Id"))
elif what == "transform":
	tr = refs[1].find("{%s}Transforms" % DS)
	x = etree.SubElement(tr, "{%s}Transform" % DS)
	x.set("Algorithm", "http://www.w3.org/TR/1999/REC-xpath-19991116")
	etree.SubElement(x, "{%s}XPath" % DS).text = "true()"
elif what == "sha1":
	si.find("{%s}SignatureMethod" % DS).set("Algorithm",
	    "http://www.w3.org/2000/09/xmldsig#rsa-sha1")
elif what == "sha1digest":
	refs[1].find("{%s}DigestMethod" % DS).set("Algorithm",
	    "http://www.w3.org/2000/09/xmldsig#sha1")
elif what == "keyname":
	etree.SubElement(ki, "{%s}KeyName" % DS).text = "seal"
elif what == "comment":
	si.insert(0, etree.Comment(" hello "))
elif what == "rootnsid":
	lot.set("{urn:x}Id", sp.get("Id"))
elif what == "upperid":
	lot.find("{urn:cfjl:lot:1}Precedent").set("ID", "p")
elif what == "inclusive":
	tr = refs[1].find("{%s}Transforms" % DS)[0]
	x = etree.SubElement(tr,
	    "{http://www.w3.org/2001/10/xml-exc-c14n#}InclusiveNamespaces")
	x.set("PrefixList", "ds")
elif what == "tsid":
	ts = obj.find(".//{%s}SignatureTimeStamp" % XA)
	ts.set("Id", sp.get("Id"))
elif what == "twosig":
	lot.append(copy.deepcopy(sig))
else:
	sys.exit("unknown tampering " + what)
t.write(path, xml_declaration=True, encoding="UTF-8")
PY
edit() { "$PY" edit.py "$@" || exit 2; }

L2=lots/000000000002.xml

# --- wrapping and identifiers --------------------------------------------------
new wrap; edit $W/$L2 wrap; pack wrap
refused wrap "lot 2: the seal is not of the form the vault writes: SignedProperties lacks its attribute Id"
t_not "wrap: the edited SigningTime is not reported as signed" \
    sh -c 'printf "%s\n" "$1" | grep -q "lot 2: XAdES-T seal verifies"' - "$out"

new wrapki; edit $W/$L2 wrapki; pack wrapki
refused wrapki "lot 2: the seal is not of the form the vault writes: KeyInfo has an extra element SignedProperties"

new xmlid; edit $W/$L2 xmlid; pack xmlid
refused xmlid "lot 2: the seal is not of the form the vault writes: Signature has an extra element Object"

new xmlidev; edit $W/$L2 xmlidev; pack xmlidev
refused xmlidev "lot 2: the seal is not of the form the vault writes: Evenement carries an identifier attribute xml:id that is not the vault's"

new wsuid; edit $W/$L2 wsuid; pack wsuid
refused wsuid "lot 2: the seal is not of the form the vault writes: Evenement carries an identifier attribute wsu:Id that is not the vault's"

new idev; edit $W/$L2 idev; pack idev
refused idev "lot 2: the seal is not of the form the vault writes: Evenement carries an identifier attribute Id that is not the vault's"

# --- references, transforms, algorithms, KeyInfo --------------------------------
new xpointer; edit $W/$L2 xpointer; pack xpointer
refused xpointer "lot 2: the seal is not of the form the vault writes: Reference/@URI is not \"#xades-lot-000000000002\""

new lotref; edit $W/$L2 lotref; pack lotref
refused lotref "lot 2: the seal is not of the form the vault writes: Reference/@URI is not \"\""

new transform; edit $W/$L2 transform; pack transform
refused transform "lot 2: the seal is not of the form the vault writes: Transforms has an extra element Transform"

new sha1; edit $W/$L2 sha1; pack sha1
refused sha1 "lot 2: the seal is not of the form the vault writes: SignatureMethod/@Algorithm is not \"http://www.w3.org/2001/04/xmldsig-more#rsa-sha256\""

new sha1digest; edit $W/$L2 sha1digest; pack sha1digest
refused sha1digest "lot 2: the seal is not of the form the vault writes: DigestMethod/@Algorithm is not \"http://www.w3.org/2001/04/xmlenc#sha256\""

new keyname; edit $W/$L2 keyname; pack keyname
refused keyname "lot 2: the seal is not of the form the vault writes: KeyInfo has an extra element KeyName"

new comment; edit $W/$L2 comment; pack comment
refused comment "lot 2: the seal is not of the form the vault writes: SignedInfo holds an unexpected node"

new rootnsid; edit $W/$L2 rootnsid; pack rootnsid
refused rootnsid "lot 2: the seal is not of the form the vault writes: Lot carries an identifier attribute .*:Id that is not the vault's"

new upperid; edit $W/$L2 upperid; pack upperid
refused upperid "lot 2: the seal is not of the form the vault writes: Precedent carries an identifier attribute ID that is not the vault's"

new inclusive; edit $W/$L2 inclusive; pack inclusive
refused inclusive "lot 2: the seal is not of the form the vault writes: Transform has an extra element InclusiveNamespaces"

new tsid; edit $W/$L2 tsid; pack tsid
refused tsid "lot 2: the seal is not of the form the vault writes: SignatureTimeStamp/@Id is not \"ts-lot-000000000002\""

# CDATA or a comment inside a signed value: the canonical form (and so
# the digest) is the same, what is read need not be; refused
new cdata
sed -i 's|<xades:SigningTime>\([^<]*\)</xades:SigningTime>|<xades:SigningTime><![CDATA[\1]]></xades:SigningTime>|' $W/$L2
pack cdata
refused cdata "lot 2: the seal is not of the form the vault writes: SigningTime holds an unexpected node"

new splitcomment
sed -i 's|<xades:SigningTime>\(....\)|<xades:SigningTime>\1<!-- -->|' $W/$L2
pack splitcomment
refused splitcomment "lot 2: the seal is not of the form the vault writes: SigningTime holds an unexpected node"

new twosig; edit $W/$L2 twosig; pack twosig
refused twosig "lot 2: element Signature after the signature"

# --- lots re-sealed with other certificates of the same authority ---------------
# resealed NAME CERT KEY: one.tar's lot re-sealed, CERT as certs/seal.pem
resealed()
{
	new "$1" one
	$MK resign -p pki -c "$2" -k "$3" -s state -i $W/lots/000000000001.xml \
	    -o $W/l1.xml 2>/dev/null && mv $W/l1.xml $W/lots/000000000001.xml ||
	    exit 2
	cp "$2" $W/certs/seal.pem
	fresh "$1"
	pack "$1"
}
# issue NAME EXT...: a certificate of the test CA for the seal key's request
issue()
{
	n=$1; shift
	printf '%s\n' "$@" > pki/$n.ext
	openssl x509 -req -in pki/seal.csr -CA pki/ca.pem -CAkey pki/ca.key \
	    -CAcreateserial -days 30 -${MD:-sha256} -extfile pki/$n.ext \
	    -out pki/$n.pem 2>/dev/null || exit 2
}

resealed good pki/seal.pem pki/seal.key
run -t pki/trust.pem good.tar
t_eq "re-sealed with the seal certificate itself: verifies" "$rc" 0

resealed depositor pki/depositor.pem pki/depositor.key
refused depositor "lot 1: the seal certificate may not seal: its extended key usage is not documentSigning \\(1.3.6.1.5.5.7.3.36\\) alone"

resealed server pki/server.pem pki/server.key
refused server "lot 1: the seal certificate may not seal: its extended key usage is not documentSigning \\(1.3.6.1.5.5.7.3.36\\) alone"

resealed tsacert pki/tsa.pem pki/tsa.key
refused tsacert "lot 1: the seal certificate may not seal: its extended key usage is not documentSigning \\(1.3.6.1.5.5.7.3.36\\) alone"

issue noeku "basicConstraints=critical,CA:false" \
    "keyUsage=critical,digitalSignature,nonRepudiation"
resealed noeku pki/noeku.pem pki/seal.key
refused noeku "lot 1: the seal certificate may not seal: it has no extended key usage \\(documentSigning \\(1.3.6.1.5.5.7.3.36\\) required\\)"

issue noncrit "basicConstraints=critical,CA:false" \
    "keyUsage=critical,digitalSignature,nonRepudiation" \
    "extendedKeyUsage=1.3.6.1.5.5.7.3.36"
resealed noncrit pki/noncrit.pem pki/seal.key
refused noncrit "lot 1: the seal certificate may not seal: its extended key usage is not critical"

issue plusclient "basicConstraints=critical,CA:false" \
    "keyUsage=critical,digitalSignature,nonRepudiation" \
    "extendedKeyUsage=critical,1.3.6.1.5.5.7.3.36,clientAuth"
resealed plusclient pki/plusclient.pem pki/seal.key
refused plusclient "lot 1: the seal certificate may not seal: its extended key usage is not documentSigning \\(1.3.6.1.5.5.7.3.36\\) alone"

issue nokeyusage "basicConstraints=critical,CA:false" \
    "extendedKeyUsage=critical,1.3.6.1.5.5.7.3.36"
resealed nokeyusage pki/nokeyusage.pem pki/seal.key
refused nokeyusage "lot 1: the seal certificate may not seal: it has no key usage extension"

MD=sha1 issue sha1cert "basicConstraints=critical,CA:false" \
    "keyUsage=critical,digitalSignature,nonRepudiation" \
    "extendedKeyUsage=critical,1.3.6.1.5.5.7.3.36"
resealed sha1cert pki/sha1cert.pem pki/seal.key
refused sha1cert "lot 1: the seal certificate .* does not chain to the trust anchors at SigningTime: .*CN=CFJL seal is signed with SHA1 \\(only SHA-256 or stronger is accepted\\)"

# --- time-stamp tokens made by openssl ts with other settings -------------------
# token NAME SIGNER_CERT SIGNER_KEY DIGEST ESS_ALG: one.tar's token replaced
token()
{
	new "$1" one
	lot=$W/lots/000000000001.xml
	sv=$(sed -n 's/.*\(<ds:SignatureValue Id="[^"]*">[^<]*<\/ds:SignatureValue>\).*/\1/p' $lot |
	    sed 's/<ds:SignatureValue /<ds:SignatureValue xmlns:ds="http:\/\/www.w3.org\/2000\/09\/xmldsig#" /')
	imprint=$(printf '%s' "$sv" | openssl dgst -sha256 -r | cut -d' ' -f1)
	echo 01 > "$1.serial"
	cat > "$1.cnf" <<CNF
[tsa]
default_tsa = t
[t]
serial = $1.serial
crypto_device = builtin
signer_cert = $2
signer_key = $3
signer_digest = $4
default_policy = 1.2.3.4.1
digests = sha256
accuracy = secs:1
ordering = no
tsa_name = no
ess_cert_id_chain = no
ess_cert_id_alg = $5
CNF
	openssl ts -query -digest "$imprint" -sha256 -cert -no_nonce \
	    -out "$1.tsq" 2>/dev/null &&
	openssl ts -reply -config "$1.cnf" -queryfile "$1.tsq" -token_out \
	    -out "$1.der" 2>/dev/null || exit 2
	b=$(openssl base64 -A -in "$1.der")
	sed -i "s|<xades:EncapsulatedTimeStamp>[^<]*<|<xades:EncapsulatedTimeStamp>$b<|" $lot
	cp "$2" $W/certs/tsa.pem
	fresh "$1"
	pack "$1"
}

token tsgood pki/tsa.pem pki/tsa.key sha256 sha256
run -t pki/trust.pem tsgood.tar
t_eq "a token of openssl ts, SHA-256 and ESSCertIDv2: verifies" "$rc" 0

token tssha1 pki/tsa.pem pki/tsa.key sha1 sha256
refused tssha1 "lot 1: the time-stamp token is refused: it is signed with the digest SHA1"

token tsessv1 pki/tsa.pem pki/tsa.key sha256 sha1
refused tsessv1 "lot 1: the time-stamp token is refused: it does not name its certificate with ESSCertIDv2"

# A token signed by another certificate: openssl ts will not sign with
# one that lacks timeStamping, so the TSTInfo of a good token is signed
# again with openssl cms (without ESSCertIDv2: the usage is checked first).
# cmstoken NAME CERT KEY
cmstoken()
{
	new "$1" one
	lot=$W/lots/000000000001.xml
	openssl cms -verify -noverify -binary -inform DER -in tsgood.der \
	    -out "$1.tst" 2>/dev/null &&
	openssl cms -sign -binary -nodetach -nosmimecap -md sha256 \
	    -econtent_type 1.2.840.113549.1.9.16.1.4 -in "$1.tst" \
	    -signer "$2" -inkey "$3" -outform DER -out "$1.der" 2>/dev/null ||
	    exit 2
	b=$(openssl base64 -A -in "$1.der")
	sed -i "s|<xades:EncapsulatedTimeStamp>[^<]*<|<xades:EncapsulatedTimeStamp>$b<|" $lot
	cp "$2" $W/certs/tsa.pem
	fresh "$1"
	pack "$1"
}

cmstoken tscms pki/tsa.pem pki/tsa.key
refused tscms "lot 1: the time-stamp token is refused: it does not name its certificate with ESSCertIDv2"

cmstoken tsseal pki/seal.pem pki/seal.key
refused tsseal "lot 1: the time-stamping certificate may not time-stamp: its extended key usage is not timeStamping alone"

cmstoken tsclient pki/depositor.pem pki/depositor.key
refused tsclient "lot 1: the time-stamping certificate may not time-stamp: its extended key usage is not timeStamping alone"

t_done
