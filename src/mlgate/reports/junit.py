"""JUnit XML: one testsuite per stage, one testcase per check, so CI test tabs show them.

A suite is named after its stage (``data``, ``training:train.py:spec``, ``serving``);
findings that name no stage go to a suite named after the report's title. Failures are
``<failure>``, errors ``<error>``, skips ``<skipped message=...>`` with the reason, and
warnings a ``<system-out>`` line (JUnit has no warning). Testcase names are unique in a
suite: the code, the column or parameter in brackets, and ``#2``, ``#3`` ... for
repeats in the order the checks produced them.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from collections.abc import Sequence

from mlgate.findings import Finding, Report, Status


def render_junit(report: Report) -> str:
    """The report as a JUnit XML document (a string ending in a newline)."""
    groups: dict[str | None, list[Finding]] = {}
    for f in report.findings:
        groups.setdefault(f.stage, []).append(f)
    if not groups:
        groups[None] = []
    totals = dict.fromkeys(("tests", "failures", "errors", "skipped"), 0)
    suites = ET.Element("testsuites", name="mlgate")
    for stage, findings in groups.items():
        counts = _counts(findings)
        for key, value in counts.items():
            totals[key] += value
        suite = ET.SubElement(
            suites,
            "testsuite",
            name=stage or report.title,
            **{k: str(v) for k, v in counts.items()},
        )
        _testcases(suite, findings)
    for key, value in totals.items():
        suites.set(key, str(value))
    ET.indent(suites)
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(suites, encoding="unicode") + "\n"
    )


def _counts(findings: Sequence[Finding]) -> dict[str, int]:
    statuses = [f.status for f in findings]
    return {
        "tests": len(findings),
        "failures": statuses.count(Status.FAIL),
        "errors": statuses.count(Status.ERROR),
        "skipped": statuses.count(Status.SKIP),
    }


def _testcases(suite: ET.Element, findings: Sequence[Finding]) -> None:
    used: set[str] = set()
    for f in findings:
        base = f"{f.name}[{f.column}]" if f.column else f.name
        name, n = base, 1
        while name in used:
            n += 1
            name = f"{base} #{n}"
        used.add(name)
        case = ET.SubElement(
            suite, "testcase", classname=f"mlgate.{f.name.split('.')[0]}", name=name
        )
        body = json.dumps(dict(f.details), default=str, sort_keys=True)
        if f.status is Status.FAIL:
            ET.SubElement(case, "failure", message=f.message, type=f.name).text = body
        elif f.status is Status.ERROR:
            ET.SubElement(case, "error", message=f.message, type=f.name).text = body
        elif f.status is Status.SKIP:
            ET.SubElement(case, "skipped", message=f.message)
        elif f.status is Status.WARN:
            ET.SubElement(case, "system-out").text = f"warning: {f.message}"
