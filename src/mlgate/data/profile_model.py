"""The profile itself: per column exact counts, extrema, moments and sketches, per dataset
the rows, duplicates and a sketch of row hashes; their merge (exact for counts, extrema
and moments, within the sketches' stated error for the rest) and their JSON file.

``mlgate.data.profile`` builds them from data; everything downstream (schema
inference, validation, drift, reports) reads them, and a saved profile is accepted
wherever data is.
"""

from __future__ import annotations

import json
import math
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl

from mlgate._atomic import write_text_atomic
from mlgate.data.hll import HllSketch
from mlgate.data.kll import KllSketch
from mlgate.data.moments import Moments
from mlgate.data.rowset import DuplicateCount
from mlgate.data.sketches import FrequentSketch
from mlgate.data.theta import ThetaSketch
from mlgate.errors import InputError

FORMAT = "mlgate.profile"
FORMAT_VERSION = 3
#: Versions this mlgate reads: 2 differs only in its quantile sketches' float32 values.
READABLE_VERSIONS = (2, 3)

NUMERIC, BOOLEAN, STRING, DATETIME, NULL, OTHER = (
    "numeric",
    "boolean",
    "string",
    "datetime",
    "null",
    "other",
)


def kind_of(dtype: pl.DataType) -> str:
    if dtype.is_numeric():
        return NUMERIC
    if dtype == pl.Boolean:
        return BOOLEAN
    if dtype in (pl.String, pl.Categorical) or isinstance(dtype, (pl.Enum, pl.Categorical)):
        return STRING
    if dtype == pl.Date or isinstance(dtype, pl.Datetime):
        return DATETIME
    if dtype == pl.Null:
        return NULL
    return OTHER


#: Significant digits that tell two fractions apart as values (domains, categories):
#: float64 holds 15 to 17, and a CSV file written with 15 (R's write.csv, pandas'
#: float_format="%.15g") gives the same values back to 12 or more.
FRACTION_DIGITS = 12


def fraction_key(value: str) -> str:
    """A number's frequent-values key (text), a fraction rounded to FRACTION_DIGITS
    significant digits; whole numbers, and text that is no finite number, as given."""
    try:
        number = float(value)
    except ValueError:
        return value
    if not math.isfinite(number) or number.is_integer():
        return value
    return repr(float(f"{number:.{FRACTION_DIGITS}g}"))


