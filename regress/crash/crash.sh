# The crash campaign's parts, shared by campaign (make crash, and its
# quick mode in make test) and soak (make soak): the suite under the
# load generator in crash mode, a process of the vault killed and
# brought back, and the checks of what was acknowledged against what
# the vault holds.
#
#	crash_setup		suite, load generator (rate $CRASH_RATE/s);
#				with CRASH_FAILOVER=1 a synchronous standby
#	crash_kill VICTIM	frontd stored sealerd auditd pg-stop pg-kill,
#				failover (regress/crash/failover.sh)
#	crash_restart VICTIM	and wait until it is ready
#	crash_check_new		acknowledgements since the last check
#	crash_export_start / crash_export_end	an export now and then
#	crash_finish		stop the load; the final checks
#
# The acknowledgement file $T/acks (bench/resend.c) has one line per
# acknowledged trace: IDEvt digest Client-Id how.

. "$TOP/regress/lib/suite.sh"
. "$TOP/regress/lib/agents.sh"
. "$TOP/regress/crash/failover.sh"

LOADGEN=$TOP/bench/loadgen
VERIFY=$TOP/cfjl-verify/cfjl-verify
CTL=$TOP/cfjlctl/cfjlctl
CRASH_RATE=${CRASH_RATE:-40}
CRASH_VICTIMS="frontd stored sealerd auditd pg-stop pg-kill"
CRASH_CHECKED=0		# acknowledgement lines checked so far
CRASH_EXPORTS=0		# exports completed and verified
CRASH_CUT=0		# exports cut by a kill, refused by cfjl-verify
CRASH_FAILOVER=${CRASH_FAILOVER:-}	# 1: a primary and a synchronous standby

crash_setup()
{
	[ -x "$LOADGEN" ] || t_skip "bench/loadgen is not built (make -C bench loadgen)"
	# Built with sanitizers, the daemons would count ASan's quarantine
	# (256 MB each) as growth: it is kept to 1 MB, and the redzones and
	# shadow of what they allocate get a wider bound.
	CRASH_RSS_MAX=16384
	if t_sanitized "$(suite_bin stored)"; then
		ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}quarantine_size_mb=1"
		export ASAN_OPTIONS
		CRASH_RSS_MAX=65536
	fi
	SUITE_LOT_EVENTS=${SUITE_LOT_EVENTS:-200}
	SUITE_LOT_AGE=${SUITE_LOT_AGE:-1s}
	suite_setup || return 1
	# PostgreSQL as a child of this shell, so that a postmaster killed
	# is reaped at once (an orphan waits for init, and its lock file
	# holds the next start back meanwhile).
	CRASH_PRIMARY=$SUITE/pg
	pg_stop "$SUITE/pg" && crash_pg_start || return 1
	[ -z "$CRASH_FAILOVER" ] || failover_setup || return 1
	suite_start || return 1
	: > "$T/acked.ids"
	: > "$T/acks"
	# Single traces and batches of 5, with and without Client-Id;
	# every 50th answer asked again.
	"$LOADGEN" -p "$SUITE_PORT" -a "$P/ca.pem" -e "$P/depositor.pem" \
	    -k "$P/depositor.key" -s "$ARJEL/samples" -c 4 -d 1 \
	    -r "$CRASH_RATE" -b 5 -B 20 -C 75 -A "$T/acks" -E 50 \
	    -t 86400 >"$T/loadgen.json" 2>"$T/loadgen.err" &
	CRASH_LG=$!
	t_cleanup_add crash_lg_stop
	_n=100
	while [ ! -s "$T/acks" ] && [ $_n -gt 0 ]; do sleep 0.1; _n=$((_n - 1)); done
	[ -s "$T/acks" ] || { echo "crash: no deposit acknowledged"; cat "$T/loadgen.err"; return 1; }
	# An export proves its end by the vault's newest checkpoint, sealed
	# in the vault's first seconds: the tests export from then on.
	_n=150
	until [ "$(read_curl -o /dev/null -w '%{http_code}' \
	    "$CFJL_URL/v1/checkpoint" 2>/dev/null)" = 200 ] || [ $_n -le 0 ]; do
		sleep 0.1; _n=$((_n - 1))
	done
	[ $_n -gt 0 ] || { echo "crash: no checkpoint sealed"; return 1; }
}

