# The whole suite in a private directory, for end-to-end tests and the
# demo: a throwaway PKI, a PostgreSQL cluster, a SoftHSM token with the
# keys made by the key ceremony, a configuration, and the four daemons
# run as the current user.
#
#	. "$TOP/regress/lib/suite.sh"
#	suite_setup		# needs $T (t_tmpdir) or SUITE_DIR
#	suite_start [daemon...]	# default: all four, in dependency order
#	suite_stop [daemon...]
#	suite_kill9 daemon	# crash one
#
# The daemons run with -d and $SUITE_VERBOSE (default -v: the tests read
# their debug lines; empty runs them at their production log level).
# Every daemon started must run under its seccomp filter: suite_start
# of the whole suite checks each one (regress/lib/confine.sh), and
# t_done checks that none was confined only to be killed (SIGSYS).
#	dep_curl / read_curl / nobody_curl ...: curl with a client certificate
#
# Everything lives under $SUITE (default $T): pki/ pg/ hsm/ run/ journal/
# state/ log/ and cfjl.conf.  $SUITE_PORT is frontd's port.  The
# administrators' PKCS#12 files are exported for cfjlctl
# (pki_admin_env); $SUITE_ADMINS adds lines to cfjl.conf.

. "$TOP/regress/lib/pki.sh"
[ -f "$TOP/regress/lib/pg.sh" ] && . "$TOP/regress/lib/pg.sh"
[ -f "$TOP/regress/lib/hsm.sh" ] && . "$TOP/regress/lib/hsm.sh"
. "$TOP/regress/lib/confine.sh"

SUITE_DAEMONS="auditd sealerd stored frontd"
SUITE_PIN=${SUITE_PIN:-87654321}

suite_bin() { echo "${CFJL_BIN:-$TOP}/$1/$1"; }

# A free TCP port on the loopback, different for parallel suites.
suite_free_port()
{
	p=$((20000 + $(od -An -N2 -tu2 /dev/urandom | tr -d ' ') % 30000))
	while ss -Htln "sport = :$p" 2>/dev/null | grep -q .; do p=$((p + 1)); done
	echo "$p"
}

suite_write_conf()
{
	cat > "$SUITE/cfjl.conf" <<CONF
# Written by the test suite.
operator ${SUITE_OPERATOR:-48}
vault ${SUITE_VAULT:-1}
runtime-dir "$SUITE/run"
schemas "$ARJEL/xsd"

ca operator "$SUITE/pki/ca.pem" crl "$SUITE/pki/crl.pem"
ca regulator "$SUITE/pki/regulator-ca.pem" crl "$SUITE/pki/regulator-crl.pem"
${SUITE_CRL_REFRESH:+crl refresh $SUITE_CRL_REFRESH}
role depositor "$PKI_DEPOSITOR_DN"
role reader ca regulator "$PKI_READER_DN"
admin technical "$PKI_TECH_ADMIN_DN"
admin functional "$PKI_FUNC_ADMIN_DN"
${SUITE_ADMINS:-}

lot max-events ${SUITE_LOT_EVENTS:-1000}
lot max-age ${SUITE_LOT_AGE:-1s}
checkpoint every ${SUITE_CHECKPOINT_EVERY:-60s}

frontd {
	listen on 127.0.0.1 port $SUITE_PORT
	tls certificate "$SUITE/pki/server.pem"
	tls key "$SUITE/pki/server.key"
	max-body ${SUITE_MAX_BODY:-1M}
	chroot "$SUITE/empty"
${SUITE_FRONTD:-}
}

stored {
	database "host=$PGHOST port=$PGPORT user=cfjl_store"
	database owner "host=$PGHOST port=$PGPORT user=$(id -un)"
	regulator certificate "$SUITE/pki/regulator.pem"
	cipher ${SUITE_CIPHER:-aes-256-gcm}
}

sealerd {
	pkcs11 module "$HSM_MODULE"
	pkcs11 token "cfjl"
	pkcs11 pin-file "$SUITE/hsm/pin"
	seal key "cfjl-seal" certificate "$SUITE/pki/seal.pem"
	tsa key "cfjl-tsa" certificate "$SUITE/pki/tsa.pem"
	tsa policy "1.3.6.1.4.1.99999.1.1"
	state-dir "$SUITE/state"
	${SUITE_CLOCK:-clock relaxed}
}

auditd {
	journal "$SUITE/journal"
	rotate every ${SUITE_ROTATE_EVERY:-3600s}
	rotate size ${SUITE_ROTATE_SIZE:-16M}
}
CONF
}

