"""JUnit XML: one testcase per check, failures as failures, so CI test tabs show them."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

from mlgate.findings import Report, Status


def render_junit(report: Report) -> str:
    counts = report.counts()
    suites = ET.Element("testsuites", name="mlgate")
    suite = ET.SubElement(
        suites,
        "testsuite",
        name=report.title,
        tests=str(len(report.findings)),
        failures=str(counts[Status.FAIL]),
        errors=str(counts[Status.ERROR]),
        skipped="0",
    )
    for f in report.findings:
        case_name = f"{f.name}[{f.column}]" if f.column else f.name
        case = ET.SubElement(
            suite, "testcase", classname=f"mlgate.{f.name.split('.')[0]}", name=case_name
        )
        body = json.dumps(dict(f.details), default=str, sort_keys=True)
        if f.status is Status.FAIL:
            ET.SubElement(case, "failure", message=f.message, type=f.name).text = body
        elif f.status is Status.ERROR:
            ET.SubElement(case, "error", message=f.message, type=f.name).text = body
        elif f.status is Status.WARN:
            ET.SubElement(case, "system-out").text = f"warning: {f.message}"
    ET.indent(suites)
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(suites, encoding="unicode") + "\n"
    )
