#!/bin/sh
# The verifier's fuzz harnesses (fuzz/verify_*: bundles, lot documents,
# journals, proofs): every input of their corpora replayed once, then each
# fuzzed for FUZZ_TIME seconds (12); any crash, leak, sanitizer report
# or timeout fails.
. "$(dirname "$0")/../lib/common.sh"
FUZZ=$TOP/fuzz
FUZZ_TIME=${FUZZ_TIME:-12}
t_tmpdir
t_need_libfuzzer

for h in verify_bundle verify_lot verify_journal verify_proof; do
	t_ok "build fuzz/$h" make -s -C "$FUZZ" $h
	n=$(ls "$FUZZ/corpus/$h" | wc -l)
	t_ok "$h: a seed corpus ($n inputs)" test "$n" -ge 4
	mkdir -p "$T/$h"
	if (cd "$T" && "$FUZZ/$h" -runs=0 -timeout=10 -rss_limit_mb=1024 \
	    -artifact_prefix="$T/$h-" "$FUZZ/corpus/$h") > "$T/$h.replay" 2>&1
	then
		t_pass "$h: every corpus input replayed"
	else
		tail -n 40 "$T/$h.replay"
		t_fail "$h: every corpus input replayed"
	fi
	if (cd "$T" && "$FUZZ/$h" -max_total_time="$FUZZ_TIME" -timeout=10 \
	    -rss_limit_mb=1024 -artifact_prefix="$T/$h-" \
	    "$T/$h" "$FUZZ/corpus/$h") > "$T/$h.log" 2>&1; then
		t_log "# $h: $(grep -o 'Done [0-9]* runs in [0-9]* second' "$T/$h.log")"
		t_pass "$h: $FUZZ_TIME seconds of fuzzing found nothing"
	else
		tail -n 40 "$T/$h.log"
		t_fail "$h: $FUZZ_TIME seconds of fuzzing found nothing"
	fi
done
t_done
