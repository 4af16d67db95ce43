"""The HTML report: one self-contained page, meant to be opened from a CI artifact.

Everything it needs is inline (styles, the Vega runtime, the charts' specifications and
data), so it opens offline and makes no request. The page leads with the verdict and
the inputs, then what needs attention grouped by stage and column (with each data
column's reference and current distributions and its drift statistic), the model
against its baseline (a forest plot of metric differences, the slices as a sortable
and searchable table), the training loss curves, and the passed and skipped checks
folded at the bottom.

Charts are drawn in the browser when they scroll into view, so a report of 500
columns opens in well under a second; the renderer only prepares their data.
"""

from __future__ import annotations

import functools
import json
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape

from mlgate import __version__
from mlgate.findings import Finding, Report, Status
from mlgate.reports import charts
from mlgate.reports.evidence import DataEvidence, TrainingEvidence

#: Stages in the order the gate runs them; others follow in the order met.
STAGE_ORDER = ("data", "training", "model", "pipeline", "serving")
#: Where a finding without a stage comes from, by its code's first part.
_STAGE_OF_PREFIX = {
    "schema": "data",
    "quality": "data",
    "drift": "data",
    "skew": "data",
    "training": "training",
    "model": "model",
    "serving": "serving",
    "pipeline": "pipeline",
}
_STAGE_NAMES = {
    "data": "Data",
    "training": "Training",
    "model": "Model",
    "serving": "Serving",
    "pipeline": "Pipeline",
}
#: How a count of each status reads: (one, many).
_COUNT_WORDS = {
    Status.ERROR: ("error", "errors"),
    Status.FAIL: ("failed", "failed"),
    Status.WARN: ("warning", "warnings"),
    Status.PASS: ("passed", "passed"),
    Status.SKIP: ("skipped", "skipped"),
}
_DRIFT_LABELS = {
    "wasserstein": "normalised Wasserstein distance",
    "jensen_shannon": "Jensen-Shannon distance",
}
_NO_COLUMN = ""
#: Shown for a number that is missing, and the minus sign of signed numbers.
_NONE, _MINUS = "\N{EN DASH}", "\N{MINUS SIGN}"


@dataclass
class _Row:
    """One finding as the page shows it."""

    status: str
    name: str
    message: str
    details: str


@dataclass
class _Card:
    """The findings of one column (or of none) within one stage."""

    column: str
    anchor: str
    rows: list[_Row] = field(default_factory=list)
    worst: int = 0  # Status.rank of its worst finding
    status: str = "pass"  # and that finding's status
    chart: str | None = None  # id of the chart drawn in this card
    chart_elsewhere: str | None = None  # or the anchor of the card that draws it
    chart_height: int = 150
    caption: str = ""
    stats: str = ""


@dataclass
class _Group:
    stage: str
    label: str
    anchor: str
    cards: list[_Card] = field(default_factory=list)
    counts: list[tuple[str, str]] = field(default_factory=list)  # (text, status)


@dataclass
class _LossPanel:
    label: str
    chart: str
    framework: str
    caption: str


class _Charts:
    """The charts of one page: ids to ``{"template": name, "data": {dataset: rows}}``."""

    def __init__(self) -> None:
        self.items: dict[str, dict[str, Any]] = {}

    def add(self, chart: dict[str, Any]) -> str:
        key = f"c{len(self.items)}"
        self.items[key] = chart
        return key


