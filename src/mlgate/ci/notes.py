"""What ``mlgate init`` tells the user: what it found in the repository (and where it
came from), and what a person must review or do next. Lines of text, no secrets: a
secret is named, its value is never read."""

from __future__ import annotations

from typing import TYPE_CHECKING

from mlgate.ci.repo_scan import DVC_REMOTES
from mlgate.ci.workflow_read import registry_of
from mlgate.config import CONFIG_NAME

if TYPE_CHECKING:
    from mlgate.ci.init import InitOptions, Plan, Project
    from mlgate.ci.workflow_read import ExistingWorkflow


def found_lines(project: Project, plan: Plan, options: InitOptions) -> tuple[str, ...]:
    """One line per thing found: data, DVC, model, framework and serving path, Python,
    default branch, existing workflows and image publishing, Dockerfile, setup.py, and
    where CI installs mlgate from."""
    lines = [_data_line(project)]
    headerless = [t.path for t in project.tables if not t.has_header]
    if headerless:
        lines.append(f"no header row: {', '.join(headerless)}")
    if project.dvc is not None:
        tracked = [t.path for t in project.tables if t.dvc]
        where = ", ".join(project.dvc.files) or ".dvc/"
        lines.append(
            f"DVC ({where}): "
            + (
                f"tracks {', '.join(tracked)}; the gate job runs `dvc pull` first"
                if tracked
                else "no tracked table"
            )
        )
    if project.model:
        lines.append(f"model: {project.model} ({project.model_kind})")
    frameworks = ", ".join(f"{f.name} ({f.source})" for f in project.frameworks)
    lines.append(f"framework: {frameworks or 'none found'}")
    lines.append(f"serving: {'mlgate serve, ' if plan.serving else 'none: '}{plan.serving_reason}")
    python = f"python: {plan.python} ({plan.python_source})"
    if plan.mlgate_python != plan.python:
        python += f"; mlgate runs on its own Python {plan.mlgate_python} (it needs 3.11+)"
    lines.append(python)
    lines.append(f"default branch: {plan.branch.name} ({plan.branch.source})")
    for wf in project.workflows:
        lines.append(f"existing workflow {wf.path}: {_workflow_line(wf)}")
    if plan.image_job or plan.publish:
        lines.append(f"image name: {plan.image_name} ({plan.image_source})")
    state = project.dockerfile
    if state == "empty":
        lines.append("Dockerfile: empty, so treated as absent")
    elif state == "unparsable":
        lines.append("Dockerfile: no FROM instruction (or not text), so treated as absent")
    elif state == "own":
        lines.append(
            "Dockerfile: the project's own, kept; mlgate's workflow does not build it"
            if not options.force
            else "Dockerfile: the project's own, overwritten (--force)"
        )
    if project.empty_setup_py:
        lines.append("setup.py: empty (0 bytes), so the project is not pip-installed from it")
    install = f"mlgate in CI: {plan.spec.requirement}, from {plan.spec.source}"
    lines.append(install + ", in its own virtual environment, apart from the project's packages")
    return tuple(lines)


def _data_line(project: Project) -> str:
    if not project.tables:
        return "data: no table found (CSV, TSV, Parquet, JSON Lines, outside ignored folders)"
    parts = []
    if project.reference:
        parts.append(f"reference {project.reference}")
    if project.current:
        parts.append(f"current {project.current}")
    others = [t.path for t in project.tables if t.path not in (project.reference, project.current)]
    if others:
        parts.append(f"also {', '.join(others[:5])}{' …' if len(others) > 5 else ''}")
    return "data: " + "; ".join(parts)


def _workflow_line(wf: ExistingWorkflow) -> str:
    """What an existing workflow does with images, and that init leaves it alone."""
    if wf.error:
        return f"{wf.error}; left as it is"
    if wf.publish is None:
        return "publishes no image; left as it is"
    pub = wf.publish
    images = ", ".join(pub.images) or "an image"
    registry = pub.registry or "Docker Hub"
    on = f" on {', '.join(pub.branches)}" if pub.branches else ""
    secrets = f" with the secrets {', '.join(pub.secrets)}" if pub.secrets else ""
    return (
        f"pushes {images} to {registry}{on}{secrets}; kept as it is: mlgate's workflow "
        "builds and checks the image but never pushes it"
    )


