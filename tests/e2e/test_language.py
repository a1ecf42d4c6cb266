"""The language's data flow, checked where it matters, in the kernel (strace):
values a call wrote into memory (load:) reach later calls, and a failed
producer yields -1."""
import json
import re

from lib import check, check_eq, cleanup, finish, fresh_tmpdir, run, strace_run, write_spec

tmp = fresh_tmpdir()
spec = write_spec(tmp, "pipe.yaml", """name: pipe
steps:
  - id: p
    call: pipe2
    args: [{buffer: {name: fds, size: 8}}, {flags: [O_CLOEXEC]}]
  - call: write
    args: [{load: {from: fds, offset: 4, type: i32}}, {cstring: hello}, {int: 5}]
  - call: read
    args: [{load: {from: fds, type: i32}}, {buffer: {name: got, size: 16}}, {sizeof: got}]
  - {call: close, args: [{load: {from: fds, type: i32}}]}
  - {call: close, args: [{load: {from: fds, offset: 4, type: i32}}]}
  - {id: bad, call: pipe2, args: [{buffer: {name: fds2, size: 8, fill: 7}}, {int: -1}]}
  - {call: close, args: [{load: {from: fds2, type: i32}}]}
""")
p, per_pid = strace_run([spec], tmp, extra=["-e", "trace=pipe2,write,read,close"])
check_eq(p.returncode, 0, f"pipe spec passes: {p.stdout}{p.stderr}")
child = [lines for lines in per_pid.values() if any(l.startswith("pipe2(") for l in lines)]
lines = child[0] if child else []
first = next((i for i, l in enumerate(lines) if l.startswith("pipe2(")), 0)
calls = [l for l in lines[first:] if re.match(r"(pipe2|write|read|close)\(", l)]
m = re.match(r"pipe2\(\[(\d+), (\d+)\], O_CLOEXEC\)\s+= 0", calls[0] if calls else "")
check(m is not None, f"pipe2 succeeded: {calls[:1]}")
r, w = (m.group(1), m.group(2)) if m else ("?", "?")
want = [rf'write\({w}, "hello", 5\)\s+= 5', rf'read\({r}, "hello", 16\)\s+= 5', rf"close\({r}\)\s+= 0",
        rf"close\({w}\)\s+= 0", r"pipe2\(0x[0-9a-f]+, .*\)\s+= -1 EINVAL", r"close\(-1\)\s+= -1 EBADF"]
check_eq(len(calls), 7, "seven calls")
for n, (line, pattern) in enumerate(zip(calls[1:], want)):
    check(re.match(pattern, line) is not None, f"call {n + 2}: {line!r} !~ {pattern!r}")
# array: of structs (iovec, pollfd) and chars: holding a sandbox path (sockaddr_un),
# as the kernel decodes them.
spec = write_spec(tmp, "arr.yaml", """name: arr
sandbox: {files: [{name: f, content: "hello world"}]}
steps:
  - {id: o, call: openat, args: [{const: AT_FDCWD}, {path: f}, {flags: [O_RDONLY]}]}
  - call: readv
    args:
      - {fd: o}
      - array:
          items:
            - struct: {fields: [{buffer: {name: a, size: 5}}, {u64: 5}]}
            - struct: {fields: [{buffer: {name: b2, size: 6}}, {sizeof: b2, type: u64}]}
      - {int: 2}
  - {id: s, call: socket, args: [{int: 1}, {int: 1}, {int: 0}]}
  - call: bind
    args:
      - {fd: s}
      - struct: {name: addr, fields: [{u16: 1}, {chars: {size: 108, path: sock}}]}
      - {sizeof: addr}
  - call: ppoll
    args:
      - array: {items: [{struct: {fields: [{type: i32, fd: o}, {i16: 1}, {i16: 0}]}},
                        {struct: {fields: [{type: i32, fd: s}, {i16: 1}, {i16: 0}]}}]}
      - {int: 2}
      - {struct: {fields: [{i64: 0}, {i64: 0}]}}
      - {null: ~}
      - {int: 8}
""")
p, per_pid = strace_run([spec], tmp, extra=["-e", "trace=openat,readv,socket,bind,ppoll"])
check_eq(p.returncode, 0, f"array spec passes: {p.stderr}")
lines = [l for ls in per_pid.values() for l in ls if re.match(r"(readv|bind|ppoll)\(", l)]
check_eq(len(lines), 3, f"readv, bind, ppoll reached the kernel: {lines}")
want = [r'readv\(\d+, \[\{iov_base="hello", iov_len=5\}, \{iov_base=" world", iov_len=6\}\], 2\)\s+= 11',
        r'bind\(\d+, \{sa_family=AF_UNIX, sun_path="' + re.escape(tmp) + r'/replay-arr-[\w-]+/sock"\}, 110\)\s+= 0',
        r'ppoll\(\[\{fd=\d+, events=POLLIN\}, \{fd=\d+, events=POLLIN\}\], 2, \{tv_sec=0, tv_nsec=0\}, NULL, 8\)']