def render_html(report: Report) -> str:
    """The report as one self-contained HTML page (a string of UTF-8 text).

    Reads ``report.run`` (version, start, duration, git, inputs) when present and
    ``report.evidence`` (``DataEvidence`` under ``data``, ``TrainingEvidence`` under
    ``training:<entrypoint>``) for the charts; either may be absent. The page holds no
    raw rows: distributions come from the profiles' sketches. Raises ``RuntimeError``
    only when a bundled asset cannot be inlined (a packaging bug, not a user's).
    """
    page_charts = _Charts()
    findings = list(report.findings)
    data = _data_evidence(report.evidence)
    columns = _ColumnCharts(data, findings, page_charts)
    problems = _groups(
        [f for f in findings if f.status in (Status.FAIL, Status.ERROR, Status.WARN)],
        "attention",
        columns,
    )
    rest = _groups(
        [f for f in findings if f.status in (Status.PASS, Status.SKIP)], "passed", columns
    )
    # The passed checks are most of a large report's markup: the page carries them
    # unparsed and inserts them when their section is opened, so opening the page
    # does not pay for them.
    group = _environment().get_template("macros.html.j2").module.group  # type: ignore[attr-defined]
    passed_html = "".join(str(group(g)) for g in rest)
    forest_rows, slices = _model_rows(findings)
    forest = charts.forest_plot(forest_rows)
    losses = _loss_panels(report.evidence, page_charts)
    counts = report.counts()
    context = {
        "title": report.title,
        "passed": report.passed,
        "counts": tally(counts, always=(Status.FAIL, Status.PASS)),
        "run": _run_view(report.run),
        "problems": problems,
        "rest_total": counts[Status.PASS] + counts[Status.SKIP],
        "forest": page_charts.add(forest) if forest else None,
        "forest_rows": [_comparison_view(r) for r in forest_rows],
        "slices": [_comparison_view(r) for r in slices],
        "losses": losses,
        "side_colors": charts.SIDE_COLORS,
        # The reference/current key explains the data charts only.
        "has_data_charts": data is not None,
        "version": __version__,
    }
    used = {c["template"] for c in page_charts.items.values()}
    specs = _compiled_specs()
    payload = {"templates": {k: specs[k] for k in sorted(used)}, "charts": page_charts.items}
    return _template().render(
        **context,
        css=_asset("templates/report.css"),
        js=_asset("templates/report.js"),
        vega=_script_text("assets/vega.min.js"),
        notice=_notice(),
        payload=_json_for_script(payload),
        passed_html=_markup_for_script(passed_html),
    )


def tally(counts: Mapping[Status, int], always: Sequence[Status] = ()) -> list[tuple[str, str]]:
    """``[("2 failed", "fail"), ("1 warning", "warn"), ...]``, worst first; statuses
    with no finding left out unless in ``always``."""
    out = []
    for status in sorted(Status, key=lambda s: -s.rank):
        n = counts.get(status, 0)
        if n or status in always:
            one, many = _COUNT_WORDS[status]
            # "0 failed" is good news: not in the failure's red.
            out.append((f"{n} {one if n == 1 else many}", status.value if n else "none"))
    return out


# --- grouping -----------------------------------------------------------------------


def stage_of(finding: Finding) -> str:
    """The finding's stage; one without (an older stage) by its code's first part."""
    if finding.stage:
        return finding.stage
    return _STAGE_OF_PREFIX.get(finding.name.split(".", 1)[0], "other")


def stage_label(stage: str) -> str:
    """``training:train.py:spec`` -> ``Training · train.py:spec``."""
    kind, _, rest = stage.partition(":")
    name = _STAGE_NAMES.get(kind, kind.capitalize() or "Other")
    return f"{name} · {rest}" if rest else name


def _stage_key(stage: str) -> tuple[int, str]:
    kind = stage.partition(":")[0]
    order = STAGE_ORDER.index(kind) if kind in STAGE_ORDER else len(STAGE_ORDER)
    return order, stage


class _ColumnCharts:
    """Each data column's chart, drawn in the first card of the column (failures come
    first); later cards of the column link to it."""

    def __init__(
        self, data: DataEvidence | None, findings: Iterable[Finding], page: _Charts
    ) -> None:
        self.data = data
        self.page = page
        self.drawn: dict[str, str] = {}  # column -> anchor of the card that draws it
        self.findings: dict[str, list[Finding]] = {}  # the data stage's, all statuses
        for f in findings:
            if f.column and stage_of(f) == "data":
                self.findings.setdefault(f.column, []).append(f)

    def attach(self, card: _Card) -> None:
        if self.data is None or not card.column:
            return
        if card.column in self.drawn:
            card.chart_elsewhere = self.drawn[card.column]
            return
        self.drawn[card.column] = card.anchor
        _column_chart(card, card.column, self.findings[card.column], self.data, self.page)


