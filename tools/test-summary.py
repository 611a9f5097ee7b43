#!/usr/bin/env python3
"""Sums this run's Surefire/Failsafe XML reports under the given roots and prints one closing line:

    tests: N passed, N failed, N skipped

Skipped tests are counted apart from passed ones and listed with their reasons, so a skip is never read as a pass.
That includes whole classes JUnit skipped in @BeforeAll: Surefire writes them as tests="0" with no test case and
no reason, so the tests' listener io.github.capturepackets.testing.SkippedClassLog records each in
target/skipped-classes/CLASS.txt, and each counts here as one skip with its reason.

Skip reasons start with "needs WHAT: " (io.github.capturepackets.testing.Needs writes them). Under CI=true a skip
fails the run unless it is an allowed one (ALLOWED_NEEDS, ALLOWED_CLASSES): CI installs every tool in CI_INSTALLED,
so there a skip means a broken install step, and the message names the tool.

Only reports of this run count: --since EPOCH_SECONDS (test.sh passes its start time) ignores older files, and
reports of nested builds (a fixture project's target/ inside a module's target/) are never read.

Exit status 1 when a test failed or errored, when no test ran at all, or (CI=true) on a skip that is not allowed.
"""
import argparse
import os
import pathlib
import re
import sys
import xml.etree.ElementTree as ET

# What .ci/run and test.sh put in place; a skip for want of one of these in CI is a broken install step.
CI_INSTALLED = {
    "tcpdump": ".ci/run installs it (apt-get install tcpdump)",
    "tshark": ".ci/run installs it (apt-get install tshark)",
    "capinfos": ".ci/run installs it with tshark (wireshark-common)",
    "editcap": ".ci/run installs it with tshark (wireshark-common)",
    "mergecap": ".ci/run installs it with tshark (wireshark-common)",
    "chromium": ".ci/run installs it (apt-get install chromium chromium-driver)",
    "busybox": ".ci/run installs it (apt-get install busybox)",
    "libpcap": ".ci/run installs it (apt-get install libpcap0.8)",
    "ip": ".ci/run installs it (apt-get install iproute2)",
    "nft": ".ci/run installs it (apt-get install nftables)",
    "openssl": ".ci/run installs it (apt-get install openssl)",
    "python3": ".ci/run installs it (apt-get install python3)",
    "timeout": "coreutils, on every Debian machine",
    "sh": "on every Debian machine",
    "root": ".ci/run runs as root",
    "local-cluster": "test.sh starts it as root (cluster/local-cluster.sh run)",
    "scenario-captures": "core/src/test/scenarios/make-captures.sh makes them as root with the tools above",
}
# Skips CI allows, by what is missing ...
ALLOWED_NEEDS = {
    "docker": "K3s from testcontainers needs a Docker engine; CI runs the same tests on the local cluster",
}
# ... and by class, for tests that are off unless asked for.
ALLOWED_CLASSES = {
    "io.github.capturepackets.examples.FailOnPurposeTest": "opt-in demo, runs with -Dexamples.failOnPurpose=true",
}
NEEDS = re.compile(r"needs ([a-z0-9][a-z0-9.-]*): ")
EXCEPTION = re.compile(r"^[\w.$]+(?:Exception|Error): ")


def reason_of(text):
    """The skip reason as the test wrote it, from a message attribute, a <skipped> element's text (Surefire puts an
    assumption's stack trace there) or a SkippedClassLog file."""
    lines = (text or "").strip().splitlines()
    first = lines[0].strip() if lines else ""
    first = EXCEPTION.sub("", first, count=1)
    if first.startswith("Assumption failed: "):
        first = first[len("Assumption failed: "):]
    if " ==> " in first:  # a disabled condition: "System property [x] does not exist ==> disabledReason"
        first = first.split(" ==> ", 1)[1]
    return first.strip()[:200] or "no reason given"


