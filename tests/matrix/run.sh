#!/usr/bin/env bash
# Kernel matrix: run replay's specs on several Linux kernels (Debian cloud
# kernels booted in qemu, TCG) plus the host kernel, then merge the reports.
#
#   tests/matrix/run.sh [--jobs N] [--kernels LIST] [--timeout S] [--refresh]
#                       [--check-baselines | --update-baselines]
#
# LIST is comma separated; names: host, bookworm, bullseye, trixie,
# trixie-backports (x86_64, default: all of them, host first), and the same
# suites as aarch64/NAME (arm64 kernel, qemu-system-aarch64, cross-built replay;
# not in the default list). --jobs: VMs booted at once (default 1; more than one
# per CPU makes timing-sensitive steps flaky).
# --check-baselines: fail when a kernel's steps differ from its committed
# tests/matrix/baselines/NAME.tsv; --update-baselines rewrites them.
# Output: build-matrix/matrix.md and build-matrix/matrix.json. See docs/matrix.md.
set -euo pipefail

die() { echo "matrix: error: $*" >&2; exit 2; }
say() { echo "matrix: $*" >&2; }

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
OUT=${REPLAY_MATRIX_OUT:-$ROOT/build-matrix}
CACHE=${REPLAY_MATRIX_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/replay-matrix}
BUILD=${REPLAY_STATIC_BUILD:-$ROOT/build-static}
BUILD_A64=${REPLAY_AARCH64_BUILD:-$ROOT/build-aarch64}
SPECS=$ROOT/specs
JOBS=1
KERNELS=host,bullseye,bookworm,trixie,trixie-backports
VM_TIMEOUT=120
# pauth-impdef: -cpu max with a cheap pointer-authentication hash; the
# architected QARMA one makes a TCG boot and run 13.6 s instead of 5 s.
A64_CPU=${REPLAY_MATRIX_AARCH64_CPU:-max,pauth-impdef=on}
REFRESH=0
BASELINES=

usage() { sed -n '2,15p' "$0" | sed 's/^# \{0,1\}//'; }
while [ $# -gt 0 ]; do
    case $1 in
        --jobs) JOBS=${2:?--jobs needs a number}; shift 2 ;;
        --jobs=*) JOBS=${1#*=}; shift ;;
        --kernels) KERNELS=${2:?--kernels needs a list}; shift 2 ;;
        --kernels=*) KERNELS=${1#*=}; shift ;;
        --timeout) VM_TIMEOUT=${2:?--timeout needs seconds}; shift 2 ;;
        --refresh) REFRESH=1; shift ;;
        --check-baselines) BASELINES=check; shift ;;
        --update-baselines) BASELINES=update; shift ;;
        -h|--help) usage; exit 0 ;;
        *) usage >&2; die "unknown argument: $1" ;;
    esac
done
[[ $JOBS =~ ^[1-9][0-9]*$ ]] || die "--jobs must be a positive number"

