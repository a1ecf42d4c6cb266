"""needs: and expect: skip: make specs and steps SKIP with the reason, never
FAIL, and a skipped spec creates and runs nothing."""
import json
import os
import platform

from lib import check, check_eq, cleanup, finish, fresh_tmpdir, run, sandbox_leftovers, \
    strace_run, write_spec

tmp = fresh_tmpdir()
other = "aarch64" if platform.machine() == "x86_64" else "x86_64"
spec = write_spec(tmp, "other-arch.yaml", f"""name: other-arch
needs: {{arch: [{other}]}}
steps: [{{call: getpid}}]
""")
p, per_pid = strace_run(["--format", "json", spec], tmp, extra=["-e", "trace=%process,mkdir"])
doc = json.loads(p.stdout)
check_eq((p.returncode, doc["verdict"]), (0, "SKIP"), "a spec for another arch is skipped, exit 0")
check_eq(doc["reason"], f"not for {platform.machine()}", "with the reason")
calls = [l for lines in per_pid.values() for l in lines]
check(not any(l.startswith(("clone", "fork", "mkdir")) for l in calls), "nothing forked or created")
check_eq(sandbox_leftovers(tmp), [], "no sandbox")
p = run([spec], tmp)
check(f"skipped: not for {platform.machine()}" in p.stdout and "verdict: SKIP" in p.stdout, "the table says SKIP")

# Step needs, probed for real: a kernel version from the future, a sysctl value this
# machine does not have, a syscall this kernel lacks (if kallsyms or tracefs can tell).
release = os.uname().release.split("-")[0]
spec = write_spec(tmp, "steps.yaml", f"""name: steps
steps:
  - {{call: getpid}}
  - {{call: getppid, needs: {{kernel: "999.1"}}}}
  - {{call: getppid, needs: {{kernel: "{release}"}}}}
  - {{call: getpid, needs: {{sysctl: [{{name: kernel.pid_max, value: "1"}}]}}}}
  - {{call: close, args: [{{int: -1}}], expect: {{skip: [EBADF]}}}}
  - {{call: close, args: [{{int: -1}}], expect: {{skip: [ENOSYS]}}}}
""")
p = run(["--format", "json", spec], tmp)
doc = json.loads(p.stdout)
st = doc["steps"]
check_eq([s["status"] for s in st], ["ok", "skipped", "ok", "skipped", "skipped", "error"], "statuses")
check_eq(st[1]["reason"], f"needs Linux >= 999.1.0, this is {'.'.join((release + '.0.0').split('.')[:3])}",
         "kernel reason")
check_eq(st[3]["reason"], "needs sysctl kernel.pid_max = 1", "sysctl reason")
check_eq(doc["verdict"], "PASS", "skips do not fail the run")
check_eq(doc["summary"]["skipped"], 3, "three skipped")

with open("/proc/kallsyms") as f:
    has_fsopen = any(l.rstrip().endswith("sys_fsopen") for l in f)
if has_fsopen:
    spec = write_spec(tmp, "sys.yaml", """name: sys
steps:
  - {call: fsopen, args: [{cstring: tmpfs}, {int: 0}], needs: {syscalls: [fsopen]}}
  - {call: getpid, needs: {syscalls: [fsopen, listns]}}
""")
    with open("/proc/kallsyms") as f:
        has_listns = any(l.rstrip().endswith("sys_listns") for l in f)
    doc = json.loads(run(["--format", "json", spec], tmp).stdout)
    check(doc["steps"][0]["status"] in ("ok", "error"), "fsopen exists here: the step ran")
    check_eq(doc["steps"][1]["status"], "ok" if has_listns else "skipped", "listns probed from the kernel")

# Bad needs are errors at check time.
spec = write_spec(tmp, "bad.yaml", """name: bad
needs: {kernel: "six", arch: [sparc], caps: [CAP_SYS_ADMN], root: yes}
steps: [{call: getpid, needs: {syscalls: [fsopn]}}]
""")
p = run(["check", spec], tmp)
check_eq(p.returncode, 2, "bad needs: exit 2")
for want in ["kernel 'six' is not a version like 5.2 or 6.8.1", "unknown arch 'sparc' (x86_64, aarch64)",
             "unknown capability 'CAP_SYS_ADMN'", "root takes true or false, not 'yes'",
             "unknown syscall 'fsopn'; did you mean 'fsopen'?"]:
    check(want in p.stderr, f"says: {want}")
cleanup(tmp)
finish()