def this_run(root, pattern, since, stale):
    for path in sorted(root.glob(pattern)):
        if path.relative_to(root).parts.count("target") != 1:
            continue  # a nested build's reports (a fixture project inside target/): not this build's tests
        if since is not None and path.stat().st_mtime < since:
            stale.append(path)
            continue
        yield path


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--since", type=float, help="ignore report files older than this time (epoch seconds)")
    parser.add_argument("roots", nargs="*", default=["."])
    args = parser.parse_args(argv)

    passed = failed = 0
    skips = []  # (short test name, class name, reason)
    failures = []
    stale = []
    classes_with_cases = set()
    for root in (pathlib.Path(p) for p in args.roots):
        for report in this_run(root, "**/target/*-reports/TEST-*.xml", args.since, stale):
            try:
                suite = ET.parse(report).getroot()
            except ET.ParseError as e:
                failures.append(f"{report}: unreadable report ({e})")
                failed += 1
                continue
            # The suite's name is the class; a test case's classname is the class's @DisplayName when it has one.
            cls = suite.get("name") or report.name[len("TEST-"):-len(".xml")]
            for case in suite.iter("testcase"):
                classes_with_cases.add(cls)
                name = f"{cls}.{case.get('name')}"
                short = f"{cls.rsplit('.', 1)[-1]}.{case.get('name')}"
                bad = case.find("failure") if case.find("failure") is not None else case.find("error")
                skip = case.find("skipped")
                if bad is not None:
                    failed += 1
                    failures.append(name)
                elif skip is not None:
                    skips.append((short, cls, reason_of(skip.get("message") or skip.text)))
                else:
                    passed += 1
        for record in this_run(root, "**/target/skipped-classes/*.txt", args.since, stale):
            cls = record.name[: -len(".txt")]
            if cls not in classes_with_cases:
                skips.append((f"{cls.rsplit('.', 1)[-1]} (whole class, skipped in @BeforeAll)", cls,
                              reason_of(record.read_text(encoding="utf-8", errors="replace"))))

    by_reason = {}
    for name, _, reason in skips:
        by_reason.setdefault(reason, []).append(name)
    for reason, names in sorted(by_reason.items(), key=lambda item: (-len(item[1]), item[0])):
        shown = ", ".join(names[:3])
        more = f" +{len(names) - 3} more" if len(names) > 3 else ""
        print(f"skipped {len(names):4d} x {reason}  [{shown}{more}]")

    allowed, missing, unattributed = [], {}, []
    for name, cls, reason in skips:
        match = NEEDS.match(reason)
        what = match.group(1) if match else None
        if cls in ALLOWED_CLASSES:
            allowed.append(f"{cls.rsplit('.', 1)[-1]} ({ALLOWED_CLASSES[cls]})")
        elif what in ALLOWED_NEEDS:
            allowed.append(f"needs {what} ({ALLOWED_NEEDS[what]})")
        elif what is not None:
            missing.setdefault(what, []).append(name)
        else:
            unattributed.append((name, reason))
    counted = {}
    for entry in allowed:
        counted[entry] = counted.get(entry, 0) + 1
    print("allowed skips: " + ("; ".join(f"{n} x {entry}" for entry, n in counted.items()) if counted else "none")
          + " (allowed in CI: " + ", ".join([f"needs {w}" for w in ALLOWED_NEEDS]
                                            + [c.rsplit('.', 1)[-1] for c in ALLOWED_CLASSES]) + ")")
    if stale:
        print(f"ignored {len(stale)} report file(s) older than this run (--since)")
    for name in failures:
        print(f"FAILED {name}")

    ci_problems = []
    if os.environ.get("CI") == "true":
        for what, names in sorted(missing.items()):
            if what in CI_INSTALLED:
                ci_problems.append(f"test-summary: CI: {len(names)} test(s) skipped because {what} is missing, "
                                   f"but {CI_INSTALLED[what]}: the install step is broken (first: {names[0]})")
            else:
                ci_problems.append(f"test-summary: CI: {len(names)} test(s) skipped because {what} is missing, "
                                   f"which .ci/run does not install: install it there, or allow the skip in "
                                   f"tools/test-summary.py (first: {names[0]})")
        for name, reason in unattributed:
            ci_problems.append(f"test-summary: CI: {name} was skipped without a 'needs WHAT:' reason ({reason}): "
                               f"skip through io.github.capturepackets.testing.Needs so the cause is named")
    for problem in ci_problems:
        print(problem)
    print(f"tests: {passed} passed, {failed} failed, {len(skips)} skipped")
    return 1 if failed or passed == 0 or ci_problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
