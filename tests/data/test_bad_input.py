"""Bad input for the data gate, through the real command line (issue 2, section 9).

Every case ends one of two ways, never with a traceback:

- exit 2 and exactly one line on stderr, ``mlgate: error: <where>: <what>; <what to do>``,
  with nothing written to ``--output`` (and a file already there left untouched);
- or, where the problem is a property of the data (no rows, an all-null column, words
  in a numeric column), a finding in the report and exit 1 (0 for a warning).

Commands run in-process through ``mlgate._cli.main.main``, where exit codes are mapped;
``tests/cli/test_bad_input_cli.py`` runs some through a real subprocess.
"""

from __future__ import annotations

import gzip
import json
import math
import os
import re
import subprocess
import sys
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from mlgate.data import io
from tests.conftest import crash_files_in, make_table, run_main


@dataclass(frozen=True)
class Outcome:
    code: int
    out: str
    err: str


Run = Callable[..., Outcome]


@pytest.fixture
def mlgate(capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch) -> Run:
    """Run the CLI's ``main`` in-process; an exit-3 crash file lands in tmp_path."""
    crash_files_in(tmp_path, monkeypatch)

    def run(*args: str | Path) -> Outcome:
        return Outcome(*run_main(capsys, args))

    return run


def assert_one_line_error(outcome: Outcome, *fragments: str) -> str:
    """Exit 2, one ``mlgate: error:`` line naming every fragment, nothing on stdout."""
    assert outcome.code == 2, outcome
    assert "Traceback" not in outcome.err + outcome.out
    lines = outcome.err.splitlines()
    assert len(lines) == 1, outcome.err
    line = lines[0]
    assert line.startswith("mlgate: error: "), line
    for fragment in fragments:
        assert fragment in line, f"{fragment!r} not in {line!r}"
    assert "; " in line, f"no 'what to do' clause in {line!r}"
    assert outcome.out == ""
    return line


def report(outcome: Outcome) -> dict:
    assert "Traceback" not in outcome.err + outcome.out
    assert outcome.err == "", outcome.err
    return json.loads(outcome.out)


def failed(rep: dict, name: str, column: str | None = None) -> list[dict]:
    return [
        c
        for c in rep["checks"]
        if c["name"] == name and c["status"] == "fail" and (column is None or c["column"] == column)
    ]


@pytest.fixture
def ref(tmp_path: Path) -> Path:
    """A clean reference: x (float), code (int), city (string), flag (bool)."""
    path = tmp_path / "ref.csv"
    make_table().write_csv(path)
    return path


# -- the exit-2 corpus: each builder writes one bad input and says what the line names --

Builder = Callable[[Path], tuple[str, tuple[str, ...]]]


def _parquet_bytes() -> bytes:
    buf = pa.BufferOutputStream()
    pq.write_table(make_table(300).to_arrow(), buf)
    return buf.getvalue().to_pybytes()


def missing_file(d: Path) -> tuple[str, tuple[str, ...]]:
    return str(d / "nope.csv"), ("nope.csv", "no such file")


def object_store_uri(d: Path) -> tuple[str, tuple[str, ...]]:
    # Not read by the Polars engine: the line says which engine reads it.
    return "s3://bucket/events/part-0.parquet", ("s3://bucket/events", "--engine spark")


def missing_file_uri(d: Path) -> tuple[str, tuple[str, ...]]:
    return f"file://{d}/no%20such.parquet", ("no such.parquet", "no such file")


def csv_cut_mid_line(d: Path) -> tuple[str, tuple[str, ...]]:
    # A copy that stopped: the reader padded the last row with nulls, and it passed.
    rows = "".join(f"{i},{i * 1.5},city{i % 3}\n" for i in range(500))
    (d / "cut.csv").write_text("id,x,city\n" + rows + "500,75")
    return str(d / "cut.csv"), ("cut.csv", "the last line has 2 fields, the header 3", "cut short")


def blank_lines_csv(d: Path) -> tuple[str, tuple[str, ...]]:
    (d / "blank.csv").write_text("\n\n   \n")
    return str(d / "blank.csv"), ("blank.csv", "first line is empty")


