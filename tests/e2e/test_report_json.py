"""--format json: every report validates against schemas/replay-report.schema.json
with a real validator (python3-jsonschema), and its values are the run's."""
import copy
import json
import os

import jsonschema

from lib import ROOT, SPECS, check, check_eq, cleanup, finish, fresh_tmpdir, run, write_spec

with open(os.path.join(ROOT, "schemas", "replay-report.schema.json")) as f:
    SCHEMA = json.load(f)
jsonschema.Draft202012Validator.check_schema(SCHEMA)
VALIDATOR = jsonschema.Draft202012Validator(SCHEMA)


def valid(doc):
    return not list(VALIDATOR.iter_errors(doc))


tmp = fresh_tmpdir()
p = run(["--format", "json", f"{SPECS}/mountfs-management.yaml"], tmp)
check_eq(p.returncode, 0, "json run exit status")
doc = json.loads(p.stdout)
check(valid(doc), f"mountfs report validates: {[e.message for e in VALIDATOR.iter_errors(doc)]}")
check_eq(doc["spec"], "mountfs-management", "spec name")
check_eq(len(doc["steps"]), 24, "24 steps")
check_eq(doc["steps"][0]["call"], "fsopen", "step 1 is fsopen")
check_eq(doc["steps"][0]["nr"], 430, "fsopen nr")
check_eq(doc["steps"][23]["nr"], 470, "listns nr")
check_eq(doc["verdict"], "PASS", "verdict")
s = doc["summary"]
check_eq(s["ok"] + s["failed"] + s["skipped"] + s["unavailable"] + s["not_run"], 24, "summary adds up")
if os.geteuid() == 0:
    check_eq((doc["steps"][0]["status"], doc["steps"][0]["errno"]), ("ok", None), "root: fsopen ok")
check_eq(doc["steps"][13]["errno"], "EBADF", "fsmount(-1) fails with EBADF")
check_eq(doc["steps"][13]["errno_number"], 9, "EBADF is 9")

# The schema is not vacuous: broken reports are rejected.
for mutate, what in [
    (lambda d: d.pop("verdict"), "missing verdict"),
    (lambda d: d["steps"][13].update(ret=5), "an error step whose ret is not -1"),
    (lambda d: d["steps"][0].update(status="fine"), "an unknown status"),
    (lambda d: d["steps"][0].pop("time_ns"), "a run step without time"),
]:
    bad = copy.deepcopy(doc)
    mutate(bad)
    check(not valid(bad), f"schema rejects {what}")

# Expectations, skips, unavailable steps and FAIL in the JSON report.
spec = write_spec(tmp, "expect.yaml", """name: expect
steps:
  - {id: bad, call: close, args: [{int: -1}], expect: {errno: [EBADF]}}
  - {call: getpid, expect: {ret: 0}}
  - {call: getppid, when: {ok: bad}}
  - {call: no_such_here, nr: {x86_64: 5000, aarch64: 5000}, expect: {errno: [ENOSYS]}}
""")
p = run(["--format", "json", spec], tmp)
check_eq(p.returncode, 1, "an unmet expectation exits 1")
doc = json.loads(p.stdout)
check(valid(doc), "expect report validates")
check_eq([st["status"] for st in doc["steps"]], ["error", "ok", "skipped", "error"], "statuses")
check_eq([st["expectation_met"] for st in doc["steps"]], [True, False, True, True], "expectations")
check_eq(doc["summary"]["unmet"], 1, "one unmet")
check_eq(doc["verdict"], "FAIL", "verdict FAIL")

# A step that kills the run: rows before it survive, the run is BROKEN.
spec = write_spec(tmp, "kill.yaml", """name: kill
steps:
  - {id: me, call: getpid}
  - {call: kill, args: [{ret: me}, {const: SIGKILL_IS_NOT_A_CONSTANT_YET}]}
""")
p = run(["--format", "json", spec], tmp)
check_eq(p.returncode, 2, "an unknown constant is a bad spec")
spec = write_spec(tmp, "kill.yaml", """name: kill
steps:
  - {id: me, call: getpid}
  - {call: kill, args: [{ret: me}, {int: 9}]}
  - {call: getppid}
""")
p = run(["--format", "json", spec], tmp)
check_eq(p.returncode, 1, "a killed run exits 1")
doc = json.loads(p.stdout)
check(valid(doc), "killed report validates")
check_eq([st["status"] for st in doc["steps"]], ["ok", "killed", "not-run"], "killed statuses")
check_eq(doc["summary"]["signal"], 9, "signal 9 recorded")
check_eq(doc["verdict"], "BROKEN", "verdict BROKEN")
check_eq([n for n in os.listdir(tmp) if n.startswith("replay-")], [], "killed run: sandbox removed")

