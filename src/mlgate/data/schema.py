"""The schema: a reviewed YAML file of what each column may hold, and how much it may drift.

``infer_schema`` writes one from a reference profile with tolerances scaled to the
reference's size, so that a fresh sample of the same data passes; people then edit it.
"""

from __future__ import annotations

import datetime as dt
import math
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator

from mlgate._atomic import write_text_atomic
from mlgate._yaml import load_model
from mlgate.data.kinds import CATEGORICAL, CONTINUOUS, IDENTIFIER, TIME, Kind, infer_kind
from mlgate.data.profile import BOOLEAN, DATETIME, NUMERIC, ColumnProfile, DatasetProfile

#: Version 2 counts NaN as a missing value under max_null_fraction; version 1 counted
#: nulls only there and judged NaN apart (allow_nan). Both are read, each with its meaning.
SCHEMA_VERSION = 2
LogicalType = Literal["integer", "float", "boolean", "string", "datetime", "null", "other"]
Fraction = Annotated[float, Field(ge=0.0, le=1.0)]

#: Default effect-size thresholds: normalised Wasserstein distance (in reference standard
#: deviations) for continuous columns, Jensen-Shannon distance (base 2) for categories.
DEFAULT_WASSERSTEIN = 0.1
DEFAULT_JENSEN_SHANNON = 0.1
#: Categorical columns get a domain while the frequent-values sketch counts every value
#: exactly (it holds up to 384) and the reference holds each value about ten times.
MAX_DOMAIN_VALUES = 384


class _Frozen(BaseModel):
    # defer_build: each model's validator is built when first used, not at import (about
    # 30 ms of CPU less for `check data` on small files, which builds fewer of them).
    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)


class Range(_Frozen):
    """Bounds of a column's values: numbers, or for a datetime column dates or
    datetimes (``2013-01-01``, ``2013-01-01 05:00:00``; without a zone, UTC)."""

    min: int | float | dt.datetime | dt.date | None = None
    max: int | float | dt.datetime | dt.date | None = None

    @model_validator(mode="after")
    def _ordered(self) -> Range:
        lo, hi = self.min, self.max
        if lo is None or hi is None:
            return self
        if isinstance(lo, dt.date) != isinstance(hi, dt.date):
            raise ValueError(f"min ({lo}) and max ({hi}) must both be numbers or both dates")
        if as_bound(lo) > as_bound(hi):  # type: ignore[operator]
            raise ValueError(f"min ({lo}) is greater than max ({hi})")
        return self


_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


def as_bound(value: float | dt.date | None) -> float | None:
    """A range bound as the profile compares it: numbers as they are, a date or
    datetime as microseconds since 1970-01-01 UTC (a datetime without a zone is UTC)."""
    if not isinstance(value, dt.date):
        return value
    if not isinstance(value, dt.datetime):
        value = dt.datetime(value.year, value.month, value.day)
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    return (value - _EPOCH) / dt.timedelta(microseconds=1)


class Drift(_Frozen):
    metric: Literal["wasserstein", "jensen_shannon"]
    threshold: Annotated[float, Field(gt=0.0)]

    @model_validator(mode="after")
    def _reachable(self) -> Drift:
        if self.metric == "jensen_shannon" and self.threshold >= 1.0:
            raise ValueError(
                f"threshold {self.threshold:g} can never be exceeded: the Jensen-Shannon "
                "distance is at most 1 (disjoint); use a threshold below 1"
            )
        return self


class ColumnSchema(_Frozen):
    """What one column may hold. ``kind`` decides which checks apply (see
    ``mlgate.data.kinds``); a schema written before kinds existed has none, and then
    the checks follow the keys present (range, domain, drift) as they always did."""

    kind: Kind | None = None
    type: LogicalType
    required: bool = True
    #: Share of rows allowed to be missing: null, or (version 2) null or NaN.
    max_null_fraction: Fraction = 0.0
    #: Version 2: NaN may stand for a missing value. Version 1: NaN may occur, in any
    #: number, apart from the nulls.
    allow_nan: bool = False
    allow_inf: bool = False
    unique: bool = False
    range: Range | None = None
    max_out_of_range_fraction: Fraction = 0.01
    domain: list[str | int | float | bool] | None = None
    max_out_of_domain_fraction: Fraction = 0.01
    drift: Drift | None = None

    # Each key that contradicts the kind is refused at its own line: a person changed
    # one and not the other. ``kind`` and ``type`` come first, so they are known here.
    @field_validator("type", "unique", "range", "domain", "drift", mode="after")
    @classmethod
    def _fits_kind(cls, value: Any, info: ValidationInfo) -> Any:
        kind = info.data.get("kind")
        problem = _kind_conflict(kind, info.field_name or "", value) if kind else ""
        if problem:
            raise ValueError(problem)
        return value

    @property
    def categorical(self) -> bool:
        if self.kind is not None:
            return self.kind == CATEGORICAL
        return self.drift is not None and self.drift.metric == "jensen_shannon"


