"""Reliability guarantees, each shown by a run that could break it:
a killing step, a blocking step, SIGINT mid-run, a planted symlink, a root
run with --isolate whose mount the host never sees, and after every one of
them: no sandbox, no mount, no process, no fd left by the engine."""
import json
import os
import re
import shutil
import signal
import subprocess
import time

from lib import REPLAY, check, check_eq, cleanup, finish, fresh_tmpdir, mounts_containing, run, \
    sandbox_leftovers, strace_run, write_spec

tmp = fresh_tmpdir()


def no_debris(label):
    check_eq(sandbox_leftovers(tmp), [], f"{label}: no sandbox left")
    check_eq(mounts_containing(tmp), [], f"{label}: no mount left")
    # Only this test's runs (TMPDIR=tmp): replay runs of tests beside it under ctest -j are not debris.
    left = []
    for pid in os.listdir("/proc"):
        if pid.isdigit():
            try:
                with open(f"/proc/{pid}/cmdline", "rb") as f:
                    is_replay = f.read().split(b"\0")[0] == REPLAY.encode()
                with open(f"/proc/{pid}/environ", "rb") as f:
                    ours = f"TMPDIR={tmp}".encode() in f.read().split(b"\0")
                if is_replay and ours:
                    left.append(pid)
            except OSError:
                pass
    check_eq(left, [], f"{label}: no replay process left")


def report(p):
    return json.loads(p.stdout) if p.stdout.startswith("{") else {}


# A step that kills the process with SIGSEGV: rows before it kept, the signal named.
spec = write_spec(tmp, "segv.yaml", """name: segv
steps:
  - {id: me, call: getpid}
  - {call: umask, args: [{int: 022}]}
  - {call: kill, args: [{ret: me}, {int: 11}]}
  - {call: getppid}
""")
p = run([spec], tmp)
check_eq(p.returncode, 1, "SIGSEGV step: exit 1")
check(re.search(r"^\s+3\s+\d+\s+-\s+kill\s+\d+\s+ended the run\s+-\s+killed by signal 11", p.stdout, re.M),
      f"SIGSEGV step: the row names the signal\n{p.stdout}")
check(re.search(r"^\s+2\s+\d+\s+-\s+umask\s+\d+\s+\d+\s", p.stdout, re.M), "SIGSEGV step: earlier row kept")
check("verdict: BROKEN" in p.stdout, "SIGSEGV step: BROKEN")
no_debris("SIGSEGV step")

# A blocking step: killed at its timeout, reported as blocked, cleanup done.
spec = write_spec(tmp, "block.yaml", """name: block
sandbox: {dirs: [d]}
steps:
  - {call: getpid}
  - {call: pause}
  - {call: getppid}
""")
t0 = time.monotonic()
p = run(["--format", "json", "--step-timeout", "0.3", spec], tmp)
took = time.monotonic() - t0
doc = report(p)
check_eq(p.returncode, 1, "blocking step: exit 1")
check_eq([s["status"] for s in doc.get("steps", [])], ["ok", "blocked", "not-run"], "blocking step: statuses")
check_eq(doc.get("summary", {}).get("timed_out"), True, "blocking step: timed_out")
check(0.25 < took < 3, f"blocking step: stopped near its 0.3 s timeout (took {took:.2f} s)")
no_debris("blocking step")

# A repeated step that keeps returning is not blocked, however long it runs in all.
def nanosleep_spec(name, repeat, ns):
    """A spec of one nanosleep step, repeated."""
    return write_spec(tmp, name + ".yaml", f"""name: {name}
steps:
  - call: nanosleep
    repeat: {repeat}
    args: [{{struct: {{fields: [{{i64: 0}}, {{i64: {ns}}}]}}}}, {{null: ~}}]
""")


spec2 = nanosleep_spec("slow", 12, 50000000)
p = run(["--format", "json", "--step-timeout", "0.3", spec2], tmp)
doc = report(p)
check_eq((p.returncode, doc.get("verdict")), (0, "PASS"), "slow repeated step (0.6 s, 0.3 s timeout): PASS")
check_eq(doc["steps"][0]["count"] if doc else None, 12, "slow repeated step: all 12 calls made")

