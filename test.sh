#!/usr/bin/env bash
# The whole test suite, as CI runs it (.ci/run installs the Debian packages first):
#  1. unit and component tests (real tcpdump, tshark, Surefire builds, headless chromium);
#  2. the end-to-end tests (*IT, profile e2e) against a real single-node Kubernetes that
#     cluster/local-cluster.sh builds (first run: from source, cached), starts and always stops;
#     or against your cluster when CAPTURE_PACKETS_E2E_KUBECONFIG names one;
#  3. one closing line summing every Surefire/Failsafe report: "tests: N passed, N failed, N skipped".
set -uo pipefail
cd "$(dirname "$0")"
status=0

./mvnw -B -ntp -fae install || status=1

e2e=(./mvnw -B -ntp -fae -Pe2e verify -Dtest=none -Dsurefire.failIfNoSpecifiedTests=false)
if [ -n "${CAPTURE_PACKETS_E2E_KUBECONFIG:-}" ]; then
  "${e2e[@]}" || status=1
elif [ "$(id -u)" = 0 ]; then
  cluster/local-cluster.sh run -- "${e2e[@]}" || status=1
else
  echo "test.sh: the local cluster needs root; the end-to-end tests will report themselves skipped" >&2
  "${e2e[@]}" || status=1
fi

python3 tools/test-summary.py . || status=1
exit "$status"
