# A small filesystem for the tests that fill one: sourced before
# t_unprivileged.
#
#	smallfs_wrap SIZE "$@"
#
# As root, mounts a tmpfs of SIZE, owned by the test user, runs the test
# again on it (unprivileged, SMALLFS naming its directory), unmounts it
# and exits with the test's status.  Run as another user, the test
# skips unless SMALLFS names such a filesystem already.
smallfs_wrap()
{
	[ -n "${SMALLFS:-}" ] && return 0
	[ "$(id -u)" -eq 0 ] && [ -z "${CFJL_TEST_AS_ROOT:-}" ] ||
	    t_skip "needs root to mount a small filesystem (or SMALLFS=dir of one)"
	_size=$1; shift
	if ! id "$TEST_USER" >/dev/null 2>&1; then
		useradd --system --no-create-home --shell /usr/sbin/nologin \
		    "$TEST_USER" || { echo "cannot create $TEST_USER"; exit 2; }
	fi
	_fs=$(mktemp -d "${TMPDIR:-/tmp}/cfjl-smallfs.XXXXXX") || exit 2
	if ! mount -t tmpfs -o "size=$_size,mode=0755" tmpfs "$_fs"; then
		rmdir "$_fs"
		t_skip "cannot mount a tmpfs here"
	fi
	chown "$TEST_USER:" "$_fs"
	trap 'umount "$_fs" && rmdir "$_fs"' EXIT
	trap 'exit 130' INT TERM
	SMALLFS=$_fs "$0" "$@"
	exit $?
}

# Fill it: a file that takes what is left (and stays until removed).
smallfs_fill()
{
	dd if=/dev/zero of="$SMALLFS/filler" bs=64k 2>/dev/null
	sync
	[ "$(df -P "$SMALLFS" | awk 'NR == 2 { print $4 }')" -lt 64 ]
}

smallfs_free() { rm -f "$SMALLFS/filler"; }