crash_lg_stop()
{
	[ -n "${CRASH_LG:-}" ] || return 0
	kill "$CRASH_LG" 2>/dev/null
	kill "$CRASH_LG" 2>/dev/null
	CRASH_LG=""
}

# crash_pg_start [DIR]: start the postmaster of the cluster in DIR
# (default the primary's) in the background; return once it accepts
# connections.  Its pid: CRASH_PG for the primary, CRASH_PG2 for the
# standby.
crash_pg_start()
{
	_pgd=${1:-$CRASH_PRIMARY}
	"$PGBIN/postgres" -D "$_pgd/data" >>"$_pgd/server.log" 2>&1 &
	_pgp=$!
	if [ "$_pgd" = "$CRASH_PRIMARY" ]; then CRASH_PG=$_pgp; else CRASH_PG2=$_pgp; fi
	# Its own counter: callers count their attempts in _n.
	_pgw=0
	until PGTARGETSESSIONATTRS=any "$PGBIN/pg_isready" -q -h "$_pgd" \
	    -p "$PGPORT" -d postgres; do
		kill -0 "$_pgp" 2>/dev/null || { wait "$_pgp"; return 1; }
		_pgw=$((_pgw + 1))
		[ $_pgw -lt 600 ] || return 1
		sleep 0.05
	done
}

# crash_kill VICTIM: SIGKILL (or PostgreSQL's immediate stop), now.
crash_kill()
{
	case $1 in
	pg-stop)
		"$PGBIN/pg_ctl" -D "$CRASH_PRIMARY/data" -m immediate -w -t 30 \
		    stop >/dev/null 2>&1
		wait "$CRASH_PG" 2>/dev/null ;;
	pg-kill|failover)
		kill -9 "$CRASH_PG" 2>/dev/null
		wait "$CRASH_PG" 2>/dev/null ;;
	*)
		_pid=$(suite_pid "$1")
		[ -n "$_pid" ] || { echo "crash: $1 has no pid"; return 1; }
		kill -9 "$_pid" 2>/dev/null
		# A child of this shell: reaped, and its status known.
		wait "$_pid" 2>/dev/null
		rm -f "$SUITE/run/$1.pid" "$(suite_sock "$1")" ;;
	esac
}

# crash_restart VICTIM: bring it back; return once it is ready.
crash_restart()
{
	case $1 in
	pg-stop|pg-kill)
		# After a SIGKILL of the postmaster its backends leave on
		# their own; a start before they did fails: start again.
		_n=0
		until crash_pg_start; do
			_n=$((_n + 1))
			[ $_n -lt 50 ] || { echo "crash: PostgreSQL does not start"; tail -n 5 "$CRASH_PRIMARY/server.log"; return 1; }
			sleep 0.1
		done ;;
	failover)
		failover_promote ;;
	*)
		suite_start "$1" >"$T/start.out" 2>&1 ||
		    { cat "$T/start.out"; return 1; } ;;
	esac
}

# Every daemon still runs, each under its seccomp filter (unless
# CRASH_CONFINED=0); one that left by itself is named with how it ended.
crash_alive()
{
	_ok=0
	for _d in $SUITE_DAEMONS; do
		_pid=$(suite_pid "$_d")
		if ! crash_running "$_pid"; then
			wait "$_pid" 2>/dev/null
			echo "crash: $_d (pid $_pid) is gone, exit status $?"
			tail -n 5 "$SUITE/log/$_d.log"
			_ok=1
		elif [ "${CRASH_CONFINED:-1}" != 0 ] && ! suite_confined "$_d"; then
			echo "crash: $_d runs without its seccomp filter"
			_ok=1
		fi
	done
	if [ -n "$CRASH_FAILOVER" ] && ! crash_running "$CRASH_PG2"; then
		echo "crash: the standby's postmaster (pid $CRASH_PG2) is gone"
		tail -n 5 "$CRASH_STANDBY/server.log"
		_ok=1
	fi
	return $_ok
}

