#!/usr/bin/env bash
# Cross-check the generated syscall tables (tables/syscalls/{x86_64,aarch64}.tbl)
# against the kernel UAPI headers installed on this machine.
#
#   x86_64 : /usr/include/x86_64-linux-gnu/asm/unistd_64.h      (linux-libc-dev)
#   aarch64: /usr/aarch64-linux-gnu/include/asm/unistd.h         (linux-libc-dev-arm64-cross)
#            -> asm-generic/unistd.h; the C preprocessor resolves the
#               __NR3264_* aliases (fstat, newfstatat, fcntl, lseek, mmap, ...)
#
# For every __NR_<name> the headers define:
#   - if <name> is in our table, the numbers must be equal;
#   - otherwise the upstream .tbl must list <name> with the same number and no
#     entry point (or sys_ni_syscall): a reserved/retired number the generator
#     drops on purpose. Anything else is an error.
# Names in our table that the (older) headers lack are listed as "newer".
# Plus fixed spot checks of well-known numbers and of calls aarch64 lacks.
#
# Exit status: 0 all good, 1 mismatch, 2 missing tools/headers.
# Override header locations with X86_64_UNISTD / AARCH64_INCLUDE.

set -u
cd "$(dirname "$0")/.." || exit 2

X86_64_UNISTD=${X86_64_UNISTD:-/usr/include/x86_64-linux-gnu/asm/unistd_64.h}
AARCH64_INCLUDE=${AARCH64_INCLUDE:-/usr/aarch64-linux-gnu/include}
CPP=${CPP:-cpp}

fail=0
err() { echo "  ERROR: $*"; fail=1; }

command -v "$CPP" >/dev/null 2>&1 || { echo "check-syscall-tables: '$CPP' not found" >&2; exit 2; }

tmp=$(mktemp -d) || exit 2
trap 'rm -rf "$tmp"' EXIT

# header_nrs OUT CPPFLAGS... : write "name nr" for every __NR_<name> macro,
# fully macro-expanded and arithmetic-evaluated.
header_nrs() {
    local out=$1; shift
    local name expr
    "$CPP" -undef -nostdinc -dM "$@" /dev/null >"$tmp/defs" 2>"$tmp/cpp.err" ||
        { cat "$tmp/cpp.err" >&2; return 1; }
    awk '$1 == "#define" && $2 ~ /^__NR_/ { n = substr($2, 6);
            if (n != "syscalls" && n != "arch_specific_syscall") print "@@", n, $2 }' \
        "$tmp/defs" >"$tmp/expand.c"
    "$CPP" -undef -nostdinc -P "$@" "$tmp/expand.c" >"$tmp/expanded" 2>"$tmp/cpp.err" ||
        { cat "$tmp/cpp.err" >&2; return 1; }
    : >"$out"
    while read -r _ name expr; do
        [[ $expr =~ ^[-0-9+()\ ]+$ ]] || { echo "cannot evaluate __NR_$name = $expr" >&2; return 1; }
        echo "$name $((expr))" >>"$out"
    done < <(grep '^@@ ' "$tmp/expanded")
    [ -s "$out" ] || { echo "no __NR_ macros found" >&2; return 1; }
}