def truncated_parquet(d: Path) -> tuple[str, tuple[str, ...]]:
    raw = _parquet_bytes()
    (d / "half.parquet").write_bytes(raw[: len(raw) // 2])
    return str(d / "half.parquet"), ("half.parquet", "truncated")


def parquet_without_end_marker(d: Path) -> tuple[str, tuple[str, ...]]:
    (d / "cut.parquet").write_bytes(_parquet_bytes()[:-6])
    return str(d / "cut.parquet"), ("cut.parquet", "truncated")


def random_bytes_parquet(d: Path) -> tuple[str, tuple[str, ...]]:
    (d / "noise.parquet").write_bytes(np.random.default_rng(1).bytes(4096))
    return str(d / "noise.parquet"), ("noise.parquet", "not a valid Parquet file")


def damaged_parquet_footer(d: Path) -> tuple[str, tuple[str, ...]]:
    raw = bytearray(_parquet_bytes())
    footer = int.from_bytes(raw[-8:-4], "little")
    start = len(raw) - 8 - footer
    raw[start : start + 32] = b"\xff" * 32
    (d / "footer.parquet").write_bytes(bytes(raw))
    return str(d / "footer.parquet"), ("footer.parquet", "corrupt")


def damaged_parquet_pages(d: Path) -> tuple[str, tuple[str, ...]]:
    raw = bytearray(_parquet_bytes())
    raw[4:260] = bytes(256)
    (d / "pages.parquet").write_bytes(bytes(raw))
    return str(d / "pages.parquet"), ("pages.parquet", "corrupt")


def random_bytes_arrow(d: Path) -> tuple[str, tuple[str, ...]]:
    (d / "noise.arrow").write_bytes(np.random.default_rng(2).bytes(2048))
    return str(d / "noise.arrow"), ("noise.arrow", "not a valid Arrow IPC file")


def binary_junk_csv(d: Path) -> tuple[str, tuple[str, ...]]:
    (d / "junk.csv").write_bytes(np.random.default_rng(3).bytes(8192))
    return str(d / "junk.csv"), ("junk.csv", "binary")


def binary_junk_csv_without_nul(d: Path) -> tuple[str, tuple[str, ...]]:
    junk = np.random.default_rng(4).bytes(8192).replace(b"\x00", b"")
    (d / "junk.csv").write_bytes(junk)
    return str(d / "junk.csv"), ("junk.csv", "binary")


def gzip_named_csv(d: Path) -> tuple[str, tuple[str, ...]]:
    (d / "data.csv").write_bytes(gzip.compress(make_table(50).write_csv().encode()))
    return str(d / "data.csv"), ("data.csv", "gzip")


def excel_named_csv(d: Path) -> tuple[str, tuple[str, ...]]:
    with zipfile.ZipFile(d / "sheet.csv", "w") as zf:
        zf.writestr("xl/workbook.xml", "<workbook/>")
    return str(d / "sheet.csv"), ("sheet.csv", "ZIP")


def utf16_csv(d: Path) -> tuple[str, tuple[str, ...]]:
    (d / "wide.csv").write_bytes(make_table(50).write_csv().encode("utf-16"))
    return str(d / "wide.csv"), ("wide.csv", "UTF-16", "UTF-8")


def latin1_csv(d: Path) -> tuple[str, tuple[str, ...]]:
    text = "x,city\n1.5,Lisbon\n2.5,São Paulo\n3.5,Oslo\n"
    (d / "latin1.csv").write_bytes(text.encode("latin-1"))
    return str(d / "latin1.csv"), ("latin1.csv", "line 3", "UTF-8")


def latin1_csv_beyond_the_sniffed_head(d: Path) -> tuple[str, tuple[str, ...]]:
    rows = "".join(f"{i}.5,Oslo\n" for i in range(20_000))
    text = "x,city\n" + rows + "7.5,Zürich\n"
    (d / "late.csv").write_bytes(text.encode("latin-1"))
    return str(d / "late.csv"), ("late.csv", "line 20002", "UTF-8")


def ragged_row_csv(d: Path) -> tuple[str, tuple[str, ...]]:
    (d / "ragged.csv").write_text("x,city,code\n1.5,Oslo,3\n2.5,Lisbon,4,extra\n3.5,Quito,5\n")
    return str(d / "ragged.csv"), ("ragged.csv", "line 3", "4 fields")


def unclosed_quote_csv(d: Path) -> tuple[str, tuple[str, ...]]:
    (d / "quote.csv").write_text('x,city,code\n1.5,"Oslo,3\n2.5,Lisbon,4\n')
    return str(d / "quote.csv"), ("quote.csv", "line 2", "quot")


def duplicate_names_csv(d: Path) -> tuple[str, tuple[str, ...]]:
    (d / "dup.csv").write_text("a,a\n1,2\n3,4\n")
    return str(d / "dup.csv"), ("dup.csv", "'a'", "rename")


def duplicate_names_semicolon_csv(d: Path) -> tuple[str, tuple[str, ...]]:
    (d / "dup.csv").write_text("a;b;a\n1;2;3\n4;5;6\n")
    return str(d / "dup.csv"), ("dup.csv", "'a'", "rename")


def duplicate_names_parquet(d: Path) -> tuple[str, tuple[str, ...]]:
    table = pa.table([pa.array([1, 2]), pa.array([3, 4])], names=["a", "a"])
    pq.write_table(table, d / "dup.parquet")
    return str(d / "dup.parquet"), ("dup.parquet", "'a'", "rename")


def empty_folder(d: Path) -> tuple[str, tuple[str, ...]]:
    (d / "parts").mkdir()
    return str(d / "parts"), ("parts", "no data files")


def folder_without_data_files(d: Path) -> tuple[str, tuple[str, ...]]:
    folder = d / "parts"
    folder.mkdir()
    (folder / "README.md").write_text("# notes, with commas\n")
    (folder / "_SUCCESS").write_text("")
    (folder / ".part-0.crc").write_bytes(b"\x00\x01")
    return str(folder), ("parts", "no data files", "README.md")


def glob_matching_nothing(d: Path) -> tuple[str, tuple[str, ...]]:
    return str(d / "parts-*.parquet"), ("parts-*.parquet", "matches no files")


def folder_of_parquet_with_clashing_types(d: Path) -> tuple[str, tuple[str, ...]]:
    folder = d / "parts"
    folder.mkdir()
    pl.DataFrame({"x": [1.5, 2.5]}).write_parquet(folder / "a.parquet")
    pl.DataFrame({"x": ["u", "v"]}).write_parquet(folder / "b.parquet")
    return str(folder), ("b.parquet", "a.parquet", "'x'")


def folder_of_csv_with_different_delimiters(d: Path) -> tuple[str, tuple[str, ...]]:
    folder = d / "parts"
    folder.mkdir()
    (folder / "a.csv").write_text("x,code\n1.5,2\n3.5,4\n")
    (folder / "b.csv").write_text("x;code\n5.5;6\n7.5;8\n")
    return str(folder), ("b.csv", "delimiter")


def broken_json_lines(d: Path) -> tuple[str, tuple[str, ...]]:
    (d / "log.jsonl").write_text('{"x": 1.5, "city": "Oslo"}\n{"x": , "city": "Lima"}\n')
    return str(d / "log.jsonl"), ("log.jsonl", "line 2", "JSON")


def _profile_text(d: Path) -> str:
    from mlgate.data.profile import dumps, profile

    return dumps(profile(make_table(300)))


def truncated_profile(d: Path) -> tuple[str, tuple[str, ...]]:
    text = _profile_text(d)
    (d / "ref.profile.json").write_text(text[: len(text) // 2])
    return str(d / "ref.profile.json"), ("ref.profile.json", "profile")


def profile_not_utf8(d: Path) -> tuple[str, tuple[str, ...]]:
    (d / "ref.profile.json").write_bytes(b'{"format": "mlgate.profile", "rows": \xff\xfe}')
    return str(d / "ref.profile.json"), ("ref.profile.json", "profile")


def profile_with_a_damaged_sketch(d: Path) -> tuple[str, tuple[str, ...]]:
    data = json.loads(_profile_text(d))
    data["columns"][0]["quantiles"] = "AAAAAAAA"
    (d / "ref.profile.json").write_text(json.dumps(data))
    return str(d / "ref.profile.json"), ("ref.profile.json", "damaged")


def profile_with_a_missing_key(d: Path) -> tuple[str, tuple[str, ...]]:
    data = json.loads(_profile_text(d))
    del data["columns"][1]["moments"]
    (d / "ref.profile.json").write_text(json.dumps(data))
    return str(d / "ref.profile.json"), ("ref.profile.json", "damaged")


def profile_with_wrong_types(d: Path) -> tuple[str, tuple[str, ...]]:
    data = json.loads(_profile_text(d))
    data["rows"] = None
    data["columns"][0] = "x"
    (d / "ref.profile.json").write_text(json.dumps(data))
    return str(d / "ref.profile.json"), ("ref.profile.json", "damaged")


def profile_from_the_future(d: Path) -> tuple[str, tuple[str, ...]]:
    data = json.loads(_profile_text(d))
    data["version"] = 99
    (d / "ref.profile.json").write_text(json.dumps(data))
    return str(d / "ref.profile.json"), ("ref.profile.json", "version 99")


EXIT_2_CASES: list[Builder] = [
    missing_file,
    object_store_uri,
    missing_file_uri,
    # A file of 0 bytes is data with no rows, as a header-only file is:
    # tests/cli/test_what_users_read.py holds both to that one rule.
    blank_lines_csv,
    truncated_parquet,
    parquet_without_end_marker,
    random_bytes_parquet,
    damaged_parquet_footer,
    damaged_parquet_pages,
    random_bytes_arrow,
    binary_junk_csv,
    binary_junk_csv_without_nul,
    gzip_named_csv,
    excel_named_csv,
    utf16_csv,
    latin1_csv,
    latin1_csv_beyond_the_sniffed_head,
    ragged_row_csv,
    csv_cut_mid_line,
    unclosed_quote_csv,
    duplicate_names_csv,
    duplicate_names_semicolon_csv,
    duplicate_names_parquet,
    empty_folder,
    folder_without_data_files,
    glob_matching_nothing,
    folder_of_parquet_with_clashing_types,
    folder_of_csv_with_different_delimiters,
    broken_json_lines,
    truncated_profile,
    profile_not_utf8,
    profile_with_a_damaged_sketch,
    profile_with_a_missing_key,
    profile_with_wrong_types,
    profile_from_the_future,
]


@pytest.fixture(params=EXIT_2_CASES, ids=lambda f: f.__name__)
def bad_input(request: pytest.FixtureRequest, tmp_path: Path) -> tuple[str, tuple[str, ...]]:
    folder = tmp_path / "in"
    folder.mkdir()
    return request.param(folder)


@pytest.fixture
def out_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "out"
    folder.mkdir()
    return folder


def test_profile_of_bad_input_is_one_line_and_writes_nothing(
    mlgate: Run, bad_input: tuple[str, tuple[str, ...]], out_dir: Path
) -> None:
    data, fragments = bad_input
    outcome = mlgate("profile", data, "-o", out_dir / "profile.json")
    assert_one_line_error(outcome, *fragments)
    assert list(out_dir.iterdir()) == []  # no profile, no temp file


def test_bad_current_is_one_line_and_leaves_the_old_report_alone(
    mlgate: Run, bad_input: tuple[str, tuple[str, ...]], ref: Path, out_dir: Path
) -> None:
    data, fragments = bad_input
    old = out_dir / "report.md"
    old.write_text("the report of the last good run\n")
    stamp = old.stat().st_mtime_ns
    outcome = mlgate("check", "data", "--reference", ref, "--current", data, "-o", old)
    assert_one_line_error(outcome, *fragments)
    assert [p.name for p in out_dir.iterdir()] == ["report.md"]
    assert old.read_text() == "the report of the last good run\n"
    assert old.stat().st_mtime_ns == stamp


def test_bad_reference_is_one_line(
    mlgate: Run, bad_input: tuple[str, tuple[str, ...]], ref: Path
) -> None:
    data, fragments = bad_input
    outcome = mlgate("check", "data", "--reference", data, "--current", ref, "--format", "json")
    assert_one_line_error(outcome, *fragments)


def test_bad_reference_is_named_even_when_the_current_is_bad_too(
    mlgate: Run, bad_input: tuple[str, tuple[str, ...]], tmp_path: Path
) -> None:
    """The current data is read while the reference's last batches are profiled; an
    error in the reference is still the one reported, as a pass over it alone would."""
    data, fragments = bad_input
    other = tmp_path / "other-current.parquet"
    other.write_bytes(b"PAR1 not a parquet file PAR1")
    outcome = mlgate("check", "data", "--reference", data, "--current", other, "--format", "json")
    assert_one_line_error(outcome, *fragments)
    assert "other-current" not in outcome.err


# -- no rows: a finding for the current data, exit 2 where a schema must be inferred ----


@pytest.mark.parametrize(
    ("name", "content"),
    [("header.csv", "x,code,city,flag\n"), ("header_no_newline.csv", "x,code,city,flag")],
)
def test_header_only_current_is_an_empty_dataset_finding(
    mlgate: Run, ref: Path, tmp_path: Path, name: str, content: str
) -> None:
    (tmp_path / name).write_text(content)
    outcome = mlgate(
        "check", "data", "--reference", ref, "--current", tmp_path / name, "--format", "json"
    )
    assert outcome.code == 1
    rep = report(outcome)
    assert failed(rep, "quality.empty_dataset")
    assert rep["passed"] is False


def test_zero_row_parquet_current_is_an_empty_dataset_finding(
    mlgate: Run, ref: Path, tmp_path: Path
) -> None:
    make_table().head(0).write_parquet(tmp_path / "zero.parquet")
    outcome = mlgate(
        "check",
        "data",
        "--reference",
        ref,
        "--current",
        tmp_path / "zero.parquet",
        "--format",
        "json",
    )
    assert outcome.code == 1
    assert failed(report(outcome), "quality.empty_dataset")


def test_zero_row_reference_without_schema_is_one_line(
    mlgate: Run, ref: Path, tmp_path: Path
) -> None:
    (tmp_path / "header.csv").write_text("x,code,city,flag\n")
    outcome = mlgate("check", "data", "--reference", tmp_path / "header.csv", "--current", ref)
    assert_one_line_error(outcome, "header.csv", "no rows")


def test_schema_infer_from_zero_rows_is_one_line(mlgate: Run, tmp_path: Path) -> None:
    make_table().head(0).write_parquet(tmp_path / "zero.parquet")
    assert_one_line_error(mlgate("schema", "infer", tmp_path / "zero.parquet"), "zero.parquet")


def test_zero_rows_profile_cleanly(mlgate: Run, tmp_path: Path) -> None:
    (tmp_path / "header.csv").write_text("x,code\n")
    outcome = mlgate("profile", tmp_path / "header.csv", "--format", "json")
    assert outcome.code == 0
    assert json.loads(outcome.out)["rows"] == 0
    assert outcome.err.startswith("mlgate: warning: ")  # the profile is written, with a warning


# -- all-null columns: a null-fraction finding whatever the format -----------------------


@pytest.mark.parametrize("suffix", [".csv", ".parquet", ".jsonl"])
def test_all_null_column_is_a_null_fraction_finding(
    mlgate: Run, ref: Path, write, suffix: str
) -> None:
    current = make_table(seed=1).with_columns(pl.lit(None, dtype=pl.Float64).alias("x"))
    path = write(current, f"current{suffix}")
    outcome = mlgate("check", "data", "--reference", ref, "--current", path, "--format", "json")
    assert outcome.code == 1
    rep = report(outcome)
    assert failed(rep, "quality.null_fraction", "x")
    # An empty CSV column carries no type: it is not "numbers arriving as text".
    assert not failed(rep, "schema.type_mismatch", "x")


def test_all_null_csv_column_profiles_like_its_parquet_twin(
    mlgate: Run, write, tmp_path: Path
) -> None:
    frame = make_table(300).with_columns(pl.lit(None, dtype=pl.Float64).alias("x"))
    columns = {}
    for suffix in (".csv", ".parquet"):
        outcome = mlgate("profile", write(frame, f"t{suffix}"), "--format", "json")
        assert outcome.code == 0
        columns[suffix] = {
            c["name"]: (c["logical_type"], c["nulls"]) for c in report(outcome)["columns"]
        }
    csv_x, parquet_x = columns[".csv"].pop("x"), columns[".parquet"].pop("x")
    assert csv_x == ("null", 300)  # empty cells carry no type; not "string"
    assert parquet_x[1] == 300
    assert columns[".csv"] == columns[".parquet"]


# -- mixed types in one column ------------------------------------------------------------


def _words_in_x(n: int = 2000) -> pl.DataFrame:
    frame = make_table(n, seed=2).with_columns(pl.col("x").round(4).cast(pl.String))
    every_7th = pl.int_range(pl.len()) % 7 == 0
    return frame.with_columns(pl.when(every_7th).then(pl.lit("unknown")).otherwise("x").alias("x"))


@pytest.mark.parametrize("suffix", [".csv", ".jsonl", ".parquet"])
def test_words_in_a_numeric_column_are_a_type_mismatch_finding(
    mlgate: Run, ref: Path, write, suffix: str
) -> None:
    path = write(_words_in_x(), f"mixed{suffix}")
    outcome = mlgate("check", "data", "--reference", ref, "--current", path, "--format", "json")
    assert outcome.code == 1
    [finding] = failed(report(outcome), "schema.type_mismatch", "x")
    assert finding["details"] == {"expected": "float", "observed": "string"}


@pytest.mark.parametrize("token", ["NA", "n/a", "#N/A", "NULL", "None"])
def test_missing_value_tokens_in_a_csv_are_missing_values_not_words(
    mlgate: Run, ref: Path, tmp_path: Path, token: str
) -> None:
    # As pandas reads them by default: R writes NA, Excel #N/A, SQL exports NULL.
    frame = make_table(2000, seed=2).with_columns(pl.col("x").round(4).cast(pl.String))
    every_7th = pl.int_range(pl.len()) % 7 == 0
    frame = frame.with_columns(pl.when(every_7th).then(pl.lit(token)).otherwise("x").alias("x"))
    path = tmp_path / "tokens.csv"
    frame.write_csv(path)
    outcome = mlgate("check", "data", "--reference", ref, "--current", path, "--format", "json")
    assert outcome.code == 1
    checks = report(outcome)["checks"]
    assert not failed(report(outcome), "schema.type_mismatch", "x")
    [nulls] = failed(report(outcome), "quality.null_fraction", "x")
    assert nulls["details"]["nulls"] == 286
    assert any(c["name"] == "drift.numeric" and c["column"] == "x" for c in checks)


def test_a_quoted_empty_cell_is_a_missing_value_as_pandas_writes_one(tmp_path: Path) -> None:
    # pandas writes NaN as "" in a file of one column (a bare empty line would end the
    # table): it was read as the text '', so the column became text and a rise in
    # missing values read as a drift of the category ''.
    import mlgate as api

    values = np.random.default_rng(5).normal(size=400).round(3)

    def write(name: str, missing_every: int) -> Path:
        cells = ['""' if i % missing_every == 0 else str(v) for i, v in enumerate(values)]
        path = tmp_path / name
        path.write_text("v\n" + "\n".join(cells) + "\n")
        return path

    ref, cur = write("ref.csv", 10), write("cur.csv", 2)
    assert pl.read_csv(ref)["v"].dtype == pl.String  # Polars alone: text
    report = api.check_data(ref, cur)
    failures = {f.name: f for f in report.findings if f.status.name == "FAIL"}
    # One column half missing also repeats rows (every empty one): duplicates too.
    assert set(failures) <= {"quality.null_fraction", "quality.duplicate_rows"}, failures
    assert failures["quality.null_fraction"].details["nulls"] == 200
    assert not [f for f in report.findings if f.name.startswith("drift.categorical")]


def test_decimal_commas_give_a_type_mismatch_with_a_hint(
    mlgate: Run, ref: Path, tmp_path: Path
) -> None:
    frame = make_table(500, seed=3)
    lines = ["x;code;city;flag"] + [
        f"{x:.3f}".replace(".", ",") + f";{c};{city};{str(f).lower()}"
        for x, c, city, f in frame.iter_rows()
    ]
    (tmp_path / "euro.csv").write_text("\n".join(lines) + "\n")
    outcome = mlgate(
        "check", "data", "--reference", ref, "--current", tmp_path / "euro.csv", "--format", "json"
    )
    assert outcome.code == 1
    [finding] = failed(report(outcome), "schema.type_mismatch", "x")
    assert "decimal separator" in finding["message"]


def _late_csv(path: Path, late_value: str, rows: int = 30_000) -> Path:
    with path.open("w") as fh:
        fh.write("x,code\n")
        fh.writelines(f"{i},{i % 7}\n" for i in range(rows))
        fh.write(f"{late_value},3\n")
    return path


def _late_jsonl(path: Path, late_value: str, rows: int = 30_000) -> Path:
    with path.open("w") as fh:
        fh.writelines(f'{{"x": {i}, "code": {i % 7}}}\n' for i in range(rows))
        fh.write(f'{{"x": {late_value}, "code": 3}}\n')
    return path


class _FailsAfterFirstBatch:
    """A lazy frame that hands out one batch of the first rows, then fails as Polars does.

    Whether Polars meets a bad value far down a file before or after it has handed out
    its first batch depends on thread timing; this makes "after" certain, so the tests
    below are deterministic.
    """

    def __init__(self, narrow: pl.LazyFrame, full: pl.LazyFrame, message: str) -> None:
        self._schema = narrow.collect_schema()  # the types of the first rows
        self._full = full
        self._message = message

    def collect_schema(self) -> pl.Schema:
        return self._schema

    def collect_batches(self, chunk_size: int):
        yield self._full.head(min(chunk_size, 1_000)).collect().cast(dict(self._schema))
        raise pl.exceptions.ComputeError(self._message)

    def limit(self, n: int) -> pl.LazyFrame:
        return self._full.limit(n).cast(dict(self._schema))


@pytest.fixture
def late_failure(monkeypatch) -> Callable[[str], None]:
    """The first-rows read fails after one batch with Polars' message; a full-inference
    read (``infer_all=True``) is the real one."""

    def arm(message: str) -> None:
        real_scan = io.scan

        def scan(source: io.Source, *, infer_all: bool = False):
            full = real_scan(source, infer_all=True)
            if infer_all:
                return full
            return _FailsAfterFirstBatch(real_scan(source), full, message)

        monkeypatch.setattr(io, "scan", scan)

    return arm


_POLARS_SAYS = {
    ("csv", "oops"): "could not parse `oops` as dtype `i64` at column 'x' (column number 1)",
    ("csv", "1.5"): "could not parse `1.5` as dtype `i64` at column 'x' (column number 1)",
    ("jsonl", '"oops"'): "cannot parse 'oops' (string) as Int64",
    ("jsonl", "1.5"): "cannot parse '1.5' (f64) as Int64",
}
_LATE_CASES = pytest.mark.parametrize(
    ("kind", "value", "dtype", "message"),
    [
        ("csv", "oops", pl.String, r"late\.csv: column 'x' holds 'oops'"),
        ("csv", "1.5", pl.Float64, r"late\.csv: column 'x' holds '1\.5'"),
        ("jsonl", '"oops"', pl.String, r"late\.jsonl: the value 'oops' does not fit"),
        ("jsonl", "1.5", pl.Float64, r"late\.jsonl: the value '1\.5' does not fit"),
    ],
    ids=["csv-word", "csv-decimal", "jsonl-word", "jsonl-decimal"],
)


def _write_late(tmp_path: Path, kind: str, value: str) -> Path:
    if kind == "csv":
        return _late_csv(tmp_path / "late.csv", value)
    return _late_jsonl(tmp_path / "late.jsonl", value)


@_LATE_CASES
def test_a_late_type_change_is_a_clear_input_error_from_the_reader(
    tmp_path: Path, late_failure, kind: str, value: str, dtype: pl.DataType, message: str
) -> None:
    # Types come from the first 10,000 rows; a value that does not fit them, met after
    # batches were handed out, cannot be taken back by the reader. It says so, and a
    # re-read with full inference (what the profiler is to do on LateTypeChange) reads
    # the column with the wider type.
    late_failure(_POLARS_SAYS[kind, value])
    source = io.resolve(_write_late(tmp_path, kind, value))
    with pytest.raises(io.LateTypeChange, match=message):
        list(io.iter_batches(source))
    batches = list(io.iter_batches(source, infer_all=True))
    assert {b.schema["x"] for b in batches} == {dtype}
    assert sum(b.height for b in batches) == 30_001


@_LATE_CASES
def test_a_late_type_change_with_real_polars_is_retried_or_refused(
    tmp_path: Path, monkeypatch, kind: str, value: str, dtype: pl.DataType, message: str
) -> None:
    # Real Polars, small batches: depending on timing the bad value is met before the
    # first batch (the reader retries with full inference) or after it (LateTypeChange).
    # Either way nothing wrong is handed out and nothing crashes.
    monkeypatch.setattr(io, "BATCH_ROWS", 5_000)
    source = io.resolve(_write_late(tmp_path, kind, value))
    try:
        batches = list(io.iter_batches(source))
    except io.LateTypeChange as exc:
        assert re.search(message, str(exc)), str(exc)
    else:
        assert {b.schema["x"] for b in batches} == {dtype}
        assert sum(b.height for b in batches) == 30_001


@pytest.mark.parametrize("kind", ["csv", "jsonl"])
def test_words_late_in_a_large_file_are_a_type_mismatch_finding(
    mlgate: Run, tmp_path: Path, late_failure, kind: str
) -> None:
    value = "oops" if kind == "csv" else '"oops"'
    ref = tmp_path / "ref.csv"
    pl.DataFrame({"x": range(3_000), "code": [i % 7 for i in range(3_000)]}).write_csv(ref)
    cur = _write_late(tmp_path, kind, value)
    late_failure(_POLARS_SAYS[kind, value])
    outcome = mlgate("check", "data", "--reference", ref, "--current", cur, "--format", "json")
    assert outcome.code == 1, outcome.err
    assert failed(report(outcome), "schema.type_mismatch", "x")


@pytest.mark.parametrize("kind", ["csv", "jsonl"])
def test_decimals_late_in_a_large_file_make_a_float_column(
    mlgate: Run, tmp_path: Path, late_failure, kind: str
) -> None:
    late_failure(_POLARS_SAYS[kind, "1.5"])
    outcome = mlgate("profile", _write_late(tmp_path, kind, "1.5"), "--format", "json")
    assert outcome.code == 0, outcome.err
    [x] = [c for c in report(outcome)["columns"] if c["name"] == "x"]
    assert x["logical_type"] == "float"
    assert x["count"] == 30_001


# -- delimiters: sniffed, so a semicolon or tab file reads like its comma twin -----------


@pytest.mark.parametrize(("separator", "name"), [(";", "semi.csv"), ("\t", "tabs.csv")])
def test_other_delimiters_read_like_comma(
    mlgate: Run, ref: Path, tmp_path: Path, separator: str, name: str
) -> None:
    make_table(seed=4).write_csv(tmp_path / name, separator=separator)
    outcome = mlgate(
        "check", "data", "--reference", ref, "--current", tmp_path / name, "--format", "json"
    )
    rep = report(outcome)
    schema_problems = [
        c for c in rep["checks"] if c["name"].startswith("schema.") and c["status"] != "pass"
    ]
    assert schema_problems == []
    assert outcome.code == 0


def test_folder_skips_bookkeeping_files_and_notes(mlgate: Run, tmp_path: Path) -> None:
    folder = tmp_path / "table"
    (folder / "_delta_log").mkdir(parents=True)
    (folder / ".hidden").mkdir()
    make_table(300, seed=1).write_parquet(folder / "part-0.snappy.parquet")
    make_table(200, seed=2).write_parquet(folder / "part-1.parq")  # known by its magic bytes
    (folder / "_SUCCESS").write_text("")
    (folder / ".part-0.snappy.parquet.crc").write_bytes(b"\x00\x01\x02")
    (folder / "_delta_log" / "00000.json").write_text('{"commitInfo": {}}\n')
    (folder / ".hidden" / "junk.csv").write_bytes(bytes(range(256)))
    (folder / "README.md").write_text("# How this table is made, with commas\n")
    outcome = mlgate("profile", folder, "--format", "json")
    assert outcome.code == 0, outcome.err
    assert report(outcome)["rows"] == 500


def test_parquet_named_csv_is_read_by_its_content(mlgate: Run, ref: Path, tmp_path: Path) -> None:
    make_table(seed=5).write_parquet(tmp_path / "really_parquet.csv")
    outcome = mlgate(
        "check",
        "data",
        "--reference",
        ref,
        "--current",
        tmp_path / "really_parquet.csv",
        "--format",
        "json",
    )
    assert outcome.code == 0
    assert report(outcome)["passed"] is True


# -- unicode and whitespace in column names ------------------------------------------------

ODD_NAMES = [" x ", "café ☕", "列 名", "trailing ", "a|b", "naïve\u00a0col"]


def _odd_table(n: int = 400, seed: int = 6) -> pl.DataFrame:
    rng = np.random.default_rng(seed)
    return pl.DataFrame(
        {
            " x ": rng.normal(size=n),
            "café ☕": rng.choice(["crème", "brûlée", "日本"], n),
            "列 名": rng.integers(0, 4, n),
            "trailing ": rng.normal(10, 2, n),
            "a|b": rng.choice(["p", "q"], n),
            "naïve\u00a0col": rng.integers(0, 1000, n),
        }
    )


def test_unicode_and_whitespace_column_names_survive_every_step(
    mlgate: Run, write, tmp_path: Path
) -> None:
    csv_path = write(_odd_table(), "odd.csv")
    parquet_path = write(_odd_table(), "odd.parquet")
    profiles = {}
    for path in (csv_path, parquet_path):
        outcome = mlgate("profile", path, "--format", "json")
        assert outcome.code == 0, outcome.err
        profiles[path.suffix] = [(c["name"], c["logical_type"]) for c in report(outcome)["columns"]]
    assert [n for n, _ in profiles[".csv"]] == ODD_NAMES
    assert profiles[".csv"] == profiles[".parquet"]

    schema = tmp_path / "schema.yaml"
    assert mlgate("schema", "infer", csv_path, "-o", schema).code == 0
    for path in (csv_path, parquet_path):
        outcome = mlgate("schema", "validate", path, "--schema", schema, "--format", "json")
        assert outcome.code == 0, outcome.out
    current = write(_odd_table(seed=7), "odd_current.csv")
    for fmt in ("json", "markdown", "junit", "text", "html"):
        outcome = mlgate(
            "check", "data", "--reference", parquet_path, "--current", current, "--format", fmt
        )
        assert outcome.code == 0, (fmt, outcome.out)
        assert outcome.err == ""


def test_renamed_whitespace_column_is_missing_plus_new(mlgate: Run, write) -> None:
    ref = write(_odd_table(), "odd.parquet")
    cur = write(_odd_table(seed=7).rename({" x ": "x"}), "odd_current.csv")
    outcome = mlgate("check", "data", "--reference", ref, "--current", cur, "--format", "json")
    assert outcome.code == 1
    rep = report(outcome)
    assert failed(rep, "schema.missing_column", " x ")
    assert any(c["name"] == "schema.new_column" and c["column"] == "x" for c in rep["checks"])


# -- schema YAML: file, line and key -------------------------------------------------------


@pytest.fixture
def schema_text(mlgate: Run, ref: Path, tmp_path: Path) -> str:
    path = tmp_path / "inferred.yaml"
    assert mlgate("schema", "infer", ref, "-o", path).code == 0
    return path.read_text()


def _line_of(text: str, needle: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), 1) if needle in line)


@pytest.mark.parametrize("command", ["validate", "check"])
def test_unknown_schema_key_names_file_line_and_key(
    mlgate: Run, ref: Path, tmp_path: Path, schema_text: str, command: str
) -> None:
    head, body = schema_text.split("\ncolumns:", 1)
    text = head + "\ncolumns:" + body.replace("max_null_fraction", "max_nul_fraction", 1)
    path = tmp_path / "schema.yaml"
    path.write_text(text)
    line = _line_of(text, "max_nul_fraction:")
    if command == "validate":
        outcome = mlgate("schema", "validate", ref, "--schema", path)
    else:
        outcome = mlgate("check", "data", "--reference", ref, "--current", ref, "--schema", path)
    assert_one_line_error(outcome, f"schema.yaml:{line}:", "max_nul_fraction", "unknown key")


@pytest.mark.parametrize(
    ("broken", "where"),
    [
        ("version: 1\ncolumns:\n  x:\n    type: float\n   required: true\n", "schema.yaml:5:"),
        ("version: 1\ncolumns:\n\tx:\n\t\ttype: float\n", "schema.yaml:3:"),
        ("version: 1\ncolumns:\n  x: type: float\n", "schema.yaml:3:"),
        ("version: 1\ncolumns:\n  x:\n    domain: [a, b\n    type: string\n", "schema.yaml:5:"),
    ],
    ids=["bad-indent", "tab-indent", "two-colons", "unclosed-bracket"],
)
def test_schema_syntax_error_names_file_and_line(
    mlgate: Run, ref: Path, tmp_path: Path, broken: str, where: str
) -> None:
    path = tmp_path / "schema.yaml"
    path.write_text(broken)
    outcome = mlgate("schema", "validate", ref, "--schema", path)
    assert_one_line_error(outcome, where, "YAML")


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("- x\n- y\n", "mapping"),
        ("version: 1\ncolumns:\n  x:\n    type: floaty\n", "schema.yaml:4:"),
        (
            "version: 1\ncolumns:\n  x:\n    type: float\n    max_null_fraction: 2\n",
            "schema.yaml:5:",
        ),
    ],
    ids=["not-a-mapping", "bad-type", "fraction-above-one"],
)
def test_schema_with_bad_values_names_file_and_line(
    mlgate: Run, ref: Path, tmp_path: Path, text: str, fragment: str
) -> None:
    path = tmp_path / "schema.yaml"
    path.write_text(text)
    outcome = mlgate("schema", "validate", ref, "--schema", path)
    assert outcome.code == 2
    line = outcome.err.strip()
    assert len(outcome.err.splitlines()) == 1
    assert line.startswith("mlgate: error: ")
    assert fragment in line
    assert "Traceback" not in outcome.err


