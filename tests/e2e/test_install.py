"""cmake --install puts the binary and the man page in place; the man page
documents every option --help lists, and the installed binary runs."""
import os
import re
import subprocess
import tempfile

from lib import ROOT, check, check_eq, finish

BUILD = os.path.dirname(os.environ["REPLAY_BIN"])
prefix = tempfile.mkdtemp(prefix="replay-install-")
p = subprocess.run(["cmake", "--install", BUILD, "--prefix", prefix], capture_output=True, text=True)
check_eq(p.returncode, 0, f"cmake --install: {p.stderr}")
binary = os.path.join(prefix, "bin", "replay")
man = os.path.join(prefix, "share", "man", "man1", "replay.1")
check(os.access(binary, os.X_OK), "replay installed in bin/")
check(os.path.exists(man), "replay.1 installed in share/man/man1/")

help_text = subprocess.run([binary, "--help"], capture_output=True, text=True).stdout
options = sorted(set(re.findall(r"--[a-z-]+", help_text)))
check(len(options) >= 6, f"--help lists options: {options}")
with open(man) as f:
    page = f.read().replace("\\-", "-")
for opt in options:
    check(opt in page, f"man page documents {opt}")
for cmd in ("check", "syscalls"):
    check(f".B {cmd}" in page or f"replay {cmd}" in page, f"man page documents {cmd}")
p = subprocess.run([binary, "check", os.path.join(ROOT, "specs")], capture_output=True, text=True)
check_eq(p.returncode, 0, "installed binary checks specs/")
if subprocess.run(["sh", "-c", "command -v groff"], capture_output=True).returncode == 0:
    r = subprocess.run(["groff", "-man", "-Tutf8", "-ww", man], capture_output=True, text=True)
    check_eq(r.stderr, "", "groff renders the man page without warnings")
    text = re.sub(r".\x08", "", r.stdout)  # overstrike bold
    check("EXIT STATUS" in text, "rendered page has EXIT STATUS")
subprocess.run(["rm", "-rf", prefix])
finish()