@dataclass(frozen=True)
class ColumnProfile:
    name: str
    kind: str
    count: int = 0
    nulls: int = 0
    nan: int = 0
    posinf: int = 0
    neginf: int = 0
    integral: bool = True
    min: float | None = None
    max: float | None = None
    moments: Moments = field(default_factory=Moments)
    quantiles: KllSketch = field(default_factory=KllSketch)
    distinct: HllSketch = field(default_factory=HllSketch)
    frequent: FrequentSketch = field(default_factory=FrequentSketch)
    frequent_dropped: int = 0
    #: Values that repeat an earlier value, counted exactly in the pass for a candidate
    #: key (text or whole numbers whose first batch was nearly all distinct; see
    #: ``KEY_CANDIDATE_SHARE``); None for other columns and for merged profiles.
    repeats: DuplicateCount | None = None

    @property
    def logical_type(self) -> str:
        """integer, float, boolean, string, datetime, null or other.

        A numeric column whose finite values are all whole numbers and that holds no
        NaN or inf is an integer, whatever its storage type: the same column read from
        CSV (Int64) and from Parquet (float64 with 1.0, 2.0) gets the same type.
        """
        if self.kind == NUMERIC:
            if self.integral and self.nan == 0 and self.posinf == 0 and self.neginf == 0:
                return "integer"
            return "float"
        return self.kind

    @property
    def range_values(self) -> int:
        """The values a range is judged on: the finite numbers, or a datetime column's
        instants (its quantile sketch's count: none in a profile from before it had one)."""
        return self.quantiles.n if self.kind == DATETIME else self.moments.n

    @property
    def known_std(self) -> float | None:
        """The finite values' standard deviation, or None where float64 cannot hold it:
        values beyond about 1e154, whose squared deviations overflow (inf), or spread by
        less than about 1e-154, whose squares lose their bits and then vanish (0 for
        values that differ); a constant column's 0 is known. None below two values."""
        m = self.moments
        variance = m.variance if m.n > 1 else math.nan
        if not math.isfinite(variance):
            return None
        if variance >= sys.float_info.min or (variance == 0.0 and self.min == self.max):
            return m.std
        return None

    @property
    def non_null(self) -> int:
        return self.count - self.nulls

    @property
    def null_fraction(self) -> float:
        return self.nulls / self.count if self.count else 0.0

    @property
    def missing(self) -> int:
        """Values that are missing: nulls and NaN, the two markers users mean alike."""
        return self.nulls + self.nan

    @property
    def missing_fraction(self) -> float:
        return self.missing / self.count if self.count else 0.0

    @property
    def frequent_exact(self) -> bool:
        """True when ``frequent`` holds every value with its exact count."""
        return self.frequent_dropped == 0 and self.frequent.max_error == 0

    @property
    def distinct_count(self) -> float:
        """Distinct non-missing values: exact when the frequent values are all counted,
        else the HyperLogLog estimate of the finite values, never more than there are (the
        estimate's error could put 402 distinct among 400)."""
        exact_values = self.kind in (STRING, BOOLEAN) or self.integral
        values = self.non_null - self.nan
        if exact_values and self.frequent_exact and self.frequent.total_weight == values:
            return float(self.frequent.num_items)
        return min(self.distinct.estimate, float(values - self.posinf - self.neginf))

    def value_counts(self) -> list[tuple[str, int]]:
        """Frequent values (as strings) and counts, most frequent first.

        A numeric column with fractions has them rounded to FRACTION_DIGITS significant
        digits (``fraction_key``), so that one number written with 15 digits in a CSV
        file and 17 in Parquet is one value, not two that differ in the last digit."""
        items = self.frequent.items()
        if self.kind != NUMERIC or self.integral:
            return items
        merged: dict[str, int] = {}
        for value, count in items:
            key = fraction_key(value)
            merged[key] = merged.get(key, 0) + count
        return sorted(merged.items(), key=lambda item: -item[1])  # stable: ties keep order

    def merge(self, other: ColumnProfile) -> ColumnProfile:
        if self.name != other.name:
            raise ValueError(f"cannot merge column {self.name!r} with {other.name!r}")
        kind = _merged_kind(self, other)
        integral = self.integral and other.integral
        moments = self.moments.merge(other.moments)
        frequent = self.frequent.merged(other.frequent)
        dropped = self.frequent_dropped + other.frequent_dropped
        return ColumnProfile(
            name=self.name,
            kind=kind,
            count=self.count + other.count,
            nulls=self.nulls + other.nulls,
            nan=self.nan + other.nan,
            posinf=self.posinf + other.posinf,
            neginf=self.neginf + other.neginf,
            integral=integral,
            min=_opt(min, self.min, other.min),
            max=_opt(max, self.max, other.max),
            moments=moments,
            quantiles=self.quantiles.merged(other.quantiles),
            distinct=self.distinct.merged(other.distinct),
            frequent=frequent,
            frequent_dropped=dropped,
            # Two parts' repeats do not add up (a value may be in both).
            repeats=self.repeats
            if other.count == 0
            else other.repeats
            if self.count == 0
            else None,
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "kind": self.kind,
            "logical_type": self.logical_type,
            "count": self.count,
            "nulls": self.nulls,
            "nan": self.nan,
            "posinf": self.posinf,
            "neginf": self.neginf,
            "integral": self.integral,
            "min": self.min,
            "max": self.max,
            "moments": {
                "n": self.moments.n,
                "mean": _json_float(self.moments.mean),
                "m2": _json_float(self.moments.m2),
            },
            "distinct_estimate": round(self.distinct_count, 1),
            "quantiles": self.quantiles.to_b64(),
            "distinct": self.distinct.to_b64(),
            "frequent": self.frequent.to_b64(),
            "frequent_dropped": self.frequent_dropped,
            "repeats": None if self.repeats is None else self.repeats.to_dict(),
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> ColumnProfile:
        m = d["moments"]
        return cls(
            name=str(d["name"]),
            kind=str(d["kind"]),
            count=int(d["count"]),
            nulls=int(d["nulls"]),
            nan=int(d["nan"]),
            posinf=int(d["posinf"]),
            neginf=int(d["neginf"]),
            integral=bool(d["integral"]),
            min=None if d["min"] is None else float(d["min"]),
            max=None if d["max"] is None else float(d["max"]),
            moments=Moments(int(m["n"]), float(m["mean"]), float(m["m2"])),
            quantiles=KllSketch.from_b64(d["quantiles"]),
            distinct=HllSketch.from_b64(d["distinct"]),
            frequent=FrequentSketch.from_b64(d["frequent"]),
            frequent_dropped=int(d["frequent_dropped"]),
            # Profiles saved before repeats were counted lack the key.
            repeats=DuplicateCount.from_dict(d["repeats"]) if d.get("repeats") else None,
        )


def _json_float(x: float) -> float | str:
    """JSON has no inf or NaN; write them as strings that ``float()`` reads back."""
    return x if math.isfinite(x) else str(x)


def _merged_kind(a: ColumnProfile, b: ColumnProfile) -> str:
    if a.kind == b.kind or b.kind == NULL:
        return a.kind
    if a.kind == NULL:
        return b.kind
    raise InputError(
        f"column {a.name!r} is {a.kind} in one part and {b.kind} in another; "
        "the parts cannot be merged into one profile"
    )


def _opt(fn: Callable[[float, float], float], a: float | None, b: float | None) -> float | None:
    if a is None:
        return b
    if b is None:
        return a
    return fn(a, b)


@dataclass(frozen=True)
class DatasetProfile:
    """A dataset's profile.

    ``duplicates`` is the duplicate-row count of the one pass that read the dataset
    (exact up to ``rowset.MAX_EXACT`` distinct rows); ``None`` for a profile merged from
    the profiles of parts, where only the row-hash sketch is left to estimate it.
    """

    rows: int
    columns: tuple[ColumnProfile, ...]
    row_hashes: ThetaSketch = field(default_factory=ThetaSketch)
    source: str = ""
    duplicates: DuplicateCount | None = None

    @property
    def names(self) -> list[str]:
        return [c.name for c in self.columns]

    def column(self, name: str) -> ColumnProfile:
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(name)

    def get(self, name: str) -> ColumnProfile | None:
        return next((c for c in self.columns if c.name == name), None)

    @property
    def duplicates_exact(self) -> bool:
        """Whether ``duplicate_rows`` is a count, not an estimate."""
        if self.duplicates is not None:
            return self.duplicates.exact
        return self.row_hashes.is_exact

    @property
    def duplicate_rows(self) -> int:
        """Rows that repeat an earlier row: counted in the profiling pass, or (merged
        profiles, or beyond the exact set's cap) estimated; see ``duplicates_exact``."""
        if self.duplicates is not None:
            return self.duplicates.rows
        if self.rows == 0:
            return 0
        return round(max(0.0, self.rows - min(self.row_hashes.estimate, self.rows)))

    @property
    def duplicate_fraction(self) -> float:
        """Share of rows that repeat an earlier row."""
        return self.duplicate_rows / self.rows if self.rows else 0.0

    def duplicate_fraction_bounds(self) -> tuple[float, float]:
        """Lower and upper bounds (3 standard errors) on the duplicate share; both are
        the share itself when it is exact."""
        if self.rows == 0:
            return 0.0, 0.0
        if self.duplicates is not None:
            spread = 3.0 * self.duplicates.stderr
            count = self.duplicates.rows
            lower = max(0.0, count - spread) / self.rows
            return lower, min(float(self.rows), count + spread) / self.rows
        low, high = self.row_hashes.bounds(3)
        lower = max(0.0, 1.0 - min(high, self.rows) / self.rows)
        upper = max(0.0, 1.0 - min(low, self.rows) / self.rows)
        return lower, upper

    def merge(self, other: DatasetProfile) -> DatasetProfile:
        """Profile of the two datasets stacked; a column one side lacks counts as null there."""
        mine = {c.name: c for c in self.columns}
        theirs = {c.name: c for c in other.columns}
        order = self.names + [n for n in other.names if n not in mine]
        merged = []
        for name in order:
            a = mine.get(name) or _all_null(name, self.rows)
            b = theirs.get(name) or _all_null(name, other.rows)
            merged.append(a.merge(b))
        # Two parts' duplicate counts do not add up (a row may be in both): the merged
        # count is the sketch's, exact only while it holds every distinct row.
        duplicates = None
        if other.rows == 0:
            duplicates = self.duplicates
        elif self.rows == 0:
            duplicates = other.duplicates
        return DatasetProfile(
            rows=self.rows + other.rows,
            columns=tuple(merged),
            row_hashes=self.row_hashes.merged(other.row_hashes),
            source=self.source if self.source == other.source else "",
            duplicates=duplicates,
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "version": FORMAT_VERSION,
            "source": self.source,
            "rows": self.rows,
            "duplicate_fraction": round(self.duplicate_fraction, 6),
            # null: not counted in one pass (a merged profile); row_hashes estimates it.
            "duplicates": None if self.duplicates is None else self.duplicates.to_dict(),
            "row_hashes": self.row_hashes.to_b64(),
            "columns": [c.to_dict() for c in self.columns],
        }

    def save(self, path: str | Path) -> None:
        write_text_atomic(path, dumps(self))

    @classmethod
    def from_dict(cls, d: dict[str, Any], label: str = "profile") -> DatasetProfile:
        if d.get("format") != FORMAT:
            raise InputError(f'{label}: not an mlgate profile (no "format": "{FORMAT}")')
        if d.get("version") not in READABLE_VERSIONS:
            raise InputError(
                f"{label}: profile version {d.get('version')!r} is not supported "
                f"(this mlgate reads versions {READABLE_VERSIONS[0]}-{FORMAT_VERSION}); profile "
                "the data again"
            )
        try:
            return cls(
                rows=int(d["rows"]),
                columns=tuple(ColumnProfile.from_dict(c) for c in d["columns"]),
                row_hashes=ThetaSketch.from_b64(d["row_hashes"]),
                source=str(d.get("source", "")),
                # Profiles written before duplicates were counted lack the key.
                duplicates=(
                    DuplicateCount.from_dict(d["duplicates"])
                    if d.get("duplicates") is not None
                    else None
                ),
            )
        except (KeyError, TypeError, ValueError, RuntimeError) as exc:
            raise InputError(
                f"{label}: the profile is damaged ({type(exc).__name__}: {exc}); "
                "profile the data again"
            ) from None


def duplicate_summary(profile: DatasetProfile) -> str:
    """``0 duplicate rows``, ``12 duplicate rows (1.2%)`` or, when estimated,
    ``about 1.6% duplicate rows (estimated)``; a share is never shown as 0.0%."""
    from mlgate._format import percent

    if not profile.duplicates_exact:
        return f"about {percent(profile.duplicate_fraction)} duplicate rows (estimated)"
    rows = profile.duplicate_rows
    if rows == 0:
        return "0 duplicate rows"
    noun = "row" if rows == 1 else "rows"
    return f"{rows} duplicate {noun} ({percent(profile.duplicate_fraction)})"


def dumps(profile: DatasetProfile) -> str:
    return json.dumps(profile.to_dict(), indent=1, allow_nan=False) + "\n"


def load(path: str | Path) -> DatasetProfile:
    try:
        text = Path(path).read_text(encoding="utf-8")
        data = json.loads(text)
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError(
            f"{path}: cannot read the profile ({exc}); profile the data again"
        ) from None
    if not isinstance(data, dict):
        raise InputError(f"{path}: not an mlgate profile")
    return DatasetProfile.from_dict(data, label=str(path))


def _all_null(name: str, rows: int) -> ColumnProfile:
    return ColumnProfile(name=name, kind=NULL, count=rows, nulls=rows)


def empty_profile(source: str = "") -> DatasetProfile:
    """The zero of merging."""
    return DatasetProfile(rows=0, columns=(), source=source)
