#!/bin/sh
# The journal's filesystem fills up under load (a small tmpfs).  auditd
# stops rather than write a journal it cannot make durable, and is
# started again a second later by its service unit (here, a loop doing
# the same) until there is room.  Meanwhile nothing is acknowledged,
# for nothing is acknowledged before its journal record is durable:
# deposits are answered 503 once the bounded wait for the journal is
# over; the other daemons keep their records until auditd has them on
# disk (bounded); an export, whose end waits for its journal record, is
# held back; a reader is still served; memory stays bounded.  Once
# space is freed everything goes on by itself: every lot's record is in
# the journal, which verifies, and every acknowledged event is there.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/smallfs.sh"
smallfs_wrap 16m "$@"
t_unprivileged "$@"
t_need curl psql sha256sum join dd df comm
t_tmpdir
mkdir -p "$SMALLFS/journal" && ln -s "$SMALLFS/journal" "$T/journal"
. "$TOP/regress/crash/crash.sh"
CRASH_RATE=40 crash_setup || exit 2
crash_supervise auditd

t_ok "journal filesystem full" smallfs_fill
# What is left is the tail of the open file's last page: a new file
# takes a page of its own.
"$CTL" -s "$SUITE/run" journal close > "$T/close.out" 2>&1
t_log "# journal close on a full disk: $(cat "$T/close.out")"
n=0
until grep -q 'No space left on device' "$SUITE/log/auditd.log" || [ $n -ge 100 ]; do
	sleep 0.1; n=$((n + 1))
done
t_match "auditd says why it stops" "$(grep fatal "$SUITE/log/auditd.log")" \
    'journal: .*No space left on device'
read_curl --max-time 120 -o "$T/exp.tar" -w '%{http_code}' \
    "$CFJL_URL/v1/export?from=1&to=10" > "$T/exp.code" 2>&1 &
exp=$!
# The deposits in flight wait for the journal, at most its bounded wait,
# and are refused; from then on deposits are refused at once.
n=0
until [ "$(crash_try "journal-full-$n" | cut -d' ' -f1)" = 503 ] &&
    [ "$(crash_try "journal-full-at-once-$n" | cut -d' ' -f1)" = 503 ] ||
    [ $n -ge 4 ]; do
	n=$((n + 1))
done
crash_outage "journal full" 4
t_ok "journal full: an export is held back, unfinished" crash_running "$exp"
t_match "journal full: auditd is started again and stops again" \
    "$(cat "$T/supervise.log")" 'auditd is gone: started again'
smallfs_free
n=0
# Up and serving, twice a second apart: started again after the space
# came back.
until "$CTL" -s "$SUITE/run" journal list >/dev/null 2>&1 && sleep 1 &&
    "$CTL" -s "$SUITE/run" journal list >/dev/null 2>&1 || [ $n -ge 30 ]; do
	sleep 0.5; n=$((n + 1))
done
crash_recovers "journal space back"
wait "$exp"
t_eq "journal back: the export held back is finished" "$(cat "$T/exp.code")" 200
t_ok "journal back: it verifies" "$VERIFY" -t "$P/trust.pem" "$T/exp.tar"
crash_unsupervise
crash_finish
t_eq "every lot's record in the journal" "$CRASH_UNJOURNALED" ""
t_done
