#!/bin/sh
# cfjl-verify journal on a real journal: auditd writes and closes files,
# sealerd seals them in a SoftHSM token; the untouched journal verifies,
# and every kind of tampering is refused with its message and exit 1.
. "$(dirname "$0")/../lib/common.sh"
t_unprivileged "$@"
. "$TOP/regress/auditd/auditd.sh"
t_tmpdir
V=$TOP/cfjl-verify/cfjl-verify
[ -x "$V" ] || t_skip "cfjl-verify not built (make -C cfjl-verify)"
[ -x "$TOP/sealerd/sealerd" ] || t_skip "sealerd is not built"
. "$TOP/regress/sealerd/setup.sh"
sealer_need
sealer_setup > "$T/setup.log" 2>&1 || { cat "$T/setup.log"; exit 1; }
ad_setup_append || exit 2

# a second documentSigning certificate of the same authority, its key in a
# file, issued before the journal is written: what a forger would need
P=$T/pki
openssl req -new -newkey rsa:2048 -nodes -keyout "$P/seal2.key" \
    -subj "/C=FR/O=Operateur 48/CN=CFJL seal 2" -out "$P/seal2.csr" 2>/dev/null
pki_sign_csr "$P" "$P/seal2.csr" "$P/seal2.pem" seal || exit 2

sealerd_ctl_stop()
{
	[ -n "${SEALERD_PID:-}" ] || return 0
	kill "$SEALERD_PID" 2>/dev/null; wait "$SEALERD_PID" 2>/dev/null
	SEALERD_PID=""
}
t_cleanup_add sealerd_ctl_stop
rm -f "$RUN/sealer.sock"
"$SEALERD" -d -f "$T/cfjl.conf" >> "$T/sealerd.log" 2>&1 &
SEALERD_PID=$!
t_wait_path "$RUN/sealer.sock" 15 || { tail -n 20 "$T/sealerd.log"; exit 1; }

wait_signed()
{
	n=150
	while ! grep -q '<Signature' "$J/$1.xml" 2>/dev/null && [ $n -gt 0 ]; do
		sleep 0.1; n=$((n - 1))
	done
	grep -q '<Signature' "$J/$1.xml"
}

ad_start || exit 2
for i in 1 2 3; do
	ad_send -t 20 -n 5 -c >/dev/null ||
	    { echo "records $i not acknowledged"; tail "$T/auditd.log"; exit 1; }
	t_wait_path "$J/0000000$i.xml" 15 ||
	    { echo "0000000$i.xml not written"; tail "$T/auditd.log"; exit 1; }
	wait_signed "0000000$i" ||
	    { echo "0000000$i not sealed"; tail "$T/sealerd.log"; exit 1; }
done
ad_send -t 20 -n 2 >/dev/null
ad_stop
sealerd_ctl_stop
TRUST=$T/pki/trust.pem

run() { out=$("$V" journal "$@" 2>&1); rc=$?; }

run -t "$TRUST" "$J"
t_eq "untouched journal verifies" "$rc" 0
t_match "each sealed file" "$out" "00000003.log: [0-9]+ records .*, chained, sealed"
t_match "the open file is named" "$out" "00000004.log is open"
t_match "verdict" "$out" "^VERIFIED"

run -j -t "$TRUST" "$J"
t_match "JSON" "$out" '^\{"result":"verified","exit":0'

# copy NAME: a copy of the journal to change, in $W
copy() { rm -rf "$T/w/$1"; mkdir -p "$T/w"; cp -r "$J" "$T/w/$1"; W=$T/w/$1; }
refused()
{
	run -t "$TRUST" "$W"
	t_eq "$1: exit 1" "$rc" 1
	t_match "$1: message" "$out" "$2"
}

copy edit
sed -i '3s/"outcome":"ok"/"outcome":"no"/' "$W/00000002.log"
refused "an edited record" "00000002.xml: SHA256 does not match 00000002.log: the file was changed"
t_match "an edited record: the signature too" "$out" "00000002.log: the CMS signature does not verify"
t_match "an edited record: the next link too" "$out" "00000003.log: the SHA-256 it records for 00000002.log does not match that file"

copy drop
rm "$W/00000002.log" "$W/00000002.xml"
refused "a dropped file" "00000002.log is missing"

copy dropline
sed -i '3d' "$W/00000001.log"
refused "a dropped record" "00000001.log line 3: sequence [0-9]+ follows [0-9]+"

copy meta
sed -i 's|<Records>\([0-9]*\)</Records>|<Records>99</Records>|' "$W/00000001.xml"
refused "edited metadata" "00000001.xml: Records 99, but 00000001.log has"
t_match "edited metadata: the chain too" "$out" "00000002.log: the SHA-256 it records for the previous metadata does not match it"

copy nosig
sed -i '/^  <Signature/d' "$W/00000003.xml"
refused "a seal removed from the last closed file" "00000003.xml has no seal and no later sealed file covers it"

