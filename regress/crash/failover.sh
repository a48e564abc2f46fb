# The crash campaign's failover mode (CRASH_FAILOVER=1, campaign -f):
# PostgreSQL runs as a primary and its synchronous standby, both
# postmasters children of the campaign's shell; stored (synchronous-
# commit remote_apply) and the checks reach whichever is the primary
# through a multi-host conninfo.  A failover round kills the primary's
# postmaster with SIGKILL (crash_kill), then promotes the standby and
# makes the dead primary's cluster anew as a copy of the new primary,
# started as its synchronous standby: a copy, not a rewind, so that
# nothing the dead primary held beyond what its standby had can come
# back.  stored finds the new primary by itself.  Needs crash.sh.
#
#	failover_setup		the standby, after the primary started
#	failover_promote	the round's restart; CRASH_PROMOTED is the
#				number of acknowledgements at the promotion
#	failover_export		an export across the last failover, verified
#	failover_standby_check	the standby holds what the primary holds
#
# CRASH_PRIMARY and CRASH_STANDBY are the clusters' directories, their
# postmasters CRASH_PG and CRASH_PG2; a failover swaps them.

failover_setup()
{
	[ -x "$PGBIN/pg_basebackup" ] ||
	    { echo "failover: pg_basebackup is not installed"; return 1; }
	CRASH_STANDBY=$SUITE/pg2
	pg_standby_make "$CRASH_PRIMARY" "$CRASH_STANDBY" || return 1
	crash_pg_start "$CRASH_STANDBY" ||
	    { echo "failover: the standby does not start"; tail -n 5 "$CRASH_STANDBY/server.log"; return 1; }
	PG_DIRS="${PG_DIRS:-} $CRASH_STANDBY"
	pg_sync_standby "$CRASH_PRIMARY" >/dev/null ||
	    { echo "failover: the standby is not in sync"; return 1; }
	suite_dbhosts "$CRASH_PRIMARY,$CRASH_STANDBY" remote_apply
}

# The primary is dead (crash_kill failover): what an administrator, or
# a failover manager, does.  Until the last step the new primary names
# no synchronous standby, and stored acknowledges nothing.
failover_promote()
{
	"$PGBIN/pg_ctl" -D "$CRASH_STANDBY/data" -w -t 30 promote >/dev/null ||
	    { echo "failover: the standby is not promoted"; tail -n 5 "$CRASH_STANDBY/server.log"; return 1; }
	CRASH_PROMOTED=$(crash_acks)
	_old=$CRASH_PRIMARY
	CRASH_PRIMARY=$CRASH_STANDBY CRASH_PG=$CRASH_PG2
	CRASH_STANDBY=$_old CRASH_PG2=""
	pg_standby_make "$CRASH_PRIMARY" "$CRASH_STANDBY" ||
	    { echo "failover: no copy of the new primary"; return 1; }
	# The dead postmaster's backends leave on their own; a start before
	# they did may fail: start again.
	_n=0
	until crash_pg_start "$CRASH_STANDBY"; do
		_n=$((_n + 1))
		[ $_n -lt 50 ] || { echo "failover: the new standby does not start"; tail -n 5 "$CRASH_STANDBY/server.log"; return 1; }
		sleep 0.1
	done
	pg_sync_standby "$CRASH_PRIMARY" >/dev/null ||
	    { echo "failover: the new standby is not in sync"; return 1; }
}

# failover_export IDEVT: once the lot holding IDEVT (acknowledged by
# the new primary) is sealed, an export of the last sealed lots, those
# before the failover with them, verified: the lots chain across it.
failover_export()
{
	_n=0
	until [ "$(suite_psql "SELECT coalesce(max(l.last), 0) >= $1 FROM lots l JOIN lot_seals USING (numero)")" = t ]; do
		_n=$((_n + 1))
		[ $_n -lt 200 ] || { echo "IDEvt $1 not sealed within 20 s"; return 1; }
		sleep 0.1
	done
	crash_export_end || return 1
	_e=$CRASH_EXPORTS
	crash_export_start
	crash_export_end || return 1
	[ "$CRASH_EXPORTS" -gt "$_e" ] ||
	    { echo "no whole export across the failover (HTTP $(cat "$T/export.code" 2>/dev/null))"; return 1; }
}

# At the end: the standby holds every event the primary holds.
failover_standby_check()
{
	_q="SELECT count(*) || ' ' || coalesce(max(idevt), 0) FROM events"
	t_eq "the standby ($CRASH_STANDBY) holds every event" \
	    "$(PGTARGETSESSIONATTRS=any "$PGBIN/psql" -X -q -A -t -h "$CRASH_STANDBY" \
	    -d "cfjl_${SUITE_OPERATOR:-48}" -c "$_q" 2>&1)" \
	    "$(suite_psql "$_q")"
}
