"""Validation: a profile against a schema gives schema and quality findings.

Every check is a small function of (column profile, column schema) returning one
finding; ``validate_profile`` runs them all and never raises for bad data.
"""

from __future__ import annotations

import math
from collections.abc import Callable

from mlgate._format import percent, quoted, timestamp
from mlgate.data.kinds import TIME
from mlgate.data.profile import (
    DATETIME,
    NULL,
    NUMERIC,
    ColumnProfile,
    DatasetProfile,
    duplicate_summary,
)
from mlgate.data.profile_model import fraction_key
from mlgate.data.rowset import natural_duplicate_fraction
from mlgate.data.schema import (
    ColumnSchema,
    Schema,
    as_bound,
    out_of_range_tolerance,
    sampling_slack,
)
from mlgate.data.tails import upper_tail
from mlgate.findings import Finding, Status

_FAMILY = {
    "integer": "numeric",
    "float": "numeric",
    "boolean": "boolean",
    "string": "string",
    "datetime": "datetime",
    "other": "other",
}


def compatible_types(expected: str, observed: str) -> bool:
    if "null" in (expected, observed):
        return True
    return _FAMILY.get(expected) == _FAMILY.get(observed)


def validate_profile(
    current: DatasetProfile, schema: Schema, reference: DatasetProfile | None = None
) -> list[Finding]:
    """Schema and quality findings for ``current``. With the ``reference`` the schema was
    inferred from, the count of values outside a range seen in the reference is judged
    against what chance puts there for samples of these sizes (``outside_pvalue``)."""
    findings: list[Finding] = [_check_rows(current, schema)]
    if current.rows == 0:
        return findings
    findings.append(_check_duplicates(current, schema, reference))
    for name, col_schema in schema.columns.items():
        col = current.get(name)
        if col is None:
            findings.append(_missing(name, col_schema))
            continue
        ref = reference.get(name) if reference is not None else None
        findings.extend(check_column(col, col_schema, ref, nan_is_missing=schema.nan_is_missing))
    for col in current.columns:
        if col.name not in schema.columns:
            findings.append(
                Finding(
                    "schema.new_column",
                    Status.WARN,
                    f"column {col.name!r} ({col.logical_type}) is not in the schema; add it to the "
                    "schema if it is meant to be there",
                    column=col.name,
                    details={"type": col.logical_type},
                )
            )
    return findings


def _check_rows(current: DatasetProfile, schema: Schema) -> Finding:
    need = max(1, schema.dataset.min_rows)
    if current.rows < need:
        what = "has no rows" if current.rows == 0 else f"has {current.rows} rows"
        return Finding(
            "quality.empty_dataset",
            Status.FAIL,
            f"the dataset {what}; the schema needs at least {need}; check the "
            "step that produced it",
            details={"rows": current.rows, "min_rows": need},
        )
    return Finding(
        "quality.empty_dataset",
        Status.PASS,
        f"{current.rows} rows",
        details={"rows": current.rows, "min_rows": need},
    )


