#!/bin/sh
# Who may do what on a control socket: a caller outside both groups is
# refused with a sentence that says why, and the refusal is journaled; a
# member of the functional group may not run technical commands; members
# of the technical group, root, and (daemons run as an ordinary user)
# the daemon's own uid may, each with the technical administrator's
# signature: root without it is refused.  Too many connections from one
# uid are cut.
# Needs root, to run callers under other uids and groups.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../auditd/auditd.sh"
[ "$(id -u)" -eq 0 ] || t_skip "needs root to run callers under other uids and groups"
id nobody >/dev/null 2>&1 || t_skip "no user nobody"
RAW=$TOP/regress/cfjlctl/ctlraw
[ -x "$RAW" ] || t_skip "regress/cfjlctl/ctlraw is not built (make -C regress)"
for g in cfjltest-tech cfjltest-func; do
	getent group "$g" >/dev/null || groupadd --system "$g" || t_skip "cannot create group $g"
done
TECH=$(getent group cfjltest-tech | cut -d: -f3)
FUNC=$(getent group cfjltest-func | cut -d: -f3)
NOBODY=$(id -u nobody)
NOGROUP=$(id -g nobody)
t_tmpdir
ad_setup 'control {' '	technical-group "cfjltest-tech"' '	functional-group "cfjltest-func"' '}' || exit 2
ad_start || exit 2

as_nobody() { setpriv --reuid="$NOBODY" --regid="$NOGROUP" --clear-groups "$@"; }
as_func() { setpriv --reuid="$NOBODY" --regid="$NOGROUP" --groups="$FUNC" "$@"; }
as_tech() { setpriv --reuid="$NOBODY" --regid="$NOGROUP" --groups="$TECH" "$@"; }
records() { cat "$J"/*.log | grep -c "$1"; }

before=$(records '"event":"admin"')
out=$(as_nobody "$CFJLCTL" -s "$RUN" journal close 2>&1); rc=$?
t_eq "outside both groups: refused, exit 1" "$rc" 1
t_eq "outside both groups: the reason" "$out" \
    "cfjlctl: auditd: permission denied: uid $NOBODY may not run journal-close on auditd: it needs the technical group (cfjltest-tech)"
t_ok "nothing closed" [ ! -e "$J/00000001.xml" ]
t_ok "the refusal is journaled with the uid" t_wait_grep \
    "\"event\":\"admin\",\"subject\":\"uid $NOBODY\",\"outcome\":\"refused\",\"details\":\"journal-close on auditd (pid [0-9]*): permission denied" "$J/00000001.log"

out=$(as_func "$CFJLCTL" -s "$RUN" journal list 2>&1); rc=$?
t_eq "functional group, technical command: refused" "$rc" 1
t_match "functional group: the reason" "$out" "may not run journal-list on auditd: it needs the technical group"
out=$(as_func "$RAW" "$RUN" auditd role-list)
t_match "functional group, functional command: allowed (auditd has no roles)" "$out" \
    '^ok 0: auditd does not handle "role-list"'
t_ok "allowed request journaled" t_wait_grep \
    "\"subject\":\"uid $NOBODY\",\"outcome\":\"allowed\",\"details\":\"role-list on auditd" "$J/00000001.log"
out=$(as_tech "$RAW" "$RUN" auditd role-list)
t_match "technical group, functional command: refused" "$out" \
    "^ok 0: permission denied: uid $NOBODY may not run role-list on auditd: it needs the functional group \(cfjltest-func\)"

out=$(as_tech "$CFJLCTL" -s "$RUN" journal close); rc=$?
t_eq "technical group: journal close allowed" "$rc" 0
t_match "technical group: closed" "$out" "^closed 00000001.log"
out=$("$CFJLCTL" -s "$RUN" journal list); rc=$?
t_eq "root: allowed" "$rc" 0
out=$(ad_ctl journal verify); rc=$?
t_eq "the daemon's own uid (ordinary user): allowed" "$rc" 0
# Root without the technical administrator's key changes nothing.
out=$(env -u CFJL_TECH_ADMIN_P12 "$CFJLCTL" -s "$RUN" journal close 2>&1); rc=$?
t_eq "root without a key: journal close refused" "$rc" 1
t_eq "root without a key: the reason" "$out" \
    "cfjlctl: auditd: not signed: journal-close changes the vault and needs a technical administrator's signature (cfjlctl -K or -P)"
t_ok "root without a key: nothing closed" [ ! -e "$J/00000002.xml" ]
# auditd answers before its own record reaches the file: wait for it.
_n=50
while [ "$(records '"event":"admin"')" -lt "$((before + 8))" ] && [ $_n -gt 0 ]; do
	sleep 0.1; _n=$((_n - 1))
done
t_eq "every request journaled" "$(records '"event":"admin"')" "$((before + 8))"

# Four connections per uid; the fifth is cut before it is read.
out=$(as_tech "$RAW" -h 4 "$RUN" auditd status)
t_eq "fifth connection of one uid: closed" "$out" "closed"
t_match "the cut is logged" "$(cat "$T/auditd.log")" "control: refused connection from uid $NOBODY .*: 4 of its connections open"
# The four held connections end with ctlraw; auditd notices each on a
# later turn of its loop, several times later under the sanitizers
# (make SAN=1).  Until it has, a new connection is still the fifth.
tenths=20
t_sanitized "$AUDITD" && tenths=100
i=0
until grep -q '"event":"admin-connection",.*"outcome":"refused"' "$J"/*.log ||
    [ $i -ge $tenths ]; do
	sleep 0.1; i=$((i + 1))
done
t_ok "the cut is journaled" grep -q '"event":"admin-connection",.*"outcome":"refused"' "$J"/*.log
i=0
while out=$(as_tech "$RAW" "$RUN" auditd status); [ "$out" = closed ] &&
    [ $i -lt $tenths ]; do
	sleep 0.1; i=$((i + 1))
done
t_match "its connections gone, it may connect again within $((tenths / 10)) s" \
    "$out" "^ok 1: auditd "
t_done
