"""``mlgate check model`` and ``mlgate baseline save``: parse, call mlgate.evaluation, exit.

Only click is imported here; scikit-learn, statsmodels and the model load when a
command runs.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from mlgate._cli.options import format_option, output_option, severity_option
from mlgate._cli.output import report_command

F = TypeVar("F", bound=Callable[..., Any])

_METRIC_HELP = (
    "accuracy, balanced_accuracy, macro_f1, roc_auc, log_loss, ece (classification); "
    "rmse, mae, r2 (regression)"
)


def _pairs(items: tuple[str, ...], option: str) -> dict[str, float]:
    from mlgate.errors import MlgateError

    out: dict[str, float] = {}
    for item in items:
        name, sep, value = item.partition("=")
        try:
            out[name] = float(value)
        except ValueError:
            sep = ""
        if not sep:
            raise MlgateError(f"{option} {item!r}: expected METRIC=NUMBER, e.g. {option} rmse=0.05")
    return out


def _candidate(model: str | None, entrypoint: str | None, predictions: str | None) -> str:
    from mlgate.errors import MlgateError

    given = [v for v in (model, entrypoint, predictions) if v is not None]
    if len(given) != 1:
        raise MlgateError(
            "check model: give exactly one of --model FILE, --entrypoint FILE.py:FUNC or "
            "--predictions FILE"
        )
    if entrypoint is not None and ":" not in entrypoint:
        raise MlgateError(
            f"--entrypoint {entrypoint!r}: expected FILE.py:FUNC or package.module:FUNC, "
            "e.g. model.py:spec"
        )
    return given[0]


_CANDIDATE_OPTIONS = [
    click.option(
        "--model",
        default=None,
        metavar="MODEL",
        help="The model: a .skops file (pickles need --trust-pickle).",
    ),
    click.option(
        "--entrypoint",
        default=None,
        metavar="FILE.py:FUNC",
        help="A function returning 'predict' (and optionally 'predict_proba' with "
        "'classes', 'model'): for PyTorch and other models.",
    ),
    click.option(
        "--predictions",
        default=None,
        metavar="FILE",
        help="The model's predictions: a row id column, 'prediction' and optionally "
        "'proba_<class>' columns.",
    ),
    click.option(
        "--data",
        required=True,
        metavar="EVAL",
        help="Evaluation rows (CSV, Parquet, JSON Lines, Arrow) with the target.",
    ),
    click.option("--target", required=True, help="The target column of EVAL."),
    click.option(
        "--id-column",
        default="row_id",
        show_default=True,
        help="Row id column matching predictions files to EVAL's rows (EVAL without "
        "it is numbered from 0).",
    ),
    click.option(
        "--trust-pickle",
        is_flag=True,
        help="Allow .pkl/.pickle/.joblib models: loading one runs the code it holds.",
    ),
]


def _candidate_options(f: F) -> F:
    """The options naming a model and its evaluation rows, shared by both commands."""
    for option in reversed(_CANDIDATE_OPTIONS):
        f = option(f)
    return f


@click.command("model")
@_candidate_options
@click.option(
    "--baseline",
    default=None,
    metavar="BASELINE",
    help="Main's model: a model file, FILE.py:FUNC, a predictions file, or a folder "
    "from 'mlgate baseline save'.",
)
@click.option(
    "--slice",
    "slices",
    multiple=True,
    metavar="COL",
    help="Also compare per value of COL (or per quantile bin when numeric); repeatable.",
)
@click.option(
    "--task",
    type=click.Choice(("classification", "regression")),
    default=None,
    help="Inferred from the target and the model when not given.",
)
@click.option(
    "--primary",
    default=None,
    metavar="METRIC",
    help=f"The metric that decides the gate ({_METRIC_HELP}). Default: balanced_accuracy or rmse.",
)
@click.option(
    "--gate",
    "gate_metrics",
    multiple=True,
    metavar="METRIC",
    help="Another metric that fails the gate when worse (repeatable).",
)
@click.option(
    "--margin",
    "margins",
    multiple=True,
    metavar="METRIC=M",
    help="Non-inferiority margin: absolute for rates (0.01 = 1 point), relative for "
    "errors (0.02 = 2%); repeatable.",
)
@click.option(
    "--floor",
    "floors",
    multiple=True,
    metavar="METRIC=V",
    help="A value the metric must reach, overall and per slice; repeatable.",
)
@click.option(
    "--train-data",
    default=None,
    metavar="DATA",
    help="Training data: a linear model fitted on it must not beat the model either.",
)
@click.option("--seed", type=int, default=0, show_default=True, help="Bootstrap seed.")
@click.option(
    "--cache-dir",
    type=click.Path(file_okay=False),
    default=".mlgate/cache",
    show_default=True,
    help="Where a baseline model's predictions are cached.",
)
@click.option("--no-cache", is_flag=True, help="Neither read nor write the cache.")
@format_option
@output_option
@severity_option
@report_command
def check_model_cmd(
    model: str | None,
    entrypoint: str | None,
    predictions: str | None,
    data: str,
    target: str,
    id_column: str,
    trust_pickle: bool,
    baseline: str | None,
    slices: tuple[str, ...],
    task: str | None,
    primary: str | None,
    gate_metrics: tuple[str, ...],
    margins: tuple[str, ...],
    floors: tuple[str, ...],
    train_data: str | None,
    seed: int,
    cache_dir: str,
    no_cache: bool,
    fmt: str,
    output: str | None,
    severity: tuple[str, ...],
) -> None:
    """Is the model worse than main's, beyond noise? Both are scored on the same rows
    of EVAL and compared per metric with a paired non-inferiority test (exact McNemar,
    DeLong, paired bootstrap; Holm across metrics and slices). Also floors, slices, a
    dummy model to beat. See docs/model-gate.md."""
    from mlgate._cli.main import _finish, _parse_severity
    from mlgate.evaluation.check import check_model
    from mlgate.evaluation.gate import ModelGateSettings

    settings = ModelGateSettings(
        task=task,  # type: ignore[arg-type]
        primary=primary,
        gate=gate_metrics,
        margins=_pairs(margins, "--margin"),
        floors=_pairs(floors, "--floor"),
        slices=slices,
        seed=seed,
    )
    report = check_model(
        data,
        target,
        model=_candidate(model, entrypoint, predictions),
        baseline=baseline,
        settings=settings,
        trust_pickle=trust_pickle,
        id_column=id_column,
        cache_dir=None if no_cache else cache_dir,
        train_data=train_data,
        severity=_parse_severity(severity),
    )
    _finish(report, fmt, output)


@click.group("baseline")
def baseline_group() -> None:
    """Save main's model predictions for pull requests to compare with."""


