#!/usr/bin/env bash
# bench/run.sh: replay's performance targets, measured in one go.
#
#   bench/run.sh            (from anywhere; as root to measure mount/umount for real)
#
# Builds replay (Release) in build-bench/, the baselines with gcc -O2, checks
# the baselines with strace, runs hyperfine on each target (replay and its
# baseline in the same hyperfine run), measures memory per step, prints the
# table, and writes:
#   build-bench/hf-*.json       raw hyperfine results (hf-NAME.rK.json: round K)
#   build-bench/results.{txt,md}, machine.txt, strace-check.txt, hyperfine.log
#   docs/perf-check.png, docs/perf-getppid.png
# Installs nothing but hyperfine and gnuplot-nox (apt-get, root only) when
# they are missing.  About 3 minutes on 2 cores.
# Exit status: 0 every target measured and met; 1 a target failed or could
# not be measured (replay lacks a feature); 2 build, tool or strace-check error.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
OUT=$ROOT/build-bench
BIN=$OUT/bench
SPECS=$OUT/specs
REPLAY=$OUT/replay
MOUNTFS=$ROOT/specs/mountfs-management.yaml
GETPPID_1M=$ROOT/bench/specs/getppid-1m.yaml
JOBS=${JOBS:-$(nproc)}

say() { printf '== %s\n' "$*"; }
die() { printf 'bench/run.sh: %s\n' "$*" >&2; exit 2; }
case $ROOT in *[[:space:]]*) die "the checkout path has spaces; hyperfine -N splits commands on them" ;; esac

