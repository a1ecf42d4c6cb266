"""The static build (-DREPLAY_STATIC=ON): one self-contained binary that runs
the seed spec in an empty chroot (no libraries, no /proc), as a kernel
matrix's initramfs needs."""
import os
import shutil
import subprocess
import tempfile

from lib import ROOT, SPECS, check, check_eq, finish

build = os.path.join(ROOT, "build-static")
r = subprocess.run(["cmake", "-S", ROOT, "-B", build, "-DREPLAY_STATIC=ON", "-DCMAKE_BUILD_TYPE=Release"],
                   capture_output=True, text=True)
check_eq(r.returncode, 0, f"configure: {r.stderr[-300:]}")
r = subprocess.run(["cmake", "--build", build, "--target", "replay", "-j2"], capture_output=True, text=True)
check_eq(r.returncode, 0, f"build: {r.stderr[-500:]}")
binary = os.path.join(build, "replay")
r = subprocess.run(["file", binary], capture_output=True, text=True)
check("statically linked" in r.stdout, f"statically linked: {r.stdout.strip()}")
r = subprocess.run(["ldd", binary], capture_output=True, text=True)
check("not a dynamic executable" in (r.stdout + r.stderr), "ldd finds no library")

if os.geteuid() == 0:
    root = tempfile.mkdtemp(prefix="replay-chroot-")
    shutil.copy(binary, os.path.join(root, "replay"))
    shutil.copy(os.path.join(SPECS, "mountfs-management.yaml"), root)
    os.mkdir(os.path.join(root, "tmp"))
    check_eq(sorted(os.listdir(root)), ["mountfs-management.yaml", "replay", "tmp"], "an empty chroot")
    r = subprocess.run(["chroot", root, "/replay", "/mountfs-management.yaml"], capture_output=True, text=True)
    check_eq(r.returncode, 0, f"the seed spec passes in the chroot: {r.stdout[-300:]}{r.stderr}")
    check("verdict: PASS" in r.stdout, "verdict PASS")
    check("mountinfo" in r.stderr, "without /proc it says mounts were not looked for")
    check_eq(os.listdir(os.path.join(root, "tmp")), [], "the sandbox is removed")
    shutil.rmtree(root)
finish()