@baseline_group.command("save")
@click.argument("folder", type=click.Path(file_okay=False))
@_candidate_options
@click.option("--commit", default=None, hidden=True, help="The commit the model is from.")
@click.option("--key", default=None, hidden=True, help="The cache key it is stored under.")
def baseline_save_cmd(
    folder: str,
    model: str | None,
    entrypoint: str | None,
    predictions: str | None,
    data: str,
    target: str,
    id_column: str,
    trust_pickle: bool,
    commit: str | None,
    key: str | None,
) -> None:
    """Write FOLDER: the model's predictions on EVAL, their digest, the data's, and a copy
    of the model file (so a pull request that changes EVAL can be re-scored). Run it on
    main; pass FOLDER to 'mlgate check model --baseline'."""
    from mlgate.evaluation.baseline import save_baseline
    from mlgate.evaluation.check import model_output
    from mlgate.evaluation.predictions import is_model_file, load_eval_data
    from mlgate.gitinfo import head_commit

    ref = _candidate(model, entrypoint, predictions)
    eval_data = load_eval_data(data, target, id_column=id_column)
    out = model_output(ref, eval_data, trust_pickle=trust_pickle)
    save_baseline(
        Path(folder),
        out,
        eval_data,
        model_path=ref if is_model_file(ref) else None,
        commit=commit or head_commit(),
        key=key,
    )
    click.echo(
        f"mlgate: saved the baseline of {out.source} on {eval_data.rows} rows to {folder}", err=True
    )