#: The types each kind's checks can read.
_KIND_TYPES = {
    CONTINUOUS: ("integer", "float", "null"),
    TIME: ("integer", "float", "datetime", "null"),
}
#: The keys a kind has no check for.
_NOT_FOR = {
    CONTINUOUS: ("domain",),
    CATEGORICAL: ("range",),
    IDENTIFIER: ("range", "domain", "drift"),
    TIME: ("domain", "drift"),
}
_ADVICE = {
    "range": "remove range and max_out_of_range_fraction",
    "domain": "remove domain and max_out_of_domain_fraction",
    "drift": "set drift: null",
}


def _kind_conflict(kind: str, key: str, value: Any) -> str:
    """Why ``key: value`` contradicts ``kind``, saying what to change; or ''."""
    if key == "type":
        allowed = _KIND_TYPES.get(kind)
        if allowed and value not in allowed:
            return (
                f"type is {value}, but a {kind} column holds {' or '.join(allowed[:-1])}; "
                "set the kind the column really has (categorical, identifier)"
            )
        return ""
    if key == "unique":
        if value and kind != IDENTIFIER:
            return f"unique is for identifiers, and this column is {kind}; remove unique"
        return ""
    if value is None or key not in _NOT_FOR.get(kind, ()):
        if key == "drift" and value is not None:
            want = "jensen_shannon" if kind == CATEGORICAL else "wasserstein"
            if value.metric != want:
                return (
                    f"drift.metric is {value.metric}, but a {kind} column drifts by "
                    f"{want}; set drift.metric: {want}, or change the kind"
                )
        return ""
    article = "an" if kind[0] in "aeiou" else "a"
    return (
        f"{article} {kind} column gets no {key} check; {_ADVICE[key]}, or set the kind that "
        f"has one ({'categorical' if key == 'domain' else 'continuous'})"
    )


class DatasetSchema(_Frozen):
    min_rows: Annotated[int, Field(ge=0)] = 1
    max_duplicate_fraction: Fraction = 0.05


class Schema(_Frozen):
    version: Literal[1, 2] = SCHEMA_VERSION
    dataset: DatasetSchema = Field(default_factory=DatasetSchema)
    columns: dict[str, ColumnSchema]

    @property
    def nan_is_missing(self) -> bool:
        """Whether NaN counts as missing under max_null_fraction (version 2 on)."""
        return self.version >= 2


def load_schema(path: str | Path) -> Schema:
    return load_model(path, Schema, what="schema")


def sampling_slack(n: int, p: float = 0.0) -> float:
    """How far a fresh sample's rate may sit above a reference rate ``p`` seen in n rows."""
    if n <= 0:
        return 1.0
    return 4.0 * math.sqrt(max(p, 1.0 / n) * (1.0 - p) / n) + 1.0 / n


def out_of_range_tolerance(n: int) -> float:
    """The inferred max_out_of_range_fraction for a range seen in ``n`` values."""
    # A fresh sample of size m puts about 2m/(n+1) values beyond the extremes of n
    # reference values; 17/n keeps that below the tolerance (with the check's allowance
    # for the current sample's own noise) with a false-alarm rate under 1e-4 per column,
    # measured on random halves of real data.
    return _round_up(min(1.0, max(0.01, 17.0 / n))) if n > 0 else 1.0


def _unseen_tolerance(counts: list[tuple[str, int]], n: int) -> float:
    # Values a fresh sample holds that the reference never saw come from categories too
    # rare to have shown up: Good and Turing estimate their share as the share of values
    # seen exactly once. Three times that (plus one) keeps rare categories from raising
    # false alarms while a new category in a few percent of rows still fails.
    singletons = sum(1 for _, count in counts if count == 1)
    return _round_up(min(1.0, max(0.01, 3.0 * (singletons + 1) / n))) if n > 0 else 1.0


def _round_up(x: float, digits: int = 4) -> float:
    f = 10.0**digits
    return min(1.0, math.ceil(x * f - 1e-9) / f)


def _plain(value: float) -> int | float:
    return int(value) if float(value).is_integer() else float(value)


def infer_schema(reference: DatasetProfile | Any) -> Schema:
    """Infer a schema from a reference profile (or anything ``profile`` accepts).

    Each column gets a kind (``mlgate.data.kinds.infer_kind``) and the checks of its
    kind, with tolerances scaled to the reference's size. ``kind_reasons`` says why
    each kind was chosen.
    """
    from mlgate.data.profile import profile

    ref = reference if isinstance(reference, DatasetProfile) else profile(reference)
    columns = {c.name: _infer_column(c, ref.rows) for c in ref.columns}
    dataset = DatasetSchema(min_rows=1, max_duplicate_fraction=_duplicate_limit(ref))
    return Schema(dataset=dataset, columns=columns)