def _check_duplicates(
    current: DatasetProfile, schema: Schema, reference: DatasetProfile | None = None
) -> Finding:
    rows = current.duplicate_rows
    frac = current.duplicate_fraction
    exact = current.duplicates_exact
    lower, _ = current.duplicate_fraction_bounds()
    limit = schema.dataset.max_duplicate_fraction
    natural = _natural_at_size(reference, current.rows, limit)
    details: dict[str, object] = {
        "observed": round(frac, 6),
        "duplicate_rows": rows,
        "rows": current.rows,
        "lower_bound": round(lower, 6),
        "threshold": limit,
        "estimated": not exact,
    }
    scaled = ""
    if natural is not None and reference is not None:
        ref_rate = reference.duplicate_fraction
        # The schema's allowance above the reference's own rate, carried to this size.
        limit = min(1.0, natural + (limit - ref_rate))
        details["natural_at_size"] = round(natural, 6)
        details["threshold"] = round(limit, 6)
        scaled = (
            f" (the reference's natural repeats, {percent(ref_rate)} of {reference.rows} "
            f"rows, reach {percent(natural)} in a batch of {current.rows})"
        )
    # Judged like the other shares, above the limit by more than the batch's own noise;
    # an estimated share (a merged profile) on its lower bound, so the estimate's error
    # is not a duplicate.
    if _above(lower, limit, current.rows, 3.0):
        what = (
            f"{rows} of {current.rows} rows ({percent(frac)}) repeat an earlier row"
            if exact
            else f"about {percent(frac)} of rows are duplicates (estimated: at least "
            f"{percent(lower)})"
        )
        # A clean reference allows a share such as 0.05%, which .1% would show as 0.1%.
        allowed = f"{limit:.2%}" if 0 < limit < 0.01 else f"{limit:.1%}"
        lost = _lost_columns(reference, current)
        if lost:
            # Rows that lost a column repeat more: equal on what is left, they were
            # told apart by it. The missing column is its own failure.
            details["missing_columns"] = lost
            return Finding(
                "quality.duplicate_rows",
                Status.WARN,
                f"{what}, above the {allowed} allowed{scaled}, but the current data lacks "
                f"{', '.join(repr(c) for c in lost[:3])}{' ...' if len(lost) > 3 else ''}, "
                "and rows without a column repeat more often; compare duplicates once the "
                "columns match",
                details=details,
            )
        return Finding(
            "quality.duplicate_rows",
            Status.FAIL,
            f"{what}, above the {allowed} allowed{scaled}; look for a join or an append "
            "that ran twice, or raise max_duplicate_fraction if rows legitimately repeat",
            details=details,
        )
    return Finding(
        "quality.duplicate_rows",
        Status.PASS,
        duplicate_summary(current)
        + (f", within the {percent(limit)} allowed{scaled}" if scaled else ""),
        details=details,
    )


#: One-sided confidence of the upper bound on the reference's repeats that a much larger
#: batch is judged by.
REPEATS_CONFIDENCE = 0.95
#: ... for a batch at least this many times the reference's rows; a batch nearer the
#: reference's size is judged by the reference's own count.
SCALED_FROM = 2


def _natural_at_size(reference: DatasetProfile | None, size: int, limit: float) -> float | None:
    """The duplicate share natural repeats may reach in a batch of ``size`` rows, where it
    is above the reference's own: for a batch larger than the reference, when the
    schema's limit allows the reference's rate (a limit set below it means the user
    wants fewer repeats than the reference has, whatever the size). None otherwise.

    The reference's repeats are carried to the batch's size by the occupancy model
    (``rowset.natural_duplicate_fraction``). For a batch at least SCALED_FROM times the
    reference, the repeats carried are an upper bound on the Poisson mean the
    reference's count D was drawn from, at REPEATS_CONFIDENCE (the exact bound,
    chi2.ppf(c, 2(D + 1)) / 2: 3.0 for D = 0, the "rule of three"), since a small
    reference may show none of the repeats its rows make in a batch 60 times larger (a
    100-row reference of a survey with 16% natural repeats at 6,000 rows failed).
    """
    if reference is None or not reference.duplicates_exact or size <= reference.rows:
        return None
    ref_rate = reference.duplicate_fraction
    if limit < ref_rate or reference.rows < 2:
        return None
    repeats = float(reference.duplicate_rows)
    if size >= SCALED_FROM * reference.rows:
        from scipy.special import chdtri  # only for a batch much larger than its reference

        repeats = float(chdtri(2 * (repeats + 1), 1.0 - REPEATS_CONFIDENCE)) / 2.0
    if repeats <= 0.0:
        return None
    distinct = max(1.0, reference.rows - min(repeats, reference.rows - 1.0))
    natural = natural_duplicate_fraction(reference.rows, distinct, size)
    return natural if natural > ref_rate else None


def _lost_columns(reference: DatasetProfile | None, current: DatasetProfile) -> list[str]:
    """The reference's columns that the current data lacks (none without a reference)."""
    if reference is None:
        return []
    have = set(current.names)
    return [name for name in reference.names if name not in have]


def _missing(name: str, schema: ColumnSchema) -> Finding:
    status = Status.FAIL if schema.required else Status.PASS
    msg = (
        f"required column {name!r} is missing; restore it or mark it required: false"
        if schema.required
        else f"optional column {name!r} is absent"
    )
    return Finding(
        "schema.missing_column", status, msg, column=name, details={"expected_type": schema.type}
    )