def _groups(findings: Sequence[Finding], where: str, drawing: _ColumnCharts) -> list[_Group]:
    """Findings by stage, then column: worst stage first (ties in the gate's order),
    worst column first (ties in the order the checks ran), worst finding first."""
    by_stage: dict[str, dict[str, list[Finding]]] = {}
    for f in findings:
        by_stage.setdefault(stage_of(f), {}).setdefault(f.column or _NO_COLUMN, []).append(f)
    groups = []
    for stage, columns in by_stage.items():
        group = _Group(stage, stage_label(stage), _anchor(where, stage))
        for column, items in columns.items():
            items = sorted(items, key=lambda f: -f.status.rank)
            card = _Card(
                column=column,
                anchor=_anchor(where, stage, column),
                rows=[_row(f) for f in items],
                worst=items[0].status.rank,
                status=items[0].status.value,
            )
            if stage == "data":
                drawing.attach(card)
            group.cards.append(card)
        statuses = [f.status for items in columns.values() for f in items]
        group.counts = tally({s: statuses.count(s) for s in Status})
        # Dataset-wide findings (no column) first, then columns worst first.
        group.cards.sort(key=lambda c: (c.column != _NO_COLUMN, -c.worst))
        groups.append(group)
    # Ties in the gate's order: stages by kind, then as the findings met them (a
    # pipeline's steps in order, the step that broke first leading), not by name.
    seen = {stage: i for i, stage in enumerate(by_stage)}
    groups.sort(
        key=lambda g: (-max(c.worst for c in g.cards), _stage_key(g.stage)[0], seen[g.stage])
    )
    return groups


def _anchor(*parts: str) -> str:
    """An element id from its parts: ``attention--data--island``."""
    return "--".join(re.sub(r"[^A-Za-z0-9_-]+", "-", p).strip("-") for p in parts)


def _row(f: Finding) -> _Row:
    return _Row(
        status=f.status.value,
        name=f.name,
        message=f.message,
        details="" if f.status in (Status.PASS, Status.SKIP) else _details_text(f.details),
    )


def _details_text(details: Mapping[str, Any]) -> str:
    """The numbers behind a finding on one line: ``key: value · key: value``."""
    if charts.is_comparison(details):
        return _comparison_line(details)
    parts = []
    for key, value in details.items():
        if isinstance(value, float):
            text = _num(value)
        elif isinstance(value, (list, tuple)):
            shown = ", ".join(str(v) for v in value[:8])
            text = f"[{shown}{', …' if len(value) > 8 else ''}]"
        elif isinstance(value, Mapping):
            text = json.dumps(value, default=str)[:120]
        else:
            text = str(value)
        parts.append(f"{key}: {text}")
    return " · ".join(parts)


def _fixed(x: Any) -> str:
    ok = isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x)
    return f"{x:.3f}" if ok else _num(x)


def _num(x: Any, digits: int = 4) -> str:
    if isinstance(x, bool) or not isinstance(x, (int, float)):
        return _NONE if x is None else str(x)
    if isinstance(x, float) and not math.isfinite(x):
        return str(x)
    return f"{x:.{digits}g}"


# --- data columns -------------------------------------------------------------------


def _data_evidence(evidence: Mapping[str, Any]) -> DataEvidence | None:
    value = evidence.get("data")
    return value if isinstance(value, DataEvidence) else None