def _duplicate_limit(ref: DatasetProfile) -> float:
    """The reference's own duplicate rate plus what a fresh sample of its size may add.

    Rows that legitimately repeat (a table of few distinct rows) repeat in a fresh
    sample at about the reference's rate; a reference without duplicates allows a few
    rows in a thousand (5/n: three or so natural repeats the reference may have missed,
    the "rule of three"), so that an append run twice on 5% of the rows fails. The
    duplicate rate of natural repeats grows with the sample (n rows hold about
    n(n-1)/2 pairs), so a batch much larger than the reference may exceed the limit;
    raise it then. When the reference's rate is estimated, the upper end of the
    estimate is taken, so the estimate's own error is never read as change.
    """
    dup = ref.duplicate_fraction_bounds()[1]
    return _round_up(min(1.0, dup + sampling_slack(ref.rows, dup)))


def kind_reasons(reference: DatasetProfile) -> dict[str, str]:
    """Column name -> why ``infer_schema`` gave it its kind (for the schema's comments
    and the report), for the columns that got one."""
    out = {}
    for c in reference.columns:
        guess = infer_kind(c)
        if guess is not None:
            out[c.name] = guess.reason
    return out


def _infer_column(c: ColumnProfile, rows: int) -> ColumnSchema:
    n_values = c.non_null - c.nan
    distinct = c.distinct_count
    # Missing values are nulls and NaN alike: a column may switch from one marker to the
    # other (a quality.missing_marker warning) without seeming to lose values.
    missing = c.missing_fraction
    max_null = _round_up(min(1.0, missing + max(0.005, sampling_slack(rows, missing))))
    guess = infer_kind(c)
    kind = guess.kind if guess is not None else None
    fields: dict[str, Any] = {
        "kind": kind,
        "type": c.logical_type,
        "required": True,
        "max_null_fraction": max_null,
    }
    if c.kind == NUMERIC:
        # NaN may stand for a missing value wherever the reference had missing values.
        fields["allow_nan"] = c.missing > 0
        fields["allow_inf"] = (c.posinf + c.neginf) > 0
    has_range = c.kind in (NUMERIC, DATETIME) and c.min is not None and c.max is not None
    if kind == CONTINUOUS and has_range:
        fields["range"] = Range(min=_plain(c.min), max=_plain(c.max))  # type: ignore[arg-type]
        fields["max_out_of_range_fraction"] = out_of_range_tolerance(c.range_values)
        fields["drift"] = Drift(metric="wasserstein", threshold=DEFAULT_WASSERSTEIN)
    elif kind == TIME and has_range:
        assert guess is not None
        fields["range"] = _time_range(c, guess.calendar)
        fields["max_out_of_range_fraction"] = out_of_range_tolerance(c.range_values)
    elif kind == CATEGORICAL:
        if c.frequent_exact and 0 < distinct <= min(MAX_DOMAIN_VALUES, max(2, n_values // 10)):
            fields["domain"] = _domain(c)
            fields["max_out_of_domain_fraction"] = _unseen_tolerance(c.value_counts(), n_values)
        fields["drift"] = Drift(metric="jensen_shannon", threshold=DEFAULT_JENSEN_SHANNON)
    elif kind == IDENTIFIER:
        # Only a key is expected to stay unique: a column of many values (tail numbers,
        # names) can be all distinct in a small reference by chance and repeat later.
        assert guess is not None
        if c.repeats is not None and c.repeats.exact:
            distinct_all = c.repeats.rows == 0
        else:
            distinct_all = c.frequent_exact and distinct == n_values
        fields["unique"] = guess.key and n_values > 1 and distinct_all
    return ColumnSchema(**fields)


def _time_range(c: ColumnProfile, calendar: str | None) -> Range:
    """A calendar field keeps its natural bounds (a later month is still a month); a
    field that only grows (years, epoch time) keeps its start and no end."""
    from mlgate.data.kinds import CALENDAR_BOUNDS

    if calendar in CALENDAR_BOUNDS:
        low, high = CALENDAR_BOUNDS[calendar]
        return Range(min=min(low, _plain(c.min or 0)), max=high)  # a month counted from 0
    if c.kind == DATETIME and c.min is not None:
        return Range(min=_instant(c.min), max=None)
    return Range(min=_plain(c.min) if c.min is not None else None, max=None)


def _instant(micros: float) -> dt.date:
    """Microseconds since the epoch as the schema writes them: a date at midnight, else
    a datetime (UTC, without a zone)."""
    moment = dt.datetime(1970, 1, 1) + dt.timedelta(microseconds=round(micros))
    return moment.date() if moment.time() == dt.time(0) else moment


def _domain(c: ColumnProfile) -> list[str | int | bool]:
    """The column's values, in their natural order (numbers by value, not as text).

    Whole-number codes that run from their least to their greatest value with few gaps
    (a scale, counts from 0) get every value of the run: a small reference that missed
    7 on a 0-11 scale has not shown that 7 is new.
    """
    from mlgate.data.kinds import RUN_FILL

    values = sorted(_domain_value(v, c) for v, _ in c.value_counts())  # type: ignore[type-var]
    if c.kind == NUMERIC and c.integral and len(values) >= 3:
        lo, hi = int(values[0]), int(values[-1])
        if len(values) >= RUN_FILL * (hi - lo + 1) and hi - lo < MAX_DOMAIN_VALUES:
            return list(range(lo, hi + 1))
    return values


def _domain_value(value: str, c: ColumnProfile) -> str | int | float | bool:
    if c.kind == NUMERIC:
        # Whole-number codes, or the two values of an indicator held with fractions.
        return int(value) if c.integral else float(value)
    if c.kind == BOOLEAN:
        return value == "true"
    return value


_HEADER = """\
# mlgate schema: what each column may hold and how far it may drift.
# Written by `mlgate schema infer`; commit it, review changes to it in pull requests,
# and edit the kinds and tolerances to what your data really allows. Keys:
#   kind                         continuous | categorical | identifier | time: decides
#                                the checks (the comment beside it says why it was inferred)
#                                continuous: range, drift (wasserstein)
#                                categorical: domain, new/vanished values, drift (jensen_shannon)
#                                identifier: nulls and unique; no range, domain or drift
#                                time: range, later values allowed unless max is set; no drift
#   type                         integer | float | boolean | string | datetime
#   max_null_fraction            share of rows allowed to be missing: null or NaN alike
#   allow_nan / allow_inf        NaN may stand for a missing value / +-inf may occur
#   unique                       identifiers: no value may repeat
#   range / max_out_of_range_fraction    numeric bounds and the share of values allowed outside
#   domain / max_out_of_domain_fraction  allowed values and the share allowed outside
#   drift: {metric, threshold}   wasserstein (in reference standard deviations) or
#                                jensen_shannon (0 = same, 1 = disjoint); null = not checked
# Version 1 schemas are read as written then: max_null_fraction counted nulls only, and
# allow_nan let NaN occur in any number; run `mlgate schema infer` again to move to 2.
"""


def dump_schema(schema: Schema, reasons: dict[str, str] | None = None) -> str:
    """The schema as commented YAML; ``reasons`` (from ``kind_reasons``) are written as
    a comment beside each column's kind."""
    data = schema.model_dump(mode="json", exclude_defaults=False)
    for name, col in data["columns"].items():
        if col.get("kind") is None:
            col.pop("kind", None)
        if col.get("range") is None:
            col.pop("range", None)
            col.pop("max_out_of_range_fraction", None)
        else:
            # Dates as YAML dates (2013-01-01, unquoted), read back as dates, not text.
            bounds = schema.columns[name].range
            assert bounds is not None
            for end in ("min", "max"):
                if isinstance(getattr(bounds, end), dt.date):
                    col["range"][end] = getattr(bounds, end)
            if col["range"].get("max") is None:
                col["range"].pop("max")
        if col.get("domain") is None:
            col.pop("domain", None)
            col.pop("max_out_of_domain_fraction", None)
        if col["type"] not in ("integer", "float"):
            col.pop("allow_nan", None)
            col.pop("allow_inf", None)
        if not col.get("unique"):
            col.pop("unique", None)
    import yaml  # here, not at the top: the data gate's start-up needs no YAML

    body = yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100)
    if reasons:
        # Only columns with a kind have a kind line (a column of nulls has none).
        kinded = [name for name, col in schema.columns.items() if col.kind is not None]
        body = _comment_kinds(body, [reasons.get(name, "") for name in kinded])
    return _HEADER + body


def _comment_kinds(body: str, reasons: list[str]) -> str:
    """Append each reason to the next ``kind:`` line: ``reasons`` are those of the
    columns that have a kind, in schema order, each with one kind line at the column
    keys' indentation."""
    out, i = [], 0
    for line in body.splitlines():
        # A long or empty name is written as a complex key, its mapping after "  : ".
        if line.startswith(("    kind: ", "  : kind: ")) and i < len(reasons):
            if reasons[i]:
                line += "  # inferred from " + reasons[i].replace("\n", " ")
            i += 1
        out.append(line)
    return "\n".join(out) + "\n"


def save_schema(schema: Schema, path: str | Path, reasons: dict[str, str] | None = None) -> None:
    write_text_atomic(path, dump_schema(schema, reasons))
