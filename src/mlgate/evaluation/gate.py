"""``mlgate check model``: the candidate model against main's baseline on the same rows.

What decides the verdict: the primary metric (balanced accuracy, or RMSE) and the
metrics listed in ``gate`` fail the gate when worse than the baseline beyond their
margin; every other metric and every slice warns when worse. Floors fail on any
metric. See docs/model-gate.md for the statistics.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from mlgate.errors import InputError
from mlgate.evaluation.metrics import (
    METRICS,
    PRIMARY,
    Metric,
    Scored,
    Task,
    Truth,
    align_proba,
    applicable,
    encode_classes,
    metrics_for,
    score,
)
from mlgate.evaluation.paired import ALPHA, MIN_ROWS, Comparison, Resampler, compare, holm
from mlgate.evaluation.predictions import EvalData, ModelOutput
from mlgate.evaluation.slices import Slice, slices_of
from mlgate.findings import Finding, Report, Status, apply_severity, with_stage

STAGE = "model"


@dataclass(frozen=True)
class ModelGateSettings:
    """How the model gate judges. Validated where it enters (the CLI, mlgate.yaml).

    ``margins``: per metric, the non-inferiority margin: absolute for rates (0.01 is one
    percentage point), relative for errors (0.02 is 2% of the baseline's value).
    ``floors``: per metric, the value the candidate must reach (or, for errors, stay
    under), overall and in every slice. ``slices``: columns to slice by; numeric ones
    are cut into ``slice_bins`` quantile bins. Slices with fewer than
    ``min_slice_rows`` rows are not compared.
    """

    task: Task | None = None
    primary: str | None = None
    gate: tuple[str, ...] = ()
    metrics: tuple[str, ...] | None = None
    margins: Mapping[str, float] = field(default_factory=dict)
    floors: Mapping[str, float] = field(default_factory=dict)
    slices: tuple[str, ...] = ()
    slice_bins: int = 4
    min_slice_rows: int = 30
    seed: int = 0
    resamples: int = 1000
    simpler_model: bool = True

    def __post_init__(self) -> None:
        for what, names in (
            ("margins", self.margins),
            ("floors", self.floors),
            ("gate", self.gate),
            ("metrics", self.metrics or ()),
            ("primary", [self.primary] if self.primary else []),
        ):
            unknown = [n for n in names if n not in METRICS]
            if unknown:
                raise InputError(
                    f"model {what}: unknown metric {unknown[0]!r}; the metrics are "
                    f"{', '.join(METRICS)}"
                )
        for name, value in self.margins.items():
            if not 0 <= value < 1:
                raise InputError(f"model margins: {name} is {value}; a margin is in [0, 1)")
        if self.slice_bins < 2 or self.min_slice_rows < 1 or self.resamples < 100:
            raise InputError(
                "model settings: slice_bins must be at least 2, min_slice_rows at least 1 "
                "and resamples at least 100"
            )


def judge(
    data: EvalData,
    candidate: ModelOutput,
    baseline: ModelOutput | None,
    settings: ModelGateSettings,
    *,
    baseline_note: str = "",
    severity: Mapping[str, str] | None = None,
    extra: Sequence[Finding] = (),
    simpler: Sequence[tuple[str, ModelOutput]] = (),
) -> Report:
    """Every model finding for the candidate (and baseline, when given) on ``data``.

    ``simpler``: named predictions of simpler models (a linear model fitted on the
    training data) that the candidate must beat, besides the dummy model.
    """
    task = settings.task or infer_task(data, candidate)
    others = [baseline] if baseline is not None else []
    label_findings = check_outputs(task, data, [candidate, *others])
    truth, scored = _encode(task, data, [candidate, *others, *(o for _, o in simpler)])
    cand, base = scored[0], (scored[1] if baseline is not None else None)
    simpler_scored = scored[1 + len(others) :]
    metrics = _metrics(task, settings)
    primary = METRICS[settings.primary or PRIMARY[task]]
    gating = {primary.name, *settings.gate}
    _check_asked(settings, task, primary, truth, [cand, *([base] if base else [])])
    every = Rows(truth, settings.seed, settings.resamples)
    findings: list[Finding] = []
    findings += _floors(metrics, every, cand, settings, None)
    groups: list[tuple[Slice, Rows, Scored, Scored | None]] = []
    for column in settings.slices:
        column_slices, left_out = slices_of(data.frame, column, settings.slice_bins)
        if left_out:
            findings.append(
                Finding(
                    "model.slice_worse_than_baseline",
                    Status.SKIP,
                    f"{column!r} has {len(column_slices) + left_out:,} values: its "
                    f"{len(column_slices)} most frequent are sliced, {left_out:,} are not (an "
                    "identifier is no slice; bin it, or slice by a coarser column)",
                    column,
                    {"values": len(column_slices) + left_out, "left_out": left_out},
                )
            )
        for s in column_slices:
            groups.append(
                (
                    s,
                    Rows(truth.subset(s.rows), settings.seed, settings.resamples),
                    cand.subset(s.rows),
                    None if base is None else base.subset(s.rows),
                )
            )
    for s, rows, c, _b in groups:
        if len(s.rows) >= settings.min_slice_rows:
            findings += _floors([primary], rows, c, settings, s)
    if base is None:
        why = baseline_note or (
            "no baseline to compare with: pass --baseline (main's model, predictions or "
            "a folder from 'mlgate baseline save'), or run 'mlgate run --baseline main'"
        )
        findings.append(Finding("model.worse_than_baseline", Status.SKIP, why))
    else:
        findings += _compare_all(
            metrics, primary, gating, every, cand, base, groups, settings, baseline_note
        )
    if settings.simpler_model:
        from mlgate.evaluation.simpler import DUMMY, dummy, simpler_model_finding

        pairs = [(DUMMY[task], dummy(truth, with_proba=cand.proba is not None))]
        pairs += [(name, sc) for (name, _), sc in zip(simpler, simpler_scored, strict=True)]
        for i, (name, other) in enumerate(pairs):
            findings.append(
                simpler_model_finding(
                    primary,
                    every,
                    cand,
                    other,
                    name,
                    ties_fail=i == 0,  # the dummy
                )
            )
    findings += label_findings
    findings += extra
    findings = with_stage(apply_severity(findings, severity or {}), STAGE)
    return Report(tuple(findings), title="mlgate model check")


class Rows:
    """One set of rows (every evaluation row, or a slice) with each model's metric values
    scored once, and one set of bootstrap resamples for every metric compared on them:
    ``sklearn.metrics`` re-validates a million rows on every call, and drawing the
    resamples again per metric would repeat the same seeded draws."""

    def __init__(self, truth: Truth, seed: int, resamples: int) -> None:
        self.truth, self.seed, self.resamples = truth, seed, resamples
        self._values: dict[tuple[str, int], float] = {}
        self._resampler: Resampler | None = None

    def value(self, metric: Metric, scored: Scored) -> float:
        """The metric of ``scored`` on these rows (``metrics.score``), once."""
        key = (metric.name, id(scored))
        if key not in self._values:
            self._values[key] = score(metric, self.truth, scored)
        return self._values[key]

    @property
    def resampler(self) -> Resampler:
        if self._resampler is None:
            self._resampler = Resampler(self.truth.rows, self.resamples, self.seed)
        return self._resampler

    def compare(self, metric: Metric, cand: Scored, base: Scored, margin: float) -> Comparison:
        """``paired.compare`` with the values and resamples of these rows."""
        values = (self.value(metric, cand), self.value(metric, base))
        resampler = self.resampler if metric.method == "paired bootstrap" else None
        return compare(
            metric,
            self.truth,
            cand,
            base,
            margin=margin,
            seed=self.seed,
            resamples=self.resamples,
            values=values,
            resampler=resampler,
        )


def infer_task(data: EvalData, candidate: ModelOutput) -> Task:
    """Classification when the target is text, boolean or categorical, or the model
    gives class probabilities, or an integer target has at most 20 values that the
    predictions share; else regression."""
    y = data.frame.get_column(data.target)
    if not y.dtype.is_numeric() or candidate.proba is not None:
        return "classification"
    pred = np.asarray(candidate.labels)
    if pred.dtype.kind not in "iufb":  # text labels against a numeric target
        return "classification"
    whole = pred.dtype.kind in "iub" or bool(np.all(np.mod(pred.astype(float), 1) == 0))
    if y.dtype.is_integer() and y.n_unique() <= 20 and whole:
        return "classification"
    return "regression"


def _encode(
    task: Task, data: EvalData, outputs: Sequence[ModelOutput]
) -> tuple[Truth, list[Scored]]:
    """The target and each model's predictions, with class codes shared by all."""
    if task == "regression":
        try:
            y = np.asarray(data.y, dtype=float)
            preds = [np.asarray(o.labels, dtype=float) for o in outputs]
        except (TypeError, ValueError):
            raise InputError(
                f"{data.path}: the target {data.target!r} or a model's predictions are not "
                "numbers; set the task to classification"
            ) from None
        bad = [o.source for o, p in zip(outputs, preds, strict=True) if not np.isfinite(p).all()]
        if bad:
            raise InputError(f"{bad[0]}: predicted NaN or inf; the model gate needs finite values")
        return Truth(task, y), [Scored(p) for p in preds]
    classes, y, codes = encode_classes(
        data.y, [o.labels for o in outputs], [o.classes or () for o in outputs]
    )
    scored = []
    for o, c in zip(outputs, codes, strict=True):
        proba = None
        if o.proba is not None and o.classes is not None:
            proba = align_proba(o.proba, o.classes, classes)
        scored.append(Scored(c, proba))
    return Truth(task, y, classes), scored


def check_outputs(task: Task, data: EvalData, outputs: Sequence[ModelOutput]) -> list[Finding]:
    """What a model's predictions must be before they are scored. Probabilities must lie
    in [0, 1], sum to 1 per row and cover the labels the model predicts; a model whose
    labels share none with the target and are of another kind (text "1" against the
    number 1) is a mismatch, not a bad model: ``InputError`` (exit 2). Labels the target
    never takes are a warning (``model.invalid_predictions``)."""
    if task != "classification":
        return []
    target = set(np.unique(np.asarray(data.y)).tolist())
    out = []
    for o in outputs:
        labels, counts = np.unique(np.asarray(o.labels), return_counts=True)
        predicted = dict(zip(labels.tolist(), counts.tolist(), strict=True))
        unseen = {k: v for k, v in predicted.items() if k not in target}
        if unseen and len(unseen) == len(predicted) and _kinds(predicted) != _kinds(target):
            raise InputError(
                f"{o.source}: predicts labels ({_few(predicted)}) of which none is a value of "
                f"{data.target!r} ({_few(target)}); a type mismatch (text against numbers) or "
                "another encoding of the classes?"
            )
        if o.proba is not None and o.classes is not None:
            _check_proba(o, set(predicted), data.rows)
        if unseen:
            rows = sum(unseen.values())
            out.append(
                Finding(
                    "model.invalid_predictions",
                    Status.WARN,
                    f"{o.source}: {rows} of {data.rows} rows are predicted as labels "
                    f"{data.target!r} never takes here ({_few(unseen)}); scored as wrong",
                    data.target,
                    {"source": o.source, "unseen": {str(k): v for k, v in unseen.items()}},
                )
            )
    return out


def _kinds(values: Any) -> set[str]:
    """The kind of each label, text or number: 1 and '1' differ, 1 and 1.0 do not."""
    return {"text" if isinstance(v, str) else "number" for v in values}


def _check_proba(o: ModelOutput, predicted: set[Any], rows: int) -> None:
    assert o.proba is not None and o.classes is not None
    proba = o.proba
    if proba.shape != (rows, len(o.classes)):
        raise InputError(
            f"{o.source}: probabilities of shape {proba.shape}, expected "
            f"({rows}, {len(o.classes)}) for the classes {list(o.classes)}"
        )
    if not np.isfinite(proba).all():
        raise InputError(f"{o.source}: class probabilities hold NaN or inf")
    bad = np.flatnonzero(((proba < -1e-9) | (proba > 1 + 1e-9)).any(axis=1))
    if len(bad):
        raise InputError(
            f"{o.source}: row {bad[0]} has a probability outside [0, 1] "
            f"({proba[bad[0]].tolist()}); give probabilities, not scores or logits"
        )
    sums = proba.sum(axis=1)
    off = np.flatnonzero(np.abs(sums - 1) > 1e-3)
    if len(off):
        raise InputError(
            f"{o.source}: the probabilities of row {off[0]} sum to {sums[off[0]]:.4g}, not 1 "
            f"({len(off)} rows like it); give one column per class ({_few(predicted)})"
        )
    missing = predicted - set(o.classes)
    if missing:
        raise InputError(
            f"{o.source}: predicts {_few(missing)}, but has no probability column for it (its "
            f"columns are for {_few(o.classes)}); name the columns proba_<class>"
        )


def _few(values: Any, limit: int = 5) -> str:
    items = sorted(values, key=repr)
    shown = ", ".join(repr(v) for v in items[:limit])
    return shown + (f" and {len(items) - limit} more" if len(items) > limit else "")


def _check_asked(
    settings: ModelGateSettings, task: Task, primary: Metric, truth: Truth, models: list[Scored]
) -> None:
    """Every metric the user named must belong to the task, and the ones that decide
    (primary, gate, floors) must be computable: a gate skipped for want of probabilities
    would pass a pull request unseen. Raises ``InputError`` (exit 2)."""
    named = [
        ("primary", primary.name),
        *(("gate", n) for n in settings.gate),
        *(("floors", n) for n in settings.floors),
        *(("margins", n) for n in settings.margins),
    ]
    for key, name in named:
        m = METRICS[name]
        if m.task != task:
            raise InputError(
                f"model {key}: {name} is a {m.task} metric, and this is {task}; the "
                f"{task} metrics are {', '.join(x.name for x in metrics_for(task))}"
            )
        why = applicable(m, truth, *models)
        if why is not None and key != "margins":
            raise InputError(
                f"model {key}: {name} {why}; choose another metric, or give class "
                "probabilities (predict_proba, or proba_<class> columns)"
            )


def _metrics(task: Task, settings: ModelGateSettings) -> list[Metric]:
    chosen = [METRICS[n] for n in settings.metrics] if settings.metrics else metrics_for(task)
    wrong = [m.name for m in chosen if m.task != task]
    if wrong:
        raise InputError(f"model metrics: {wrong[0]} is not a {task} metric")
    return chosen


# --------------------------------------------------------------------------- findings


def _floors(
    metrics: Sequence[Metric],
    rows: Rows,
    cand: Scored,
    settings: ModelGateSettings,
    where: Slice | None,
) -> list[Finding]:
    truth = rows.truth
    out = []
    for m in metrics:
        if where is not None and m.name not in settings.floors:
            continue
        column = where.column if where is not None else None
        scope = f" on {where.label}" if where is not None else ""
        why = applicable(m, truth, cand)
        if why is not None:
            if where is None:
                out.append(
                    Finding(
                        "model.metric_floor",
                        Status.SKIP,
                        f"{m.label}: {why}",
                        details={"metric": m.name},
                    )
                )
            continue
        value = rows.value(m, cand)
        details: dict[str, Any] = {
            "metric": m.name,
            "candidate": value,
            "rows": truth.rows,
            "slice": where.spec if where else None,
        }
        floor = settings.floors.get(m.name)
        if floor is None:
            out.append(
                Finding(
                    "model.metric_floor",
                    Status.PASS,
                    f"{m.label} {value:.4g}{scope} (no floor set in model.floors)",
                    column,
                    details,
                )
            )
            continue
        details["floor"] = floor
        below = value < floor if m.higher_is_better else value > floor
        word = "below" if m.higher_is_better else "above"
        if below:
            out.append(
                Finding(
                    "model.metric_floor",
                    Status.FAIL,
                    f"{m.label} is {value:.4g}{scope}, {word} its floor {floor:g} ({truth.rows} "
                    f"rows); improve the model there, or lower model.floors.{m.name}",
                    column,
                    details,
                )
            )
        else:
            out.append(
                Finding(
                    "model.metric_floor",
                    Status.PASS,
                    f"{m.label} {value:.4g}{scope} meets its floor {floor:g}",
                    column,
                    details,
                )
            )
    return out


def _compare_all(
    metrics: Sequence[Metric],
    primary: Metric,
    gating: set[str],
    every: Rows,
    cand: Scored,
    base: Scored,
    groups: Sequence[tuple[Slice, Rows, Scored, Scored | None]],
    settings: ModelGateSettings,
    note: str,
) -> list[Finding]:
    tested: list[tuple[Comparison, Slice | None]] = []
    skipped: list[Finding] = []
    for m in metrics:
        why = applicable(m, every.truth, cand, base)
        if why is not None:
            skipped.append(
                Finding(
                    "model.worse_than_baseline",
                    Status.SKIP,
                    f"{m.label}: {why}",
                    details={"metric": m.name},
                )
            )
            continue
        tested.append((_compare(m, every, cand, base, settings), None))
    for s, rows, c, b in groups:
        assert b is not None
        if len(s.rows) < settings.min_slice_rows:
            skipped.append(
                Finding(
                    "model.slice_worse_than_baseline",
                    Status.SKIP,
                    f"{s.label}: {len(s.rows)} rows, fewer than model.min_slice_rows "
                    f"({settings.min_slice_rows}) to compare",
                    s.column,
                    {"metric": primary.name, "rows": len(s.rows), "slice": s.spec},
                )
            )
        elif applicable(primary, rows.truth, c, b) is None:
            tested.append((_compare(primary, rows, c, b, settings), s))
    adjusted = holm([c for c, _ in tested])
    out = [
        _comparison_finding(
            c, s, gate=s is None and c.metric.name in gating, note=note, family=len(tested)
        )
        for c, (_, s) in zip(adjusted, tested, strict=True)
    ]
    return out + skipped


def _compare(m: Metric, rows: Rows, cand: Scored, base: Scored, s: ModelGateSettings) -> Comparison:
    return rows.compare(m, cand, base, s.margins.get(m.name, m.default_margin))


def _comparison_finding(
    c: Comparison, where: Slice | None, *, gate: bool, note: str, family: int
) -> Finding:
    """The finding of one comparison; ``family`` is how many were tested at once."""
    m = c.metric
    scope = f" on {where.label}" if where is not None else ""
    numbers = (
        f"{m.label}{scope} {c.candidate:.4g} vs main's {c.baseline:.4g} "
        f"({_amount(c, c.difference)}, 95% interval {_amount(c, c.ci_low)} to "
        f"{_amount(c, c.ci_high)}, {c.rows} rows, {c.method})"
    )
    margin = f"the margin of {_amount(c, c.margin, signed=False)}"
    verdict = c.verdict
    if verdict == "worse":
        status = Status.FAIL if gate else Status.WARN
        message = (
            f"{numbers}: worse than main beyond {margin} (Holm-adjusted p={c.p_adjusted:.2g}); "
            f"find what the change did to the model, or raise model.margins.{m.name} if the "
            "change is intended"
        )
    elif verdict == "not_worse":
        status = Status.PASS
        message = f"{numbers}: not worse than main beyond {margin}"
    elif c.method != "exact McNemar" and c.rows < MIN_ROWS:
        status = Status.WARN if gate else Status.PASS
        message = (
            f"{numbers}: inconclusive; {c.rows} rows are too few for a {c.method} interval "
            f"(at least {MIN_ROWS}); give more evaluation rows"
        )
    elif c.p_value < ALPHA:  # worse on its own, not once every comparison is counted
        status = Status.WARN if gate else Status.PASS
        message = (
            f"{numbers}: inconclusive; worse than main beyond {margin} on its own "
            f"(p={c.p_value:.2g}), but not with confidence across the {family} comparisons "
            f"made at once (Holm-adjusted p={c.p_adjusted:.2g}); give more rows, or compare "
            "fewer slices"
        )
    else:
        status = Status.WARN if gate else Status.PASS
        needed = c.rows_for_half_width(c.margin)
        more = f"; about {needed:,} rows would resolve {margin}" if needed else ""
        message = (
            f"{numbers}: inconclusive; these rows can confirm only a change beyond "
            f"{_amount(c, c.margin + c.half_width, signed=False)}{more}"
        )
    details = {
        **c.details(),
        "gate": gate,
        "slice": where.spec if where else None,
        "comparisons": family,
    }
    if note:
        details["baseline_source"] = note
    code = "model.worse_than_baseline" if where is None else "model.slice_worse_than_baseline"
    return Finding(code, status, message, where.column if where else None, details)


def _amount(c: Comparison, value: float, *, signed: bool = True) -> str:
    """A difference as a reader takes it: percentage points for rates, percent of the
    baseline's value for errors."""
    sign = "+" if signed else ""
    if c.metric.relative_margin:
        if abs(c.baseline) < 1e-9:  # main's error is 0: a percentage of it means nothing
            return f"{value:{sign}.4g}"
        return f"{value / abs(c.baseline) * 100:{sign}.1f}%"
    return f"{value * 100:{sign}.1f} points"