def _column_chart(
    card: _Card, column: str, findings: Sequence[Finding], data: DataEvidence, page: _Charts
) -> None:
    """Attach the column's reference and current distributions and its drift statistic."""
    from mlgate.data.drift import default_drift
    from mlgate.data.profile import BOOLEAN, NUMERIC, STRING

    ref, cur = data.reference.get(column), data.current.get(column)
    base = ref or cur
    if base is None:
        return
    drift = next((f for f in findings if f.name.startswith(("drift.", "skew."))), None)
    metric = drift.details.get("metric") if drift is not None else None
    if metric is None and base.kind in (NUMERIC, STRING, BOOLEAN):
        metric = default_drift(base).metric  # integer codes are categories
    chart: dict[str, Any] | None = None
    if base.kind == NUMERIC and metric != "jensen_shannon":
        chart = _histogram(ref, cur, findings)
    elif base.kind in (NUMERIC, STRING, BOOLEAN):
        bars = charts.category_bars(ref, cur)
        if bars is not None:
            chart = {"template": "bars", "data": bars}
            card.chart_height = 60 + 36 * len(bars["bars"])
        elif base.kind == NUMERIC:
            chart = _histogram(ref, cur, findings)
    if chart is not None:
        card.chart = page.add(chart)
    if drift is not None and "statistic" in drift.details:
        d = drift.details
        label = _DRIFT_LABELS.get(str(d.get("metric")), str(d.get("metric")))
        # As the drift message words it: three decimals.
        parts = [f"{label} {_fixed(d.get('statistic'))} (threshold {_num(d.get('threshold'))})"]
        if "linf_distance" in d:
            parts.append(f"largest gap {_fixed(d['linf_distance'])}")
        if "p_value" in d:
            parts.append(f"p = {_num(d['p_value'], 2)}")
        card.caption = " · ".join(parts)
    card.stats = _column_stats(ref, cur)


def _histogram(ref: Any, cur: Any, findings: Sequence[Finding]) -> dict[str, Any] | None:
    rules: list[tuple[float, str]] = []
    for f in findings:
        if f.name == "quality.out_of_range":
            for key, label in (("range_min", "schema minimum"), ("range_max", "schema maximum")):
                value = f.details.get(key)
                if isinstance(value, (int, float)):
                    rules.append((float(value), f"{label} {value:g}"))
    hist = charts.numeric_histogram(ref, cur, rules=rules)
    return None if hist is None else {"template": "histogram", "data": hist}


def _column_stats(ref: Any, cur: Any) -> str:
    """``rows 206 → 138 · null 0.5% → 69.6% · mean 4201 → 2256 · sd 802 → 2149``."""
    from mlgate._format import extreme, percent
    from mlgate.data.profile import DATETIME, NUMERIC

    def pair(fn: Any) -> str:
        a = fn(ref) if ref is not None else _NONE
        b = fn(cur) if cur is not None else _NONE
        return f"{a} → {b}"

    parts = [
        "rows " + pair(lambda c: f"{c.count:,}"),
        "null " + pair(lambda c: percent(c.null_fraction)),
    ]
    base = ref or cur
    if base.kind == DATETIME:
        parts.append("earliest " + pair(lambda c: extreme(c.min, c.kind) or _NONE))
        parts.append("latest " + pair(lambda c: extreme(c.max, c.kind) or _NONE))
    elif base.kind == NUMERIC:
        parts.append("mean " + pair(lambda c: _num(c.moments.mean) if c.moments.n else _NONE))
        # None: not known (values whose squares float64 cannot hold), or fewer than two.
        parts.append("sd " + pair(lambda c: _num(c.known_std)))
    else:
        parts.append("distinct " + pair(lambda c: f"{c.distinct_count:,.0f}"))
    return " · ".join(parts)


# --- model --------------------------------------------------------------------------


#: The model gate's comparisons with main's baseline, overall and per slice. (The
#: simpler-model check compares a dummy with the model, the other way round.)
_BASELINE_CODES = ("model.worse_than_baseline", "model.slice_worse_than_baseline")


