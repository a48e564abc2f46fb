# Shared by the shell tests: paths, a private temporary directory that is
# removed at exit, assertions that count, and running as an unprivileged
# user when started as root (PostgreSQL refuses root, and the daemons
# then run the way a developer runs them).
#
#	. "$(dirname "$0")/../lib/common.sh"
#	t_unprivileged "$@"	# first, before anything else
#	t_tmpdir		# sets $T
#	t_ok "what" cmd args...
#	t_done			# exit status from the counts (after the
#				# checks named in $T_DONE_HOOKS)

TOP=${TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
SHARED=${CFJL_SHARED:-$(cd "$TOP/.." && pwd)/shared}
ARJEL=$SHARED/arjel
TEST_USER=${CFJL_TEST_USER:-cfjltest}
T_PASS=0
T_FAIL=0
T_CLEANUPS=""

t_log() { printf '%s\n' "$*"; }

# Re-run this test as $TEST_USER when root; idempotent.
t_unprivileged()
{
	[ "$(id -u)" -eq 0 ] || return 0
	[ -n "${CFJL_TEST_AS_ROOT:-}" ] && return 0
	if ! id "$TEST_USER" >/dev/null 2>&1; then
		useradd --system --no-create-home --shell /usr/sbin/nologin \
		    "$TEST_USER" || { echo "cannot create $TEST_USER"; exit 2; }
	fi
	exec setpriv --reuid="$TEST_USER" --regid="$TEST_USER" --init-groups \
	    env HOME=/tmp PATH="$PATH" CFJL_SHARED="$SHARED" "$0" "$@"
}

# Skip with a reason (the runner shows the last line).
t_skip() { echo "$*"; exit 77; }

t_need() { for c; do command -v "$c" >/dev/null 2>&1 || t_skip "missing $c"; done; }

t_cleanup_add() { T_CLEANUPS="$1 $T_CLEANUPS"; }

t_exit_handler()
{
	for f in $T_CLEANUPS; do "$f" || true; done
	if [ -n "${T:-}" ] && [ -d "$T" ] && [ -z "${CFJL_KEEP:-}" ]; then
		rm -rf "$T"
	fi
}

t_tmpdir()
{
	T=$(mktemp -d "${TMPDIR:-/tmp}/cfjl-test.XXXXXX") || exit 2
	chmod 0755 "$T"
	trap t_exit_handler EXIT
	trap 'exit 130' INT TERM
}

t_pass() { T_PASS=$((T_PASS + 1)); t_log "ok - $1"; }
t_fail() { T_FAIL=$((T_FAIL + 1)); t_log "not ok - $1"; }

# t_ok "description" command...: passes when the command succeeds.
t_ok()
{
	d=$1; shift
	if "$@"; then t_pass "$d"; else t_fail "$d"; fi
}

# t_not "description" command...: passes when the command fails.
t_not()
{
	d=$1; shift
	if "$@"; then t_fail "$d"; else t_pass "$d"; fi
}

# t_eq "description" actual expected
t_eq()
{
	if [ "$2" = "$3" ]; then
		t_pass "$1"
	else
		t_fail "$1: got '$2', expected '$3'"
	fi
}

# t_match "description" text extended-regex
t_match()
{
	if printf '%s' "$2" | grep -Eq -- "$3"; then
		t_pass "$1"
	else
		t_fail "$1: '$2' does not match /$3/"
	fi
}

# Wait up to $2 seconds (default 10) for a path to exist.
t_wait_path()
{
	_n=$(( ${2:-10} * 10 ))
	while [ ! -e "$1" ] && [ $_n -gt 0 ]; do sleep 0.1; _n=$((_n - 1)); done
	[ -e "$1" ]
}

# Wait up to 10 s for a line matching $1 in the files that follow: a
# daemon may answer before its journal record reaches the file.
t_wait_grep()
{
	_p=$1; shift
	_n=100
	while ! grep -q -- "$_p" "$@" 2>/dev/null && [ $_n -gt 0 ]; do
		sleep 0.1; _n=$((_n - 1))
	done
	grep -q -- "$_p" "$@" 2>/dev/null
}

t_done()
{
	# Last checks a helper registered (T_DONE_HOOKS: function names).
	for _h in ${T_DONE_HOOKS:-}; do "$_h"; done
	t_log "$T_PASS passed, $T_FAIL failed"
	[ "$T_FAIL" -eq 0 ] && [ "$T_PASS" -gt 0 ]
}

# t_sanitized PROGRAM: true if PROGRAM was built with make SAN=1; its
# memory then carries the sanitizers' shadow and redzones, and it runs
# several times slower.
t_sanitized() { ldd "$1" 2>/dev/null | grep -q 'libasan'; }

# Leaks of libraries not ours, known and listed (mk/lsan.supp).
LSAN_OPTIONS=${LSAN_OPTIONS:-suppressions=$TOP/mk/lsan.supp:print_suppressions=0}
export LSAN_OPTIONS

# t_need_libfuzzer: skip unless clang can build a libFuzzer harness with
# the sanitizers (needs t_tmpdir first).
t_need_libfuzzer()
{
	command -v clang >/dev/null 2>&1 || t_skip "clang not installed"
	printf '#include <stdint.h>\n#include <stddef.h>\nint LLVMFuzzerTestOneInput(const uint8_t *d, size_t n);\nint LLVMFuzzerTestOneInput(const uint8_t *d, size_t n) { return d == NULL && n > 0; }\n' \
	    > "$T/libfuzzer-probe.c"
	clang -fsanitize=fuzzer,address,undefined -o "$T/libfuzzer-probe" \
	    "$T/libfuzzer-probe.c" >/dev/null 2>&1 ||
	    t_skip "clang has no libFuzzer (-fsanitize=fuzzer)"
}
