#!/usr/bin/env bash
# Build an aarch64 sysroot holding the arm64 libyaml/libcyaml development files,
# for cross-building replay (cmake/aarch64-toolchain.cmake).
#
#   tools/aarch64-sysroot.sh [SYSROOT]        (default: build-aarch64-sysroot/)
#
# The .debs come through a private apt configuration (own sources list, state
# and cache, APT::Architecture "arm64"); the archive URIs are taken from this
# machine's apt sources. The host's dpkg state and architectures are untouched.
# Extra packages can be added with AARCH64_SYSROOT_EXTRA="pkg ...".
set -euo pipefail
die() { echo "aarch64-sysroot: error: $*" >&2; exit 2; }
say() { echo "aarch64-sysroot: $*" >&2; }

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
SYSROOT=${1:-$ROOT/build-aarch64-sysroot}
PKGS="libyaml-dev libyaml-0-2 libcyaml-dev libcyaml1 ${AARCH64_SYSROOT_EXTRA:-}"
APTDIR=$SYSROOT.apt
KEYRING=/usr/share/keyrings/debian-archive-keyring.gpg
for t in apt-get dpkg-deb; do command -v "$t" >/dev/null || die "$t needed"; done

# deb lines for arm64 from the host's deb822 sources (URIs/Suites/Components).
make_sources() {
    local f
    for f in /etc/apt/sources.list.d/*.sources; do
        [ -r "$f" ] || continue
        awk -v kr="$KEYRING" '
            function flush() { if (uris != "" && suites != "") {
                    n = split(uris, U, " "); m = split(suites, S, " ")
                    for (i = 1; i <= n; i++) for (j = 1; j <= m; j++)
                        printf "deb [arch=arm64 signed-by=%s] %s %s %s\n", kr, U[i], S[j], (comps == "" ? "main" : comps) }
                uris = suites = comps = "" }
            /^[ \t]*$/ { flush(); next }
            /^#/ { next }
            tolower($1) == "uris:" { $1 = ""; uris = $0 }
            tolower($1) == "suites:" { $1 = ""; suites = $0 }
            tolower($1) == "components:" { $1 = ""; comps = $0 }
            END { flush() }' "$f"
    done
    for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
        [ -r "$f" ] || continue
        awk -v kr="$KEYRING" '$1 == "deb" { i = 2; if ($2 ~ /^\[/) { while ($i !~ /\]$/) i++; i++ }
              printf "deb [arch=arm64 signed-by=%s]", kr; for (; i <= NF; i++) printf " %s", $i; print "" }' "$f"
    done
}

rm -rf "$APTDIR"; mkdir -p "$APTDIR/lists/partial" "$APTDIR/cache/archives/partial" "$APTDIR/deb"
: > "$APTDIR/status"
make_sources | sort -u > "$APTDIR/sources.list"
[ -s "$APTDIR/sources.list" ] || die "no deb sources found in /etc/apt"
OPTS=(-o "Dir::Etc::SourceList=$APTDIR/sources.list" -o Dir::Etc::SourceParts=/dev/null
    -o "Dir::State=$APTDIR" -o "Dir::State::Lists=$APTDIR/lists" -o "Dir::State::status=$APTDIR/status"
    -o "Dir::Cache=$APTDIR/cache" -o Dir::Etc::Preferences=/dev/null -o Dir::Etc::PreferencesParts=/dev/null
    -o APT::Architecture=arm64 -o APT::Architectures::=arm64 -o Debug::NoLocking=1
    -o Acquire::Languages=none -o APT::Sandbox::User=root -o APT::Get::List-Cleanup=0)
say "apt-get update (private config in $APTDIR)"
apt-get "${OPTS[@]}" -qq update >"$APTDIR/update.log" 2>&1 || die "apt-get update failed, see $APTDIR/update.log"
say "downloading: $PKGS"
# shellcheck disable=SC2086
(cd "$APTDIR/deb" && apt-get "${OPTS[@]}" -qq download $PKGS) >"$APTDIR/download.log" 2>&1 \
    || die "download failed, see $APTDIR/download.log"
rm -rf "$SYSROOT"; mkdir -p "$SYSROOT"
for d in "$APTDIR"/deb/*.deb; do
    say "extracting ${d##*/}"
    dpkg-deb -x "$d" "$SYSROOT"
done
# Debian's .pc files say prefix=/usr; PKG_CONFIG_SYSROOT_DIR prefixes the sysroot.
# Absolute symlinks (lib*.so -> /usr/lib/...) would point at the host: make them relative.
find "$SYSROOT" -type l | while read -r l; do
    t=$(readlink "$l")
    case $t in /*) ln -sfn "$(realpath -m --relative-to="$(dirname "$l")" "$SYSROOT$t")" "$l" ;; esac
done
ls "$SYSROOT"/usr/lib/aarch64-linux-gnu/pkgconfig/yaml-0.1.pc "$SYSROOT"/usr/lib/aarch64-linux-gnu/pkgconfig/libcyaml.pc >/dev/null \
    || die "pkg-config files missing in $SYSROOT"
say "sysroot ready: $SYSROOT"
