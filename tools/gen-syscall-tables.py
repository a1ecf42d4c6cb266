#!/usr/bin/env python3
"""Generate replay's per-arch syscall tables.

Inputs (all in the repository, no network):
  tables/syscalls/upstream/x86_64-syscall_64.tbl  kernel arch/x86/entry/syscalls/syscall_64.tbl
  tables/syscalls/upstream/generic-syscall.tbl    kernel scripts/syscall.tbl (arm64 since 6.11)
  tables/syscalls/classes.tbl                     hand-maintained: name nargs flags

Outputs:
  tables/syscalls/x86_64.tbl
  tables/syscalls/aarch64.tbl
each line "nr nargs flags name", sorted by nr.

A kernel row is used for an arch when its abi is one the arch builds (see ARCHES)
and it has a real entry point (rows with no entry point or sys_ni_syscall are
reserved/removed numbers and are skipped).

Exit status: 0 ok; 1 on any error (name missing from classes.tbl, malformed
input, duplicate numbers/names) or, with --check, if an output file is stale.
"""

import argparse
import os
import sys

ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
TABLES = os.path.join("tables", "syscalls")
CLASSES = os.path.join(TABLES, "classes.tbl")

# arch -> (upstream table, abis that apply, output table)
ARCHES = {
    # x86_64: "common" and "64"; "x32" rows are for the x32 ABI only.
    "x86_64": (
        os.path.join(TABLES, "upstream", "x86_64-syscall_64.tbl"),
        ("common", "64"),
        os.path.join(TABLES, "x86_64.tbl"),
    ),
    # aarch64: scripts/syscall.tbl with syscall_abis_64 from
    # arch/arm64/kernel/Makefile.syscalls ("renameat newstat rlimit memfd_secret")
    # on top of the implicit "common" and "64".
    "aarch64": (
        os.path.join(TABLES, "upstream", "generic-syscall.tbl"),
        ("common", "64", "renameat", "newstat", "rlimit", "memfd_secret"),
        os.path.join(TABLES, "aarch64.tbl"),
    ),
}

FLAGS = ("fd", "path", "retfd", "net", "proc", "sig", "ipc", "mem")
NO_ENTRY = ("", "sys_ni_syscall")


class TableError(Exception):
    pass


def read_lines(rel):
    path = os.path.join(ROOT, rel)
    try:
        with open(path, encoding="utf-8") as f:
            return f.read().splitlines()
    except OSError as e:
        raise TableError("cannot read %s: %s" % (rel, e.strerror))


def parse_kernel_tbl(rel, abis):
    """Return [(nr, name)] for rows of the given abis that have an entry point."""
    rows = []
    by_nr = {}
    by_name = {}
    for lineno, line in enumerate(read_lines(rel), 1):
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        f = line.split()
        if len(f) < 3 or not f[0].isdigit():
            raise TableError("%s:%d: malformed row: %r" % (rel, lineno, line))
        nr, abi, name = int(f[0]), f[1], f[2]
        entry = f[3] if len(f) > 3 else ""
        if abi not in abis or entry in NO_ENTRY:
            continue
        where = "%s:%d" % (rel, lineno)
        if nr in by_nr:
            raise TableError("%s: number %d already used by %s (%s)"
                             % (where, nr, by_nr[nr][0], by_nr[nr][1]))
        if name in by_name:
            raise TableError("%s: name %s already has number %d (%s)"
                             % (where, name, by_name[name][0], by_name[name][1]))
        by_nr[nr] = (name, where)
        by_name[name] = (nr, where)
        rows.append((nr, name))
    if not rows:
        raise TableError("%s: no usable rows for abis %s" % (rel, ",".join(abis)))
    return sorted(rows)


def parse_classes(rel):
    """Return {name: (nargs, flags_string)} from classes.tbl."""
    classes = {}
    for lineno, line in enumerate(read_lines(rel), 1):
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        f = line.split()
        where = "%s:%d" % (rel, lineno)
        if len(f) != 3:
            raise TableError("%s: expected 'name nargs flags', got %r" % (where, line))
        name, nargs, flags = f
        if not nargs.isdigit() or not 0 <= int(nargs) <= 6:
            raise TableError("%s: %s: nargs must be 0-6, got %r" % (where, name, nargs))
        if flags != "-":
            fl = flags.split(",")
            bad = [x for x in fl if x not in FLAGS]
            if bad:
                raise TableError("%s: %s: unknown flag(s) %s (allowed: %s or -)"
                                 % (where, name, ",".join(bad), ",".join(FLAGS)))
            if len(set(fl)) != len(fl):
                raise TableError("%s: %s: repeated flag in %r" % (where, name, flags))
            # canonical order keeps the generated files stable
            flags = ",".join(x for x in FLAGS if x in fl)
        if name in classes:
            raise TableError("%s: duplicate entry for %s" % (where, name))
        classes[name] = (int(nargs), flags)
    return classes


def render(arch, src, rows, classes):
    missing = [name for _, name in rows if name not in classes]
    if missing:
        raise TableError("%s: %d syscall(s) from %s missing in %s: %s"
                         % (arch, len(missing), src, CLASSES, " ".join(missing)))
    recs = [(str(nr), str(classes[name][0]), classes[name][1], name) for nr, name in rows]
    w_nr = max(len(r[0]) for r in recs)
    w_na = max(len(r[1]) for r in recs)
    w_fl = max(len(r[2]) for r in recs)
    out = [
        "# generated by tools/gen-syscall-tables.py from %s and %s, do not edit"
        % (src, CLASSES),
        "# %s: %d syscalls; regenerate with: python3 tools/gen-syscall-tables.py"
        % (arch, len(recs)),
        "# columns: nr nargs flags name",
    ]
    for nr, na, fl, name in recs:
        out.append("%*s %-*s %-*s %s" % (w_nr, nr, w_na, na, w_fl, fl, name))
    return "\n".join(out) + "\n"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--check", action="store_true",
                    help="do not write; exit 1 if the generated files differ from "
                         "the ones in the tree")
    args = ap.parse_args()

    try:
        classes = parse_classes(CLASSES)
        outputs = {}
        used = set()
        for arch, (src, abis, dst) in ARCHES.items():
            rows = parse_kernel_tbl(src, abis)
            used.update(name for _, name in rows)
            outputs[dst] = (arch, render(arch, src, rows, classes), len(rows))
    except TableError as e:
        print("gen-syscall-tables: error: %s" % e, file=sys.stderr)
        return 1

    unused = sorted(set(classes) - used)
    if unused:
        print("gen-syscall-tables: warning: %d name(s) in %s are in no arch table: %s"
              % (len(unused), CLASSES, " ".join(unused)), file=sys.stderr)

    stale = []
    for dst, (arch, text, n) in outputs.items():
        path = os.path.join(ROOT, dst)
        try:
            with open(path, encoding="utf-8") as f:
                old = f.read()
        except OSError:
            old = None
        if old == text:
            print("%s: %s up to date (%d syscalls)" % (arch, dst, n))
            continue
        if args.check:
            stale.append(dst)
            print("%s: %s is %s" % (arch, dst, "missing" if old is None else "stale"),
                  file=sys.stderr)
            continue
        with open(path, "w", encoding="utf-8") as f:
            f.write(text)
        print("%s: wrote %s (%d syscalls)" % (arch, dst, n))
    if stale:
        print("gen-syscall-tables: run python3 tools/gen-syscall-tables.py and commit "
              "the result", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
