"""`--format github`: workflow commands that put failures on the PR's files view."""

from __future__ import annotations

from pathlib import Path

import pytest

from mlgate.data.schema import ColumnSchema, Drift, Range, Schema, save_schema
from mlgate.findings import Finding, Report, Status
from mlgate.reports.github import escape_data, escape_property, render_github


@pytest.fixture
def schema_file(tmp_path) -> Path:
    schema = Schema(
        columns={
            "bill_length_mm": ColumnSchema(
                type="float",
                range=Range(min=30.0, max=60.0),
                drift=Drift(metric="wasserstein", threshold=0.1),
            ),
            "island": ColumnSchema(
                type="string",
                domain=["Biscoe", "Dream", "Torgersen"],
                drift=Drift(metric="jensen_shannon", threshold=0.1),
            ),
            "sex": ColumnSchema(type="string", max_null_fraction=0.05),
        }
    )
    path = tmp_path / "schema.yaml"
    save_schema(schema, path)
    return path


def line_of_key(path: Path, text: str) -> int:
    """1-based line where ``text`` (an indented YAML key) stands, found by reading."""
    lines = path.read_text().splitlines()
    return next(i for i, line in enumerate(lines, 1) if line == text)


def commands(out: str) -> list[str]:
    return out.splitlines()


def test_failures_are_errors_warnings_are_warnings_and_passes_are_silent():
    report = Report(
        (
            Finding("training.loss_not_finite", Status.FAIL, "loss became NaN at step 3"),
            Finding("training.time_limit", Status.WARN, "stopped after 50 of 100 steps"),
            Finding("training.fit_failed", Status.ERROR, "fit raised ValueError"),
            Finding("training.not_reproducible", Status.PASS, "same loss twice"),
        ),
        title="mlgate training check",
    )
    lines = commands(render_github(report))
    assert lines == [
        "::error title=mlgate training.fit_failed::fit raised ValueError",
        "::error title=mlgate training.loss_not_finite::loss became NaN at step 3",
        "::warning title=mlgate training.time_limit::stopped after 50 of 100 steps",
        "::notice title=mlgate training check::mlgate training check: FAILED "
        "(1 errored, 1 failed, 1 warning, 1 passed)",
    ]


def test_messages_and_properties_are_escaped_so_no_line_starts_a_command():
    message = "50% null\r\nnext line ::set-env name=X::1"
    report = Report((Finding("schema.new_column", Status.WARN, message, column="a,b: c"),))
    out = render_github(report)
    assert out.count("\n") == 2  # one annotation and the verdict, nothing smuggled in
    first = commands(out)[0]
    assert first == (
        "::warning title=mlgate schema.new_column (a%2Cb%3A c)::"
        "50%25 null%0D%0Anext line ::set-env name=X::1"
    )
    assert escape_data("100%\n") == "100%25%0A"
    assert escape_property("a:b,c%\r") == "a%3Ab%2Cc%25%0D"


def test_column_findings_point_at_the_columns_line_in_the_schema(schema_file, monkeypatch):
    monkeypatch.chdir(schema_file.parent)
    report = Report(
        (
            Finding("drift.categorical", Status.FAIL, "island moved", column="island"),
            Finding("quality.null_fraction", Status.WARN, "12% null", column="sex"),
            Finding("quality.out_of_range", Status.FAIL, "kg, not g", column="bill_length_mm"),
            Finding("training.loss_not_decreasing", Status.FAIL, "flat loss"),
        )
    )
    lines = commands(render_github(report, "schema.yaml"))
    island = line_of_key(schema_file, "  island:")
    sex = line_of_key(schema_file, "  sex:")
    bill = line_of_key(schema_file, "  bill_length_mm:")
    assert len({island, sex, bill}) == 3
    assert lines[0].startswith(f"::error file=schema.yaml,line={island},title=")
    assert lines[1].startswith(f"::error file=schema.yaml,line={bill},title=")
    assert lines[2] == "::error title=mlgate training.loss_not_decreasing::flat loss"
    assert lines[3].startswith(f"::warning file=schema.yaml,line={sex},title=")


def test_a_column_missing_from_the_schema_points_at_its_columns_key(schema_file):
    report = Report((Finding("schema.new_column", Status.WARN, "new", column="flipper_mm"),))
    first = commands(render_github(report, str(schema_file), workspace=str(schema_file.parent)))
    columns = line_of_key(schema_file, "columns:")
    assert first[0].startswith(f"::warning file=schema.yaml,line={columns},")


def test_dataset_findings_point_at_their_limit(schema_file):
    report = Report((Finding("quality.duplicate_rows", Status.FAIL, "9% duplicates"),))
    first = commands(render_github(report, str(schema_file), workspace=str(schema_file.parent)))
    line = line_of_key(schema_file, "  max_duplicate_fraction: 0.05")
    assert first[0].startswith(f"::error file=schema.yaml,line={line},")


def test_the_file_is_named_from_the_repository_root(schema_file, monkeypatch):
    repo = schema_file.parent
    (repo / "data").mkdir()
    moved = repo / "data" / "schema.yaml"
    schema_file.rename(moved)
    monkeypatch.setenv("GITHUB_WORKSPACE", str(repo))
    monkeypatch.chdir(repo / "data")  # a step with working-directory: data
    report = Report((Finding("drift.numeric", Status.FAIL, "moved", column="island"),))
    assert commands(render_github(report, "schema.yaml"))[0].startswith(
        "::error file=data/schema.yaml,line="
    )


def test_an_unreadable_schema_still_gives_annotations_without_a_place(tmp_path):
    report = Report((Finding("drift.numeric", Status.FAIL, "moved", column="x"),))
    out = render_github(report, str(tmp_path / "missing.yaml"))
    assert commands(out)[0] == "::error title=mlgate drift.numeric (x)::moved"


def test_a_passing_report_is_one_notice():
    report = Report((Finding("drift.numeric", Status.PASS, "still", column="x"),))
    assert render_github(report) == "::notice title=mlgate::mlgate: passed (0 failed, " + (
        "0 warnings, 1 passed)\n"
    )
