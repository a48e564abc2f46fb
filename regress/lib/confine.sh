# Every daemon of a suite runs under its seccomp filter, and none was
# killed by it: end-to-end tests ask after starting the suite and at the
# end (suite.sh calls both).
#
#	suite_confined DAEMON	it and every process under it: Seccomp: 2
#	suite_assert_confined	each running daemon, as a test
#	suite_reap DAEMON PID	its exit status, once it is gone
#	suite_no_sigsys		no daemon ended by SIGSYS (exit status,
#				logs, and the kernel's log when readable)

# The processes under PID, children first.
suite_descendants()
{
	for _c in $(cat /proc/"$1"/task/*/children 2>/dev/null); do
		echo "$_c"
		suite_descendants "$_c"
	done
}

# A daemon's socket comes before its filter: wait 3 s at most for it.
suite_confined()
{
	_pid=$(suite_pid "$1")
	[ -n "$_pid" ] && [ -d "/proc/$_pid" ] || { echo "$1 is not running"; return 1; }
	_n=30
	while :; do
		_bad=""
		for _p in $_pid $(suite_descendants "$_pid"); do
			_s=$(sed -n 's/^Seccomp:[[:space:]]*//p' "/proc/$_p/status" 2>/dev/null)
			[ -z "$_s" ] || [ "$_s" = 2 ] || _bad="$_bad $_p($_s)"
		done
		[ -z "$_bad" ] && return 0
		_n=$((_n - 1))
		[ $_n -gt 0 ] || break
		sleep 0.1
	done
	echo "$1: not under a seccomp filter (pid and Seccomp:$_bad)"
	return 1
}

suite_assert_confined()
{
	_all=0
	for _d in $SUITE_DAEMONS; do
		# Stopped on purpose (cfjlctl stop): suite_no_sigsys says how
		# it ended.
		_p=$(suite_pid "$_d")
		[ -n "$_p" ] && [ -d "/proc/$_p" ] || continue
		if _why=$(suite_confined "$_d"); then
			t_pass "$_d runs under its seccomp filter (Seccomp: 2)"
		else
			t_fail "$_why"
			_all=1
		fi
	done
	return $_all
}

# suite_reap DAEMON PID: after it was stopped or killed, keep how it
# ended ($SUITE/log/exits: daemon pid status) for suite_no_sigsys.
suite_reap()
{
	wait "$2" 2>/dev/null
	echo "$1 $2 $?" >> "$SUITE/log/exits"
}

# SIGSYS is signal 31: a shell reports a child it ended as status 159.
suite_no_sigsys()
{
	_bad=""
	# A daemon that died on its own is reaped here, so that its status
	# is seen even where the kernel's log is not readable.
	for _f in "$SUITE"/run/*.pid; do
		[ -f "$_f" ] || continue
		_p=$(cat "$_f" 2>/dev/null)
		[ -n "$_p" ] && ! kill -0 "$_p" 2>/dev/null || continue
		suite_reap "$(basename "$_f" .pid)" "$_p"
		rm -f "$_f"
	done
	[ -f "$SUITE/log/exits" ] &&
	    _bad=$(awk '$3 == 159 { printf " %s (pid %s)", $1, $2 }' "$SUITE/log/exits")
	_logs=$(grep -l -i -E 'SIGSYS|signal 31|bad system call' "$SUITE"/log/*.log 2>/dev/null)
	[ -n "$_logs" ] && _bad="$_bad; named in$(printf ' %s' $_logs)"
	# The kernel logs each seccomp kill (audit type 1326) where this
	# user may read it.
	if _k=$(dmesg 2>/dev/null); then
		_pids=$(cat "$SUITE"/run/*.pid 2>/dev/null; [ -f "$SUITE/log/exits" ] && awk '{ print $2 }' "$SUITE/log/exits")
		for _p in $_pids; do
			printf '%s\n' "$_k" | grep -q "type=1326.* pid=$_p .*sig=31" &&
			    _bad="$_bad; kernel: seccomp killed pid $_p"
		done
	fi
	[ -z "$_bad" ] && return 0
	echo "killed by SIGSYS:$_bad"
	return 1
}
