#!/bin/sh
# common/sandbox.c: a forbidden system call kills the process by SIGSYS;
# as root, the user switch, the chroot, no_new_privs, the seccomp mode
# and the absence of core dumps hold; as an ordinary user, the process
# says it keeps its identity.
. "$(dirname "$0")/../lib/common.sh"
t_tmpdir

ST=$TOP/regress/sandbox/sandboxtest
if [ ! -x "$ST" ]; then
	make -C "$TOP/regress/sandbox" >"$T/make.log" 2>&1 ||
	    { cat "$T/make.log"; echo "cannot build sandboxtest"; exit 1; }
fi

# field NAME: the value of one "NAME value" line of $out
field() { printf '%s\n' "$out" | sed -n "s/^$1 //p"; }

# Forbidden calls: the child's wait status says SIGSYS, without a core.
for a in execve socket-inet mmap-exec; do
	out=$("$ST" killed "$a" 2>/dev/null)
	t_eq "$a is killed by SIGSYS" "$out" "$a: killed by SIGSYS"
done
out=$("$ST" -s socket-inet 2>/dev/null)
t_eq "socket(AF_INET) runs when the policy allows it" "$out" \
    "socket AF_INET ok"
out=$("$ST" socket-unix 2>/dev/null)
t_eq "socket(AF_UNIX) for syslog runs under the base list" "$out" \
    "socket AF_UNIX ok"
out=$("$ST" killed abort 2>/dev/null)
t_eq "abort() dies by SIGABRT, not by the filter" "$out" \
    "abort: killed by signal 6, not SIGSYS"
out=$(CFJL_SANDBOX_LOG=1 "$ST" socket-inet 2>&1)
t_match "CFJL_SANDBOX_LOG=1 logs instead of killing" "$out" \
    "CFJL_SANDBOX_LOG set: forbidden system calls are logged, not stopped"
t_match "CFJL_SANDBOX_LOG=1 lets the call through" "$out" "socket AF_INET ok"

if [ "$(id -u)" -eq 0 ]; then
	if ! id "$TEST_USER" >/dev/null 2>&1; then
		useradd --system --user-group --no-create-home \
		    --shell /usr/sbin/nologin "$TEST_USER" || exit 2
	fi
	uid=$(id -u "$TEST_USER")
	gid=$(id -g "$TEST_USER")
	mkdir "$T/empty"
	chmod 0755 "$T/empty"

	out=$("$ST" -u "$TEST_USER" -c "$T/empty" -n 37 -m 400000000 \
	    report 2>&1)
	t_log "$out"
	t_eq "uid is $TEST_USER's" "$(field uid) $(field euid)" "$uid $uid"
	t_eq "gid is $TEST_USER's" "$(field gid) $(field egid)" "$gid $gid"
	t_eq "only the user's group remains" "$(field groups)" "1 $gid"
	t_eq "chrooted: /etc/passwd is gone" "$(field passwd)" \
	    "No such file or directory"
	t_eq "no_new_privs (prctl)" "$(field no_new_privs)" 1
	t_eq "NoNewPrivs: 1 in /proc/self/status" \
	    "$(field status_no_new_privs)" 1
	t_eq "Seccomp: 2 (filter) in /proc/self/status" \
	    "$(field status_seccomp)" 2
	t_eq "not dumpable" "$(field dumpable)" 0
	t_eq "RLIMIT_CORE 0" "$(field core)" "0 0"
	t_eq "RLIMIT_NOFILE from the policy" "$(field nofile)" 37
	if [ "$(field asan)" = 1 ]; then
		t_eq "RLIMIT_AS left alone under AddressSanitizer" \
		    "$(field as)" -1
	else
		t_eq "RLIMIT_AS from the policy" "$(field as)" 400000000
	fi
	t_eq "RLIMIT_NPROC 0: no fork once confined" "$(field nproc)" 0

	# Seen from outside, the way the daemon tests look at a daemon.
	mkfifo "$T/in"
	"$ST" -u "$TEST_USER" -c "$T/empty" hold <"$T/in" >"$T/hold.out" &
	pid=$!
	exec 3>"$T/in"
	n=50
	while [ "$(cat "$T/hold.out")" != ready ] && [ $n -gt 0 ]; do
		sleep 0.1; n=$((n - 1))
	done
	st=/proc/$pid/status
	t_eq "outside: Uid of $TEST_USER" \
	    "$(awk '/^Uid:/ { print $2, $3, $4, $5 }' "$st")" \
	    "$uid $uid $uid $uid"
	t_eq "outside: Seccomp: 2" "$(awk '/^Seccomp:/ { print $2 }' "$st")" 2
	t_eq "outside: NoNewPrivs: 1" \
	    "$(awk '/^NoNewPrivs:/ { print $2 }' "$st")" 1
	t_eq "outside: root of the process is the chroot" \
	    "$(readlink "/proc/$pid/root")" "$T/empty"
	exec 3>&-
	wait "$pid"
	t_eq "the held process ends cleanly on EOF" "$?" 0

	# Refusals.
	out=$("$ST" -u cfjl-no-such-user report 2>&1)
	t_eq "unknown user is fatal" "$out" \
	    "sandboxtest: fatal: sandboxtest: unknown user cfjl-no-such-user"
	out=$("$ST" -u root report 2>&1)
	t_eq "running as root is refused" "$out" \
	    "sandboxtest: fatal: sandboxtest: user root is root"
	out=$("$ST" -c "$T/no-such-dir" report 2>&1)
	t_eq "a missing chroot is fatal" "$out" \
	    "sandboxtest: fatal: sandboxtest: chroot $T/no-such-dir: No such file or directory"

	# The ordinary-user path, as the end-to-end tests run daemons.
	run_user() {
		setpriv --reuid="$TEST_USER" --regid="$TEST_USER" \
		    --init-groups "$@"
	}
else
	run_user() { "$@"; }
fi

me=$(run_user id -un)
out=$(run_user "$ST" -c /nonexistent report 2>&1)
t_match "ordinary user: says so" "$out" \
    "^sandboxtest: sandboxtest: running as ordinary user $me: no user switch and no chroot"
out=$(printf '%s\n' "$out" | grep -v '^sandboxtest:')
t_eq "ordinary user: keeps its uid" "$(field uid)" "$(run_user id -u)"
t_eq "ordinary user: no chroot" "$(field passwd)" readable
t_eq "ordinary user: Seccomp: 2" "$(field status_seccomp)" 2
t_eq "ordinary user: not dumpable" "$(field dumpable)" 0
t_eq "ordinary user: RLIMIT_CORE 0" "$(field core)" "0 0"
t_eq "ordinary user: RLIMIT_NPROC untouched" \
    "$(field nproc)" \
    "$(run_user awk '/^Max processes/ { print $3 == "unlimited" ? -1 : $3 }' \
    /proc/self/limits)"
out=$(run_user "$ST" killed execve 2>&1)
t_eq "ordinary user: execve is killed by SIGSYS" \
    "$(printf '%s\n' "$out" | tail -n 1)" "execve: killed by SIGSYS"

t_done