# The whole-run timeout.
p = run(["--format", "json", "--step-timeout", "0", "--timeout", "0.3", spec], tmp)
doc = report(p)
check_eq((p.returncode, doc.get("verdict")), (1, "BROKEN"), "run timeout: BROKEN")
check_eq(doc["steps"][1]["status"] if doc else None, "killed", "run timeout: the step in the kernel killed")
no_debris("run timeout")

# A repeated step the run timeout kills mid-repeat: it says how many of its calls had
# returned, and that is the number strace saw return (the killed one never did).
spec4 = nanosleep_spec("killrep", 1000, 10000000)
p, per_pid = strace_run(["--format", "json", "--timeout", "0.5", spec4], tmp,
                        extra=["-e", "trace=nanosleep"])
doc = report(p)
returned = sum(1 for lines in per_pid.values() for l in lines if re.match(r"nanosleep\(.*\) = 0$", l))
step = doc["steps"][0] if doc else {}
check_eq(step.get("status"), "killed", "killed repeat: status killed")
check(returned > 3, f"killed repeat: strace saw {returned} nanosleep calls return")
check_eq(step.get("completed"), returned, "killed repeat: completed = calls strace saw return")
p = run(["--timeout", "0.3", spec4], tmp)
check(re.search(r"killed by signal 9 \(Killed\); \d+ earlier calls returned", p.stdout),
      f"killed repeat: the table says how many calls returned\n{p.stdout}")
no_debris("killed repeat")

def descendants(pid):
    kids = []
    try:
        for tid in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{tid}/children") as f:
                kids += [int(k) for k in f.read().split()]
    except OSError:
        return []
    return kids + [d for k in kids for d in descendants(k)]


PAUSE_NR = {"x86_64": "34"}.get(os.uname().machine)


def wait_in_pause(pid, limit=10.0):
    """Until a process under PID sits in pause(2): a fixed sleep loses the race on a busy machine."""
    end = time.monotonic() + limit
    while time.monotonic() < end:
        for d in descendants(pid):
            try:
                with open(f"/proc/{d}/syscall") as f:
                    if f.read().split()[0] == PAUSE_NR:
                        return True
            except (OSError, IndexError):
                pass
        time.sleep(0.01)
    return False