def next_steps(
    project: Project,
    plan: Plan,
    options: InitOptions,
    kept: tuple[str, ...],
    serving_data: str | None,
) -> list[str]:
    """What a person must review or do before (or after) the first pull request."""
    from mlgate.ci.init import PLACEHOLDER_CURRENT, empty_gate

    notes = [f"review the guess: {g}" for g in project.guesses]
    if CONFIG_NAME not in kept and empty_gate(project):
        notes.append(
            f"nothing to check was found (no table, no training spec): until {CONFIG_NAME} "
            "names a stage, the gate passes and its report says nothing was checked "
            "(mlgate run --allow-empty); uncomment its data: section when there is data"
        )
    elif CONFIG_NAME not in kept and (project.reference is None or project.current is None):
        missing = "reference" if project.reference is None else "current"
        notes.append(
            f"{CONFIG_NAME}: no {missing} data file was found; set data.reference and "
            "data.current before `mlgate run`"
        )
    if CONFIG_NAME not in kept and project.pipeline is not None:
        notes.append(
            f"{CONFIG_NAME}: the pipeline stage runs the functions of "
            f"{project.pipeline.module}; check its steps, then write their contracts with "
            "`mlgate pipeline infer` and commit contracts/ (docs/pipeline.md)"
        )
    notes += _dvc_notes(project)
    if plan.image_job:
        if not (project.root / plan.model).is_file():
            notes.append(
                f"the image serves {plan.model}, which does not exist yet: save the model "
                "there with skops and commit it, or change MODEL in the pipeline and CMD in "
                "the Dockerfile"
            )
        if serving_data is None and project.current is None:
            notes.append(
                f"the serving check sends the rows of {PLACEHOLDER_CURRENT}: change --data in "
                "the pipeline to the held-out data"
            )
        if plan.serving == "pickle":
            notes.append(
                f"the image serves the pickle {plan.model} with --trust-pickle, which runs the "
                "code a pickle holds: keep it to models this repository built, or save a skops "
                "file (mlgate.serving.save_model)"
            )
    if plan.publish is not None:
        notes.append(
            f"the image is still pushed by {plan.publish.path}, unchanged, whatever the gate "
            "says; to push only images that passed it, run that workflow on "
            "`workflow_run: {workflows: [mlgate], types: [completed]}` with "
            "`if: github.event.workflow_run.conclusion == 'success'`, or move its push steps "
            "into mlgate's workflow as a job that `needs: [gate]`"
        )
    elif plan.image_job:
        image = plan.image_name
        if registry_of(image) is None and "/" not in image:
            notes.append(
                f"the image name {image!r} has no registry or namespace, so it cannot be "
                f"pushed: pass --image-name, e.g. ghcr.io/OWNER/{image} or DOCKERHUB_USER/{image}"
            )
        if options.ci == "github":
            notes.append(
                f"to push the image from {plan.branch.name}, add the repository secrets "
                "REGISTRY_USERNAME and REGISTRY_PASSWORD in Settings > Secrets and variables "
                "> Actions"
            )
        else:
            notes.append(
                "to push the image from the default branch, add the CI/CD variables "
                "REGISTRY_USERNAME and REGISTRY_PASSWORD (masked, protected) in "
                "Settings > CI/CD > Variables"
            )
    if plan.spec.local:
        notes.append(
            f"this mlgate was installed from {plan.spec.local}, which CI cannot reach: if "
            f"{plan.spec.requirement} is not on your package index, run init again with "
            "--mlgate-spec git+https://…@TAG or --mlgate-spec dist/mlgate-….whl"
        )
    if plan.mlgate_python != plan.python and project.entrypoints:
        notes.append(
            f"training entrypoints run inside mlgate's Python {plan.mlgate_python}, not the "
            f"project's {plan.python}: they need the project to install on {plan.mlgate_python}"
        )
    return notes


def _dvc_notes(project: Project) -> list[str]:
    dvc = project.dvc
    if dvc is None or not any(t.dvc for t in project.tables):
        return []
    if dvc.remote_scheme is None:
        return [
            "DVC has no remote in .dvc/config: `dvc pull` in CI has nowhere to pull from; "
            "add one (dvc remote add -d NAME URL) and push the data to it"
        ]
    if dvc.remote_scheme == "local":
        return [
            f"DVC's remote {dvc.remote_name!r} is a local folder, which CI cannot reach: "
            "use a shared remote (S3, GCS, Azure, SSH, HTTP) for `dvc pull` to work in CI"
        ]
    _, needs = DVC_REMOTES.get(dvc.remote_scheme, ("", ("its credentials",)))
    return [
        f"DVC's remote {dvc.remote_name!r} ({dvc.remote_scheme}) needs credentials in CI: add "
        f"{', '.join(needs)} as repository secrets; the 'Pull the DVC-tracked data' step "
        "reads them (pull requests from forks get no secrets, so their pull fails)"
    ]
