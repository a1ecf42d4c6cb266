#!/usr/bin/env bash
# A tracer's integration test, with bpftrace as the tracer: replay runs a spec
# and writes what a tracer must see (--expectations: each sys_enter_/sys_exit_
# tracepoint and its least count, per process); bpftrace counts what the
# kernel's syscall tracepoints saw for replay's processes; every expected count
# must be met.  Prints one line per tracepoint, then PASS/FAIL, or SKIP with
# the reason where bpftrace cannot attach (not root, no bpftrace, no tracefs).
#   examples/bpftrace/check.sh [--replay PATH] SPEC
set -euo pipefail
replay=replay
if [ "${1:-}" = --replay ]; then replay=$2; shift 2; fi
spec=${1:?usage: check.sh [--replay PATH] SPEC}
skip() { echo "SKIP: $*"; exit 0; }
[ "$(id -u)" = 0 ] || skip "bpftrace needs root"
command -v bpftrace >/dev/null || skip "bpftrace is not installed (apt-get install bpftrace)"
events=/sys/kernel/tracing/events/syscalls
if [ ! -d $events ] && [ -z "${REPLAY_CHECK_UNSHARED:-}" ]; then
	# Mount tracefs in a private mount namespace: the host's mounts stay as they are.
	exec env REPLAY_CHECK_UNSHARED=1 unshare -m sh -c \
		'mount -t tracefs nodev /sys/kernel/tracing && exec "$0" --replay "$1" "$2"' "$0" "$replay" "$spec"
fi
[ -d $events ] || skip "no syscall tracepoints in tracefs (CONFIG_FTRACE_SYSCALLS?)"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# The tracepoints to attach: those the spec's run says it fires.
"$replay" --expectations "$work/first.jsonl" "$spec" >/dev/null || true
names=$(python3 -c 'import json,sys
n=set()
for l in open(sys.argv[1]):
    for p in json.loads(l)["processes"]: n.update(p["tracepoints"])
print(",".join("tracepoint:" + x for x in sorted(n) if x.split(":")[1] in __import__("os").listdir(sys.argv[2])))' \
	"$work/first.jsonl" "$events")
[ -n "$names" ] || skip "the spec fires no traceable syscall"

# Count by tracepoint for every process named replay (the steps' processes are).
bpftrace -q -e "$names /comm == \"replay\"/ { @[probe] = count(); }" \
	-c "$replay --expectations $work/expected.jsonl $spec" >"$work/seen.txt" 2>"$work/bpftrace.err" ||
	skip "bpftrace could not attach: $(tail -1 "$work/bpftrace.err")"
python3 - "$work/expected.jsonl" "$work/seen.txt" "$events" <<'PY'
import json, os, re, sys
want = {}
for line in open(sys.argv[1]):
    for proc in json.loads(line)["processes"]:
        for name, n in proc["tracepoints"].items():
            want[name] = want.get(name, 0) + n
seen = {m.group(1): int(m.group(2)) for m in
        re.finditer(r"@\[tracepoint:(\S+)\]: (\d+)", open(sys.argv[2]).read())}
missing = 0
for name in sorted(want):
    if name.split(":")[1] not in os.listdir(sys.argv[3]):
        print(f"skip {name}: no such tracepoint on this kernel")
        continue
    ok = seen.get(name, 0) >= want[name]
    missing += not ok
    print(f"{'ok  ' if ok else 'MISS'} {name}: expected >= {want[name]}, bpftrace saw {seen.get(name, 0)}")
print("PASS" if not missing else f"FAIL: {missing} tracepoint(s) short")
sys.exit(1 if missing else 0)
PY
