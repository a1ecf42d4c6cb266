"""--verify=ptrace: replay checks itself.  Every step must enter the kernel with
its number and six argument words (earlier results filled in), and nothing
else may happen between the first and the last step.  Passing runs, and the
two ways it must fail (test hooks: a wrong expected argument, a call of the
engine's own between steps)."""
import json
import os

import jsonschema

from lib import SPECS, check, check_eq, cleanup, finish, fresh_tmpdir, run, write_spec

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
check_eq(v.get("first_problem"), "syscall %d between steps (after step 1)" % (110 if os.uname().machine == "x86_64" else 173),
         "and names it")

spec = write_spec(tmp, "group.yaml", "name: group\nsteps: [{process: {steps: [{call: getpid}]}}]\n")
p = run(["--verify=ptrace", spec], tmp)
check_eq(p.returncode, 2, "groups are refused for now")
check("cannot be verified yet" in p.stderr, "with the reason")

# Library specs without groups verify too.
done = 0
for name in sorted(os.listdir(SPECS)):
    with open(os.path.join(SPECS, name)) as f:
        text = f.read()
    if "process:" in text or "threads:" in text or "call: fork" in text or "call: clone" in text:
        continue
    p, doc = verify([os.path.join(SPECS, name)])
    v = doc.get("verify", {})
    check_eq((doc.get("verdict"), v.get("mismatches"), v.get("foreign")), ("PASS", 0, 0),
             f"{name} verifies: {v.get('first_problem')}")
    done += 1
check(done >= 20, f"{done} library specs verified")
cleanup(tmp)
finish()
