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
    assert list(d) == ["mlgate", "passed", "run", "checks"]
    assert d["run"] is None  # this report does not say what it judged
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
    assert len(root.findall("testsuite")) == 1
    suite = root.find("testsuite")
    assert suite is not None
    assert suite.get("name") == "mlgate data check"  # no stage: the report's title
    assert suite.get("tests") == "3" and suite.get("failures") == "1"
    assert suite.get("errors") == "0" and suite.get("skipped") == "0"
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


MULTI = Report(
    (
        Finding("quality.null_fraction", Status.PASS, "0.0% null", column="a", stage="data"),
        Finding("drift.numeric", Status.FAIL, "'a' drift", column="a", stage="data"),
        Finding(
            "training.loss_not_decreasing",
            Status.WARN,
            "the loss rose back",
            stage="training:train.py:spec",
        ),
        Finding("training.fit_failed", Status.PASS, "fitted", stage="training:train.py:spec"),
    ),
    title="mlgate gate",
)


def test_text_of_several_stages_labels_each_finding_with_its_stage():
    text = render(MULTI, "text")
    header = next(line for line in text.splitlines() if "status" in line and "check" in line)
    assert "stage" in header
    drift = next(line for line in text.splitlines() if "drift.numeric" in line)
    loss = next(line for line in text.splitlines() if "training.loss_not_decreasing" in line)
    assert "│ data " in drift and "training:train.py:spec" in loss


def test_text_of_one_stage_has_no_stage_column():
    one = Report(tuple(f for f in MULTI.findings if f.stage == "data"), title="t")
    text = render(one, "text")
    header = next(line for line in text.splitlines() if "status" in line and "check" in line)
    assert "stage" not in header and "│ data " not in text


def test_markdown_of_several_stages_has_a_stage_column_in_every_table():
    md = render(MULTI, "markdown")
    lines = md.splitlines()
    assert "| | Stage | Check | Column | What to do |" in lines
    assert "| ❌ | data | `drift.numeric` | a | 'a' drift |" in lines
    assert "| ⚠️ | training:train.py:spec | `training.loss_not_decreasing` |  | " in md
    assert "| Stage | Check | Column | Result |" in lines
    assert "| training:train.py:spec | `training.fit_failed` |  | fitted |" in lines
    assert "- data: `drift.numeric` `a`: `{}`" in lines  # the numbers name the stage too


def test_markdown_of_one_stage_keeps_its_tables_as_they_were():
    one = Report(tuple(f for f in MULTI.findings if f.stage == "data"), title="t")
    md = render(one, "markdown")
    assert "Stage" not in md and "| | Check | Column | What to do |" in md.splitlines()


def test_json_carries_each_findings_stage():
    d = json.loads(render(MULTI, "json"))
    assert [c["stage"] for c in d["checks"]] == [f.stage for f in MULTI.findings]


def test_github_annotation_titles_name_the_stage_when_there_are_several():
    lines = render(MULTI, "github").splitlines()
    assert lines[0] == "::error title=mlgate drift.numeric (a) [data]::'a' drift"
    assert lines[1].startswith(
        "::warning title=mlgate training.loss_not_decreasing [training%3Atrain.py%3Aspec]::"
    )
    one = Report(tuple(f for f in MULTI.findings if f.stage == "data"), title="t")
    assert render(one, "github").splitlines()[0] == (
        "::error title=mlgate drift.numeric (a)::'a' drift"
    )


SKIPPING = Report(
    (
        Finding("drift.numeric", Status.FAIL, "'a' drift", column="a"),
        Finding("quality.null_fraction", Status.PASS, "0.0% null", column="a"),
        Finding("quality.null_fraction", Status.PASS, "0.0% null", column="b"),
        Finding(
            "training.loss_not_decreasing",
            Status.SKIP,
            "not applicable: LogisticRegression has no loss curve",
        ),
    ),
    title="t",
)


def test_the_verdict_counts_skips_apart_from_passes_and_only_when_there_are_any():
    from mlgate.reports.summary import verdict_line

    assert verdict_line(SKIPPING) == "t: FAILED (1 failed, 0 warnings, 2 passed, 1 skipped)"
    assert verdict_line(REPORT) == "mlgate data check: FAILED (1 failed, 1 warning, 1 passed)"


def test_text_counts_passed_and_skipped_checks_apart():
    lines = render(SKIPPING, "text").strip().splitlines()
    assert lines[-2] == "2 checks passed, 1 skipped."
    assert "training.loss_not_decreasing" not in "\n".join(lines)  # a skip is no problem
    assert "2 checks passed." in render(Report(SKIPPING.findings[:3], title="t"), "text")


