"""--events: the tracer-neutral record, compared with what strace saw in the
same run: every step's syscall and argument words (strace -e raw=all prints
them undecoded), and the bytes behind pointer arguments at entry."""
import json
import os
import re

from lib import SPECS, check, check_eq, cleanup, finish, fresh_tmpdir, strace_run, write_spec

tmp = fresh_tmpdir()
events = os.path.join(tmp, "events.jsonl")
spec = f"{SPECS}/mountfs-management.yaml"
p, per_pid = strace_run(["--events", events, spec], tmp, extra=["-e", "raw=all"])
check_eq(p.returncode, 0, f"run with --events under strace: {p.stderr}")
with open(events) as f:
    evs = [json.loads(l) for l in f]
check(len(evs) >= 20, f"one line per executed step ({len(evs)})")
check_eq(len({e["run_id"] for e in evs}), 1, "one run id")
check(re.fullmatch(r"[0-9a-f]{16}", evs[0]["run_id"]) is not None, "the run id is a 64-bit nonce")
sandbox = next(e["data"][1]["text"] for e in evs if e["syscall"] == "open_tree")
check(f"-{evs[0]['run_id'][:8]}-" in sandbox, f"the run id is in the sandbox path: {sandbox}")

runner = evs[0]["pid"]
lines = per_pid.get(runner, [])
first = next(i for i, l in enumerate(lines) if l.startswith("fsopen("))
calls = []
for l in lines[first:]:
    m = re.match(r"(\w+)\((.*)\)\s+= ", l)
    if m:
        calls.append((m.group(1), [a.strip() for a in m.group(2).split(",") if a.strip()]))
names = {"syscall_0x1c9": "statmount", "syscall_0x1ca": "listmount", "syscall_0x1d6": "listns"}
check(len(calls) >= len(evs), "strace saw every step")
for ev, (name, args) in zip(evs, calls):
    name = names.get(name, name)
    check_eq(name, ev["syscall"], f"step {ev['step']}: the same syscall")
    want = [int(a, 16) for a in ev["args"]]
    got = [int(a, 0) for a in args]
    check_eq(got, want[:len(got)], f"step {ev['step']} ({name}): the same argument words")
fsopen = evs[0]
check_eq((fsopen["data"][0], fsopen["data"][1]), ({"text": "tmpfs", "truncated": False}, None),
         "fsopen: the string behind its first argument")
attr = next(e for e in evs if e["syscall"] == "mount_setattr")
check_eq(attr["data"][3]["hex"], "01" + "00" * 31, "mount_setattr: the struct mount_attr bytes at entry")
check(all(e["exit_ns"] >= e["enter_ns"] > 0 for e in evs if e["ret"] is not None), "enter/exit times")
fsconfig = next(e for e in evs if e["syscall"] == "fsconfig")
check_eq(int(fsconfig["args"][0], 16), fsopen["ret"], "fsconfig's first word is fsopen's fd")
check_eq(fsopen["ret"], 3, "steps start from fds 0-2 only: fsopen gets fd 3 even with --events open")
# Lines are written while the spec runs: the first step's line is in the file
# while a later loop still goes on; a looping step gets a line per new round.
import subprocess
import time
from lib import REPLAY
spec = write_spec(tmp, "long.yaml", """name: long
steps:
  - {id: first, call: getpid}
  - loop: {duration: 1.2, pause: 0.3, steps: [{call: getppid}]}
""")
stream = os.path.join(tmp, "stream.jsonl")
proc = subprocess.Popen([REPLAY, "--events", stream, spec], stdout=subprocess.DEVNULL,
                        env=dict(os.environ, TMPDIR=tmp))
time.sleep(0.5)
with open(stream) as f:
    early = [json.loads(l) for l in f]
check(proc.poll() is None, "the spec is still running")
check(any(e["syscall"] == "getpid" for e in early), f"getpid's line was written meanwhile: {len(early)} lines")
proc.wait(timeout=10)
with open(stream) as f:
    final = [json.loads(l) for l in f]
loops = [e for e in final if e["syscall"] == "getppid"]
check(len(loops) >= 2, f"the looping step got a line per new round seen ({len(loops)})")
check_eq([e["count"] for e in loops], sorted(e["count"] for e in loops), "with growing counts")

# {run_id: ~} passes the run id itself to the kernel.
spec = write_spec(tmp, "rid.yaml", "name: rid\nsteps: [{call: write, args: [{int: -1}, {run_id: ~}, {int: 16}]}]\n")
ids = os.path.join(tmp, "rid.jsonl")
p, _ = strace_run(["--events", ids, spec], tmp, extra=["-e", "trace=write", "-s", "64"])
with open(ids) as f:
    ev = json.loads(f.readline())
check_eq(ev["data"][1], {"text": ev["run_id"], "truncated": False}, "run_id builder: the run's nonce")

cleanup(tmp)
finish()