# --- tools ---------------------------------------------------------------
missing=()
command -v hyperfine >/dev/null || missing+=(hyperfine)
command -v gnuplot >/dev/null || missing+=(gnuplot-nox)
if ((${#missing[@]})); then
	if [[ $(id -u) == 0 ]] && command -v apt-get >/dev/null; then
		say "installing ${missing[*]}"
		DEBIAN_FRONTEND=noninteractive apt-get install -y "${missing[@]}" >/dev/null ||
			die "apt-get install ${missing[*]} failed (try apt-get update first)"
	else
		die "needs ${missing[*]}: apt-get install -y hyperfine gnuplot-nox"
	fi
fi
for t in cmake gcc pkg-config strace python3; do
	command -v $t >/dev/null || die "needs $t (see the apt-get line in README.md)"
done
# The real interpreter, not a wrapper script (a pyenv shim is a bash script).
PY=$(python3 -c 'import sys; print(sys.executable)')

mkdir -p "$OUT" "$BIN" "$SPECS"
rm -f "$OUT"/hf-*.json "$OUT/hyperfine.log" "$OUT/status.env"

# --- machine -------------------------------------------------------------
{
	echo "date:        $(date -u '+%Y-%m-%d %H:%M UTC')"
	echo "cpu:         $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //'), nproc $(nproc)"
	echo "kernel:      $(uname -srm)"
	echo "clocksource: $(cat /sys/devices/system/clocksource/clocksource0/current_clocksource 2>/dev/null || echo unknown)"
	echo "replay:      $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo '?')$(git -C "$ROOT" diff --quiet HEAD -- src include 2>/dev/null || echo ' + uncommitted changes in src/ include/')"
	echo "load:        $(cut -d' ' -f1-3 /proc/loadavg) (1, 5, 15 min) at the start"
	echo "tools:       $(hyperfine --version), gcc $(gcc -dumpfullversion), $("$PY" --version), libyaml $(pkg-config --modversion yaml-0.1), uid $(id -u)"
} >"$OUT/machine.txt"
cat "$OUT/machine.txt"

# --- build ---------------------------------------------------------------
say "building replay (Release) in build-bench/"
if ! { cmake -S "$ROOT" -B "$OUT" -DCMAKE_BUILD_TYPE=Release -DREPLAY_WERROR=OFF >"$OUT/build.log" 2>&1 &&
	cmake --build "$OUT" -j"$JOBS" --target replay >>"$OUT/build.log" 2>&1; }; then
	tail -n 15 "$OUT/build.log" >&2
	die "replay does not build (an edit in progress?): see build-bench/build.log, retry in a minute"
fi
say "building the baselines with gcc -O2"
CFLAGS=(-O2 -Wall -Wextra)
gcc "${CFLAGS[@]}" -o "$BIN/baseline_getppid" "$ROOT/bench/baseline_getppid.c"
gcc "${CFLAGS[@]}" -o "$BIN/baseline_mountfs" "$ROOT/bench/baseline_mountfs.c"
# shellcheck disable=SC2046
gcc "${CFLAGS[@]}" -o "$BIN/yaml_parse_only" "$ROOT/bench/yaml_parse_only.c" $(pkg-config --cflags --libs yaml-0.1)
gcc "${CFLAGS[@]}" -o "$BIN/maxrss" "$ROOT/bench/maxrss.c"

# --- specs ---------------------------------------------------------------
for n in 1000 10000 100000 1000000; do
	sed -e "s/^\( *repeat:\) 1000000\$/\1 $n/" -e "s/^name: getppid-1m\$/name: getppid-$n/" \
		"$GETPPID_1M" >"$SPECS/getppid-$n.yaml"
done
for n in 1 1000 10000 20000 100000; do
	"$PY" "$ROOT/bench/gen_large_spec.py" $n "$SPECS/large-$n.yaml"
done
printf 'name: repeat-probe\nsteps:\n  - call: getpid\n' >"$SPECS/probe.yaml"

# --- what replay has -----------------------------------------------------
REPEAT_KEY=0 REPEAT_KEY_MSG="" REPEAT_OPT=0 REPEAT_OPT_MSG=""
if msg=$("$REPLAY" check "$GETPPID_1M" 2>&1); then
	REPEAT_KEY=1
else
	REPEAT_KEY_MSG="replay lacks repeat: -- 'replay check bench/specs/getppid-1m.yaml' says: $(head -n 1 <<<"$msg")"
fi
if msg=$("$REPLAY" --repeat 2 "$SPECS/probe.yaml" 2>&1 >/dev/null); then
	REPEAT_OPT=1
else
	REPEAT_OPT_MSG="replay lacks --repeat -- 'replay --repeat 2 SPEC' says: $(head -n 1 <<<"$msg")"
fi
say "replay has repeat: $( ((REPEAT_KEY)) && echo yes || echo NO), --repeat $( ((REPEAT_OPT)) && echo yes || echo NO)"
[[ -z $REPEAT_KEY_MSG ]] || echo "   $REPEAT_KEY_MSG"
[[ -z $REPEAT_OPT_MSG ]] || echo "   $REPEAT_OPT_MSG"

# --- the baselines do what they say --------------------------------------
say "strace: the baselines make the calls they claim (small counts)"
strace_rc=0
"$PY" "$ROOT/bench/strace_check.py" "$BIN" "$REPLAY" "$PY" "$SPECS" $REPEAT_KEY $REPEAT_OPT |
	tee "$OUT/strace-check.txt" || strace_rc=$?

# --- timings -------------------------------------------------------------
# Each comparison is ROUNDS short hyperfine runs of all its commands (2
# warmups in the first round only), the order reversed every other round, so
# that load which comes and goes (this is a shared 2-core VM: bursts of +30%
# lasting seconds) hits replay and its baseline alike.
# Raw JSON: build-bench/hf-NAME.rK.json; report.py merges the rounds.
NAMES=() CMDS=()
add() { NAMES+=("$1") CMDS+=("$2"); }
hf() { # NAME ROUNDS RUNS-PER-ROUND, with the commands add-ed since the last hf
	local name=$1 rounds=$2 runs=$3 r i args
	say "hyperfine $name: ${NAMES[*]}: $rounds rounds x $runs runs"
	for ((r = 1; r <= rounds; r++)); do
		args=()
		for i in "${!NAMES[@]}"; do
			((r % 2)) || i=$((${#NAMES[@]} - 1 - i))
			args+=(-n "${NAMES[i]}" "${CMDS[i]}")
		done
		echo "### $name round $r" >>"$OUT/hyperfine.log"
		if ! hyperfine -N --style basic --warmup $((r == 1 ? 2 : 0)) --runs "$runs" --export-json "$OUT/hf-$name.r$r.json" \
			"${args[@]}" >>"$OUT/hyperfine.log" 2>&1; then
			echo "   hyperfine failed for $name: see build-bench/hyperfine.log"
			rm -f "$OUT/hf-$name".r*.json
			break
		fi
	done
	NAMES=() CMDS=()
}
CTYPES="$PY $ROOT/bench/ctypes_getppid.py"

# Targets 1 and 4: N getppid; replay, the C loop and ctypes side by side.
for n in 1000 10000 100000 1000000; do
	spec=$SPECS/getppid-$n.yaml
	((n != 1000000)) || spec=$GETPPID_1M
	((!REPEAT_KEY)) || add replay "$REPLAY $spec"
	add c-loop "$BIN/baseline_getppid $n"
	add ctypes "$CTYPES $n"
	if ((n == 1000000)); then hf getppid-$n 10 2; else hf getppid-$n 4 5; fi
done

# Target 2: the mount-API spec 1000 times in one child against the C program.
((!REPEAT_OPT)) || add replay "$REPLAY --repeat 1000 $MOUNTFS"
add c-program "$BIN/baseline_mountfs 1000"
hf mountfs 7 2

# Target 3: load + compile against a bare libyaml parse; 1k and 10k for the plot.
for n in 1000 10000 100000; do
	add replay-check "$REPLAY check $SPECS/large-$n.yaml"
	add libyaml-parse "$BIN/yaml_parse_only $SPECS/large-$n.yaml"
	if ((n == 100000)); then hf check-$n 8 2; else hf check-$n 4 5; fi
done

say "max RSS of replay check (median of 3 runs each)"
rss() { "$BIN/maxrss" 3 "$REPLAY" check "$SPECS/large-$1.yaml" || echo -; }
RSS_ONE=$(rss 1) RSS_1000=$(rss 1000) RSS_10000=$(rss 10000) RSS_BIG=$(rss 100000)
echo "   1 step: $RSS_ONE KiB, 1k: $RSS_1000 KiB, 10k: $RSS_10000 KiB, 100k: $RSS_BIG KiB"

# Target 3 again in instructions (callgrind): wall time here swings by 20%, instruction
# counts do not.  20k steps keeps valgrind's run short.
say "instructions of replay check against the bare parse (callgrind, 20k steps)"
irs() { valgrind --tool=callgrind --callgrind-out-file=/dev/null "$@" 2>&1 >/dev/null |
	sed -n 's/.*Collected : *\([0-9]*\).*/\1/p' | tail -1; }
IR_REPLAY=$(irs "$REPLAY" check "$SPECS/large-20000.yaml")
IR_PARSE=$(irs "$BIN/yaml_parse_only" "$SPECS/large-20000.yaml")
echo "   replay check: $IR_REPLAY, libyaml parse: $IR_PARSE instructions"

cat >"$OUT/status.env" <<EOS
repeat_key=$REPEAT_KEY
repeat_key_msg=$REPEAT_KEY_MSG
repeat_opt=$REPEAT_OPT
repeat_opt_msg=$REPEAT_OPT_MSG
rss_one=$RSS_ONE
rss_1000=$RSS_1000
rss_10000=$RSS_10000
rss_100000=$RSS_BIG
rss_big=$RSS_BIG
rss_steps=100000
ir_replay=$IR_REPLAY
ir_parse=$IR_PARSE
EOS

# --- results -------------------------------------------------------------
say "results"
echo "load:        $(cut -d' ' -f1-3 /proc/loadavg) (1, 5, 15 min) at the end" >>"$OUT/machine.txt"
"$PY" "$ROOT/bench/report.py" "$OUT" | tee "$OUT/results.txt"
gnuplot -e "dir='$OUT'; docs='$ROOT/docs'; repeat_key=$REPEAT_KEY" "$ROOT/bench/plot.gp"
echo "plots: docs/perf-check.png docs/perf-getppid.png; raw: build-bench/hf-*.json"

if ((strace_rc)); then
	echo "bench/run.sh: a baseline failed its strace check: the numbers above are not comparable" >&2
	exit 2
fi
if grep -Eq '(FAIL|n/a|ERROR)' "$OUT/results.md"; then
	exit 1
fi
exit 0
