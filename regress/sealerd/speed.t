#!/bin/sh
# Many large lots sealed in a row with the token: each is whole and the
# last one verifies.  The CPU a lot is printed for the record; speed is
# measured by the benchmark (make bench), never asserted by a test.
. "$(dirname "$0")/../lib/common.sh"
t_unprivileged "$@"
. "$(dirname "$0")/setup.sh"
sealer_need
SEAL_BENCH=$TOP/regress/sealerd/seal_bench
[ -x "$SEAL_BENCH" ] || t_skip "$SEAL_BENCH not built (make -C regress all)"
t_tmpdir
sealer_setup > "$T/setup.log" 2>&1 || { cat "$T/setup.log"; exit 1; }

for n in 100 1000; do
	out=$("$SEAL_BENCH" -f "$T/cfjl.conf" -o "$T/last-$n.xml" $n 20 2>>"$T/bench.log")
	t_log "# $out"
	t_match "$n events: 20 lots sealed" "$out" "^$n events, 20 lots: "
	t_ok "$n events: the last lot verifies with xmlsec1" \
	    sealer_verify_xml "$T/last-$n.xml"
	t_ok "$n events: its time-stamp verifies with openssl ts" \
	    sealer_verify_ts "$T/last-$n.xml"
	t_eq "$n events: the last lot holds them all" \
	    "$(grep -c '<Evenement ' "$T/last-$n.xml")" "$n"
done
t_done
