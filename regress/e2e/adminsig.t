#!/bin/sh
# Administrators prove themselves by their key, not by their Unix
# account: a role change signed by the functional administrator (of the
# regulator's CA) is done; unsigned, signed by a certificate of another
# CA, by the administrator of the other kind, by a revoked
# administrator, replayed, stale, or signed for another daemon, command
# or argument, it is refused with a sentence that says why.  The caller
# here holds every group privilege (the daemons' own uid, as root
# would).  A key in a PKCS#11 token (SoftHSM) signs as well as a
# PKCS#12 file.  Every command, done or refused, is journaled with the
# signer's subject and certificate fingerprint.
. "$(dirname "$0")/../lib/common.sh"
t_unprivileged "$@"
t_need curl openssl psql pkcs11-tool softhsm2-util
t_tmpdir
REVOKED_DN="CN=admin-revoque,O=ANJ,C=FR"
SUITE_ADMINS="admin functional \"$REVOKED_DN\""
. "$TOP/regress/lib/suite.sh"
suite_setup || exit 2
suite_start || exit 2

CTL="$TOP/cfjlctl/cfjlctl"
RAW="$TOP/regress/cfjlctl/ctlraw"
SIGN="$TOP/regress/cfjlctl/ctlsign"
[ -x "$SIGN" ] || t_skip "regress/cfjlctl/ctlsign is not built (make -C regress)"
ctl() { "$CTL" -s "$SUITE/run" "$@"; }
FUNC_FP=$(pki_fingerprint "$P/func-admin.pem")
TECH_FP=$(pki_fingerprint "$P/tech-admin.pem")

# Certificates that must not do: the functional administrator's subject
# issued by the operator's CA and by a stranger's, and a functional
# administrator about to be revoked.
_pki_issue "$P" func-impostor "$PKI_FUNC_ADMIN_DN" client || exit 2
_pki_issue "$P" func-stranger "$PKI_FUNC_ADMIN_DN" client other-ca || exit 2
_pki_issue "$P" func-revoked "$REVOKED_DN" client regulator-ca || exit 2
pki_p12 "$P" func-impostor && pki_p12 "$P" func-stranger other-ca &&
    pki_p12 "$P" func-revoked regulator-ca || exit 2
IMPOSTOR_FP=$(pki_fingerprint "$P/func-impostor.pem")