def test_markdown_folds_skipped_checks_apart_with_their_reason():
    md = render(SKIPPING, "markdown")
    assert md.count("<details>") == 3
    passed = md.index("<summary>2 passed checks</summary>")
    skipped = md.index("<summary>1 skipped checks</summary>")
    assert passed < skipped
    section = md[skipped:]
    assert "| Check | Column | Why skipped |" in section
    assert "| `training.loss_not_decreasing` |  | not applicable: LogisticRegression" in section
    assert "loss_not_decreasing" not in md[:passed]  # not among the problems or passes


def test_json_reports_a_skip_as_skip():
    d = json.loads(render(SKIPPING, "json"))
    assert [c["status"] for c in d["checks"]] == ["fail", "pass", "pass", "skip"]


def _suites(report: Report) -> dict[str, ET.Element]:
    root = ET.fromstring(render(report, "junit"))
    return {s.get("name"): s for s in root.findall("testsuite")}


def test_junit_has_one_suite_per_stage_with_its_own_counts():
    report = Report(
        (
            Finding("drift.numeric", Status.FAIL, "'a' drift", column="a", stage="data"),
            Finding("quality.null_fraction", Status.PASS, "0.0% null", column="a", stage="data"),
            Finding("training.fit_failed", Status.ERROR, "fit raised", stage="training:t.py:f"),
            Finding(
                "training.loss_not_decreasing",
                Status.SKIP,
                "not applicable: M has no loss curve",
                stage="training:t.py:f",
            ),
            Finding("training.time_limit", Status.WARN, "cut short", stage="training:t.py:f"),
            Finding("serving.health", Status.PASS, "healthy", stage="serving"),
            Finding("custom.check", Status.FAIL, "no stage"),
        ),
        title="mlgate gate",
    )
    root = ET.fromstring(render(report, "junit"))
    suites = _suites(report)
    assert list(suites) == ["data", "training:t.py:f", "serving", "mlgate gate"]

    def counts(name: str) -> tuple[str | None, ...]:
        s = suites[name]
        return tuple(s.get(k) for k in ("tests", "failures", "errors", "skipped"))

    assert counts("data") == ("2", "1", "0", "0")
    assert counts("training:t.py:f") == ("3", "0", "1", "1")
    assert counts("serving") == ("1", "0", "0", "0")
    assert counts("mlgate gate") == ("1", "1", "0", "0")
    assert tuple(root.get(k) for k in ("tests", "failures", "errors", "skipped")) == (
        "7",
        "2",
        "1",
        "1",
    )
    training = suites["training:t.py:f"].findall("testcase")
    skipped = training[1].find("skipped")
    assert skipped is not None and skipped.get("message") == "not applicable: M has no loss curve"
    assert training[0].find("error") is not None and training[1].find("failure") is None
    assert training[2].find("system-out").text == "warning: cut short"


def test_junit_testcase_names_are_unique_within_a_suite():
    report = Report(
        (
            Finding("training.runtime_warning", Status.WARN, "one", stage="training:a"),
            Finding("training.runtime_warning", Status.WARN, "two", stage="training:a"),
            Finding("training.runtime_warning", Status.WARN, "three", stage="training:a"),
            Finding(
                "training.not_finite", Status.FAIL, "w", column="fc.weight", stage="training:a"
            ),
            Finding("training.not_finite", Status.FAIL, "b", column="fc.bias", stage="training:a"),
            Finding("training.runtime_warning", Status.WARN, "other", stage="training:b"),
        )
    )
    suites = _suites(report)
    names = [c.get("name") for c in suites["training:a"].findall("testcase")]
    assert names == [
        "training.runtime_warning",
        "training.runtime_warning #2",
        "training.runtime_warning #3",
        "training.not_finite[fc.weight]",
        "training.not_finite[fc.bias]",
    ]
    assert [c.get("name") for c in suites["training:b"].findall("testcase")] == [
        "training.runtime_warning"
    ]


def test_junit_of_an_empty_report_is_one_empty_suite():
    root = ET.fromstring(render(Report((), title="t"), "junit"))
    assert [(s.get("name"), s.get("tests")) for s in root.findall("testsuite")] == [("t", "0")]


RUN = {
    "mlgate": "0.1.0",
    "started": "2026-11-30T18:03:29Z",
    "duration_s": 1.25,
    "git": {"commit": "abc1234def5678abc1234def5678abc1234def56", "branch": "feature-x"},
    "inputs": [
        {
            "role": "reference",
            "path": "data/train.parquet",
            "format": "parquet",
            "rows": 206,
            "columns": 8,
            "digest": "sha256:" + "1a2b3c4d" * 8,
        },
        {
            "role": "current",
            "path": "data/new`batch.csv",
            "format": "csv",
            "rows": 138,
            "columns": 8,
            "digest": "sha256:" + "9f" * 32,
        },
    ],
}
JUDGED = Report(REPORT.findings, title=REPORT.title, run=RUN)


