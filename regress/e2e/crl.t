#!/bin/sh
# Revocation without restart: a depositor revoked after frontd started
# is refused on its next connection once the CRLs are read again, on
# "cfjlctl reload" and by the "crl refresh" timer; a CRL that does not
# check is refused whole and the lists in force stay.
. "$(dirname "$0")/../lib/common.sh"
t_unprivileged "$@"
t_need curl openssl
t_tmpdir
. "$TOP/regress/lib/suite.sh"
suite_setup || exit 2
suite_start || exit 2

CTL="$TOP/cfjlctl/cfjlctl"
ctl() { "$CTL" -s "$SUITE/run" "$@"; }
# code NAME: GET /v1/status on a new connection; 000 if TLS refused it.
code() {
	_suite_curl "$1" -o /dev/null -w '%{http_code}' "$CFJL_URL/v1/status" \
	    2>"$T/curl.err"
}
# wait_code NAME CODE: up to 5 s for NAME to get CODE.
wait_code() {
	for _ in $(seq 1 50); do
		c=$(code "$1")
		[ "$c" = "$2" ] && break
		sleep 0.1
	done
	echo "$c"
}

out=$(ctl role add depositor "$PKI_NOBODY_DN" 2>&1)
t_eq "nobody made a depositor" "$(code nobody)" 200

# Revoked: nothing changes until the CRLs are read again.
pki_revoke "$P" nobody || exit 2
t_match "nobody is in the new CRL" "$(openssl verify -crl_check -CAfile "$P/ca.pem" \
    -CRLfile "$P/crl.pem" "$P/nobody.pem" 2>&1)" "certificate revoked"
t_eq "before the reload: still served" "$(code nobody)" 200
out=$(ctl reload 2>&1)
t_match "reload: frontd read the CRLs" "$out" \
    "frontd: client CAs: operator and regulator, 2 CRLs"
t_eq "after the reload: nobody refused on a new connection" "$(code nobody)" 000
_suite_curl nobody --tls-max 1.2 -o /dev/null "$CFJL_URL/v1/status" 2>"$T/curl.err"
t_match "after the reload, TLS 1.2: the revoked alert" "$(cat "$T/curl.err")" \
    "certificate revoked"
t_match "frontd journals the refusal" "$(cat "$SUITE/log/frontd.log")" \
    "journal: tls-refused 127.0.0.1 refused handshake failed"
t_eq "the depositor still served" "$(code depositor)" 200
t_eq "the reader still served" "$(code reader)" 200
t_ok "the reload journaled" grep -qF \
    '"event":"crl-reload","subject":"frontd","outcome":"ok","details":"client CAs: operator and regulator, 2 CRLs"' \
    "$SUITE"/journal/*.log

# A CRL of 300 entries: every daemon that reads it on reload (frontd
# for clients, stored and auditd for administrators) sorts its entries
# at the first lookup, inside its sandbox (glibc's qsort asks sysinfo).
n0=$(openssl crl -in "$P/crl.pem" -noout -text | grep -c 'Serial Number:')
i=1
while [ $i -le 300 ]; do
	printf 'R\t351231000000Z\t241201000000Z\t%04X\tunknown\t/CN=gone-%d\n' \
	    $((0x7000 + i)) $i
	i=$((i + 1))
done >> "$P/ca.db/index.txt"
_pki_crl "$P" ca crl || exit 2
t_eq "the long CRL: 300 entries more" "$(openssl crl -in "$P/crl.pem" -noout -text | grep -c 'Serial Number:')" "$((n0 + 300))"
out=$(ctl reload 2>&1)
t_match "the long CRL read" "$out" "frontd: client CAs: operator and regulator, 2 CRLs"
for _ in 1 2 3 4; do
	t_eq "the long CRL: the depositor served" "$(code depositor)" 200
	t_eq "the long CRL: the revoked one refused" "$(code nobody)" 000
done

# A CRL not signed by its CA: refused whole, the lists in force stay.
cp "$P/crl.pem" "$T/crl.good"
cp "$P/regulator-crl.pem" "$P/crl.pem"
out=$(ctl reload 2>&1)
t_match "a CRL of the other CA: refused" "$out" \
    "frontd: CRLs not reloaded: crl $P/crl.pem \\(crl.pem\\): not signed by this CA"
t_eq "still refused: the lists in force stay" "$(code nobody)" 000
t_eq "the depositor still served" "$(code depositor)" 200
echo "not a CRL" > "$P/crl.pem"
out=$(ctl reload 2>&1)
t_match "a file without a CRL: refused" "$out" \
    "frontd: CRLs not reloaded: crl $P/crl.pem: no CRL in it"
t_ok "the refusal journaled" grep -qF \
    '"event":"crl-reload","subject":"frontd","outcome":"error"' "$SUITE"/journal/*.log
cp "$T/crl.good" "$P/crl.pem"

# SIGHUP reads them too.
pki_revoke "$P" depositor || exit 2
t_eq "depositor revoked, not yet read: served" "$(code depositor)" 200
kill -HUP "$(suite_pid frontd)"
t_eq "after SIGHUP: the depositor refused" "$(wait_code depositor 000)" 000

# The timer: a reader revoked by the regulator's CA is refused within
# the refresh period, without anyone asking.
suite_stop frontd
sed -i 's/^crl refresh .*//; 1i crl refresh 1s' "$SUITE/cfjl.conf"
grep -q '^crl refresh 1s$' "$SUITE/cfjl.conf" ||
    echo 'crl refresh 1s' >> "$SUITE/cfjl.conf"
suite_start frontd || exit 2
t_eq "the reader served" "$(code reader)" 200
pki_revoke "$P" reader regulator || exit 2
t_eq "within the refresh period: the reader refused" "$(wait_code reader 000)" 000
t_eq "the impostor still without a role, not revoked" "$(code impostor)" 403

# A directory of CRLs (crl-dir) reads every file in it.
suite_stop frontd
mkdir -p "$P/crl.d"
cp "$P/crl.pem" "$P/crl.d/a.pem"
sed -i "s|^ca operator .*|ca operator \"$P/ca.pem\" crl-dir \"$P/crl.d\"|" "$SUITE/cfjl.conf"
suite_start frontd || exit 2
t_eq "crl-dir: the revoked one refused" "$(code nobody)" 000
t_eq "crl-dir: another served" "$(code impostor)" 403
pki_revoke "$P" impostor || exit 2
cp "$P/crl.pem" "$P/crl.d/b.pem"
out=$(ctl reload 2>&1)
t_match "crl-dir: both files read" "$out" "frontd: client CAs: operator and regulator, 3 CRLs"
t_eq "crl-dir: the newly revoked one refused" "$(code impostor)" 000

t_done