# journaled OUTCOME TEXT...: an admin record with that outcome and each
# text in it, within 5 s (a refusal is not waited for).
journaled()
{
	_o=$1; shift
	_n=50
	while [ $_n -gt 0 ]; do
		cat "$SUITE"/journal/*.log 2>/dev/null | grep '"event":"admin"' |
		    grep -F "\"outcome\":\"$_o\"" > "$T/records"
		for _t; do
			grep -F -- "$_t" "$T/records" > "$T/records.1"
			mv "$T/records.1" "$T/records"
		done
		[ -s "$T/records" ] && return 0
		sleep 0.1; _n=$((_n - 1))
	done
	return 1
}
roles() { ctl role list 2>&1; }

# Signed by the functional administrator (its file named by the
# environment): done, and journaled with its subject and fingerprint.
out=$(ctl role add depositor "$PKI_NOBODY_DN" 2>&1); rc=$?
t_eq "signed role add: exit 0" "$rc" 0
t_match "signed role add: done" "$out" "added depositor: $PKI_NOBODY_DN"
t_ok "signed role add: journaled with its signer and fingerprint" journaled allowed \
    "role-add depositor $PKI_NOBODY_DN on stored (pid" \
    "signed by $PKI_FUNC_ADMIN_DN (certificate sha256 $FUNC_FP)"

t_eq "signed role add: the database keeps who asked and who signed" \
    "$(suite_psql "SELECT by FROM roles WHERE subject = '$PKI_NOBODY_DN' ORDER BY seq LIMIT 1")" \
    "uid $(id -u) ($(id -un)), signed by $PKI_FUNC_ADMIN_DN (certificate sha256 $FUNC_FP)"

# -K and -p: the passphrase from a file only its owner reads.
printf '%s\n' "$PKI_P12_PASS" > "$T/pass"
chmod 0600 "$T/pass"
out=$(env -u CFJL_P12_PASS "$CTL" -s "$SUITE/run" -K "$P/func-admin.p12" -p "$T/pass" \
    role remove "$PKI_NOBODY_DN" 2>&1); rc=$?
t_eq "-K -p: role remove done" "$rc" 0
chmod 0644 "$T/pass"
out=$(env -u CFJL_P12_PASS "$CTL" -s "$SUITE/run" -K "$P/func-admin.p12" -p "$T/pass" \
    role add reader "$PKI_AGENT_DN" 2>&1); rc=$?
t_eq "-p: a passphrase file others can read: refused before asking" "$rc" 2
t_match "-p: says why" "$out" "must be readable by its owner only"
out=$(env CFJL_P12_PASS=wrong "$CTL" -s "$SUITE/run" -K "$P/func-admin.p12" \
    role add reader "$PKI_AGENT_DN" 2>&1); rc=$?
t_eq "wrong passphrase: exit 2" "$rc" 2
t_match "wrong passphrase: says so" "$out" "^cfjlctl: $P/func-admin.p12: cannot open it \\(wrong passphrase"

# Unsigned: every group privilege is not enough.
out=$(env -u CFJL_FUNC_ADMIN_P12 "$CTL" -s "$SUITE/run" role add depositor "$PKI_NOBODY_DN" 2>&1); rc=$?
t_eq "unsigned role add: refused, exit 1" "$rc" 1
t_eq "unsigned role add: the reason" "$out" \
    "cfjlctl: stored: not signed: role-add changes the vault and needs a functional administrator's signature (cfjlctl -K or -P)"
t_ok "unsigned role add: not done" sh -c "! '$CTL' -s '$SUITE/run' role list | grep -qF '$PKI_NOBODY_DN'"
t_ok "unsigned role add: journaled" journaled refused \
    "role-add on stored (pid"
out=$(env -u CFJL_TECH_ADMIN_P12 "$CTL" -s "$SUITE/run" journal close 2>&1); rc=$?
t_eq "unsigned journal close: refused" "$rc" 1
t_eq "unsigned journal close: the reason" "$out" \
    "cfjlctl: auditd: not signed: journal-close changes the vault and needs a technical administrator's signature (cfjlctl -K or -P)"
out=$(env -u CFJL_TECH_ADMIN_P12 "$CTL" -s "$SUITE/run" status 2>&1); rc=$?
t_eq "status needs no signature" "$rc" 0

# Another CA's certificate with the administrator's very subject.
out=$(ctl -K "$P/func-impostor.p12" role add depositor "$PKI_NOBODY_DN" 2>&1); rc=$?
t_eq "operator's CA, functional command: refused" "$rc" 1
t_eq "operator's CA, functional command: the reason" "$out" \
    "cfjlctl: stored: $PKI_FUNC_ADMIN_DN's certificate is issued by the operator's CA: a role-add command needs a functional administrator, of the regulator's CA, signed by $PKI_FUNC_ADMIN_DN (certificate sha256 $IMPOSTOR_FP)"
t_ok "operator's CA: journaled with that certificate" journaled refused \
    "certificate sha256 $IMPOSTOR_FP"
out=$(ctl -K "$P/func-stranger.p12" role add depositor "$PKI_NOBODY_DN" 2>&1); rc=$?
t_eq "a stranger CA: refused" "$rc" 1
t_match "a stranger CA: the reason" "$out" \
    "^cfjlctl: stored: $PKI_FUNC_ADMIN_DN's certificate does not chain to the regulator's CA: (unable to get local issuer certificate|self-signed certificate in certificate chain), signed by"

# Each kind for its own commands.
out=$(ctl -K "$P/func-admin.p12" lot seal-now 2>&1); rc=$?
t_eq "functional key, technical command: refused" "$rc" 1
t_eq "functional key, technical command: the reason" "$out" \
    "cfjlctl: stored: $PKI_FUNC_ADMIN_DN's certificate is issued by the regulator's CA: a lot-seal-now command needs a technical administrator, of the operator's CA, signed by $PKI_FUNC_ADMIN_DN (certificate sha256 $FUNC_FP)"
out=$(ctl -K "$P/tech-admin.p12" role add depositor "$PKI_NOBODY_DN" 2>&1); rc=$?
t_eq "technical key, functional command: refused" "$rc" 1
t_eq "technical key, functional command: the reason" "$out" \
    "cfjlctl: stored: $PKI_TECH_ADMIN_DN's certificate is issued by the operator's CA: a role-add command needs a functional administrator, of the regulator's CA, signed by $PKI_TECH_ADMIN_DN (certificate sha256 $TECH_FP)"
t_ok "technical key refused: journaled with its signer" journaled refused \
    "signed by $PKI_TECH_ADMIN_DN (certificate sha256 $TECH_FP)"
out=$(ctl lot seal-now 2>&1); rc=$?
t_eq "technical key, technical command: done" "$rc" 0

# One signed blob, sent twice: the second is a replay.
"$SIGN" -K "$P/func-admin.p12" stored role-add reader "$PKI_AGENT_DN" > "$T/sig" || exit 2
out=$("$RAW" -S "$T/sig" "$SUITE/run" stored role-add reader "$PKI_AGENT_DN")
t_match "signed blob, first time: done" "$out" "^ok 1: added reader"
out=$("$RAW" -S "$T/sig" "$SUITE/run" stored role-add reader "$PKI_AGENT_DN")
t_match "signed blob, again: refused as a replay" "$out" \
    "^ok 0: replayed: this signed command \\(nonce [0-9a-f]{32}\\) was already received, signed by $PKI_FUNC_ADMIN_DN"
t_ok "replay journaled" journaled refused "replayed: this signed command"

# Signed for something else than what is asked.
"$SIGN" -K "$P/func-admin.p12" sealerd role-remove "$PKI_AGENT_DN" > "$T/sig" || exit 2
out=$("$RAW" -S "$T/sig" "$SUITE/run" stored role-remove "$PKI_AGENT_DN")
t_match "signed for another daemon: refused" "$out" "^ok 0: signed for sealerd, not for stored, signed by"
"$SIGN" -K "$P/func-admin.p12" stored role-add reader "$PKI_AGENT_DN" > "$T/sig" || exit 2
out=$("$RAW" -S "$T/sig" "$SUITE/run" stored role-remove "$PKI_AGENT_DN")
t_match "signed for another command: refused" "$out" "^ok 0: signed for the command role-add, not role-remove"
"$SIGN" -K "$P/func-admin.p12" stored role-add depositor "$PKI_NOBODY_DN" > "$T/sig" || exit 2
out=$("$RAW" -S "$T/sig" "$SUITE/run" stored role-add depositor "$PKI_REVOKED_DN")
t_match "signed for another argument: refused" "$out" \
    "^ok 0: signed for other arguments: \"depositor\" \"$PKI_NOBODY_DN\""
t_ok "another argument: not done" sh -c "! '$CTL' -s '$SUITE/run' role list | grep -qF '$PKI_REVOKED_DN'"
t_ok "another daemon journaled" journaled refused "signed for sealerd, not for stored"

# Out of the time window, either side.
"$SIGN" -t -300 -K "$P/func-admin.p12" stored role-remove "$PKI_AGENT_DN" > "$T/sig" || exit 2
out=$("$RAW" -S "$T/sig" "$SUITE/run" stored role-remove "$PKI_AGENT_DN")
t_match "signed 300 s ago: refused" "$out" \
    "^ok 0: signed 30[0-9] seconds behind stored's clock: at most 120 seconds either side"
"$SIGN" -t 300 -K "$P/func-admin.p12" stored role-remove "$PKI_AGENT_DN" > "$T/sig" || exit 2
out=$("$RAW" -S "$T/sig" "$SUITE/run" stored role-remove "$PKI_AGENT_DN")
t_match "signed 300 s ahead: refused" "$out" "^ok 0: signed (29[0-9]|30[0-9]) seconds ahead of stored's clock"
t_ok "stale signature journaled" journaled refused "seconds behind stored's clock"
t_match "the reader role is still there" "$(roles)" "reader +$PKI_AGENT_DN"

# A revoked administrator: refused once the CRL is read again (reload).
out=$(ctl -K "$P/func-revoked.p12" role remove "$PKI_AGENT_DN" 2>&1); rc=$?
t_eq "the second functional administrator may, before revocation" "$rc" 0
pki_revoke "$P" func-revoked regulator || exit 2
# stored and sealerd answer that a reload needs a restart (exit 1), but
# every daemon reads the administrators' CRLs again.
ctl reload > "$T/reload.out" 2>&1
t_match "reload: signed by the technical administrator, done by auditd" "$(cat "$T/reload.out")" "^auditd: auditd reloaded"
_n=50
until grep -qF '"event":"admin-crl-reload","subject":"stored","outcome":"ok","details":"administrators'"'"' CRLs read again: 2"' \
    "$SUITE"/journal/*.log || [ $_n -eq 0 ]; do sleep 0.1; _n=$((_n - 1)); done
t_ok "reload: stored read the administrators' CRLs again" [ $_n -gt 0 ]
out=$(ctl -K "$P/func-revoked.p12" role add reader "$PKI_AGENT_DN" 2>&1); rc=$?
t_eq "revoked administrator: refused" "$rc" 1
t_match "revoked administrator: the reason" "$out" \
    "^cfjlctl: stored: the certificate of $REVOKED_DN is revoked by the regulator's CA, signed by $REVOKED_DN"
t_ok "revocation journaled" journaled refused "the certificate of $REVOKED_DN is revoked"

# A key in a PKCS#11 token: the technical administrator's, in SoftHSM.
hsm_add_token cfjl-admin 2468 || exit 2
printf '2468\n' > "$T/pin"
chmod 0600 "$T/pin"
softhsm2-util --import "$P/tech-admin.key" --token cfjl-admin --label tech-admin \
    --id a1 --pin 2468 > "$T/import.log" 2>&1 || { cat "$T/import.log"; exit 2; }
openssl x509 -in "$P/tech-admin.pem" -outform DER -out "$T/tech-admin.der"
pkcs11-tool --module "$HSM_MODULE" --token-label cfjl-admin --login --pin 2468 \
    --write-object "$T/tech-admin.der" --type cert --id a1 --label tech-admin \
    >> "$T/import.log" 2>&1 || { cat "$T/import.log"; exit 2; }
URI="pkcs11:token=cfjl-admin;object=tech-admin?module-path=$HSM_MODULE&pin-source=file:$T/pin"
out=$(env -u CFJL_TECH_ADMIN_P12 "$CTL" -s "$SUITE/run" -P "$URI" journal close 2>&1); rc=$?
t_eq "PKCS#11 key: journal close done" "$rc" 0
t_match "PKCS#11 key: closed" "$out" "^closed 0000000[0-9].log"
t_ok "PKCS#11 key: journaled with its signer" journaled allowed \
    "journal-close on auditd (pid" \
    "signed by $PKI_TECH_ADMIN_DN (certificate sha256 $TECH_FP)"
out=$("$CTL" -s "$SUITE/run" -P "pkcs11:token=cfjl-admin;object=tech-admin?module-path=$HSM_MODULE&pin-value=2468" \
    lot seal-now 2>&1); rc=$?
t_eq "PKCS#11 URI with the PIN in it: refused, exit 2" "$rc" 2
t_match "PKCS#11 URI with the PIN in it: the reason" "$out" "pin-value refused"
out=$("$CTL" -s "$SUITE/run" -P "pkcs11:token=cfjl-admin;object=nothing?module-path=$HSM_MODULE&pin-source=file:$T/pin" \
    lot seal-now 2>&1); rc=$?
t_match "PKCS#11: no such key" "$out" "no such private key in token \"cfjl-admin\""

# Every refusal above is in the journal, each with its signer.
n=$(cat "$SUITE"/journal/*.log | grep '"event":"admin"' | grep '"outcome":"refused"' |
    grep -c 'signed by CN=')
t_ok "refusals journaled with a signer: at least 11 (got $n)" [ "$n" -ge 11 ]
t_done