def check_column(
    col: ColumnProfile,
    schema: ColumnSchema,
    ref: ColumnProfile | None = None,
    *,
    nan_is_missing: bool = True,
) -> list[Finding]:
    """The column's findings. ``ref``: the reference's column, for the exact range test.
    ``nan_is_missing``: NaN counts as a missing value under max_null_fraction (schema
    version 2); False reads a version 1 schema as written, with nulls alone counted
    there and NaN judged by allow_nan."""
    type_finding = _check_type(col, schema)
    out = [type_finding]
    if type_finding.status is not Status.PASS or col.kind == NULL:
        if col.kind == NULL and col.count:
            out.append(_check_nulls(col, schema, nan_is_missing=nan_is_missing))
        return out
    out.append(_check_nulls(col, schema, nan_is_missing=nan_is_missing))
    if col.kind == NUMERIC:
        out.append(_check_non_finite(col, schema, ref, nan_is_missing=nan_is_missing))
    for check in _VALUE_CHECKS:
        if _applies(check, col, schema):
            out.append(
                _check_range(col, schema, ref) if check is _check_range else check(col, schema)
            )
    return out


def _check_type(col: ColumnProfile, schema: ColumnSchema) -> Finding:
    observed = col.logical_type
    details = {"expected": schema.type, "observed": observed}
    if compatible_types(schema.type, observed):
        message = observed
        if observed != schema.type:
            why = (
                "a column with no values has no type"
                if "null" in (observed, schema.type)
                else "integer and float are one family"
            )
            message = f"{observed}, the schema expects {schema.type}: accepted ({why})"
        return Finding(
            "schema.type_mismatch", Status.PASS, message, column=col.name, details=details
        )
    hint = (
        " (numbers arriving as text: check for a stray non-numeric value or a changed "
        "decimal separator)"
        if _FAMILY.get(schema.type) == "numeric" and observed == "string"
        else ""
    )
    return Finding(
        "schema.type_mismatch",
        Status.FAIL,
        f"column {col.name!r} is {observed}, the schema expects {schema.type}{hint}",
        column=col.name,
        details=details,
    )


def _above(frac: float, limit: float, size: int, sigmas: float) -> bool:
    """Whether a share seen in ``size`` values is above ``limit`` by more than the
    current sample's own noise: a few extra values in a small batch are not a change."""
    noise = sigmas * math.sqrt(limit * (1.0 - limit) / size) if size else 0.0
    return frac > limit + noise


def _check_nulls(col: ColumnProfile, schema: ColumnSchema, *, nan_is_missing: bool) -> Finding:
    """Missing values against max_null_fraction: nulls and NaN alike (a float column
    that switches markers at the same rate loses nothing), or nulls alone for a
    version 1 schema. Where the schema does not let NaN mark a missing value
    (allow_nan: false), a NaN is judged by quality.non_finite alone, not twice."""
    counted = nan_is_missing and schema.allow_nan
    nan = col.nan if counted else 0
    frac = (col.nulls + nan) / col.count if col.count else 0.0
    limit = schema.max_null_fraction
    details = {
        "observed": round(frac, 6),
        "threshold": limit,
        "nulls": col.nulls,
        "nan": col.nan,
        "nan_counted": counted,
        "rows": col.count,
    }
    what = f"missing ({col.nulls} null, {nan} NaN)" if nan else "null"
    if _above(frac, limit, col.count, 2.0):
        return Finding(
            "quality.null_fraction",
            Status.FAIL,
            f"{percent(frac)} of {col.name!r} is {what}, above the {percent(limit)} allowed; find "
            "where the values are lost, or raise max_null_fraction",
            column=col.name,
            details=details,
        )
    return Finding(
        "quality.null_fraction",
        Status.PASS,
        f"{percent(frac)} {what}",
        column=col.name,
        details=details,
    )


