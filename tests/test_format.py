from __future__ import annotations

import pytest

from mlgate._format import extreme, percent, timestamp


@pytest.mark.parametrize(
    ("frac", "text"),
    [(0.0, "0.0%"), (1e-9, "<0.1%"), (0.0004, "<0.1%"), (0.0005, "0.1%"), (0.5, "50.0%"),
     (0.9996, ">99.9%"), (0.99999, ">99.9%"), (1.0, "100.0%")],
)  # fmt: skip
def test_percent_never_rounds_to_none_or_all(frac: float, text: str) -> None:
    assert percent(frac) == text


@pytest.mark.parametrize(
    ("micros", "text"),
    [(1356998400000000.0, "2013-01-01"), (1357025400000000.0, "2013-01-01 07:30:00"),
     (1357025400250000.0, "2013-01-01 07:30:00.25"), (-86400e6, "1969-12-31"),
     (1e30, "1e+30"), (float("inf"), "inf")],
)  # fmt: skip
def test_timestamp_is_a_date_with_the_time_when_not_midnight(micros: float, text: str) -> None:
    assert timestamp(micros) == text


def test_extreme_by_kind() -> None:
    assert extreme(1356998400000000.0, "datetime") == "2013-01-01"
    assert extreme(1356998400000000.0, "numeric") == "1.357e+15"
    assert extreme(None, "numeric") == ""
    assert extreme(float("nan"), "datetime") == ""
