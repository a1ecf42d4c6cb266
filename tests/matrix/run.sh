#!/usr/bin/env bash
# Kernel matrix: run replay's specs on several Linux kernels (Debian cloud
# kernels booted in qemu, TCG) plus the host kernel, then merge the reports.
#
#   tests/matrix/run.sh [--jobs N] [--kernels LIST] [--timeout S] [--refresh]
#
# LIST is comma separated; names: host, bookworm, bullseye, trixie,
# trixie-backports (default: all of them, host first). --jobs: VMs booted at once
# (default 1; more than one per CPU makes timing-sensitive steps flaky).
# Output: build-matrix/matrix.md and build-matrix/matrix.json.
# See docs/matrix.md.
set -euo pipefail

die() { echo "matrix: error: $*" >&2; exit 2; }
say() { echo "matrix: $*" >&2; }

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
OUT=${REPLAY_MATRIX_OUT:-$ROOT/build-matrix}
CACHE=${REPLAY_MATRIX_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/replay-matrix}
BUILD=${REPLAY_STATIC_BUILD:-$ROOT/build-static}
SPECS=$ROOT/specs
JOBS=1
KERNELS=host,bullseye,bookworm,trixie,trixie-backports
VM_TIMEOUT=120
REFRESH=0

usage() { sed -n '2,11p' "$0" | sed 's/^# \{0,1\}//'; }
while [ $# -gt 0 ]; do
    case $1 in
        --jobs) JOBS=${2:?--jobs needs a number}; shift 2 ;;
        --jobs=*) JOBS=${1#*=}; shift ;;
        --kernels) KERNELS=${2:?--kernels needs a list}; shift 2 ;;
        --kernels=*) KERNELS=${1#*=}; shift ;;
        --timeout) VM_TIMEOUT=${2:?--timeout needs seconds}; shift 2 ;;
        --refresh) REFRESH=1; shift ;;
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
IFS=, read -r -a LIST <<< "$KERNELS"
[ ${#LIST[@]} -gt 0 ] || die "empty --kernels"
for k in "${LIST[@]}"; do
    [ "$k" = host ] || suites_for "$k" >/dev/null || die "unknown kernel name: $k (host, bookworm, bullseye, trixie, trixie-backports)"
done

# ---- tools ---------------------------------------------------------------
need() { command -v "$1" >/dev/null 2>&1 || die "$1 not found (apt-get install $2)"; }
need qemu-system-x86_64 qemu-system-x86
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
fetch_kernel() { # $1: name; prints the path of a cached vmlinuz
    local name=$1; local dir=$CACHE/$name
    if [ "$REFRESH" = 0 ] && [ -s "$dir/vmlinuz" ] && [ -s "$dir/version" ]; then
        echo "$dir/vmlinuz"; return 0
    fi
    local main sec suites
    main=$(host_uri debian) || { say "no debian URI in /etc/apt"; return 1; }
    sec=$(host_uri debian-security) || sec=
    suites=$(suites_for "$name") || { say "unknown kernel name: $name"; return 1; }
    local apt=$dir/apt
    rm -rf "$apt"; mkdir -p "$apt/lists/partial" "$apt/cache/archives/partial" "$apt/deb"
    : > "$apt/status"; : > "$apt/sources.list"
    local s
    for s in $suites; do
        local suite=${s%%:*} arch=${s#*:} uri=$main
        if [ "$arch" = debian-security ]; then [ -n "$sec" ] || continue; uri=$sec; fi
        echo "deb [arch=amd64 signed-by=$KEYRING] $uri $suite main" >> "$apt/sources.list"
    done
    local opts=(-o "Dir::Etc::SourceList=$apt/sources.list" -o Dir::Etc::SourceParts=/dev/null
        -o "Dir::State=$apt" -o "Dir::State::Lists=$apt/lists" -o "Dir::State::status=$apt/status"
        -o "Dir::Cache=$apt/cache" -o Dir::Etc::Preferences=/dev/null -o Dir::Etc::PreferencesParts=/dev/null
        -o APT::Architecture=amd64 -o APT::Architectures::=amd64 -o Debug::NoLocking=1
        -o Acquire::Languages=none -o APT::Sandbox::User=root -o APT::Get::List-Cleanup=0)
    say "$name: apt-get update (private config in $apt)"
    apt-get "${opts[@]}" -qq update >"$apt/update.log" 2>&1 \
        || { say "$name: apt-get update failed, see $apt/update.log"; return 1; }
    local pkg
    pkg=$(apt-cache "${opts[@]}" depends linux-image-cloud-amd64 2>/dev/null \
          | awk '$1=="Depends:" && $2 ~ /^linux-image-.*-cloud-amd64/ { print $2; exit }')
    [ -n "$pkg" ] || { say "$name: cannot resolve linux-image-cloud-amd64"; return 1; }
    # Newer packaging splits the image: the vmlinuz then sits in one of its
    # dependencies (linux-binary-*), so try those after the package itself.
    local cands c deb='' vm=''
    cands="$pkg $(apt-cache "${opts[@]}" depends "$pkg" 2>/dev/null \
          | awk '$1=="Depends:" && $2 ~ /^linux-(binary|image)-/ { print $2 }')"
    for c in $cands; do
        say "$name: downloading $c"
        ( cd "$apt/deb" && apt-get "${opts[@]}" -qq download "$c" ) >>"$apt/download.log" 2>&1 \
            || { say "$name: download of $c failed, see $apt/download.log"; return 1; }
        deb=$(ls "$apt"/deb/"$c"_*.deb | head -n1)
        rm -rf "$dir/x"; mkdir -p "$dir/x"
        dpkg-deb -x "$deb" "$dir/x"
        # boot/vmlinuz-VERSION, or usr/lib/modules/VERSION/vmlinuz (linux-binary-*)
        vm=$(ls "$dir"/x/boot/vmlinuz-* "$dir"/x/usr/lib/modules/*/vmlinuz 2>/dev/null | head -n1) || true
        [ -z "$vm" ] || break
    done
    [ -n "$vm" ] || { say "$name: no vmlinuz in $cands"; return 1; }
    cp "$vm" "$dir/vmlinuz"
    local kver=${vm##*/vmlinuz-}
    [[ $vm == */usr/lib/modules/*/vmlinuz ]] && { kver=${vm%/vmlinuz}; kver=${kver##*/}; }
    echo "$kver ($c $(dpkg-deb -f "$deb" Version))" > "$dir/version"
    rm -rf "$dir/x" "$apt/deb"
    echo "$dir/vmlinuz"
}

# ---- initramfs -----------------------------------------------------------
build_initramfs() {
    local r=$OUT/initramfs
    rm -rf "$r"; mkdir -p "$r"/{bin,sbin,proc,sys,dev,tmp,specs,etc,root}
    cp "$BUSYBOX" "$r/bin/busybox"
    cp "$BUILD/replay" "$r/bin/replay"
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
    (cd "$r" && find . | LC_ALL=C sort | cpio -o -H newc --quiet | gzip -1) > "$OUT/initramfs.cpio.gz"
}

# ---- one kernel ----------------------------------------------------------
meta() { # name status seconds kernel-version
    python3 - "$OUT/results/$1.meta.json" "$1" "$2" "$3" "$4" <<'EOF'
import json, sys
p, name, status, secs, ver = sys.argv[1:]
json.dump({"name": name, "status": status, "seconds": float(secs), "kernel": ver}, open(p, "w"))
EOF
}

run_vm() {
    local name=$1; local vm ver log=$OUT/results/$name.console.log t0 t1 rc
    if [[ $FAILED_FETCH == *" $name "* ]] || ! vm=$(fetch_kernel "$name"); then
        meta "$name" NO-KERNEL 0 "?"; say "$name: no kernel"; return 0
    fi
    ver=$(cat "$CACHE/$name/version")
    say "$name: booting $ver"
    t0=$(date +%s.%N)
    rc=0
    timeout --kill-after=5 "$VM_TIMEOUT" qemu-system-x86_64 -accel tcg -cpu max -smp 1 -m 1024 \
        -no-reboot -display none -monitor none -nodefaults -serial "file:$log" \
        -kernel "$vm" -initrd "$OUT/initramfs.cpio.gz" \
        -append "console=ttyS0 panic=-1 quiet loglevel=1 rdinit=/init replay.label=$name" \
        </dev/null >"$OUT/results/$name.qemu.log" 2>&1 || rc=$?
    t1=$(date +%s.%N)
    local secs; secs=$(python3 -c "print(round($t1-$t0,1))")
    # Cut the JSON out of the serial log.
    if python3 - "$log" "$OUT/results/$name.json" <<'EOF'
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
build_initramfs

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
bad=$(python3 - "$OUT/results" <<'EOF'
import glob, json, sys
print(" ".join(m["name"] for m in (json.load(open(f)) for f in sorted(glob.glob(sys.argv[1] + "/*.meta.json"))) if m["status"] != "ok"))
EOF
)
if [ -n "$bad" ]; then say "not run or BROKEN: $bad"; exit 1; fi
