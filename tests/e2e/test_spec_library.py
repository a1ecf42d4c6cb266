"""The spec library: every spec in specs/ is a scenario a tracer's integration
test can run. Each one compiles for x86_64 and aarch64, starts with the
schema modeline and a header that says what it needs, runs with exit status 0
and verdict PASS, and, under strace -f, the process that runs the steps
issues exactly the spec's steps between the first and the last: the same
calls, in the same order, as many times as the report says (repeat:), with
skipped and unavailable steps left out. There are at least 30 specs besides
mountfs-management."""
import glob
import json
import os
import re
import time

from lib import SPECS, check, check_eq, cleanup, finish, fresh_tmpdir, run, strace_run

MOUNT_SPEC = "mountfs-management.yaml"
MODELINE = "# yaml-language-server: $schema=../schemas/replay-spec.schema.json"
RAN = ("ok", "error", "exited", "killed")  # statuses of a step whose call reached the kernel
# replay's name for a call -> other names strace may print for the same number.
STRACE_ALIASES = {
    "fadvise64": ("fadvise64_64",),
    "sendfile": ("sendfile64",),
    "newfstatat": ("fstatat64",),
    "pread64": ("pread",),
    "pwrite64": ("pwrite",),
}
WALL_LIMIT_S = 5.0  # each spec aims at well under 1 s; this bound only catches a hang or a long sleep

specs = sorted(glob.glob(os.path.join(SPECS, "*.yaml")) + glob.glob(os.path.join(SPECS, "*.yml")))
library = [s for s in specs if os.path.basename(s) != MOUNT_SPEC]
check(len(library) >= 30, f"at least 30 specs besides {MOUNT_SPEC}: {len(library)}")


def ran_rows(doc):
    """(call, nr, count) of every call step that reached the kernel, in report order."""
    return [(s["call"], s["nr"], s.get("count", 1)) for s in doc["steps"]
            if s.get("kind", "call") in ("call", "process") and s["status"] in RAN]


def strace_names(call, nr):
    """The names strace may print for one call."""
    return {call, f"syscall_{nr:#x}", *STRACE_ALIASES.get(call, ())}


def group_tree(steps):
    """The report's rows as a tree: a process:, loop: or threads: row holds the rows
    one depth deeper that follow it."""
    root = []
    stack = [(-1, root)]
    for row in steps:
        depth = row.get("depth", 0)
        while stack[-1][0] >= depth:
            stack.pop()
        node = (row, [])
        stack[-1][1].append(node)
        stack.append((depth, node[1]))
    return root


