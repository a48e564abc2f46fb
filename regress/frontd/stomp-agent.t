#!/bin/sh
# The queue front end to end: a real STOMP 1.2 client (stomp.py, from
# Debian's python3-stomp) deposits over mutual TLS, gets its answers as
# MESSAGEs after durability and the archive notice of the sealed lot;
# raw frames check every refusal (ERROR with the HTTP status and the
# CFJL_ code, then close) and pipelining.  What was acknowledged is in
# the database with the digest answered; nothing refused was stored.
. "$(dirname "$0")/../lib/common.sh"
t_unprivileged "$@"
t_need curl openssl psql
/usr/bin/python3 -c 'import stomp' 2>/dev/null ||
    t_skip "python3-stomp is not installed"
t_tmpdir
. "$TOP/regress/lib/suite.sh"
SUITE_LOT_AGE=1s
suite_setup || exit 2
STOMP_PORT=$(suite_free_port)
sed -i "s|^\tlisten on 127.0.0.1 port $SUITE_PORT\$|&\\
	listen on 127.0.0.1 port $STOMP_PORT stomp|" "$SUITE/cfjl.conf"
t_ok "a STOMP listener in the configuration" \
    grep -q "port $STOMP_PORT stomp" "$SUITE/cfjl.conf"
suite_start || exit 2
t_ok "frontd listens for STOMP" grep -q "port $STOMP_PORT (STOMP)" \
    "$SUITE/log/frontd.log"

suite_sample OUVINFOPERSO > "$T/base.xml"
/usr/bin/python3 "$TOP/regress/frontd/stompagent.py" 127.0.0.1 \
    "$STOMP_PORT" "$P" "$T/base.xml" "$T" > "$T/agent.out" 2>&1
rc=$?
while IFS= read -r l; do
	case $l in
	"ok - "*)	t_pass "${l#ok - }" ;;
	"not ok - "*)	t_fail "${l#not ok - }" ;;
	*)		t_log "# $l" ;;
	esac
done < "$T/agent.out"
t_eq "the agent finished" "$rc" 0

# The database: the 20 acknowledged events with the digest answered,
# then the 100 pipelined ones; the refused traces cost no IDEvt.
t_eq "120 events, IDEvt 1..120" \
    "$(suite_psql 'SELECT count(*), min(idevt), max(idevt) FROM events')" \
    "120|1|120"
sort -n "$T/acks" > "$T/acked"
suite_psql "SELECT idevt || ' ' || encode(digest, 'hex') FROM events WHERE idevt <= 20 ORDER BY idevt" \
    > "$T/stored"
t_ok "every acknowledged IDEvt stored with the digest answered" \
    cmp -s "$T/acked" "$T/stored"
t_ok "the refusals are journaled by frontd" \
    grep -q 'STOMP refused' "$SUITE/log/frontd.log"
t_done
