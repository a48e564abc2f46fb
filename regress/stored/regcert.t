#!/bin/sh
# stored checks the regulator's encryption certificate at start: within
# its validity, with the key usage keyEncipherment, issued by the
# regulator's CA and not revoked by it.  Each refusal stops stored
# before it reaches the database, with its reason.
. "$(dirname "$0")/../lib/common.sh"
t_unprivileged "$@"
. "$TOP/regress/lib/pki.sh"
STORED=$TOP/stored/stored
[ -x "$STORED" ] || t_skip "stored not built (make -C stored)"
t_need openssl
t_tmpdir
P=$T/pki
pki_make "$P" || exit 2
mkdir -p "$T/run" && chmod 0700 "$T/run"

# start CERT [CA-LINE]: stored with that certificate; its output.
start()
{
	cat > "$T/cfjl.conf" <<CONF
operator 48
vault 1
runtime-dir "$T/run"
${2-ca regulator "$P/regulator-ca.pem" crl "$P/regulator-crl.pem"}
stored {
	database "host=$T/nowhere port=1 connect_timeout=1"
	regulator certificate "$1"
}
CONF
	out=$(timeout 20 "$STORED" -d -v -v -f "$T/cfjl.conf" 2>&1); rc=$?
}
# issue NAME PROFILE START END: of the regulator's CA, dated as given.
issue()
{
	openssl req -new -newkey rsa:2048 -nodes -keyout "$P/$1.key" \
	    -subj "/C=FR/O=ANJ/CN=$1" -out "$P/$1.csr" 2>/dev/null || exit 2
	_pki_ext "$2" > "$P/$1.ext"
	mkdir -p "$P/new"
	[ -f "$P/serial" ] || echo 1000 > "$P/serial"
	cat > "$P/issue.cnf" <<CONF
[ca]
default_ca = t
[t]
database = $P/regulator-ca.db/index.txt
new_certs_dir = $P/new
serial = $P/serial
default_md = sha256
policy = p
unique_subject = no
[p]
commonName = supplied
CONF
	openssl ca -batch -config "$P/issue.cnf" -cert "$P/regulator-ca.pem" \
	    -keyfile "$P/regulator-ca.key" -in "$P/$1.csr" -out "$P/$1.pem" \
	    -startdate "$3" -enddate "$4" -extfile "$P/$1.ext" -notext \
	    2>"$P/$1.err" || { cat "$P/$1.err"; exit 2; }
}

# The good one goes past the check (and stops at the database).
start "$P/regulator.pem"
t_match "a sound certificate: accepted" "$out" \
    "regulator certificate $P/regulator.pem: valid, keyEncipherment, issued by the regulator's CA"
t_match "a sound certificate: stored goes on to the database" "$out" \
    "cannot connect to database"

issue expired regulator 20200101000000Z 20210101000000Z
start "$P/expired.pem"
t_ok "expired: refused" [ "$rc" -ne 0 ]
t_match "expired: explained" "$out" \
    "regulator certificate $P/expired.pem: expired on 2021-01-01T00:00:00Z"

issue early regulator 20990101000000Z 20991231000000Z
start "$P/early.pem"
t_ok "not yet valid: refused" [ "$rc" -ne 0 ]
t_match "not yet valid: explained" "$out" \
    "regulator certificate $P/early.pem: not valid before 2099-01-01T00:00:00Z"

issue signer client "$(date -u +%Y%m%d000000Z)" 20990101000000Z
start "$P/signer.pem"
t_ok "no keyEncipherment: refused" [ "$rc" -ne 0 ]
t_match "no keyEncipherment: explained" "$out" \
    "regulator certificate $P/signer.pem: its key usage does not allow keyEncipherment"

# The operator's CA issuing an encryption certificate "for the
# regulator": refused, whatever it says.
_pki_issue "$P" fake "CN=ANJ Chiffrement,O=ANJ,C=FR" regulator ca || exit 2
start "$P/fake.pem"
t_ok "issued by the operator's CA: refused" [ "$rc" -ne 0 ]
t_match "issued by the operator's CA: explained" "$out" \
    "regulator certificate $P/fake.pem: not accepted by the regulator's CA \\($P/regulator-ca.pem\\): unable to get local issuer certificate"

# A self-signed one, as a careless set-up would make.
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$P/self.key" -out "$P/self.pem" \
    -subj "/CN=ANJ Chiffrement/O=ANJ/C=FR" -days 2 \
    -addext "keyUsage=critical,keyEncipherment" 2>/dev/null || exit 2
start "$P/self.pem"
t_match "self-signed: refused" "$out" \
    "regulator certificate $P/self.pem: not accepted by the regulator's CA .*self-signed certificate"

start "$P/regulator.pem" ""
t_ok "no regulator's CA configured: refused" [ "$rc" -ne 0 ]
t_match "no regulator's CA configured: explained" "$out" \
    "stored needs the regulator's CA \\(\"ca regulator FILE\"\\) to check the regulator certificate"

# Revoked by the regulator's CA: refused.
pki_revoke "$P" regulator regulator || exit 2
start "$P/regulator.pem"
t_ok "revoked: refused" [ "$rc" -ne 0 ]
t_match "revoked: explained" "$out" \
    "regulator certificate $P/regulator.pem: not accepted by the regulator's CA .*certificate revoked"

t_done
