#!/bin/sh
# PostgreSQL refuses stored's connections (its role's connection limit
# at 0, its sessions ended) under load: deposits are answered 503 with
# Retry-After and nothing is acknowledged, a reader is still served,
# memory stays bounded; once connections are allowed again stored
# reconnects by itself, and every acknowledged event is there.
. "$(dirname "$0")/../lib/common.sh"
t_unprivileged "$@"
t_need curl psql sha256sum join
t_tmpdir
. "$TOP/regress/crash/crash.sh"
CRASH_RATE=40 crash_setup || exit 2

suite_psql "ALTER ROLE cfjl_store CONNECTION LIMIT 0" >/dev/null
suite_psql "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE usename = 'cfjl_store'" >/dev/null
crash_outage "connections refused" 4
t_match "stored says why" "$(cat "$SUITE/log/stored.log")" 'too many connections for role "cfjl_store"'
suite_psql "ALTER ROLE cfjl_store CONNECTION LIMIT -1" >/dev/null
crash_recovers "connections allowed again"
crash_finish
t_done
