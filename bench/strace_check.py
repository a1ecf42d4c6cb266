#!/usr/bin/env python3
"""Check that the baselines do what they say, with strace, on small counts.

    strace_check.py BINDIR REPLAY PYTHON SPECDIR REPEAT_KEY REPEAT_OPT

- baseline_getppid 1000 and ctypes_getppid.py 1000 make exactly 1000 getppid
  calls (strace -f -c); so does replay on a `repeat: 1000` spec, if replay
  has `repeat:` (REPEAT_KEY=1).
- baseline_mountfs makes the same calls, with the same arguments and
  results, as replay running specs/mountfs-management.yaml: both are traced
  (strace -f), the calls from fsopen to listns are cut out, the sandbox
  directory and pointer values are masked, and the two lists must be equal.
  With 2 rounds as well, against `replay --repeat 2` if replay has --repeat
  (REPEAT_OPT=1).
Prints one line per check; exit status 1 if any check failed.
"""
import os
import re
import subprocess
import sys
import tempfile

BINDIR, REPLAY, PYTHON, SPECDIR, REPEAT_KEY, REPEAT_OPT = sys.argv[1:7]
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MOUNTFS = os.path.join(ROOT, "specs", "mountfs-management.yaml")
failed = 0


def report(ok, what):
    global failed
    print(f"  {'ok  ' if ok else 'FAIL'} {what}")
    failed += not ok


def strace(args, *cmd):
    with tempfile.NamedTemporaryFile("r", suffix=".strace") as out:
        r = subprocess.run(["strace", "-f", "-qq", "-o", out.name, *args, *cmd],
                           stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        return r.returncode, out.read(), r.stderr


def count_getppid(*cmd):
    rc, text, _ = strace(["-c", "-e", "trace=getppid"], *cmd)
    m = re.search(r"^\s*[\d.]+\s+[\d.]+\s+\d+\s+(\d+)\s+(?:\d+\s+)?getppid\s*$", text, re.M)
    return rc, int(m.group(1)) if m else 0


def mount_window(*cmd):
    """The traced calls from the first fsopen to the last listns, masked."""
    rc, text, err = strace(["-e", "signal=none"], *cmd)
    # "PID  call(...) = ret": strace pads the pid, so split on the first run of blanks.
    lines = [l.split(None, 1) for l in text.splitlines() if re.match(r"\d+\s", l)]
    first = next((i for i, (_, c) in enumerate(lines) if c.startswith("fsopen(")), None)
    if first is None:
        return rc, [], err
    pid = lines[first][0]
    mine = [c for p, c in lines[first:] if p == pid]
    last = max((i for i, l in enumerate(mine) if re.match(r"(listns|syscall_0x1d6)\(", l)), default=-1)
    out = []
    for l in mine[:last + 1]:
        # replay's sandbox names carry the run id: replay-NAME-RUNID8-XXXXXX
        l = re.sub(r'"[^"]*/(?:replay|bench)-mountfs-management-(?:[0-9a-f]{8}-)?[A-Za-z0-9]{6}',
                   '"<dir>', l)
        l = re.sub(r"0x[0-9a-f]{8,}", "<ptr>", l)
        out.append(re.sub(r"\s+=", " =", l))
    return rc, out, err


def compare(label, ref_cmd, base_cmd, rounds):
    rc1, ref, err = mount_window(*ref_cmd)
    rc2, base, _ = mount_window(*base_cmd)
    if rc1 != 0 or rc2 != 0 or not ref:
        report(False, f"{label}: exit status replay {rc1}, baseline {rc2}; {err.strip()[:200]}")
        return
    if ref == base:
        report(True, f"{label}: {len(base)} calls ({rounds} x {len(base) // rounds}), same calls, arguments and results as replay")
        return
    n = next((i for i, (a, b) in enumerate(zip(ref, base)) if a != b), min(len(ref), len(base)))
    report(False, f"{label}: replay {len(ref)} calls, baseline {len(base)}; first difference at call {n + 1}:\n"
                  f"         replay:   {ref[n] if n < len(ref) else '-'}\n"
                  f"         baseline: {base[n] if n < len(base) else '-'}")


def main():
    rc, n = count_getppid(f"{BINDIR}/baseline_getppid", "1000")
    report(rc == 0 and n == 1000, f"baseline_getppid 1000: {n} getppid calls")
    rc, n = count_getppid(PYTHON, os.path.join(ROOT, "bench", "ctypes_getppid.py"), "1000")
    report(rc == 0 and n == 1000, f"ctypes_getppid.py 1000: {n} getppid calls")
    if REPEAT_KEY == "1":
        rc, n = count_getppid(REPLAY, f"{SPECDIR}/getppid-1000.yaml")
        report(rc == 0 and n == 1000, f"replay, repeat: 1000: {n} getppid calls")
    else:
        print("  skip replay, repeat: 1000 (replay lacks repeat:)")
    compare("baseline_mountfs 1 vs replay", [REPLAY, MOUNTFS], [f"{BINDIR}/baseline_mountfs", "1"], 1)
    if REPEAT_OPT == "1":
        compare("baseline_mountfs 2 vs replay --repeat 2",
                [REPLAY, "--repeat", "2", MOUNTFS], [f"{BINDIR}/baseline_mountfs", "2"], 2)
    else:
        # Without --repeat: round 2 of the baseline must be round 1 again.
        _, one, _ = mount_window(f"{BINDIR}/baseline_mountfs", "1")
        rc, two, _ = mount_window(f"{BINDIR}/baseline_mountfs", "2")
        report(rc == 0 and two == one + one, f"baseline_mountfs 2: {len(two)} calls, round 1 twice "
               "(skip replay --repeat 2: replay lacks --repeat)")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
