"""--verify=ptrace: replay checks itself.  Every step must enter the kernel with
its number and six argument words (earlier results filled in), and nothing
else may happen between the first and the last step.  Passing runs, and the
two ways it must fail (test hooks: a wrong expected argument, a call of the
engine's own between steps)."""
import json
import os
import re

import jsonschema

from lib import REPLAY, SPECS, check, check_eq, cleanup, finish, fresh_tmpdir, run, write_spec

tmp = fresh_tmpdir()


def verify(args, env=None):
    old = dict(os.environ)
    os.environ.update(env or {})
    try:
        p = run(["--verify=ptrace", "--format", "json"] + args, tmp)
    finally:
        os.environ.clear()
        os.environ.update(old)
    doc = json.loads(p.stdout) if p.stdout.startswith("{") else {}
    return p, doc


p, doc = verify([f"{SPECS}/mountfs-management.yaml"])
with open(os.path.join(os.path.dirname(SPECS), "schemas", "replay-report.schema.json")) as f:
    errors = [e.message for e in jsonschema.Draft202012Validator(json.load(f)).iter_errors(doc)]
check_eq(errors, [], "the verified report validates")
v = doc.get("verify", {})
check_eq((p.returncode, doc.get("verdict")), (0, "PASS"), "the mount-API spec verifies")
check_eq((v.get("checked"), v.get("mismatches"), v.get("foreign")), (24 - doc["summary"]["skipped"], 0, 0),
         "every call that ran entered as specified, nothing else in between")

spec = write_spec(tmp, "chain.yaml", """name: chain
steps:
  - {id: p, call: pipe2, args: [{buffer: {name: fds, size: 8}}, {int: 0}]}
  - {call: write, args: [{load: {from: fds, offset: 4, type: i32}}, {cstring: hi}, {int: 2}]}
  - {id: me, call: getpid}
  - {call: kill, args: [{ret: me}, {int: 0}]}
  - {call: getppid, repeat: 1000}
  - {call: close, args: [{fd: p}]}
""")
p, doc = verify([spec])
check_eq((doc.get("verdict"), doc.get("verify", {}).get("checked")), ("PASS", 1005),
         "loads, rets and fds are checked in the registers; a repeat counts each call")

p, doc = verify([f"{SPECS}/mountfs-management.yaml"], {"REPLAY_VERIFY_TAMPER": "args"})
v = doc.get("verify", {})
check_eq((p.returncode, doc.get("verdict"), v.get("mismatches")), (1, "FAIL", 1), "a wrong expectation fails")
check("step 24 (listns): argument 1 was 0x" in (v.get("first_problem") or ""), f"and says where: {v}")

p, doc = verify([spec], {"REPLAY_VERIFY_TAMPER": "foreign"})
v = doc.get("verify", {})
check_eq((doc.get("verdict"), v.get("foreign")), ("FAIL", 1), "a call of the engine's own between steps fails")
check(re.fullmatch(r"syscall %d in \d+ between steps" % (110 if os.uname().machine == "x86_64" else 173),
                   v.get("first_problem") or "") is not None, f"and names it: {v.get('first_problem')}")

# Processes, threads and fork steps are followed too (PTRACE_O_TRACEFORK/CLONE, workers seized).
spec = write_spec(tmp, "group.yaml", """name: group
steps:
  - id: c
    process: {steps: [{id: me, call: getpid}, {call: kill, args: [{pid: self}, {int: 0}]}]}
  - {call: wait4, args: [{ret: c}, {null: ~}, {int: 0}, {null: ~}]}
  - threads: {count: 2, name: w, steps: [{id: t, call: gettid}, {call: tgkill, args: [{pid: self}, {ret: t}, {int: 0}]}]}
  - {id: f, call: fork}
  - {call: wait4, args: [{ret: f}, {null: ~}, {int: 0}, {null: ~}]}
""")
p, doc = verify([spec])
v = doc.get("verify", {})
# (under ASan its runtime adds calls of its own in new processes: foreign is not 0 there)
SAN = bool(os.environ.get("REPLAY_SANITIZED"))
check_eq((v.get("mismatches"), v.get("foreign") if not SAN else 0), (0, 0),
         f"a child's, the threads' and a fork's calls all verify: {v}")
