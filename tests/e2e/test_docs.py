"""docs/spec-format.md's examples, run: every console block that shows
`replay check NAME.yaml` or `replay --dry-run [--arch A] NAME.yaml` for a
yaml block of that name must print exactly what the doc shows, and every
named example but the deliberately broken ones (names with "err" or "bad")
must pass `replay check`.  Docs that drift from the tool are wrong docs."""
import os
import re
import subprocess

from lib import REPLAY, check, check_eq, cleanup, finish, fresh_tmpdir

DOC = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "docs", "spec-format.md")
text = open(DOC).read()
blocks = re.findall(r"```(\w*)\n(.*?)```", text, re.S)
specs = {}
for lang, body in blocks:
    m = re.match(r"(?:#.*\n)*name: (\S+)", body) if lang == "yaml" else None
    if m:
        specs[m.group(1)] = body

tmp = fresh_tmpdir()
for name, body in specs.items():
    with open(os.path.join(tmp, name + ".yaml"), "w") as f:
        f.write(body)

RUNNABLE = re.compile(r"^\$ replay (check|--dry-run(?: --arch \w+)?) (\S+)\.yaml$")
shown = 0
for lang, body in blocks:
    if lang != "console":
        continue
    lines = body.rstrip("\n").split("\n")
    starts = [i for i, l in enumerate(lines) if l.startswith("$ ")] + [len(lines)]
    for a, b in zip(starts, starts[1:]):
        m = RUNNABLE.match(lines[a])
        if not m or m.group(2) not in specs:
            continue
        args = m.group(1).split() + [m.group(2) + ".yaml"]
        p = subprocess.run([REPLAY, *args], cwd=tmp, capture_output=True, text=True)
        got = (p.stdout + p.stderr).rstrip("\n").split("\n")
        check_eq(got, lines[a + 1:b], f"docs: {lines[a]}")
        shown += 1
for name in specs:
    if "err" in name or "bad" in name:
        continue
    p = subprocess.run([REPLAY, "check", name + ".yaml"], cwd=tmp, capture_output=True, text=True)
    check_eq((p.returncode, p.stderr), (0, ""), f"docs: example {name}.yaml passes replay check")
check(shown >= 8, f"docs: {shown} console examples checked")
check(len(specs) >= 20, f"docs: {len(specs)} named yaml examples found")
cleanup(tmp)
finish()
