"""The penguins pipeline example (examples/penguins-pipeline): its committed contracts are
what ``mlgate pipeline infer`` writes now, and its two pull requests get the verdicts
`make demo` shows."""

from __future__ import annotations

import shutil
from pathlib import Path

from mlgate.findings import Status
from mlgate.pipeline.gate import check_pipeline, infer_contracts

EXAMPLE = Path(__file__).parents[2] / "examples" / "penguins-pipeline"


def test_committed_contracts_are_what_infer_writes_now(tmp_path: Path) -> None:
    copy = tmp_path / "example"
    shutil.copytree(EXAMPLE, copy, ignore=shutil.ignore_patterns("contracts", "__pycache__"))
    infer_contracts(copy / "mlgate.yaml")
    for path in sorted((EXAMPLE / "contracts").iterdir()):
        assert (copy / "contracts" / path.name).read_text() == path.read_text(), path.name
    assert sorted(p.name for p in (copy / "contracts").iterdir()) == sorted(
        p.name for p in (EXAMPLE / "contracts").iterdir()
    )


def test_main_passes() -> None:
    assert check_pipeline(EXAMPLE / "mlgate.yaml").passed


def test_the_wrong_join_pull_request_fails_naming_joined_as_the_first_broken_step() -> None:
    report = check_pipeline(EXAMPLE / "prs" / "wrong_join.yaml")
    lead = report.findings[0]
    assert (lead.name, lead.details["step"]) == ("pipeline.first_broken", "joined")
    assert set(lead.details["inherited"]) == {"features", "train"}
    own = {
        f.name for f in report.findings if f.status is Status.FAIL and f.details["step"] == "joined"
    }
    assert {"pipeline.rows_multiplied", "pipeline.key_not_unique"} <= own
    assert not [
        f for f in report.findings if f.status is Status.FAIL and f.details["step"] == "clean"
    ]


def test_the_refactor_pull_request_passes() -> None:
    assert check_pipeline(EXAMPLE / "prs" / "refactor.yaml").passed