def test_missing_schema_file_is_one_line(mlgate: Run, ref: Path, tmp_path: Path) -> None:
    outcome = mlgate("schema", "validate", ref, "--schema", tmp_path / "nope.yaml")
    assert_one_line_error(outcome, "nope.yaml")


# -- values no reader chokes on, but the profile must hold --------------------------------


def test_huge_finite_values_profile_to_valid_json(mlgate: Run, tmp_path: Path) -> None:
    (tmp_path / "huge.csv").write_text("x\n1e300\n-1e300\n1e39\n5\n")
    out = tmp_path / "huge.profile.json"
    outcome = mlgate("profile", tmp_path / "huge.csv", "-o", out)
    assert outcome.code == 0, outcome.err
    assert outcome.err == ""
    [x] = json.loads(out.read_text())["columns"]
    assert x["max"] == 1e300
    assert x["min"] == -1e300


# -- millions of distinct strings: the profile stays small, memory stays bounded ----------

_MEASURE = """
import json, resource, sys, tracemalloc
from mlgate._cli.main import main
tracemalloc.start()
code = 0
try:
    main(sys.argv[2:])
except SystemExit as exc:
    code = exc.code if isinstance(exc.code, int) else 1
peak = tracemalloc.get_traced_memory()[1]
rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
rss *= 1 if sys.platform == "darwin" else 1024
with open(sys.argv[1], "w") as fh:
    json.dump({"code": code, "python_peak": peak, "rss_peak": rss}, fh)
"""


