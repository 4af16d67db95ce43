"""Numbers and values as people read them, in one place for messages, tables and reports.

JSON keeps the numbers themselves (a datetime as microseconds since the epoch, a share
as a fraction); these are for text only.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def percent(frac: float) -> str:
    """A share with one decimal that never reads ``0.0%`` when some values are there,
    nor ``100.0%`` when some are not: ``<0.1%`` and ``>99.9%`` instead."""
    if 0.0 < frac < 0.0005:
        return "<0.1%"
    if 0.9995 <= frac < 1.0:
        return ">99.9%"
    return f"{frac:.1%}"


def timestamp(micros: float) -> str:
    """Microseconds since the epoch (as profiles keep a datetime column's extremes) as a
    date, with the time of day (UTC) when it is not midnight: ``2013-01-01``,
    ``2013-01-01 05:30:00``."""
    if not math.isfinite(micros):
        return str(micros)
    try:
        moment = _EPOCH + timedelta(microseconds=round(micros))
    except OverflowError:
        return f"{micros:.6g}"
    if moment.hour == moment.minute == moment.second == moment.microsecond == 0:
        return moment.date().isoformat()
    text = moment.strftime("%Y-%m-%d %H:%M:%S")
    return f"{text}.{moment.microsecond:06d}".rstrip("0") if moment.microsecond else text


def extreme(value: float | None, kind: str, digits: int = 4) -> str:
    """A column's min or max as text: a date for a datetime column (``kind`` is the
    profile's kind), a number with ``digits`` significant digits otherwise; "" if none."""
    if value is None or value != value:
        return ""
    if kind == "datetime":
        return timestamp(value)
    return f"{value:.{digits}g}"


#: Characters of a value shown in a message; a longer one (a document in a cell) is cut.
VALUE_CHARS = 60


def shortened(text: str, show: Callable[[str], str] = str) -> str:
    """``show(text)``, or for a text longer than VALUE_CHARS, ``show`` of its first
    VALUE_CHARS characters with its length said: ``aaaa… (1,500 characters)``."""
    if len(text) > VALUE_CHARS:
        return f"{show(text[:VALUE_CHARS])}… ({len(text):,} characters)"
    return show(text)


def quoted(value: object) -> str:
    """A data value as a message quotes it (``repr``), a long text ``shortened``:
    ``'aaaa…' (1,500 characters)``."""
    return shortened(value, repr) if isinstance(value, str) else repr(value)