def _check_non_finite(
    col: ColumnProfile,
    schema: ColumnSchema,
    ref: ColumnProfile | None = None,
    *,
    nan_is_missing: bool,
) -> Finding:
    """±inf where the schema allows none; NaN where it may not stand for a missing
    value (version 2: the reference had no missing values) or, in a version 1 schema,
    where allow_nan is false. Where the reference held infinities (allow_inf), each
    sign's share is judged against the reference's (``ref``), as missing values are:
    1% of +inf becoming 40%, or +inf turning into -inf, passed unseen."""
    bad = []
    if col.nan and not schema.allow_nan:
        bad.append(f"{col.nan} NaN")
    if (col.posinf or col.neginf) and not schema.allow_inf:
        bad.append(f"{col.posinf + col.neginf} infinite")
    grown = _grown_infinities(col, ref) if schema.allow_inf and ref is not None else []
    details = {"nan": col.nan, "posinf": col.posinf, "neginf": col.neginf}
    if bad or grown:
        marker = (
            ", or set allow_nan: true if NaN marks missing values here (it counts under "
            "max_null_fraction)"
            if nan_is_missing and col.nan and not schema.allow_nan
            else ""
        )
        parts = [f"{' and '.join(bad)} values where the reference had none"] if bad else []
        parts += grown
        return Finding(
            "quality.non_finite",
            Status.FAIL,
            f"{col.name!r} has {'; '.join(parts)}; look for a division by zero or a log "
            f"of zero upstream{marker}",
            column=col.name,
            details=details,
        )
    return Finding(
        "quality.non_finite",
        Status.PASS,
        "no unexpected NaN or inf",
        column=col.name,
        details=details,
    )


def _grown_infinities(col: ColumnProfile, ref: ColumnProfile) -> list[str]:
    """Each sign of infinity whose share of the non-null values is above what the
    reference's share allows: its own noise in the reference's size (as an inferred
    max_null_fraction allows), then the current sample's (``_above``)."""
    out = []
    n, m = ref.non_null, col.non_null
    for sign, seen, had in (("+inf", col.posinf, ref.posinf), ("-inf", col.neginf, ref.neginf)):
        if not (seen and n and m):
            continue
        share, before = seen / m, had / n
        if _above(share, min(1.0, before + sampling_slack(n, before)), m, 3.0):
            out.append(f"{percent(share)} {sign} values, where the reference had {percent(before)}")
    return out


def _check_range(
    col: ColumnProfile, schema: ColumnSchema, ref: ColumnProfile | None = None
) -> Finding:
    assert schema.range is not None
    lo, hi = as_bound(schema.range.min), as_bound(schema.range.max)
    kind = col.kind
    n = col.range_values
    if n == 0:
        return Finding(
            "quality.out_of_range",
            Status.SKIP,
            f"not applicable: {col.name!r} has no finite values to hold against "
            f"{_interval(lo, hi, kind)}",
            column=col.name,
            details={"values": 0, "range_min": _shown(lo, kind), "range_max": _shown(hi, kind)},
        )
    below = above = 0.0
    if n and lo is not None and col.min is not None and col.min < lo:
        below = max(_fraction_below(col, lo), 1.0 / n)
    if n and hi is not None and col.max is not None and col.max > hi:
        above = max(1.0 - float(col.quantiles.cdf([hi])[0]), 1.0 / n)
    frac = min(1.0, below + above)
    limit = schema.max_out_of_range_fraction
    details = {
        "observed": round(frac, 6),
        "outside": round(frac * n),
        "threshold": limit,
        "min": _shown(col.min, kind),
        "max": _shown(col.max, kind),
        "range_min": _shown(lo, kind),
        "range_max": _shown(hi, kind),
        **_kind_detail(schema),
    }
    ends = _reference_ends(ref, lo, hi)
    if ends and ref is not None:
        # The range is the reference's own extremes, so chance is known exactly: judge
        # the count outside by its p-value, at an effect of at least RANGE_EFFECT (or
        # the schema's tolerance, where a person raised it above the inferred one).
        p_value = outside_pvalue(round(frac * n), n, ref.range_values, ends)
        effect = limit if limit > out_of_range_tolerance(ref.range_values) else RANGE_EFFECT
        details |= {"p_value": float(f"{p_value:.3g}"), "reference_values": ref.range_values}
        failed = frac > effect and p_value < ALPHA
    else:
        failed = _above(frac, limit, n, 3.0)
    # Digits enough to tell the bounds and the extremes apart (amounts near 1e12).
    digits = _digits_apart(lo, hi, col.min, col.max)
    if failed:
        hint = _scale_hint(col, lo, hi) if kind == NUMERIC else ""
        return Finding(
            "quality.out_of_range",
            Status.FAIL,
            f"{percent(frac)} of {col.name!r} is outside {_interval(lo, hi, kind, digits)} "
            f"(observed {_fmt(col.min, kind=kind, digits=digits)} to "
            f"{_fmt(col.max, kind=kind, digits=digits)}){hint}; fix the data or widen the range",
            column=col.name,
            details=details,
        )
    later = ""
    if schema.kind == TIME and hi is None:
        latest = _fmt(col.max, kind=kind, digits=digits)
        later = f" (latest {latest}: later values are allowed in a time column)"
    return Finding(
        "quality.out_of_range",
        Status.PASS,
        f"{percent(frac)} outside {_interval(lo, hi, kind, digits)}{later}",
        column=col.name,
        details=details,
    )


