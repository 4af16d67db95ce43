"""CSV headers: a first row of numbers that names columns is a header, data stays data."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from mlgate.data import io
from mlgate.data.gate import check_data, validate
from mlgate.data.profile import profile
from mlgate.data.schema import infer_schema
from mlgate.findings import Status


def _floats(rows: int = 60, width: int = 3, seed: int = 0) -> list[list[str]]:
    rng = np.random.default_rng(seed)
    return [[f"{x:.4f}" for x in rng.normal(size=width)] for _ in range(rows)]


def _ints(high: int, rows: int = 60, width: int = 3, seed: int = 0) -> list[list[str]]:
    rng = np.random.default_rng(seed)
    return [[str(v) for v in rng.integers(0, high, width)] for _ in range(rows)]


def _write(path: Path, header: list[str] | None, rows: list[list[str]], sep: str = ",") -> Path:
    lines = ([sep.join(header)] if header is not None else []) + [sep.join(r) for r in rows]
    path.write_text("\n".join(lines) + "\n")
    return path


def _names_and_types(path: Path) -> list[tuple[str, str]]:
    return [(c.name, c.logical_type) for c in profile(path).columns]


def test_numbered_columns_with_named_ones_are_a_header(tmp_path: Path) -> None:
    rng = np.random.default_rng(1)
    rows = [[*r, str(i % 2), f"{rng.random():.3f}"] for i, r in enumerate(_floats(width=4))]
    path = _write(tmp_path / "scores.csv", ["0", "1", "2", "3", "y", "pred"], rows)
    assert io.sniff_csv(path) == (",", True)
    assert _names_and_types(path) == [
        ("0", "float"),
        ("1", "float"),
        ("2", "float"),
        ("3", "float"),
        ("y", "integer"),
        ("pred", "float"),
    ]
    assert profile(path).rows == 60


@pytest.mark.parametrize("sep", [",", ";", "\t"])
@pytest.mark.parametrize("first", [0, 1])
def test_numbered_header_over_fractions_is_a_header(tmp_path: Path, sep: str, first: int) -> None:
    header = [str(first + j) for j in range(3)]
    path = _write(tmp_path / "x.csv", header, _floats(), sep)
    assert _names_and_types(path) == [(name, "float") for name in header]


def test_pandas_index_column_and_numbered_header_is_a_header(tmp_path: Path) -> None:
    rows = [[str(i), *r] for i, r in enumerate(_floats())]
    path = _write(tmp_path / "pandas.csv", ["", "0", "1", "2"], rows)
    assert io.sniff_csv(path)[1] is True
    assert [n for n, _ in _names_and_types(path)][1:] == ["0", "1", "2"]


def test_numbered_header_over_whole_numbers_beyond_it_is_a_header(tmp_path: Path) -> None:
    rng = np.random.default_rng(2)
    rows = [[str(v) for v in rng.integers(0, 500, 3)] for _ in range(60)]
    path = _write(tmp_path / "counts.csv", ["1", "2", "3"], rows)
    assert _names_and_types(path) == [("1", "integer"), ("2", "integer"), ("3", "integer")]


def test_numbered_header_over_pixels_is_a_header(tmp_path: Path) -> None:
    rng = np.random.default_rng(7)
    rows = [[str(v) for v in rng.integers(0, 16, 40)] for _ in range(60)]
    path = _write(tmp_path / "pixels.csv", [str(j) for j in range(40)], rows)
    assert io.sniff_csv(path)[1] is True
    assert profile(path).names == [str(j) for j in range(40)]


def test_name_over_a_column_of_numbers_is_a_header(tmp_path: Path) -> None:
    # csv.Sniffer votes "no header": two numbers over numbers outvote one word.
    rows = [[*r[:2], "1.5" if i % 2 else "2"] for i, r in enumerate(_floats())]
    path = _write(tmp_path / "mixed.csv", ["7", "8", "label"], rows)
    assert io.sniff_csv(path) == (",", True)
    assert _names_and_types(path) == [("7", "float"), ("8", "float"), ("label", "float")]


@pytest.mark.parametrize(
    "rows",
    [
        _floats(),
        _ints(100, seed=3),
        # small codes whose first row happens to read 0,1,2: like the rows below it
        [["0", "1", "2"], *_ints(3, seed=4)],
        # two whole numbers that happen to read 0,1: too little to call a header
        [["0", "1"], *_ints(100, width=2, seed=5)],
        # a missing value spelled out is no name
        [["NA", "1.5", "2.5"], *_floats()],
    ],
    ids=["floats", "integers", "codes_from_0", "pair_from_0", "NA_in_first_row"],
)
def test_headerless_numeric_csv_stays_headerless(tmp_path: Path, rows: list[list[str]]) -> None:
    path = _write(tmp_path / "raw.csv", None, rows)
    assert io.sniff_csv(path)[1] is False
    p = profile(path)
    assert p.rows == len(rows)
    assert p.names == [f"column_{j}" for j in range(len(rows[0]))]


def test_a_header_read_as_data_is_named_as_the_cause_not_the_data(tmp_path: Path) -> None:
    rng = np.random.default_rng(6)
    body = [[str(v) for v in rng.integers(0, 100, 2)] for _ in range(60)]
    ref = _write(tmp_path / "ref.csv", ["x", "y"], body)
    # "0,1" over whole numbers is ambiguous and read as data.
    cur = _write(tmp_path / "cur.csv", ["0", "1"], body)
    for report in (check_data(ref, cur), validate(cur, infer_schema(profile(ref)))):
        missing = [f for f in report.findings if f.name == "schema.missing_column"]
        assert [f.column for f in missing] == ["x", "y"]
        for f in missing:
            assert f.status is Status.FAIL
            assert "read as having no header row" in f.message
            assert "column_0" in f.message
            assert f.details["headerless"] is True


def test_missing_column_of_a_file_with_a_header_gets_no_headerless_hint(tmp_path: Path) -> None:
    ref = _write(tmp_path / "ref.csv", ["a", "b"], _floats(width=2))
    cur = _write(tmp_path / "cur.csv", ["a", "c"], _floats(width=2, seed=1))
    [missing] = [f for f in check_data(ref, cur).findings if f.name == "schema.missing_column"]
    assert "header" not in missing.message