suites_for() { # kernel name -> "suite:archive ..."
    case $1 in
        bookworm) echo "bookworm:debian bookworm-updates:debian bookworm-security:debian-security" ;;
        bullseye) echo "bullseye:debian bullseye-updates:debian bullseye-security:debian-security" ;;
        trixie) echo "trixie:debian trixie-updates:debian trixie-security:debian-security" ;;
        # Backports only: with trixie listed too, its metapackage would win.
        trixie-backports) echo "trixie-backports:debian" ;;
        *) return 1 ;;
    esac
}
# Kernel names: SUITE (x86_64) or aarch64/SUITE.
arch_of() { case $1 in aarch64/*) echo aarch64 ;; *) echo x86_64 ;; esac; }
suite_of() { echo "${1#aarch64/}"; }
debarch_of() { case $(arch_of "$1") in aarch64) echo arm64 ;; *) echo amd64 ;; esac; }
fname() { echo "${1//\//_}"; }  # file name for a kernel name (aarch64/bookworm -> aarch64_bookworm)
IFS=, read -r -a LIST <<< "$KERNELS"
[ ${#LIST[@]} -gt 0 ] || die "empty --kernels"
WANT_X86=0; WANT_A64=0
for k in "${LIST[@]}"; do
    [ "$k" = host ] || suites_for "$(suite_of "$k")" >/dev/null \
        || die "unknown kernel name: $k (host, bookworm, bullseye, trixie, trixie-backports, aarch64/<suite>)"
    if [ "$k" = host ]; then :; elif [ "$(arch_of "$k")" = aarch64 ]; then WANT_A64=1; else WANT_X86=1; fi
done

# ---- tools ---------------------------------------------------------------
need() { command -v "$1" >/dev/null 2>&1 || die "$1 not found (apt-get install $2)"; }
[ "$WANT_X86" = 0 ] || need qemu-system-x86_64 qemu-system-x86
[ "$WANT_A64" = 0 ] || need qemu-system-aarch64 qemu-system-arm
need cpio cpio
need python3 python3
need apt-get apt
need dpkg-deb dpkg
BUSYBOX=
for b in /bin/busybox /usr/bin/busybox; do
    if [ -x "$b" ] && file -L "$b" 2>/dev/null | grep -q 'statically linked'; then BUSYBOX=$b; break; fi
done
[ -n "$BUSYBOX" ] || die "no static busybox (apt-get install busybox-static)"

# ---- static replay -------------------------------------------------------
if [ ! -x "$BUILD/replay" ]; then
    say "building static replay in $BUILD"
    cmake -S "$ROOT" -B "$BUILD" -DREPLAY_STATIC=ON -DCMAKE_BUILD_TYPE=Release >/dev/null
fi
cmake --build "$BUILD" --target replay >/dev/null || die "static replay build failed"
file -L "$BUILD/replay" | grep -q 'statically linked' \
    || die "$BUILD/replay is not static (configure with -DREPLAY_STATIC=ON)"
if [ "$WANT_A64" = 1 ]; then
    need aarch64-linux-gnu-gcc gcc-aarch64-linux-gnu
    if [ ! -f "$BUILD_A64/CMakeCache.txt" ]; then
        [ -f "$ROOT/build-aarch64-sysroot/usr/lib/aarch64-linux-gnu/pkgconfig/libcyaml.pc" ] \
            || "$ROOT/tools/aarch64-sysroot.sh" || die "aarch64 sysroot failed"
        say "cross-building static aarch64 replay in $BUILD_A64"
        cmake -S "$ROOT" -B "$BUILD_A64" -DCMAKE_TOOLCHAIN_FILE="$ROOT/cmake/aarch64-toolchain.cmake" \
            -DREPLAY_STATIC=ON -DCMAKE_BUILD_TYPE=Release >/dev/null || die "aarch64 configure failed"
    fi
    cmake --build "$BUILD_A64" --target replay >/dev/null || die "aarch64 replay build failed"
    file -L "$BUILD_A64/replay" | grep -q 'ARM aarch64.*statically linked' \
        || die "$BUILD_A64/replay is not a static aarch64 binary"
fi

mkdir -p "$OUT/results" "$CACHE"
rm -f "$OUT"/results/*

# ---- kernels from Debian's archive, through a private apt configuration --
# The archive URIs come from this machine's apt configuration; nothing here
# names a mirror.
host_uri() { # $1: debian | debian-security
    local f uris=()
    for f in /etc/apt/sources.list.d/*.sources; do
        [ -r "$f" ] || continue
        while read -r u; do uris+=("$u"); done \
            < <(awk 'tolower($1)=="uris:" { for (i=2;i<=NF;i++) print $i }' "$f")
    done
    for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
        [ -r "$f" ] || continue
        while read -r u; do uris+=("$u"); done \
            < <(awk '$1=="deb" { for (i=2;i<=NF;i++) if ($i ~ /^[a-z]+:\/\//) { print $i; break } }' "$f")
    done
    local u
    for u in "${uris[@]}"; do
        u=${u%/}
        if [ "$1" = debian-security ]; then [[ $u == */debian-security ]] && { echo "$u"; return; }
        else [[ $u == */debian ]] && { echo "$u"; return; }
        fi
    done
    return 1
}