def _measure(tmp_path: Path, *args: str | Path) -> dict:
    result = tmp_path / "measure.json"
    env = {**os.environ, "TMPDIR": str(tmp_path)}
    proc = subprocess.run(
        [sys.executable, "-c", _MEASURE, str(result), *map(str, args)],
        capture_output=True,
        text=True,
        env=env,
        check=False,
        timeout=300,
    )
    assert proc.stderr == "", proc.stderr
    return json.loads(result.read_text())


@pytest.mark.slow
@pytest.mark.skipif(sys.platform == "win32", reason="uses the resource module")
def test_millions_of_distinct_strings_keep_profile_small_and_memory_bounded(
    tmp_path: Path,
) -> None:
    n = 2_000_000
    data = tmp_path / "ids.parquet"
    ids = pl.format("user-{}-{}", pl.int_range(n), pl.int_range(n) * 7919 % 1_000_003)
    frame = pl.select(id=ids, bucket=pl.int_range(n) % 10)
    frame.write_parquet(data)
    in_memory = frame.estimated_size()
    del frame
    out = tmp_path / "ids.profile.json"

    measured = _measure(tmp_path, "profile", data, "-o", out)

    assert measured["code"] == 0
    assert out.stat().st_size < 200_000
    prof = json.loads(out.read_text())
    assert prof["rows"] == n
    [ids_col] = [c for c in prof["columns"] if c["name"] == "id"]
    # Within three standard errors of the column sketch (HLL, 4,096 registers).
    assert math.isclose(ids_col["distinct_estimate"], n, rel_tol=3 * 1.04 / 64)
    assert ids_col["frequent_dropped"] > 0  # the frequent-values sketch kept a bounded part
    # Python-side memory is bounded by the batch, not the column: holding the 2M
    # distinct values (a set, or one list of the whole column) would take well over
    # 128 MB; a batch-at-a-time profile peaks around 40 MB.
    assert measured["python_peak"] < 96 * 2**20, measured
    # A gross guard on the process as a whole (interpreter, Polars and its buffers).
    assert measured["rss_peak"] < 1024 * 2**20 + 4 * in_memory, measured


@pytest.mark.parametrize("quoted", [False, True])
def test_a_whole_number_beyond_128_bits_is_named_not_blamed_on_quoting(
    mlgate: Run, tmp_path: Path, quoted: bool
) -> None:
    # Polars reads CSV whole numbers up to 128 bits; a longer one was refused with
    # "check its delimiter, quoting and encoding", which sent people to a valid file.
    value = str(2**130)
    cell = f'"{value}"' if quoted else value
    (tmp_path / "ids.csv").write_text(f"account,x\n{cell},1\n5,2\n")
    outcome = mlgate("profile", tmp_path / "ids.csv")
    assert outcome.code == 2 and len(outcome.err.strip().splitlines()) == 1
    assert "column 'account'" in outcome.err and "40 digits" in outcome.err
    assert "beyond the 128-bit integers" in outcome.err and "delimiter" not in outcome.err