#: Chance that sampling noise alone fails a range check (as drift.ALPHA for drift).
ALPHA = 1e-6
#: The smallest share outside a range that fails, however sure it is not chance.
RANGE_EFFECT = 0.01


def _shown(x: float | None, kind: str) -> float | str | None:
    """A bound or extreme for a finding's details: a datetime column's as its date."""
    return timestamp(x) if kind == DATETIME and x is not None else x


def _reference_ends(ref: ColumnProfile | None, lo: float | None, hi: float | None) -> int:
    """How many of the range's ends are the reference's own extremes (0, 1 or 2)."""
    if ref is None or ref.range_values < 2 or ref.min is None or ref.max is None:
        return 0
    return int(lo is not None and lo == ref.min) + int(hi is not None and hi == ref.max)


def outside_pvalue(k: int, m: int, n: int, ends: int = 2) -> float:
    """P(at least ``k`` of ``m`` fresh values fall beyond ``ends`` (1 or 2) extremes of
    ``n`` reference values), when both samples come from one continuous distribution.

    The share of the distribution beyond the extremes of n values is Beta(ends,
    n + 1 - ends) (the coverage of order statistics, Wilks 1941), so the count is
    beta-binomial: P(K = j) = C(m, j) B(j + a, m - j + b) / B(a, b), a = ends,
    b = n + 1 - ends; its mean is m * ends / (n + 1), the "2/(n+1)" of two ends. Ties
    (whole numbers) only make values beyond the extremes rarer, so the test stays at
    its level. Summed from ``k`` up in logs until the terms no longer count; not
    scipy.stats.betabinom, whose import costs the command line about half a second (a
    test holds the two equal). A count no larger than its mean is no evidence of change
    and gives 1.0 (summing its whole upper tail could take millions of terms).
    """
    if k <= 0 or m <= 0 or n < ends:
        return 1.0
    if k > m:
        return 0.0
    a, b = float(ends), float(n + 1 - ends)
    if k <= m * a / (a + b):
        return 1.0
    log_beta_ab = math.lgamma(a) + math.lgamma(b) - math.lgamma(a + b)
    log_m = math.lgamma(m + 1)

    def log_pmf(j: int) -> float:
        return (
            log_m
            - math.lgamma(j + 1)
            - math.lgamma(m - j + 1)
            + math.lgamma(j + a)
            + math.lgamma(m - j + b)
            - math.lgamma(m + a + b)
            - log_beta_ab
        )

    return upper_tail(log_pmf, k, m)


def _interval(
    lo: float | None, hi: float | None, kind: str = NUMERIC, digits: int | None = None
) -> str:
    """``[2, 9]``, or ``[2013, no end)`` for a time column whose later values are allowed
    (``[2013-01-01, no end)`` for a datetime column); numbers with ``digits`` significant
    digits, by default as many as tell the two apart."""
    digits = digits or _digits_apart(lo, hi)
    if hi is None:
        return f"[{_fmt(lo, kind=kind, digits=digits)}, no end)"
    return f"[{_fmt(lo, kind=kind, digits=digits)}, {_fmt(hi, kind=kind, digits=digits)}]"


