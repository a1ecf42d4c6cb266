"""A real tracer in the loop: examples/bpftrace/check.sh runs specs with
--expectations and checks every expected tracepoint count against what
bpftrace saw in the kernel; a deliberately wrong expectation must FAIL.
Where bpftrace cannot attach (not root, not installed) it says SKIP with
the reason, and so does this test."""
import json
import os
import shutil
import stat
import subprocess

from lib import REPLAY, ROOT, SPECS, check, check_eq, cleanup, finish, fresh_tmpdir, run, write_spec

CHECK = os.path.join(ROOT, "examples", "bpftrace", "check.sh")
tmp = fresh_tmpdir()

# --expectations itself: per process, enter and exit counts; exit_group enters only.
spec = write_spec(tmp, "exp.yaml", """name: exp
steps:
  - {call: getppid, repeat: 5}
  - {call: fstat, args: [{int: 0}, {buffer: {size: 256}}], nr: {aarch64: 80}}
  - id: child
    process: {steps: [{call: getpid}, {call: exit_group, args: [{int: 0}]}]}
  - {call: wait4, args: [{ret: child}, {null: ~}, {int: 0}, {null: ~}]}
""")
out = os.path.join(tmp, "exp.jsonl")
p = run(["--expectations", out, spec], tmp)
check_eq(p.returncode, 0, f"run with --expectations: {p.stderr}")
with open(out) as f:
    doc = json.loads(f.readline())
procs = doc["processes"]
check_eq(len(procs), 2, "two processes: the runner and the child")
runner = next(p for p in procs if "syscalls:sys_enter_getppid" in p["tracepoints"])["tracepoints"]
child = next(p for p in procs if "syscalls:sys_enter_exit_group" in p["tracepoints"])["tracepoints"]
check_eq(runner.get("syscalls:sys_enter_getppid"), 5, "repeat counts every call")
check_eq(runner.get("syscalls:sys_enter_newfstat") or runner.get("syscalls:sys_enter_fstat"), 1,
         "fstat's tracepoint is sys_enter_newfstat where the kernel names it so")
check_eq(child.get("syscalls:sys_exit_exit_group"), None, "exit_group enters but never exits")
check_eq(child.get("syscalls:sys_enter_getpid"), 1, "the child's own getpid")

if os.geteuid() != 0 or not shutil.which("bpftrace"):
    print("SKIP: bpftrace needs root and the bpftrace package")
else:
    for name in ("mountfs-management.yaml", "process-lifecycle.yaml", "repeat-burst.yaml", "pipes.yaml"):
        path = os.path.join(SPECS, name)
        if not os.path.exists(path):
            continue
        r = subprocess.run([CHECK, "--replay", REPLAY, path], capture_output=True, text=True, timeout=300)
        last = r.stdout.strip().splitlines()[-1] if r.stdout.strip() else ""
        if last.startswith("SKIP"):
            print(f"{name}: {last}")
            check("SKIP: " in last and len(last) > 6, f"{name}: a SKIP says why")
            continue
        check_eq((r.returncode, last), (0, "PASS"), f"{name}: bpftrace saw every expected tracepoint\n{r.stdout[-800:]}")
        check(sum(l.startswith("ok ") for l in r.stdout.splitlines()) >= 4, f"{name}: tracepoints checked")

    # A wrong expectation is caught: a replay that claims one getppid more than it makes.
    liar = os.path.join(tmp, "liar")
    with open(liar, "w") as f:
        f.write(f"""#!/bin/sh
out=$2
"{REPLAY}" "$@" || exit $?
python3 - "$out" <<'PY'
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1])]
for d in lines:
    for p in d["processes"]:
        t = p["tracepoints"]
        if "syscalls:sys_enter_getppid" in t:
            t["syscalls:sys_enter_getppid"] += 1
open(sys.argv[1], "w").write("".join(json.dumps(d) + "\\n" for d in lines))
PY
""")
    os.chmod(liar, 0o755)
    spec = write_spec(tmp, "few.yaml", "name: few\nsteps: [{call: getppid, repeat: 3}]\n")
    r = subprocess.run([CHECK, "--replay", liar, spec], capture_output=True, text=True, timeout=300)
    last = r.stdout.strip().splitlines()[-1] if r.stdout.strip() else ""
    if not last.startswith("SKIP"):
        check_eq(r.returncode, 1, "an inflated expectation fails the check")
        check("MISS syscalls:sys_enter_getppid: expected >= 4, bpftrace saw 3" in r.stdout,
              f"and names the tracepoint: {r.stdout[-400:]}")
cleanup(tmp)
finish()
