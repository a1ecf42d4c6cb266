"""The seed scenario under strace: the calls that reach the kernel, in order,
with the seed's arguments; fsopen's fd chained into fsconfig and close; and
nothing else issued by the engine between the first and the last step."""
import re

from lib import SPECS, check, check_eq, cleanup, finish, fresh_tmpdir, strace_run

SPEC = f"{SPECS}/mountfs-management.yaml"

tmp = fresh_tmpdir()
proc, per_pid = strace_run([SPEC], tmp)
check_eq(proc.returncode, 0, "replay exit status under strace")

child = [pid for pid, lines in per_pid.items() if any(l.startswith("fsopen(") for l in lines)]
check_eq(len(child), 1, "exactly one process issued fsopen")
lines = per_pid[child[0]] if child else []
first = next(i for i, l in enumerate(lines) if l.startswith("fsopen("))
last = next(i for i, l in enumerate(lines) if "0x1d6" in l.split("(")[0] or l.startswith("listns("))
steps = lines[first:last + 1]

sb = re.search(r'open_tree\(AT_FDCWD, "([^"]+)/mnt"', "\n".join(steps))
check(sb is not None, "open_tree got a sandbox path")
sandbox = sb.group(1) if sb else "<none>"
check(sandbox.startswith(tmp + "/replay-mountfs-management-"), f"sandbox {sandbox} lives in TMPDIR")
steps = [l.replace(sandbox, "<sb>") for l in steps]


def result(line):
    m = re.search(r"= (-?\d+)", line)
    return int(m.group(1)) if m else None


fsopen_fd = result(steps[0])
fd = str(fsopen_fd) if fsopen_fd is not None and fsopen_fd >= 0 else "-1"
expected = [r'fsopen\("tmpfs", FSOPEN_CLOEXEC\)',
            rf'fsconfig\({fd}, FSCONFIG_SET_STRING, "source", "none", 0\)',
            rf'fsconfig\({fd}, FSCONFIG_CMD_CREATE, NULL, NULL, 0\)']
if fd != "-1":
    expected.append(rf'close\({fd}\)')
expected.append(r'fspick\(AT_FDCWD, "/", FSPICK_NO_AUTOMOUNT\)')
idx_fspick = len(expected) - 1


def fd_of(index):
    if index >= len(steps):
        return None
    r = result(steps[index])
    return r if r is not None and r >= 0 else None


def add_close(index):
    f = fd_of(index)
    if f is not None:
        expected.append(rf"close\({f}\)")


# Expected list is built as we go, since each close depends on an fd's success.
add_close(idx_fspick)
expected.append(r'open_tree\(AT_FDCWD, "<sb>/mnt", OPEN_TREE_CLONE\|OPEN_TREE_CLOEXEC\)')
add_close(len(expected) - 1)
expected += [
    r'mount_setattr\(AT_FDCWD, "<sb>/mnt", 0, \{attr_set=MOUNT_ATTR_RDONLY, attr_clr=0, '
    r'propagation=0[^,]*, userns_fd=0\}, 32\)',
    r'mount\("none", "<sb>/mnt", "tmpfs", 0, NULL\)',
    r'umount2\("<sb>/mnt", 0\)',
    r'umount2\("<sb>/mnt", MNT_DETACH\)',
    r'move_mount\(AT_FDCWD, "<sb>/mnt", AT_FDCWD, "<sb>/mnt", 0\)',
    r'fsmount\(-1, 0, 0\)',
    r'pivot_root\("<sb>/mnt", "<sb>"\)',
    r'quotactl\((0|QCMD\(0 /\* Q_\?\?\? \*/, USRQUOTA\)), "<sb>/mnt", 0, NULL\)',
    r'openat\(AT_FDCWD, "<sb>/mnt", O_RDONLY\)',
]
qfd = fd_of(len(expected) - 1)
if qfd is not None:
    expected += [rf'quotactl_fd\({qfd}, (0|QCMD\(0 /\* Q_\?\?\? \*/, USRQUOTA\)), 0, NULL\)',
                 rf"close\({qfd}\)"]
expected += [
    r'swapon\("<sb>/swapfile", 0\)',
    r'swapoff\("<sb>/swapfile"\)',
    # strace 6.1 predates statmount/listmount/listns: it prints them by number.
    r'(statmount|syscall_0x1c9)\((?P<req>0x[0-9a-f]+), 0x[0-9a-f]+, (0x100|256), 0(, 0, 0)?\)',
    r'(listmount|syscall_0x1ca)\((?P<req>0x[0-9a-f]+), 0x[0-9a-f]+, (0x8|8), 0(, 0, 0)?\)',
    r'(listns|syscall_0x1d6)\((?P<req>0x[0-9a-f]+), 0x[0-9a-f]+, (0x8|8), 0(, 0, 0)?\)',
]

import os
if os.environ.get("REPLAY_SANITIZED"):
    # ASan's runtime may add a call of its own (it is not replay's): keep the steps only.
    names = {p.split("\\(")[0].split("|")[-1].strip("()") for p in expected}
    steps = [l for l in steps if any(l.startswith(n + "(") or n in l.split("(")[0] for n in names)]
check_eq(len(steps), len(expected), "number of syscalls between the first and last step "
         "(the engine must issue none of its own)")
reqs = []
for n, (line, pattern) in enumerate(zip(steps, expected)):
    m = re.match(pattern + r"\s+= ", line)
    check(m is not None, f"call {n + 1}: {line!r} !~ {pattern!r}")
    if m and "req" in m.groupdict():
        reqs.append(m.group("req"))
check_eq(len(set(reqs)), 1, "statmount, listmount and listns share one mnt_id_req (ref: req)")

# repeat: N issues exactly N calls; --repeat R runs the program R times, in order.
spec = f"{tmp}/rep.yaml"
with open(spec, "w") as f:
    f.write("name: rep\nsteps:\n  - {call: getppid, repeat: 5}\n  - {call: umask, args: [{int: 022}]}\n")
proc, per_pid = strace_run(["--repeat", "3", spec], tmp, extra=["-e", "trace=getppid,umask"])
check_eq(proc.returncode, 0, "repeat under strace: exit 0")
calls = [l.split("(")[0] for lines in per_pid.values() for l in lines if l[:1].isalpha()]
check_eq(calls, (["getppid"] * 5 + ["umask"]) * 3, "repeat 5 x --repeat 3: the exact call sequence")

cleanup(tmp)
finish()
