"""The main job: `replay specs/mountfs-management.yaml` prints the table and
exits 0, as root and as an unprivileged user, and leaves no mount, file or
process behind.  As root the spec's mount() really mounts a tmpfs, so this
also proves the sandbox is unmounted before it is removed."""
import os
import re
import shutil

from lib import REPLAY, SPECS, check, check_eq, cleanup, finish, fresh_tmpdir, mounts_containing, run, \
    sandbox_leftovers

SPEC = f"{SPECS}/mountfs-management.yaml"
CALLS = ["fsopen", "fsconfig", "fsconfig", "close", "fspick", "close", "open_tree", "close",
         "mount_setattr", "mount", "umount2", "umount2", "move_mount", "fsmount", "pivot_root",
         "quotactl", "openat", "quotactl_fd", "close", "swapon", "swapoff", "statmount",
         "listmount", "listns"]


def table_rows(stdout):
    return [l.split() for l in stdout.splitlines() if re.match(r"\s*\d+\s", l)]


def check_run(label, proc, tmp, expect_uid):
    check_eq(proc.returncode, 0, f"{label}: exit status (stderr: {proc.stderr.strip()})")
    rows = table_rows(proc.stdout)
    check_eq([r[3] for r in rows], CALLS, f"{label}: the table lists the seed's calls in order")
    pids = {r[1] for r in rows if r[1] != "-"}  # steps that did not run have none
    check(len(pids) == 1 and pids.pop().isdigit(), f"{label}: one pid runs every step")
    check(re.search(rf", uid {expect_uid}, sandbox ", proc.stdout) is not None, f"{label}: uid line")
    check("verdict: PASS" in proc.stdout, f"{label}: verdict PASS")
    check_eq(sandbox_leftovers(tmp), [], f"{label}: no sandbox directory left")
    check_eq(mounts_containing(tmp), [], f"{label}: no mount left under TMPDIR")
    return rows


# As root (CI and this machine run as root).
if os.geteuid() == 0:
    tmp = fresh_tmpdir()
    rows = check_run("root", run([SPEC], tmp), tmp, 0)
    by_call = {}
    for r in rows:
        by_call.setdefault(r[3], []).append(r)
    check_eq(by_call["fsopen"][0][5], "3", "root: fsopen returns an fd")
    check_eq(by_call["mount"][0][5], "0", "root: mount of tmpfs succeeds")
    check_eq(by_call["umount2"][0][5], "0", "root: umount2 takes it off")
    check_eq(by_call["swapon"][0][5:7], ["-1", "EINVAL"], "root: a 4-byte swapfile is refused")
    cleanup(tmp)

    # Leave the tmpfs mounted (drop the umount2 steps): cleanup must detach it.
    with open(SPEC) as f:
        text = f.read()
    text = re.sub(r"  - call: umount2\n    args: .*\n", "", text)
    tmp = fresh_tmpdir()
    spec = os.path.join(tmp, "still-mounted.yaml")
    with open(spec, "w") as f:
        f.write(text)
    # Reached through a symlink with a trailing slash: mountinfo shows the real path.
    link = tmp + ".link"
    os.symlink(tmp, link)
    p = run([spec], link + "/")
    os.unlink(link)
    check_eq(p.returncode, 0, f"root, mount left by the spec: exit status ({p.stderr.strip()})")
    check("umount2" not in p.stdout, "root, mount left by the spec: no umount2 step ran")
    check_eq(sandbox_leftovers(tmp), [], "root, mount left by the spec: sandbox removed")
    check_eq(mounts_containing(tmp), [], "root, mount left by the spec: tmpfs detached")
    cleanup(tmp)

# As an unprivileged user: binary and spec copied where 'nobody' can read them.
if os.geteuid() == 0 and shutil.which("setpriv"):
    tmp = fresh_tmpdir(0o777)
    os.chmod(tmp, 0o1777)
    binary = os.path.join(tmp, "replay")
    shutil.copy(REPLAY, binary)
    spec = os.path.join(tmp, "mountfs-management.yaml")
    shutil.copy(SPEC, spec)
    os.chmod(spec, 0o644)
    p = run([spec], tmp, binary=binary,
            prefix=["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "--inh-caps=-all"])
    rows = check_run("nobody", p, tmp, 65534)
    by_call = {r[3]: r for r in rows}
    check_eq(by_call["mount"][5:7], ["-1", "EPERM"], "nobody: mount is refused")
    check_eq(by_call["fsopen"][5:7], ["-1", "EPERM"], "nobody: fsopen is refused")
    check_eq([r[5] for r in rows if r[3] == "fsconfig"], ["-1", "-1"], "nobody: fsconfig gets fd -1")
    # fsconfig(-1, ...): Linux answers EINVAL for a negative fd (older kernels EBADF).
    check(all(r[6] in ("EINVAL", "EBADF") for r in rows if r[3] == "fsconfig"),
          "nobody: fsconfig refuses fd -1")
    check_eq(len(rows), len(CALLS), "nobody: close of a failed fsopen is still listed")
    check_eq(rows[3][5], "skipped", "nobody: close(fd) is skipped when fsopen failed")
    cleanup(tmp)

finish()
