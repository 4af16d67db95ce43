from __future__ import annotations

import polars as pl
import pytest

import mlgate
from mlgate._format import VALUE_CHARS, extreme, percent, quoted, timestamp


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


def test_a_long_value_is_quoted_cut_with_its_length() -> None:
    assert quoted("red") == "'red'" and quoted(25) == "25"
    text = quoted("x" * 1_500)
    assert text == f"{'x' * VALUE_CHARS!r}… (1,500 characters)"
    assert quoted("y" * VALUE_CHARS) == repr("y" * VALUE_CHARS)  # at the limit: whole


def test_a_long_category_is_cut_in_every_message_and_whole_in_the_details() -> None:
    long = "lorem ipsum " * 125  # 1,500 characters
    ref = pl.DataFrame({"c": ["a", "b", "c", "d"] * 500})
    cur = pl.DataFrame({"c": ["a", "b", "c", long] * 500})
    report = mlgate.check_data(ref, cur)
    failed = [f for f in report.findings if f.status.name == "FAIL"]
    assert {"quality.out_of_domain", "drift.categorical"} <= {f.name for f in failed}
    for finding in failed:
        assert long not in finding.message and "(1,500 characters)" in finding.message
    [domain] = [f for f in failed if f.name == "quality.out_of_domain"]
    assert domain.details["unexpected_values"] == [long]
