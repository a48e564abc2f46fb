#!/bin/sh
# The cost of a lot seal with the token: lots of 1000 events sealed in
# a few milliseconds of CPU each (the two RSA signatures, the seal's
# and the time-stamp's, are most of it), and the last one verifies.
# CFJL_SEAL_CPU_MAX_MS raises the bound for slow or instrumented builds.
. "$(dirname "$0")/../lib/common.sh"
t_unprivileged "$@"
. "$(dirname "$0")/setup.sh"
sealer_need
SEAL_BENCH=$TOP/regress/sealerd/seal_bench
[ -x "$SEAL_BENCH" ] || t_skip "$SEAL_BENCH not built (make -C regress all)"
t_tmpdir
sealer_setup > "$T/setup.log" 2>&1 || { cat "$T/setup.log"; exit 1; }
MAX=${CFJL_SEAL_CPU_MAX_MS:-10}

for n in 100 1000; do
	out=$("$SEAL_BENCH" -f "$T/cfjl.conf" -o "$T/last-$n.xml" $n 20 2>>"$T/bench.log")
	t_log "# $out"
	t_match "$n events: 20 lots sealed" "$out" "^$n events, 20 lots: "
	cpu=$(printf '%s\n' "$out" | sed -n 's/.*cpu \([0-9.]*\) ms a lot$/\1/p')
	t_ok "$n events: CPU a lot ${cpu:-?} ms, under $MAX ms" \
	    awk -v c="${cpu:-999}" -v m="$MAX" 'BEGIN { exit !(c < m) }'
	t_ok "$n events: the last lot verifies with xmlsec1" \
	    sealer_verify_xml "$T/last-$n.xml"
	t_ok "$n events: its time-stamp verifies with openssl ts" \
	    sealer_verify_ts "$T/last-$n.xml"
	t_eq "$n events: the last lot holds them all" \
	    "$(grep -c '<Evenement ' "$T/last-$n.xml")" "$n"
done
t_done