# check_arch ARCH TABLE UPSTREAM ABIS NRFILE HEADER-DESCRIPTION
check_arch() {
    local arch=$1 table=$2 upstream=$3 abis=$4 hdr=$5 hdrdesc=$6
    local name nr want checked=0 matched=0 retired=0
    local -A ours=() up_nr=() up_entry=() seen=()
    local -a retired_names=() newer=()

    while read -r nr _ _ name; do ours[$name]=$nr; done < <(grep -v '^#' "$table")
    while read -r nr abi name entry; do
        [[ " $abis " == *" $abi "* ]] || continue
        up_nr[$name]=$nr; up_entry[$name]=${entry:-}
    done < <(sed 's/#.*//' "$upstream" | awk 'NF >= 3 { print $1, $2, $3, $4 }')

    echo "$arch: $table vs $hdrdesc"
    while read -r name nr; do
        checked=$((checked + 1)); seen[$name]=1
        if [ -n "${ours[$name]+x}" ]; then
            if [ "${ours[$name]}" = "$nr" ]; then matched=$((matched + 1))
            else err "$name: table has ${ours[$name]}, header has $nr"; fi
        elif [ -n "${up_nr[$name]+x}" ] && [ "${up_nr[$name]}" = "$nr" ] &&
             { [ -z "${up_entry[$name]}" ] || [ "${up_entry[$name]}" = sys_ni_syscall ]; }; then
            retired=$((retired + 1)); retired_names+=("$name")
        else
            err "$name ($nr) is in the header but not in $table"
        fi
    done <"$hdr"
    for name in "${!ours[@]}"; do
        [ -n "${seen[$name]+x}" ] || newer+=("${ours[$name]}:$name")
    done
    echo "  $checked header names checked: $matched match, $retired reserved/no entry point ($(printf '%s\n' "${retired_names[@]}" | sort | tr '\n' ' '))"
    if [ ${#newer[@]} -gt 0 ]; then
        echo "  ${#newer[@]} in table but newer than the headers: $(printf '%s\n' "${newer[@]}" | sort -n | tr '\n' ' ')"
    fi
    return 0
}

# spot TABLE name=nr ... (nr "none" = must be absent)
spot() {
    local table=$1; shift
    local kv name want got n=0
    for kv in "$@"; do
        name=${kv%%=*}; want=${kv#*=}
        got=$(awk -v n="$name" '!/^#/ && $4 == n { print $1 }' "$table")
        n=$((n + 1))
        if [ "$want" = none ]; then
            [ -z "$got" ] || err "spot check: $name should not exist, table has $got"
        elif [ "$got" != "$want" ]; then
            err "spot check: $name should be $want, table has ${got:-nothing}"
        fi
    done
    echo "  $n spot checks done"
}

for f in "$X86_64_UNISTD" "$AARCH64_INCLUDE/asm/unistd.h" tables/syscalls/x86_64.tbl tables/syscalls/aarch64.tbl; do
    [ -r "$f" ] || { echo "check-syscall-tables: cannot read $f" >&2; exit 2; }
done

header_nrs "$tmp/x86_64.nr" -include "$X86_64_UNISTD" || exit 2
check_arch x86_64 tables/syscalls/x86_64.tbl tables/syscalls/upstream/x86_64-syscall_64.tbl \
    "common 64" "$tmp/x86_64.nr" "$X86_64_UNISTD"
spot tables/syscalls/x86_64.tbl getppid=110 fork=57 fsopen=430 quotactl_fd=443 \
    statmount=457 listmount=458 listns=470 openat=257 close=3 read=0 \
    mseal=462 open_tree_attr=467 file_setattr=469

header_nrs "$tmp/aarch64.nr" -I "$AARCH64_INCLUDE" -include asm/unistd.h || exit 2
check_arch aarch64 tables/syscalls/aarch64.tbl tables/syscalls/upstream/generic-syscall.tbl \
    "common 64 renameat newstat rlimit memfd_secret" "$tmp/aarch64.nr" \
    "$AARCH64_INCLUDE/asm/unistd.h (+ asm-generic/unistd.h)"
spot tables/syscalls/aarch64.tbl openat=56 close=57 fsopen=430 mount=40 umount2=39 \
    pivot_root=41 quotactl=60 swapon=224 swapoff=225 clone=220 wait4=260 getppid=173 \
    fstat=80 newfstatat=79 fcntl=25 lseek=62 mmap=222 renameat=38 getrlimit=163 \
    memfd_secret=447 listns=470 \
    open=none fork=none pipe=none dup2=none stat=none

if [ "$fail" -ne 0 ]; then
    echo "check-syscall-tables: FAILED"
    exit 1
fi
echo "check-syscall-tables: OK"