def expected_by_thread(doc, runner):
    """{tid: [set of names, one per call, in order]}: what each thread must issue.
    A call row with count N is N calls in a row (repeat:); a loop: body runs its
    rounds one after the other, each call's count spread evenly over them; a
    process: row is the fork/clone its parent makes, its body runs in the child;
    threads: copies carry their own tid. Skipped and unavailable rows issue nothing."""
    out = {}

    def emit(nodes, times):
        for row, kids in nodes:
            kind = row.get("kind", "call")
            if row["status"] not in RAN:
                continue
            tid = row.get("tid") or row.get("pid") or runner
            if kind in ("call", "process"):
                per = max(1, row.get("count", 1) // times) if kind == "call" else 1
                out.setdefault(tid, []).extend([strace_names(row["call"], row["nr"])] * per)
                if kind == "process":
                    emit(kids, times)
            elif kind == "loop":
                rounds = max(1, row.get("ret", 1))
                for _ in range(rounds):
                    emit(kids, times * rounds)
            else:  # threads: each copy's rows carry the worker's tid
                emit(kids, times)

    emit(group_tree(doc["steps"]), 1)
    return out


def call_names(lines, keep_clock):
    """The syscall names of one process's strace lines: an <unfinished ...> call
    counts once (its <... resumed> half is dropped), signal and exit notes are
    not calls. clock_gettime is dropped unless the spec calls it: with a clock
    source that has no vDSO, replay's own step timing shows up as real calls."""
    names = []
    for line in lines:
        if line.startswith(("<...", "---", "+++")):
            continue
        m = re.match(r"([A-Za-z_][A-Za-z0-9_]*)\(", line)
        if not m:
            continue
        if m.group(1) == "clock_gettime" and not keep_clock:
            continue
        names.append(m.group(1))
    return names


def find_window(names, want):
    """Index where `want` (a list of name sets) matches `names` contiguously, or -1."""
    n = len(want)
    for i in range(len(names) - n + 1):
        if all(names[i + k] in want[k] for k in range(n)):
            return i
    return -1


def runner_pid(per_pid):
    """The process that runs the steps: the first child replay forks (the first
    pid in the trace is replay itself)."""
    pids = list(per_pid)
    if not pids:
        return None
    for line in per_pid[pids[0]]:
        m = re.match(r"(clone3?|fork|vfork)\(.*\)\s+= (\d+)", line)
        if m:
            return int(m.group(2))
    return pids[1] if len(pids) > 1 else None


def longest_prefix(names, want):
    """For a failure message: the longest run of `want` found anywhere in `names`."""
    best = (0, 0)
    for i in range(len(names)):
        k = 0
        while k < len(want) and i + k < len(names) and names[i + k] in want[k]:
            k += 1
        best = max(best, (k, i))
    return best


tmp = fresh_tmpdir()
for spec in library:
    base = os.path.basename(spec)
    with open(spec) as f:
        text = f.read()
    header = text.split("\nname:", 1)[0]
    check_eq(text.splitlines()[0] if text else "", MODELINE, f"{base}: schema modeline first")
    check(re.search(r"^# Needs:", header, re.M) is not None, f"{base}: header comment says what it needs")
    check(re.search(r"^# Arch:", header, re.M) is not None, f"{base}: header comment has arch notes")
    for arch in ("x86_64", "aarch64"):
        p = run(["check", "--arch", arch, spec], tmp)
        check_eq(p.returncode, 0, f"{base}: replay check --arch {arch}: {p.stdout}{p.stderr}")

    # A plain run: the spec passes as it is, unsupervised by ptrace.
    t0 = time.monotonic()
    p = run(["--format", "json", spec], tmp)
    wall = time.monotonic() - t0
    if not check_eq(p.returncode, 0, f"{base}: exit status of a plain run: {p.stderr}{p.stdout[-2000:]}"):
        continue
    plain = json.loads(p.stdout)
    check_eq(plain["verdict"], "PASS", f"{base}: verdict")
    check(wall < WALL_LIMIT_S, f"{base}: took {wall:.2f} s")

    # The same spec under strace. Its own JSON report says which rows ran in
    # this very run, so when: decisions and the trace cannot disagree.
    p, per_pid = strace_run(["--format", "json", spec], tmp)
    if not check_eq(p.returncode, 0, f"{base}: exit status under strace -f: {p.stderr}"):
        continue
    traced = json.loads(p.stdout)
    check_eq(traced["verdict"], "PASS", f"{base}: verdict under strace")
    rows = ran_rows(traced)
    check_eq([r[:2] for r in rows], [r[:2] for r in ran_rows(plain)],
             f"{base}: the same steps run with and without strace")
    check(len(rows) > 0, f"{base}: some steps ran")
    keep_clock = any(call == "clock_gettime" for call, _, _ in rows)
    runner = runner_pid(per_pid)
    for tid, want in expected_by_thread(traced, runner).items():
        if not check(tid in per_pid, f"{base}: thread {tid} that ran steps is in the trace"):
            continue
        names = call_names(per_pid[tid], keep_clock)
        at = find_window(names, want)
        what = (f"{base}: thread {tid}'s calls from its first step to its last are exactly its "
                f"{len(want)} step calls")
        if at < 0:
            k, i = longest_prefix(names, want)
            what += (f"; only the first {k} match (from call {i}), then {names[i + k:i + k + 3]!r} "
                     f"where {sorted(want[k]) if k < len(want) else '<end>'} was expected")
        check(at >= 0, what)
cleanup(tmp)
finish()
