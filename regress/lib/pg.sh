# A throwaway PostgreSQL cluster for the tests, run by the current
# (unprivileged) user: data in DIR/data, the server's Unix socket in DIR
# itself (mode 0700, no TCP listener), so trust authentication reaches
# nobody but us.  Durability settings stay real (fsync on,
# synchronous_commit on): the crash tests depend on them.
#
#	. "$TOP/regress/lib/pg.sh"
#	pg_start "$T/pg"	# exports PGHOST, PGPORT, PGUSER, PGBIN
#	pg_psql -d postgres -c 'select 1'
#	pg_stop "$T/pg"		# also registered to run at exit

PG_PORT=${CFJL_PG_PORT:-5432}

# The newest server binaries installed (Debian: /usr/lib/postgresql/N/bin).
pg_bin()
{
	for d in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
		if [ -x "$d/initdb" ] && [ -x "$d/pg_ctl" ]; then
			echo "$d"
			return 0
		fi
	done
	if command -v initdb >/dev/null 2>&1; then
		dirname "$(command -v initdb)"
		return 0
	fi
	return 1
}

# pg_start DIR: create the cluster on first use, start it, wait for it.
pg_start()
{
	_pgdir=$1
	PGBIN=$(pg_bin) || { echo "PostgreSQL server binaries not found"; return 1; }
	[ "$(id -u)" -ne 0 ] || { echo "pg_start: PostgreSQL refuses root"; return 1; }
	mkdir -p "$_pgdir" && chmod 0700 "$_pgdir" || return 1
	if [ ! -f "$_pgdir/data/PG_VERSION" ]; then
		"$PGBIN/initdb" -D "$_pgdir/data" -A trust -U "$(id -un)" \
		    -E UTF8 --locale=C --no-sync >"$_pgdir/initdb.log" 2>&1 || {
			cat "$_pgdir/initdb.log"
			return 1
		}
		cat >>"$_pgdir/data/postgresql.conf" <<EOF
listen_addresses = ''
unix_socket_directories = '$_pgdir'
unix_socket_permissions = 0700
port = $PG_PORT
fsync = on
synchronous_commit = on
full_page_writes = on
max_connections = 30
shared_buffers = ${PG_SHARED_BUFFERS:-32MB}
log_min_messages = warning
EOF
	fi
	"$PGBIN/pg_ctl" -D "$_pgdir/data" -l "$_pgdir/server.log" -w -t 30 \
	    start >/dev/null || { cat "$_pgdir/server.log"; return 1; }
	PGHOST=$_pgdir
	PGPORT=$PG_PORT
	PGUSER=$(id -un)
	export PGHOST PGPORT PGUSER PGBIN
	PG_DIRS="${PG_DIRS:-} $_pgdir"
	t_cleanup_add pg_stop_all 2>/dev/null || true
}

# pg_standby_make FROM DIR: the cluster in DIR made anew (whatever it
# held goes) as a copy of the one whose socket is in FROM, ready to
# start as its streaming standby, known to it as standby1.
pg_standby_make()
{
	[ -n "$2" ] && mkdir -p "$2" && chmod 0700 "$2" || return 1
	rm -rf "$2/data"
	"$PGBIN/pg_basebackup" -h "$1" -p "$PG_PORT" -D "$2/data" -X stream \
	    --checkpoint=fast >"$2/basebackup.log" 2>&1 ||
	    { cat "$2/basebackup.log"; return 1; }
	# The copy has its primary's settings, and those it had as a
	# standby itself if it was one: its own replace them.  A standby
	# whose primary restarted reconnects within 0.2 s, not 5: the
	# primary's commits wait for it meanwhile.
	sed -i -e '/^unix_socket_directories/d' -e '/^primary_conninfo/d' \
	    -e '/^wal_retrieve_retry_interval/d' "$2/data/postgresql.conf"
	cat >>"$2/data/postgresql.conf" <<EOF
unix_socket_directories = '$2'
primary_conninfo = 'host=$1 port=$PG_PORT application_name=standby1'
wal_retrieve_retry_interval = '200ms'
EOF
	touch "$2/data/standby.signal"
}

# pg_standby FROM DIR: a streaming standby of the cluster whose socket
# is in FROM, in DIR, known to its primary as standby1, started.
pg_standby()
{
	pg_standby_make "$1" "$2" || return 1
	"$PGBIN/pg_ctl" -D "$2/data" -l "$2/server.log" -w -t 30 start \
	    >/dev/null || { cat "$2/server.log"; return 1; }
	PG_DIRS="${PG_DIRS:-} $2"
}

# pg_sync_standby DIR: the cluster in DIR waits for standby1 at every
# commit, from the moment it is in sync.
pg_sync_standby()
{
	pg_psql -h "$1" -d postgres -c "ALTER SYSTEM SET synchronous_standby_names = 'standby1'" &&
	pg_psql -h "$1" -d postgres -c 'SELECT pg_reload_conf()' >/dev/null ||
	    return 1
	_n=100
	while [ "$(pg_psql -h "$1" -d postgres -c "SELECT sync_state FROM pg_stat_replication WHERE application_name = 'standby1'")" != sync ] &&
	    [ $_n -gt 0 ]; do
		sleep 0.1; _n=$((_n - 1))
	done
	[ $_n -gt 0 ]
}

# pg_stop DIR: fast shutdown (active sessions are ended).
pg_stop()
{
	[ -f "$1/data/postmaster.pid" ] || return 0
	PGBIN=${PGBIN:-$(pg_bin)}
	"$PGBIN/pg_ctl" -D "$1/data" -m fast -w -t 30 stop >/dev/null
}

# pg_crash DIR: stop the way a power cut would, as far as a test can.
pg_crash()
{
	[ -f "$1/data/postmaster.pid" ] || return 0
	"$PGBIN/pg_ctl" -D "$1/data" -m immediate -w -t 30 stop >/dev/null
}

pg_stop_all()
{
	for _d in ${PG_DIRS:-}; do pg_stop "$_d" || true; done
	PG_DIRS=""
}

# psql that stops at the first error and prints bare values.
pg_psql()
{
	"$PGBIN/psql" -X -q -A -t -v ON_ERROR_STOP=1 "$@"
}