crash_acks() { wc -l < "$T/acks"; }

# PID runs (a zombie, dead but not yet reaped, does not).
crash_running()
{
	[ -n "$1" ] && [ -r "/proc/$1/stat" ] &&
	    ! sed 's/^.*) //' "/proc/$1/stat" 2>/dev/null | grep -q '^Z'
}

# crash_sql FILE: what the vault holds of the acknowledgements in FILE:
# "missing wrong-client-id events max-idevt broken-lot-links".
crash_sql()
{
	psql -X -q -A -t -v ON_ERROR_STOP=1 -h "$PGHOST" -p "$PGPORT" \
	    -d "cfjl_${SUITE_OPERATOR:-48}" <<SQL
CREATE TEMP TABLE a (idevt bigint, digest text, cid text, how text);
\\copy a FROM '$1' WITH (DELIMITER ' ')
SELECT (SELECT count(*) FROM a LEFT JOIN events e USING (idevt)
         WHERE e.idevt IS NULL OR encode(e.digest, 'hex') <> a.digest)
 || ' ' || (SELECT count(*) FROM a WHERE cid <> '-' AND NOT EXISTS
         (SELECT 1 FROM client_ids c WHERE c.client_id = a.cid
           AND c.idevt = a.idevt))
 || ' ' || (SELECT count(*) || ' ' || coalesce(max(idevt), 0) FROM events)
 || ' ' || (SELECT count(*) FROM (SELECT numero, first,
         lag(numero) OVER w AS pn, lag(last) OVER w AS pl
         FROM lots WINDOW w AS (ORDER BY numero)) l
         WHERE pn IS NOT NULL AND (numero <> pn + 1 OR first <> pl + 1));
SQL
}

# The acknowledgements that came since the last check, against the
# database: present with their digest and Client-Id; none with an IDEvt
# acknowledged before; IDEvt 1..max without a gap; the lots following
# each other.  "" when all hold.
crash_check_new()
{
	_n=$(crash_acks)
	[ "$_n" -gt "$CRASH_CHECKED" ] || return 0
	sed -n "$((CRASH_CHECKED + 1)),${_n}p" "$T/acks" > "$T/acks.new"
	# Every IDEvt acknowledged so far, sorted: the new ones merged in.
	cut -d' ' -f1 "$T/acks.new" | sort -n > "$T/ids.new"
	sort -n -m "$T/acked.ids" "$T/ids.new" > "$T/ids.all"
	_d=$(uniq -d "$T/ids.all" | head -n 3 | tr '\n' ' ')
	mv "$T/ids.all" "$T/acked.ids"
	[ -z "$_d" ] || { CRASH_CHECKED=$_n; echo "IDEvt acknowledged twice: $_d"; return 1; }
	_r=$(crash_sql "$T/acks.new" 2>&1) || { echo "database: $_r"; return 1; }
	set -- $_r
	CRASH_CHECKED=$_n
	[ "$1" = 0 ] || { echo "$1 acknowledged events missing or with another digest"; return 1; }
	[ "$2" = 0 ] || { echo "$2 Client-Ids not naming the IDEvt acknowledged"; return 1; }
	[ "$3" = "$4" ] || { echo "IDEvt 1..$4 with $3 events: a gap"; return 1; }
	[ "$5" = 0 ] || { echo "$5 lots not following the one before"; return 1; }
	return 0
}

# An export of the last sealed events, in the background, cut or not by
# the next kill.
crash_export_start()
{
	_last=$(suite_psql "SELECT coalesce(max(l.last), 0) FROM lots l JOIN lot_seals USING (numero)" 2>/dev/null)
	[ -n "$_last" ] && [ "$_last" -gt 0 ] || return 0
	_from=$(( _last > 300 ? _last - 300 : 1 ))
	read_curl --max-time 20 -o "$T/export.tar" -w '%{http_code}' \
	    "$CFJL_URL/v1/export?from=$_from&to=$_last" >"$T/export.code" 2>/dev/null &
	CRASH_EXPORT=$!
}

