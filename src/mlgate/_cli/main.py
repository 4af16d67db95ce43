"""The command line: parse, call the API, map errors to exit codes. Nothing else lives here."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import click

from mlgate import __version__
from mlgate._cli.comment import comment_cmd
from mlgate._cli.init import init_cmd
from mlgate._cli.model import baseline_group, check_model_cmd
from mlgate._cli.options import (
    engine_of,
    engine_options,
    format_option,
    output_option,
    severity_option,
)
from mlgate._cli.output import report_command, report_stream
from mlgate._cli.pipeline import check_pipeline_cmd, pipeline_group
from mlgate._cli.serving import check_serving_cmd, serve_cmd

EXIT_PASS, EXIT_FAIL, EXIT_USAGE, EXIT_INTERNAL = 0, 1, 2, 3


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="mlgate")
def cli() -> None:
    """mlgate: the CI gate for ML projects: data, training, model and serving checks.

    Exit codes: 0 passed, 1 the gate failed, 2 bad usage, config or input,
    3 internal error.
    """


cli.add_command(comment_cmd)
cli.add_command(init_cmd)
cli.add_command(serve_cmd)
cli.add_command(baseline_group)
cli.add_command(pipeline_group)


@cli.command("profile")
@click.argument("data")
@click.option(
    "--output",
    "-o",
    type=click.Path(dir_okay=False),
    default=None,
    help="Write the profile JSON to FILE (atomically).",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(("text", "json")),
    default=None,
    help="text: a summary table; json: the profile file. Default: json with -o, else text.",
)
@engine_options
@report_command
def profile_cmd(
    data: str, output: str | None, fmt: str | None, engine: str, spark_master: str | None
) -> None:
    """Profile DATA (CSV, Parquet file/folder/glob, JSON Lines, Arrow IPC; with --engine
    spark, Parquet paths or URIs and spark:db.table) once, into a small mergeable
    profile that every other command accepts in place of the data."""
    from mlgate.data.gate import is_empty_file, profile_input
    from mlgate.data.profile import dumps

    settings = engine_of(engine, spark_master)
    with _progress("profiling") as tick:
        prof = profile_input(data, progress=tick, engine=settings)
    fmt = fmt or ("json" if output else "text")
    text = dumps(prof) if fmt == "json" else _profile_table(prof)
    _emit(text, output)
    if prof.rows == 0:
        what = (
            "the file is empty (0 bytes: not written, or cut short?), so the profile has no "
            "rows and no columns"
            if is_empty_file(data)
            else f"no rows ({len(prof.columns)} columns)"
        )
        click.echo(
            f"mlgate: warning: {data}: {what}; as current data it fails "
            "quality.empty_dataset, and as a reference it is refused",
            err=True,
        )


def _profile_table(prof: Any) -> str:
    import io

    from rich.console import Console
    from rich.table import Table

    from mlgate.data.profile import duplicate_summary

    buf = io.StringIO()
    console = Console(file=buf, width=120, no_color=True)
    from mlgate._format import extreme

    table = Table(
        title=f"{prof.source}: {prof.rows} rows, {len(prof.columns)} columns, "
        f"{duplicate_summary(prof)}"
    )
    for head in ("column", "type", "nulls", "NaN/inf", "distinct", "min", "max", "mean", "std"):
        table.add_column(head, overflow="fold")
    for c in prof.columns:
        table.add_row(
            c.name,
            c.logical_type,
            str(c.nulls),
            str(c.nan + c.posinf + c.neginf),
            f"{c.distinct_count:.0f}",
            extreme(c.min, c.kind),
            extreme(c.max, c.kind),
            _num(c.moments.mean if c.moments.n else None),
            _num(c.known_std),  # blank where float64 cannot hold it
        )
    console.print(table)
    return buf.getvalue()


def _num(x: float | None) -> str:
    return "" if x is None or x != x else f"{x:.4g}"


@cli.group("schema")
def schema_group() -> None:
    """Infer a schema from data, or validate data against one."""


@schema_group.command("infer")
@click.argument("data")
@click.option(
    "--output",
    "-o",
    type=click.Path(dir_okay=False),
    default=None,
    help="Write the schema YAML to FILE (atomically) instead of standard output.",
)
@engine_options
@report_command
def schema_infer(data: str, output: str | None, engine: str, spark_master: str | None) -> None:
    """Infer a reviewable YAML schema (types, null fractions, ranges, domains, drift
    thresholds) from DATA or a saved profile."""
    from mlgate.data.gate import profile_input
    from mlgate.data.schema import dump_schema, infer_schema, kind_reasons

    settings = engine_of(engine, spark_master)
    with _progress("profiling") as tick:
        prof = profile_input(data, progress=tick, engine=settings)
    if prof.rows == 0:
        from mlgate.errors import InputError

        raise InputError(f"{data}: has no rows; a schema cannot be inferred from an empty table")
    _emit(dump_schema(infer_schema(prof), kind_reasons(prof)), output)


@schema_group.command("validate")
@click.argument("data")
@click.option(
    "--schema",
    "schema_path",
    required=True,
    type=click.Path(dir_okay=False),
    help="The schema YAML file.",
)
@format_option
@output_option
@severity_option
@engine_options
@report_command
def schema_validate(
    data: str,
    schema_path: str,
    fmt: str,
    output: str | None,
    severity: tuple[str, ...],
    engine: str,
    spark_master: str | None,
) -> None:
    """Validate DATA against a schema and report every anomaly."""
    from mlgate._digest import digest_files_ahead

    digest_files_ahead(data)  # beside the imports below
    from mlgate.data.gate import validate

    sev = _parse_severity(severity)
    settings = engine_of(engine, spark_master)
    with _progress("profiling") as tick:
        report = validate(data, schema_path, severity=sev, progress=tick, engine=settings)
    _finish(report, fmt, output, schema_path)


@cli.group("check")
def check_group() -> None:
    """Run one stage of the gate."""


check_group.add_command(check_serving_cmd)
check_group.add_command(check_model_cmd)
check_group.add_command(check_pipeline_cmd)


@check_group.command("data")
@click.option(
    "--reference",
    required=True,
    metavar="REF",
    help="Reference data (the training data, or main's data) or its profile.",
)
@click.option(
    "--current",
    required=True,
    metavar="CUR",
    help="New data, or serving logs (with --mode skew), or its profile.",
)
@click.option(
    "--schema",
    "schema_path",
    type=click.Path(dir_okay=False),
    default=None,
    help="Schema YAML; inferred from the reference when not given.",
)
@click.option("--target", default=None, help="Target column: its distribution is checked too.")
@click.option(
    "--mode",
    type=click.Choice(("drift", "skew")),
    default="drift",
    show_default=True,
    help="skew: CUR is serving logs and the comparison is reported as training/serving skew.",
)
@format_option
@output_option
@severity_option
@engine_options
@report_command
def check_data_cmd(
    reference: str,
    current: str,
    schema_path: str | None,
    target: str | None,
    mode: str,
    fmt: str,
    output: str | None,
    severity: tuple[str, ...],
    engine: str,
    spark_master: str | None,
) -> None:
    """Check CUR against REF: schema, quality and drift (or training/serving skew)."""
    from mlgate._digest import digest_files_ahead

    digest_files_ahead(reference, current)  # beside the imports below
    from mlgate.data.gate import check_data

    sev = _parse_severity(severity)
    settings = engine_of(engine, spark_master)
    with _progress("profiling") as tick:
        report = check_data(
            reference,
            current,
            schema=schema_path,
            target=target,
            mode=mode,
            severity=sev,
            progress=tick,
            engine=settings,
        )
    _finish(report, fmt, output, schema_path)


@check_group.command("training")
@click.option(
    "--entrypoint",
    required=True,
    metavar="FILE.py:FUNC",
    help="Function returning the training spec: FILE.py:FUNC or package.module:FUNC.",
)
@click.option(
    "--steps",
    type=click.IntRange(min=1),
    default=100,
    show_default=True,
    help="Optimizer steps over the batches (PyTorch).",
)
@click.option(
    "--epochs",
    type=click.IntRange(min=1),
    default=None,
    help="Passes over the batches instead of --steps (PyTorch).",
)
@click.option(
    "--time-limit",
    type=click.FloatRange(min=0, min_open=True),
    default=120.0,
    show_default=True,
    help="Seconds; stops the run early with a warning.",
)
@click.option("--seed", type=int, default=0, show_default=True, help="Seed for every run.")
@format_option
@output_option
@severity_option
@report_command
def check_training_cmd(
    entrypoint: str,
    steps: int,
    epochs: int | None,
    time_limit: float,
    seed: int,
    fmt: str,
    output: str | None,
    severity: tuple[str, ...],
) -> None:
    """Run the training checks on the spec FUNC() returns: finite values, every
    parameter updated, loss falling, one batch overfit, reproducible (PyTorch); fit,
    predictions, beating a dummy baseline, loss over iterations (scikit-learn-like)."""
    from mlgate.training.gate import check_training
    from mlgate.training.spec import Budget

    sev = _parse_severity(severity)
    budget = Budget(steps=steps, epochs=epochs, time_limit=time_limit, seed=seed)
    report = check_training(entrypoint, budget=budget, severity=sev)
    _finish(report, fmt, output)


@cli.command("run")
@click.option(
    "--config",
    "-c",
    "config_path",
    type=click.Path(dir_okay=False),
    default="mlgate.yaml",
    show_default=True,
    help="The gate's configuration.",
)
@click.option(
    "--baseline",
    default=None,
    metavar="REF",
    help="Compare the model, and the pipeline's step outputs, with main's: at the merge "
    "base of HEAD and REF (e.g. origin/main), run in a temporary git worktree and cached "
    "in .mlgate/cache.",
)
@click.option(
    "--allow-empty",
    is_flag=True,
    help="Pass, saying nothing was checked, when mlgate.yaml names no stage yet (a "
    "repository with no data or model; mlgate init's workflow passes it then). "
    "Without it, no stage is a config error (exit 2).",
)
@format_option
@output_option
@report_command
def run_cmd(
    config_path: str, baseline: str | None, allow_empty: bool, fmt: str, output: str | None
) -> None:
    """Run the whole gate described by mlgate.yaml and write the reports it names."""
    from mlgate.gate import run_gate, schema_path_of

    with _progress("profiling") as tick:
        report = run_gate(config_path, baseline=baseline, progress=tick, allow_empty=allow_empty)
    # --format github points schema findings at their line in the committed schema.
    _finish(report, fmt, output, schema_path_of(config_path) if fmt == "github" else None)


@cli.command("demo")
@click.option("--clean", is_flag=True, help="Run on the clean batch: the gate passes.")
@format_option
@output_option
@report_command
def demo_cmd(clean: bool, fmt: str, output: str | None) -> None:
    """Run the gate on the bundled Palmer penguins example (a failing pull request batch,
    or with --clean a passing one)."""
    from mlgate.demo import run_demo

    report = run_demo(clean=clean)
    _finish(report, fmt, output)


def _parse_severity(items: tuple[str, ...]) -> dict[str, str]:
    from mlgate.codes import is_known_code_or_prefix, unknown_code_message
    from mlgate.errors import MlgateError

    out: dict[str, str] = {}
    for item in items:
        code, sep, level = item.partition("=")
        if not sep or level not in ("ignore", "warn", "fail"):
            raise MlgateError(
                f"--severity {item!r}: expected CODE=LEVEL with LEVEL one of ignore, warn, fail"
            )
        if not is_known_code_or_prefix(code):
            raise MlgateError(f"--severity {item!r}: {unknown_code_message(code)}")
        out[code] = level
    return out


def _finish(report: Any, fmt: str, output: str | None, schema_path: str | None = None) -> None:
    """Write the report (to stdout, or to ``output`` with the verdict line and the
    file's path on stderr) and exit 0 or 1 by the verdict."""
    from mlgate.reports import render
    from mlgate.reports.summary import verdict_line

    color = fmt == "text" and output is None and _isatty(report_stream())
    _emit(render(report, fmt, color=color, schema_path=schema_path), output)
    if output is not None:
        click.echo(f"{verdict_line(report)}; report written to {output}", err=True)
    sys.exit(EXIT_PASS if report.passed else EXIT_FAIL)


def _emit(text: str, output: str | None) -> None:
    """Write ``text`` to the report's standard output, or atomically to ``output``."""
    if output is None:
        stream = report_stream()
        stream.write(text)
        stream.flush()
        return
    from mlgate._atomic import write_text_atomic

    write_text_atomic(output, text)


def _isatty(stream: Any) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, OSError, ValueError):
        return False


