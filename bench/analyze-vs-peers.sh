#!/usr/bin/env bash
# Times our analyzer against tshark's Expert Info and tcpdump's read-only pass on one big LINUX_SLL2 capture
# (>= 1 GB, ~4M packets) made from real captured traffic, and checks the targets of issue 2:
#   - packets/s at least 25x tshark's (`tshark -r F -q -z expert`), JVM start included;
#   - wall time within 2x of `tcpdump -r F -w /dev/null`;
#   - every JVM the analyzer starts is capped at 256 MB of heap (read from the JVM's own gc+init log).
#
# usage: bench/analyze-vs-peers.sh            (root the first time: the seed capture needs namespaces)
# environment:
#   ANALYZE_CMD   our analyzer; the capture path is appended. Default: ./capture-packets analyze --markdown /dev/null
#                 (run from the repository root)
#   JAVA_OPTS     passed to the launcher; default -Xmx256m (the cap under test)
#   SKIP_TSHARK=1 skip the slow tshark run (about a minute, 4 GB of RAM); its ratio is then not checked
#   RUNS          timed runs of our analyzer and of tcpdump, best one kept (default 3); tshark runs once
#   BENCH_DIR     cache for the capture (default /var/tmp/capture-packets-bench); rebuilt when the scripts
#                 that make it change
#   TARGET_BYTES  size of the capture (default 1100000000)
#   BENCH_SECONDS length of the real traffic recording the capture grows from (default 12)
# Exit status: 0 all targets met, 1 a target missed, 2 cannot run (missing tool, build failure).
set -euo pipefail

REPO=$(cd "$(dirname "$0")/.." && pwd)
SCENARIOS=$REPO/core/src/test/scenarios
BENCH_DIR=${BENCH_DIR:-/var/tmp/capture-packets-bench}
TARGET_BYTES=${TARGET_BYTES:-1100000000}
ANALYZE_CMD=${ANALYZE_CMD:-./capture-packets analyze --markdown /dev/null}
SKIP_TSHARK=${SKIP_TSHARK:-0}
RUNS=${RUNS:-3}
HEAP_CAP_MB=256
export JAVA_OPTS=${JAVA_OPTS:--Xmx${HEAP_CAP_MB}m}
CAPTURE=$BENCH_DIR/capture-sll2.pcap

die() { echo "analyze-vs-peers: $*" >&2; exit 2; }
calc() { awk "BEGIN { print $1 }"; }       # calc EXPRESSION: floating-point arithmetic
holds() { awk "BEGIN { exit !($1) }"; }    # holds CONDITION: floating-point comparison
for tool in tcpdump python3 /usr/bin/time; do
  command -v "$tool" >/dev/null || die "'$tool' is missing (apt-get install -y tcpdump python3 time)"
done
[ "$SKIP_TSHARK" = 1 ] || command -v tshark >/dev/null ||
  die "tshark is missing (apt-get install -y tshark), or set SKIP_TSHARK=1"

# ------------------------------------------------------------------ the capture (built once, cached)
key=$(cat "$SCENARIOS/make-captures.sh" "$SCENARIOS/scenario_tools.py" "$REPO/bench/grow-capture.py" |
  sha256sum | cut -c1-16)-$TARGET_BYTES-${BENCH_SECONDS:-12}
if [ -f "$CAPTURE" ] && [ "$(cat "$BENCH_DIR/capture.key" 2>/dev/null)" = "$key" ]; then
  echo "Using cached capture $CAPTURE"
