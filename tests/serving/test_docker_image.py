"""Docker for real: the example's serving image, built from its committed Dockerfile
(written by `mlgate init`), run, and passed by `mlgate check serving --image`.

It needs a Docker engine that answers `docker info`, and a base image with Python 3.11
and its venv module. No image registry is needed: `.ci/docker-setup` starts an engine
and makes the base image from Debian packages (debootstrap, then `docker import`), and
the build installs every dependency from a wheelhouse in the build context, with mlgate
itself built as a wheel from this checkout. The base image is taken from
MLGATE_DOCKER_BASE_IMAGE, else the one `.ci/docker-setup` made, else a local
python:3.11-slim.

Without an engine the test is skipped, saying why. On CI (CI=true) an engine that
answers with no base image is a failure, not a skip: there the test must run.

Cached between runs in $MLGATE_CI_CACHE (default /var/cache/mlgate-ci, or
~/.cache/mlgate-ci where that is not writable): the dependencies' wheels, keyed by the
Python and platform they are for, mlgate's requirements and the versions installed
here (the image gets the same scikit-learn as this test's offline predictions).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import uuid
from collections.abc import Iterator
from importlib import metadata
from pathlib import Path

import pytest

from tests.serving import EXAMPLE

pytestmark = [pytest.mark.slow, pytest.mark.docker]

ROOT = Path(__file__).resolve().parents[2]
#: The Python and platform of the serving image: Debian bookworm's.
PYTHON_TAG = ("3.11", "cp311")
GLIBC_MINOR = 36
FALLBACK_BASE = "python:3.11-slim"
#: What of the example the build context leaves out: built, cached or local state.
NOT_COPIED = (
    "model",
    "wheelhouse",
    ".hypothesis",
    ".pytest_cache",
    "__pycache__",
    "mlgate-report.*",
)
#: A fixed time for the mlgate wheel's files, so the same source gives the same wheel.
SOURCE_DATE_EPOCH = "1700000000"
BUILD_TIMEOUT = 1200
#: Generous budgets: this test is about the image serving the model, not about the speed
#: of a busy CI machine (the budgets have their own tests).
BUDGET_ARGS = ("--latency-p95-ms", "5000", "--min-throughput", "1", "--timing-requests", "40")


def run(
    command: list[str],
    *,
    timeout: float,
    cwd: Path | None = None,
    env: dict[str, str] | None = None,
) -> subprocess.CompletedProcess[str]:
    """Run a command with no input and its output captured; the caller judges the code."""
    return subprocess.run(
        command,
        cwd=cwd,
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def docker(*args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return run(["docker", *args], timeout=timeout)


def last_lines(text: str, n: int = 30) -> str:
    return "\n".join(text.strip().splitlines()[-n:])


def cache_dir() -> Path:
    given = os.environ.get("MLGATE_CI_CACHE")
    if given:
        return Path(given)
    system = Path("/var/cache/mlgate-ci")
    if os.access(system if system.exists() else system.parent, os.W_OK):
        return system
    return Path.home() / ".cache" / "mlgate-ci"


def mlgate_command() -> str:
    beside = Path(sys.executable).with_name("mlgate")
    return str(beside) if beside.is_file() else shutil.which("mlgate") or "mlgate"


def on_ci() -> bool:
    return os.environ.get("CI", "").lower() in ("1", "true", "yes")


@pytest.fixture(scope="module")
def engine() -> None:
    if shutil.which("docker") is None:
        pytest.skip("no docker command on PATH; .ci/docker-setup installs Debian's docker.io")
    try:
        info = docker("info", "--format", "{{.ServerVersion}}", timeout=30)
    except subprocess.TimeoutExpired:
        pytest.skip("no Docker engine answers: `docker info` timed out after 30 s")
    if info.returncode != 0:
        why = last_lines(info.stderr, 1) or "no message"
        pytest.skip(f"no Docker engine answers `docker info` ({why}); .ci/docker-setup starts one")


@pytest.fixture(scope="module")
def base_image(engine: None) -> str:
    recorded = cache_dir() / "base-image"
    candidates = [
        os.environ.get("MLGATE_DOCKER_BASE_IMAGE", "").strip(),
        recorded.read_text().strip() if recorded.is_file() else "",
        FALLBACK_BASE,
    ]
    for image in filter(None, candidates):
        if docker("image", "inspect", image).returncode == 0:
            return image
    message = (
        f"the Docker engine answers but there is no base image: none of "
        f"{', '.join(filter(None, candidates))} exists; run .ci/docker-setup (as root) to "
        "make one from Debian packages, or set MLGATE_DOCKER_BASE_IMAGE"
    )
    if on_ci():
        pytest.fail(message)
    pytest.skip(message)


def platform_args() -> list[str]:
    """pip's options for wheels the image can install: CPython 3.11 on x86-64 glibc 2.36.
    pip takes the exact platform tags it is given, so every manylinux tag up to bookworm's
    glibc is listed."""
    version, abi = PYTHON_TAG
    tags = [f"manylinux_2_{minor}_x86_64" for minor in range(GLIBC_MINOR, 4, -1)]
    tags += ["manylinux2014_x86_64", "manylinux2010_x86_64", "manylinux1_x86_64"]
    args = ["--only-binary=:all:", "--python-version", version, "--implementation", "cp"]
    args += ["--abi", abi, "--abi", "abi3", "--abi", "none"]
    for tag in tags:
        args += ["--platform", tag]
    return args


def installed_pins() -> list[str]:
    """name==version of every distribution here but mlgate: as constraints, they give the
    image the library versions this test predicts offline with."""
    pins = {
        f"{d.metadata['Name'].lower()}=={d.version}"
        for d in metadata.distributions()
        if d.metadata["Name"] and d.metadata["Name"].lower() != "mlgate"
    }
    return sorted(pins)


def pip(*args: str, timeout: float = 900) -> None:
    proc = run(
        [sys.executable, "-m", "pip", *args],
        timeout=timeout,
        env={**os.environ, "PIP_DISABLE_PIP_VERSION_CHECK": "1"},
    )
    if proc.returncode != 0:
        pytest.fail(f"pip {args[0]} failed:\n{last_lines(proc.stdout + proc.stderr)}")


@pytest.fixture(scope="module")
def wheelhouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """mlgate's wheel, built from this checkout, and the wheels of mlgate[serve]'s
    dependencies (cached; downloaded from PyPI once per key)."""
    out = tmp_path_factory.mktemp("wheelhouse")
    env = {**os.environ, "SOURCE_DATE_EPOCH": SOURCE_DATE_EPOCH}
    build = run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", str(out), str(ROOT)],
        timeout=600,
        env=env,
    )
    if build.returncode != 0:
        pytest.fail(f"building mlgate's wheel failed:\n{last_lines(build.stdout + build.stderr)}")
    (wheel,) = out.glob("mlgate-*.whl")

    pins = installed_pins()
    requirement = f"{wheel}[serve]"
    key_text = json.dumps(
        [PYTHON_TAG, GLIBC_MINOR, sorted(metadata.requires("mlgate") or []), pins]
    )
    key = hashlib.sha256(key_text.encode()).hexdigest()[:16]
    cached = cache_dir() / "wheelhouse" / key
    if not cached.is_dir():
        cached.parent.mkdir(parents=True, exist_ok=True)
        partial = cached.with_name(f"{key}.{uuid.uuid4().hex[:8]}.partial")
        constraints = partial / "constraints.txt"
        partial.mkdir()
        constraints.write_text("\n".join(pins) + "\n")
        pip(
            "download",
            "--quiet",
            "-d",
            str(partial),
            *platform_args(),
            "-c",
            str(constraints),
            requirement,
        )
        for own in partial.glob("mlgate-*.whl"):
            own.unlink()  # built anew from the checkout on every run
        try:
            partial.rename(cached)
        except OSError:  # another run filled the cache first
            shutil.rmtree(partial, ignore_errors=True)
    for dep in cached.glob("*.whl"):
        shutil.copy2(dep, out / dep.name)
    return out


@pytest.fixture(scope="module")
def context(tmp_path_factory: pytest.TempPathFactory, wheelhouse: Path) -> Path:
    """The example as a fresh checkout has it, its model trained as its README says,
    and the wheelhouse."""
    ctx = tmp_path_factory.mktemp("image") / "penguins"
    shutil.copytree(EXAMPLE, ctx, ignore=shutil.ignore_patterns(*NOT_COPIED))
    assert (ctx / "Dockerfile").is_file(), "the example's Dockerfile is missing"
    train = run([sys.executable, "train_sklearn.py"], cwd=ctx, timeout=600)
    assert train.returncode == 0, train.stdout + train.stderr
    shutil.copytree(wheelhouse, ctx / "wheelhouse")
    return ctx


@pytest.fixture(scope="module")
def image(context: Path, base_image: str) -> Iterator[str]:
    tag = f"mlgate-test-penguins:{uuid.uuid4().hex[:12]}"
    # The build stage is tagged too (a second build that the first one's cache makes
    # instant), so that removing it by name leaves no gigabyte of untagged layers behind.
    stage_tag = f"{tag}-build"
    try:
        for target, name in (("build", stage_tag), (None, tag)):
            build = docker(
                "build",
                *(("--target", target) if target else ()),
                "--build-arg",
                f"BASE_IMAGE={base_image}",
                "--tag",
                name,
                str(context),
                timeout=BUILD_TIMEOUT,
            )
            assert build.returncode == 0, (
                f"docker build failed:\n{last_lines(build.stdout + build.stderr)}"
            )
        yield tag
    finally:
        docker("image", "rm", "--force", tag, stage_tag)


def test_the_example_image_serves_the_model_as_it_predicts_offline(context, image, tmp_path):
    report_path = tmp_path / "report.json"
    proc = run(
        [
            mlgate_command(),
            "check",
            "serving",
            "--image",
            image,
            "--model",
            "model/model.skops",
            "--schema",
            "schema.yaml",
            "--data",
            "data/current_clean.csv",
            "--timeout",
            "180",
            *BUDGET_ARGS,
            "--format",
            "json",
            "--output",
            str(report_path),
        ],
        cwd=context,
        timeout=900,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    report = json.loads(report_path.read_text())
    statuses = {c["name"]: c["status"] for c in report["checks"]}
    assert report["passed"] is True
    assert statuses["serving.health"] == "pass"
    assert statuses["serving.server_error"] == "pass"
    assert statuses["serving.prediction_mismatch"] == "pass"
    assert statuses["serving.probability_mismatch"] == "pass"
    assert statuses["serving.bad_request_handling"] == "pass"
    labels = next(c for c in report["checks"] if c["name"] == "serving.prediction_mismatch")
    assert labels["details"]["rows"] >= 130
    # whatever mlgate started it removed again
    left = docker(
        "ps", "-a", "-q", "--filter", "name=mlgate-check-", "--filter", f"ancestor={image}"
    )
    assert left.stdout.strip() == ""
