#!/usr/bin/env python3
"""Merge per-kernel replay JSON reports into a cross-kernel matrix.

usage: report.py [--order a,b,c] RESULTS_DIR OUT_DIR

RESULTS_DIR holds, per kernel NAME, NAME.meta.json ({name, status, seconds,
kernel, arch}; a "/" in NAME is "_" in the file name) and, when the run produced a report, NAME.json (replay --format json
output for a directory: {environment, specs, summary}).  Writes
OUT_DIR/matrix.json and OUT_DIR/matrix.md: a row per spec and step, a column
per kernel, each cell the result word and errno; rows whose cells differ
between kernels are marked.
"""
import argparse
import json
import os
import sys


def cell_of(step):
    """Result word and errno of one step, e.g. 'ok', 'error ENOSYS'."""
    word = step.get("status") or "?"
    err = step.get("errno")
    text = f"{word} {err}" if err else word
    if step.get("expectation_met") is False or step.get("unmet"):
        text += " (unmet)"
    return text


def load(results, order):
    # File stems use "_" for "/" (aarch64/bookworm -> aarch64_bookworm.meta.json);
    # the column is the name inside the .meta.json.
    stems = {}
    for f in sorted(os.listdir(results)):
        if f.endswith(".meta.json"):
            stem = f[: -len(".meta.json")]
            meta = json.load(open(os.path.join(results, f)))
            stems[meta.get("name") or stem] = (stem, meta)
    names = list(stems)
    if order:
        ranked = [n for n in order if n in names]
        names = ranked + [n for n in names if n not in ranked]
    kernels = []
    for n in names:
        stem, meta = stems[n]
        rep = None
        p = os.path.join(results, stem + ".json")
        if meta.get("status") == "ok" and os.path.exists(p):
            try:
                rep = json.load(open(p))
            except ValueError:
                meta["status"] = "BROKEN"
        kernels.append((n, meta, rep))
    return kernels


def build(kernels):
    rows = {}  # (spec, index) -> row
    order = []
    verdicts = {}  # spec -> {kernel: verdict}
    for name, meta, rep in kernels:
        if not rep:
            continue
        for spec in rep.get("specs", []):
            sname = spec.get("spec") or spec.get("file")
            verdicts.setdefault(sname, {})[name] = spec.get("verdict", "?")
            for st in spec.get("steps", []):
                key = (sname, st.get("index"))
                if key not in rows:
                    rows[key] = {"spec": sname, "index": st.get("index"),
                                 "call": st.get("call") or st.get("kind"),
                                 "id": st.get("id"), "cells": {}}
                    order.append(key)
                rows[key]["cells"][name] = cell_of(st)
    names = [k[0] for k in kernels]
    ok_names = [k[0] for k in kernels if k[2]]
    out_rows = []
    for key in order:
        r = rows[key]
        vals = [r["cells"].get(n, "missing") for n in ok_names]
        r["differs"] = len(set(vals)) > 1
        for n in names:
            if n not in ok_names:
                r["cells"][n] = [m for (k, m, _) in kernels if k == n][0]["status"]
            r["cells"].setdefault(n, "missing")
        out_rows.append(r)
    vrows = []
    for sname, per in verdicts.items():
        vals = [per.get(n, "missing") for n in ok_names]
        vrows.append({"spec": sname, "differs": len(set(vals)) > 1,
                      "cells": {n: per.get(n, "missing") if n in ok_names else
                                [m for (k, m, _) in kernels if k == n][0]["status"]
                                for n in names}})
    return out_rows, vrows


def md_table(head, rows):
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for r in rows:
        lines.append("| " + " | ".join(str(c).replace("|", "\\|") for c in r) + " |")
    return "\n".join(lines)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--order", default="", help="comma-separated column order")
    ap.add_argument("results")
    ap.add_argument("out")
    a = ap.parse_args()
    kernels = load(a.results, [x for x in a.order.split(",") if x])
    if not kernels:
        sys.exit("report.py: no *.meta.json in " + a.results)
    rows, vrows = build(kernels)
    names = [k[0] for k in kernels]
    cols = []
    for n, meta, rep in kernels:
        cols.append({"name": n, "arch": meta.get("arch", "x86_64"), "status": meta.get("status"),
                     "kernel": (rep or {}).get("environment", {}).get("kernel") or meta.get("kernel"),
                     "package": meta.get("kernel"),
                     "seconds": meta.get("seconds"),
                     "summary": (rep or {}).get("summary")})
    doc = {"kernels": cols, "verdicts": vrows, "steps": rows}
    os.makedirs(a.out, exist_ok=True)
    with open(os.path.join(a.out, "matrix.json"), "w") as f:
        json.dump(doc, f, indent=1)

    def hl(row, n):
        c = row["cells"][n]
        return f"**{c}**" if row["differs"] else c

    md = ["# replay kernel matrix", ""]
    md.append(md_table(["kernel", "version", "run", "seconds", "specs passed/failed/broken"],
                       [[c["name"], c["kernel"], c["status"], c["seconds"],
                         "%s/%s/%s" % (c["summary"]["passed"], c["summary"]["failed"],
                                       c["summary"]["broken"]) if c["summary"] else "-"]
                        for c in cols]))
    diff = [r for r in rows if r["differs"]]
    md += ["", f"## Differences ({len(diff)} steps, {sum(v['differs'] for v in vrows)} specs)", ""]
    if diff:
        md.append(md_table(["spec", "step", "call"] + names,
                           [[r["spec"], r["index"], r["call"]] + [r["cells"][n] for n in names]
                            for r in diff]))
    else:
        md.append("No step differs between the kernels that ran.")
    md += ["", "## Spec verdicts", ""]
    md.append(md_table(["spec"] + names,
                       [[v["spec"]] + [hl(v, n) for n in names] for v in vrows]))
    md += ["", "## All steps (differences in bold, marked ≠)", ""]
    md.append(md_table(["", "spec", "step", "call", "id"] + names,
                       [["≠" if r["differs"] else "", r["spec"], r["index"], r["call"], r["id"] or ""]
                        + [hl(r, n) for n in names] for r in rows]))
    with open(os.path.join(a.out, "matrix.md"), "w") as f:
        f.write("\n".join(md) + "\n")
    print(f"report.py: {len(rows)} steps, {len(diff)} differ, kernels: {', '.join(names)}",
          file=sys.stderr)


if __name__ == "__main__":
    main()