for line, pattern in zip(lines, want):
    check(re.match(pattern, line) is not None, f"{line!r} !~ {pattern!r}")

# process: a child runs its steps under its own pid (table and kernel agree), the parent
# waits for it and reads its exit status through load:; loop: repeats exactly.
spec = write_spec(tmp, "proc.yaml", """name: proc
steps:
  - {id: me, call: getpid}
  - id: child
    process:
      steps:
        - {id: cpid, call: getpid}
        - {call: kill, args: [{pid: self}, {int: 0}]}
        - loop:
            repeat: 3
            steps:
              - {call: getppid}
        - {call: exit_group, args: [{int: 7}]}
  - call: wait4
    args: [{ret: child}, {buffer: {name: status, size: 4}}, {int: 0}, {null: ~}]
  - {call: umask, args: [{load: {from: status, type: i32}}]}
  - {call: umask, args: [{int: 022}]}
""")
p = run(["--format", "json", spec], tmp)
check_eq(p.returncode, 0, f"process spec passes: {p.stdout[-400:]}{p.stderr}")
doc = json.loads(p.stdout) if p.stdout.startswith("{") else {"steps": []}
st = {s["index"]: s for s in doc["steps"]}
runner, child = st[1]["ret"], st[2]["ret"]
check_eq([s["kind"] for s in doc["steps"]], ["call", "process", "call", "call", "loop", "call", "call",
                                            "call", "call", "call"], "kinds, end ops hidden")
check_eq([s["depth"] for s in doc["steps"]], [0, 0, 1, 1, 1, 2, 1, 0, 0, 0], "depths")
check_eq(st[2]["pid"], runner, "fork ran in the runner")
check_eq(st[3]["pid"], child, "the child's steps carry the child's pid")
check_eq(st[3]["ret"], child, "getpid in the child returns that pid")
check_eq(st[6]["count"], 3, "loop repeat 3 ran its body three times")
check_eq(st[5]["ret"], 3, "the loop row counts its rounds")
check_eq(st[6]["ret"], runner, "getppid in the child is the runner")
check_eq(st[7]["status"], "exited", "exit_group ended the child")
check_eq(st[8]["ret"], child, "wait4 reaped the child")
check_eq(st[10]["ret"], (7 << 8) & 0o777, "the exit status reached umask through load")
p, per_pid = strace_run([spec], tmp, extra=["-e", "trace=getpid,kill,getppid,exit_group,wait4,fork,clone"])
# (the supervisor's own kill(-pgid, SIGKILL) after the run is not a step)
kids = [pid for pid, lines in per_pid.items() if any(re.match(r"kill\(\d+, 0\)", l) for l in lines)]
check_eq(len(kids), 1, "one process issued the spec's kill")
lines = [l.split("(")[0] for l in per_pid.get(kids[0], []) if l[:1].isalpha()] if kids else []
check_eq(lines, ["getpid", "kill", "getppid", "getppid", "getppid", "exit_group"],
         "the child's calls, exactly (no getpid for {pid: self})")
kill_line = next((l for l in per_pid.get(kids[0], []) if l.startswith("kill(")), "")
check(kids and kill_line.startswith(f"kill({kids[0]}, 0)"), f"pid: self is the child's pid: {kill_line}")

# The child's exit status is recorded in its group's row when replay reaps it.
spec = write_spec(tmp, "status.yaml", """name: status
steps:
  - process: {steps: [{call: getpid}]}
  - process: {steps: [{call: exit_group, args: [{int: 3}]}]}
  - process: {steps: [{id: me, call: getpid}, {call: kill, args: [{ret: me}, {int: 9}]}]}
""")
p = run(["--format", "json", spec], tmp)
doc = json.loads(p.stdout) if p.stdout.startswith("{") else {"steps": []}
forks = [s for s in doc["steps"] if s["kind"] == "process"]
check_eq([f.get("child_exit_status") for f in forks[:2]], [0, 3], "children's exit statuses recorded")
check_eq(forks[2].get("child_signal") if len(forks) > 2 else None, 9, "a killed child's signal recorded")
check_eq(p.returncode, 0, "children ending their own way do not break the run")

# An fd opened before the fork works in the child; on aarch64 (no fork) the group
# compiles to clone(SIGCHLD).
spec = write_spec(tmp, "fdfork.yaml", """name: fdfork
sandbox: {files: [{name: f, content: shared}]}
steps:
  - {id: o, call: openat, args: [{const: AT_FDCWD}, {path: f}, {flags: [O_RDONLY]}]}
  - id: child
    process:
      steps:
        - {call: read, args: [{fd: o}, {buffer: {name: b, size: 16}}, {int: 16}], expect: {ret: 6}}
  - {call: wait4, args: [{ret: child}, {null: ~}, {int: 0}, {null: ~}]}
""")
p = run(["--format", "json", spec], tmp)
doc = json.loads(p.stdout) if p.stdout.startswith("{") else {"steps": []}
check_eq(p.returncode, 0, "an fd from before the fork is read in the child")
check(len(doc["steps"]) > 2 and doc["steps"][2]["ret"] == 6 and doc["steps"][2]["pid"] != doc["steps"][0]["pid"],
      "the child's read returned the file's 6 bytes")