def _digits_apart(*values: float | None) -> int:
    """Significant digits (6 to 17) that show these numbers to about a thousandth of
    their spread: amounts near 1e12 with a spread of thousands were all written 1e+12."""
    numbers = [float(v) for v in values if v is not None and math.isfinite(v)]
    spread = max(numbers) - min(numbers) if numbers else 0.0
    largest = max((abs(x) for x in numbers), default=0.0)
    if not (0 < spread < math.inf) or largest <= 0:  # a spread past float64's: inf
        return 6
    return min(17, max(6, math.ceil(math.log10(largest / spread)) + 3))


def _kind_detail(schema: ColumnSchema) -> dict[str, str]:
    return {"kind": schema.kind} if schema.kind is not None else {}


def _fraction_below(col: ColumnProfile, bound: float) -> float:
    # Exclusive rank: values exactly at the bound are inside the range.
    return float(col.quantiles.cdf([bound], inclusive=False)[0])


def _scale_hint(col: ColumnProfile, lo: float | None, hi: float | None) -> str:
    """A power-of-ten ratio between the current median and the middle of the reference
    range, as a unit change gives. Only for a range above zero: about zero (a centred
    or standardised column) the middle is near nothing and any ratio comes out (a
    doubled spread read as "scaled by 0.1x")."""
    if lo is None or hi is None or col.moments.n == 0 or lo <= 0:
        return ""
    ref_mid = (lo + hi) / 2.0
    cur_mid = float(col.quantiles.quantiles([0.5])[0])
    if cur_mid <= 0:
        return ""
    ratio = cur_mid / ref_mid
    power = round(math.log10(ratio))
    if power != 0 and abs(math.log10(ratio) - power) < 0.15:
        return f"; values look scaled by about {10.0**power:g}x, a unit change?"
    return ""


def _check_domain(col: ColumnProfile, schema: ColumnSchema) -> Finding:
    assert schema.domain is not None
    allowed = {_key(v) for v in schema.domain}
    counts = col.value_counts()
    total = col.non_null - col.nan
    if col.kind == NUMERIC:
        # Numbers by value: a profile writes 1e-5 as "0.00001" where YAML gives 1e-05.
        numbers = {_number(v) for v in schema.domain}
        unknown = [(v, c) for v, c in counts if _number(v) not in numbers]
    else:
        unknown = [(v, c) for v, c in counts if v not in allowed]
    unseen = sum(c for _, c in unknown)
    if col.frequent_dropped and total:
        # Values beyond what the sketch kept are unknown too when the domain is small.
        unseen += col.frequent_dropped
    if total <= 0:
        return Finding(
            "quality.out_of_domain",
            Status.SKIP,
            f"not applicable: {col.name!r} has no non-null values to hold against its domain",
            column=col.name,
            details={"values": 0, "domain_size": len(allowed)},
        )
    frac = unseen / total
    limit = schema.max_out_of_domain_fraction
    top = [v for v, _ in unknown[:5]]
    details = {
        "observed": round(frac, 6),
        "threshold": limit,
        "unexpected_values": top,
        "domain_size": len(allowed),
        **_kind_detail(schema),
    }
    if _above(frac, limit, total, 3.0):
        hints = _case_hints(top, allowed) + _fraction_hint(col, schema)
        shown = ", ".join(quoted(v) for v in top)
        return Finding(
            "quality.out_of_domain",
            Status.FAIL,
            f"{percent(frac)} of {col.name!r} is outside its domain: {shown}{hints}; fix "
            "the data or add the value to the schema's domain",
            column=col.name,
            details=details,
        )
    return Finding(
        "quality.out_of_domain",
        Status.PASS,
        f"{percent(frac)} outside the domain",
        column=col.name,
        details=details,
    )


#: Relative standard error of the distinct-count sketch (HyperLogLog, 4,096 registers).
_HLL_RSE = 1.04 / 64.0


