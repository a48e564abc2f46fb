#!/bin/sh
# cfjlctl sends each command to the daemon that owns it: role and lot to
# stored, journal to auditd, status, reload and stop to every daemon
# present, and prints the answers for people or, with -j, as JSON.
. "$(dirname "$0")/../lib/common.sh"
t_unprivileged "$@"
t_tmpdir
CFJLCTL=$TOP/cfjlctl/cfjlctl
ECHO=$TOP/regress/cfjlctl/ctl-echo
[ -x "$CFJLCTL" ] || t_skip "cfjlctl is not built"
[ -x "$ECHO" ] || t_skip "regress/cfjlctl/ctl-echo is not built (make -C regress)"
mkdir "$T/run"
# The commands that change anything are signed by the administrators.
. "$TOP/regress/lib/pki.sh"
pki_admins "$T/pki" || { echo "administrators' PKI failed"; exit 2; }
pki_admin_env "$T/pki"
{ printf 'operator 48\nvault 1\nruntime-dir "%s"\n' "$T/run"; pki_admin_conf "$T/pki"; } > "$T/cfjl.conf"
PIDS=""
stop_all() { for p in $PIDS; do kill "$p" 2>/dev/null; done; }
t_cleanup_add stop_all
for d in stored auditd; do
	"$ECHO" -f "$T/cfjl.conf" "$T/run" "$d" > "$T/$d.log" 2>&1 &
	PIDS="$PIDS $!"
	t_wait_path "$T/run/$d.ctl" 5 || { echo "$d did not start"; exit 2; }
done
c() { "$CFJLCTL" -s "$T/run" "$@"; }

t_match "role add goes to stored" "$(c role add depositor 'CN=capteur-1,O=Operateur 48,C=FR')" \
    "^stored got role-add \[depositor\] \[CN=capteur-1,O=Operateur 48,C=FR\]"
t_match "role add reader" "$(c role add reader 'CN=agent')" "^stored got role-add \[reader\] \[CN=agent\]"
t_match "role remove goes to stored" "$(c role remove 'CN=agent')" "^stored got role-remove \[CN=agent\] \[\]"
t_match "role list goes to stored" "$(c role list)" "^stored got role-list"
t_match "lot seal-now goes to stored" "$(c lot seal-now)" "^stored got lot-seal-now"
t_match "journal close goes to auditd" "$(c journal close)" "^auditd got journal-close"
t_match "journal list goes to auditd" "$(c journal list)" "^auditd got journal-list"
t_match "journal verify goes to auditd" "$(c journal verify)" "^auditd got journal-verify"
t_match "-j: the daemon's JSON as it is" "$(c -j role list)" \
    '^\{"daemon":"stored","command":"role-list","arg1":"","arg2":""\}$'
t_match "the caller is named" "$(c role list)" "from uid $(id -u) \($(id -un)\)"
out=$(env -u CFJL_TECH_ADMIN_P12 "$CFJLCTL" -s "$T/run" lot seal-now 2>&1); rc=$?
t_eq "unsigned lot seal-now: refused, exit 1" "$rc" 1
t_eq "unsigned lot seal-now: the reason" "$out" \
    "cfjlctl: stored: not signed: lot-seal-now changes the vault and needs a technical administrator's signature (cfjlctl -K or -P)"
t_match "role list is never signed" "$(env -u CFJL_FUNC_ADMIN_P12 "$CFJLCTL" -s "$T/run" role list)" "^stored got role-list"

out=$(c status); rc=$?
t_eq "status with two of four daemons: exit 1" "$rc" 1
t_match "status: frontd not running" "$out" "frontd: not running"
t_match "status: stored answered" "$out" "stored got status"
t_match "status: auditd answered" "$out" "auditd got status"
t_match "status -j" "$(c -j status)" \
    '^\{"frontd":\{"ok":false,"error":"not running"\},"stored":\{"daemon":"stored","command":"status".*"sealerd":\{"ok":false,"error":"not running"\},"auditd":\{"daemon":"auditd"'
t_match "reload goes to each present" "$(c reload)" "stored: stored got reload.*
auditd: auditd got reload"

for bad in "role add admin CN=x" "role" "role add depositor" "journal" "journal rotate" "lot" "frobnicate" "status extra"; do
	# shellcheck disable=SC2086
	c $bad > /dev/null 2>&1
	t_eq "usage error: $bad" "$?" 2
done
out=$("$CFJLCTL" -s "$T/nowhere" journal list 2>&1); rc=$?
t_eq "no daemon: exit 2" "$rc" 2
t_match "no daemon: says so" "$out" "cannot reach auditd at $T/nowhere/auditd.ctl: not running"

t_match "stop goes to each present" "$(c stop)" "stored: stored got stop"
sleep 0.5
t_not "stored stopped" [ -e /proc/"$(echo $PIDS | cut -d' ' -f1)"/status ]
t_done
