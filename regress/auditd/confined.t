#!/bin/sh
# auditd started as root: it owns the journal directory (2750, the
# auditors' group, so that files take that group), switches to its
# user, chroots into the journal's parent when that holds the run-time
# directory, and does all its work under its seccomp filter: records
# from the stored user, closing, verifying, stopping.  Needs root.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/auditd.sh"
[ "$(id -u)" -eq 0 ] || t_skip "needs root: auditd switches user only when started as root"
for u in _cfjlfront _cfjlstore _cfjlseal; do
	id "$u" >/dev/null 2>&1 || t_skip "no user $u (etc/sysusers.d)"
done
getent group cfjltest-audit >/dev/null || groupadd --system cfjltest-audit ||
    t_skip "cannot create group cfjltest-audit"
ad_need
t_tmpdir
id "$TEST_USER" >/dev/null 2>&1 || useradd --system --no-create-home \
    --shell /usr/sbin/nologin "$TEST_USER"
V=$T/var
J=$V/journal
RUN=$V/run
mkdir -p "$RUN"
# The technical administrator signs journal close (cfjlctl(8)).
. "$TOP/regress/lib/pki.sh"
pki_admins "$T/pki" || exit 2
pki_admin_env "$T/pki"
cat > "$T/cfjl.conf" <<CONF
operator 48
vault 1
runtime-dir "$RUN"
$(pki_admin_conf "$T/pki")
auditd {
	journal "$J"
	user "$TEST_USER"
	auditors-group "cfjltest-audit"
}
CONF
"$AUDITD" -d -v -f "$T/cfjl.conf" > "$T/auditd.log" 2>&1 &
AD_PID=$!
t_cleanup_add ad_stop
t_wait_path "$RUN/auditd.ctl" 10 || { cat "$T/auditd.log"; exit 1; }
sleep 0.2

t_eq "journal directory: owner, group, mode" "$(stat -c '%U %G %a' "$J")" \
    "$TEST_USER cfjltest-audit 2750"
t_eq "runs as its user" "$(stat -c %U /proc/$AD_PID)" "$TEST_USER"
t_eq "chrooted into the journal's parent" "$(readlink /proc/$AD_PID/root)" "$V"
t_eq "under its filter" "$(sed -n 's/^Seccomp:[[:space:]]*//p' /proc/$AD_PID/status)" 2

out=$(setpriv --reuid=_cfjlstore --regid="$(id -g _cfjlstore)" --clear-groups \
    "$AUDIT_SEND" -n 20 -u "$(id -u "$TEST_USER")" "$RUN")
t_match "the stored user journals" "$out" "^acked 20 "
t_match "journal close as root" "$("$CFJLCTL" -s "$RUN" journal close)" "^closed 00000001.log"
t_match "records after the close" "$(setpriv --reuid=_cfjlstore \
    --regid="$(id -g _cfjlstore)" --clear-groups "$AUDIT_SEND" -n 5 \
    -u "$(id -u "$TEST_USER")" "$RUN")" "^acked 5 "
out=$("$CFJLCTL" -s "$RUN" journal verify); rc=$?
t_eq "journal verify inside the sandbox" "$rc" 0
t_match "journal list inside the sandbox" "$("$CFJLCTL" -s "$RUN" journal list)" "00000001.log +pending"
t_ok "reload (config unreadable in the chroot: refused, alive)" sh -c \
    "'$CFJLCTL' -s '$RUN' reload >/dev/null 2>&1; kill -0 $AD_PID"
for f in "$J"/00000001.log "$J"/00000001.xml "$J"/00000002.log; do
	t_eq "$(basename "$f"): owner, group, mode" "$(stat -c '%U %G %a' "$f")" \
	    "$TEST_USER cfjltest-audit 640"
done
kill "$AD_PID"; wait "$AD_PID"; rc=$?; AD_PID=""
t_eq "stops with 0 (never killed by its filter)" "$rc" 0
t_match "the stop is journaled" "$(tail -n 1 "$J/00000002.log")" '"event":"stop"'
t_done
