"""Authoring aids: --dry-run prints the compiled calls (checked against a
golden per arch) without running anything; `replay syscalls` lists each
arch's table; a run for a foreign arch is refused."""
import os
import re

from lib import ROOT, SPECS, check, check_eq, cleanup, finish, fresh_tmpdir, run, sandbox_leftovers, \
    strace_run

SPEC = f"{SPECS}/mountfs-management.yaml"
tmp = fresh_tmpdir()
for arch in ("x86_64", "aarch64"):
    with open(os.path.join(ROOT, "tests", "golden", f"mountfs-management.{arch}.dry-run")) as f:
        golden = f.read()
    p, per_pid = strace_run(["--dry-run", "--arch", arch, SPEC], tmp, extra=["-e", "trace=%process,mkdir"])
    check_eq(p.returncode, 0, f"dry-run {arch}: exit 0")
    check_eq(p.stdout, golden, f"dry-run {arch}: output equals the golden")
    calls = [l for lines in per_pid.values() for l in lines]
    check(not any(re.match(r"(fork|vfork|clone3?)\(", l) for l in calls), f"dry-run {arch}: no fork")
    check(not any(l.startswith("mkdir") for l in calls), f"dry-run {arch}: no sandbox made")
check_eq(sandbox_leftovers(tmp), [], "dry-run: nothing in TMPDIR")
check("[430] fsopen(\"tmpfs\", FSOPEN_CLOEXEC)" in golden, "dry-run shows the number and decoded args")

tables = {}
for arch in ("x86_64", "aarch64"):
    p = run(["syscalls", "--arch", arch])
    check_eq(p.returncode, 0, f"syscalls {arch}: exit 0")
    tables[arch] = {l.split()[-1]: l.split() for l in p.stdout.splitlines()}
check_eq(tables["x86_64"]["fsopen"][:3], ["430", "2", "retfd"], "x86_64 fsopen row")
check_eq(tables["aarch64"]["openat"][0], "56", "aarch64 openat is 56")
check_eq(tables["x86_64"]["openat"][0], "257", "x86_64 openat is 257")
check("open" not in tables["aarch64"] and "open" in tables["x86_64"], "aarch64 has no open")
check_eq(tables["x86_64"]["listns"][0], "470", "listns 470")
check(len(tables["x86_64"]) > 350 and len(tables["aarch64"]) > 300, "tables are complete")

foreign = "aarch64" if os.uname().machine == "x86_64" else "x86_64"
p = run(["--arch", foreign, SPEC], tmp)
check_eq(p.returncode, 2, "a run for a foreign arch is refused")
check("cannot run" in p.stderr, "and says so")
cleanup(tmp)
finish()
