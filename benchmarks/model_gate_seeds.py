"""How far each metric moves when the same pipeline is retrained with another seed, and
what mlgate's model gate says about it: the spread a margin must absorb.

On scikit-learn's bundled data sets, split in halves (``train_test_split(test_size=0.5,
random_state=0)``, stratified for digits), each pipeline is trained on the first half
with seeds 0..9 (``random_state``) and evaluated on the second half:

- digits (classification, 10 classes, 899 evaluation rows): ``RandomForestClassifier(
  n_estimators=100)``, ``GradientBoostingClassifier(n_estimators=50)``, and
  ``StandardScaler`` + ``MLPClassifier((64,), max_iter=300)``;
- diabetes (regression, 221 evaluation rows): ``GradientBoostingRegressor()`` and
  ``RandomForestRegressor()``.

Each seed s in 1..9 is then a candidate against seed 0 as main's baseline, judged by
``mlgate.evaluation.check.check_model`` on predictions files (as ``mlgate check model
--predictions ... --baseline ...`` would), with the default settings: margins of 1 point
for rates and 2% of the baseline's value for errors, the primary metric (balanced
accuracy, RMSE) the only one that can fail the gate, every other metric warning when
worse beyond its margin. Same pipeline, same data, another seed: every one of these
pull requests is harmless, so a FAIL is a false alarm, and a WARN on the primary metric
says the evaluation rows cannot resolve its margin.

For each model and metric it reports seed 0's value, the largest |difference| from seed
0 over seeds 1..9 (points for rates, % of seed 0's value for errors), the margin, how
many of the 9 seed pairs the metric's finding FAILs, WARNs or passes, and the median
half-width of the 95% interval (what these rows can resolve). The table is printed and
recorded under "## Model gate" in benchmarks/RESULTS.md. It runs in a minute or two.

    python benchmarks/model_gate_seeds.py
    python benchmarks/model_gate_seeds.py --seeds 5 --no-record     # quicker, nothing written
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import shlex
import statistics
import sys
import tempfile
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from data_gate import machine_facts, mlgate_facts  # noqa: E402
from model_gate import ROOT, record  # noqa: E402

SPLIT_SEED = 0


@dataclass(frozen=True)
class Pipeline:
    name: str
    dataset: str  # digits or diabetes
    make: Callable[[int], Any]  # seed -> an unfitted estimator


def pipelines() -> list[Pipeline]:
    from sklearn.ensemble import (
        GradientBoostingClassifier,
        GradientBoostingRegressor,
        RandomForestClassifier,
        RandomForestRegressor,
    )
    from sklearn.neural_network import MLPClassifier
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    return [
        Pipeline(
            "RandomForestClassifier(n_estimators=100)",
            "digits",
            lambda s: RandomForestClassifier(n_estimators=100, random_state=s),
        ),
        Pipeline(
            "GradientBoostingClassifier(n_estimators=50)",
            "digits",
            lambda s: GradientBoostingClassifier(n_estimators=50, random_state=s),
        ),
        Pipeline(
            "StandardScaler + MLPClassifier((64,), max_iter=300)",
            "digits",
            lambda s: make_pipeline(
                StandardScaler(), MLPClassifier((64,), max_iter=300, random_state=s)
            ),
        ),
        Pipeline(
            "GradientBoostingRegressor()",
            "diabetes",
            lambda s: GradientBoostingRegressor(random_state=s),
        ),
        Pipeline(
            "RandomForestRegressor()",
            "diabetes",
            lambda s: RandomForestRegressor(random_state=s),
        ),
    ]


@dataclass
class Split:
    x_train: Any
    y_train: Any
    x_eval: Any
    y_eval: Any
    eval_path: Path


def load_split(dataset: str, folder: Path) -> Split:
    """The bundled data set in halves; the evaluation half written as a Parquet file
    (row_id, the features, ``target``)."""
    import numpy as np
    import polars as pl
    from sklearn.datasets import load_diabetes, load_digits
    from sklearn.model_selection import train_test_split

    bunch = load_digits() if dataset == "digits" else load_diabetes()
    x, y = bunch.data, bunch.target
    stratify = y if dataset == "digits" else None
    x_tr, x_ev, y_tr, y_ev = train_test_split(
        x, y, test_size=0.5, stratify=stratify, random_state=SPLIT_SEED
    )
    path = folder / f"{dataset}-eval.parquet"
    columns: dict[str, Any] = {"row_id": np.arange(len(y_ev), dtype=np.int64)}
    columns.update({f"x{j:02d}": x_ev[:, j] for j in range(x_ev.shape[1])})
    columns["target"] = y_ev
    pl.DataFrame(columns).write_parquet(path)
    return Split(x_tr, y_tr, x_ev, y_ev, path)


def write_predictions(model: Any, split: Split, path: Path) -> None:
    import numpy as np
    import polars as pl

    columns: dict[str, Any] = {
        "row_id": np.arange(len(split.y_eval), dtype=np.int64),
        "prediction": model.predict(split.x_eval),
    }
    if hasattr(model, "predict_proba"):
        proba = model.predict_proba(split.x_eval)
        for j, c in enumerate(model.classes_):
            columns[f"proba_{c}"] = proba[:, j]
    pl.DataFrame(columns).write_parquet(path)


@dataclass
class MetricRow:
    metric: str
    relative: bool
    seed0: float = float("nan")
    margin: float = float("nan")  # in the metric's units (relative margins scaled)
    gate: bool = False
    diffs: list[float] = field(default_factory=list)  # candidate - seed 0, metric units
    half_widths: list[float] = field(default_factory=list)
    statuses: list[str] = field(default_factory=list)
    verdicts: list[str] = field(default_factory=list)


@dataclass
class ModelResult:
    pipeline: Pipeline
    rows: int
    metrics: dict[str, MetricRow]
    gate: list[str]  # per seed pair: fail, warn (passed with warnings), pass
    fit_seconds: float
    check_seconds: float


def run_pipeline(p: Pipeline, split: Split, seeds: int, folder: Path) -> ModelResult:
    from sklearn.exceptions import ConvergenceWarning

    from mlgate.evaluation.check import check_model
    from mlgate.evaluation.gate import ModelGateSettings

    task = "classification" if p.dataset == "digits" else "regression"
    stem = folder / p.name.split("(")[0].replace(" ", "").replace("+", "-")
    start = time.perf_counter()
    for seed in range(seeds):
        model = p.make(seed)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)  # MLP at max_iter=300
            model.fit(split.x_train, split.y_train)
        write_predictions(model, split, Path(f"{stem}-seed{seed}.parquet"))
    fit_seconds = time.perf_counter() - start

    rows: dict[str, MetricRow] = {}
    gate: list[str] = []
    start = time.perf_counter()
    for seed in range(1, seeds):
        report = check_model(
            str(split.eval_path),
            "target",
            model=f"{stem}-seed{seed}.parquet",
            baseline=f"{stem}-seed0.parquet",
            settings=ModelGateSettings(task=task),  # type: ignore[arg-type]
            cache_dir=None,
        )
        statuses = {str(f.status) for f in report.findings}
        gate.append("fail" if not report.passed else ("warn" if "warn" in statuses else "pass"))
        for f in report.findings:
            d = f.details or {}
            if f.name != "model.worse_than_baseline" or "verdict" not in d:
                continue
            row = rows.setdefault(d["metric"], MetricRow(d["metric"], bool(d["margin_relative"])))
            row.seed0, row.margin, row.gate = d["baseline"], d["margin"], bool(d.get("gate"))
            row.diffs.append(d["difference"])
            row.half_widths.append((d["ci_high"] - d["ci_low"]) / 2)
            row.statuses.append(str(f.status))
            row.verdicts.append(d["verdict"])
    check_seconds = time.perf_counter() - start
    return ModelResult(p, len(split.y_eval), rows, gate, fit_seconds, check_seconds)


def _amount(row: MetricRow, value: float) -> str:
    """Points for rates, % of seed 0's value for errors."""
    if row.relative:
        return f"{value / abs(row.seed0) * 100:.2f}%"
    return f"{value * 100:.2f} pts"


