"""`mlgate run --baseline main` end to end, in a real git repository with two branches:
main's model is built in a temporary worktree at the merge base, scored on the pull
request's evaluation rows, cached, and reused on the next run."""

import json
import subprocess
import sys
from pathlib import Path

import polars as pl
import pytest

TRAIN = """\
import os, sys
from pathlib import Path
import polars as pl
from sklearn.ensemble import RandomForestClassifier
from mlgate.serving import save_model

NOISE = {noise} or "--noise" in sys.argv
SEED = {seed}
with open(os.environ["BUILD_LOG"], "a") as log:
    log.write(str(Path.cwd()) + "\\n")
train = pl.read_parquet("data/train.parquet").to_pandas()
X, y = train.drop(columns="target"), train["target"].copy()
if NOISE:
    y[y.index % 3 == 0] = (y[y.index % 3 == 0] + 1) % 10
model = RandomForestClassifier(n_estimators=40, random_state=SEED, n_jobs=1).fit(X, y)
save_model(model, "model.skops")
"""

CONFIG = """\
model:
  model: model.skops
  data: data/eval.parquet
  target: target
  build: {python} train.py
reports:
  - format: json
    path: report.json
"""


def git(repo, *args):
    subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True)


@pytest.fixture
def repo(tmp_path, digits, monkeypatch):
    for var in ("GIT_AUTHOR_NAME", "GIT_COMMITTER_NAME"):
        monkeypatch.setenv(var, "mlgate test")
    for var in ("GIT_AUTHOR_EMAIL", "GIT_COMMITTER_EMAIL"):
        monkeypatch.setenv(var, "test@example.invalid")
    repo = tmp_path / "project"
    (repo / "data").mkdir(parents=True)
    train = digits.X_train.assign(target=digits.y_train).reset_index(drop=True)
    pl.from_pandas(train).write_parquet(repo / "data" / "train.parquet")
    pl.read_parquet(digits.eval_path).write_parquet(repo / "data" / "eval.parquet")
    (repo / "train.py").write_text(TRAIN.format(noise=False, seed=0))
    (repo / "mlgate.yaml").write_text(CONFIG.format(python=sys.executable))
    (repo / ".gitignore").write_text("model.skops\n.mlgate/\nreport.json\n")
    git(repo, "init", "-q", "-b", "main")
    git(repo, "add", ".")
    git(repo, "commit", "-q", "-m", "a model")
    monkeypatch.setenv("BUILD_LOG", str(tmp_path / "builds.log"))
    return repo


def _run(repo):
    done = subprocess.run(
        [sys.executable, "-m", "mlgate._cli.main", "run", "--baseline", "main"],
        cwd=repo,
        capture_output=True,
        text=True,
        check=False,
    )
    report = json.loads((repo / "report.json").read_text()) if done.returncode < 2 else None
    return done, report


def _primary(report):
    return next(
        c
        for c in report["checks"]
        if c["name"] == "model.worse_than_baseline"
        and c["details"]["metric"] == "balanced_accuracy"
    )


def _builds(repo):
    return (repo.parent / "builds.log").read_text().splitlines()


@pytest.mark.slow
def test_a_pull_request_that_degrades_the_model_fails_against_main(repo):
    git(repo, "checkout", "-q", "-b", "pr")
    (repo / "train.py").write_text(TRAIN.format(noise=True, seed=0))
    git(repo, "commit", "-q", "-am", "train on relabelled rows")
    done, report = _run(repo)
    assert done.returncode == 1, done.stderr
    primary = _primary(report)
    assert primary["status"] == "fail" and primary["stage"] == "model"
    main_sha = subprocess.run(
        ["git", "rev-parse", "main"], cwd=repo, capture_output=True, text=True, check=True
    ).stdout.strip()
    assert f"main's model at {main_sha[:10]}" in primary["details"]["baseline_source"]
    builds = _builds(repo)
    assert len(builds) == 2 and builds[0] == str(repo)  # this checkout, then main's worktree
    assert not Path(builds[1]).exists()  # the worktree is removed afterwards
    assert (
        subprocess.run(
            ["git", "worktree", "list"], cwd=repo, capture_output=True, text=True, check=True
        ).stdout.count("\n")
        == 1
    )

    # The next run reuses main's cached predictions: only this checkout is built.
    done, report = _run(repo)
    assert done.returncode == 1
    assert _primary(report)["details"]["baseline_source"].startswith(
        f"main's model at {main_sha[:10]}"
    )
    assert "cached in" in _primary(report)["details"]["baseline_source"]
    assert len(_builds(repo)) == 3


@pytest.mark.slow
def test_a_harmless_pull_request_passes_against_main(repo):
    git(repo, "checkout", "-q", "-b", "pr")
    (repo / "train.py").write_text(TRAIN.format(noise=False, seed=1))
    git(repo, "commit", "-q", "-am", "another seed")
    done, report = _run(repo)
    assert done.returncode == 0, done.stderr + done.stdout
    assert _primary(report)["details"]["verdict"] in ("not_worse", "inconclusive")


def test_an_unknown_ref_is_exit_2_with_what_to_do(repo):
    done = subprocess.run(
        [sys.executable, "-m", "mlgate._cli.main", "run", "--baseline", "origin/nope"],
        cwd=repo,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 2
    assert "origin/nope: git knows no such commit or branch here; fetch it first" in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1


@pytest.mark.slow
def test_on_main_itself_the_model_is_cached_for_the_pull_requests_to_come(repo):
    done, report = _run(repo)  # a push to main: main is compared with itself
    assert done.returncode == 0, done.stderr
    assert "this checkout is main's commit" in _primary(report)["details"]["baseline_source"]
    assert len(_builds(repo)) == 1
    git(repo, "checkout", "-q", "-b", "pr")
    (repo / "train.py").write_text(TRAIN.format(noise=True, seed=0))
    git(repo, "commit", "-q", "-am", "train on relabelled rows")
    done, report = _run(repo)
    assert done.returncode == 1
    assert "cached in" in _primary(report)["details"]["baseline_source"]
    assert len(_builds(repo)) == 2  # no worktree build: main's predictions were cached


@pytest.mark.slow
def test_main_is_built_as_mains_own_mlgate_yaml_says(repo):
    # The pull request changes only the build command (a flag that hurts the model):
    # main must be built with main's command, not the pull request's.
    git(repo, "checkout", "-q", "-b", "pr")
    config = repo / "mlgate.yaml"
    config.write_text(config.read_text().replace("train.py", "train.py --noise"))
    git(repo, "commit", "-q", "-am", "build with relabelled rows")
    done, report = _run(repo)
    assert done.returncode == 1, done.stderr
    assert _primary(report)["details"]["verdict"] == "worse"


def test_a_pull_request_that_adds_the_model_stage_skips_the_comparison(repo):
    config = repo / "mlgate.yaml"
    text = config.read_text()
    config.write_text("reports:\n  - format: json\n    path: report.json\n")
    git(repo, "commit", "-q", "-am", "no model stage on main")
    git(repo, "checkout", "-q", "-b", "pr")
    config.write_text(text)
    git(repo, "commit", "-q", "-am", "add the model stage")
    done, report = _run(repo)
    assert done.returncode == 0, done.stderr
    skip = next(c for c in report["checks"] if c["name"] == "model.worse_than_baseline")
    assert skip["status"] == "skip" and "has no model: stage" in skip["message"]
    assert len(_builds(repo)) == 1  # main was not built
