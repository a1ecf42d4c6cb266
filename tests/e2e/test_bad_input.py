"""Bad input: one `file:line:col: error: message` line per problem, exit 2,
and nothing executed: no sandbox created, no child forked, no step issued."""
import os
import re

from lib import check, check_eq, cleanup, finish, fresh_tmpdir, run, sandbox_leftovers, \
    strace_run, write_spec

CASES = [
    # (spec text, expected stderr lines; {f} is the file)
    ("name: t\nsteps:\n  - call: fsopen\n    args: [{cstring: tmpfs}, {flags: [FSOPEN_CLOEXE]}]\n",
     ["{f}:4:39: error: unknown constant 'FSOPEN_CLOEXE'; did you mean 'FSOPEN_CLOEXEC'?"]),
    ("name: t\nsteps:\n  - {call: close, args: [{fd: fsopen}]}\n  - {id: fsopen, call: fsopen}\n",
     ["{f}:3:31: error: step 'fsopen' comes later; a step can only use results of earlier steps"]),
    ("name: t\nsteps:\n  - {call: openat, args: [{const: AT_FDCWD}, {path: ../../etc/passwd}]}\n"
     "  - {call: umask, args: [{int: 08}]}\n",
     ["{f}:3:53: error: path '../../etc/passwd' leaves the sandbox through '..'",
      "{f}:4:32: error: '08' is not an integer (decimal, 0x hex, 0o or leading-0 octal, 0b binary, "
      "optionally negative, within 64 bits)"]),
    ("name: t\nsteps:\n  - call: getpid\n    agrs: []\n",
     ["{f}:4:5: error: unknown key 'agrs'; did you mean 'args'?"]),
    ("name: t\nsteps:\n  - call: [getpid\n",
     ["{f}:4:1: error: YAML syntax: did not find expected ',' or ']' while parsing a flow sequence that starts at 3:11"]),
    ("name: t\nsteps:\n  - {call: getpid, expect: {errno: [ENOENTT]}}\n",
     ["{f}:3:37: error: unknown errno name 'ENOENTT'; did you mean 'ENOENT'?"]),
]

tmp = fresh_tmpdir()
for n, (text, want) in enumerate(CASES):
    spec = write_spec(tmp, f"bad{n}.yaml", text)
    p, per_pid = strace_run([spec], tmp, extra=["-e", "trace=%process,mkdir"])
    check_eq(p.returncode, 2, f"case {n}: exit status")
    got = [l for l in p.stderr.splitlines() if l]
    check_eq(got, [w.format(f=spec) for w in want], f"case {n}: error lines")
    check_eq(p.stdout, "", f"case {n}: no table")
    calls = [l for lines in per_pid.values() for l in lines]
    check(not any(re.match(r"(fork|vfork|clone3?)\(", l) for l in calls), f"case {n}: no child forked")
    check(not any(l.startswith("mkdir") for l in calls), f"case {n}: no sandbox directory made")
    check_eq(sandbox_leftovers(tmp), [], f"case {n}: no sandbox in TMPDIR")

# Usage errors are exit 2 too.
for args, what in [([], "no spec"), (["--format", "xml", "x.yaml"], "unknown format"),
                   (["--arch", "mips", "check", "x.yaml"], "unknown arch"),
                   (["/nonexistent/spec.yaml"], "missing file")]:
    check_eq(run(args, tmp).returncode, 2, f"usage: {what}")

# check validates several files, runs nothing, and reports each bad one.
good = write_spec(tmp, "good.yaml", "name: g\nsteps: [{call: getpid}]\n")
p = run(["check", good, f"{tmp}/bad3.yaml"], tmp)
check_eq(p.returncode, 2, "check with one bad file exits 2")
check(f"{good}: ok (1 steps" in p.stdout, "check reports the good file")
check(f"{tmp}/bad3.yaml:4:5: error: unknown key 'agrs'" in p.stderr, "check reports the bad one")
p = run(["check", "--arch", "aarch64", good], tmp)
check_eq(p.returncode, 0, "check --arch aarch64")
check(", aarch64)" in p.stdout, "check names the arch")

cleanup(tmp)
finish()
