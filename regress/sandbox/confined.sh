#!/bin/sh
# Start one real daemon as root and look at it from outside: it must run
# as the configured user, chrooted where it says it is, with
# NoNewPrivs: 1, Seccomp: 2, no capabilities, no core dumps, and stop
# cleanly on SIGTERM.  Skips (77) a daemon that is not built.
#
#	confined.sh auditd|frontd|sealerd|stored	(from confined-NAME.t)
#	confined.sh sealerd waiting	(its PKCS#11 module appears later)
. "$(dirname "$0")/../lib/common.sh"

D=$1
WAITING=${2:-}
BIN=${CFJL_BIN:-$TOP}/$D/$D
[ -x "$BIN" ] || t_skip "$D is not built ($BIN)"
[ "$(id -u)" -eq 0 ] || t_skip "needs root: a daemon switches user only when started as root"
t_tmpdir
. "$TOP/regress/lib/pki.sh"

if ! id "$TEST_USER" >/dev/null 2>&1; then
	useradd --system --user-group --no-create-home \
	    --shell /usr/sbin/nologin "$TEST_USER" || exit 2
fi
uid=$(id -u "$TEST_USER")
gid=$(id -g "$TEST_USER")

mkdir -p "$T/run" "$T/empty" "$T/jail/journal" "$T/state"
chown "$TEST_USER:" "$T/jail/journal" "$T/state"
chmod 0700 "$T/state"
port=$((20000 + ($$ * 7) % 30000))

# The daemon's own part of the configuration; its socket; its chroot.
case $D in
auditd)
	part="auditd {
	journal \"$T/jail/journal\"
	user \"$TEST_USER\"
	chroot \"$T/jail\"
}"
	# auditd reaches sealer.sock again from inside: the runtime
	# directory lives in its chroot.
	mkdir -p "$T/jail/run"
	RUNDIR=$T/jail/run
	sock=$RUNDIR/audit.sock
	root=$T/jail
	;;
frontd)
	pki_make "$T/pki" >"$T/pki.log" 2>&1 ||
	    { cat "$T/pki.log"; echo "cannot make the test PKI"; exit 1; }
	cas="ca operator \"$T/pki/ca.pem\" crl \"$T/pki/crl.pem\"
ca regulator \"$T/pki/regulator-ca.pem\" crl \"$T/pki/regulator-crl.pem\""
	part="frontd {
	listen on 127.0.0.1 port $port
	tls certificate \"$T/pki/server.pem\"
	tls key \"$T/pki/server.key\"
	user \"$TEST_USER\"
	chroot \"$T/empty\"
}"
	sock=$T/run/frontd.ctl
	root=$T/empty
	;;
stored)
	# PostgreSQL refuses root: the cluster runs as the test user.
	. "$TOP/regress/lib/pg.sh"
	PGBIN=$(pg_bin) || t_skip "PostgreSQL server binaries not found"
	pki_make "$T/pki" >"$T/pki.log" 2>&1 ||
	    { cat "$T/pki.log"; echo "cannot make the test PKI"; exit 1; }
	mkdir "$T/pg"
	chown "$TEST_USER:" "$T/pg"
	as_user() {
		setpriv --reuid="$TEST_USER" --regid="$TEST_USER" \
		    --init-groups env HOME=/tmp PATH="$PATH" "$@"
	}
	pgdown() {
		as_user "$PGBIN/pg_ctl" -D "$T/pg/c/data" -m fast -w -t 30 \
		    stop >/dev/null 2>&1
	}
	t_cleanup_add pgdown
	as_user sh -c 't_cleanup_add() { :; }; . "$1"; pg_start "$2"' \
	    pg "$TOP/regress/lib/pg.sh" "$T/pg/c" >"$T/pg.log" 2>&1 ||
	    { cat "$T/pg.log"; echo "cannot start PostgreSQL"; exit 1; }
	pgc="host=$T/pg/c port=${CFJL_PG_PORT:-5432}"
	cas="ca regulator \"$T/pki/regulator-ca.pem\""
	part="stored {
	database \"$pgc user=cfjl_store\"
	database owner \"$pgc user=$TEST_USER\"
	regulator certificate \"$T/pki/regulator.pem\"
	user \"$TEST_USER\"
}"
	sock=$T/run/stored.sock
	root=/
	;;