check_eq(v.get("checked"), 12, "2 (child) + fork + wait4 + 2 x 3 (threads) + fork + wait4 entries checked")

# --verify=tracepoints: perf counts each call's sys_enter tracepoint; threads and
# process: children are counted too.
p = run(["--verify=tracepoints", "--format", "json", f"{SPECS}/mountfs-management.yaml"], tmp)
doc = json.loads(p.stdout)
v = doc.get("verify", {})
if os.geteuid() == 0:
    check_eq((doc["verdict"], v.get("mode"), v.get("mismatches")), ("PASS", "tracepoints", 0),
             f"mount-API spec: every tracepoint count equals the table: {v}")
    check(v.get("checked", 0) >= 17, f"one check per distinct call: {v.get('checked')}")
    spec = write_spec(tmp, "groups.yaml", """name: groups
steps:
  - id: c
    process: {steps: [{call: getppid, repeat: 7}]}
  - {call: wait4, args: [{ret: c}, {null: ~}, {int: 0}, {null: ~}]}
  - threads: {count: 3, steps: [{call: gettid}, {call: getppid, repeat: 5}]}
  - {call: exit_group, args: [{int: 0}]}
""")
    p = run(["--verify=tracepoints", "--format", "json", spec], tmp)
    doc = json.loads(p.stdout)
    check_eq((doc["verdict"], doc["verify"]["mismatches"]), ("PASS", 0),
             f"children, threads and a final exit_group counted right: {doc['verify']}")
    p = run(["--verify=tracepoints", "--format", "json", spec], tmp) if False else p
    old = dict(os.environ)
    os.environ["REPLAY_VERIFY_TAMPER"] = "count"
    try:
        p = run(["--verify=tracepoints", "--format", "json", spec], tmp)
    finally:
        os.environ.clear()
        os.environ.update(old)
    doc = json.loads(p.stdout)
    check_eq((doc["verdict"], doc["verify"]["mismatches"]), ("FAIL", 1), "a wrong expected count fails")
    check("fired" in (doc["verify"]["first_problem"] or ""), f"and says which: {doc['verify']}")
    # Without root (no CAP_PERFMON, no tracefs mount): SKIP with the reason, the run itself passes.
    import shutil
    if shutil.which("setpriv"):
        os.chmod(tmp, 0o755)
        spec = write_spec(tmp, "plain.yaml", "name: plain\nsteps: [{call: getppid}]\n")
        os.chmod(spec, 0o644)
        binary = os.path.join(tmp, "replay-copy")
        shutil.copy(REPLAY, binary)
        nobody_tmp = fresh_tmpdir(0o777)
        os.chmod(nobody_tmp, 0o1777)
        p = run(["--verify=tracepoints", "--format", "json", spec], nobody_tmp, binary=binary,
                prefix=["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "--inh-caps=-all"])
        doc = json.loads(p.stdout) if p.stdout.startswith("{") else {}
        check_eq(doc.get("verdict"), "PASS", f"unprivileged: the run passes ({p.stderr.strip()})")
        check(doc.get("verify", {}).get("skipped"), f"unprivileged: verify says SKIP and why: {doc.get('verify')}")
        cleanup(nobody_tmp)

# Library specs without groups verify too.
done = 0
for name in sorted(os.listdir(SPECS)):
    with open(os.path.join(SPECS, name)) as f:
        text = f.read()
    p, doc = verify([os.path.join(SPECS, name)])
    v = doc.get("verify", {})
    check_eq((v.get("mismatches"), v.get("foreign") if not SAN else 0), (0, 0),
             f"{name} verifies: {v.get('first_problem')}")
    check(SAN or doc.get("verdict") == "PASS", f"{name}: PASS")
    done += 1
check(done >= 35, f"{done} library specs verified, groups and all")
cleanup(tmp)
finish()