# The export finished: a whole bundle verifies, a cut one is refused.
crash_export_end()
{
	[ -n "${CRASH_EXPORT:-}" ] || return 0
	wait "$CRASH_EXPORT"; _rc=$?
	CRASH_EXPORT=""
	"$VERIFY" -t "$P/trust.pem" "$T/export.tar" >"$T/export.verify" 2>&1
	_v=$?
	if [ $_rc -eq 0 ] && [ "$(cat "$T/export.code")" = 200 ]; then
		[ $_v -eq 0 ] || { echo "a whole export does not verify:"; grep -E 'FAIL|ERROR' "$T/export.verify" | head -n 5; return 1; }
		CRASH_EXPORTS=$((CRASH_EXPORTS + 1))
	elif [ -s "$T/export.tar" ] && [ "$(cat "$T/export.code")" = 200 ]; then
		[ $_v -ne 0 ] || { echo "a cut export verified"; return 1; }
		CRASH_CUT=$((CRASH_CUT + 1))
	fi
	return 0
}

# Stop the load (pending requests are finished first), wait until every
# lot is sealed, and check everything.  Prints the verdict line.
crash_finish()
{
	kill "$CRASH_LG" 2>/dev/null
	_n=0
	while kill -0 "$CRASH_LG" 2>/dev/null && [ $_n -lt 600 ]; do sleep 0.1; _n=$((_n + 1)); done
	wait "$CRASH_LG"; _lgrc=$?
	CRASH_LG=""
	t_eq "the load generator found every answer right" "$_lgrc" 0
	[ "$_lgrc" -eq 0 ] || { cat "$T/loadgen.err" | head -n 20; }
	t_log "# loadgen: $(cat "$T/loadgen.json")"
	crash_alive > "$T/why" 2>&1
	t_eq "every daemon alive and confined at the end$(tr '\n' ' ' < "$T/why")" "$?" 0
	crash_check_new > "$T/why" 2>&1 ||
	    t_fail "last acknowledgements: $(cat "$T/why")"

	# The whole file again, once everything is quiet.
	_r=$(crash_sql "$T/acks" 2>&1)
	set -- $_r
	M=$(crash_acks)
	t_eq "every acknowledged IDEvt stored with its digest" "$1" 0
	t_eq "every Client-Id names the IDEvt acknowledged for it" "$2" 0
	t_eq "IDEvt 1..$4 without a gap" "$3" "$4"
	t_eq "no IDEvt acknowledged twice" \
	    "$(cut -d' ' -f1 "$T/acks" | sort -n | uniq -d | head -n 3)" ""
	t_eq "the lots follow each other" "$5" 0
	CRASH_LOST=$1
	CRASH_MAX=$4
	[ -z "$CRASH_FAILOVER" ] || failover_standby_check

	# Every event sealed, then one export of everything.
	t_eq "every event closed into a sealed lot" \
	    "$(suite_wait_sealed "$CRASH_MAX" 30)" "0 $CRASH_MAX"
	# Everything, or the last CRASH_EXPORT_MAX events (the soak's
	# millions would take cfjl-verify -k a long while to decrypt).
	_from=1
	[ -n "${CRASH_EXPORT_MAX:-}" ] && [ "$CRASH_MAX" -gt "$CRASH_EXPORT_MAX" ] &&
	    _from=$((CRASH_MAX - CRASH_EXPORT_MAX + 1))
	_c=$(read_curl --max-time 300 -o "$T/all.tar" -w '%{http_code}' \
	    "$CFJL_URL/v1/export?from=$_from&to=$CRASH_MAX")
	t_eq "export of IDEvt $_from..$CRASH_MAX" "$_c" 200
	"$VERIFY" -t "$P/trust.pem" -k "$P/regulator.key" -o "$T/plain" \
	    "$T/all.tar" >"$T/all.verify" 2>&1
	_rc=$?
	t_eq "cfjl-verify -k: every lot chains and verifies, every event decrypts" "$_rc" 0
	[ $_rc -eq 0 ] || grep -E 'FAIL|ERROR' "$T/all.verify" | head -n 10
	# The decrypted traces are what was acknowledged, digest for digest.
	(cd "$T/plain" && sha256sum -- *.xml) |
	    awk '{ f = $2; sub(/\.xml$/, "", f); print f + 0, $1 }' |
	    LC_ALL=C sort -k1,1 > "$T/plain.sum"
	# The export holds whole lots: every acknowledgement from $_from on.
	awk -v f="$_from" '$1 >= f { print $1, $2 }' "$T/acks" |
	    LC_ALL=C sort -k1,1 > "$T/acks.sum"
	_want=$(wc -l < "$T/acks.sum")
	_ok=$(LC_ALL=C join "$T/acks.sum" "$T/plain.sum" | awk '$2 == $3' | wc -l)
	t_eq "every acknowledged trace exported decrypts to its digest ($_want)" "$_ok" "$_want"
	CRASH_LOST=$(( CRASH_LOST + _want - _ok ))

	# The journal: the current file closed and sealed, the chain whole.
	crash_journal_close
	"$VERIFY" journal -t "$P/trust.pem" "$SUITE/journal" >"$T/journal.verify" 2>&1
	_rc=$?
	t_eq "cfjl-verify journal: the journal verifies" "$_rc" 0
	[ $_rc -eq 0 ] || grep -E 'FAIL|ERROR' "$T/journal.verify" | head -n 10
	t_ok "no daemon killed by its seccomp filter" suite_no_sigsys
	CRASH_UNJOURNALED=$(crash_lots_journaled)
	t_eq "every acknowledged IDEvt is in the journal" \
	    "$(crash_acks_journaled)" ""
}

