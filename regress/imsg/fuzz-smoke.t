#!/bin/sh
# Build the imsg reader's fuzz harness and run it for a few seconds over
# its seed corpus: any crash, leak or sanitizer report fails.
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
make -s -C "$FUZZ" imsg_read || { echo "not ok - build fuzz/imsg_read"; exit 1; }
echo "ok - build fuzz/imsg_read"
n=$(ls "$FUZZ/corpus/imsg_read" | wc -l)
[ "$n" -ge 5 ] || { echo "not ok - seed corpus has $n inputs"; exit 1; }
echo "ok - seed corpus has $n inputs"
mkdir -p "$probe/work"
if "$FUZZ/imsg_read" -max_total_time=10 -timeout=10 \
    -artifact_prefix="$probe/" "$probe/work" "$FUZZ/corpus/imsg_read" \
    >"$probe/log" 2>&1; then
	tail -n 3 "$probe/log"
	echo "ok - 10 seconds of fuzzing found nothing"
else
	tail -n 40 "$probe/log"
	echo "not ok - fuzzing found a crash"
	exit 1
fi
