#!/usr/bin/env bash
# Start-up time of the capture engine on 1, 10 and 20 pods (in parallel) on the local cluster, per phase.
# Usage: bench/capture-startup.sh            (starts the local cluster, runs the measurement, stops it)
#        bench/capture-startup.sh --running  (uses an already running cluster / CAPTURE_PACKETS_E2E_KUBECONFIG)
# Prints per-phase medians and the ratio to 1 pod, and writes core/target/capture-startup.txt.
# Further arguments go to Maven, e.g. -Dcapturepackets.bench.repetitions=5 (default 3).
set -euo pipefail
cd "$(dirname "$0")/.."
mvn_cmd=(./mvnw -B -q -Pe2e -pl core verify -Dit.test=CaptureStartupBenchIT -Dtest=none
  -Dsurefire.failIfNoSpecifiedTests=false -Dfailsafe.failIfNoSpecifiedTests=false)
if [[ "${1:-}" == "--running" ]]; then
  shift
  "${mvn_cmd[@]}" "$@"
else
  cluster/local-cluster.sh run -- "${mvn_cmd[@]}" "$@"
fi
cat core/target/capture-startup.txt
