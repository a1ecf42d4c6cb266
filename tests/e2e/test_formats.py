"""Many specs in one run, and the reports CI systems read, each checked with a
real consumer: TAP 14 with node's tap-parser, JUnit XML against
schemas/junit.xsd with xmllint, JSON with jsonschema and jq, JSON lines
with jq.  Also --output, --filter, --duration and the environment block."""
import json
import os
import shutil
import subprocess

import jsonschema

from lib import ROOT, check, check_eq, cleanup, finish, fresh_tmpdir, run, write_spec

tmp = fresh_tmpdir()
d = os.path.join(tmp, "specs")
os.makedirs(os.path.join(d, "sub"))
write_spec(d, "a-pass.yaml", "name: pass\ntags: [quick]\nsteps: [{call: getpid}]\n")
write_spec(d, "b-fail.yaml", "name: fail\nsteps: [{call: getpid, expect: {ret: 0}}, {call: getppid}]\n")
write_spec(d, "c-skip.yaml", 'name: skip\nneeds: {kernel: "999"}\nsteps: [{call: getpid}]\n')
write_spec(os.path.join(d, "sub"), "d-broken.yaml",
           "name: broken\nsteps: [{id: me, call: getpid}, {call: kill, args: [{ret: me}, {int: 9}]},"
           " {call: getpid}]\n")
write_spec(d, "notes.txt", "not a spec\n")

# Table: every spec (directories recursively, *.yaml only), then the summary.
p = run([d], tmp)
check_eq(p.returncode, 1, "a failed or broken spec makes the run exit 1")
check(p.stdout.rstrip().endswith("4 specs: 1 passed, 1 failed, 1 skipped, 1 broken"),
      f"summary line: {p.stdout[-200:]}")
check_eq([l.split()[1] for l in p.stdout.splitlines() if l.startswith("spec ")],
         ["pass", "fail", "skip", "broken"], "specs in name order, sub/ included")

# JSON: environment, specs, summary; valid against the report schema.
with open(os.path.join(ROOT, "schemas", "replay-report.schema.json")) as f:
    validator = jsonschema.Draft202012Validator(json.load(f))
p = run(["--format", "json", d], tmp)
doc = json.loads(p.stdout)
check_eq([e.message for e in validator.iter_errors(doc)], [], "multi-spec JSON validates")
check_eq(doc["summary"], {"specs": 4, "passed": 1, "failed": 1, "skipped": 1, "broken": 1}, "summary")
check_eq([s["verdict"] for s in doc["specs"]], ["PASS", "FAIL", "SKIP", "BROKEN"], "verdicts")
env = doc["environment"]
check_eq((env["kernel"], env["arch"], env["uid"]), (os.uname().release, os.uname().machine, os.getuid()),
         "environment: kernel, arch, uid")
check(env["libc"].startswith("glibc ") and env["replay"], "environment: libc and version")
if shutil.which("jq"):
    q = subprocess.run(["jq", "-r", '.specs[] | select(.verdict == "FAIL") | .steps[0].expectation_met'],
                       input=p.stdout, capture_output=True, text=True)
    check_eq(q.stdout.strip(), "false", "jq reads the failed step")

# JSON lines: every line an object jq can read, steps then their spec, first the environment.
p = run(["--format", "jsonl", d], tmp)
lines = [json.loads(l) for l in p.stdout.splitlines()]
check_eq(lines[0]["type"], "environment", "jsonl starts with the environment")
check_eq(lines[-1], {"type": "summary", "specs": 4, "passed": 1, "failed": 1, "skipped": 1, "broken": 1},
         "jsonl ends with the summary")
check_eq([l["outcome"] for l in lines if l["type"] == "step" and l["spec"] == "broken"],
         ["ok", "broken", "broken"], "jsonl step outcomes")
if shutil.which("jq"):
    q = subprocess.run(["jq", "-s", "-e", "map(select(.type == \"spec\")) | length == 4"],
                       input=p.stdout, capture_output=True, text=True)
    check_eq(q.returncode, 0, "jq -s counts four spec lines")

# TAP 14, parsed by node's tap-parser (strict).
p = run(["--format", "tap", d], tmp)
tap = os.path.join(tmp, "r.tap")
with open(tap, "w") as f:
    f.write(p.stdout)