def table(results: list[ModelResult], seeds: int) -> str:
    pairs = seeds - 1
    lines = [
        f"| model (data, eval rows) | metric | seed 0 | max \\|Δ\\| vs seed 0 (seeds 1-{pairs}) "
        "| margin | FAIL | WARN | pass | 95% half-width (median) |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for r in results:
        first = True
        for row in r.metrics.values():
            who = f"{r.pipeline.name} ({r.pipeline.dataset}, {r.rows})" if first else ""
            first = False
            name = f"**{row.metric}** (gates)" if row.gate else row.metric
            count = {s: row.statuses.count(s) for s in ("fail", "warn", "pass")}
            lines.append(
                f"| {who} | {name} | {row.seed0:.4g} "
                f"| {_amount(row, max(abs(x) for x in row.diffs))} "
                f"| {_amount(row, row.margin)} | {count['fail']} | {count['warn']} "
                f"| {count['pass']} | {_amount(row, statistics.median(row.half_widths))} |"
            )
        verdict = {s: r.gate.count(s) for s in ("fail", "warn", "pass")}
        lines.append(
            f"| | *the gate, all findings* | | | | {verdict['fail']} | {verdict['warn']} "
            f"| {verdict['pass']} | |"
        )
    return "\n".join(lines)


def render(
    *, title: str, command: str, machine: dict[str, str], versions: dict[str, str], body: str
) -> str:
    import sklearn

    return "\n".join(
        [
            f"### {title}",
            "",
            f"- Command: `{command}`",
            f"- Machine: {machine['nproc']} cores (nproc), {machine['cpu']}, {machine['ram']} "
            f"RAM, {machine['os']}, Python {machine['python']}",
            f"- mlgate {versions['mlgate']} (commit {versions['commit']}), scikit-learn "
            f"{sklearn.__version__}",
            "- Setup: scikit-learn's digits and diabetes, split in halves "
            f"(`train_test_split(test_size=0.5, random_state={SPLIT_SEED})`, stratified for "
            "digits); each pipeline trained on the first half with `random_state` = seed, "
            "scored on the second. Each seed 1-9 is a candidate against seed 0 as main's "
            "baseline, judged by `check_model` on predictions files with the default "
            "settings (margins: 1 point for rates, 2% of the baseline for errors; the "
            "primary metric, balanced accuracy or RMSE, alone can fail; other metrics warn "
            "when worse beyond their margin). Δ and half-widths in points for rates, % of "
            "seed 0's value for errors. FAIL/WARN/pass count the metric's "
            "`model.worse_than_baseline` finding over the seed pairs; *the gate* counts "
            "whole reports: FAIL (exit 1), WARN (passed with warnings), pass.",
            "",
            body,
            "",
        ]
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="The spread of each metric over training seeds, and the model gate's "
        "verdicts on it."
    )
    parser.add_argument(
        "--seeds", type=int, default=10, help="Seeds 0..N-1; each of 1..N-1 against 0."
    )
    parser.add_argument(
        "--no-record", action="store_true", help="Print the table; leave RESULTS.md alone."
    )
    args = parser.parse_args(argv)
    if args.seeds < 2:
        parser.error("--seeds must be at least 2")
    started = time.perf_counter()

    def log(msg: str) -> None:
        print(f"[{time.perf_counter() - started:7.1f} s] {msg}", file=sys.stderr, flush=True)

    command = "python benchmarks/model_gate_seeds.py" + "".join(
        f" {shlex.quote(a)}" for a in (argv if argv is not None else sys.argv[1:])
    )
    machine, versions = machine_facts(), mlgate_facts()
    results = []
    with tempfile.TemporaryDirectory(prefix="mlgate-seeds-") as tmp:
        folder = Path(tmp)
        splits: dict[str, Split] = {}
        for p in pipelines():
            if p.dataset not in splits:
                splits[p.dataset] = load_split(p.dataset, folder)
            r = run_pipeline(p, splits[p.dataset], args.seeds, folder)
            results.append(r)
            log(
                f"{p.name}: {args.seeds} fits {r.fit_seconds:.1f} s, "
                f"{args.seeds - 1} checks {r.check_seconds:.1f} s; gate "
                f"{ {s: r.gate.count(s) for s in ('fail', 'warn', 'pass')} }"
            )
    title = (
        f"{dt.date.today().isoformat()}: seed spread, digits and diabetes, seeds 0-{args.seeds - 1}"
    )
    section = render(
        title=title,
        command=command,
        machine=machine,
        versions=versions,
        body=table(results, args.seeds),
    )
    print(section)
    if not args.no_record:
        record(section, title)
        log(f"recorded in {(HERE / 'RESULTS.md').relative_to(ROOT)}")
    log(f"done; load average {', '.join(f'{x:.2f}' for x in os.getloadavg())}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
