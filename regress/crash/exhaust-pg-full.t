#!/bin/sh
# PostgreSQL's filesystem fills up under load (its whole cluster on a
# small tmpfs): the transaction that cannot be written fails, deposits
# are answered 503 with Retry-After and nothing is acknowledged; a
# reader is still served and memory stays bounded.  Once space is freed
# the vault goes on by itself and every acknowledged event is there.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/smallfs.sh"
smallfs_wrap 160m "$@"
t_unprivileged "$@"
t_need curl psql sha256sum join dd df
t_tmpdir
mkdir -p "$SMALLFS/pg" && ln -s "$SMALLFS/pg" "$T/pg"
. "$TOP/regress/crash/crash.sh"
CRASH_RATE=40 crash_setup || exit 2

t_ok "database filesystem full" smallfs_fill
crash_outage "database disk full" 4
t_match "stored says why" "$(cat "$SUITE/log/stored.log")" 'No space left on device|could not extend|could not write'
smallfs_free
# PostgreSQL may have stopped on a WAL write it could not make: it is
# brought back as its service manager would.
if ! "$PGBIN/pg_isready" -q -h "$PGHOST" -p "$PGPORT"; then
	t_log "# PostgreSQL stopped on the full disk: started again"
	wait "$CRASH_PG" 2>/dev/null
	crash_pg_start || t_fail "PostgreSQL starts again once space is back"
fi
crash_recovers "database space back"
crash_finish
t_done
