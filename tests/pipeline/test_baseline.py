"""``--baseline REF``: each step's output beside main's on the same sample, the first
step that changed named, main's side cached."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from mlgate.findings import Report, Status
from mlgate.gitinfo import GitError
from mlgate.pipeline.gate import check_pipeline
from tests.pipeline.project import replace_step


def git(folder: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=folder, check=True, capture_output=True)


@pytest.fixture
def repo(project: Path) -> Path:
    """The project committed on main, with a pull request branch checked out."""
    git(project, "init", "-q", "-b", "main")
    git(project, "-c", "user.name=t", "-c", "user.email=t@e", "add", ".")
    git(project, "-c", "user.name=t", "-c", "user.email=t@e", "commit", "-qm", "main")
    git(project, "checkout", "-qb", "pr")
    return project


def changes(report: Report) -> dict[str, Status]:
    return {
        f.details["step"]: f.status
        for f in report.findings
        if f.name == "pipeline.changed_from_main"
    }


def test_a_changed_feature_is_named_as_where_the_change_starts(repo: Path) -> None:
    text = (repo / "pipeline.py").read_text()
    (repo / "pipeline.py").write_text(
        text.replace(
            'df["debt_ratio"] = df["loan_amount"] / df["income"]',
            'df["debt_ratio"] = df["loan_amount"] / df["income"] * 12',
        )
    )
    report = check_pipeline(repo / "mlgate.yaml", baseline="main")
    assert changes(report) == {"clean": Status.PASS, "features": Status.WARN}
    change = next(
        f
        for f in report.findings
        if f.name == "pipeline.changed_from_main" and f.status is Status.WARN
    )
    assert change.column == "debt_ratio"
    assert change.details["first_change"] == "features"
    assert "the change from main starts here" in change.message
    assert "run now and cached" in change.details["baseline"]
    # Main's side is cached: the second check reads it back instead of running main.
    again = check_pipeline(repo / "mlgate.yaml", baseline="main")
    cached = next(f for f in again.findings if f.name == "pipeline.changed_from_main")
    assert ", cached in " in cached.details["baseline"]
    assert changes(again) == changes(report)


def test_a_refactor_that_changes_nothing_passes_against_main(repo: Path) -> None:
    replace_step(
        repo,
        "clean",
        """
def clean(raw):
    income = raw["income"].str.replace(r"[$,]", "", regex=True).astype(float)
    df = raw.assign(income=income)
    df = df[df["income"].notna()].copy()
    df["age"] = df["age"].fillna(df["age"].median())
    return df
""",
    )
    report = check_pipeline(repo / "mlgate.yaml", baseline="main")
    assert report.passed
    assert changes(report) == {"clean": Status.PASS, "features": Status.PASS}


def test_a_corrupt_cache_entry_is_recomputed(repo: Path) -> None:
    check_pipeline(repo / "mlgate.yaml", baseline="main")
    [entry] = (repo / ".mlgate" / "cache").iterdir()
    (entry / "meta.json").write_text("{not json")
    report = check_pipeline(repo / "mlgate.yaml", baseline="main")
    found = next(f for f in report.findings if f.name == "pipeline.changed_from_main")
    assert "run now and cached" in found.details["baseline"]


def test_an_unknown_ref_is_a_git_error(repo: Path) -> None:
    with pytest.raises(GitError, match="no such commit or branch"):
        check_pipeline(repo / "mlgate.yaml", baseline="origin/mian")


def test_mlgate_run_baseline_compares_the_pipeline_with_mains(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import json

    from tests.conftest import run_main

    text = (repo / "pipeline.py").read_text()
    (repo / "pipeline.py").write_text(text.replace('df["age"].median()', "0"))
    code, out, err = run_main(
        capsys, ("run", "-c", repo / "mlgate.yaml", "--baseline", "main", "--format", "json")
    )
    changed = {
        c["stage"]: c["status"]
        for c in json.loads(out)["checks"]
        if c["name"] == "pipeline.changed_from_main"
    }
    assert changed == {"pipeline:clean": "warn", "pipeline:features": "warn"}, err
    code, _, err = run_main(capsys, ("run", "-c", repo / "mlgate.yaml", "--baseline", "mian"))
    assert code == 2 and "--baseline mian: git knows no such commit or branch" in err
