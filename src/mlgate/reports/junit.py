"""JUnit XML: one testsuite per stage, one testcase per check, so CI test tabs show them.

A suite is named after its stage (``data``, ``training:train.py:spec``, ``serving``);
findings that name no stage go to a suite named after the report's title. Failures are
``<failure>``, errors ``<error>``, skips ``<skipped message=...>`` with the reason, and
warnings a ``<system-out>`` line (JUnit has no warning). Testcase names are unique in a
suite: the code, the column or parameter in brackets, and ``#2``, ``#3`` ... for
repeats in the order the checks produced them. What the run judged (``Report.run``)
is in each suite's ``<properties>``.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from collections.abc import Mapping, Sequence
from typing import Any

from mlgate.findings import Finding, Report, Status
from mlgate.runinfo import describe_input


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
        if report.run:
            _properties(suite, report.run)
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
        subject = _subject(f)
        base = f"{f.name}[{subject}]" if subject else f.name
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


def _subject(f: Finding) -> str:
    """What a test case is about: its column, and for the model gate its metric and
    slice (``balanced_accuracy, island=Biscoe``), so that names say it, not ``#2``."""
    parts = []
    metric = f.details.get("metric")
    if isinstance(metric, str):
        parts.append(metric)
    where = f.details.get("slice")
    if isinstance(where, Mapping):
        if "value" in where:
            parts.append(f"{where.get('column')}={where['value']}")
        else:
            parts.append(
                f"{where.get('column')} in [{where.get('low'):.4g}, {where.get('high'):.4g}]"
            )
    elif f.column:
        parts.append(f.column)
    return ", ".join(parts)


def _properties(suite: ET.Element, run: Mapping[str, Any]) -> None:
    props = ET.SubElement(suite, "properties")

    def add(name: str, value: object) -> None:
        if value is not None:
            ET.SubElement(props, "property", name=name, value=str(value))

    add("mlgate.version", run.get("mlgate"))
    add("mlgate.started", run.get("started"))
    add("mlgate.duration_s", run.get("duration_s"))
    git = run.get("git")
    if isinstance(git, Mapping):
        add("git.commit", git.get("commit"))
        add("git.branch", git.get("branch"))
    for item in run.get("inputs") or ():
        if isinstance(item, Mapping):
            add(f"input.{item.get('role')}", describe_input(item, short_digest=False, role=False))
