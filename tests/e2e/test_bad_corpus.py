"""The bad-spec corpus: every tests/bad/NAME.yaml is a malformed spec, and
tests/bad/NAME.err holds exactly the stderr lines of `replay NAME.yaml` run
from inside tests/bad/.  Each run must exit 2, print nothing on stdout and do
nothing: no child forked, no sandbox directory made.

    python3 tests/e2e/test_bad_corpus.py            check every case
    python3 tests/e2e/test_bad_corpus.py --bless    print how the goldens differ from what
                                                    replay prints now (writes nothing; the
                                                    output applies with `patch -p1` from
                                                    the repository root)
"""
import difflib
import os
import re
import resource
import subprocess
import sys

import lib
from lib import ROOT, check, check_eq, cleanup, finish, fresh_tmpdir, sandbox_leftovers, \
    strace_run

BAD = os.path.join(ROOT, "tests", "bad")
MIN_CASES = 60
# The runs happen in tests/bad/: a relative REPLAY_BIN must not depend on that.
lib.REPLAY = os.path.abspath(lib.REPLAY)
# A case that makes replay loop and allocate must fail, not take the machine's memory
# (children inherit the limit).  REPLAY_TEST_AS_LIMIT=0 lifts it, e.g. for ASan builds.
AS_LIMIT = int(os.environ.get("REPLAY_TEST_AS_LIMIT", str(2 << 30)))
if AS_LIMIT:
    resource.setrlimit(resource.RLIMIT_AS, (AS_LIMIT, resource.getrlimit(resource.RLIMIT_AS)[1]))


def names(ext):
    return sorted(f[:-len(ext)] for f in os.listdir(BAD) if f.endswith(ext))


def golden(name):
    path = os.path.join(BAD, name + ".err")
    if not os.path.exists(path):
        return None
    with open(path) as f:
        return f.read()


def run_case(name, tmp):
    """(process or None if it timed out, {pid: strace lines})"""
    try:
        return strace_run([name + ".yaml"], tmp, extra=["-e", "trace=%process,mkdir,mkdirat"],
                          cwd=BAD)
    except subprocess.TimeoutExpired:
        return None, {}


def bless(cases, tmp):
    differ = 0
    for name in cases:
        want = golden(name)
        p, _ = run_case(name, tmp)
        got = p.stderr if p else ""
        if want == got:
            continue
        differ += 1
        sys.stdout.writelines(difflib.unified_diff(
            (want or "").splitlines(keepends=True), got.splitlines(keepends=True),
            "/dev/null" if want is None else f"a/tests/bad/{name}.err", f"b/tests/bad/{name}.err"))
        if p is None or p.returncode != 2 or p.stdout:
            print(f"# {name}: exit status {p.returncode if p else 'timeout'}, "
                  f"stdout {p.stdout if p else ''!r}", file=sys.stderr)
    print(f"# {differ} of {len(cases)} goldens differ from replay's output", file=sys.stderr)
    cleanup(tmp)
    sys.exit(0)


specs, goldens = names(".yaml"), names(".err")
tmp = fresh_tmpdir()
if "--bless" in sys.argv[1:]:
    bless(specs, tmp)

check(len(specs) >= MIN_CASES, f"at least {MIN_CASES} cases in {BAD}: found {len(specs)}")
check_eq([n for n in specs if n not in goldens], [], "specs without a .err golden")
check_eq([n for n in goldens if n not in specs], [], ".err goldens without a spec")

for name in specs:
    p, per_pid = run_case(name, tmp)
    if not check(p is not None, f"{name}: replay finished within the timeout"):
        continue
    check_eq(p.returncode, 2, f"{name}: exit status")
    want = golden(name)
    if want is not None:
        check_eq(p.stderr, want, f"{name}: stderr equals {name}.err")
    check_eq(p.stdout, "", f"{name}: stdout")
    calls = [l for lines in per_pid.values() for l in lines]
    check(any(l.startswith("execve(") for l in calls), f"{name}: strace saw replay start")
    check(not any(re.match(r"(fork|vfork|clone3?)\(", l) for l in calls),
          f"{name}: no child forked")
    check(not any(re.match(r"mkdir(at)?\(", l) for l in calls),
          f"{name}: no sandbox directory made")
    check_eq(sandbox_leftovers(tmp), [], f"{name}: no sandbox in TMPDIR")
    for leftover in sandbox_leftovers(tmp):
        cleanup(os.path.join(tmp, leftover))

cleanup(tmp)
finish()
