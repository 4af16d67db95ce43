import json
import xml.etree.ElementTree as ET

import pytest

from mlgate import __version__
from mlgate.findings import Finding, Report, Status
from mlgate.reports import FORMATS, render

REPORT = Report(
    (
        Finding(
            "quality.null_fraction", Status.PASS, "0.0% null", column="a", details={"observed": 0.0}
        ),
        Finding(
            "drift.numeric",
            Status.FAIL,
            "'a' drift: W 0.9 | big",
            column="a",
            details={"statistic": 0.9, "threshold": 0.1, "nan": float("nan")},
        ),
        Finding("schema.new_column", Status.WARN, "column 'b' is new", column="b"),
    ),
    title="mlgate data check",
)


def test_json_is_exactly_the_contract_and_valid_json_even_with_nan():
    d = json.loads(render(REPORT, "json"))
    assert set(d) == {"mlgate", "passed", "checks"}
    assert d["mlgate"] == __version__ and d["passed"] is False
    assert [c["name"] for c in d["checks"]] == [f.name for f in REPORT.findings]
    assert set(d["checks"][1]) == {"name", "status", "column", "stage", "message", "details"}
    assert d["checks"][1]["details"]["nan"] is None


def test_markdown_has_verdict_failures_first_and_folds_details():
    md = render(REPORT, "markdown")
    lines = md.splitlines()
    assert lines[0].startswith("### ❌ mlgate data check: FAILED (1 failed, 1 warning, 1 passed)")
    table = [ln for ln in lines if ln.startswith("| ❌") or ln.startswith("| ⚠️")]
    assert table[0].startswith("| ❌ | `drift.numeric`") and "W 0.9 \\| big" in table[0]
    assert table[1].startswith("| ⚠️ | `schema.new_column`")
    assert "<details>" in md and "1 passed checks" in md


def test_markdown_of_a_passing_report_says_so():
    md = render(Report((REPORT.findings[0],), title="t"), "markdown")
    assert md.startswith("### ✅ t: passed")


def test_junit_has_one_testcase_per_check_and_failures_as_failures():
    root = ET.fromstring(render(REPORT, "junit"))
    suite = root.find("testsuite")
    assert suite is not None
    assert suite.get("tests") == "3" and suite.get("failures") == "1"
    cases = suite.findall("testcase")
    assert [c.get("name") for c in cases] == [
        "quality.null_fraction[a]",
        "drift.numeric[a]",
        "schema.new_column[b]",
    ]
    assert cases[1].find("failure") is not None and cases[0].find("failure") is None


def test_text_lists_problems_worst_first_and_ends_with_the_verdict():
    text = render(REPORT, "text")
    assert text.index("FAIL") < text.index("WARN")
    assert text.strip().splitlines()[-1].startswith("mlgate data check: FAILED")


def test_html_escapes_user_text():
    hostile = Report(
        (Finding("schema.new_column", Status.WARN, "<script>alert(1)</script>", column="<b>"),)
    )
    html = render(hostile, "html")
    assert "<script>alert" not in html and "&lt;script&gt;" in html


@pytest.mark.parametrize("fmt", FORMATS)
def test_every_format_renders(fmt):
    assert render(REPORT, fmt).strip()
