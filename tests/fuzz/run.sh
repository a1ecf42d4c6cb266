#!/usr/bin/env bash
# Fuzz load+compile with libFuzzer (clang-14) under ASan+UBSan for SECONDS
# (default 60), seeded with every spec and every bad spec.  Exits non-zero
# on a crash, leak or sanitizer report; the reproducer is left in build-fuzz/.
#   tests/fuzz/run.sh 600       # a longer local run
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
seconds=${1:-60}
build=$root/build-fuzz
CC=${FUZZ_CC:-clang-14} cmake -S "$root" -B "$build" -DREPLAY_FUZZ=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$build" --target fuzz_load -j2 >/dev/null
corpus=$build/corpus
mkdir -p "$corpus"
cp "$root"/specs/*.yaml "$root"/tests/bad/*.yaml "$corpus"/ 2>/dev/null || true
cd "$build"
rm -f "$build"/crash-* "$build"/leak-* "$build"/timeout-*
status=0
./fuzz_load -max_total_time="$seconds" -dict="$root/tests/fuzz/spec.dict" -max_len=4096 \
	-print_final_stats=1 -artifact_prefix="$build/" "$corpus" > fuzz.log 2>&1 || status=$?
if [ "$status" -ne 0 ]; then
	tail -40 fuzz.log
	echo "fuzz: FAILED (exit $status); reproduce with: $build/fuzz_load $build/crash-*" >&2
	exit "$status"
fi
grep -E "^#[0-9]+ *DONE|stat::number_of_executed_units|stat::new_units_added" fuzz.log
echo "fuzz: ${seconds}s, no crash, leak or sanitizer report"