def _model_rows(findings: Iterable[Finding]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Model comparisons: overall ones (one per metric, for the forest plot) and per
    slice (for the slice table), each its details with ``label`` and ``status``."""
    overall, slices = [], []
    for f in findings:
        if f.name not in _BASELINE_CODES or not charts.is_comparison(f.details):
            continue
        d = dict(f.details)
        d["status"] = f.status.value
        d["code"] = f.name
        d["message"] = f.message
        direction = "higher" if d.get("higher_is_better", True) else "lower"
        if d.get("slice"):
            slices.append(d)
        else:
            d["label"] = f"{d['metric']} ({direction} is better)"
            overall.append(d)
    tops: dict[str, float] = {}
    for d in slices:
        high = d["slice"].get("high")
        if isinstance(high, (int, float)):
            column = str(d["slice"].get("column"))
            tops[column] = max(tops.get(column, -math.inf), high)
    for d in slices:
        last = d["slice"].get("high") == tops.get(str(d["slice"].get("column")))
        d["label"] = _slice_label(d["slice"], last_bin=last)
    # Worst first; ties in the gate's order.
    slices.sort(key=lambda d: -Status(d["status"]).rank)
    return overall, slices


def _slice_label(s: Mapping[str, Any], last_bin: bool = False) -> str:
    """``island = Biscoe``, ``island is null``, ``bill_length_mm in [32.1, 40.5)`` (the
    last bin of a column includes its high end, as the model gate cuts them)."""
    column = s.get("column", "?")
    if "value" in s:
        return f"{column} is null" if s["value"] is None else f"{column} = {s['value']}"
    closing = "]" if last_bin else ")"
    return f"{column} in [{_num(s.get('low'))}, {_num(s.get('high'))}{closing}"


def _comparison_line(d: Mapping[str, Any]) -> str:
    conf = d.get("confidence")
    level = f"{conf:.0%} " if isinstance(conf, (int, float)) else ""
    parts = [
        f"{d.get('metric')}: candidate {_num(d.get('candidate'))}, baseline "
        f"{_num(d.get('baseline'))}",
        f"difference {_signed(d.get('difference'))} ({level}CI {_signed(d.get('ci_low'))} to "
        f"{_signed(d.get('ci_high'))})",
    ]
    if d.get("margin") is not None:
        parts.append(f"margin {_num(d.get('margin'))}")
    if d.get("method"):
        parts.append(str(d["method"]))
    if d.get("p_adjusted") is not None:
        parts.append(f"p adjusted {_num(d.get('p_adjusted'), 2)}")
    if d.get("rows") is not None:
        parts.append(f"{d['rows']} rows")
    return " · ".join(parts)


def _signed(x: Any) -> str:
    if isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x):
        return f"{x:+.4g}".replace("-", _MINUS)
    return _NONE


def _comparison_view(d: Mapping[str, Any]) -> dict[str, Any]:
    """A comparison as table cells: (text, sort key) per column."""

    def num(key: str, signed: bool = False) -> tuple[str, str]:
        x = d.get(key)
        ok = isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x)
        text = _signed(x) if signed else _num(x)
        return (text, repr(float(x)) if ok else "")

    verdict = str(d.get("verdict") or "")
    return {
        "status": d.get("status", ""),
        "label": d["label"],
        "metric": str(d.get("metric", "")),
        "rows": num("rows"),
        "candidate": num("candidate"),
        "baseline": num("baseline"),
        "difference": num("difference", signed=True),
        "interval": f"{_signed(d.get('ci_low'))} to {_signed(d.get('ci_high'))}",
        "margin": num("margin"),
        "p": num("p_adjusted") if d.get("p_adjusted") is not None else num("p_value"),
        "verdict": verdict.replace("_", " "),
        "verdict_class": verdict,
        "method": str(d.get("method", "")),
        "message": str(d.get("message", "")),
    }


# --- training -----------------------------------------------------------------------


def _loss_panels(evidence: Mapping[str, Any], page: _Charts) -> list[_LossPanel]:
    panels = []
    for stage in sorted(evidence, key=_stage_key):
        value = evidence[stage]
        if not isinstance(value, TrainingEvidence):
            continue
        chart = charts.loss_chart(value.curves)
        if chart is not None:
            caption = chart.pop("caption")
            panels.append(_LossPanel(stage_label(stage), page.add(chart), value.framework, caption))
    return panels


# --- run ----------------------------------------------------------------------------


def _run_view(run: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """What was judged, for the page's header; tolerant of missing keys."""
    if not run:
        return None
    facts = []
    if run.get("mlgate"):
        facts.append(("mlgate", str(run["mlgate"])))
    if run.get("started"):
        facts.append(("started", str(run["started"])))
    duration = run.get("duration_s")
    if isinstance(duration, (int, float)):
        facts.append(("took", f"{duration:.1f} s"))
    git = run.get("git")
    if isinstance(git, Mapping):
        branch, commit = git.get("branch"), git.get("commit")
        text = " @ ".join(str(x) for x in (branch, str(commit)[:12] if commit else None) if x)
        if text:
            facts.append(("git", text))
    inputs = []
    for item in run.get("inputs") or ():
        if not isinstance(item, Mapping):
            continue
        digest = str(item.get("digest") or "")
        inputs.append(
            {
                "role": str(item.get("role") or ""),
                "path": str(item.get("path") or ""),
                "format": str(item.get("format") or ""),
                "rows": _count(item.get("rows")),
                "columns": _count(item.get("columns")),
                "digest": digest,
                "digest_short": digest.split(":")[-1][:12],
            }
        )
    return {"facts": facts, "inputs": inputs}


def _count(x: Any) -> str:
    return (
        f"{x:,}"
        if isinstance(x, int) and not isinstance(x, bool)
        else ("" if x is None else str(x))
    )


# --- the page -----------------------------------------------------------------------


@functools.cache
def _environment() -> Environment:
    return Environment(
        loader=PackageLoader("mlgate.reports", "templates"),
        autoescape=select_autoescape(default=True, default_for_string=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )


def _template() -> Any:
    return _environment().get_template("report.html.j2")


@functools.cache
def _asset(name: str) -> str:
    return resources.files("mlgate.reports").joinpath(name).read_text(encoding="utf-8")


@functools.cache
def _compiled_specs() -> dict[str, Any]:
    """The chart templates compiled to Vega (``make vega-assets``), by name."""
    specs: dict[str, Any] = json.loads(_asset("assets/vega-specs.json"))["specs"]
    return specs


@functools.cache
def _script_text(name: str) -> str:
    """A script to inline; it must not close the script element early."""
    text = _asset(name)
    if re.search(r"</script|<!--", text, re.IGNORECASE):
        raise RuntimeError(f"{name} cannot be inlined in a <script> element")
    return text


@functools.cache
def _notice() -> str:
    """The licenses of the inlined runtimes, each text once with all its copyright lines
    (the page redistributes them); for an HTML comment."""
    text = _asset("assets/THIRD_PARTY_LICENSES.txt")
    bodies: dict[str, list[str]] = {}
    for section in re.split(r"^==== ", text, flags=re.MULTILINE)[1:]:
        header, _, body = section.partition("\n")
        lines = body.strip().splitlines()
        owners = [ln.strip() for ln in lines if ln.strip().lower().startswith("copyright")]
        rest = "\n".join(ln for ln in lines if ln.strip() not in owners).strip()
        entry = bodies.setdefault(rest, [])
        entry.append(header.strip())
        entry.extend(o for o in owners if o not in entry)
    out = ["The Vega runtime below bundles these packages:"]
    for body, names in bodies.items():
        out.append("\n".join(names))
        out.append(body)
    return "\n\n".join(out).replace("--", "- -")


def _markup_for_script(markup: str) -> str:
    """Escaped markup to carry, unparsed, in ``<script type="text/html">``: the
    template's own tags never hold ``</script`` or ``<!--``, and user text is escaped."""
    if re.search(r"</script|<!--", markup, re.IGNORECASE):
        raise RuntimeError("markup cannot be carried in a <script> element")
    return markup


def _json_for_script(value: Any) -> str:
    """JSON that is safe inside ``<script type="application/json">``."""
    return json.dumps(value, separators=(",", ":"), allow_nan=False).replace("<", "\\u003c")
