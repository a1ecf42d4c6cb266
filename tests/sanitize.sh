#!/usr/bin/env bash
# The whole test suite again, on a build with AddressSanitizer and
# UndefinedBehaviorSanitizer (gcc); any report fails the run.  The tests
# that use valgrind skip it there (REPLAY_SANITIZED=1): the two don't mix.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=$root/build-asan
cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Debug \
	-DCMAKE_C_FLAGS="-fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer" \
	>/dev/null
cmake --build "$build" -j2 >/dev/null
# handle_segv=0: specs send SIGSEGV to themselves on purpose and expect to die of it.
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:halt_on_error=1:handle_segv=0
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
export REPLAY_SANITIZED=1
export REPLAY_TEST_AS_LIMIT=0 # ASan reserves terabytes of address space
cd "$build"
ctest --output-on-failure -E '^(sanitizers|fuzz|matrix)\.'