# exit_group as the last step ends the process on purpose: PASS, status "exited".
spec = write_spec(tmp, "exit.yaml", """name: exit
steps:
  - {call: getpid}
  - {call: exit_group, args: [{int: 3}]}
""")
p = run(["--format", "json", spec], tmp)
check_eq(p.returncode, 0, "exit_group last: exit 0")
doc = json.loads(p.stdout)
check(valid(doc), "exit report validates")
check_eq([st["status"] for st in doc["steps"]], ["ok", "exited"], "exit statuses")
check_eq((doc["summary"]["exit_status"], doc["verdict"]), (3, "PASS"), "exit status 3, PASS")

# fork: the new process leaves at once, so each step runs (and is recorded) once;
# expect ret -1 means "fails with any errno".
spec = write_spec(tmp, "fork.yaml", """name: fork
steps:
  - {id: child, call: fork}
  - {call: wait4, args: [{ret: child}, {null: ~}, {int: 0}, {null: ~}]}
  - {call: close, args: [{int: -1}], expect: {ret: -1}}
""")
p = run(["--format", "json", spec], tmp)
doc = json.loads(p.stdout)
check(valid(doc), "fork report validates")
# (aarch64 has no fork syscall: there the step is "unavailable" and this part differs)
check_eq(p.returncode, 0, f"fork run passes: {p.stdout}")
pid = doc["steps"][0].get("ret", 0)
check(pid > 0, "fork returned the child's pid in the recorded row")
check_eq(doc["steps"][1].get("ret"), pid, "wait4 reaped that child (it exited at once)")
check_eq(doc["steps"][2]["expectation_met"], True, "expect ret -1 matches a failure")

# repeat: one row per step, adding up every call; --repeat adds up whole rounds.
spec = write_spec(tmp, "repeat.yaml", """name: repeat
steps:
  - {call: getppid, repeat: 1000}
  - {call: close, args: [{int: -1}], repeat: 200, expect: {errno: [EBADF]}}
  - {call: close, args: [{int: -1}], repeat: 10, expect: {ret: 0}}
""")
p = run(["--format", "json", spec], tmp)
doc = json.loads(p.stdout)
check(valid(doc), f"repeat report validates: {[e.message for e in VALIDATOR.iter_errors(doc)]}")
st = doc["steps"]
check_eq([s["count"] for s in st], [1000, 200, 10], "repeat: counts")
check_eq([s["failures"] for s in st], [0, 200, 10], "repeat: failures")
check_eq([s["unmet"] for s in st], [0, 0, 10], "repeat: every call checked against expect")
check_eq([s["expectation_met"] for s in st], [True, True, False], "repeat: expectation per step")
check_eq(st[1]["errnos"], {"EBADF": 200}, "repeat: errno histogram")
check_eq(st[0]["errnos"], {}, "repeat: no errno for getppid")
lat = st[0]["latency_ns"]
check_eq(lat["timed"], 1000 // 64 + 1, "repeat: one call in 64 timed on its own")
check(0 < lat["min"] <= lat["median"] <= lat["max"], f"repeat: min <= median <= max: {lat}")
# (a timed call includes a clock read, so the fastest timed call may exceed an untimed one)
check(st[0]["time_ns"] >= lat["min"] * 1000 // 2, "repeat: total time covers every call")
check_eq(doc["verdict"], "FAIL", "repeat: an unmet call fails the run")
p = run(["--format", "json", "--repeat", "7", spec], tmp)
doc = json.loads(p.stdout)
check(valid(doc), "--repeat report validates")
check_eq([s["count"] for s in doc["steps"]], [7000, 1400, 70], "--repeat 7: rows add up rounds")
p = run(["--format", "json", "--repeat", "3", f"{SPECS}/mountfs-management.yaml"], tmp)
doc = json.loads(p.stdout)
check_eq(p.returncode, 0, "--repeat 3 of the seed spec passes")
check(all(s["count"] == 3 for s in doc["steps"] if s["status"] in ("ok", "error")),
      "--repeat 3: every step that ran, ran 3 times")

cleanup(tmp)
finish()