def test_json_carries_the_run_as_given():
    assert json.loads(render(JUDGED, "json"))["run"] == RUN


def test_text_says_what_was_judged_just_above_the_verdict():
    lines = render(JUDGED, "text").strip().splitlines()
    assert lines[-3].startswith(
        "judged: reference data/train.parquet (206 rows, 8 columns, sha256:1a2b3c4d1a2b…), "
        "current data/new`batch.csv"
    )
    assert lines[-3].endswith("; commit abc1234 on feature-x")
    assert lines[-2] == "mlgate 0.1.0, started 2026-11-30T18:03:29Z, took 1.2 s"
    assert "judged:" not in render(REPORT, "text")  # a report without a run says nothing


def test_markdown_says_what_was_judged_under_the_verdict_in_code_spans():
    lines = render(JUDGED, "markdown").splitlines()
    assert lines[2] == (
        "<sub>Judged: reference `data/train.parquet` (206 rows, 8 columns, "
        "`sha256:1a2b3c4d1a2b…`), current ``data/new`batch.csv`` (138 rows, 8 columns, "
        "`sha256:9f9f9f9f9f9f…`); commit `abc1234` on `feature-x`<br>"
        "mlgate 0.1.0, started 2026-11-30T18:03:29Z, took 1.2 s</sub>"
    )
    assert lines[4].startswith("| | Check |")
    assert "Judged" not in render(REPORT, "markdown")


def test_markdown_code_spans_keep_backticks_and_cut_long_values_in_the_numbers():
    from mlgate.reports.markdown import _code

    assert _code("plain") == "`plain`"
    assert _code("a`b") == "``a`b``" and _code("a``b") == "```a``b```"
    assert _code("`edge") == "`` `edge ``"  # padded: CommonMark strips one space each side
    long = "lorem `ipsum` " * 110
    finding = Finding(
        "quality.out_of_domain", Status.FAIL, "1 value outside", column="c",
        details={"unexpected_values": [long, "short"], "observed": 0.5},
    )  # fmt: skip
    page = render(Report([finding]), "markdown")
    [numbers] = [line for line in page.splitlines() if line.startswith("- `quality.out_of_domain`")]
    assert long not in page and "(1,540 characters)" in numbers and '"short"' in numbers
    assert len(numbers) < 300


def test_junit_suites_carry_the_run_as_properties():
    root = ET.fromstring(render(JUDGED, "junit"))
    props = {p.get("name"): p.get("value") for p in root.find("testsuite").iter("property")}
    assert props == {
        "mlgate.version": "0.1.0",
        "mlgate.started": "2026-11-30T18:03:29Z",
        "mlgate.duration_s": "1.25",
        "git.commit": RUN["git"]["commit"],
        "git.branch": "feature-x",
        "input.reference": "data/train.parquet (206 rows, 8 columns, sha256:"
        + "1a2b3c4d" * 8
        + ")",
        "input.current": "data/new`batch.csv (138 rows, 8 columns, sha256:" + "9f" * 32 + ")",
    }
    assert ET.fromstring(render(REPORT, "junit")).find("testsuite/properties") is None


def test_markdown_shows_hostile_names_and_values_as_text():
    # Column names and values come from the user's data: as raw Markdown they were set
    # in bold, split a table's cells, or (HTML) dropped by GitHub's sanitiser.
    from markdown_it import MarkdownIt

    names = ["<img src=x onerror=alert(1)>", "*bold*`tick`", "a|b", "body_mass_g", "R&D"]
    report = Report(
        tuple(
            Finding("quality.null_fraction", Status.FAIL, f"{name!r} lost [values]", column=name)
            for name in names
        )
    )
    html = MarkdownIt("commonmark").enable("table").render(render(report, "markdown"))
    assert "<img" not in html and "<strong>" not in html and "<em>" not in html
    table = html[html.index("<table>") : html.index("</table>")]
    rows = table.split("<tr>")[2:]
    assert len(rows) == len(names)
    for name, row in zip(names, rows, strict=True):
        cells = row.split("<td>")[1:]
        assert len(cells) == 4, row  # icon, check, column, message: "|" split none
        shown = cells[2].removesuffix("</td>\n").removesuffix("</td>")
        assert shown.replace("&amp;", "&").replace("&lt;", "<").replace("&gt;", ">") == name
        assert "lost [values]" in cells[3]
