"""Shared helpers for replay's end-to-end tests.

Each test is a plain script: it runs the real `replay` binary (REPLAY_BIN),
counts its checks and ends with the line "N passed, N failed".  Every run
gets a fresh TMPDIR so a test can see exactly what a run left behind.
"""
import os
import re
import shutil
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
REPLAY = os.environ.get("REPLAY_BIN", os.path.join(ROOT, "build", "replay"))
SPECS = os.path.join(ROOT, "specs")

_passed = 0
_failed = 0


def check(cond, what):
    global _passed, _failed
    if cond:
        _passed += 1
    else:
        _failed += 1
        print(f"FAIL: {what}", file=sys.stderr)
    return cond


def check_eq(got, want, what):
    return check(got == want, f"{what}: got {got!r}, want {want!r}")


def finish():
    print(f"{_passed} passed, {_failed} failed")
    sys.exit(1 if _failed or not _passed else 0)


def fresh_tmpdir(mode=0o700):
    d = tempfile.mkdtemp(prefix="replay-test-")
    os.chmod(d, mode)
    return d


def run(args, tmpdir=None, prefix=(), input_text=None, binary=None, cwd=None):
    """cwd: the directory to run in (default: this process's)."""
    env = dict(os.environ)
    if tmpdir:
        env["TMPDIR"] = tmpdir
    if prefix and prefix[0] == "strace":
        env = _no_leak_check_under_ptrace(env)
    p = subprocess.run(list(prefix) + [binary or REPLAY] + list(args), env=env, capture_output=True,
                       text=True, input=input_text, timeout=120, cwd=cwd)
    return p


def mounts_containing(fragment):
    with open("/proc/self/mountinfo") as f:
        return [line.split()[4] for line in f if fragment in line.split()[4]]


def sandbox_leftovers(tmpdir):
    return [n for n in os.listdir(tmpdir) if n.startswith("replay-")]


def write_spec(directory, name, text):
    path = os.path.join(directory, name)
    with open(path, "w") as f:
        f.write(text)
    return path


def _no_leak_check_under_ptrace(env):
    # LeakSanitizer cannot run under ptrace; the runs without strace still check leaks.
    if os.environ.get("REPLAY_SANITIZED"):
        env["ASAN_OPTIONS"] = os.environ.get("ASAN_OPTIONS", "") + ":detect_leaks=0"
    return env


def strace_run(args, tmpdir, extra=(), cwd=None):
    """Run replay under strace -f (in cwd, if given); return (process, {pid: [lines]})."""
    out = os.path.join(os.path.abspath(tmpdir), "strace.out")
    p = run(args, tmpdir, prefix=["strace", "-f", "-qq", "-s", "256", "-o", out, *extra], cwd=cwd)
    per_pid = {}
    with open(out) as f:
        for line in f:
            m = re.match(r"(\d+)\s+(.*)", line.rstrip("\n"))
            if m:
                per_pid.setdefault(int(m.group(1)), []).append(m.group(2))
    os.unlink(out)
    return p, per_pid


def cleanup(tmpdir):
    shutil.rmtree(tmpdir, ignore_errors=True)
