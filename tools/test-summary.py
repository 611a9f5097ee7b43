#!/usr/bin/env python3
"""Sums every Surefire/Failsafe XML report under the given roots and prints one closing line.

Skipped tests are counted apart from passed ones and listed with their reasons, so a skip is never read as a
pass. Exit status 1 when any test failed or errored, or when no test ran at all.
"""
import pathlib
import sys
import xml.etree.ElementTree as ET

roots = [pathlib.Path(p) for p in (sys.argv[1:] or ["."])]
passed = failed = skipped = 0
reasons = {}
failures = []
for root in roots:
    for report in sorted(root.glob("**/target/*-reports/TEST-*.xml")):
        try:
            suite = ET.parse(report).getroot()
        except ET.ParseError as e:
            failures.append(f"{report}: unreadable report ({e})")
            failed += 1
            continue
        for case in suite.iter("testcase"):
            name = f"{case.get('classname')}.{case.get('name')}"
            bad = case.find("failure") if case.find("failure") is not None else case.find("error")
            skip = case.find("skipped")
            if bad is not None:
                failed += 1
                failures.append(name)
            elif skip is not None:
                skipped += 1
                reason = (skip.get("message") or "no reason given").strip().splitlines()[0][:160]
                reasons[reason] = reasons.get(reason, 0) + 1
            else:
                passed += 1

for reason, count in sorted(reasons.items(), key=lambda item: -item[1]):
    print(f"skipped {count:4d} x {reason}")
for name in failures:
    print(f"FAILED {name}")
print(f"tests: {passed} passed, {failed} failed, {skipped} skipped")
sys.exit(1 if failed or passed == 0 else 0)