else
  [ "$(id -u)" -eq 0 ] || die "building the capture needs root (network namespaces); run once as root"
  mkdir -p "$BENCH_DIR"
  rm -f "$CAPTURE" "$BENCH_DIR/capture.key" "$BENCH_DIR/capture.info"
  echo "Building the benchmark capture in $BENCH_DIR (real traffic, then shifted copies) ..."
  start=$(date +%s.%N)
  rm -rf "$BENCH_DIR/seed"
  "$SCENARIOS/make-captures.sh" "$BENCH_DIR/seed" bench-mix || die "recording the seed traffic failed"
  read -r packets bytes copies < <(python3 "$REPO/bench/grow-capture.py" \
    "$BENCH_DIR/seed/bench-mix/linux_sll2.pcap" "$CAPTURE.tmp" "$TARGET_BYTES") ||
    die "growing the capture failed"
  mv "$CAPTURE.tmp" "$CAPTURE"
  seed_packets=$(cut -f5 "$BENCH_DIR/seed/manifest.tsv")
  seconds=$(calc "$(date +%s.%N) - $start")
  printf 'packets=%s\nbytes=%s\ncopies=%s\nseed_packets=%s\nbuild_seconds=%.1f\n' \
    "$packets" "$bytes" "$copies" "$seed_packets" "$seconds" >"$BENCH_DIR/capture.info"
  echo "$key" >"$BENCH_DIR/capture.key"
  rm -rf "$BENCH_DIR/seed"
fi
# shellcheck disable=SC1091
. "$BENCH_DIR/capture.info"
echo "Capture: $CAPTURE, $packets packets, $bytes bytes ($((bytes / packets)) bytes/packet incl. record headers)," \
  "$copies shifted copies of $seed_packets real packets; built in ${build_seconds}s"