sealerd)
	# The sealerd tests' token, keys and configuration; the user must
	# own the token, which SoftHSM2 reads at every operation.
	. "$TOP/regress/sealerd/setup.sh"
	t_need openssl softhsm2-util
	hsm_module >/dev/null || t_skip "SoftHSM2 module not installed"
	[ -x "$KEYS" ] || t_skip "$KEYS not built"
	sealer_setup >"$T/setup.log" 2>&1 ||
	    { cat "$T/setup.log"; echo "cannot set up the token"; exit 1; }
	chown -R "$TEST_USER:" "$T/hsm" "$T/state"
	[ -z "$WAITING" ] || SEAL_MODULE=$T/module.so
	sealer_conf "clock relaxed" "user \"$TEST_USER\""
	conf_done=1
	sock=$T/run/sealer.sock
	root=/
	;;
*)
	t_skip "$D: no confinement check written for it yet"
	;;
esac
RUNDIR=${RUNDIR:-$T/run}

[ -n "${conf_done:-}" ] || cat >"$T/cfjl.conf" <<CONF
operator 48
vault 1
runtime-dir "$RUNDIR"
schemas "$ARJEL/xsd"
${cas:-}
$part
CONF

"$BIN" -d -v -f "$T/cfjl.conf" >"$T/$D.log" 2>&1 &
pid=$!
stop() { kill -TERM "$pid" 2>/dev/null; }
t_cleanup_add stop
n=150
while [ ! -S "$sock" ]; do
	if ! kill -0 "$pid" 2>/dev/null || [ $n -le 0 ]; then
		cat "$T/$D.log"
		echo "$D did not start: no socket $sock"
		exit 1
	fi
	sleep 0.1
	n=$((n - 1))
done
# The socket is made before sandbox_enter(): wait for the filter.
n=50
while [ "$(awk '/^Seccomp:/ { print $2 }' "/proc/$pid/status")" != 2 ] &&
    [ $n -gt 0 ]; do
	sleep 0.1; n=$((n - 1))
done

st=/proc/$pid/status
t_eq "$D: Uid of $TEST_USER (real, effective, saved, fs)" \
    "$(awk '/^Uid:/ { print $2, $3, $4, $5 }' "$st")" "$uid $uid $uid $uid"
t_eq "$D: Gid of $TEST_USER" \
    "$(awk '/^Gid:/ { print $2, $3, $4, $5 }' "$st")" "$gid $gid $gid $gid"
t_eq "$D: only its own group" "$(awk '/^Groups:/ { print $2 }' "$st")" "$gid"
t_eq "$D: NoNewPrivs: 1" "$(awk '/^NoNewPrivs:/ { print $2 }' "$st")" 1
t_eq "$D: Seccomp: 2" "$(awk '/^Seccomp:/ { print $2 }' "$st")" 2
t_eq "$D: no effective capabilities" \
    "$(awk '/^CapEff:/ { print $2 }' "$st")" 0000000000000000
t_eq "$D: no permitted capabilities" \
    "$(awk '/^CapPrm:/ { print $2 }' "$st")" 0000000000000000
t_eq "$D: root directory $root" "$(readlink "/proc/$pid/root")" "$root"
t_eq "$D: core file size 0" \
    "$(awk '/^Max core file size/ { print $5, $6 }' "/proc/$pid/limits")" "0 0"
# A process that is not dumpable has its /proc files owned by root.
t_eq "$D: not dumpable" "$(stat -c %u "/proc/$pid/status")" 0
t_match "$D: said it entered the sandbox" "$(cat "$T/$D.log")" \
    "$D: sandbox entered"