# cfjlctl journal close, and wait for the closed file's seal.
crash_journal_close()
{
	_o=$("$CTL" -s "$SUITE/run" journal close 2>&1)
	t_match "journal close" "$_o" "^closed "
	_f=$(printf '%s' "$_o" | sed -n 's/^closed \([0-9]*\)\.log.*/\1/p')
	_n=100
	while ! grep -q '<Signature Algorithm="CMS">' "$SUITE/journal/$_f.xml" 2>/dev/null &&
	    [ $_n -gt 0 ]; do
		sleep 0.1; _n=$((_n - 1))
	done
}

# crash_try NAME: one deposit with curl, a Client-Id of its own:
# "HTTP-code Retry-After status" ("-" for what is absent).
crash_try()
{
	suite_sample CPTEALIM > "$T/try.xml"
	agent_post "$T/try.xml" \
	    "try-$(printf '%s' "$1" | tr -c 'A-Za-z0-9.-' '-')" "$T/try" 15
}

# The sum of VmRSS (kB) of every process of the four daemons.
crash_rss()
{
	for _d in $SUITE_DAEMONS; do
		_pid=$(suite_pid "$_d")
		for _p in $_pid $(suite_descendants "$_pid"); do
			sed -n 's/^VmRSS:[[:space:]]*\([0-9]*\).*/\1/p' "/proc/$_p/status" 2>/dev/null
		done
	done | awk '{ s += $1 } END { print s + 0 }'
}

# crash_outage WHAT SECONDS: while a resource is gone (the caller took
# it away), for SECONDS: deposits are refused with 503 and Retry-After,
# nothing is acknowledged (unless ACKS_ALLOWED is set: sealing stops but
# deposits go on), a reader is still served, memory stays bounded.
crash_outage()
{
	_what=$1
	sleep 1		# what was in flight is answered
	_a=$(crash_acks)
	_rss0=$(crash_rss)
	_i=0; _seen=""
	_end=$(( $(date +%s) + $2 ))
	while [ "$(date +%s)" -lt $_end ]; do
		_i=$((_i + 1))
		_seen="$_seen$(crash_try "$_what-$_i")
"
		sleep 0.3
	done
	_rss1=$(crash_rss)
	if [ -z "${ACKS_ALLOWED:-}" ]; then
		t_eq "$_what: nothing acknowledged meanwhile" "$(crash_acks)" "$_a"
		t_eq "$_what: every deposit answered 503 with Retry-After, CFJL_UNAVAILABLE" \
		    "$(printf '%s' "$_seen" | awk '!($1 == 503 && $2 >= 1 && $3 == "CFJL_UNAVAILABLE")' | sort | uniq -c | head -n 3)" ""
	else
		t_ok "$_what: deposits still acknowledged" test "$(crash_acks)" -gt "$_a"
		t_eq "$_what: every deposit answered 201" \
		    "$(printf '%s' "$_seen" | awk '$1 != 201' | head -n 3)" ""
	fi
	_c=$(read_curl --max-time 5 -o "$T/status.json" -w '%{http_code}' "$CFJL_URL/v1/status")
	t_eq "$_what: a reader is still served" "$_c" 200
	t_log "# $_what: RSS of the daemons $_rss0 kB before, $_rss1 kB after $2 s"
	t_ok "$_what: memory bounded (RSS grew by less than $((CRASH_RSS_MAX / 1024)) MB)" \
	    test $(( _rss1 - _rss0 )) -lt "$CRASH_RSS_MAX"
}

