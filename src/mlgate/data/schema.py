"""The schema: a reviewed YAML file of what each column may hold, and how much it may drift.

``infer_schema`` writes one from a reference profile with tolerances scaled to the
reference's size, so that a fresh sample of the same data passes; people then edit it.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from mlgate._atomic import write_text_atomic
from mlgate._yaml import load_model
from mlgate.data.profile import BOOLEAN, DATETIME, NULL, NUMERIC, STRING, DatasetProfile

SCHEMA_VERSION = 1
LogicalType = Literal["integer", "float", "boolean", "string", "datetime", "null", "other"]
Fraction = Annotated[float, Field(ge=0.0, le=1.0)]

#: Default effect-size thresholds: normalised Wasserstein distance (in reference standard
#: deviations) for continuous columns, Jensen-Shannon distance (base 2) for categories.
DEFAULT_WASSERSTEIN = 0.1
DEFAULT_JENSEN_SHANNON = 0.1
#: Integer columns with at most this many distinct values are codes or flags.
MAX_CODE_VALUES = 20
#: Columns with at most this many distinct values get a domain.
MAX_DOMAIN_VALUES = 50


class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Range(_Frozen):
    min: int | float | None = None
    max: int | float | None = None

    @model_validator(mode="after")
    def _ordered(self) -> Range:
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError(f"min ({self.min}) is greater than max ({self.max})")
        return self


class Drift(_Frozen):
    metric: Literal["wasserstein", "jensen_shannon"]
    threshold: Annotated[float, Field(gt=0.0)]


class ColumnSchema(_Frozen):
    type: LogicalType
    required: bool = True
    max_null_fraction: Fraction = 0.0
    allow_nan: bool = False
    allow_inf: bool = False
    range: Range | None = None
    max_out_of_range_fraction: Fraction = 0.01
    domain: list[str | int | float | bool] | None = None
    max_out_of_domain_fraction: Fraction = 0.01
    drift: Drift | None = None

    @property
    def categorical(self) -> bool:
        return self.drift is not None and self.drift.metric == "jensen_shannon"


class DatasetSchema(_Frozen):
    min_rows: Annotated[int, Field(ge=0)] = 1
    max_duplicate_fraction: Fraction = 0.05


class Schema(_Frozen):
    version: Literal[1] = SCHEMA_VERSION
    dataset: DatasetSchema = DatasetSchema()
    columns: dict[str, ColumnSchema]


def load_schema(path: str | Path) -> Schema:
    return load_model(path, Schema, what="schema")


def _slack(n: int, p: float = 0.0) -> float:
    """How far a fresh sample's rate may sit above a reference rate ``p`` seen in n rows."""
    if n <= 0:
        return 1.0
    return 4.0 * math.sqrt(max(p, 1.0 / n) * (1.0 - p) / n) + 1.0 / n


def _tolerance(n: int) -> float:
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
    """Infer a schema from a reference profile (or anything ``profile`` accepts)."""
    from mlgate.data.profile import profile

    ref = reference if isinstance(reference, DatasetProfile) else profile(reference)
    columns = {c.name: _infer_column(c, ref.rows) for c in ref.columns}
    # The upper end of the sketch's estimate, so its own error is never read as change.
    dup = ref.duplicate_fraction_bounds()[1]
    dataset = DatasetSchema(
        min_rows=1,
        max_duplicate_fraction=_round_up(min(1.0, dup + max(0.02, _slack(ref.rows, dup)))),
    )
    return Schema(dataset=dataset, columns=columns)


def _infer_column(c: Any, rows: int) -> ColumnSchema:
    n_values = c.non_null
    distinct = c.distinct_count
    max_null = _round_up(min(1.0, c.null_fraction + max(0.005, _slack(rows, c.null_fraction))))
    fields: dict[str, Any] = {
        "type": c.logical_type,
        "required": True,
        "max_null_fraction": max_null,
    }
    if c.kind == NUMERIC:
        fields["allow_nan"] = c.nan > 0
        fields["allow_inf"] = (c.posinf + c.neginf) > 0
    is_code = c.kind == NUMERIC and c.logical_type == "integer" and distinct <= MAX_CODE_VALUES
    categorical = c.kind in (STRING, BOOLEAN) or is_code
    domain_ok = (
        categorical
        and c.frequent_exact
        and 0 < distinct <= min(MAX_DOMAIN_VALUES, max(2, n_values // 10))
    )
    if c.kind == NUMERIC and c.min is not None and c.max is not None:
        fields["range"] = Range(min=_plain(c.min), max=_plain(c.max))
        fields["max_out_of_range_fraction"] = _tolerance(n_values)
    if domain_ok:
        values = sorted(v for v, _ in c.value_counts())
        fields["domain"] = [_domain_value(v, c) for v in values]
        fields["max_out_of_domain_fraction"] = _unseen_tolerance(c.value_counts(), n_values)
    identifier_like = c.kind == STRING and n_values > 0 and distinct > 0.5 * n_values
    if c.kind in (DATETIME, NULL) or c.kind not in (NUMERIC, STRING, BOOLEAN) or identifier_like:
        fields["drift"] = None
    elif categorical:
        fields["drift"] = Drift(metric="jensen_shannon", threshold=DEFAULT_JENSEN_SHANNON)
    else:
        fields["drift"] = Drift(metric="wasserstein", threshold=DEFAULT_WASSERSTEIN)
    return ColumnSchema(**fields)


def _domain_value(value: str, c: Any) -> str | int | bool:
    if c.kind == NUMERIC:
        return int(value)
    if c.kind == BOOLEAN:
        return value == "true"
    return value


_HEADER = """\
# mlgate schema: what each column may hold and how far it may drift.
# Written by `mlgate schema infer`; commit it, review changes to it in pull requests,
# and edit the tolerances to what your data really allows. Keys:
#   type                         integer | float | boolean | string | datetime
#   max_null_fraction            share of nulls allowed
#   range / max_out_of_range_fraction    numeric bounds and the share of values allowed outside
#   domain / max_out_of_domain_fraction  allowed values and the share allowed outside
#   drift: {metric, threshold}   wasserstein (in reference standard deviations) or
#                                jensen_shannon (0 = same, 1 = disjoint); null = not checked
"""


def dump_schema(schema: Schema) -> str:
    data = schema.model_dump(mode="json", exclude_defaults=False)
    for col in data["columns"].values():
        if col.get("range") is None:
            col.pop("range", None)
            col.pop("max_out_of_range_fraction", None)
        if col.get("domain") is None:
            col.pop("domain", None)
            col.pop("max_out_of_domain_fraction", None)
        if col["type"] not in ("integer", "float"):
            col.pop("allow_nan", None)
            col.pop("allow_inf", None)
    import yaml  # here, not at the top: the data gate's start-up needs no YAML

    body = yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100)
    return _HEADER + body


def save_schema(schema: Schema, path: str | Path) -> None:
    write_text_atomic(path, dump_schema(schema))