def _check_unique(col: ColumnProfile, schema: ColumnSchema) -> Finding:
    """An identifier whose reference values were all distinct repeats a value now.

    Exact when the pass counted the column's repeats (a column whose first batch was
    nearly all distinct, as keys are: ``profile.key_candidates``) or the frequent-values
    sketch holds every value (up to 384 distinct); otherwise (a key that arrives
    mostly repeated) the repeats are estimated from the distinct-count sketch and the
    check fails only when even its upper bound (3 standard errors) leaves values
    repeated.
    """
    total = col.non_null - col.nan
    if col.repeats is not None:
        # Counted in the pass (a candidate key: exact up to rowset.MAX_EXACT values).
        repeats, exact = col.repeats.rows, col.repeats.exact
    elif col.frequent_exact and col.frequent.total_weight == total:
        repeats, exact = total - col.frequent.num_items, True
    else:
        upper = col.distinct.estimate * (1.0 + 3.0 * _HLL_RSE)
        repeats, exact = max(0, round(total - upper)), False
    details = {"repeated_values": repeats, "values": total, "exact": exact, "kind": "identifier"}
    if repeats > 0:
        about = "" if exact else "at least "
        return Finding(
            "quality.unique",
            Status.FAIL,
            f"{about}{repeats} of {total} values of {col.name!r} repeat an earlier value, "
            "where the schema says values are unique; look for a join that multiplied "
            "rows, or set unique: false if keys may repeat now",
            column=col.name,
            details=details,
        )
    what = "all values distinct" if exact else "no repeats beyond the sketch's error"
    return Finding("quality.unique", Status.PASS, what, column=col.name, details=details)


def _fraction_hint(col: ColumnProfile, schema: ColumnSchema) -> str:
    """Whole-number codes that now arrive with fractions may be a measurement."""
    if col.kind != NUMERIC or col.integral or schema.type != "integer":
        return ""
    return (
        f" (the values now have fractions: if {col.name!r} is a measurement, not a code, "
        "set kind: continuous and a range in the schema)"
    )


def _number(value: object) -> object:
    """A numeric domain value or profile key as a number to compare by value: an int
    where it is whole (exact beyond 2**53, where floats skip integers), else a float;
    text that reads as no number stays as it is (it then matches no number)."""
    if isinstance(value, bool):
        return value
    if isinstance(value, float):
        if value.is_integer():
            return int(value)
        # Fractions to the digits that profiles count them by (``fraction_key``).
        return float(fraction_key(repr(value)))
    if isinstance(value, str):
        try:
            return int(value)
        except ValueError:
            try:
                return _number(float(value))
            except (ValueError, OverflowError):
                return value
    return value


def _key(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _case_hints(values: list[str], allowed: set[str]) -> str:
    folded = {a.strip().casefold(): a for a in allowed}
    pairs = [
        f"{quoted(v)} looks like {quoted(folded[v.strip().casefold()])}"
        for v in values
        if v.strip().casefold() in folded
    ]
    return f" ({'; '.join(pairs)}: a change of case or spacing?)" if pairs else ""


def _fmt(x: float | None, unbounded: str = "-inf", *, kind: str = NUMERIC, digits: int = 6) -> str:
    """A bound or extreme as people write it: whole numbers in full (an id 10000200,
    not 1.00002e+07), others with ``digits`` significant digits, a datetime column's as
    dates."""
    if x is None:
        return unbounded
    if kind == DATETIME:
        return timestamp(x)
    if float(x).is_integer() and abs(x) < 1e15:
        return str(int(x))
    return f"{x:.{digits}g}"


def _applies(check: Callable[..., Finding], col: ColumnProfile, schema: ColumnSchema) -> bool:
    if check is _check_range:
        return col.kind in (NUMERIC, DATETIME) and schema.range is not None
    if check is _check_domain:
        return schema.domain is not None
    if check is _check_unique:
        return schema.unique
    return True


#: Checks of a column's values beyond its missing ones (``_check_nulls``) and its
#: non-finite ones (``_check_non_finite``), which ``check_column`` runs first.
_VALUE_CHECKS: tuple[Callable[[ColumnProfile, ColumnSchema], Finding], ...] = (
    _check_range,
    _check_domain,
    _check_unique,
)
