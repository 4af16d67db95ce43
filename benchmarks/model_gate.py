"""Benchmark of mlgate's model gate: ``check model`` on up to 1M evaluation rows.

The target (the model gate issue): "``check model`` on 1M evaluation rows with a
baseline (5 metrics, 1,000 bootstrap resamples) in under 10 s beyond the models' own
prediction time on this 2-core machine". Both models are given as predictions files,
so their prediction time is zero and everything timed is mlgate's.

What it measures, for each size in ``--sizes`` (default 100K and 1M rows), the median of
``--repeat`` runs, interleaved round by round:

- ``mlgate check model --predictions C --baseline B --data EVAL --target label`` as a
  separate process (interpreter, imports and CLI start-up included). The command has no
  option to choose metrics, so it computes all 6 classification metrics (accuracy,
  balanced accuracy, macro F1, ROC AUC, log loss, ECE);
- ``mlgate run`` as a separate process, on an mlgate.yaml with only a model stage that
  names the issue's 5 metrics (accuracy, balanced_accuracy, macro_f1, roc_auc, log_loss):
  the CLI way to pick metrics;
- ``check_model(...)`` in this process (imports already done by a warm-up call) with the
  5 metrics and with all 6;
- the same work in its three steps, each timed, to show where the time goes: reading the
  evaluation rows (``load_eval_data``), reading both predictions files (``model_output``,
  ``baseline_output``), and the statistics (``judge``);
- start-up: ``mlgate check model`` on 1,000 rows (what any run pays before its rows);
- with ``--profile``, a cProfile of one more ``check_model`` call at the largest size:
  mlgate's functions by cumulative time and the library functions they call.

Wall time is the measure; CPU time (the child's rusage, or ``time.process_time``) is
shown beside it, as it is far less disturbed by other jobs on a shared machine.

And a peer, as a user without mlgate would do it: ``scipy.stats.bootstrap((y, pred_c,
pred_b, ...), statistic, paired=True, vectorized=False, method="percentile")`` with a
statistic that calls ``sklearn.metrics`` on both models (candidate minus baseline), one
bootstrap per metric, the same 5 metrics. scikit-learn's metrics take no batch axis, so
``vectorized=False`` (scipy loops over the resamples). It cannot run 1,000 resamples of
1M rows in reasonable time, so it runs ``--peer`` (default 100 resamples of 100K rows and
10 resamples of 1M rows) and its time is extrapolated linearly in resamples (and, from
100K, in rows), labelled as such. The default BCa interval would add one metric call
per row (a jackknife: 100,000 calls at 100K rows), so the peer uses the percentile
interval; it gives intervals only, with no non-inferiority verdict and no Holm.

The data, generated with a fixed seed (in ``--data-dir``, default benchmarks/data/,
git-ignored): an evaluation file (row_id, five float features, a string segment, an
integer label) and two predictions files (row_id, prediction, proba_<class>) of
simulated models: main's baseline, and a candidate slightly worse (about half a point of
accuracy) but within the default margins, so the gate passes. ``--multiclass`` also
times a 3-class variant at the largest size.

    python benchmarks/model_gate.py --quick      # 100K rows, 1 run, short peer: a smoke test
    python benchmarks/model_gate.py --repeat 5 --multiclass --profile   # as recorded

The results are printed as Markdown and recorded under "## Model gate" in
benchmarks/RESULTS.md (newest run first). Run it with the Python that has mlgate
installed (``make bench`` does).
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import json
import os
import re
import shlex
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

from data_gate import (  # noqa: E402  (the data gate benchmark's helpers, shared)
    _mib,
    _secs,
    machine_facts,
    mlgate_facts,
    parse_size,
    size_label,
)

RESULTS = HERE / "RESULTS.md"
SECTION = "Model gate"
DEFAULT_DATA_DIR = HERE / "data"

SEED = 20_241_130
#: Bump when the generator changes: cached files carry it in their names.
DATA_VERSION = 1
STARTUP_ROWS = 1_000
STARTUP_MIN_RUNS = 3
TARGET_SECONDS = 10.0
TARGET_ROWS = 1_000_000
RESAMPLES = 1_000

#: The issue's 5 metrics, and every classification metric (what the CLI computes).
METRICS_5 = ("accuracy", "balanced_accuracy", "macro_f1", "roc_auc", "log_loss")
METRICS_6 = (*METRICS_5, "ece")

# --------------------------------------------------------------------------------------
# Data


@dataclass(frozen=True)
class Files:
    rows: int
    classes: int
    eval: Path
    candidate: Path
    baseline: Path
    config: Path  # mlgate.yaml with a model stage naming the 5 metrics

    @property
    def label(self) -> str:
        return "binary" if self.classes == 2 else f"{self.classes}-class"


def data_files(data_dir: Path, rows: int, classes: int) -> Files:
    folder = data_dir / f"model-v{DATA_VERSION}-seed{SEED}-{classes}c-{size_label(rows)}"
    return Files(
        rows,
        classes,
        folder / "eval.parquet",
        folder / "candidate.parquet",
        folder / "baseline.parquet",
        folder / "mlgate.yaml",
    )


def generate(files: Files) -> None:
    """The evaluation rows and both models' predictions, seeded.

    The label is drawn from a logistic (or softmax) model of the features and the
    segment. Each simulated model scores the true logits plus noise: the baseline with
    noise sd 0.5, the candidate with its logits shrunk by 5% and noise sd 0.55, so it is
    slightly worse on every metric (about 0.4 points of accuracy at two classes), within
    the default margins (1 point, 2% of log loss).
    """
    import numpy as np
    import polars as pl

    rows, k = files.rows, files.classes
    rng = np.random.default_rng(SEED + 7 * rows + k)
    x = rng.normal(size=(rows, 5))
    segments = np.array(["north", "south", "east", "west"])
    seg = rng.integers(0, 4, rows)
    ids = rng.permutation(np.arange(10 * rows, dtype=np.int64))[:rows]  # unordered ids
    if k == 2:
        logit = x @ np.array([1.2, -0.9, 0.6, 0.4, 0.2]) + np.array([0.0, 0.5, -0.5, 1.0])[seg]
        logits = np.column_stack([np.zeros(rows), logit - 1.0])
    else:
        w = rng.normal(0.0, 0.8, size=(5, k))
        logits = x @ w + rng.normal(0.0, 0.5, size=(4, k))[seg]

    def softmax(z: Any) -> Any:
        z = z - z.max(axis=1, keepdims=True)
        e = np.exp(z)
        return e / e.sum(axis=1, keepdims=True)

    true_p = softmax(logits)
    y = (rng.random(rows)[:, None] > np.cumsum(true_p, axis=1)).sum(axis=1).astype(np.int64)
    folder = files.eval.parent
    folder.mkdir(parents=True, exist_ok=True)
    frame = pl.DataFrame(
        {
            "row_id": ids,
            **{f"f{i}": x[:, i] for i in range(5)},
            "segment": segments[seg],
            "label": y,
        }
    )
    _write(frame, files.eval)
    for path, shrink, noise in ((files.baseline, 1.0, 0.5), (files.candidate, 0.95, 0.55)):
        scores = shrink * logits + rng.normal(0.0, noise, size=logits.shape)
        if k == 2:
            scores[:, 0] = 0.0
        proba = softmax(scores)
        preds = {
            "row_id": ids,
            "prediction": proba.argmax(axis=1).astype(np.int64),
            **{f"proba_{j}": proba[:, j] for j in range(k)},
        }
        _write(pl.DataFrame(preds), path)
    files.config.write_text(
        "# Written by benchmarks/model_gate.py: the model stage alone, with the issue's 5 "
        "metrics.\nmodel:\n"
        f"  model: {files.candidate.name}\n"
        f"  baseline: {files.baseline.name}\n"
        f"  data: {files.eval.name}\n"
        "  target: label\n"
        f"  metrics: [{', '.join(METRICS_5)}]\n",
        encoding="utf-8",
    )


def _write(frame: Any, path: Path) -> None:
    tmp = path.with_suffix(".tmp")
    frame.write_parquet(tmp)
    tmp.replace(path)


def ensure_data(data_dir: Path, rows: int, classes: int, log: Callable[[str], None]) -> Files:
    files = data_files(data_dir, rows, classes)
    if not all(p.exists() for p in (files.eval, files.candidate, files.baseline, files.config)):
        log(f"generating {files.eval.parent} ({rows:,} rows, {classes} classes)")
        generate(files)
    return files


# --------------------------------------------------------------------------------------
# One measurement


@dataclass(frozen=True)
class Run:
    seconds: float
    cpu: float  # user + system seconds (the child's rusage, or this process's CPU time)
    max_rss: int = 0  # bytes, the child's peak RSS (GNU time); 0 in process
    returncode: int = 0
    phases: tuple[tuple[str, float], ...] = ()
    stderr: str = ""


@dataclass
class Measurement:
    key: str  # cli6, run5, api5, api6, phases, startup
    label: str
    files: Files
    metrics: int
    runs: list[Run] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)  # runs that failed, and why
    out: Path | None = None  # the JSON report a CLI run writes

    @property
    def median(self) -> float | None:
        return statistics.median(r.seconds for r in self.runs) if self.runs else None

    @property
    def cpu(self) -> float | None:
        return statistics.median(r.cpu for r in self.runs) if self.runs else None

    @property
    def peak(self) -> int | None:
        peaks = [r.max_rss for r in self.runs if r.max_rss]
        return max(peaks) if peaks else None


GNU_TIME = Path("/usr/bin/time")


def run_child(cmd: Sequence[str]) -> Run:
    """Run ``cmd``: wall time, CPU time (rusage of the whole child tree) and peak RSS
    (GNU time's %M, the command's own, as benchmarks/data_gate.py explains)."""
    with tempfile.NamedTemporaryFile("r", suffix=".rss") as rss:
        argv = list(cmd)
        if GNU_TIME.exists():
            argv = [str(GNU_TIME), "-f", "%M", "-o", rss.name, *argv]
        start = time.perf_counter()
        proc = subprocess.Popen(
            argv,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            cwd=ROOT,
            env={**os.environ, "CI": "true"},
        )
        assert proc.stderr is not None
        err = proc.stderr.read().decode("utf-8", "replace")
        _, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - start
        lines = rss.read().strip().splitlines()
        peak = int(lines[-1]) * 1024 if lines and lines[-1].isdigit() else 0
    return Run(
        seconds,
        usage.ru_utime + usage.ru_stime,
        peak,
        os.waitstatus_to_exitcode(status),
        stderr=err,
    )


def src_fingerprint() -> str:
    """The state of src/ (every file's path, size and mtime): another developer's edit
    during a run shows as a change between the start and the end."""
    import hashlib

    digest = hashlib.sha256()
    for path in sorted((ROOT / "src").rglob("*.py")):
        st = path.stat()
        digest.update(f"{path}:{st.st_size}:{st.st_mtime_ns}\n".encode())
    return digest.hexdigest()


def mlgate_command() -> list[str]:
    """The ``mlgate`` console script beside this Python, as users run it."""
    script = Path(sys.executable).parent / "mlgate"
    return [str(script)] if script.exists() else [sys.executable, "-m", "mlgate._cli.main"]


def cli_check_cmd(files: Files, out: Path) -> list[str]:
    return [
        *mlgate_command(),
        "check",
        "model",
        "--predictions",
        str(files.candidate),
        "--baseline",
        str(files.baseline),
        "--data",
        str(files.eval),
        "--target",
        "label",
        "--no-cache",
        "--format",
        "json",
        "-o",
        str(out),
    ]


def cli_run_cmd(files: Files, out: Path) -> list[str]:
    return [*mlgate_command(), "run", "-c", str(files.config), "--format", "json", "-o", str(out)]


def api_once(files: Files, metrics: Sequence[str], *, collect: bool = True) -> Run:
    """``check_model`` in this process, as a user's script calls it (after a garbage
    collection, outside the clock, unless ``collect`` is false)."""
    from mlgate.evaluation.check import check_model
    from mlgate.evaluation.gate import ModelGateSettings

    if collect:
        gc.collect()
    wall, cpu = time.perf_counter(), time.process_time()
    check_model(
        str(files.eval),
        "label",
        model=str(files.candidate),
        baseline=str(files.baseline),
        settings=ModelGateSettings(metrics=tuple(metrics), resamples=RESAMPLES),
        cache_dir=None,
    )
    return Run(time.perf_counter() - wall, time.process_time() - cpu)


def phases_once(files: Files, metrics: Sequence[str]) -> Run:
    """The work of ``check_model`` in three timed phases, through the functions it calls:
    reading the evaluation rows (``load_eval_data``), reading both predictions files
    (``model_output``, ``baseline_output``), and the statistics (``judge``: encoding,
    every metric's value and paired test, Holm, the dummy-model comparison)."""
    from mlgate.evaluation.check import baseline_output, model_output
    from mlgate.evaluation.gate import ModelGateSettings, judge
    from mlgate.evaluation.predictions import load_eval_data

    settings = ModelGateSettings(metrics=tuple(metrics), resamples=RESAMPLES)
    gc.collect()
    wall0, cpu0 = time.perf_counter(), time.process_time()
    t0 = wall0
    data = load_eval_data(str(files.eval), "label")
    t1 = time.perf_counter()
    cand = model_output(str(files.candidate), data, trust_pickle=False)
    base, note = baseline_output(str(files.baseline), data, trust_pickle=False, cache_dir=None)
    t2 = time.perf_counter()
    judge(data, cand, base, settings, baseline_note=note)
    t3 = time.perf_counter()
    phases = (
        (PHASE_EVAL, t1 - t0),
        (PHASE_PREDICTIONS, t2 - t1),
        (PHASE_STATISTICS, t3 - t2),
    )
    return Run(t3 - wall0, time.process_time() - cpu0, phases=phases)


PHASE_EVAL = "reading: the evaluation rows (`load_eval_data`: Parquet, row ids, digest)"
PHASE_PREDICTIONS = "reading: both predictions files, joined on row_id (`model_output`)"
PHASE_STATISTICS = "statistics (`judge`: values, paired tests, Holm, dummy model)"


@dataclass(frozen=True)
class Hotspot:
    where: str  # file:line function
    calls: int
    seconds: float  # cumulative (an mlgate function), or spent in calls made by mlgate


def profile_once(
    files: Files, metrics: Sequence[str]
) -> tuple[float, list[Hotspot], list[Hotspot]]:
    """cProfile of one ``check_model`` call (imports already done). Returns the call's
    time, mlgate's functions by cumulative time, and the library functions mlgate calls
    directly, by the time spent in those calls. The profiler's overhead inflates the
    times; their proportions are what count."""
    import cProfile
    import pstats

    profiler = cProfile.Profile()
    gc.collect()
    profiler.enable()
    api_once(files, metrics, collect=False)
    profiler.disable()
    stats = pstats.Stats(profiler).stats  # type: ignore[attr-defined]

    def ours(path: str) -> bool:
        return "/mlgate/" in path

    # Decorators' wrappers (scikit-learn's parameter validation, polars' deprecation
    # shims) are seen through: what they wrap is listed, as called from mlgate.
    wrappers = {
        key
        for key, (*_, callers) in stats.items()
        if not ours(key[0]) and key[2] == "wrapper" and any(ours(c[0]) for c in callers)
    }
    mlgate, libraries = [], []
    total = 0.0
    for key, (_cc, calls, _own, cum, callers) in stats.items():
        path, line, func = key
        where = _where(path, line, func)
        if ours(path):
            mlgate.append(Hotspot(where, calls, cum))
            if func == "check_model":
                total = cum
            continue
        if key in wrappers:
            continue
        direct = [v for c, v in callers.items() if ours(c[0]) or c in wrappers]
        if direct:
            libraries.append(Hotspot(where, sum(v[1] for v in direct), sum(v[3] for v in direct)))
    mlgate.sort(key=lambda h: h.seconds, reverse=True)
    libraries.sort(key=lambda h: h.seconds, reverse=True)
    return total, mlgate, libraries


def _where(path: str, line: int, func: str) -> str:
    """``mlgate/evaluation/paired.py:348 resampled_sums`` or ``numpy ... unique``."""
    if path == "~":
        return func  # a built-in: {method 'argsort' ...}
    for marker in ("/site-packages/", "/src/"):
        if marker in path:
            path = path.split(marker, 1)[1]
            break
    return f"{path}:{line} {func}"


# --------------------------------------------------------------------------------------
# The peer: scipy.stats.bootstrap over sklearn.metrics


def _peer_statistics() -> dict[str, Callable[..., float]]:
    import sklearn.metrics as skm

    return {
        "accuracy": lambda y, pc, pb, qc, qb: skm.accuracy_score(y, pc) - skm.accuracy_score(y, pb),
        "balanced_accuracy": lambda y, pc, pb, qc, qb: (
            skm.balanced_accuracy_score(y, pc) - skm.balanced_accuracy_score(y, pb)
        ),
        "macro_f1": lambda y, pc, pb, qc, qb: (
            skm.f1_score(y, pc, average="macro") - skm.f1_score(y, pb, average="macro")
        ),
        "roc_auc": lambda y, pc, pb, qc, qb: skm.roc_auc_score(y, qc) - skm.roc_auc_score(y, qb),
        "log_loss": lambda y, pc, pb, qc, qb: skm.log_loss(y, qc) - skm.log_loss(y, qb),
    }


@dataclass
class PeerRun:
    rows: int
    resamples: int
    seconds: dict[str, float]  # per metric: one scipy.stats.bootstrap call
    read_seconds: float
    intervals: dict[str, tuple[float, float]]

    @property
    def total(self) -> float:
        return sum(self.seconds.values())

    def extrapolated(self, rows: int, resamples: int) -> float:
        """Linear in resamples and in rows (ROC AUC sorts, n log n: a slight underestimate
        when scaling rows up)."""
        return self.total * (resamples / self.resamples) * (rows / self.rows)


def peer_once(files: Files, resamples: int) -> PeerRun:
    """What a user without mlgate writes: read both predictions files and the labels,
    line them up, then one paired ``scipy.stats.bootstrap`` per metric."""
    import numpy as np
    import polars as pl
    from scipy.stats import bootstrap

    gc.collect()
    start = time.perf_counter()
    y = pl.read_parquet(files.eval, columns=["row_id", "label"])
    joined = y.join(
        pl.read_parquet(files.candidate).rename(lambda c: c if c == "row_id" else f"c_{c}"),
        on="row_id",
    ).join(
        pl.read_parquet(files.baseline).rename(lambda c: c if c == "row_id" else f"b_{c}"),
        on="row_id",
    )
    data = tuple(
        joined.get_column(c).to_numpy()
        for c in ("label", "c_prediction", "b_prediction", "c_proba_1", "b_proba_1")
    )
    read_seconds = time.perf_counter() - start
    seconds, intervals = {}, {}
    for name, stat in _peer_statistics().items():
        t0 = time.perf_counter()
        kwargs: dict[str, Any] = {
            "paired": True,
            "vectorized": False,
            "n_resamples": resamples,
            "method": "percentile",
            "confidence_level": 0.95,
        }
        try:
            res = bootstrap(data, stat, rng=np.random.default_rng(0), **kwargs)
        except TypeError:  # scipy before 1.15 calls it random_state
            res = bootstrap(data, stat, random_state=np.random.default_rng(0), **kwargs)
        seconds[name] = time.perf_counter() - t0
        ci = res.confidence_interval
        intervals[name] = (float(ci.low), float(ci.high))
    return PeerRun(files.rows, resamples, seconds, read_seconds, intervals)


# --------------------------------------------------------------------------------------
# Reporting


def _verdicts(path: Path | None) -> str:
    """What the gate said, from a CLI run's JSON report: passed, and each metric's
    difference and verdict."""
    if path is None:
        return ""
    try:
        report = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        return ""
    parts = []
    for c in report.get("checks", []):
        d = c.get("details") or {}
        if c.get("name") == "model.worse_than_baseline" and "verdict" in d:
            diff = d["difference"]
            amount = (
                f"{diff / abs(d['baseline']) * 100:+.2f}%"
                if d.get("margin_relative")
                else f"{diff * 100:+.2f} pts"
            )
            parts.append(f"{d['metric']} {amount} {d['verdict'].replace('_', ' ')}")
    return f"passed={report.get('passed')}; " + ", ".join(parts)


def results_table(measurements: list[Measurement]) -> str:
    lines = [
        "| measurement | classes | rows | metrics | runs | median | min - max | CPU (median) "
        "| peak memory |",
        "| --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for m in measurements:
        runs = m.runs
        spread = (
            f"{_secs(min(r.seconds for r in runs))} - {_secs(max(r.seconds for r in runs))}"
            if runs
            else "n/a"
        )
        median = _secs(m.median)
        if m.errors:
            median += f" ({len(m.errors)} run(s) failed: {m.errors[0][:200]})"
        lines.append(
            f"| {m.label} | {m.files.label} | {size_label(m.files.rows)} | {m.metrics} "
            f"| {len(runs)} | {median} | {spread} | {_secs(m.cpu)} "
            f"| {_mib(m.peak) if m.peak else '-'} |"
        )
    return "\n".join(lines)


def phases_table(measurements: list[Measurement]) -> str:
    timed = [m for m in measurements if m.key == "phases" and m.runs]
    if not timed:
        return ""
    head = " | ".join(f"{size_label(m.files.rows)} {m.files.label}" for m in timed)
    lines = [f"| phase (median over runs) | {head} |", "| --- |" + " ---: |" * len(timed)]

    def med(m: Measurement, name: str) -> float:
        return statistics.median(dict(r.phases)[name] for r in m.runs)

    total = [
        sum(med(m, n) for n in (PHASE_EVAL, PHASE_PREDICTIONS, PHASE_STATISTICS)) for m in timed
    ]
    for name in (PHASE_EVAL, PHASE_PREDICTIONS, PHASE_STATISTICS):
        cells = " | ".join(
            f"{_secs(med(m, name))} ({med(m, name) / t:.0%})"
            for m, t in zip(timed, total, strict=True)
        )
        lines.append(f"| {name} | {cells} |")
    lines.append("| sum | " + " | ".join(_secs(t) for t in total) + " |")
    return "\n".join(lines)


def profile_table(
    profile: tuple[float, list[Hotspot], list[Hotspot]], files: Files, top: int = 14
) -> str:
    total, mlgate, libraries = profile
    what = f"one `check_model` call, 5 metrics, {size_label(files.rows)} {files.label}"
    lines = [
        f"| mlgate function ({what}; {total:.2f} s profiled) | calls | cumulative | share |",
        "| --- | ---: | ---: | ---: |",
    ]
    lines += [
        f"| `{h.where}` | {h.calls} | {h.seconds:.3f} s | {h.seconds / total:.0%} |"
        for h in mlgate[:top]
    ]
    lines += [
        "",
        "| library function called by mlgate (through scikit-learn's validation decorator, "
        "nested calls show too: `roc_curve` is inside `roc_auc_score`) | calls "
        "| time in those calls | share |",
        "| --- | ---: | ---: | ---: |",
    ]
    lines += [
        f"| `{h.where}` | {h.calls} | {h.seconds:.3f} s | {h.seconds / total:.0%} |"
        for h in libraries[:top]
    ]
    return "\n".join(lines)


def peer_table(peers: list[PeerRun]) -> str:
    if not peers:
        return ""
    names = list(peers[0].seconds)
    lines = [
        "| peer run | rows | resamples timed | read + align | "
        + " | ".join(names)
        + " | total timed | per resample | extrapolated: 1,000 resamples, 1M rows |",
        "| --- | --- | ---: | ---: |" + " ---: |" * len(names) + " ---: | ---: | ---: |",
    ]
    for p in peers:
        cells = " | ".join(f"{p.seconds[n]:.1f} s" for n in names)
        lines.append(
            f"| scipy.stats.bootstrap(paired, vectorized=False) over sklearn.metrics "
            f"| {size_label(p.rows)} | {p.resamples} | {p.read_seconds:.2f} s | {cells} "
            f"| {p.total:.1f} s | {p.total / p.resamples:.2f} s "
            f"| ~{p.extrapolated(TARGET_ROWS, RESAMPLES):,.0f} s (extrapolated) |"
        )
    return "\n".join(lines)


@dataclass(frozen=True)
class Target:
    name: str
    value: str
    goal: str
    met: bool | None
    context: bool = False

    @property
    def status(self) -> str:
        if self.context:
            return "context"
        return {True: "**met**", False: "**missed**", None: "not measured"}[self.met]


def find(
    measurements: list[Measurement], key: str, rows: int, classes: int = 2
) -> Measurement | None:
    return next(
        (
            m
            for m in measurements
            if m.key == key and m.files.rows == rows and m.files.classes == classes
        ),
        None,
    )


def targets(measurements: list[Measurement], peers: list[PeerRun], big: int) -> list[Target]:
    out = []
    size = size_label(big)
    for key, what, context in (
        ("run5", "`mlgate run` (CLI), 5 metrics", False),
        ("api5", "`check_model` (API, in process), 5 metrics", False),
        ("cli6", "`mlgate check model` (CLI), all 6 metrics", True),
    ):
        m = find(measurements, key, big)
        if m is None:
            continue
        ok = None if m.median is None else m.median < TARGET_SECONDS
        out.append(
            Target(
                f"{what}, {size} binary rows, {RESAMPLES:,} resamples",
                f"{_secs(m.median)} (CPU {_secs(m.cpu)})",
                f"< {TARGET_SECONDS:.0f} s"
                + (" (the target names 5 metrics)" if context else "")
                + ("" if big == TARGET_ROWS else f" at {size_label(TARGET_ROWS)} rows"),
                ok,
                context=big != TARGET_ROWS,  # the target is for 1M rows
            )
        )
    api = find(measurements, "api5", big)
    same = [p for p in peers if p.rows == big]
    basis = same[0] if same else (max(peers, key=lambda p: p.rows) if peers else None)
    if api is not None and api.median and basis is not None:
        predicted = basis.extrapolated(big, RESAMPLES)
        out.append(
            Target(
                f"peer / mlgate API, {size} rows, 5 metrics, {RESAMPLES:,} resamples",
                f"{predicted / api.median:,.0f}x (peer ~{predicted:,.0f} s, extrapolated from "
                f"{basis.resamples} resamples of {size_label(basis.rows)} rows / mlgate "
                f"{_secs(api.median)}, measured)",
                "for context",
                None,
                context=True,
            )
        )
    for p in peers:
        small = find(measurements, "api5", p.rows)
        if small is not None and small.median and p.rows != big:
            predicted = p.extrapolated(p.rows, RESAMPLES)
            out.append(
                Target(
                    f"peer / mlgate API, {size_label(p.rows)} rows, 5 metrics, "
                    f"{RESAMPLES:,} resamples",
                    f"{predicted / small.median:,.0f}x (peer ~{predicted:,.0f} s, extrapolated "
                    f"from {p.resamples} resamples / mlgate {_secs(small.median)}, measured)",
                    "for context",
                    None,
                    context=True,
                )
            )
    return out


def targets_table(items: list[Target]) -> str:
    lines = ["| target | measured | goal | status |", "| --- | --- | --- | --- |"]
    lines += [f"| {t.name} | {t.value} | {t.goal} | {t.status} |" for t in items]
    return "\n".join(lines)


SECTION_INTRO = """\
Written by `benchmarks/model_gate.py` (timing) and `benchmarks/model_gate_seeds.py` (how
far metrics move between training seeds); see their docstrings. Newest run first.

The target (the model gate issue): `check model` on 1M evaluation rows with a baseline
(5 metrics, 1,000 bootstrap resamples) in under 10 s beyond the models' own prediction
time on this 2-core machine. Both models are given as predictions files (row_id,
prediction, proba_<class>), so no model predicts and all the time is mlgate's. The data is
generated with a fixed seed: an evaluation file (row_id, 5 float features, a string
segment, the label) and two simulated models, main's and a candidate slightly worse but
within the default margins. `mlgate check model` has no option to choose metrics and
computes all 6 classification metrics; the 5 metrics are timed through `mlgate run` on an
mlgate.yaml with only a model stage naming them, and through the API.

The peer is what a user without mlgate would write: one `scipy.stats.bootstrap(...,
paired=True, vectorized=False, method="percentile")` per metric over `sklearn.metrics`
(candidate minus baseline). It cannot do 1,000 resamples of 1M rows in reasonable time;
its time for fewer resamples is extrapolated linearly, and marked so.
"""


def render_run(
    *,
    title: str,
    command: str,
    machine: dict[str, str],
    versions: dict[str, str],
    repeat: int,
    measurements: list[Measurement],
    peers: list[PeerRun],
    target_items: list[Target],
    profile: str = "",
) -> str:
    import numpy
    import scipy
    import sklearn

    parts = [
        f"### {title}",
        "",
        f"- Command: `{command}`",
        f"- Machine: {machine['nproc']} cores (nproc), {machine['cpu']}, {machine['ram']} RAM, "
        f"{machine['os']}, Python {machine['python']}; load average at start "
        f"{machine['load']}, at end {machine.get('load_end', '?')} (other work shows here)",
        f"- mlgate {versions['mlgate']} (commit {versions['commit']}), polars "
        f"{versions['polars']}, scikit-learn {sklearn.__version__}, scipy {scipy.__version__}, "
        f"numpy {numpy.__version__}",
        f"- Runs: median of {repeat} per measurement ({STARTUP_MIN_RUNS}+ for start-up), "
        "interleaved round by round. CLI rows are fresh processes (start-up included; CPU is "
        "the child's user + system time, peak memory its max RSS from GNU time); API rows "
        "run in the benchmark's process after a warm-up call (imports excluded; CPU is "
        "`time.process_time`). Files are in the page cache (warm).",
        "",
        results_table(measurements),
    ]
    phases = phases_table(measurements)
    if phases:
        parts += [
            "",
            "Where the API's time goes (5 metrics; `check_model`'s three steps, each timed):",
            "",
            phases,
        ]
    if peers:
        parts += [
            "",
            "The peer (in this process, run once: each resample is itself a repetition; "
            "seconds per metric are one `scipy.stats.bootstrap` call, both models):",
            "",
            peer_table(peers),
        ]
    if profile:
        parts += [
            "",
            "Hotspots: cProfile of one more API call, separately (the profiler's overhead "
            "inflates the times; the shares are what count). Cumulative times nest: "
            "`judge` includes `compare`, which includes `score`.",
            "",
            profile,
        ]
    parts += ["", targets_table(target_items)]
    notes = [
        f"{m.label}, {m.files.label} {size_label(m.files.rows)}: {v}"
        for m in measurements
        if m.key in ("cli6", "run5") and (v := _verdicts(m.out))
    ]
    if notes:
        parts += ["", *[f"- {n}" for n in notes]]
    return "\n".join(parts) + "\n"


def record(subsection: str, title: str, path: Path = RESULTS) -> None:
    """Put ``subsection`` (a ``### title`` block) first in the "## Model gate" section of
    RESULTS.md, replacing one with the same title; add the section at the end if absent.
    Other sections are left as they are."""
    text = path.read_text(encoding="utf-8") if path.exists() else "# Benchmark results\n"
    chunks = re.split(r"(?m)^(?=## )", text)
    index = next(
        (i for i, c in enumerate(chunks) if c.splitlines()[0].strip() == f"## {SECTION}"), None
    )
    if index is None:
        chunks[-1] = chunks[-1].rstrip("\n") + "\n\n"
        chunks.append(f"## {SECTION}\n\n{SECTION_INTRO}")
        index = len(chunks) - 1
    parts = re.split(r"(?m)^(?=### )", chunks[index])
    intro, runs = parts[0], parts[1:]
    runs = [r for r in runs if r.splitlines()[0].strip() != f"### {title}"]
    body = intro.rstrip("\n") + "\n\n" + subsection.rstrip("\n") + "\n"
    for r in runs:
        body += "\n" + r.rstrip("\n") + "\n"
    if index < len(chunks) - 1:
        body += "\n"
    chunks[index] = body
    path.write_text("".join(chunks), encoding="utf-8")


# --------------------------------------------------------------------------------------


def parse_peer(text: str) -> list[tuple[int, int]]:
    """'100K:100,1M:10' -> [(100000, 100), (1000000, 10)]; '' or 'none' -> []."""
    if text.strip().lower() in ("", "none"):
        return []
    out = []
    for item in text.split(","):
        size, _, resamples = item.partition(":")
        if not resamples.strip().isdigit() or int(resamples) < 2:
            raise argparse.ArgumentTypeError(f"--peer {item!r}: expected ROWS:RESAMPLES")
        out.append((parse_size(size), int(resamples)))
    return out


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Time mlgate's model gate (CLI and API) against scipy.stats.bootstrap "
        "over sklearn.metrics.",
    )
    parser.add_argument("--sizes", default="100K,1M", help="Comma-separated evaluation row counts.")
    parser.add_argument(
        "--repeat", type=int, default=3, help="Runs per measurement; the median is reported."
    )
    parser.add_argument(
        "--multiclass",
        action="store_true",
        help="Also time a 3-class variant at the largest size (CLI, all metrics; API, 5).",
    )
    parser.add_argument(
        "--peer",
        default="100K:100,1M:10",
        help="The peer's runs as ROWS:RESAMPLES, comma-separated, or 'none' "
        "(default: 100K:100,1M:10).",
    )
    parser.add_argument(
        "--data-dir",
        type=Path,
        default=DEFAULT_DATA_DIR,
        help="Where the generated files are cached (default: benchmarks/data/).",
    )
    parser.add_argument(
        "--profile",
        action="store_true",
        help="Also profile one check_model call (5 metrics, the largest size) with cProfile "
        "and show the functions with the most own time.",
    )
    parser.add_argument("--quick", action="store_true", help="100K rows, 1 run, peer 100K:20.")
    parser.add_argument(
        "--no-record", action="store_true", help="Print the results; leave RESULTS.md alone."
    )
    args = parser.parse_args(argv)
    if args.quick:
        args.sizes, args.repeat, args.peer = "100K", 1, "100K:20"
    try:
        args.size_rows = sorted({parse_size(s) for s in args.sizes.split(",") if s.strip()})
        args.peer_runs = parse_peer(args.peer)
    except argparse.ArgumentTypeError as exc:
        parser.error(str(exc))
    if args.repeat < 1:
        parser.error("--repeat must be at least 1")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    started = time.perf_counter()

    def log(msg: str) -> None:
        print(f"[{time.perf_counter() - started:7.1f} s] {msg}", file=sys.stderr, flush=True)

    command = "python benchmarks/model_gate.py" + "".join(
        f" {shlex.quote(a)}" for a in (argv if argv is not None else sys.argv[1:])
    )
    machine = machine_facts()
    versions = mlgate_facts()
    src_at_start = src_fingerprint()
    data_dir: Path = args.data_dir.resolve()
    out_dir = data_dir / "model-out"
    out_dir.mkdir(parents=True, exist_ok=True)

    small = ensure_data(data_dir, STARTUP_ROWS, 2, log)
    files = {rows: ensure_data(data_dir, rows, 2, log) for rows in args.size_rows}
    big = max(args.size_rows)
    multi = ensure_data(data_dir, big, 3, log) if args.multiclass else None
    peer_files = {rows: ensure_data(data_dir, rows, 2, log) for rows, _ in args.peer_runs}

    measurements: list[Measurement] = []
    for rows in args.size_rows:
        f = files[rows]
        measurements += [
            Measurement("cli6", "`mlgate check model` (CLI)", f, 6),
            Measurement("run5", "`mlgate run`, model stage (CLI)", f, 5),
            Measurement("api5", "`check_model` (API)", f, 5),
            Measurement("api6", "`check_model` (API)", f, 6),
            Measurement("phases", "`check_model`'s work, phase by phase (API)", f, 5),
        ]
    if multi is not None:
        measurements += [
            Measurement("cli6", "`mlgate check model` (CLI)", multi, 6),
            Measurement("api5", "`check_model` (API)", multi, 5),
        ]
    startup = Measurement("startup", "`mlgate check model` (CLI): start-up", small, 6)

    def cmd_of(m: Measurement) -> list[str] | None:
        if m.key not in ("cli6", "run5", "startup"):
            return None
        m.out = out_dir / f"{m.key}-{m.files.classes}c-{size_label(m.files.rows)}.json"
        if m.key == "run5":
            return cli_run_cmd(m.files, m.out)
        return cli_check_cmd(m.files, m.out)

    def measure(m: Measurement, round_no: int, rounds: int) -> None:
        cmd = cmd_of(m)
        error = ""
        if cmd is not None:
            run = run_child(cmd)
            if run.returncode not in (0, 1):
                error = f"exit {run.returncode}: " + " | ".join(
                    run.stderr.strip().splitlines()[-2:]
                )
        else:
            try:
                if m.key == "phases":
                    run = phases_once(m.files, METRICS_5)
                else:
                    run = api_once(m.files, METRICS_5 if m.metrics == 5 else METRICS_6)
            except Exception as exc:  # e.g. src/ changed under the run: say so, go on
                run, error = Run(0.0, 0.0), f"{type(exc).__name__}: {exc}"
        if error:
            m.errors.append(error)
        else:
            m.runs.append(run)
        log(
            f"  [{round_no}/{rounds}] {size_label(m.files.rows):>4} {m.files.label:<7} "
            f"{m.metrics} metrics  {m.label:<44} {run.seconds:7.2f} s  CPU {run.cpu:6.2f} s"
            + (f"  FAILED {error[:300]}" if error else "")
        )

    log("warm-up: one untimed CLI run and one API call (imports, byte-compiled files)")
    run_child(cli_check_cmd(small, out_dir / "warm.json"))
    api_once(small, METRICS_5)

    rounds = max(args.repeat, STARTUP_MIN_RUNS)
    log(f"start-up, {rounds} runs")
    for i in range(1, rounds + 1):
        measure(startup, i, rounds)
    log(f"sizes {', '.join(size_label(r) for r in args.size_rows)}: {args.repeat} round(s)")
    for i in range(1, args.repeat + 1):
        for m in measurements:
            measure(m, i, args.repeat)

    peers: list[PeerRun] = []
    for rows, resamples in args.peer_runs:
        log(
            f"peer: scipy.stats.bootstrap over sklearn.metrics, {size_label(rows)} rows, "
            f"{resamples} resamples, 5 metrics"
        )
        p = peer_once(peer_files[rows], resamples)
        peers.append(p)
        log(
            f"  {p.total:.1f} s ({p.total / p.resamples:.2f} s a resample); extrapolated to "
            f"{RESAMPLES:,} resamples of {size_label(TARGET_ROWS)} rows: "
            f"~{p.extrapolated(TARGET_ROWS, RESAMPLES):,.0f} s"
        )

    profile = ""
    if args.profile:
        log(f"cProfile of one check_model call, {size_label(big)} rows")
        profile = profile_table(profile_once(files[big], METRICS_5), files[big])

    if src_fingerprint() != src_at_start:
        versions["commit"] += (
            "; src/ changed during the run (edits by others), so runs may differ in code"
        )
        log("warning: src/ changed during the run")
    machine["load_end"] = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    measurements.append(startup)
    target_items = targets(measurements, peers, big)
    flags = [f"repeat {args.repeat}"]
    if args.quick:
        flags.insert(0, "quick")
    if args.multiclass:
        flags.append("3-class too")
    title = (
        f"{dt.date.today().isoformat()}: timing, sizes "
        f"{','.join(size_label(r) for r in args.size_rows)}, {', '.join(flags)}"
    )
    section = render_run(
        title=title,
        command=command,
        machine=machine,
        versions=versions,
        repeat=args.repeat,
        measurements=measurements,
        peers=peers,
        target_items=target_items,
        profile=profile,
    )
    print(section)
    if not args.no_record:
        record(section, title)
        log(f"recorded in {RESULTS.relative_to(ROOT)}")
    log("done")
    return 0


if __name__ == "__main__":
    sys.exit(main())
