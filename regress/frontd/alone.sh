# frontd on its own (no stored, no auditd) in $T, for the end-to-end
# tests of TLS, HTTP, roles and trace checks.  Sourced after common.sh.
#
#	alone_start [extra frontd lines]	($ALONE_TLS: the key lines)
#	http POST|GET name path [curl args...]   -> $CODE, body in $T/body
#	alone_stop

. "$TOP/regress/lib/pki.sh"
FRONTD=${CFJL_BIN:-$TOP}/frontd/frontd
P=$T/pki

alone_port()
{
	p=$(awk -v s="$$" 'BEGIN { srand(); print 20000 + (int(rand() * 30000) + s) % 30000 }')
	while ss -Htln "sport = :$p" 2>/dev/null | grep -q .; do p=$((p + 1)); done
	echo "$p"
}

alone_start()
{
	[ -x "$FRONTD" ] || t_skip "frontd not built"
	[ -f "$P/ca.pem" ] || pki_make "$P" || { echo "PKI failed"; exit 2; }
	mkdir -p "$T/run" "$T/empty"
	PORT=$(alone_port)
	URL=https://127.0.0.1:$PORT
	cat > "$T/cfjl.conf" <<CONF
operator 48
vault 1
runtime-dir "$T/run"
schemas "$ARJEL/xsd"
ca operator "$P/ca.pem" crl "$P/crl.pem"
ca regulator "$P/regulator-ca.pem" crl "$P/regulator-crl.pem"
role depositor "$PKI_DEPOSITOR_DN"
role reader "$PKI_READER_DN"
frontd {
	listen on 127.0.0.1 port $PORT
${ALONE_TLS:-	tls certificate "$P/server.pem"
	tls key "$P/server.key"}
	max-body 64K
	chroot "$T/empty"
$*
}
CONF
	"$FRONTD" -d -vv -f "$T/cfjl.conf" > "$T/frontd.log" 2>&1 &
	FRONTD_PID=$!
	t_cleanup_add alone_stop
	n=100
	while ! ss -Htln "sport = :$PORT" | grep -q .; do
		n=$((n - 1))
		if [ $n -le 0 ] || ! kill -0 "$FRONTD_PID" 2>/dev/null; then
			echo "frontd did not start:"; cat "$T/frontd.log"; exit 1
		fi
		sleep 0.1
	done
}

alone_stop()
{
	[ -n "${FRONTD_PID:-}" ] || return 0
	kill "$FRONTD_PID" 2>/dev/null
	n=50
	while kill -0 "$FRONTD_PID" 2>/dev/null && [ $n -gt 0 ]; do sleep 0.1; n=$((n - 1)); done
	kill -9 "$FRONTD_PID" 2>/dev/null
	FRONTD_PID=
}

# http METHOD CLIENT PATH [curl args]: CLIENT is a pki name or "none".
http()
{
	m=$1; who=$2; path=$3; shift 3
	if [ "$who" = none ]; then
		set -- --cacert "$P/ca.pem" "$@"
	else
		set -- --cacert "$P/ca.pem" --cert "$P/$who.pem" --key "$P/$who.key" "$@"
	fi
	CODE=$(curl -sS --max-time 10 -o "$T/body" -D "$T/headers" \
	    -w '%{http_code}' -X "$m" "$@" "$URL$path" 2>"$T/curl.err")
	CURL_RC=$?
}

# deposit CLIENT FILE [curl args]
deposit()
{
	who=$1; f=$2; shift 2
	http POST "$who" /v1/events -H 'Content-Type: application/xml' \
	    --data-binary @"$f" "$@"
}

sample0()
{
	sed 's|<IDEvt>1</IDEvt>|<IDEvt>0</IDEvt>|' "$ARJEL/samples/$1.xml"
}