suite_setup()
{
	SUITE=${SUITE_DIR:-$T}
	mkdir -p "$SUITE/run" "$SUITE/journal" "$SUITE/state" "$SUITE/log" \
	    "$SUITE/empty" "$SUITE/hsm" || return 1
	chmod 0700 "$SUITE/state" "$SUITE/hsm"
	SUITE_PORT=${SUITE_PORT:-$(suite_free_port)}
	CFJL_URL="https://127.0.0.1:$SUITE_PORT"
	P=$SUITE/pki
	pki_make "$P" || { echo "suite: PKI failed"; return 1; }
	# cfjlctl signs with the administrators' keys (cfjlctl(8)).
	pki_admin_env "$P"
	pg_start "$SUITE/pg" || { echo "suite: PostgreSQL failed"; return 1; }
	t_cleanup_add suite_teardown
	T_DONE_HOOKS="${T_DONE_HOOKS:-} suite_check_sandbox"
	hsm_init "$SUITE/hsm" cfjl "$SUITE_PIN" || { echo "suite: SoftHSM failed"; return 1; }
	printf '%s\n' "$SUITE_PIN" > "$SUITE/hsm/pin"
	chmod 0600 "$SUITE/hsm/pin"
	suite_write_conf
	suite_keys || { echo "suite: key ceremony failed"; return 1; }
	export CFJL_CONF="$SUITE/cfjl.conf"
}

# The key ceremony, with the test CA playing the regulator's PKI.
suite_keys()
{
	k=$(suite_bin cfjl-keys)
	[ -x "$k" ] || { echo "suite: no cfjl-keys: sealing keys not made"; return 0; }
	"$k" -f "$SUITE/cfjl.conf" generate -o "$SUITE/hsm" >"$SUITE/log/keys.log" 2>&1 || return 1
	pki_sign_csr "$P" "$SUITE/hsm/seal.csr" "$SUITE/hsm/seal.crt" seal || return 1
	pki_sign_csr "$P" "$SUITE/hsm/tsa.csr" "$SUITE/hsm/tsa.crt" tsa || return 1
	"$k" -f "$SUITE/cfjl.conf" install seal "$SUITE/hsm/seal.crt" >>"$SUITE/log/keys.log" 2>&1 || return 1
	"$k" -f "$SUITE/cfjl.conf" install tsa "$SUITE/hsm/tsa.crt" >>"$SUITE/log/keys.log" 2>&1 || return 1
}

suite_sock()
{
	case $1 in
	auditd)	 echo "$SUITE/run/audit.sock" ;;
	sealerd) echo "$SUITE/run/sealer.sock" ;;
	stored)	 echo "$SUITE/run/stored.sock" ;;
	frontd)	 echo "$SUITE/run/frontd.ctl" ;;
	esac
}

suite_start()
{
	for _d in ${*:-$SUITE_DAEMONS}; do
		d=$_d
		b=$(suite_bin "$d")
		[ -x "$b" ] || { echo "suite: $d is not built"; return 1; }
		rm -f "$(suite_sock "$d")"
		"$b" -d ${SUITE_VERBOSE--v} -f "$SUITE/cfjl.conf" \
		    >>"$SUITE/log/$d.log" 2>&1 &
		echo $! > "$SUITE/run/$d.pid"
		if ! t_wait_path "$(suite_sock "$d")" 15; then
			echo "suite: $d did not start; its log:"
			tail -n 20 "$SUITE/log/$d.log"
			return 1
		fi
	done
	if [ -z "$*" ] || echo "$*" | grep -q frontd; then
		suite_wait_port || { echo "suite: frontd does not listen"; tail -n 20 "$SUITE/log/frontd.log"; return 1; }
	fi
	[ -n "$*" ] || suite_assert_confined
}

