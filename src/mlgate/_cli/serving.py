"""``mlgate serve`` and ``mlgate check serving``: parse, call mlgate.serving, exit.

Only click is imported here; flask, gunicorn and scikit-learn load when a command runs.
The shared helpers of ``mlgate._cli.main`` are imported inside the commands, so that
main may import this module at any point without a cycle.
"""

from __future__ import annotations

from pathlib import Path

import click

from mlgate._cli.options import format_option, output_option, severity_option
from mlgate._cli.output import report_command
from mlgate.serving import defaults

_model_option = click.option(
    "--model",
    "model",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="The model artifact: a .skops file (mlgate.serving.save_model), or a pickle with "
    "--trust-pickle.",
)
_schema_option = click.option(
    "--schema",
    "schema_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="The committed schema YAML; requests are checked against it.",
)
_target_option = click.option(
    "--target",
    default=None,
    help="The schema's label column: not needed in requests; predictions are logged under "
    "its name.",
)
_trust_pickle_option = click.option(
    "--trust-pickle",
    is_flag=True,
    help="Allow a .pkl/.pickle/.joblib model. Loading a pickle runs the code it holds: "
    "only for files you trust.",
)


@click.command("serve")
@click.option(
    "--model",
    "model",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="The model artifact: a .skops file (mlgate.serving.save_model), or a pickle with "
    "--trust-pickle.",
)
@click.option(
    "--schema",
    "schema_path",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="The committed schema YAML; requests are checked against it.",
)
@_target_option
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option(
    "--port", type=click.IntRange(1, 65535), default=8000, show_default=True, help="Port."
)
@click.option(
    "--workers",
    type=click.IntRange(min=1),
    default=defaults.WORKERS,
    show_default=True,
    help="gunicorn worker processes.",
)
@click.option(
    "--log-requests",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    metavar="FILE",
    help="Append each predicted record (its fields and the prediction) to FILE as JSON Lines, "
    "for 'mlgate check data --mode skew'.",
)
@_trust_pickle_option
@click.option(
    "--strict",
    is_flag=True,
    help="Refuse (400) values outside the schema's range or domain too. Default: serve "
    "them, listed under 'warnings' in the response and in the server's log.",
)
@click.option(
    "--max-records",
    type=click.IntRange(min=1),
    default=1000,
    show_default=True,
    help="Most records one request may hold.",
)
@click.option("--name", default=None, help="Model name in /metadata [default: the file's stem].")
@click.option(
    "--model-version",
    default=None,
    help="Model version in /metadata [default: the file's SHA-256, 12 digits].",
)
def serve_cmd(
    model: Path,
    schema_path: Path,
    target: str | None,
    host: str,
    port: int,
    workers: int,
    log_requests: Path | None,
    trust_pickle: bool,
    strict: bool,
    max_records: int,
    name: str | None,
    model_version: str | None,
) -> None:
    """Serve a model with gunicorn: GET /health, GET /metadata, POST /predict.

    Requests are JSON records (a list, or {"records": [...]}) checked against the schema:
    what the model cannot take (a missing field, a wrong type, NaN or inf where not
    allowed, a value its encoder refuses) gets a 400 naming each field at fault. Values
    outside the schema's range or domain are served and marked, unless --strict.
    """
    from mlgate.errors import MlgateError
    from mlgate.serving.runner import ServeSettings, serve

    settings = ServeSettings(
        model=model,
        schema=schema_path,
        target=target,
        host=host,
        port=port,
        workers=workers,
        log_requests=log_requests,
        trust_pickle=trust_pickle,
        strict=strict,
        name=name,
        version=model_version,
        max_records=max_records,
    )
    code = serve(settings)
    if code != 0:
        raise MlgateError(f"gunicorn exited with code {code}; its messages are above")