def interrupted(sig, extra=()):
    """Run the blocking spec, send SIG to replay alone mid-run; (exit code, stdout)."""
    proc = subprocess.Popen([REPLAY, "--step-timeout", "0", *extra, spec], env=dict(os.environ, TMPDIR=tmp),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    check(wait_in_pause(proc.pid), f"signal {sig}: the run reached its pause step")
    proc.send_signal(sig)
    out, _ = proc.communicate(timeout=10)
    return proc.returncode, out


# SIGINT to replay mid-run: child stopped, partial results printed, exit 130.
rc, out = interrupted(signal.SIGINT)
check_eq(rc, 130, "SIGINT: exit 130")
check("interrupted by signal 2" in out, f"SIGINT: says interrupted\n{out}")
check(re.search(r"^\s+1\s+\d+\s+-\s+getpid\s+\d+\s+\d+", out, re.M), "SIGINT: the finished row is printed")
no_debris("SIGINT")

# SIGTERM too (sent to replay only, not its process group).
rc, _ = interrupted(signal.SIGTERM)
check_eq(rc, 143, "SIGTERM: exit 143")
no_debris("SIGTERM")

# Under --verify=ptrace the tracer's wait must wake for the same signals and deadlines:
# it used to ignore SIGINT while a step blocked, and every timeout.
rc, out = interrupted(signal.SIGINT, ["--verify=ptrace"])
check_eq(rc, 130, "--verify=ptrace, SIGINT: exit 130")
check("interrupted by signal 2" in out, f"--verify=ptrace, SIGINT: says interrupted\n{out}")
no_debris("--verify=ptrace SIGINT")
t0 = time.monotonic()
p = run(["--format", "json", "--verify=ptrace", "--step-timeout", "0.3", spec], tmp)
took = time.monotonic() - t0
doc = report(p)
check_eq([s["status"] for s in doc.get("steps", [])], ["ok", "blocked", "not-run"],
         "--verify=ptrace, blocking step: statuses")
check(took < 3, f"--verify=ptrace, blocking step: stopped near its 0.3 s timeout (took {took:.2f} s)")
p = run(["--format", "json", "--verify=ptrace", "--step-timeout", "0", "--timeout", "0.3", spec], tmp)
doc = report(p)
check_eq(doc.get("summary", {}).get("timed_out"), True, "--verify=ptrace, run timeout: timed_out")
no_debris("--verify=ptrace timeouts")

# replay itself SIGKILLed (the OOM killer, a CI job's timeout): nothing can clean up, but
# the run must not go on without it.  The kernel kills the runner (PR_SET_PDEATHSIG), and
# with --isolate the process left in the pid namespace too.
def alive(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


for extra in ([], ["--isolate"]) if os.geteuid() == 0 else ([],):
    proc = subprocess.Popen([REPLAY, "--step-timeout", "0", *extra, spec], env=dict(os.environ, TMPDIR=tmp),
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    label = "replay SIGKILLed" + (" with --isolate" if extra else "")
    check(wait_in_pause(proc.pid), f"{label}: the run reached its pause step")
    runners = descendants(proc.pid)
    check(len(runners) >= 1, f"{label}: replay has its runner ({runners})")
    proc.kill()
    proc.wait()
    end = time.monotonic() + 5
    while any(alive(r) for r in runners) and time.monotonic() < end:
        time.sleep(0.01)
    check_eq([r for r in runners if alive(r)], [], f"{label}: its runner died with it")
    for d in sandbox_leftovers(tmp): # left behind, as documented: nothing ran the cleanup
        shutil.rmtree(os.path.join(tmp, d))
    no_debris(label)

# SIGINT while the sandbox is being built (20,000 files): replay finishes building it,
# runs nothing, removes it and exits 130.  It used to die half-way, leaving the files.
many = write_spec(tmp, "many.yaml", "name: many\nsandbox:\n  files:\n" +
                  "".join(f"    - {{name: f{i}, content: x}}\n" for i in range(20000)) +
                  "steps:\n  - {call: getpid}\n")
proc = subprocess.Popen([REPLAY, many], env=dict(os.environ, TMPDIR=tmp), stdout=subprocess.PIPE,
                        stderr=subprocess.PIPE, text=True)
end = time.monotonic() + 10
while not sandbox_leftovers(tmp) and proc.poll() is None and time.monotonic() < end:
    time.sleep(0.001)
proc.send_signal(signal.SIGINT)
out, err = proc.communicate(timeout=30)
check_eq(proc.returncode, 130, f"SIGINT while building the sandbox: exit 130 ({err.strip()})")
check("interrupted by signal 2" in out and "verdict: BROKEN" in out,
      f"SIGINT while building the sandbox: the report says so, BROKEN\n{out}")
no_debris("SIGINT while building the sandbox")

# A process: child that leaves the run's process group (setsid) and blocks: it used to
# survive the run, reparented to init.  replay is the run's subreaper: it is killed.
spec_ss = write_spec(tmp, "setsid.yaml", """name: setsid
steps:
  - process:
      steps: [{call: setsid}, {call: pause}]
  - {call: getpid}
""")
p = run(["--format", "json", "--step-timeout", "0.5", spec_ss], tmp)
doc = report(p)
check_eq([s["status"] for s in doc.get("steps", [])], ["ok", "ok", "blocked", "ok"],
         "setsid child: its pause is blocked, the parent's steps ran")
no_debris("setsid child")
# ... and its own child in yet another process group: it becomes replay's child only
# when its parent is killed (replay used to wait for it forever).
spec_ss2 = write_spec(tmp, "setsid2.yaml", """name: setsid2
steps:
  - process:
      steps:
        - call: setsid
        - process:
            steps:
              - {call: setpgid, args: [{int: 0}, {int: 0}]}
              - call: pause
        - call: pause
  - call: getpid
""")
t0 = time.monotonic()
p = run(["--format", "json", "--step-timeout", "0.5", spec_ss2], tmp)
check(time.monotonic() - t0 < 5, "setsid child with a setpgid grandchild: the run ends")
check_eq(report(p).get("verdict"), "BROKEN", "setsid child with a setpgid grandchild: BROKEN (blocked)")
no_debris("setsid child with a setpgid grandchild")

# exit (the thread-only call) as the main process's last step in a spec with threads: the
# idle workers kept the process alive until the step timeout; now it ends with exit's status.
spec_tx = write_spec(tmp, "texit.yaml", """name: texit
steps:
  - threads:
      count: 2
      steps: [{call: gettid}]
  - {call: exit, args: [{int: 3}]}
""")
t0 = time.monotonic()
p = run(["--format", "json", "--step-timeout", "3", spec_tx], tmp)
took = time.monotonic() - t0
doc = report(p)
check_eq((doc.get("verdict"), doc.get("summary", {}).get("exit_status")), ("PASS", 3),
         f"exit with threads: PASS, the process's status is exit's 3 (took {took:.2f} s)")
check(took < 2, "exit with threads: no wait for the step timeout")
no_debris("exit with threads")

# A step that renames the sandbox away: what it held (a mount, say) is no longer where
# cleanup looks.  That used to pass in silence; now cleanup says so and the run fails.
moved = os.path.join(tmp, "moved-away")
spec_mv = write_spec(tmp, "moveaway.yaml", f"""name: moveaway
sandbox: {{dirs: [d]}}
steps:
  - call: renameat
    args: [{{const: AT_FDCWD}}, {{path: .}}, {{const: AT_FDCWD}}, {{cstring: "{moved}"}}]
    expect: {{ret: 0}}
""")
p = run([spec_mv], tmp)
check_eq(p.returncode, 1, f"sandbox moved away: exit 1\n{p.stderr}")
check("was moved, removed or replaced by a step" in p.stderr, f"sandbox moved away: cleanup says so\n{p.stderr}")
check(os.path.isdir(os.path.join(moved, "d")), "sandbox moved away: it is where the step put it")
check("cleanup failed: the sandbox was not fully removed" in p.stdout and "verdict: BROKEN" in p.stdout,
      f"sandbox moved away: the report says so, verdict BROKEN (not PASS)\n{p.stdout}")
shutil.rmtree(moved, ignore_errors=True)
doc = report(run(["--format", "json", spec_mv], tmp))
check_eq((doc.get("summary", {}).get("cleanup_failed"), doc.get("verdict")), (True, "BROKEN"),
         "sandbox moved away: JSON summary.cleanup_failed, verdict BROKEN")
shutil.rmtree(moved, ignore_errors=True)
no_debris("sandbox moved away")

# 5,000 tmpfs mounts stacked on one sandbox dir: cleanup used to give up after 16 passes
# of 256 (4,096), leaving mounts on the host.
if os.geteuid() == 0:
    spec_stack = write_spec(tmp, "stack.yaml", """name: stack
sandbox: {dirs: [m]}
steps:
  - call: mount
    repeat: 5000
    args: [{cstring: none}, {path: m}, {cstring: tmpfs}, {int: 0}, {null: ~}]
    expect: {ret: 0}
""")
    p = run([spec_stack], tmp)
    check_eq((p.returncode, p.stderr), (0, ""), "5,000 stacked mounts: PASS, nothing on stderr")
    no_debris("5,000 stacked mounts")
    # 300 mounts on m/n hidden under one on m: deepest-first unmounts nothing there.
    spec_hidden = write_spec(tmp, "hidden.yaml", """name: hidden
sandbox: {dirs: [m/n]}
steps:
  - {call: mount, args: [{cstring: none}, {path: m/n}, {cstring: tmpfs}, {int: 0}, {null: ~}], repeat: 300}
  - {call: mount, args: [{cstring: none}, {path: m}, {cstring: tmpfs}, {int: 0}, {null: ~}]}
""")
    p = run([spec_hidden], tmp)
    check_eq((p.returncode, p.stderr), (0, ""), "300 mounts hidden under another: PASS, nothing on stderr")
    no_debris("300 mounts hidden under another")

# replay | head: a closed pipe must not skip the cleanup (SIGPIPE is ignored by replay).
spec3 = write_spec(tmp, "pipe.yaml", "name: pipe\nsandbox: {dirs: [m]}\nsteps:\n" +
                   ("  - {call: mount, args: [{cstring: none}, {path: m}, {cstring: tmpfs}, {int: 0}, {null: ~}]}\n"
                    if os.geteuid() == 0 else "") + "".join("  - {call: getpid}\n" for _ in range(3000)))
r = subprocess.run(f"'{REPLAY}' '{spec3}' | head -1", shell=True, env=dict(os.environ, TMPDIR=tmp),
                   capture_output=True, text=True)
check(r.stdout.startswith("spec pipe"), "head got the first line")
time.sleep(0.2)
no_debris("closed pipe")

# A symlink planted in the sandbox pointing outside: cleanup removes the link, not its target.
outside = fresh_tmpdir()
with open(os.path.join(outside, "precious"), "w") as f:
    f.write("keep me")
os.mkdir(os.path.join(outside, "dir"))
with open(os.path.join(outside, "dir", "inner"), "w") as f:
    f.write("keep me too")
spec = write_spec(tmp, "symlink.yaml", f"""name: symlink
sandbox: {{dirs: [sub]}}
steps:
  - {{call: symlinkat, args: [{{cstring: "{outside}"}}, {{const: AT_FDCWD}}, {{path: sub/link}}]}}
  - {{call: symlinkat, args: [{{cstring: "{outside}/dir"}}, {{const: AT_FDCWD}}, {{path: dirlink}}]}}
  - {{call: symlinkat, args: [{{cstring: "{outside}/precious"}}, {{const: AT_FDCWD}}, {{path: filelink}}]}}
""")
p = run([spec], tmp)
check_eq(p.returncode, 0, f"symlinks: run passes\n{p.stdout}{p.stderr}")
check_eq(sorted(os.listdir(outside)), ["dir", "precious"], "symlinks: target directory intact")
check(os.path.exists(os.path.join(outside, "dir", "inner")), "symlinks: files behind a dir link intact")
no_debris("symlinks")
cleanup(outside)

# fds: valgrind tracks what the engine leaves open at exit (the parent; the child is gone).
if shutil.which("valgrind") and not os.environ.get("REPLAY_SANITIZED"):
    spec = write_spec(tmp, "fds.yaml", """name: fds
sandbox: {files: [{name: f, content: x}]}
steps:
  - {id: o, call: openat, args: [{const: AT_FDCWD}, {path: f}, {flags: [O_RDONLY]}]}
  - {call: dup, args: [{fd: o}]}
""")
    p = run([spec], tmp, prefix=["valgrind", "--track-fds=yes", "--error-exitcode=9"])
    # valgrind reports each process at its exit: the child (holding the spec's fds,
    # closed by its exit) and the engine's parent, whose banner comes first.
    pids = re.findall(r"==(\d+)== FILE DESCRIPTORS: \d+ open", p.stderr)
    first = re.search(r"==(\d+)==", p.stderr)
    parent = first.group(1) if first else "?"
    check(len(pids) >= 2 and parent in pids, "valgrind reported the child and the parent")
    blocks = re.findall(rf"=={parent}== Open file descriptor (\d+):[^\n]*\n=={parent}==\s+(.*)",
                        p.stderr)
    opened = [fd for fd, origin in blocks if "inherited" not in origin and int(fd) > 2]
    check_eq(p.returncode, 0, f"valgrind run passes: {p.stderr[-500:]}")
    check_eq(opened, [], "no fd left open by the engine at exit")
    child_blocks = [b for pid in pids if pid != parent for b in re.findall(
        rf"=={pid}== Open file descriptor (\d+):[^\n]*\n=={pid}==\s+(.*)", p.stderr)]
    check(any(fd == "3" for fd, _ in child_blocks), "control: valgrind does see the spec's fds in the child")
    no_debris("fds")

# --isolate as root: the spec's tmpfs mount is invisible to the host while the run is live,
# and swapon is refused by the user namespace.  The same spec without --isolate is the control.
if os.geteuid() == 0:
    spec = write_spec(tmp, "iso.yaml", """name: iso
sandbox:
  dirs: [mnt]
  files: [{name: swapfile, content: swap}]
steps:
  - {id: m, call: mount, args: [{cstring: none}, {path: mnt}, {cstring: tmpfs}, {int: 0}, {null: ~}]}
  - {call: swapon, args: [{path: swapfile}, {int: 0}]}
  - call: nanosleep
    args: [{struct: {fields: [{i64: 1}, {i64: 0}]}}, {null: ~}]
""")

    def mounted_during_run(extra):
        proc = subprocess.Popen([REPLAY, "--format", "json", *extra, spec],
                                env=dict(os.environ, TMPDIR=tmp), stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True)
        seen = False
        end = time.monotonic() + 10
        while proc.poll() is None and time.monotonic() < end: # the whole run, however slow the machine
            seen = seen or any(m.endswith("/mnt") for m in mounts_containing(tmp))
            time.sleep(0.02)
        out, err = proc.communicate(timeout=10)
        return seen, proc.returncode, json.loads(out) if out.startswith("{") else {}, err

    seen, rc, doc, err = mounted_during_run([])
    check(seen, "control: without --isolate the host sees the tmpfs during the run")
    check_eq(doc["steps"][1]["errno"] if doc else None, "EINVAL", "control: root's swapon reaches the swap code")
    seen, rc, doc, err = mounted_during_run(["--isolate"])
    check_eq(rc, 0, f"--isolate: run passes ({err.strip()})")
    check(not seen, "--isolate: the host never sees the tmpfs")
    check_eq(doc["steps"][0]["status"] if doc else None, "ok", "--isolate: mount succeeds inside")
    check_eq(doc["steps"][1]["errno"] if doc else None, "EPERM", "--isolate: swapon is refused")
    no_debris("--isolate")
    # Spec-level isolate: with net and pid as well; the getpid inside a new pid namespace is 1.
    spec = write_spec(tmp, "iso2.yaml", """name: iso2
isolate: [user, mount, net, pid]
steps:
  - {call: getpid}
""")
    p = run(["--format", "json", spec], tmp)
    doc = report(p)
    check_eq(doc["steps"][0].get("ret") if doc else None, 1, "isolate: pid namespace makes getpid 1")
    p = run(["--format", "json", "--no-isolate", spec], tmp)
    doc = report(p)
    check(doc and doc["steps"][0].get("ret") != 1, "--no-isolate overrides the spec")
    no_debris("isolate pid")

# The sandbox is private (mkdtemp, 0700) and --keep-sandbox keeps it.
spec = write_spec(tmp, "keep.yaml", "name: keep\nsandbox: {dirs: [d]}\nsteps: [{call: getpid}]\n")
p = run(["--keep-sandbox", spec], tmp)
kept = re.search(r"sandbox kept at (\S+)", p.stderr)
check(kept is not None, "--keep-sandbox says where")
if kept:
    check_eq(oct(os.stat(kept.group(1)).st_mode & 0o777), "0o700", "sandbox mode 0700")
    check(os.path.isdir(os.path.join(kept.group(1), "d")), "kept sandbox has its dirs")
    shutil.rmtree(kept.group(1))

# valgrind memcheck on the main job: no invalid access, no leak (parent and child).
if shutil.which("valgrind") and not os.environ.get("REPLAY_SANITIZED"):
    main_spec = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "..",
                             "specs", "mountfs-management.yaml")
    # The child _exits with the spec still in memory, held through interior pointers
    # ("possibly lost"): only a definite leak is an error there.
    p = run([main_spec], tmp, prefix=["valgrind", "--leak-check=full", "--error-exitcode=9",
                                      "--errors-for-leak-kinds=definite", "--trace-children=no"])
    check_eq(p.returncode, 0, f"valgrind memcheck on the main job is clean: {p.stderr[-800:]}")
    summaries = re.findall(r"ERROR SUMMARY: (\d+) errors", p.stderr)
    check(len(summaries) == 2 and all(n == "0" for n in summaries),
          f"memcheck: no error in the parent or the child: {summaries}")
    # The parent frees everything; the child _exits with the program still in memory (reachable).
    check("All heap blocks were freed -- no leaks are possible" in p.stderr,
          "memcheck: the engine's process frees every block")
    no_debris("valgrind main job")

# --isolate where user namespaces are not allowed: replay says why and runs nothing.
# (A throwaway user namespace whose own limit is 0: nothing on the host is changed.)
if shutil.which("unshare"):
    spec = write_spec(tmp, "refuse.yaml", "name: refuse\nsandbox: {dirs: [d]}\nsteps: [{call: getpid}]\n")
    p = subprocess.run(["unshare", "--user", "--map-root-user", "sh", "-c",
                        "echo 0 > /proc/sys/user/max_user_namespaces && exec \"$0\" --isolate \"$1\"",
                        REPLAY, spec], env=dict(os.environ, TMPDIR=tmp), capture_output=True, text=True)
    check_eq(p.returncode, 2, f"isolation refused: exit 2 ({p.stderr.strip()})")
    check("cannot isolate the run: unshare: No space left on device" in p.stderr,
          f"isolation refused: says why: {p.stderr.strip()}")
    check("--no-isolate" in p.stderr, "isolation refused: names the way out")
    check_eq(p.stdout, "", "isolation refused: no table")
    no_debris("isolation refused")

cleanup(tmp)
finish()