p = run(["--dry-run", "--arch", "aarch64", spec], tmp)
check("process: [220] clone(SIGCHLD)" in p.stdout, f"aarch64: clone(SIGCHLD): {p.stdout}")
p = run(["--dry-run", "--arch", "x86_64", spec], tmp)
check("process: [57] fork()" in p.stdout, "x86_64: fork()")

# loop for a duration with a pause: rounds fit the time, no sleep syscall in the trace.
spec = write_spec(tmp, "dur.yaml", """name: dur
steps:
  - loop:
      duration: 0.2
      pause: 0.02
      steps:
        - {call: getppid}
""")
p, per_pid = strace_run(["--format", "json", spec], tmp)
doc = json.loads(p.stdout) if p.stdout.startswith("{") else {"steps": [{}]}
rounds = doc["steps"][0].get("ret", 0)
check(5 <= rounds <= 11, f"0.2 s with 0.02 s pauses: about 10 rounds (got {rounds})")
check(doc["steps"][0].get("time_ns", 0) >= 200_000_000, "the loop lasted its duration")
runner_lines = [l for lines in per_pid.values() for l in lines if l.startswith("getppid(")]
check_eq(len(runner_lines), rounds, "one getppid per round under strace")
sleeps = [l for lines in per_pid.values() for l in lines
          if re.match(r"(nanosleep|clock_nanosleep|select|poll)\(", l)]
runner_pid = next((pid for pid, lines in per_pid.items() if any(l.startswith("getppid(") for l in lines)), 0)
check(not [l for l in per_pid.get(runner_pid, []) if re.match(r"(nanosleep|clock_nanosleep)\(", l)],
      "pauses make no syscall in the runner")

# threads: each worker runs its own copy of the body under its own tid (report and
# kernel agree), names itself first, and references stay inside its copy; workers are
# started before the first step, so nothing but the spec's calls lies between them.
spec = write_spec(tmp, "thr.yaml", """name: thr
steps:
  - {id: first, call: getpid}
  - threads:
      count: 3
      name: worker
      steps:
        - {id: t, call: gettid}
        - {call: tgkill, args: [{pid: self}, {ret: t}, {int: 0}]}
        - {call: getppid, repeat: 10}
  - {call: umask, args: [{int: 022}]}
""")
p = run(["--format", "json", spec], tmp)
check_eq(p.returncode, 0, f"threads spec passes: {p.stderr}")
doc = json.loads(p.stdout) if p.stdout.startswith("{") else {"steps": []}
runner = doc["steps"][0]["ret"]
copies = [doc["steps"][k:k + 4] for k in (2, 6, 10)]
tids = [c[1]["ret"] for c in copies]
check_eq(len(set(tids)), 3, f"three distinct worker tids: {tids}")
for c, tid in zip(copies, tids):
    check_eq([s["call"] for s in c], ["prctl", "gettid", "tgkill", "getppid"], "each copy's calls")
    check(all(s["pid"] == runner and s["tid"] == tid for s in c), f"rows of worker {tid} carry its tid")
    check_eq(c[2]["status"], "ok", "tgkill(self pid, own tid) succeeds")
    check_eq(c[3]["count"], 10, "each worker repeats its own getppid 10 times")
p, per_pid = strace_run([spec], tmp)
# (threads interleave: strace splits a call into "<unfinished ...>" and "<... resumed>")
calls_of = {pid: [l.split("(")[0] for l in lines if not l.startswith("<...")]
            for pid, lines in per_pid.items()}
workers = {pid: lines for pid, lines in per_pid.items()
           if any(l.startswith('prctl(PR_SET_NAME, "worker"') for l in lines)}
check_eq(len(workers), 3, "three workers named themselves 'worker'")
for pid, lines in workers.items():
    calls = calls_of[pid]
    start = calls.index("prctl") if "prctl" in calls else 0
    check_eq(calls[start:start + 13], ["prctl", "gettid", "tgkill"] + ["getppid"] * 10,
             f"worker {pid}: its calls, in order")
    tg = next((l for l in lines if l.startswith("tgkill(")), "")
    check(re.match(rf"tgkill\(\d+, {pid}, 0", tg) is not None, f"worker {pid}: tgkill got its own tid: {tg}")
runner = next((pid for pid, lines in per_pid.items() if any(l.startswith("umask(") for l in lines)), 0)
calls = calls_of.get(runner, [])
last = calls.index("umask") if "umask" in calls else 0
first_step = max((k for k in range(last) if calls[k] == "getpid"), default=0)
check_eq(calls[first_step:last + 1], ["getpid", "umask"],
         "the runner issues nothing between its steps; workers were started before the first")

cleanup(tmp)
finish()
