#!/bin/sh
# Administration refused: with the whole suite running as an ordinary
# user, a caller outside both administration groups (nobody, no
# groups) is refused by every daemon with a sentence saying why, nothing
# changes, and each refusal is journaled with the caller's uid; root may.
# Needs root, to run cfjlctl as another user.
. "$(dirname "$0")/../lib/common.sh"
[ "$(id -u)" -eq 0 ] || t_skip "needs root to run cfjlctl as another user"
id nobody >/dev/null 2>&1 || t_skip "no user nobody"
t_need curl openssl setpriv
if ! id "$TEST_USER" >/dev/null 2>&1; then
	useradd --system --no-create-home --shell /usr/sbin/nologin \
	    "$TEST_USER" || t_skip "cannot create $TEST_USER"
fi
t_tmpdir
S=$T/suite
mkdir "$S" && chown "$TEST_USER" "$S" || exit 2

# The suite, run by the test user until $S/stop appears.
suite_child()
{
	setpriv --reuid="$TEST_USER" --regid="$TEST_USER" --init-groups \
	    env HOME=/tmp PATH="$PATH" TOP="$TOP" CFJL_SHARED="$SHARED" \
	    SUITE_DIR="$S" CFJL_KEEP=1 sh -c '
		. "$TOP/regress/lib/common.sh"
		T=$SUITE_DIR
		trap t_exit_handler EXIT
		. "$TOP/regress/lib/suite.sh"
		if ! suite_setup || ! suite_start; then
			touch "$T/failed"
			exit 1
		fi
		echo "SUITE_PORT=$SUITE_PORT" > "$T/env"
		touch "$T/ready"
		n=1200
		while [ ! -e "$T/stop" ] && [ $n -gt 0 ]; do
			sleep 0.1; n=$((n - 1))
		done
	' > "$T/child.log" 2>&1
}
suite_child &
CHILD=$!
child_stop()
{
	touch "$S/stop" 2>/dev/null
	wait "$CHILD" 2>/dev/null
	return 0
}
t_cleanup_add child_stop
n=600
while [ ! -e "$S/ready" ] && [ ! -e "$S/failed" ] && [ $n -gt 0 ]; do
	sleep 0.1; n=$((n - 1))
done
if [ ! -e "$S/ready" ]; then
	echo "the suite did not start:"; tail -n 20 "$T/child.log"
	exit 2
fi
. "$S/env"
P=$S/pki
CFJL_URL="https://127.0.0.1:$SUITE_PORT"
. "$TOP/regress/lib/pki.sh"

CTL="$TOP/cfjlctl/cfjlctl"
NOBODY=$(id -u nobody)
NOGROUP=$(id -g nobody)
as_nobody()
{
	setpriv --reuid="$NOBODY" --regid="$NOGROUP" --clear-groups \
	    "$CTL" -s "$S/run" "$@"
}
refusals_now() { cat "$S"/journal/*.log | grep '"event":"admin"' |
    grep -F "\"subject\":\"uid $NOBODY\",\"outcome\":\"refused\"" |
    grep -c "\"details\":\"$1 on $2 (pid [0-9]*): permission denied"; }
# A refusal is answered before its record reaches the file: wait 5 s for
# one, then count.
refusals()
{
	_n=50
	while [ "$(refusals_now "$1" "$2")" -lt 1 ] && [ $_n -gt 0 ]; do
		sleep 0.1; _n=$((_n - 1))
	done
	refusals_now "$1" "$2"
}
deposit()
{
	suite_sample CPTEALIM > "$T/in.xml"
	curl -sS --max-time 30 --cacert "$P/ca.pem" --cert "$P/nobody.pem" \
	    --key "$P/nobody.key" -o /dev/null -w '%{http_code}' \
	    -H 'Content-Type: application/xml' --data-binary @"$T/in.xml" \
	    "$CFJL_URL/v1/events"
}
suite_sample() { sed 's|<IDEvt>1</IDEvt>|<IDEvt>0</IDEvt>|' "$ARJEL/samples/$1.xml"; }

out=$(as_nobody role add depositor "$PKI_NOBODY_DN" 2>&1); rc=$?
t_eq "role add outside both groups: exit 1" "$rc" 1
t_match "role add outside both groups: the reason" "$out" \
    "^cfjlctl: stored: permission denied: uid $NOBODY may not run role-add on stored: it needs the functional group \\([a-z0-9_-]+\\)$"
t_eq "no role given: nobody still may not deposit" "$(deposit)" 403
t_eq "role add refusal journaled" "$(refusals role-add stored)" 1

out=$(as_nobody role list 2>&1); rc=$?
t_eq "role list outside both groups: exit 1" "$rc" 1
t_match "role list: the reason" "$out" "may not run role-list on stored: it needs the functional group"

out=$(as_nobody lot seal-now 2>&1); rc=$?
t_eq "lot seal-now outside both groups: exit 1" "$rc" 1
t_match "lot seal-now: the reason" "$out" "may not run lot-seal-now on stored: it needs the technical group"
t_eq "lot seal-now refusal journaled" "$(refusals lot-seal-now stored)" 1

out=$(as_nobody journal close 2>&1); rc=$?
t_eq "journal close outside both groups: exit 1" "$rc" 1
t_match "journal close: the reason" "$out" "may not run journal-close on auditd: it needs the technical group"
t_ok "nothing closed" [ ! -e "$S/journal/00000001.xml" ]
t_eq "journal close refusal journaled" "$(refusals journal-close auditd)" 1

out=$(as_nobody status 2>&1); rc=$?
t_eq "status outside both groups: exit 1" "$rc" 1
for d in frontd stored sealerd auditd; do
	t_match "status refused by $d" "$out" "$d: FAILED: permission denied: uid $NOBODY may not run status on $d: it needs the technical group"
	t_eq "status refusal journaled by $d" "$(refusals status $d)" 1
done

out=$(as_nobody stop 2>&1); rc=$?
t_eq "stop outside both groups: exit 1" "$rc" 1
for d in frontd stored sealerd auditd; do
	t_ok "$d still running after a refused stop" [ -S "$S/run/$d.ctl" ]
done

# Root may.
out=$("$CTL" -s "$S/run" role list 2>&1); rc=$?
t_eq "root: role list allowed" "$rc" 0
t_ok "root's command journaled as root" t_wait_grep \
    '"subject":"uid 0 (root)","outcome":"allowed","details":"role-list on stored' "$S"/journal/*.log
out=$("$CTL" -s "$S/run" status 2>&1); rc=$?
t_eq "root: status allowed, every daemon running" "$rc" 0

t_done