# ------------------------------------------------------------------ timing
WORK=$(mktemp -d "${TMPDIR:-/tmp}/analyze-vs-peers.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
cat "$CAPTURE" >/dev/null # warm page cache for every contender alike
read -r load1 _ </proc/loadavg
echo "Load average before timing: $load1 on $(nproc) CPUs$(holds "$load1 > $(nproc)" && echo ' (busy machine: wall times are inflated; CPU times less so)')"

# timed NAME COMMAND: runs COMMAND (a shell string in which $F is the capture) under GNU time from the
# repository root; sets WALL (seconds, measured around the command) and RSS_KB (peak resident set size).
timed() {
  local name=$1 cmd=$2 start end status
  start=$(date +%s.%N)
  set +e
  (cd "$REPO" && F=$CAPTURE /usr/bin/time -v -o "$WORK/$name.time" bash -c "$cmd" \
    >"$WORK/$name.out" 2>"$WORK/$name.err")
  status=$?
  set -e
  end=$(date +%s.%N)
  if [ "$status" -ne 0 ] && [ "$status" -ne 1 ]; then
    echo "--- $name failed with status $status: $cmd" >&2
    tail -20 "$WORK/$name.err" >&2
    die "$name did not run"
  fi
  WALL=$(calc "$end - $start")
  RSS_KB=$(sed -n 's/.*Maximum resident set size (kbytes): //p' "$WORK/$name.time")
  CPU=$(calc "$(sed -n 's/.*User time (seconds): //p' "$WORK/$name.time") + $(sed -n 's/.*System time (seconds): //p' "$WORK/$name.time")")
}

best_of() { # NAME COMMAND: the run with the best wall time of RUNS runs
  local i best_wall= best_rss= best_cpu=
  for ((i = 1; i <= RUNS; i++)); do
    timed "$1" "$2"
    if [ -z "$best_wall" ] || holds "$WALL < $best_wall"; then
      best_wall=$WALL
      best_rss=$RSS_KB
      best_cpu=$CPU
    fi
  done
  WALL=$best_wall
  RSS_KB=$best_rss
  CPU=$best_cpu
}

# Ours: the JVM reports its own maximum heap (gc+init log), whatever flags the launcher adds.
rm -f "$WORK"/jvm-*.log
export JAVA_TOOL_OPTIONS="${JAVA_TOOL_OPTIONS:+$JAVA_TOOL_OPTIONS }-Xlog:gc+init=info:file=$WORK/jvm-%p.log"
best_of ours "$ANALYZE_CMD \"\$F\""
unset JAVA_TOOL_OPTIONS
OURS_WALL=$WALL
OURS_RSS=$RSS_KB
OURS_CPU=$CPU
OURS_STDERR=$(grep -v '^Picked up JAVA_TOOL_OPTIONS' "$WORK/ours.err" | tail -3 | tr '\n' ' ' || true)

best_of tcpdump 'tcpdump -r "$F" -w /dev/null'
TCPDUMP_WALL=$WALL
TCPDUMP_RSS=$RSS_KB
TCPDUMP_CPU=$CPU
if [ "$SKIP_TSHARK" != 1 ]; then
  timed tshark 'tshark -r "$F" -q -z expert' 
  TSHARK_WALL=$WALL
  TSHARK_RSS=$RSS_KB
  TSHARK_CPU=$CPU
fi

# ------------------------------------------------------------------ report
pps() { awk "BEGIN { printf \"%.0f\", $packets / $1 }"; }
mb() { awk "BEGIN { printf \"%.1f\", $1 / 1024 }"; }
verdicts=0
check() { # DESCRIPTION CONDITION
  if holds "$2"; then echo "PASS  $1"; else echo "FAIL  $1"; verdicts=1; fi
}

echo
row() { printf '%-8s %9.2f %9.2f %12s %12s  %s\n' "$@"; }
printf '%-8s %9s %9s %12s %12s  %s\n' tool "wall (s)" "cpu (s)" "packets/s" "peak RSS MB" command
row ours "$OURS_WALL" "$OURS_CPU" "$(pps "$OURS_WALL")" "$(mb "$OURS_RSS")" "$ANALYZE_CMD F"
if [ "$SKIP_TSHARK" != 1 ]; then
  row tshark "$TSHARK_WALL" "$TSHARK_CPU" "$(pps "$TSHARK_WALL")" "$(mb "$TSHARK_RSS")" "tshark -r F -q -z expert"
fi
row tcpdump "$TCPDUMP_WALL" "$TCPDUMP_CPU" "$(pps "$TCPDUMP_WALL")" "$(mb "$TCPDUMP_RSS")" "tcpdump -r F -w /dev/null"
echo "(packets/s from wall time; best of $RUNS runs for ours and tcpdump, one run for tshark)"
echo

if [ "$SKIP_TSHARK" != 1 ]; then
  ratio=$(awk "BEGIN { printf \"%.1f\", $TSHARK_WALL / $OURS_WALL }")
  check "packets/s: ours ${ratio}x tshark's (target >= 25x)" "$TSHARK_WALL >= 25 * $OURS_WALL"
else
  echo "SKIP  packets/s vs tshark (SKIP_TSHARK=1)"
fi
ratio=$(awk "BEGIN { printf \"%.2f\", $OURS_WALL / $TCPDUMP_WALL }")
check "wall time: ours ${ratio}x tcpdump's read-only pass (target <= 2x)" "$OURS_WALL <= 2 * $TCPDUMP_WALL"

heaps=$({ cat "$WORK"/jvm-*.log 2>/dev/null || true; } | sed -n 's/.*Heap Max Capacity: \([0-9]*\)\([KMG]\).*/\1 \2/p' |
  awk '{ v = $1; if ($2 == "K") v /= 1024; if ($2 == "G") v *= 1024; print v }')
if [ -z "$heaps" ]; then
  echo "FAIL  JVM heap cap: no JVM reported its heap (is ANALYZE_CMD a Java program?)"
  verdicts=1
else
  max=$(echo "$heaps" | sort -n | tail -1)
  check "JVM heap cap: $(echo "$heaps" | wc -l) JVM(s), largest max heap ${max} MB (target <= $HEAP_CAP_MB MB)" \
    "$max <= $HEAP_CAP_MB"
fi
[ -z "$OURS_STDERR" ] || echo "(last lines of our command's stderr: $OURS_STDERR)"
exit "$verdicts"
