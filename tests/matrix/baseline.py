#!/usr/bin/env python3
"""Per-kernel baselines: what each step did on each kernel, committed so that a
change in a kernel's behaviour fails CI instead of passing unseen.

usage: baseline.py check  RESULTS_DIR BASELINE_DIR
       baseline.py update RESULTS_DIR BASELINE_DIR

RESULTS_DIR is tests/matrix/run.sh's results directory (NAME.meta.json and
NAME.json per kernel). A baseline is BASELINE_DIR/NAME.tsv ("/" in NAME is
"_"): one line per step, spec TAB index TAB call TAB result word and errno,
plus one verdict line per spec. Timings and kernel point releases are not in
it. The host column is never checked: the host is whatever machine runs it.

check: exit 1 when a kernel's steps differ from its baseline (the differences
are printed as a unified diff), when a kernel has no baseline or when a kernel
did not run; exit 0 otherwise. update: rewrite the baselines of every kernel
that ran.
"""
import difflib
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from report import cell_of, load  # noqa: E402  one reader of results, one cell format


def lines_of(report):
    out = []
    for spec in report.get("specs", []):
        name = spec.get("spec") or spec.get("file")
        out.append(f"{name}\tverdict\t-\t{spec.get('verdict', '?')}\n")
        for st in spec.get("steps", []):
            call = st.get("call") or st.get("kind")
            out.append(f"{name}\t{st.get('index')}\t{call}\t{cell_of(st)}\n")
    return out


def main(argv):
    if len(argv) != 4 or argv[1] not in ("check", "update"):
        sys.exit(__doc__.split("\n\n")[1])
    mode, results, base = argv[1:]
    status, seen = 0, 0
    os.makedirs(base, exist_ok=True)
    for name, meta, report in load(results, []):
        if name == "host":
            continue
        seen += 1
        if not report:
            print(f"baseline: {name}: did not run ({meta.get('status')})")
            status = 1
            continue
        got = lines_of(report)
        path = os.path.join(base, name.replace("/", "_") + ".tsv")  # run.sh's file stem
        if mode == "update":
            with open(path, "w") as f:
                f.writelines(got)
            print(f"baseline: {name}: wrote {path} ({len(got)} lines, kernel {meta.get('kernel')})")
            continue
        if not os.path.exists(path):
            print(f"baseline: {name}: no baseline {path}; "
                  f"tests/matrix/run.sh --kernels {name} --update-baselines writes it")
            status = 1
            continue
        want = open(path).readlines()
        if want == got:
            print(f"baseline: {name}: {len(got)} lines as in {path}")
            continue
        status = 1
        print(f"baseline: {name}: differs from {path} (kernel {meta.get('kernel')}):")
        sys.stdout.writelines(difflib.unified_diff(want, got, path, name + " (this run)"))
    if not seen:
        print(f"baseline: no kernel results in {results}")
        status = 1
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv))
