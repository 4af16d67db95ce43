"""The run object: what a report judged (inputs with digests, commit, time)."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from blake3 import blake3

from mlgate import __version__
from mlgate._digest import file_digest
from mlgate.data.gate import check_data, validate
from mlgate.data.profile import dumps, profile
from mlgate.data.schema import infer_schema, save_schema
from mlgate.errors import InputError
from mlgate.runinfo import (
    RunClock,
    data_input,
    describe_input,
    describe_run,
    file_input,
    git_info,
    merge_runs,
)
from tests.conftest import make_table

needs_git = pytest.mark.skipif(shutil.which("git") is None, reason="needs the git binary")


def _git(repo: Path, *args: str) -> str:
    env_args = ["-c", "user.name=t", "-c", "user.email=t@example.com", "-c", "commit.gpgsign=false"]
    out = subprocess.run(
        ["git", *env_args, *args], cwd=repo, check=True, capture_output=True, text=True
    )
    return out.stdout.strip()


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    root.mkdir()
    _git(root, "init", "-q", "-b", "feature-x")
    (root / "a.txt").write_text("a\n")
    _git(root, "add", "a.txt")
    _git(root, "commit", "-q", "-m", "first")
    return root


def digest_of(path: Path) -> str:
    """The BLAKE3 digest of one file as ``mlgate._digest`` defines it (length, then bytes)."""
    data = path.read_bytes()
    h = blake3()
    h.update(len(data).to_bytes(8, "little"))
    h.update(data)
    return f"blake3:{h.hexdigest()}"


# -- git ----------------------------------------------------------------------------------


@needs_git
def test_git_names_the_commit_and_branch(repo):
    sha = _git(repo, "rev-parse", "HEAD")
    assert git_info(repo) == {"commit": sha, "branch": "feature-x"}
    assert git_info(repo / ".git" / "..") == {"commit": sha, "branch": "feature-x"}


@needs_git
def test_a_detached_head_has_a_commit_and_no_branch(repo):
    sha = _git(repo, "rev-parse", "HEAD")
    _git(repo, "checkout", "-q", "--detach")
    assert git_info(repo) == {"commit": sha, "branch": None}


@needs_git
def test_outside_a_repository_or_before_the_first_commit_git_is_null(tmp_path):
    lone = tmp_path / "lone"
    lone.mkdir()
    assert git_info(lone) is None
    _git(lone, "init", "-q")
    assert git_info(lone) is None  # a repository without a commit


def test_a_missing_git_binary_or_a_hung_git_is_null_not_an_error(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))  # no git on it
    assert git_info(tmp_path) is None

    def hang(*args, **kwargs):
        raise subprocess.TimeoutExpired(args[0], kwargs.get("timeout"))

    monkeypatch.setattr(subprocess, "run", hang)
    assert git_info(tmp_path) is None


# -- inputs -------------------------------------------------------------------------------


def test_a_file_input_has_its_role_format_and_content_digest(tmp_path):
    path = tmp_path / "schema.yaml"
    path.write_text("columns: {}\n")
    item = file_input("schema", path, fmt="yaml")
    assert item == {
        "role": "schema",
        "path": str(path),
        "format": "yaml",
        "rows": None,
        "columns": None,
        "digest": digest_of(path),
    }
    assert file_input("model", tmp_path / "schema.yaml", shown="m")["format"] == "yaml"
    assert file_input("model", path, shown="m")["path"] == "m"


def test_an_unreadable_input_is_an_input_error_naming_it(tmp_path):
    with pytest.raises(InputError, match=r"gone\.skops: cannot be read"):
        file_input("model", tmp_path / "gone.skops")


def test_a_dataset_input_takes_rows_and_columns_from_its_profile(write, tmp_path):
    path = write(make_table(n=300, seed=1), "ref.parquet")
    item = data_input("reference", str(path), profile(path))
    assert item["format"] == "parquet" and item["path"] == str(path)
    assert (item["rows"], item["columns"]) == (300, 4)
    assert item["digest"] == digest_of(path)
    # A folder of files: one digest over all of them, in path order.
    folder = tmp_path / "parts"
    folder.mkdir()
    make_table(n=10, seed=1).write_parquet(folder / "b.parquet")
    make_table(n=10, seed=2).write_parquet(folder / "a.parquet")
    parts = data_input("current", str(folder))
    assert parts["digest"] == file_digest([folder / "a.parquet", folder / "b.parquet"])
    assert parts["rows"] is None


def test_a_saved_profile_input_gets_the_profile_files_own_digest(write, tmp_path):
    data = write(make_table(n=50), "ref.csv")
    saved = tmp_path / "ref.profile.json"
    saved.write_text(dumps(profile(data)))
    item = data_input("reference", str(saved), profile(saved))
    assert item["format"] == "profile" and (item["rows"], item["columns"]) == (50, 4)
    assert item["digest"] == digest_of(saved) != digest_of(data)


def test_an_in_memory_table_has_no_digest():
    table = make_table(n=5)
    item = data_input("current", table, profile(table))
    assert item == {
        "role": "current",
        "path": "<polars DataFrame>",
        "format": "frame",
        "rows": 5,
        "columns": 4,
        "digest": None,
    }


# -- the run object -----------------------------------------------------------------------


def test_the_run_object_has_exactly_the_documented_keys_and_no_environment(tmp_path, monkeypatch):
    secret = "s3cr3t-" + "x" * 20
    monkeypatch.setenv("MLGATE_TEST_TOKEN", secret)
    path = tmp_path / "train.py"
    path.write_text("x = 1\n")
    run = RunClock.start().run_info([file_input("entrypoint", path)], cwd=tmp_path)
    assert list(run) == ["mlgate", "started", "duration_s", "git", "inputs"]
    assert run["mlgate"] == __version__
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", run["started"])
    assert isinstance(run["duration_s"], float) and 0 <= run["duration_s"] < 5
    assert secret not in json.dumps(run)


def test_merged_runs_keep_every_input_once_in_order_with_rewritten_paths(tmp_path):
    a = {"role": "reference", "path": "/p/ref.csv", "digest": "sha256:1"}
    b = {"role": "schema", "path": "/p/schema.yaml", "digest": "sha256:2"}
    c = {"role": "entrypoint", "path": "/p/train.py", "digest": "sha256:3"}
    run = merge_runs(
        [{"inputs": [a, b]}, None, {"inputs": [c, b]}],
        RunClock.start(),
        cwd=tmp_path,
        path=lambda p: p.removeprefix("/p/"),
    )
    assert [(i["role"], i["path"]) for i in run["inputs"]] == [
        ("reference", "ref.csv"),
        ("schema", "schema.yaml"),
        ("entrypoint", "train.py"),
    ]


def test_the_run_reads_as_one_line_of_inputs_and_one_of_time():
    run = {
        "mlgate": "0.1.0",
        "started": "2026-11-30T18:03:29Z",
        "duration_s": 1.25,
        "git": {"commit": "abc1234def5678", "branch": "feature-x"},
        "inputs": [
            {
                "role": "reference",
                "path": "data/train.parquet",
                "format": "parquet",
                "rows": 206,
                "columns": 8,
                "digest": "sha256:" + "1a2b3c4d5e6f7a8b" * 4,
            },
            {"role": "schema", "path": "schema.yaml", "digest": "sha256:" + "f" * 64},
        ],
    }
    assert describe_run(run) == [
        "judged: reference data/train.parquet (206 rows, 8 columns, sha256:1a2b3c4d5e6f…), "
        "schema schema.yaml (sha256:ffffffffffff…); commit abc1234 on feature-x",
        "mlgate 0.1.0, started 2026-11-30T18:03:29Z, took 1.2 s",
    ]
    detached = {**run, "git": {"commit": "abc1234def", "branch": None}}
    assert describe_run(detached)[0].endswith("; commit abc1234 (detached HEAD)")
    assert describe_run({**run, "git": None})[0].endswith("; not in a git repository")
    full = describe_input(run["inputs"][0], short_digest=False, role=False)
    assert full == f"data/train.parquet (206 rows, 8 columns, sha256:{'1a2b3c4d5e6f7a8b' * 4})"


# -- the stages fill it in ------------------------------------------------------------------


def test_the_data_gate_reports_reference_current_and_schema(write, tmp_path):
    ref = write(make_table(n=400, seed=1), "ref.parquet")
    cur = write(make_table(n=300, seed=2), "cur.csv")
    schema = tmp_path / "schema.yaml"
    save_schema(infer_schema(profile(ref)), schema)
    report = check_data(str(ref), str(cur), schema=str(schema))
    assert report.run is not None
    inputs = report.run["inputs"]
    assert [(i["role"], i["format"], i["rows"], i["columns"]) for i in inputs] == [
        ("reference", "parquet", 400, 4),
        ("current", "csv", 300, 4),
        ("schema", "yaml", None, None),
    ]
    assert [i["digest"] for i in inputs] == [digest_of(p) for p in (ref, cur, schema)]
    # No schema file given: it is inferred, and no file is named for it.
    inferred = check_data(str(ref), str(cur)).run
    assert inferred is not None and [i["role"] for i in inferred["inputs"]] == [
        "reference",
        "current",
    ]
    validated = validate(str(cur), str(schema)).run
    assert validated is not None
    assert [(i["role"], i["rows"]) for i in validated["inputs"]] == [
        ("data", 300),
        ("schema", None),
    ]