check(p.stdout.startswith("TAP version 14\n"), "TAP version 14 header")
parser_dir = os.path.join(tmp, "tap-parser")
if shutil.which("npm") and shutil.which("node"):
    subprocess.run(["npm", "install", "--silent", "--no-audit", "--no-fund", "--prefix", parser_dir,
                    "tap-parser@18"], capture_output=True, timeout=300)
    script = os.path.join(parser_dir, "parse.mjs")
    with open(script, "w") as f:
        f.write("import { Parser } from 'tap-parser'\nimport { readFileSync } from 'fs'\n"
                "const p = new Parser({ strict: true }, r => console.log(JSON.stringify({ok: r.ok, "
                "count: r.count, pass: r.pass, fail: r.fail, skip: r.skip, failures: r.failures.map(f => "
                "f.name)})))\np.end(readFileSync(process.argv[2]))\n")
    r = subprocess.run(["node", script, tap], capture_output=True, text=True, cwd=parser_dir)
    check_eq(r.returncode, 0, f"tap-parser ran: {r.stderr[-300:]}")
    res = json.loads(r.stdout or "{}")
    check_eq((res.get("ok"), res.get("count"), res.get("pass"), res.get("fail"), res.get("skip")),
             (False, 4, 2, 2, 1), "TAP: 4 points, 2 pass (one a skip), 2 fail")
    check_eq(res.get("failures"), ["fail", "broken"], "TAP: the failed specs by name")
else:
    check(False, "node and npm are needed to parse TAP 14 (README's install line has them)")

# JUnit XML against schemas/junit.xsd.
out = os.path.join(tmp, "r.xml")
p = run(["--format", "junit", "--output", out, d], tmp)
check(p.stdout.rstrip().endswith("4 specs: 1 passed, 1 failed, 1 skipped, 1 broken"),
      "--output: the table still goes to the terminal")
r = subprocess.run(["xmllint", "--noout", "--schema", os.path.join(ROOT, "schemas", "junit.xsd"), out],
                   capture_output=True, text=True)
check_eq(r.returncode, 0, f"JUnit validates against its XSD: {r.stderr}")
import xml.etree.ElementTree as ET
root = ET.parse(out).getroot()
suites = {s.get("name"): s for s in root.findall("testsuite")}
check_eq(sorted(suites), ["broken", "fail", "pass", "skip"], "a testsuite per spec")
check_eq((suites["fail"].get("failures"), suites["broken"].get("errors"), suites["skip"].get("skipped")),
         ("1", "2", "1"), "failures, errors, skips counted")
fail_case = suites["fail"].find("testcase/failure")
check(fail_case is not None and "expectation unmet" in fail_case.get("message", ""), "the failure says why")
props = {p.get("name"): p.get("value") for p in suites["pass"].iter("property")}
check_eq(props.get("kernel"), os.uname().release, "environment in the suite's properties")

# --filter by name or tag, --duration.
p = run(["--format", "json", "--filter", "qu*", d], tmp)
doc = json.loads(p.stdout)
check_eq([s["spec"] for s in doc["specs"]], ["pass"], "--filter matches a tag")
check_eq(p.returncode, 0, "only the passing spec ran")
spec = write_spec(tmp, "dur.yaml", "name: dur\nsteps: [{call: getppid}]\n")
p = run(["--format", "json", "--duration", "0.2", spec], tmp)
doc = json.loads(p.stdout)
check(doc["steps"][0]["count"] > 100, f"--duration 0.2 ran the spec many times ({doc['steps'][0]['count']})")
check_eq(doc["environment"]["arch"], os.uname().machine, "single-spec JSON has the environment too")
# Options after the specs; a report that cannot be written fails the run.
p = run([os.path.join(d, "a-pass.yaml"), "--format", "json"], tmp)
check_eq(p.returncode, 0, "options may follow the spec")
check(json.loads(p.stdout)["verdict"] == "PASS", "and are applied")
if os.path.exists("/dev/full"):
    p = run(["--output", "/dev/full", "--format", "json", os.path.join(d, "a-pass.yaml")], tmp)
    check_eq(p.returncode, 1, "an unwritable report fails the run")
    check("cannot write" in p.stderr, f"and says so: {p.stderr.strip()}")
# TAP: '#' in a name or id cannot turn a failure into a TODO.
spec = write_spec(tmp, "hash.yaml", 'name: "t # TODO x"\nsteps: [{id: "a # TODO", call: close, args: [{int: -1}], expect: {ret: 0}}]\n')
p = run(["--format", "tap", spec], tmp)
check("not ok 1 - close a \\# TODO" in p.stdout and "# Subtest: t \\# TODO x" in p.stdout, f"'#' escaped: {p.stdout}")
# A FIFO named like a spec, and a symlink loop, in a spec directory.
loopdir = os.path.join(tmp, "loopy")
os.makedirs(loopdir)
write_spec(loopdir, "ok.yaml", "name: ok\nsteps: [{call: getpid}]\n")
os.mkfifo(os.path.join(loopdir, "fifo.yaml"))
os.symlink("..", os.path.join(loopdir, "up"))
p = run(["--format", "json", loopdir], tmp)
doc = json.loads(p.stdout)
check_eq([s["spec"] for s in doc["specs"]], ["ok"], "only the regular spec ran, once")

cleanup(tmp)
finish()
