# Shared by the auditd and cfjlctl tests: a private journal, auditd
# started on it, records sent through the journal client, and cfjlctl.
#
#	. "$(dirname "$0")/../auditd/auditd.sh"
#	ad_setup [extra configuration lines]	# after t_tmpdir; writes $T/cfjl.conf
#						# (with the administrators of pki.sh)
#	ad_start / ad_stop / ad_kill9
#	ad_send [audit-send options]		# records as stored would send them
#	ad_ctl command...			# cfjlctl -s $T/run
#	ad_seqs					# every seq of the journal, in file order
#
# When the test runs as root, auditd runs as $TEST_USER (an ordinary user,
# as in development) and $AD_AS prefixes commands meant to run as it.

AUDITD=${CFJL_BIN:-$TOP}/auditd/auditd
CFJLCTL=${CFJL_BIN:-$TOP}/cfjlctl/cfjlctl
AUDIT_SEND=$TOP/regress/auditd/audit-send
AD_AS=""
AD_ROTATE_EVERY=${AD_ROTATE_EVERY:-3600s}
AD_ROTATE_SIZE=${AD_ROTATE_SIZE:-16M}

ad_need()
{
	[ -x "$AUDITD" ] || t_skip "auditd is not built"
	[ -x "$CFJLCTL" ] || t_skip "cfjlctl is not built"
	[ -x "$AUDIT_SEND" ] || t_skip "regress/auditd/audit-send is not built (make -C regress)"
}

ad_dirs()
{
	ad_need
	J=$T/journal
	RUN=$T/run
	mkdir -p "$RUN" "$J" || return 1
	if [ "$(id -u)" -eq 0 ]; then
		id "$TEST_USER" >/dev/null 2>&1 || useradd --system \
		    --no-create-home --shell /usr/sbin/nologin "$TEST_USER"
		chown "$TEST_USER" "$RUN" "$J"
		AD_AS="setpriv --reuid=$TEST_USER --regid=$TEST_USER --init-groups"
	fi
	t_cleanup_add ad_stop
}

# The administrators whose keys cfjlctl signs with (pki.sh): a PKI of
# the test's own, or the one a setup of sealerd's made.
ad_admins()
{
	command -v pki_admins >/dev/null 2>&1 || . "$TOP/regress/lib/pki.sh"
	[ -f "$T/pki/tech-admin.p12" ] || pki_admins "$T/pki" >/dev/null ||
	    { echo "administrators' PKI failed"; return 1; }
	grep -q '^ca operator' "$T/cfjl.conf" 2>/dev/null || pki_admin_conf "$T/pki"
}

ad_block()
{
	cat <<CONF
auditd {
	journal "$J"
	rotate every $AD_ROTATE_EVERY
	rotate size $AD_ROTATE_SIZE
}
CONF
}

ad_setup()
{
	ad_dirs || return 1
	rm -f "$T/cfjl.conf"
	command -v pki_admins >/dev/null 2>&1 || . "$TOP/regress/lib/pki.sh"
	_ad_admin=$(ad_admins) || return 1
	pki_admin_env "$T/pki"
	{
		printf 'operator 48\nvault 1\nruntime-dir "%s"\n' "$RUN"
		printf '%s\n' "$_ad_admin"
		ad_block
		for l; do printf '%s\n' "$l"; done
	} > "$T/cfjl.conf"
	chmod 0644 "$T/cfjl.conf"
}

# A configuration written by someone else (sealerd's tests): add auditd.
ad_setup_append()
{
	ad_dirs || return 1
	command -v pki_admins >/dev/null 2>&1 || . "$TOP/regress/lib/pki.sh"
	_ad_admin=$(ad_admins) || return 1
	pki_admin_env "$T/pki"
	printf '%s\n' "$_ad_admin" >> "$T/cfjl.conf"
	ad_block >> "$T/cfjl.conf"
}

ad_start()
{
	rm -f "$RUN/audit.sock" "$RUN/auditd.ctl"
	$AD_AS "$AUDITD" -d -v -f "$T/cfjl.conf" >>"$T/auditd.log" 2>&1 &
	AD_PID=$!
	if ! t_wait_path "$RUN/auditd.ctl" 10; then
		echo "auditd did not start:"; tail -n 20 "$T/auditd.log"
		return 1
	fi
	# The control socket comes after audit.sock: both are up.
	return 0
}

ad_stop()
{
	[ -n "${AD_PID:-}" ] || return 0
	kill "$AD_PID" 2>/dev/null
	n=50
	while kill -0 "$AD_PID" 2>/dev/null && [ $n -gt 0 ]; do sleep 0.1; n=$((n - 1)); done
	kill -9 "$AD_PID" 2>/dev/null
	wait "$AD_PID" 2>/dev/null
	AD_PID=""
	return 0
}

ad_kill9()
{
	kill -9 "$AD_PID" 2>/dev/null
	wait "$AD_PID" 2>/dev/null
	AD_PID=""
}

ad_send() { $AD_AS "$AUDIT_SEND" "$@" "$RUN"; }

ad_ctl() { $AD_AS "$CFJLCTL" -s "$RUN" "$@"; }

# Every sequence number, file after file.
ad_seqs()
{
	for f in "$J"/*.log; do
		sed -n 's/^{"seq":\([0-9]*\),.*/\1/p' "$f"
	done
}

# 0 if the numbers on stdin are 1, 2, 3, ... without gap or repeat.
ad_consecutive()
{
	awk 'BEGIN { n = 0 } { n++; if ($1 != n) { print "seq " $1 " at position " n; bad = 1; exit 1 } } END { if (bad) exit 1; if (n == 0) exit 1 }'
}

# A field of a metadata file: ad_meta FILE TAG
ad_meta() { sed -n "s|^  <$2>\\(.*\\)</$2>\$|\\1|p" "$1"; }

# The digest a metadata file is chained by: without its Signature line.
ad_meta_digest() { grep -v '^  <Signature' "$1" | sha256sum | cut -d' ' -f1; }

ad_sha256() { sha256sum "$1" | cut -d' ' -f1; }