# crash_recovers WHAT: deposits acknowledged again within 20 s, nothing
# restarted by hand.
crash_recovers()
{
	_a=$(crash_acks)
	_n=0
	while [ "$(crash_acks)" -le "$_a" ] && [ $_n -lt 200 ]; do sleep 0.1; _n=$((_n + 1)); done
	t_ok "$1: deposits acknowledged again, by themselves ($((_n / 10)) s)" test "$(crash_acks)" -gt "$_a"
	_r=$(crash_try "$1-after")
	t_match "$1: a deposit after it: 201" "$_r" '^201 - CFJL_OK$'
	t_ok "every daemon alive and confined" crash_alive
}

# crash_supervise DAEMON: start it again a second after it stopped, as
# its service unit does (Restart=on-failure, RestartSec=1s), until
# crash_unsupervise.
crash_supervise()
{
	touch "$T/supervise"
	(
		while [ -e "$T/supervise" ]; do
			_pid=$(suite_pid "$1")
			if ! crash_running "$_pid"; then
				echo "$(date +%T) $1 is gone: started again" >> "$T/supervise.log"
				rm -f "$SUITE/run/$1.pid"
				suite_start "$1" >> "$T/supervise.log" 2>&1
			fi
			sleep 1
		done
	) &
	CRASH_SUPERVISOR=$!
}

crash_unsupervise()
{
	rm -f "$T/supervise"
	wait "$CRASH_SUPERVISOR" 2>/dev/null
}

# Every closed lot has its "lot N closed" record in the journal: the
# records a daemon could not hand to auditd were kept and sent later.
# Prints the lots without one.
crash_lots_journaled()
{
	suite_psql "SELECT numero FROM lots ORDER BY numero" > "$T/lots.db"
	cat "$SUITE"/journal/*.log 2>/dev/null |
	    sed -n 's/.*"event":"deposit".*"details":"lot \([0-9]*\) closed:.*/\1/p' |
	    sort -n -u > "$T/lots.journal"
	comm -23 "$T/lots.db" "$T/lots.journal" | tr '\n' ' '
}

# Every acknowledged IDEvt is covered by a deposit group's record, or by
# the record of a duplicate answer (a resend after a lost answer).
# Prints the first ones that are not.
crash_acks_journaled()
{
	cat "$SUITE"/journal/*.log 2>/dev/null | sed -n \
	    -e 's/.*"event":"deposit",.*"outcome":"ok","details":"group [0-9]*: IDEvt \([0-9]*\)-\([0-9]*\), .*/\1 \2/p' \
	    -e 's/.*"event":"deposit",.*"outcome":"duplicate","details":"[0-9]* traces already stored (IDEvt \([0-9]*\) first, \([0-9]*\) last).*/\1 \2/p' |
	    sort -n -k1,1 > "$T/ranges.journal"
	cut -d' ' -f1 "$T/acks" | sort -n -u |
	    awk -v r="$T/ranges.journal" 'BEGIN { i = 1
		    while ((getline l < r) > 0) { split(l, f, " "); n++; s[n] = f[1]; e[n] = f[2] } }
		{ while (i <= n && e[i] < $1) i++
		  if (i > n || s[i] > $1) print $1 }' |
	    head -n 5 | tr '\n' ' ' | sed 's/ $//'
}