@click.command("serving")
@_model_option
@_schema_option
@click.option(
    "--url",
    default=None,
    help="Check a running server at URL (e.g. http://127.0.0.1:8000) instead of starting one.",
)
@click.option(
    "--image",
    default=None,
    help="Run this serving image with Docker (port 8000 published on 127.0.0.1) and check it.",
)
@click.option(
    "--data",
    required=True,
    metavar="HELD_OUT",
    help="Held-out rows to send (CSV, Parquet, JSON Lines, Arrow IPC).",
)
@_target_option
@click.option(
    "--timeout",
    type=click.FloatRange(min=0, min_open=True),
    default=defaults.TIMEOUT_S,
    show_default=True,
    help="Seconds to wait for /health, and for any one request.",
)
@click.option(
    "--latency-p50-ms",
    type=click.FloatRange(min=0, min_open=True),
    default=None,
    help="Budget for the median latency of a single-record request [default: none].",
)
@click.option(
    "--latency-p95-ms",
    type=click.FloatRange(min=0, min_open=True),
    default=defaults.LATENCY_P95_MS,
    show_default=True,
    help="Budget for the 95th percentile latency of a single-record request.",
)
@click.option(
    "--latency-p99-ms",
    type=click.FloatRange(min=0, min_open=True),
    default=None,
    help="Budget for the 99th percentile latency of a single-record request [default: none].",
)
@click.option(
    "--min-throughput",
    type=click.FloatRange(min=0),
    default=defaults.MIN_THROUGHPUT,
    show_default=True,
    help="Least requests per second from 4 concurrent clients.",
)
@click.option(
    "--workers",
    type=click.IntRange(min=1),
    default=defaults.WORKERS,
    show_default=True,
    help="gunicorn workers, when mlgate starts the app.",
)
@click.option(
    "--max-rows",
    type=click.IntRange(min=1),
    default=defaults.MAX_ROWS,
    show_default=True,
    help="Send at most this many held-out rows (the first ones).",
)
@click.option(
    "--timing-requests",
    type=click.IntRange(min=1),
    default=defaults.TIMING_REQUESTS,
    show_default=True,
    help="Requests timed for latency (one after another), and again for throughput.",
)
@click.option(
    "--health-path",
    default="/health",
    show_default=True,
    metavar="PATH",
    help="The server's health route. A server without one (404) is ready once "
    "--predict-path answers.",
)
@click.option(
    "--predict-path",
    default="/predict",
    show_default=True,
    metavar="PATH",
    help="The server's prediction route (POST, a JSON list of records).",
)
@_trust_pickle_option
@format_option
@output_option
@severity_option
@report_command
def check_serving_cmd(
    model: Path | None,
    schema_path: Path | None,
    url: str | None,
    image: str | None,
    data: str,
    target: str | None,
    timeout: float,
    latency_p50_ms: float | None,
    latency_p95_ms: float,
    latency_p99_ms: float | None,
    min_throughput: float,
    workers: int,
    max_rows: int,
    timing_requests: int,
    health_path: str,
    predict_path: str,
    trust_pickle: bool,
    fmt: str,
    output: str | None,
    severity: tuple[str, ...],
) -> None:
    """Check a served model: start it (--model and --schema), or run --image, or use
    --url; send the held-out rows; compare online with offline predictions (with
    --model), send malformed requests, and time latency and throughput.

    Whatever it starts it stops, also on failure or Ctrl-C.
    """
    from mlgate._cli.main import _finish, _parse_severity
    from mlgate.serving.probe import ProbeSettings, ServingBudget, check_serving

    if url is not None and image is not None:
        raise click.UsageError("give either --url or --image, not both")
    if url is None and image is None and (model is None or schema_path is None):
        raise click.UsageError(
            "give --model and --schema (mlgate starts the app), or --url, or --image"
        )
    sev = _parse_severity(severity)
    report = check_serving(
        data,
        model=model,
        schema=schema_path,
        url=url,
        image=image,
        target=target,
        trust_pickle=trust_pickle,
        workers=workers,
        budget=ServingBudget(
            latency_p50_ms=latency_p50_ms,
            latency_p95_ms=latency_p95_ms,
            latency_p99_ms=latency_p99_ms,
            min_throughput=min_throughput,
        ),
        settings=ProbeSettings(
            timeout=timeout,
            max_rows=max_rows,
            latency_requests=timing_requests,
            throughput_requests=timing_requests,
            health_path=health_path,
            predict_path=predict_path,
        ),
        severity=sev,
    )
    _finish(report, fmt, output)