KEYRING=/usr/share/keyrings/debian-archive-keyring.gpg
# apt_private DIR SUITE DEBARCH: write a private apt configuration for SUITE's
# archives (lists, state, cache under DIR/apt, empty dpkg status, DEBARCH only),
# run apt-get update, and leave the options in the array OPTS.
apt_private() {
    local dir=$1 suite_name=$2 darch=$3
    local main sec suites
    main=$(host_uri debian) || { say "no debian URI in /etc/apt"; return 1; }
    sec=$(host_uri debian-security) || sec=
    suites=$(suites_for "$suite_name") || { say "unknown suite: $suite_name"; return 1; }
    local apt=$dir/apt
    rm -rf "$apt"; mkdir -p "$apt/lists/partial" "$apt/cache/archives/partial" "$apt/deb"
    : > "$apt/status"; : > "$apt/sources.list"
    local s
    for s in $suites; do
        local suite=${s%%:*} arch=${s#*:} uri=$main
        if [ "$arch" = debian-security ]; then [ -n "$sec" ] || continue; uri=$sec; fi
        echo "deb [arch=$darch signed-by=$KEYRING] $uri $suite main" >> "$apt/sources.list"
    done
    OPTS=(-o "Dir::Etc::SourceList=$apt/sources.list" -o Dir::Etc::SourceParts=/dev/null
        -o "Dir::State=$apt" -o "Dir::State::Lists=$apt/lists" -o "Dir::State::status=$apt/status"
        -o "Dir::Cache=$apt/cache" -o Dir::Etc::Preferences=/dev/null -o Dir::Etc::PreferencesParts=/dev/null
        -o APT::Architecture="$darch" -o APT::Architectures::="$darch" -o Debug::NoLocking=1
        -o Acquire::Languages=none -o APT::Sandbox::User=root -o APT::Get::List-Cleanup=0)
    say "$suite_name/$darch: apt-get update (private config in $apt)"
    apt-get "${OPTS[@]}" -qq update >"$apt/update.log" 2>&1 \
        || { say "$suite_name/$darch: apt-get update failed, see $apt/update.log"; return 1; }
}

# Static arm64 busybox for the aarch64 initramfs (busybox-static, bookworm).
fetch_busybox_arm64() {
    local dir=$CACHE/aarch64/busybox
    if [ "$REFRESH" = 0 ] && [ -s "$dir/busybox" ]; then echo "$dir/busybox"; return 0; fi
    mkdir -p "$dir"
    local OPTS; apt_private "$dir" bookworm arm64 || return 1
    ( cd "$dir/apt/deb" && apt-get "${OPTS[@]}" -qq download busybox-static ) >"$dir/apt/download.log" 2>&1 \
        || { say "busybox-static arm64: download failed, see $dir/apt/download.log"; return 1; }
    rm -rf "$dir/x"; mkdir -p "$dir/x"
    dpkg-deb -x "$dir"/apt/deb/busybox-static_*.deb "$dir/x"
    cp "$dir/x/bin/busybox" "$dir/busybox"
    rm -rf "$dir/x" "$dir/apt/deb"
    echo "$dir/busybox"
}

fetch_kernel() { # $1: name; prints the path of a cached vmlinuz
    local name=$1; local dir=$CACHE/$name
    if [ "$REFRESH" = 0 ] && [ -s "$dir/vmlinuz" ] && [ -s "$dir/version" ]; then
        echo "$dir/vmlinuz"; return 0
    fi
    local darch; darch=$(debarch_of "$name")
    mkdir -p "$dir"
    local OPTS; apt_private "$dir" "$(suite_of "$name")" "$darch" || return 1
    local apt=$dir/apt opts=("${OPTS[@]}")
    # The metapackage's versions, newest first: when the mirror lacks the newest
    # image (seen: bullseye-security arm64, 404), fall back to an older one.
    local meta_vers mv pkg cands c deb='' vm='' tried=''
    meta_vers=$(apt-cache "${opts[@]}" madison "linux-image-cloud-$darch" 2>/dev/null \
          | awk -F'|' '{ gsub(/ /, "", $2); print $2 }')
    [ -n "$meta_vers" ] || { say "$name: cannot resolve linux-image-cloud-$darch"; return 1; }
    for mv in $meta_vers; do
        pkg=$(apt-cache "${opts[@]}" depends "linux-image-cloud-$darch=$mv" 2>/dev/null \
              | awk -v a="$darch" '$1=="Depends:" && $2 ~ ("^linux-image-.*-cloud-" a) { print $2; exit }')
        [ -n "$pkg" ] || continue
        [[ " $tried " == *" $pkg "* ]] && continue
        tried+=" $pkg"
        # Newer packaging splits the image: the vmlinuz then sits in one of its
        # dependencies (linux-binary-*), so try those after the package itself.
        cands="$pkg $(apt-cache "${opts[@]}" depends "$pkg" 2>/dev/null \
              | awk '$1=="Depends:" && $2 ~ /^linux-(binary|image)-/ { print $2 }')"
        for c in $cands; do
            say "$name: downloading $c"
            ( cd "$apt/deb" && apt-get "${opts[@]}" -qq download "$c" ) >>"$apt/download.log" 2>&1 \
                || { say "$name: download of $c failed, see $apt/download.log"; break; }
            deb=$(ls "$apt"/deb/"$c"_*.deb | head -n1)
            rm -rf "$dir/x"; mkdir -p "$dir/x"
            dpkg-deb -x "$deb" "$dir/x"
            # boot/vmlinuz-VERSION, or usr/lib/modules/VERSION/vmlinuz (linux-binary-*)
            vm=$(ls "$dir"/x/boot/vmlinuz-* "$dir"/x/usr/lib/modules/*/vmlinuz 2>/dev/null | head -n1) || true
            [ -z "$vm" ] || break
        done
        [ -z "$vm" ] || break
    done
    [ -n "$vm" ] || { say "$name: no vmlinuz in$tried"; return 1; }
    cp "$vm" "$dir/vmlinuz"
    local kver=${vm##*/vmlinuz-}
    [[ $vm == */usr/lib/modules/*/vmlinuz ]] && { kver=${vm%/vmlinuz}; kver=${kver##*/}; }
    echo "$kver ($c $(dpkg-deb -f "$deb" Version))" > "$dir/version"
    rm -rf "$dir/x" "$apt/deb"
    echo "$dir/vmlinuz"
}

# ---- initramfs -----------------------------------------------------------
build_initramfs() { # $1: x86_64 | aarch64
    local arch=$1 bb=$BUSYBOX rp=$BUILD/replay r=$OUT/initramfs-$1
    if [ "$arch" = aarch64 ]; then
        bb=$(fetch_busybox_arm64) || die "no arm64 busybox-static"
        rp=$BUILD_A64/replay
    fi
    rm -rf "$r"; mkdir -p "$r"/{bin,sbin,proc,sys,dev,tmp,specs,etc,root}
    cp "$bb" "$r/bin/busybox"
    cp "$rp" "$r/bin/replay"
    cp "$SPECS"/*.yaml "$r/specs/"
    echo 'root:x:0:0:root:/root:/bin/sh' > "$r/etc/passwd"
    echo 'root:x:0:' > "$r/etc/group"
    cat > "$r/init" <<'EOF'
#!/bin/busybox sh
/bin/busybox --install -s /bin
export PATH=/bin:/sbin
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
mount -t tmpfs tmp /tmp
label=unknown
for a in $(cat /proc/cmdline); do
    case $a in replay.label=*) label=${a#replay.label=} ;; esac
done
cd /
replay --format json --step-timeout 5 --output /tmp/report.json /specs >/tmp/table.txt 2>/tmp/stderr.txt
rc=$?
echo "=== REPLAY-REPORT-BEGIN $label ==="
cat /tmp/report.json
echo
echo "=== REPLAY-REPORT-END rc=$rc ==="
echo "=== REPLAY-STDERR-BEGIN ==="
head -c 4000 /tmp/stderr.txt
echo "=== REPLAY-STDERR-END ==="
poweroff -f
EOF
    chmod +x "$r/init"
    (cd "$r" && find . | LC_ALL=C sort | cpio -o -H newc --quiet | gzip -1) > "$OUT/initramfs-$arch.cpio.gz"
}

# ---- one kernel ----------------------------------------------------------
meta() { # name status seconds kernel-version
    python3 - "$OUT/results/$(fname "$1").meta.json" "$1" "$2" "$3" "$4" "$(arch_of "$1")" <<'EOF'
import json, sys
p, name, status, secs, ver, arch = sys.argv[1:]
json.dump({"name": name, "status": status, "seconds": float(secs), "kernel": ver, "arch": arch}, open(p, "w"))
EOF
}

run_vm() {
    local name=$1; local f; f=$(fname "$1")
    local vm ver log=$OUT/results/$f.console.log t0 t1 rc
    if [[ $FAILED_FETCH == *" $name "* ]] || ! vm=$(fetch_kernel "$name"); then
        meta "$name" NO-KERNEL 0 "?"; say "$name: no kernel"; return 0
    fi
    ver=$(cat "$CACHE/$name/version")
    say "$name: booting $ver"
    t0=$(date +%s.%N)
    rc=0
    local qemu
    if [ "$(arch_of "$name")" = aarch64 ]; then
        qemu=(qemu-system-aarch64 -M virt -cpu "$A64_CPU" -smp 1 -m 512 -nographic -no-reboot
            -monitor none -serial "file:$log" -kernel "$vm" -initrd "$OUT/initramfs-aarch64.cpio.gz"
            -append "console=ttyAMA0 panic=-1 quiet loglevel=1 rdinit=/init replay.label=$name")
    else
        qemu=(qemu-system-x86_64 -accel tcg -cpu max -smp 1 -m 1024
            -no-reboot -display none -monitor none -nodefaults -serial "file:$log"
            -kernel "$vm" -initrd "$OUT/initramfs-x86_64.cpio.gz"
            -append "console=ttyS0 panic=-1 quiet loglevel=1 rdinit=/init replay.label=$name")
    fi
    timeout --kill-after=5 "$VM_TIMEOUT" "${qemu[@]}" </dev/null >"$OUT/results/$f.qemu.log" 2>&1 || rc=$?
    t1=$(date +%s.%N)
    local secs; secs=$(python3 -c "print(round($t1-$t0,1))")
    # Cut the JSON out of the serial log.
    if python3 - "$log" "$OUT/results/$f.json" <<'EOF'
import json, re, sys
text = open(sys.argv[1], errors="replace").read().replace("\r", "")
m = re.search(r"=== REPLAY-REPORT-BEGIN \S+ ===\n(.*?)\n=== REPLAY-REPORT-END", text, re.S)
if not m:
    sys.exit(1)
json.dump(json.loads(m.group(1)), open(sys.argv[2], "w"))
EOF
    then
        meta "$name" ok "$secs" "$ver"; say "$name: done in ${secs}s"
    else
        local why="qemu exit $rc"
        if [ "$rc" = 124 ] || [ "$rc" = 137 ]; then why="killed after the ${VM_TIMEOUT}s timeout"; fi
        meta "$name" BROKEN "$secs" "$ver"
        say "$name: BROKEN after ${secs}s ($why, no report between the markers; see $log)"
    fi
}

run_host() {
    local t0 t1 rc=0
    say "host: running natively on $(uname -r)"
    t0=$(date +%s.%N)
    (cd "$ROOT" && "$BUILD/replay" --format json --step-timeout 5 --output "$OUT/results/host.json" specs \
        >/dev/null 2>"$OUT/results/host.stderr") || rc=$?
    t1=$(date +%s.%N)
    local secs; secs=$(python3 -c "print(round($t1-$t0,1))")
    if python3 -c "import json,sys; json.load(open(sys.argv[1]))" "$OUT/results/host.json" 2>/dev/null; then
        meta host ok "$secs" "$(uname -r) (host)"
    else
        meta host BROKEN "$secs" "$(uname -r) (host)"
    fi
    say "host: done in ${secs}s (replay exit $rc)"
}

# ---- main ----------------------------------------------------------------
[ "$WANT_X86" = 0 ] || build_initramfs x86_64
[ "$WANT_A64" = 0 ] || build_initramfs aarch64

FAILED_FETCH=" "
# Fetch kernels one at a time (apt output stays readable), boot in parallel.
for k in "${LIST[@]}"; do
    [ "$k" = host ] && continue
    fetch_kernel "$k" >/dev/null || { say "$k: kernel fetch failed"; FAILED_FETCH+=" $k "; }
done
REFRESH=0  # fetched above; run_vm only reads the cache

running=0
for k in "${LIST[@]}"; do
    if [ "$k" = host ]; then run_host; continue; fi
    run_vm "$k" &
    running=$((running + 1))
    if [ "$running" -ge "$JOBS" ]; then wait -n || true; running=$((running - 1)); fi
done
wait

python3 "$ROOT/tests/matrix/report.py" --order "$KERNELS" "$OUT/results" "$OUT"
say "report: $OUT/matrix.md and $OUT/matrix.json"
# report.py's reading of the results: a report that is not JSON counts as BROKEN too.
bad=$(python3 -c 'import sys; sys.path.insert(0, sys.argv[1]); import report
print(" ".join(n for n, meta, _ in report.load(sys.argv[2], None) if meta["status"] != "ok"))' \
    "$ROOT/tests/matrix" "$OUT/results")
if [ -n "$bad" ]; then say "not run or BROKEN: $bad"; exit 1; fi
if [ -n "$BASELINES" ]; then
    python3 "$ROOT/tests/matrix/baseline.py" "$BASELINES" "$OUT/results" "$ROOT/tests/matrix/baselines" ||
        { say "kernel behaviour differs from tests/matrix/baselines (see above)"; exit 1; }
fi