copy othersig
s1=$(sed -n 's|^  <Signature Algorithm="CMS">\(.*\)</Signature>$|\1|p' "$W/00000001.xml")
sed -i "s|^  <Signature Algorithm=\"CMS\">.*</Signature>\$|  <Signature Algorithm=\"CMS\">$s1</Signature>|" "$W/00000002.xml"
refused "a seal taken from another file" "00000002.log: the CMS signature does not verify"

copy swap
mv "$W/00000001.log" "$W/x.log"; mv "$W/00000002.log" "$W/00000001.log"; mv "$W/x.log" "$W/00000002.log"
mv "$W/00000001.xml" "$W/x.xml"; mv "$W/00000002.xml" "$W/00000001.xml"; mv "$W/x.xml" "$W/00000002.xml"
refused "two files swapped" "00000001.log: names \"00000001.log\" as the previous file, not \"\""

copy unclosed
rm "$W/00000002.xml"
refused "metadata removed" "00000002.log is closed but 00000002.xml is missing"

copy torn
printf '{"seq":' >> "$W/00000004.log"
refused "a torn record" "00000004.log: ends with 7 bytes that are not a whole record"

# fixchain N: the open file N+1 (unsigned) made to chain to files N again
fixchain()
{
	n=$(printf '%08d' "$1"); m=$(printf '%08d' $(($1 + 1)))
	sha=$(sha256sum < "$W/$n.log" | cut -d' ' -f1)
	meta=$(grep -v '^  <Signature Algorithm="CMS">' "$W/$n.xml" |
	    sha256sum | cut -d' ' -f1)
	sed -i "1s/\"prev_sha256\":\"[0-9a-fA-F]*\"/\"prev_sha256\":\"$sha\"/;
	    1s/\"prev_meta_sha256\":\"[0-9a-fA-F]*\"/\"prev_meta_sha256\":\"$meta\"/" \
	    "$W/$m.log"
}
# forge NAME CERT KEY [MD]: a record of the newest sealed file edited, its
# metadata updated and signed again with openssl cms by CERT
forge()
{
	copy "$1"
	sed -i '3s/"outcome":"ok"/"outcome":"no"/' "$W/00000003.log"
	sha=$(sha256sum < "$W/00000003.log" | cut -d' ' -f1)
	sed -i "s|<SHA256>[^<]*</SHA256>|<SHA256>$sha</SHA256>|" "$W/00000003.xml"
	openssl cms -sign -binary -nosmimecap -md "${4:-sha256}" \
	    -in "$W/00000003.log" -signer "$2" -inkey "$3" -outform DER \
	    -out "$T/$1.der" 2>/dev/null || exit 2
	b=$(openssl base64 -A -in "$T/$1.der")
	sed -i "s|^  <Signature Algorithm=\"CMS\">.*</Signature>\$|  <Signature Algorithm=\"CMS\">$b</Signature>|" \
	    "$W/00000003.xml"
	fixchain 3
}

forge docsign "$P/seal2.pem" "$P/seal2.key"
run -t "$TRUST" "$W"
t_eq "re-signed by a seal certificate of the authority: verifies" "$rc" 0

forge depositor "$P/depositor.pem" "$P/depositor.key"
refused "re-signed by a depositor's certificate" \
    "00000003.log: the signer .*CN=capteur-1.* may not seal: its extended key usage is not documentSigning \\(1.3.6.1.5.5.7.3.36\\) alone"
forge reader "$P/impostor.pem" "$P/impostor.key"
refused "re-signed by a reader's certificate" \
    "00000003.log: the signer .*CN=agent-anj.* may not seal: its extended key usage is not documentSigning"
forge server "$P/server.pem" "$P/server.key"
refused "re-signed by the TLS server's certificate" \
    "00000003.log: the signer .*CN=localhost.* may not seal: its extended key usage is not documentSigning"
forge sha1 "$P/seal2.pem" "$P/seal2.key" sha1
refused "signed with SHA-1" \
    "00000003.log: the signature uses the digest SHA1 \\(only SHA-256 or stronger is accepted\\)"

# the Closed time of the newest sealed file: no signature covers it
copy closed
c=$(sed -n 's|.*<Closed>\([^<]*\)</Closed>.*|\1|p' "$W/00000003.xml")
c2=$(/usr/bin/python3 -c 'import datetime,sys
d = datetime.datetime.strptime(sys.argv[1], "%Y-%m-%dT%H:%M:%S.%fZ")
print((d + datetime.timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z")' "$c")
sed -i "s|<Closed>[^<]*</Closed>|<Closed>$c2</Closed>|" "$W/00000003.xml"
fixchain 3
refused "the newest sealed file's Closed moved" \
    "00000003.xml: Closed $c2 is not within 5 s after the journal-close record of 00000003.log"

run -t "$T/pki/other-ca.pem" "$J"
t_eq "another trust anchor: exit 1" "$rc" 1
t_match "another trust anchor: message" "$out" "00000001.log: the CMS signature does not verify over the file with the trust anchors"

run -t "$TRUST" "$T/nonexistent"
t_eq "no such directory: exit 2" "$rc" 2
run -t "$T/none.pem" "$J"
t_eq "no trust file: exit 2" "$rc" 2
run "$J"
t_eq "usage: exit 2" "$rc" 2

t_done
