#!/usr/bin/env bash
# Start-up time of the capture engine on 1 pod and on 10 pods (in parallel) on the local cluster.
# Usage: bench/capture-startup.sh            (starts the local cluster, runs the measurement, stops it)
#        bench/capture-startup.sh --running  (uses an already running cluster / CAPTURE_PACKETS_E2E_KUBECONFIG)
# Prints "capture start-up on ...: 1 pod N ms, 10 pods M ms" and writes core/target/capture-startup.txt.
set -euo pipefail
cd "$(dirname "$0")/.."
mvn_cmd=(./mvnw -B -q -Pe2e -pl core verify -Dit.test=CaptureStartupBenchIT -Dtest=none
  -Dsurefire.failIfNoSpecifiedTests=false -Dfailsafe.failIfNoSpecifiedTests=false)
if [[ "${1:-}" == "--running" ]]; then
  "${mvn_cmd[@]}"
else
  cluster/local-cluster.sh run -- "${mvn_cmd[@]}"
fi
cat core/target/capture-startup.txt
