"""The HTML report's charts: Vega-Lite specifications and the small data they draw.

Nothing here draws: the page carries the Vega runtime inline and draws each chart when
it scrolls into view (see ``templates/report.js``). This module turns
profiles, loss curves and model comparisons into a few hundred numbers per chart, so a
report of 500 columns stays small (no raw rows: distributions come from the profiles'
quantile sketches and frequent values).

Every chart is a *template*: a Vega-Lite spec written here, compiled to Vega when the
runtimes are updated (``make vega-assets``), parsed once per page and fed each chart's
rows through named datasets. A chart is ``{"template": name, "data": {dataset: rows}}``.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import math
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from mlgate.data.profile import ColumnProfile
    from mlgate.reports.evidence import LossSeries

REFERENCE, CURRENT = "reference", "current"
#: Reference and current sides in every chart (Vega's category10 blue and orange).
SIDE_COLORS = ("#4c78a8", "#f58518")
#: Bins of a histogram: the Rice rule (2 n^(1/3)) for the smaller side's n, within
#: these bounds: finer bins than 40 show the sketch's noise, fewer than 10 hide a shift.
MIN_BINS, MAX_BINS = 10, 40
#: Ranks outside which the histogram's range does not reach: one extreme value does not
#: squash the rest into one bin. Values beyond fall into the first or last bin.
TAIL_RANK = 0.002
#: Values drawn per categorical column; the rest are pooled as "(other)".
TOP_VALUES = 12
#: Points per loss curve; longer runs are drawn as means of consecutive steps.
MAX_CURVE_POINTS = 600
#: A loss curve spanning more than this ratio (all values positive) gets a log scale.
LOG_SCALE_RATIO = 100.0
#: Loss curves' colours, in the order of the runs (the main run first).
LOSS_COLORS = ("#4c78a8", "#72b7b2", "#b279a2", "#9d755d", "#54a24b", "#8c959f")
#: Verdicts of a model comparison, worst first, with their colours.
VERDICTS = ("worse", "inconclusive", "not_worse")
VERDICT_COLORS = ("#cf222e", "#bf8700", "#1a7f37")

_SIDE_SCALE = {"domain": [REFERENCE, CURRENT], "range": list(SIDE_COLORS)}
_LEGEND = {"orient": "top", "title": None, "symbolType": "square", "offset": 4}
_FONT = "system-ui, -apple-system, Segoe UI, Helvetica, Arial, sans-serif"
CONFIG: dict[str, Any] = {
    "font": _FONT,
    "view": {"stroke": None},
    "axis": {"labelColor": "#57606a", "titleColor": "#57606a", "gridColor": "#eaeef2"},
    "legend": {"labelColor": "#1f2328"},
}


def _sig(x: float | None, digits: int = 5) -> float | None:
    """``x`` rounded to ``digits`` significant digits; None for None, NaN and inf."""
    if x is None or not math.isfinite(x):
        return None
    return float(f"{x:.{digits}g}")


# --- per-column distributions -------------------------------------------------------

HISTOGRAM: dict[str, Any] = {
    "width": 400,
    "height": 120,
    "config": CONFIG,
    # One row of arrays (each side's shares of the bins, in basis points), made into
    # rows here: a column's data is about 300 bytes of JSON, not 4 KB of objects.
    "data": {"name": "bins"},
    "transform": [
        {"flatten": [REFERENCE, CURRENT]},
        {"window": [{"op": "row_number", "as": "bin"}]},
        {"calculate": "datum.low + (datum.bin - 1) * datum.width", "as": "x0"},
        {"calculate": "datum.x0 + datum.width", "as": "x1"},
        {"calculate": "datum.reference == null ? null : datum.reference / 10000", "as": REFERENCE},
        {"calculate": "datum.current == null ? null : datum.current / 10000", "as": CURRENT},
        {
            "calculate": "format(datum.x0, '.4~g') + ' to ' + format(datum.x1, '.4~g')",
            "as": "range",
        },
    ],
    "layer": [
        {
            "transform": [{"fold": [REFERENCE, CURRENT], "as": ["side", "share"]}],
            "mark": {
                "type": "area",
                "interpolate": "step-after",
                "fillOpacity": 0.22,
                "line": {"strokeWidth": 1.5},
            },
            "encoding": {
                "x": {
                    "field": "x0",
                    "type": "quantitative",
                    "title": None,
                    "scale": {"zero": False, "nice": False},
                    "axis": {"tickCount": 6, "labelFlush": True},
                },
                "y": {
                    "field": "share",
                    "type": "quantitative",
                    "stack": None,
                    "title": "share of values",
                    "axis": {"format": "~%", "tickCount": 4},
                },
                "color": {
                    "field": "side",
                    "type": "nominal",
                    "scale": _SIDE_SCALE,
                    "legend": _LEGEND,
                },
            },
        },
        {
            # Invisible bins over the whole height: the tooltip names a bin's shares.
            "transform": [{"filter": "datum.bin <= datum.bins"}],
            "mark": {"type": "rect", "opacity": 0},
            "encoding": {
                "x": {"field": "x0", "type": "quantitative"},
                "x2": {"field": "x1"},
                "tooltip": [
                    {"field": "range", "title": "values"},
                    {"field": REFERENCE, "format": ".1%"},
                    {"field": CURRENT, "format": ".1%"},
                ],
            },
        },
        {
            "data": {"name": "rules"},
            "mark": {"type": "rule", "color": "#cf222e", "strokeDash": [4, 3], "strokeWidth": 1.5},
            "encoding": {
                "x": {"field": "x", "type": "quantitative"},
                "tooltip": {"field": "label"},
            },
        },
    ],
}

BARS: dict[str, Any] = {
    "width": 400,
    "height": {"step": 18},
    "config": CONFIG,
    "data": {"name": "bars"},
    "transform": [{"fold": [REFERENCE, CURRENT], "as": ["side", "share"]}],
    "mark": {"type": "bar", "cornerRadiusEnd": 2},
    "encoding": {
        "y": {
            "field": "value",
            "type": "nominal",
            "title": None,
            "sort": {"field": "order", "op": "min"},
            "axis": {"labelLimit": 150},
        },
        "yOffset": {"field": "side", "sort": [REFERENCE, CURRENT]},
        "x": {
            "field": "share",
            "type": "quantitative",
            "title": "share of rows",
            "axis": {"format": "~%", "tickCount": 5},
        },
        "color": {"field": "side", "type": "nominal", "scale": _SIDE_SCALE, "legend": _LEGEND},
        "tooltip": [
            {"field": "value"},
            {"field": "side"},
            {"field": "share", "format": ".1%"},
        ],
    },
}


def numeric_histogram(
    ref: ColumnProfile | None,
    cur: ColumnProfile | None,
    *,
    bins: int | None = None,
    rules: Sequence[tuple[float, str]] = (),
) -> dict[str, Any] | None:
    """Both sides' distributions over shared bins, from their KLL quantile sketches.

    ``bins`` defaults to the Rice rule within ``MIN_BINS`` and ``MAX_BINS``. Each bin
    holds the share of the side's finite values (``cdf(right) - cdf(left)``,
    within the sketch's rank error of about 1%); values below or above the range (the
    ``TAIL_RANK`` and ``1 - TAIL_RANK`` quantiles of both sides) count in the first or
    last bin. ``rules`` are vertical lines (value, label), such as the schema's range.
    Returns the ``histogram`` template's data, or None when neither side has values.
    """
    sketches = [c.quantiles for c in (ref, cur) if c is not None and c.quantiles.n > 0]
    if not sketches:
        return None
    if bins is None:
        n = min(s.n for s in sketches)
        bins = int(min(MAX_BINS, max(MIN_BINS, round(2 * n ** (1 / 3)))))
    low = min(float(s.quantiles([TAIL_RANK])[0]) for s in sketches)
    high = max(float(s.quantiles([1.0 - TAIL_RANK])[0]) for s in sketches)
    if not high > low:
        low, high = low - 0.5, high + 0.5
    edges = np.linspace(low, high, bins + 1)
    width = (high - low) / bins
    # Bins start at low + i * width; each side's shares are in basis points, with the
    # last repeated at the right edge to close the last step.
    row: dict[str, Any] = {"low": float(low), "width": float(width), "bins": bins}
    for side, col in ((REFERENCE, ref), (CURRENT, cur)):
        if col is None or col.quantiles.n == 0:
            row[side] = [None] * (bins + 1)
            continue
        cdf = col.quantiles.cdf(edges[1:-1], inclusive=False)
        mass = np.diff(np.concatenate([[0.0], cdf, [1.0]]))
        basis_points = np.rint(np.clip(mass, 0.0, 1.0) * 10_000).astype(int).tolist()
        row[side] = [*basis_points, basis_points[-1]]
    return {
        "bins": [row],
        "rules": [{"x": _sig(x, 6), "label": label} for x, label in rules if _sig(x) is not None],
    }


def category_bars(
    ref: ColumnProfile | None, cur: ColumnProfile | None, *, top: int = TOP_VALUES
) -> dict[str, Any] | None:
    """Both sides' most frequent values as shares of all rows, from the profiles'
    frequent-values sketches; nulls as ``(null)``, the rest pooled as ``(other)``.

    Values are the ``top`` with the largest share on either side, in numeric order when
    all are numbers (integer codes, years), else by reference share. Returns the
    ``bars`` template's data, or None when neither side holds any value.
    """
    sides = [(s, c) for s, c in ((REFERENCE, ref), (CURRENT, cur)) if c is not None and c.count]
    if not sides:
        return None
    shares: dict[str, dict[str, float]] = {}
    for side, col in sides:
        shares[side] = {value: n / col.count for value, n in col.value_counts()}
    keys = {k for side in shares.values() for k in side}
    if not keys and not any(c.nulls for _, c in sides):
        return None

    def largest(k: str) -> float:
        return max(side.get(k, 0.0) for side in shares.values())

    chosen = sorted(keys, key=lambda k: (-largest(k), k))[:top]
    if all(_is_number(k) for k in chosen):
        chosen.sort(key=float)
    else:
        ref_shares = shares.get(REFERENCE, {})
        chosen.sort(key=lambda k: (-ref_shares.get(k, 0.0), -largest(k), k))
    rows: list[dict[str, Any]] = []

    def add(value: str, by_side: Mapping[str, float]) -> None:
        rows.append(
            {
                "value": value,
                "order": len(rows),
                REFERENCE: _sig(by_side.get(REFERENCE), 4),
                CURRENT: _sig(by_side.get(CURRENT), 4),
            }
        )

    for k in chosen:
        add(k, {side: s.get(k, 0.0) for side, s in shares.items()})
    other: dict[str, float] = {}
    nulls: dict[str, float] = {}
    for side, col in sides:
        other[side] = max(
            0.0, 1.0 - col.null_fraction - sum(shares[side].get(k, 0.0) for k in chosen)
        )
        nulls[side] = col.null_fraction
    if max(other.values()) > 5e-4:
        add("(other)", other)
    if max(nulls.values()) > 0:
        add("(null)", nulls)
    return {"bars": rows}


def _is_number(text: str) -> bool:
    try:
        return math.isfinite(float(text))
    except ValueError:
        return False


# --- training loss ------------------------------------------------------------------


def _loss_template(log: bool) -> dict[str, Any]:
    return {
        "width": 640,
        "height": 180,
        "config": CONFIG,
        "layer": [
            {
                "data": {"name": "points"},
                "mark": {"type": "line", "strokeWidth": 1.6},
                "encoding": {
                    "x": {"field": "step", "type": "quantitative", "title": None},
                    "y": {
                        "field": "loss",
                        "type": "quantitative",
                        "title": None,
                        "scale": {"type": "log"} if log else {"zero": False},
                    },
                    "color": {
                        "field": "series",
                        "type": "nominal",
                        # Colours in the order of the runs: the main run first.
                        "sort": {"field": "order", "op": "min"},
                        "legend": {**_LEGEND, "symbolType": "stroke", "symbolStrokeWidth": 2},
                        "scale": {"range": list(LOSS_COLORS)},
                    },
                    "tooltip": [
                        {"field": "series", "title": "run"},
                        {"field": "step"},
                        {"field": "loss", "format": ".4g"},
                    ],
                },
            },
            {
                "data": {"name": "marks"},
                "mark": {"type": "rule", "color": "#cf222e", "strokeDash": [4, 3]},
                "encoding": {
                    "x": {"field": "step", "type": "quantitative"},
                    "tooltip": {"field": "label", "title": "not finite"},
                },
            },
        ],
    }


LOSS = _loss_template(log=False)
LOSS_LOG = _loss_template(log=True)


def loss_chart(curves: Iterable[LossSeries]) -> dict[str, Any] | None:
    """Loss curves (one line per run) for the ``loss`` template (``loss_log`` when the
    loss spans more than ``LOG_SCALE_RATIO``), the first non-finite value of each run
    marked by a red rule. Curves longer than ``MAX_CURVE_POINTS`` are drawn as means of
    consecutive steps. Returns the chart (template, data and ``caption``: what is drawn
    against what), or None without any value.
    """
    points: list[dict[str, Any]] = []
    marks: list[dict[str, Any]] = []
    metrics: list[str] = []
    units: list[str] = []
    for order, curve in enumerate(c for c in curves if c.values):
        metrics += [curve.metric] if curve.metric not in metrics else []
        units += [curve.unit] if curve.unit not in units else []
        values = np.asarray(curve.values, dtype=float)
        bad = curve.first_non_finite
        finite = values[: bad - 1] if bad else values
        for step, loss in _downsample(finite):
            points.append({"series": curve.label, "order": order, "step": step, "loss": _sig(loss)})
        if bad:
            marks.append(
                {"step": bad, "label": f"{curve.label}: {curve.metric} = {values[bad - 1]}"}
            )
    if not points:
        return None
    positive = [p["loss"] for p in points if p["loss"] is not None]
    log = bool(positive) and min(positive) > 0 and max(positive) / min(positive) > LOG_SCALE_RATIO
    caption = f"{' / '.join(metrics)} per {' / '.join(units)}" + (", log scale" if log else "")
    return {
        "template": "loss_log" if log else "loss",
        "data": {"points": points, "marks": marks},
        "caption": caption,
    }


def _downsample(values: np.ndarray) -> list[tuple[float, float]]:
    """(step, loss) pairs, steps 1-based; runs of steps averaged past MAX_CURVE_POINTS."""
    n = len(values)
    if n <= MAX_CURVE_POINTS:
        return [(float(i + 1), float(v)) for i, v in enumerate(values)]
    edges = np.linspace(0, n, MAX_CURVE_POINTS + 1).astype(int)
    out = []
    for a, b in itertools.pairwise(edges):
        if b > a:
            out.append(((a + b + 1) / 2, float(values[a:b].mean())))
    return out


# --- model comparisons --------------------------------------------------------------

#: Keys a model finding's details must have to be drawn as a comparison.
COMPARISON_KEYS = ("metric", "difference", "ci_low", "ci_high")


def is_comparison(details: Mapping[str, Any]) -> bool:
    """True for the details of a model comparison (candidate against baseline)."""
    numbers = all(
        isinstance(details.get(k), (int, float)) and not isinstance(details.get(k), bool)
        for k in COMPARISON_KEYS[1:]
    )
    return numbers and isinstance(details.get("metric"), str)


def margin_line(details: Mapping[str, Any]) -> float | None:
    """Where the non-inferiority margin lies on the difference axis: ``-margin`` when
    higher is better, ``+margin`` when lower is better; None without a margin."""
    margin = details.get("margin")
    if not isinstance(margin, (int, float)) or not math.isfinite(margin):
        return None
    return -abs(margin) if details.get("higher_is_better", True) else abs(margin)


def forest_plot(rows: Sequence[Mapping[str, Any]]) -> dict[str, Any] | None:
    """The ``forest`` template's data: per row (a metric), the difference candidate -
    baseline with its confidence interval, a line at zero and a dashed red line at the
    margin on the worse side. Each metric has its own axis (metrics differ in units).

    ``rows`` hold ``label`` and the comparison details (``difference``, ``ci_low``,
    ``ci_high``, ``margin``, ``higher_is_better``, ``verdict``, ...). Returns None for
    no rows.
    """
    if not rows:
        return None
    values = []
    for i, r in enumerate(rows):
        verdict = str(r.get("verdict") or "inconclusive")
        values.append(
            {
                "order": i,
                "label": r["label"],
                "difference": _sig(r.get("difference")),
                "ci_low": _sig(r.get("ci_low")),
                "ci_high": _sig(r.get("ci_high")),
                "margin_x": _sig(margin_line(r)),
                "verdict": verdict if verdict in VERDICTS else "inconclusive",
                "candidate": _sig(r.get("candidate")),
                "baseline": _sig(r.get("baseline")),
                "interval": f"{_fmt(r.get('ci_low'))} to {_fmt(r.get('ci_high'))}",
            }
        )
    return {"template": "forest", "data": {"rows": values}}


_VERDICT_COLOR: dict[str, Any] = {
    "field": "verdict",
    "type": "nominal",
    "scale": {"domain": list(VERDICTS), "range": list(VERDICT_COLORS)},
    "legend": {**_LEGEND, "symbolType": "circle", "labelExpr": "replace(datum.label, '_', ' ')"},
}
_MID = 16  # the vertical middle of a forest plot's row, in pixels

FOREST: dict[str, Any] = {
    "config": {**CONFIG, "facet": {"spacing": 6}},
    "data": {"name": "rows"},
    "facet": {
        "row": {
            "field": "label",
            "type": "nominal",
            "sort": {"field": "order", "op": "min"},
            "title": None,
            "header": {
                "labelAngle": 0,
                "labelAlign": "left",
                "labelAnchor": "middle",
                "labelOrient": "left",
                "labelLimit": 260,
                "labelFontSize": 12,
                "labelColor": "#1f2328",
                "labelPadding": 10,
            },
        }
    },
    "spec": {
        "width": 420,
        "height": 2 * _MID,
        "layer": [
            {
                "mark": {"type": "rule", "color": "#8c959f"},
                "encoding": {"x": {"datum": 0, "type": "quantitative"}},
            },
            {
                "mark": {
                    "type": "rule",
                    "color": "#cf222e",
                    "strokeDash": [5, 3],
                    "strokeWidth": 1.5,
                },
                "encoding": {
                    "x": {"field": "margin_x", "type": "quantitative"},
                    "tooltip": {"field": "margin_x", "title": "margin", "format": ".4g"},
                },
            },
            {
                "mark": {
                    "type": "text",
                    "color": "#cf222e",
                    "fontSize": 10,
                    "baseline": "top",
                    "dx": 3,
                    "align": "left",
                },
                "encoding": {
                    "x": {"field": "margin_x", "type": "quantitative"},
                    "y": {"value": 0},
                    "text": {"value": "margin"},
                },
            },
            {
                "mark": {"type": "rule", "strokeWidth": 2.5},
                "encoding": {
                    "x": {
                        "field": "ci_low",
                        "type": "quantitative",
                        "title": None,
                        "axis": {"tickCount": 6, "format": "+~g", "labelFlush": True},
                    },
                    "x2": {"field": "ci_high"},
                    "y": {"value": _MID},
                    "color": _VERDICT_COLOR,
                },
            },
            {
                "mark": {"type": "point", "filled": True, "size": 80, "opacity": 1},
                "encoding": {
                    "x": {"field": "difference", "type": "quantitative"},
                    "y": {"value": _MID},
                    "color": _VERDICT_COLOR,
                    "tooltip": [
                        {"field": "label", "title": "metric"},
                        {"field": "candidate", "format": ".4g"},
                        {"field": "baseline", "format": ".4g"},
                        {"field": "difference", "format": "+.4g"},
                        {"field": "interval", "title": "confidence interval"},
                        {"field": "verdict"},
                    ],
                },
            },
        ],
    },
    "resolve": {"scale": {"x": "independent"}},
}


def _fmt(x: Any) -> str:
    return f"{x:+.4g}" if isinstance(x, (int, float)) and math.isfinite(x) else "?"


#: Every chart's Vega-Lite spec, by name; each is fed its data through named datasets.
#: ``make vega-assets`` compiles them to Vega (``assets/vega-specs.json``), which the
#: page draws with the inlined Vega runtime: no Vega-Lite compiler runs in the page.
TEMPLATES: dict[str, dict[str, Any]] = {
    "histogram": HISTOGRAM,
    "bars": BARS,
    "loss": LOSS,
    "loss_log": LOSS_LOG,
    "forest": FOREST,
}


def templates_digest() -> str:
    """A digest of ``TEMPLATES``: the compiled specs record the one they came from, and
    a test holds them equal (run ``make vega-assets`` after changing a template)."""
    text = json.dumps(TEMPLATES, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()