# At t_done: the daemons still running are confined, none died of SIGSYS.
suite_check_sandbox()
{
	suite_assert_confined
	t_ok "no daemon killed by its seccomp filter" suite_no_sigsys
}

suite_wait_port()
{
	_n=100
	while ! ss -Htln "sport = :$SUITE_PORT" | grep -q .; do
		_n=$((_n - 1)); [ $_n -gt 0 ] || return 1; sleep 0.1
	done
}

suite_pid() { cat "$SUITE/run/$1.pid" 2>/dev/null; }

suite_stop()
{
	for d in ${*:-frontd stored sealerd auditd}; do
		pid=$(suite_pid "$d") || continue
		[ -n "$pid" ] || continue
		kill "$pid" 2>/dev/null
		_n=50
		while kill -0 "$pid" 2>/dev/null && [ $_n -gt 0 ]; do sleep 0.1; _n=$((_n - 1)); done
		kill -9 "$pid" 2>/dev/null
		suite_reap "$d" "$pid"
		rm -f "$SUITE/run/$d.pid"
	done
}

suite_kill9()
{
	pid=$(suite_pid "$1") && kill -9 "$pid" 2>/dev/null &&
	    suite_reap "$1" "$pid"
	sleep 0.2
	rm -f "$SUITE/run/$1.pid" "$(suite_sock "$1")"
}

suite_teardown()
{
	suite_stop
	pg_stop "$SUITE/pg" 2>/dev/null
	return 0
}

# curl as a given client: _suite_curl NAME curl-args...
_suite_curl()
{
	_who=$1; shift
	curl -sS --max-time 30 --cacert "$P/ca.pem" --cert "$P/$_who.pem" \
	    --key "$P/$_who.key" "$@"
}
dep_curl()	{ _suite_curl depositor "$@"; }
read_curl()	{ _suite_curl reader "$@"; }
nobody_curl()	{ _suite_curl nobody "$@"; }

# A sample trace ready to deposit: IDEvt set to 0.
suite_sample()
{
	sed 's|<IDEvt>1</IDEvt>|<IDEvt>0</IDEvt>|' "$ARJEL/samples/$1.xml"
}

# suite_dbhosts HOSTS LEVEL: stored, its owner connection and this
# shell's psql reach whichever of HOSTS (socket directories, comma
# separated) is the primary, and stored commits with synchronous-commit
# LEVEL.  Before the daemons start.
suite_dbhosts()
{
	_multi="host=$1 port=$PGPORT target_session_attrs=read-write"
	sed -i -e "s|database \"host=$PGHOST port=$PGPORT user=cfjl_store\"|database \"$_multi user=cfjl_store\"\\
	synchronous-commit $2|" \
	    -e "s|database owner \"host=$PGHOST port=$PGPORT |database owner \"$_multi |" \
	    "$SUITE/cfjl.conf" || return 1
	PGHOST=$1 PGTARGETSESSIONATTRS=read-write
	export PGHOST PGTARGETSESSIONATTRS
}

# psql on the vault's database as the cluster owner.
suite_psql()
{
	psql -X -q -A -t -h "$PGHOST" -p "$PGPORT" -d "cfjl_${SUITE_OPERATOR:-48}" -c "$1"
}

# suite_wait_sealed N SECS: wait until every lot is sealed and the lots
# end at IDEvt N; prints "open last" (unsealed lots, last IDEvt in a lot).
suite_wait_sealed()
{
	_w=0
	while :; do
		_wo=$(suite_psql 'SELECT count(*) FROM lots l LEFT JOIN lot_seals s USING (numero) WHERE s.numero IS NULL')
		_wl=$(suite_psql 'SELECT coalesce(max(last), 0) FROM lots')
		[ "$_wo" = 0 ] && [ "$_wl" = "$1" ] && break
		[ $_w -ge $(($2 * 10)) ] && break
		sleep 0.1; _w=$((_w + 1))
	done
	echo "$_wo $_wl"
}