@contextmanager
def _progress(label: str) -> Iterator[Callable[[int], None] | None]:
    """A live row counter on a terminal; silent (no callback at all) otherwise."""
    if not sys.stderr.isatty() or os.environ.get("CI"):
        yield None
        return
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    with Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        TextColumn("{task.completed:,} rows"),
        TimeElapsedColumn(),
        transient=True,
    ) as bar:
        task = bar.add_task(label, total=None)
        yield lambda rows: bar.advance(task, rows)


def main(argv: list[str] | None = None) -> None:
    """Entry point: every outcome becomes one of the four exit codes."""
    from mlgate.errors import MlgateError

    try:
        cli.main(args=argv, prog_name="mlgate", standalone_mode=False)
        sys.exit(EXIT_PASS)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except click.exceptions.Abort:
        click.echo("mlgate: aborted", err=True)
        sys.exit(EXIT_USAGE)
    except click.UsageError as exc:
        message = " ".join(exc.format_message().split())
        command = exc.ctx.command_path if exc.ctx is not None else "mlgate"
        where = f"; see '{command} --help'"
        click.echo(f"mlgate: error: {message}{where}", err=True)
        if _wants_github(argv):
            _annotate([(f"{message}{where}", None, None)])
        sys.exit(EXIT_USAGE)
    except click.ClickException as exc:
        message = " ".join(exc.format_message().split())
        click.echo(f"mlgate: error: {message}", err=True)
        if _wants_github(argv):
            _annotate([(message, None, None)])
        sys.exit(EXIT_USAGE)
    except MlgateError as exc:
        for problem in exc.problems:
            click.echo(f"mlgate: error: {problem.message}", err=True)
        if _wants_github(argv):
            _annotate([(p.message, p.file, p.line) for p in exc.problems])
        sys.exit(exc.exit_code)
    except SystemExit:
        raise
    except KeyboardInterrupt:
        click.echo("mlgate: interrupted", err=True)
        sys.exit(130)
    except BaseException as exc:  # a bug: say so, keep the traceback for the report
        path = _write_traceback()
        message = (
            f"internal error (a bug in mlgate): {type(exc).__name__}: {exc}; "
            f"traceback written to {path}; please report it"
        )
        click.echo(f"mlgate: {message}", err=True)
        if _wants_github(argv):
            _annotate([(message, None, None)], title="mlgate internal error (exit 3)")
        sys.exit(EXIT_INTERNAL)


def _wants_github(argv: list[str] | None) -> bool:
    """Whether the command line asked for ``--format github`` (read from the arguments
    themselves: an error may come before or during click's parsing)."""
    args = sys.argv[1:] if argv is None else argv
    return any(
        a == "--format=github" or (a == "--format" and nxt == "github")
        for a, nxt in zip(args, [*args[1:], ""], strict=True)
    )


def _annotate(problems: list[tuple[str, str | None, int | None]], **kwargs: Any) -> None:
    """The error as GitHub workflow commands on standard output, where the runner reads
    them, so that it shows on the pull request."""
    from mlgate.reports.github import error_annotations

    try:
        sys.stdout.write(error_annotations(problems, **kwargs))
        sys.stdout.flush()
    except (OSError, ValueError):
        pass


def _write_traceback() -> str:
    import tempfile  # only after a crash: 13 ms of every command's start-up otherwise
    import traceback

    fd, path = tempfile.mkstemp(prefix="mlgate-crash-", suffix=".txt")
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(f"mlgate {__version__}\n{traceback.format_exc()}")
    return path


if __name__ == "__main__":
    main()
