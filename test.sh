#!/usr/bin/env bash
# The whole test suite, as CI runs it (.ci/run installs the Debian packages first):
#  1. unit and component tests (real tcpdump, tshark, Surefire builds, headless chromium);
#  2. the end-to-end tests (*IT, profile e2e) against a real single-node Kubernetes that
#     cluster/local-cluster.sh builds (first run: from source, cached), starts and always stops;
#     or against your cluster when CAPTURE_PACKETS_E2E_KUBECONFIG names one;
#  3. one closing line summing this run's Surefire/Failsafe reports: "tests: N passed, N failed, N skipped";
#     under CI=true a test skipped for want of a tool .ci/run installs fails the run (tools/test-summary.py).
set -uo pipefail
cd "$(dirname "$0")"
status=0
# Reports older than this are a previous run's: the summary ignores them (Surefire never cleans its directory).
started=$(date +%s)

# Bounds per phase, so a hang fails CI with a message instead of outliving its 90 minutes. Inside them,
# Surefire/Failsafe kill a hung test fork (tests.fork.timeout) and each cluster test has a time limit
# that prints every thread's stack (it.method.timeout, pom.xml).
bounded() {
  local limit=$1; shift
  timeout --kill-after=60 "$limit" "$@"
  local rc=$?
  if [ "$rc" = 124 ] || [ "$rc" = 137 ]; then
    echo "test.sh: '$*' did not finish within $limit and was stopped" >&2
  fi
  return "$rc"
}

bounded 25m ./mvnw -B -ntp -fae install || status=1

e2e=(./mvnw -B -ntp -fae -Pe2e verify -Dtest=none -Dsurefire.failIfNoSpecifiedTests=false)
if [ -n "${CAPTURE_PACKETS_E2E_KUBECONFIG:-}" ]; then
  bounded 25m "${e2e[@]}" || status=1
elif [ "$(id -u)" = 0 ]; then
  # The cold first run builds Kubernetes (11-26 min) before the tests: that phase has its own bound.
  bounded 55m cluster/local-cluster.sh run -- timeout --kill-after=60 25m "${e2e[@]}" || status=1
else
  echo "test.sh: the local cluster needs root; the end-to-end tests will report themselves skipped" >&2
  "${e2e[@]}" || status=1
fi

python3 tools/test-summary.py --since "$started" . || status=1
exit "$status"
