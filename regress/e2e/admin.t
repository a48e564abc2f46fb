#!/bin/sh
# Administration of the running suite with cfjlctl, as the daemons' own
# user: status of the four daemons (text and JSON), a role given and
# taken away takes effect at once in frontd, survives restarts of stored
# and frontd, a role of cfjl.conf cannot be removed, lot seal-now seals
# the open lot, and every command is journaled with its caller.
. "$(dirname "$0")/../lib/common.sh"
t_unprivileged "$@"
t_need curl openssl psql
t_tmpdir
# Lots close only when asked (lot seal-now), not by age.
SUITE_LOT_AGE=3600s
. "$TOP/regress/lib/suite.sh"
suite_setup || exit 2
suite_start || exit 2

CTL="$TOP/cfjlctl/cfjlctl"
ctl() { "$CTL" -s "$SUITE/run" "$@"; }
json_ok() { /usr/bin/python3 -c 'import json,sys; json.load(sys.stdin)'; }
ME="uid $(id -u) ($(id -un))"

# deposit CERT CLIENT-ID: prints the HTTP code.
deposit()
{
	suite_sample CPTEALIM > "$T/in.xml"
	_suite_curl "$1" -o "$T/answer" -w '%{http_code}' \
	    -H 'Content-Type: application/xml' -H "Client-Id: admin-$2" \
	    --data-binary @"$T/in.xml" "$CFJL_URL/v1/events"
}
# The number of admin records for a command, allowed, by this user.
admin_records()
{
	cat "$SUITE"/journal/*.log | grep '"event":"admin"' |
	    grep -F "\"subject\":\"$ME\"" | grep -E "\"details\":\"$1( [^\"]*)? on $2 \(pid" |
	    grep -c '"outcome":"allowed"'
}

# status: every daemon answers.
out=$(ctl status 2>&1); rc=$?
t_eq "status: exit 0" "$rc" 0
for d in frontd stored sealerd auditd; do
	t_match "status names $d" "$out" "$d"
done
ctl -j status > "$T/status.json" 2>&1
t_ok "status -j is valid JSON" json_ok < "$T/status.json"
for d in frontd stored sealerd auditd; do
	t_match "status -j has a member for $d" "$(cat "$T/status.json")" "\"$d\":"
done

# A depositor's subject given at run time: allowed at once.
t_eq "nobody may not deposit at first" "$(deposit nobody 1)" 403
out=$(ctl role add depositor "$PKI_NOBODY_DN" 2>&1); rc=$?
t_eq "role add: exit 0" "$rc" 0
t_match "role add: says what it did" "$out" "added depositor: $PKI_NOBODY_DN"
t_eq "role add: nobody deposits at once" "$(deposit nobody 2)" 201
out=$(ctl role list 2>&1)
t_match "role list shows it" "$out" "depositor +$PKI_NOBODY_DN"
ctl -j role list > "$T/roles.json" 2>&1
t_ok "role list -j is valid JSON" json_ok < "$T/roles.json"
t_match "role list -j names it" "$(cat "$T/roles.json")" \
    "^\\{\"roles\":\\[\\{\"role\":\"depositor\",\"ca\":\"operator\",\"subject\":\"$PKI_NOBODY_DN\",\"source\":\"cfjlctl\"\\}"
t_match "role list -j: the roles of cfjl.conf too" "$(cat "$T/roles.json")" \
    "\\{\"role\":\"reader\",\"ca\":\"regulator\",\"subject\":\"$PKI_READER_DN\",\"source\":\"cfjl.conf\"\\}"
t_eq "the change is in the database with its author" \
    "$(suite_psql "SELECT role || ' ' || action || ' ' || by FROM roles WHERE subject = '$PKI_NOBODY_DN' ORDER BY seq")" \
    "depositor add $ME, signed by $PKI_FUNC_ADMIN_DN (certificate sha256 $(pki_fingerprint "$P/func-admin.pem"))"

# The role survives restarts: stored reads it back and pushes it, and a
# new frontd gets it again.
suite_stop stored
suite_start stored || exit 2
# frontd links to the new stored within moments; until then 503.
for _ in $(seq 1 50); do
	code=$(deposit nobody 3)
	[ "$code" = 503 ] || break
	sleep 0.1
done
t_eq "after a restart of stored: still a depositor" "$code" 201
suite_stop frontd
suite_start frontd || exit 2
t_eq "after a restart of frontd: still a depositor" "$(deposit nobody 4)" 201
t_match "role list after restarts" "$(ctl role list 2>&1)" "depositor +$PKI_NOBODY_DN"

# Removed: refused at once.
out=$(ctl role remove "$PKI_NOBODY_DN" 2>&1); rc=$?
t_eq "role remove: exit 0" "$rc" 0
t_match "role remove: says what it did" "$out" "removed depositor: $PKI_NOBODY_DN"
t_eq "role remove: nobody refused at once" "$(deposit nobody 5)" 403
t_eq "role list: only the roles of cfjl.conf again" "$(ctl role list 2>&1)" \
    "$(printf 'depositor %s (cfjl.conf)\nreader    %s (cfjl.conf)' "$PKI_DEPOSITOR_DN" "$PKI_READER_DN")"
out=$(ctl role remove "$PKI_NOBODY_DN" 2>&1); rc=$?
t_eq "removing it again: refused" "$rc" 1
t_match "removing it again: explained" "$out" "has no role"

# A role of cfjl.conf is not the table's: refused with the reason.
out=$(ctl role remove "$PKI_DEPOSITOR_DN" 2>&1); rc=$?
t_eq "removing a cfjl.conf role: refused" "$rc" 1
t_eq "removing a cfjl.conf role: explained" "$out" \
    "cfjlctl: stored: \"$PKI_DEPOSITOR_DN\" is a depositor by cfjl.conf, not by cfjlctl: nothing removed; take its role line out of cfjl.conf and restart frontd"
t_eq "the configured depositor still deposits" "$(deposit depositor 6)" 201
out=$(ctl role add admin "$PKI_NOBODY_DN" 2>&1); rc=$?
t_eq "unknown role: refused by cfjlctl (usage)" "$rc" 2
t_match "unknown role: the usage names the roles" "$out" 'role add depositor\|reader SUBJECT'

# lot seal-now: the open lot closes and is sealed.
lot=$(sed -n 's/.*"lot":\([0-9]*\).*/\1/p' "$T/answer")
out=$(ctl lot seal-now 2>&1); rc=$?
t_eq "lot seal-now: exit 0" "$rc" 0
t_match "lot seal-now: names the lot" "$out" "lot $lot closes now"
code=0
for _ in $(seq 1 50); do
	code=$(dep_curl -o "$T/lot.xml" -w '%{http_code}' "$CFJL_URL/v1/lots/$lot")
	[ "$code" = 200 ] && break
	sleep 0.2
done
t_eq "lot $lot sealed and served" "$code" 200

# Every command journaled with the caller, on the daemon that ran it.
sleep 0.3
for d in frontd stored sealerd auditd; do
	t_eq "status journaled on $d" "$(admin_records status $d)" 2
done
t_eq "role add journaled" "$(admin_records role-add stored)" 1
t_ok "role add journaled with its role and subject" grep -qF \
    "\"outcome\":\"allowed\",\"details\":\"role-add depositor $PKI_NOBODY_DN on stored" "$SUITE"/journal/*.log
t_eq "role remove journaled" "$(admin_records role-remove stored)" 3
t_ok "role list journaled" [ "$(admin_records role-list stored)" -ge 4 ]
t_eq "lot seal-now journaled" "$(admin_records lot-seal-now stored)" 1

t_done
