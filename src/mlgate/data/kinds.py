"""What a column means: a continuous measurement, a categorical code, an identifier, or time.

The kind decides which checks a column gets (docs/data-gate.md, "Column kinds"):

============  ==============================================================
kind          checks
============  ==============================================================
continuous    range, distribution drift (Wasserstein)
categorical   domain, new and vanished values, drift of shares (Jensen-Shannon)
identifier    nulls and uniqueness; no range, domain or drift
time          range, extension forward allowed (a later period is expected);
              calendar fields (month, hour, ...) within their natural bounds
============  ==============================================================

The words are statistics' usual levels of measurement (a categorical variable is
nominal; a continuous one is interval or ratio), plus the two kinds every data
contract names apart: keys and time stamps. No inference is always right, so the kind
is written into the schema for people to read and correct; ``infer_kind`` says why it
chose a kind, and the schema writes that reason beside it.

Inference (``infer_kind``), first rule that applies:

1. the storage type: dates and datetimes are time, booleans categorical, fractions
   continuous, apart from exactly two values with fractions among 20 or more rows (a
   binary indicator encoded as numbers, as scikit-learn's diabetes data holds sex),
   which is categorical;
2. the name, split into words (``orderYear`` and ``order_year`` give ``order``,
   ``year``): a singular calendar word (year, month, day, hour, week, quarter, ...) whose
   values fit its calendar is time; a plural one (``years``, ``days_since``) is a
   duration, continuous; an id word (``id``, ``uuid``, ``key``) is an identifier unless
   the column has few values (``class_id`` with 3 values is a code); a code word
   (``code``, ``type``, ``status``, ``flag``, ...) is categorical; a measure word
   (``age``, ``price``, ``temperature``, ``count``, ...) is continuous;
3. the values of whole-number columns: nearly all distinct and densely packed (an
   auto-increment key continuing its sequence), or every number of a span once each
   from 10 rows up (a row number), is an identifier; few values relative to
   the rows (at most 50, and a tenth of the rows) are codes when they start at 0 or 1
   or are a few values with gaps, and a whole-number measurement when they are a run of
   consecutive values elsewhere (temperatures 8 to 22 degrees), a run on a grid, or 20
   or more values spread with gaps (seats: 2 to 450); more values are continuous;
4. text: more distinct values than half the rows is an identifier (names, keys, free
   text), fewer is categorical.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Literal

Kind = Literal["continuous", "categorical", "identifier", "time"]
CONTINUOUS: Kind = "continuous"
CATEGORICAL: Kind = "categorical"
IDENTIFIER: Kind = "identifier"
TIME: Kind = "time"
KINDS: tuple[Kind, ...] = (CONTINUOUS, CATEGORICAL, IDENTIFIER, TIME)

#: Whole-number columns with at most this many values (and at most a tenth of the rows)
#: may be codes; above it they are measurements unless the name says otherwise.
MAX_CODE_VALUES = 50
#: Share of the rows that must be distinct for a whole-number column to be a key.
KEY_DISTINCT_SHARE = 0.95
#: Fewer values than this and uniqueness alone says nothing (30 ages can be distinct).
KEY_MIN_VALUES = 100
#: ... unless they are every whole number of their span once each, which measurements
#: of this many rows never are: a row number (statsmodels' longley ``Obs``, 1 to 16).
ROW_NUMBER_MIN = 10
#: A run of consecutive whole numbers fills at least this share of its span.
RUN_FILL = 0.75
#: Whole numbers with gaps are codes (100, 200, 310) while few; this many spread over
#: a wider span are a measurement that repeats (seats in an aircraft: 2 to 450).
MANY_GAPPED_VALUES = 20

#: Calendar fields with natural bounds: a value outside them is an error, a value
#: inside is expected whatever the reference saw (a later month, another hour).
CALENDAR_BOUNDS: dict[str, tuple[int, int]] = {
    "month": (1, 12),
    "day": (1, 31),
    "weekday": (0, 7),
    "hour": (0, 24),
    "minute": (0, 59),
    "week": (0, 53),
    "quarter": (1, 4),
}
#: Calendar fields whose cycle is a week or less: a later period holds the same values
#: in the same shares (flights leave at 6 every day), so they are categorical codes.
CYCLES_WITHIN_A_WEEK = frozenset({"weekday", "hour", "minute"})
#: Calendar fields that only grow, with the values they can plausibly hold.
LINEAR_TIME: dict[str, tuple[float, float]] = {
    "year": (1000, 3000),
    "epoch": (0, 1e19),
}

_CALENDAR_WORDS = {
    "year": "year",
    "yr": "year",
    "yyyy": "year",
    "month": "month",
    "mon": "month",
    "mnth": "month",
    "day": "day",
    "dom": "day",
    "weekday": "weekday",
    "dow": "weekday",
    "hour": "hour",
    "hr": "hour",
    "minute": "minute",
    "week": "week",
    "wk": "week",
    "quarter": "quarter",
    "qtr": "quarter",
    "timestamp": "epoch",
    "epoch": "epoch",
    "ts": "epoch",
    "unix": "epoch",
}
_WEEKDAY_PHRASES = ("dayofweek", "day_of_week", "weekday", "week_day")
_DURATION_WORDS = {
    "years",
    "months",
    "days",
    "hours",
    "minutes",
    "seconds",
    "weeks",
    "secs",
    "mins",
    "hrs",
}
_ID_WORDS = {"id", "ids", "uuid", "guid", "key", "pk", "idx", "index", "uid", "sku", "ssn"}
_CODE_WORDS = {
    "code",
    "codes",
    "type",
    "kind",
    "class",
    "category",
    "cat",
    "label",
    "flag",
    "status",
    "state",
    "group",
    "grade",
    "level",
    "segment",
    "region",
    "zone",
    "gender",
    "sex",
    "bucket",
    "tier",
    "cluster",
    "zip",
    "zipcode",
    "postcode",
    "country",
    "station",
    "store",
    "channel",
}
_CODE_PREFIXES = ("is", "has", "was", "can")
_MEASURE_WORDS = {
    "age",
    "temp",
    "temperature",
    "degrees",
    "celsius",
    "fahrenheit",
    "price",
    "cost",
    "amount",
    "income",
    "salary",
    "revenue",
    "count",
    "cnt",
    "num",
    "qty",
    "quantity",
    "total",
    "sum",
    "size",
    "length",
    "width",
    "height",
    "depth",
    "weight",
    "mass",
    "distance",
    "duration",
    "score",
    "mm",
    "cm",
    "km",
    "kg",
    "lb",
    "lbs",
    "pct",
    "percent",
    "rate",
    "ratio",
    "speed",
    "pressure",
    "humidity",
    "volume",
    "balance",
    "visits",
    "clicks",
    "views",
}


@dataclass(frozen=True)
class KindGuess:
    """An inferred kind with the reason a reviewer reads beside it in the schema.

    ``calendar`` names the calendar field of a time column (``month``, ``year``,
    ``epoch``...) when the name gave one, else None.
    """

    kind: Kind
    reason: str
    calendar: str | None = None
    #: The table's own key, by name (``id``, ``uuid``: one word) or by shape (an
    #: auto-increment sequence), not a foreign key (``customer_id``) or a column of many
    #: values: only such a key is expected to stay unique (``unique``).
    key: bool = False


def name_words(name: str) -> list[str]:
    """A column name as lower-case words: ``orderYear``, ``order_year`` and
    ``Order Year`` all give ``["order", "year"]``."""
    spaced = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", " ", name)
    return [w for w in re.split(r"[^0-9a-zA-Z]+", spaced.lower()) if w]


def _name_hint(name: str, words: list[str]) -> tuple[str, str | None] | None:
    """What the name says: ("time", field), ("duration"|"id"|"code"|"measure", None), or
    None. The last word that means something decides (English puts the head noun
    last: ``order_year`` is a year, ``year_built`` too, ``days_since_signup`` a
    duration), except that ``is_``/``has_`` in front makes a flag."""
    if any(p in name.lower().replace(" ", "_") for p in _WEEKDAY_PHRASES):
        return "time", "weekday"
    for word in reversed(words):
        if word in _CALENDAR_WORDS:
            return "time", _CALENDAR_WORDS[word]
        if word in _DURATION_WORDS:
            return "duration", None
        if word in _ID_WORDS:
            return "id", None
        if word in _CODE_WORDS:
            return "code", None
        if word in _MEASURE_WORDS:
            return "measure", None
    if words and words[0] in _CODE_PREFIXES:
        return "code", None
    return None


def _fits_calendar(field: str, lo: float, hi: float) -> bool:
    if field in CALENDAR_BOUNDS:
        low, high = CALENDAR_BOUNDS[field]
        # Months and weekdays are sometimes counted from zero.
        return low - 1 <= lo and hi <= high
    if field in LINEAR_TIME:
        low, high = LINEAR_TIME[field]
        return low <= lo and hi <= high
    return False


def infer_kind(col: Any) -> KindGuess | None:
    """The kind of a profiled column (a ``ColumnProfile``), with the reason; None for a
    column with no values of a checkable type (all null, nested, binary). The rules are
    in the module docstring. Never raises.
    """
    from mlgate.data.profile import BOOLEAN, DATETIME, NUMERIC, STRING

    if col.kind == DATETIME:
        return KindGuess(TIME, "dates or timestamps")
    if col.kind == BOOLEAN:
        return KindGuess(CATEGORICAL, "true/false values")
    if col.kind == STRING:
        return _text_kind(col)
    if col.kind != NUMERIC:
        return None
    if not col.integral:
        if _two_values(col):
            return KindGuess(CATEGORICAL, "only two values, with fractions: an indicator")
        return KindGuess(CONTINUOUS, "numbers with fractions")
    return _whole_number_kind(col)


#: Fewest rows from which two values with fractions read as an indicator.
INDICATOR_ROWS = 20


def _two_values(col: Any) -> bool:
    """Whether a numeric column holds exactly two finite values, counted exactly, over
    at least INDICATOR_ROWS rows and no infinities."""
    values = col.non_null - col.nan
    return (
        values >= INDICATOR_ROWS
        and col.posinf == col.neginf == 0
        and col.frequent_exact
        and col.frequent.num_items == 2
        and col.frequent.total_weight == values
    )


def _text_kind(col: Any) -> KindGuess:
    n, distinct = col.non_null, col.distinct_count
    if n > 0 and distinct > 0.5 * n:
        hint = _name_hint(col.name, name_words(col.name))
        named = hint is not None and hint[0] == "id"
        why = "name and values" if named else "values"
        # The distinct-count sketch may estimate a little above the rows it saw.
        shown = f"{distinct:.0f} in {n}" if distinct < n else f"about all {n}"
        own = named and len(name_words(col.name)) == 1
        return KindGuess(IDENTIFIER, f"{why}: most values distinct ({shown})", key=own)
    return KindGuess(CATEGORICAL, f"text with {distinct:.0f} distinct values")


def _whole_number_kind(col: Any) -> KindGuess:
    hint = _name_hint(col.name, name_words(col.name))
    n = col.non_null - col.nan
    distinct = col.distinct_count
    lo, hi = col.min, col.max
    few = col.frequent_exact and 0 < distinct <= min(MAX_CODE_VALUES, max(2, n // 10))
    label = f"name {col.name!r}"
    what, field = hint if hint is not None else (None, None)
    calendar = what == "time" and field is not None and lo is not None and hi is not None
    if calendar and _fits_calendar(field, lo, hi):  # type: ignore[arg-type]
        if field in CYCLES_WITHIN_A_WEEK:
            return KindGuess(
                CATEGORICAL, f"{label}: {field}s recur within any week of data, so codes"
            )
        return KindGuess(TIME, f"{label}: a calendar {field}", calendar=field)
    if what == "duration":
        return KindGuess(CONTINUOUS, f"{label}: a duration")
    if what == "id":
        if few:
            return KindGuess(CATEGORICAL, f"{label}, but only {distinct:.0f} values: codes")
        # Only the table's own key is unique: ``id``, ``uuid``; ``customer_id`` in a table
        # of orders is a foreign key, which repeats.
        own = len(name_words(col.name)) == 1 or _packed(n, distinct, lo, hi)
        return KindGuess(IDENTIFIER, f"{label}: an identifier", key=own)
    if what == "code":
        return KindGuess(CATEGORICAL, f"{label}: codes")
    if what == "measure":
        return KindGuess(CONTINUOUS, f"{label}: a measurement")
    if lo is None or hi is None or n == 0:
        return KindGuess(CONTINUOUS, "no values to tell from")
    if col.frequent_exact and ROW_NUMBER_MIN <= n == round(distinct) == round(hi - lo + 1.0):
        # Every whole number of a span once each: a row number, whatever the sample size.
        return KindGuess(
            IDENTIFIER, f"values: each whole number {lo:.0f}-{hi:.0f} once, a row number", key=True
        )
    if _packed(n, distinct, lo, hi):
        return KindGuess(
            IDENTIFIER,
            f"values: {min(distinct, n):.0f} distinct whole numbers packed in {lo:.0f}-{hi:.0f}",
            key=True,
        )
    if few:
        return _few_whole_numbers(col, lo, hi)
    return KindGuess(CONTINUOUS, f"values: {distinct:.0f} distinct whole numbers")


def _packed(n: int, distinct: float, lo: float | None, hi: float | None) -> bool:
    """Nearly all distinct whole numbers packed densely: an auto-increment sequence."""
    if lo is None or hi is None or n < KEY_MIN_VALUES:
        return False
    return distinct >= KEY_DISTINCT_SHARE * n and hi - lo + 1.0 <= 2.0 * distinct


def _few_whole_numbers(col: Any, lo: float, hi: float) -> KindGuess:
    """Codes or a whole-number measurement, from how the values are spaced: a run of
    consecutive values (or of a common step, as wind directions in steps of 10
    degrees) is a measurement, unless a step-1 run starts at 0 or 1 (codes counted from
    there, ratings, counts of children); a few values with gaps are codes, many
    (``MANY_GAPPED_VALUES``) a measurement."""
    import math

    values = sorted(int(v) for v, _ in col.value_counts())
    distinct = len(values)
    if distinct == 1:
        return KindGuess(CATEGORICAL, f"values: the one whole number {values[0]}")
    if distinct == 2:
        return KindGuess(CATEGORICAL, f"values: 2 whole numbers ({values[0]}, {values[1]}), a flag")
    step = math.gcd(*(v - values[0] for v in values[1:])) or 1
    run = distinct >= RUN_FILL * ((hi - lo) / step + 1.0)
    if run and step > 1 and distinct >= 5:
        return KindGuess(
            CONTINUOUS,
            f"values: {lo:.0f}-{hi:.0f} in steps of {step}, a measurement on a grid",
        )
    if run and step == 1 and lo not in (0.0, 1.0):
        return KindGuess(
            CONTINUOUS,
            f"values: consecutive whole numbers {lo:.0f}-{hi:.0f}, a whole-number measurement",
        )
    if not run and distinct >= MANY_GAPPED_VALUES:
        return KindGuess(
            CONTINUOUS,
            f"values: {distinct} whole numbers spread over {lo:.0f}-{hi:.0f}, a measurement",
        )
    shape = "counted from 0 or 1" if run else "with gaps"
    return KindGuess(
        CATEGORICAL, f"values: {distinct} whole numbers {shape} ({lo:.0f}-{hi:.0f}), codes"
    )
