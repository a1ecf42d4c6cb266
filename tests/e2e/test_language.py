"""The language's data flow, checked where it matters, in the kernel (strace):
values a call wrote into memory (load:) reach later calls, and a failed
producer yields -1."""
import re

from lib import check, check_eq, cleanup, finish, fresh_tmpdir, strace_run, write_spec

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
cleanup(tmp)
finish()
