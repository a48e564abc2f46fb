#!/bin/sh
# Closed journal files are sealed by sealerd: the CMS signature lands in
# the metadata, openssl cms -verify accepts it over the exact bytes of
# the .log, and cfjlctl journal verify checks it.  While sealerd is away
# the closed files wait, across an auditd restart, and are sealed once
# it is back.
. "$(dirname "$0")/../lib/common.sh"
t_unprivileged "$@"
. "$(dirname "$0")/auditd.sh"
t_tmpdir
[ -x "$TOP/sealerd/sealerd" ] || t_skip "sealerd is not built"
. "$TOP/regress/sealerd/setup.sh"
sealer_need
sealer_setup > "$T/setup.log" 2>&1 || { cat "$T/setup.log"; exit 1; }
ad_setup_append || exit 2

sealerd_start()
{
	rm -f "$RUN/sealer.sock"
	"$SEALERD" -d -v -f "$T/cfjl.conf" >> "$T/sealerd.log" 2>&1 &
	SEALERD_PID=$!
	t_wait_path "$RUN/sealer.sock" 15 || { tail -n 20 "$T/sealerd.log"; return 1; }
}
sealerd_stop()
{
	[ -n "${SEALERD_PID:-}" ] || return 0
	kill "$SEALERD_PID" 2>/dev/null; wait "$SEALERD_PID" 2>/dev/null
	SEALERD_PID=""
}
t_cleanup_add sealerd_stop

# wait_signed N: up to 15 s for NNNNNNNN.xml to carry its signature.
wait_signed()
{
	n=150
	while ! grep -q '<Signature' "$J/$1.xml" 2>/dev/null && [ $n -gt 0 ]; do
		sleep 0.1; n=$((n - 1))
	done
	grep -q '<Signature' "$J/$1.xml"
}

# cms_ok N: openssl's verdict on NNNNNNNN.log with its signature.
cms_ok()
{
	sed -n 's|^  <Signature Algorithm="CMS">\(.*\)</Signature>$|\1|p' "$J/$1.xml" |
	    openssl base64 -d -A > "$T/$1.der" &&
	openssl cms -verify -purpose any -binary -inform DER -in "$T/$1.der" \
	    -content "${2:-$J/$1.log}" -CAfile "$T/pki/ca.pem" -out /dev/null 2>"$T/cms.err"
}

# sealerd away: closed files wait.
ad_start || exit 2
t_match "records, then a close" "$(ad_send -n 5 -c)" "^acked 5 "
t_ok "00000001.xml written" t_wait_path "$J/00000001.xml" 5
t_not "not signed while sealerd is away" grep -q '<Signature' "$J/00000001.xml"
t_match "status: one waiting" "$(ad_ctl status 2>/dev/null)" "waiting for a seal 1"

# auditd restarts: the pending file is still pending, then sealerd comes.
ad_stop
ad_start || exit 2
t_match "another file closed" "$(ad_send -n 5 -c)" "^acked 5 "
t_ok "00000002.xml written" t_wait_path "$J/00000002.xml" 5
sealerd_start || exit 2
t_ok "00000001 signed once sealerd is there" wait_signed 00000001
t_ok "00000002 signed" wait_signed 00000002
t_ok "openssl cms -verify accepts 00000001" cms_ok 00000001
t_ok "openssl cms -verify accepts 00000002" cms_ok 00000002
t_ok "the seal is journaled" grep -q '"event":"journal-sealed","subject":"00000001.log"' "$J"/*.log

# With sealerd up, a close is sealed at once.
t_match "a third close" "$(ad_ctl journal close)" "closed 00000003.log"
t_ok "00000003 signed" wait_signed 00000003
t_ok "openssl cms -verify accepts 00000003" cms_ok 00000003
out=$(ad_ctl journal verify); rc=$?
t_eq "journal verify with seals" "$rc" 0
t_match "sealed files reported" "$out" "00000001.log
    ok, sealed"
t_match "list shows sealed" "$(ad_ctl journal list)" "00000003.log +sealed"

# The signature does not survive a changed byte; neither does verify.
cp "$J/00000002.log" "$T/changed.log"
printf 'x' >> "$T/changed.log"
t_not "openssl refuses a changed file" cms_ok 00000002 "$T/changed.log"
cp "$J/00000002.log" "$T/saved.log"
sed -i '0,/record 1 of 5/s//record 7 of 5/' "$J/00000002.log"
out=$(ad_ctl journal verify 2>&1); rc=$?
t_eq "journal verify fails on an edited sealed file" "$rc" 1
t_match "the signature is named" "$out" "CMS signature does not match 00000002.log"
cat "$T/saved.log" > "$J/00000002.log"

# A signature over the right bytes by a certificate that is not a sealing
# one (a TLS client of the same authority), or made with SHA-1, is refused.
P=$T/pki
openssl req -new -newkey rsa:2048 -nodes -keyout "$P/seal2.key" \
    -subj "/C=FR/O=Operateur 48/CN=CFJL seal 2" -out "$P/seal2.csr" 2>/dev/null
pki_sign_csr "$P" "$P/seal2.csr" "$P/seal2.pem" seal || exit 2
cp "$J/00000003.xml" "$T/saved.xml"
# resign CERT KEY MD: 00000003.log signed again, into 00000003.xml
resign()
{
	openssl cms -sign -binary -nosmimecap -md "$3" -in "$J/00000003.log" \
	    -signer "$1" -inkey "$2" -outform DER -out "$T/re.der" 2>/dev/null ||
	    exit 2
	b=$(openssl base64 -A -in "$T/re.der")
	sed "s|^  <Signature Algorithm=\"CMS\">.*</Signature>\$|  <Signature Algorithm=\"CMS\">$b</Signature>|" \
	    "$T/saved.xml" > "$J/00000003.xml"
}
resign "$P/seal2.pem" "$P/seal2.key" sha256
out=$(ad_ctl journal verify 2>&1); rc=$?
t_eq "journal verify: another sealing certificate, SHA-256" "$rc" 0
resign "$P/depositor.pem" "$P/depositor.key" sha256
out=$(ad_ctl journal verify 2>&1); rc=$?
t_eq "journal verify fails on a file signed by a TLS client" "$rc" 1
t_match "the signer is named" "$out" "^    the signer's certificate is not a sealing one \\(critical extended key usage documentSigning alone\\)"
resign "$P/seal2.pem" "$P/seal2.key" sha1
out=$(ad_ctl journal verify 2>&1); rc=$?
t_eq "journal verify fails on a file signed with SHA-1" "$rc" 1
t_match "the digest is named" "$out" "the signature uses the digest SHA1 \\(SHA-256 or stronger only\\)"
cat "$T/saved.xml" > "$J/00000003.xml"
out=$(ad_ctl journal verify 2>&1); rc=$?
t_eq "journal verify again once restored" "$rc" 0
t_done
