# Helpers for stored's tests: a private PostgreSQL cluster, a regulator
# key, a configuration, and stored itself started and stopped, with
# auditd on $T/journal (stored acknowledges nothing its journal has not).
# auditd runs in a runtime directory of its own, $T/arun, its audit.sock
# linked into $T/run: the stand-in for sealerd on $T/run/sealer.sock is
# for stored alone.
#
#	. "$(dirname "$0")/stored.sh"	# after common.sh, t_unprivileged, t_tmpdir
#	st_setup [cfg-lines...]		# cluster, key, $T/cfjl.conf
#	st_start / st_stop / st_kill
#	st_client ARGS...		# regress/stored/stored_client -d $T/run
#	st_sql "SQL"			# psql on the vault's database as owner

. "$TOP/regress/lib/pg.sh"
. "$TOP/regress/auditd/auditd.sh"

STORED=$TOP/stored/stored
CLIENT=$TOP/regress/stored/stored_client
ST_DB=cfjl_48

st_need()
{
	[ -x "$STORED" ] || t_skip "stored not built (make -C stored)"
	[ -x "$CLIENT" ] || t_skip "stored_client not built (make -C regress all)"
	ad_need
	[ -d "$ARJEL/samples" ] || t_skip "no ARJEL samples in $ARJEL"
	pg_bin >/dev/null || t_skip "PostgreSQL server binaries not installed"
}

# A sample trace with IDEvt 0, as a capture agent sends it.
st_sample()
{
	sed 's|<IDEvt>1</IDEvt>|<IDEvt>0</IDEvt>|' "$ARJEL/samples/$1.xml" > "$T/$1.xml"
	echo "$T/$1.xml"
}

# st_conf [extra lines for the stored block]: writes $T/cfjl.conf.
st_conf()
{
	{
		echo "operator ${ST_OPERATOR:-48}"
		echo "vault ${ST_VAULT:-1}"
		echo "runtime-dir \"$T/run\""
		echo "lot max-events ${ST_LOT_MAX:-1000}"
		echo "lot max-age ${ST_LOT_AGE:-1s}"
		echo "ca regulator \"$T/regca.pem\""
		echo "stored {"
		echo "	database \"host=$PGHOST port=$PGPORT ${ST_DBEXTRA:-}\""
		echo "	regulator certificate \"$T/reg.pem\""
		echo "	cipher ${ST_CIPHER:-aes-256-gcm}"
		echo "	commit-delay ${ST_DELAY:-2ms}"
		echo "	commit-max ${ST_COMMIT_MAX:-2000}"
		for l; do echo "	$l"; done
		echo "}"
	} > "$T/cfjl.conf"
}

# auditd for stored, on $T/journal, its socket linked into $T/run.
st_audit_start()
{
	mkdir -p "$T/arun" && chmod 0700 "$T/arun"
	{
		printf 'operator 48\nvault 1\nruntime-dir "%s"\n' "$T/arun"
		ad_block
	} > "$T/auditd.conf"
	rm -f "$T/arun/audit.sock" "$T/arun/auditd.ctl"
	"$AUDITD" -d -f "$T/auditd.conf" >>"$T/auditd.log" 2>&1 &
	AD_PID=$!
	if ! t_wait_path "$T/arun/auditd.ctl" 10; then
		echo "auditd did not start:"; tail -n 20 "$T/auditd.log"
		return 1
	fi
	ln -sf "$T/arun/audit.sock" "$T/run/audit.sock"
}

st_setup()
{
	st_need
	mkdir -p "$T/run" && chmod 0700 "$T/run"
	ad_dirs || exit 2
	pg_start "$T/pg" || exit 2
	# The regulator's CA, and its encryption certificate.
	openssl req -x509 -newkey rsa:2048 -nodes -keyout "$T/regca.key" \
	    -out "$T/regca.pem" -subj "/CN=Regulateur CA/O=ANJ/C=FR" -days 2 \
	    -addext "basicConstraints=critical,CA:true" \
	    -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null || exit 2
	openssl req -new -newkey rsa:2048 -nodes -keyout "$T/reg.key" \
	    -out "$T/reg.csr" -subj "/CN=Regulateur/O=ANJ/C=FR" 2>/dev/null || exit 2
	printf '%s\n' "basicConstraints=critical,CA:false" \
	    "keyUsage=critical,keyEncipherment,dataEncipherment" > "$T/reg.ext"
	openssl x509 -req -in "$T/reg.csr" -CA "$T/regca.pem" -CAkey "$T/regca.key" \
	    -CAcreateserial -days 2 -sha256 -extfile "$T/reg.ext" -out "$T/reg.pem" \
	    2>/dev/null || exit 2
	st_conf "$@"
	t_cleanup_add st_stop
}

# Start stored in the foreground (-d) and wait until it serves; auditd
# first if it is not running.
st_start()
{
	if [ -z "${AD_PID:-}" ]; then st_audit_start || return 1; fi
	"$STORED" -d -f "$T/cfjl.conf" >>"$T/stored.log" 2>&1 &
	ST_PID=$!
	_sn=100
	while [ $_sn -gt 0 ]; do
		if ! kill -0 "$ST_PID" 2>/dev/null; then
			wait "$ST_PID" 2>/dev/null
			ST_PID=""
			return 1
		fi
		if [ -S "$T/run/stored.sock" ] &&
		    st_client status 2>/dev/null | grep -q '"database_state":"up"'; then
			return 0
		fi
		sleep 0.1
		_sn=$((_sn - 1))
	done
	echo "stored did not come up"; tail -n 20 "$T/stored.log"
	return 1
}

st_stop()
{
	[ -n "${ST_PID:-}" ] || return 0
	kill "$ST_PID" 2>/dev/null
	wait "$ST_PID" 2>/dev/null
	ST_PID=""
}

st_kill()
{
	[ -n "${ST_PID:-}" ] || return 0
	kill -9 "$ST_PID" 2>/dev/null
	wait "$ST_PID" 2>/dev/null
	ST_PID=""
}

st_client() { "$CLIENT" -d "$T/run" "$@"; }

st_sql() { pg_psql -d "$ST_DB" -c "$1"; }

# Decrypt IDEvt N's .p7m from the database into a file.
st_decrypt()
{
	st_sql "SELECT encode(p7m, 'hex') FROM events WHERE idevt = $1" |
	    perl -ne 'chomp; print pack("H*", $_)' > "$T/e.p7m"
	openssl cms -decrypt -inform DER -in "$T/e.p7m" -recip "$T/reg.pem" \
	    -inkey "$T/reg.key" -out "$2" 2>/dev/null
}
