#!/bin/sh
# Build the message dispatcher's fuzz harness (fuzz/msg_dispatch.c) and
# run it for a few seconds over its seed corpus: any crash, leak or
# sanitizer report fails.
TOP=$(cd "$(dirname "$0")/../.." && pwd)
FUZZ=$TOP/fuzz
command -v clang >/dev/null 2>&1 || { echo "clang not installed"; exit 77; }
probe=$(mktemp -d "${TMPDIR:-/tmp}/cfjl-fuzz.XXXXXX") || exit 2
trap 'rm -rf "$probe"' EXIT
printf '#include <stdint.h>\n#include <stddef.h>\nint LLVMFuzzerTestOneInput(const uint8_t *d, size_t n);\nint LLVMFuzzerTestOneInput(const uint8_t *d, size_t n) { return d == NULL && n > 0; }\n' \
    >"$probe/t.c"
if ! clang -fsanitize=fuzzer,address,undefined -o "$probe/t" "$probe/t.c" \
    >/dev/null 2>&1; then
	echo "clang has no libFuzzer (-fsanitize=fuzzer)"
	exit 77
fi
make -s -C "$FUZZ" msg_dispatch || { echo "not ok - build fuzz/msg_dispatch"; exit 1; }
echo "ok - build fuzz/msg_dispatch"
n=$(ls "$FUZZ/corpus/msg_dispatch" | wc -l)
[ "$n" -ge 5 ] || { echo "not ok - seed corpus has $n inputs"; exit 1; }
echo "ok - seed corpus has $n inputs"
mkdir -p "$probe/work"
if "$FUZZ/msg_dispatch" -max_total_time=10 -timeout=10 \
    -artifact_prefix="$probe/" "$probe/work" "$FUZZ/corpus/msg_dispatch" \
    >"$probe/log" 2>&1; then
	tail -n 3 "$probe/log"
	echo "ok - 10 seconds of fuzzing found nothing"
else
	tail -n 40 "$probe/log"
	echo "not ok - fuzzing found a crash"
	exit 1
fi