# frontd's workers: the same confinement, their own filter stacked on
# the parent's, in the same chroot.
if [ "$D" = frontd ]; then
	n=50
	while [ "$(ps -o pid= --ppid "$pid" | wc -l)" -lt 1 ] && [ $n -gt 0 ]; do
		sleep 0.1; n=$((n - 1))
	done
	kids=$(ps -o pid= --ppid "$pid" | tr -d ' ')
	t_ok "frontd: workers started" [ -n "$kids" ]
	t_eq "frontd: the parent has one filter" \
	    "$(awk '/^Seccomp_filters:/ { print $2 }' "$st")" 1
	for k in $kids; do
		ks=/proc/$k/status
		n=50
		while [ "$(awk '/^Seccomp_filters:/ { print $2 }' "$ks")" != 2 ] &&
		    [ $n -gt 0 ]; do
			sleep 0.1; n=$((n - 1))
		done
		t_eq "worker $k: Uid of $TEST_USER" \
		    "$(awk '/^Uid:/ { print $2, $3, $4, $5 }' "$ks")" "$uid $uid $uid $uid"
		t_eq "worker $k: Gid of $TEST_USER" \
		    "$(awk '/^Gid:/ { print $2, $3, $4, $5 }' "$ks")" "$gid $gid $gid $gid"
		t_eq "worker $k: NoNewPrivs: 1" "$(awk '/^NoNewPrivs:/ { print $2 }' "$ks")" 1
		t_eq "worker $k: Seccomp: 2" "$(awk '/^Seccomp:/ { print $2 }' "$ks")" 2
		t_eq "worker $k: its filter stacked on the parent's" \
		    "$(awk '/^Seccomp_filters:/ { print $2 }' "$ks")" 2
		t_eq "worker $k: no effective capabilities" \
		    "$(awk '/^CapEff:/ { print $2 }' "$ks")" 0000000000000000
		t_eq "worker $k: root directory $root" "$(readlink "/proc/$k/root")" "$root"
		t_eq "worker $k: no new process (RLIMIT_NPROC 0)" \
		    "$(awk '/^Max processes/ { print $3, $4 }' "/proc/$k/limits")" "0 0"
		t_eq "worker $k: not dumpable" "$(stat -c %u "$ks")" 0
	done
	t_match "frontd: a worker said it entered the sandbox" "$(cat "$T/$D.log")" \
	    "frontd worker 1: frontd: sandbox entered"
fi

if [ -n "$WAITING" ]; then
	t_match "$D: confined while its module is missing" "$(cat "$T/$D.log")" \
	    "confined, waiting: the PKCS#11 module cannot be loaded yet"
	t_eq "$D: waiting: one filter" \
	    "$(awk '/^Seccomp_filters:/ { print $2 }' "$st")" 1
	ln -s "$HSM_MODULE" "$T/module.so"
	n=100
	while ! grep -q 'HSM token "cfjl" open' "$T/$D.log" && [ $n -gt 0 ]; do
		sleep 0.1; n=$((n - 1))
	done
	t_match "$D: module there: loaded, no more code mapped" \
	    "$(cat "$T/$D.log")" "module.so loaded: no more code may be mapped"
	t_match "$D: module there: the token opens" "$(cat "$T/$D.log")" \
	    'HSM token "cfjl" open'
	t_eq "$D: module there: the steady-state filter stacked" \
	    "$(awk '/^Seccomp_filters:/ { print $2 }' "$st")" 2
	t_eq "$D: module there: still Seccomp: 2" \
	    "$(awk '/^Seccomp:/ { print $2 }' "$st")" 2
	t_eq "$D: module there: still $TEST_USER" \
	    "$(awk '/^Uid:/ { print $2, $3, $4, $5 }' "$st")" "$uid $uid $uid $uid"
fi

kill -TERM "$pid"
n=100
while kill -0 "$pid" 2>/dev/null && [ $n -gt 0 ]; do sleep 0.1; n=$((n - 1)); done
t_not "$D: stops on SIGTERM" kill -0 "$pid" 2>/dev/null
wait "$pid"
rc=$?
t_eq "$D: exits 0 on SIGTERM" "$rc" 0
[ "$D" != frontd ] || for k in $kids; do
	t_not "frontd: worker $k stopped with it" kill -0 "$k" 2>/dev/null
done
t_not "$D: was never killed by its filter (SIGSYS)" [ "$rc" -eq 159 ]

t_done
