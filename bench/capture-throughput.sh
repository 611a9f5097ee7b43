#!/usr/bin/env bash
# Capture throughput on the local cluster (issue 16): pod a downloads files of 20, 100 and 400 MB from pod b at full
# speed, three times each without capture and three times while the engine captures b at default settings (one slice
# per download). Prints, all measured in one run: the wire-rate ratio, the captured payload %, kernel drops, MB/s
# through the API server, the spool backlog, and CPU-seconds per captured GB of kube-apiserver, kubelet, containerd
# and the test JVM; then a verdict against the goal (zero drops and 100 % payload for every size).
# Usage: bench/capture-throughput.sh            (starts the local cluster, runs the measurement, stops it)
#        bench/capture-throughput.sh --running  (uses an already running cluster / CAPTURE_PACKETS_E2E_KUBECONFIG)
# Further arguments go to Maven, e.g. -o, -Dcapturepackets.bench.repetitions=5 (default 3) or
# -Dcapturepackets.bench.sizes=20,100 (MB, default 20,100,400), -Dcapturepackets.bench.bufferSize=KiB (default: the
# engine's default ring; the verdict line then says it measured another setting). Writes core/target/capture-throughput.txt.
# Exit status: 0 goal met, 1 goal missed, 2 could not run. About 5 minutes on 2 cores, build included.
set -uo pipefail
cd "$(dirname "$0")/.."
mvn_cmd=(./mvnw -B -q -Pe2e -pl core verify -Dit.test=CaptureThroughputBenchIT -Dtest=none
  -Dsurefire.failIfNoSpecifiedTests=false -Dfailsafe.failIfNoSpecifiedTests=false)
result=core/target/capture-throughput.txt
rm -f "$result"
log=$(mktemp)
trap 'rm -f "$log"' EXIT
echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
if [[ "${1:-}" == "--running" ]]; then
  shift
  "${mvn_cmd[@]}" "$@" >"$log" 2>&1
else
  cluster/local-cluster.sh run -- "${mvn_cmd[@]}" "$@" >"$log" 2>&1
fi
status=$?
echo "load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"
if [[ $status -ne 0 || ! -s $result ]]; then
  tail -n 40 "$log" >&2
  echo "capture-throughput: the benchmark did not run (Maven exit $status); see core/target/failsafe-reports" >&2
  exit 2
fi
cat "$result"
tail -n 1 "$result" | grep -q '^PASS' && exit 0
exit 1
