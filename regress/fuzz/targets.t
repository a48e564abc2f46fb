#!/bin/sh
# Every fuzz harness of fuzz/ that no other test runs (the verifier's
# bundle, lot, journal and proof readers are in verify.t, the message reader's
# and imsg's in the fuzz-smoke.t of common/ and imsg/): each is built,
# has a seed corpus, replays every input of it, then is fuzzed for
# FUZZ_TIME seconds (8), two at a time;
# any crash, leak, sanitizer report or timeout fails.  The seeds that
# fuzz/lib/mkseeds.c writes must be those committed: a change of
# common/proto.h shows here.
. "$(dirname "$0")/../lib/common.sh"
FUZZ=$TOP/fuzz
FUZZ_TIME=${FUZZ_TIME:-8}
t_tmpdir
t_need_libfuzzer

harnesses=$(cd "$FUZZ" && for f in *.c; do
	case $f in
	verify_bundle.c|verify_lot.c|verify_journal.c|verify_proof.c) ;;
	msg_dispatch.c|imsg_read.c) ;;
	*) echo "${f%.c}" ;;
	esac
done)
t_ok "build every harness" make -s -j2 -C "$FUZZ" $harnesses build/mkseeds

mkdir "$T/seeds"
"$FUZZ/build/mkseeds" "$T/seeds" "$ARJEL/samples"
# (the corpus also keeps what fuzzing found: more files than these)
for d in "$T"/seeds/*; do
	h=${d##*/}
	same=1
	for f in "$d"/*; do
		cmp -s "$f" "$FUZZ/corpus/$h/${f##*/}" ||
		    { t_log "# differs: corpus/$h/${f##*/}"; same=0; }
	done
	t_ok "$h: the seeds of mkseeds are those committed" test "$same" = 1
done

# run H: replay, then fuzz; the verdicts in $T/H.rc
run()
{
	mkdir -p "$T/$1"
	(cd "$T" && "$FUZZ/$1" -runs=0 -timeout=10 -rss_limit_mb=2048 \
	    -artifact_prefix="$T/$1-" "$FUZZ/corpus/$1") > "$T/$1.replay" 2>&1
	echo "replay $?" > "$T/$1.rc"
	(cd "$T" && "$FUZZ/$1" -max_total_time="$FUZZ_TIME" -timeout=10 \
	    -rss_limit_mb=2048 -close_fd_mask=2 -artifact_prefix="$T/$1-" \
	    "$T/$1" "$FUZZ/corpus/$1") > "$T/$1.log" 2>&1
	echo "fuzz $?" >> "$T/$1.rc"
}

set -- $harnesses
while [ $# -gt 0 ]; do
	run "$1" &
	if [ $# -gt 1 ]; then run "$2"; shift; fi
	wait
	shift
done

for h in $harnesses; do
	n=$(ls "$FUZZ/corpus/$h" 2>/dev/null | wc -l)
	t_ok "$h: a seed corpus ($n inputs)" test "$n" -ge 2
	if grep -qx "replay 0" "$T/$h.rc"; then
		t_pass "$h: every corpus input replayed"
	else
		tail -n 40 "$T/$h.replay"
		t_fail "$h: every corpus input replayed"
	fi
	if grep -qx "fuzz 0" "$T/$h.rc"; then
		t_log "# $h: $(grep -o 'Done [0-9]* runs in [0-9]* second' "$T/$h.log")"
		t_pass "$h: $FUZZ_TIME seconds of fuzzing found nothing"
	else
		tail -n 40 "$T/$h.log"
		ls "$T/$h-"* 2>/dev/null
		t_fail "$h: $FUZZ_TIME seconds of fuzzing found nothing"
	fi
done
t_done
