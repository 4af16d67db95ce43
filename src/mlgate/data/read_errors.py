"""Diagnostics of a failed read: the file, line and column at fault, and what to do.

Run only after a reader has failed (the happy path pays nothing for them), each reads
at most 256 MiB or 5 million lines of the file to find the first line at fault.
"""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path
from typing import TYPE_CHECKING

import polars as pl

from mlgate.data.sniff import csv_header, sniff_csv, utf8_message
from mlgate.errors import InputError

if TYPE_CHECKING:
    from mlgate.data.io import Source

#: How far the error-path diagnostics read to find the line at fault.
_DIAGNOSE_BYTES = 256 * 1024 * 1024
_DIAGNOSE_LINES = 5_000_000
#: Each format as messages name it.
FORMAT_NAMES = {
    "csv": "CSV",
    "parquet": "Parquet",
    "jsonl": "JSON Lines",
    "ipc": "Arrow IPC",
    "profile": "an mlgate profile",
    "frame": "a table",
}
_DUPLICATE_NAME = re.compile(r"name '(?P<name>[^']*)' has more than one occurrence")
#: Polars' words for a whole number that even its widest integer (128 bits) cannot hold.
_TOO_WIDE = re.compile(
    r"could not parse `\"?(?P<value>-?\d{39,})\"?` as dtype `i128` at column '(?P<column>[^']*)'"
)


def first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def clean(message: str) -> str:
    text = " ".join(message.split())
    return text[:200] + ("..." if len(text) > 200 else "")


def explain(source: Source, message: str) -> str:
    """One line for a reader failure: the file and line at fault when they can be found."""
    low = message.lower()
    found: str | None = None
    if source.kind in ("csv", "jsonl") and ("utf-8" in low or "utf8" in low):
        found = find_bad_utf8(source.paths)
    if found is None and source.kind == "csv":
        found = diagnose_csv(source)
    elif found is None and source.kind == "jsonl":
        found = _diagnose_jsonl(source.paths)
    elif found is None and source.kind in ("parquet", "ipc") and len(source.paths) > 1:
        found = _diagnose_schemas(source)
    if found is not None:
        return found
    name = FORMAT_NAMES[source.kind]
    duplicate = _DUPLICATE_NAME.search(message)
    if duplicate is not None:
        return (
            f"{source.label}: column name {duplicate['name']!r} appears more than once; "
            "rename one of them and write the file again"
        )
    wide = _TOO_WIDE.search(message)
    if wide is not None:
        value = wide["value"]
        return (
            f"{source.label}: column {wide['column']!r} holds the whole number "
            f"{value[:20]}… ({len(value.lstrip('-'))} digits), beyond the 128-bit integers "
            "mlgate reads (quoted or not); write them with a decimal point to read them as "
            "floats, or as text in Parquet"
        )
    if source.kind == "parquet" and "must end with par1" in low:
        return (
            f"{source.label}: the Parquet file is truncated (its footer is missing); it was "
            "cut short while being written or copied: write it again"
        )
    todo = {
        "csv": "check its delimiter, quoting and encoding",
        "jsonl": "check that every line is one JSON object",
        "parquet": "it may be truncated or corrupt: write it again",
        "ipc": "it may be truncated or corrupt: write it again",
    }.get(source.kind, "check the data")
    return f"{source.label}: cannot read as {name} ({clean(message)}); {todo}"


def find_bad_utf8(paths: tuple[Path, ...]) -> str | None:
    for path in paths:
        found = _first_bad_utf8(path)
        if found is not None:
            return utf8_message(path, *found)
    return None


def _first_bad_utf8(path: Path) -> tuple[int, int] | None:
    """(line, byte offset) of the first byte sequence that is not UTF-8, streaming."""
    lines = offset = 0
    carry = b""
    with path.open("rb") as fh:
        while offset < _DIAGNOSE_BYTES:
            chunk = fh.read(1 << 20)
            data = carry + chunk
            if not data:
                return None
            try:
                data.decode("utf-8")
                good, carry = len(data), b""
            except UnicodeDecodeError as exc:
                cut_at_edge = chunk and exc.start >= len(data) - 3 and exc.end == len(data)
                if not cut_at_edge:
                    return lines + data[: exc.start].count(b"\n") + 1, offset + exc.start
                good, carry = exc.start, data[exc.start :]
            lines += data[:good].count(b"\n")
            offset += good
    return None


def diagnose_csv(source: Source) -> str | None:
    """Files of one dataset written differently, or the first row that breaks the table."""
    first = source.paths[0]
    header = csv_header(first, source.csv_separator)
    for path in source.paths:
        if path != first:
            try:
                separator, _ = sniff_csv(path)
            except InputError as exc:
                return str(exc)
            if separator != source.csv_separator:
                return (
                    f"{path}: uses {separator!r} as its delimiter, {first} uses "
                    f"{source.csv_separator!r}; write every file of one dataset the same way"
                )
            if source.csv_has_header and csv_header(path, separator) != header:
                return (
                    f"{path}: its header differs from that of {first}; give the files of "
                    "one dataset the same columns in the same order"
                )
        found = _bad_csv_row(path, source.csv_separator)
        if found is not None:
            return found
    return None


def _bad_csv_row(path: Path, separator: str) -> str | None:
    with path.open("r", encoding="utf-8", errors="replace", newline="") as fh:
        reader = csv.reader(fh, delimiter=separator, strict=True)
        width: int | None = None
        start = 1
        try:
            for row in reader:
                if width is None:
                    width = len(row)
                elif len(row) > width:
                    return (
                        f"{path}: line {start} has {len(row)} fields, the header has {width}; "
                        "check the delimiter and the quoting on that line"
                    )
                start = reader.line_num + 1
                if start > _DIAGNOSE_LINES:
                    return None
        except csv.Error as exc:
            return (
                f"{path}: line {start}: {str(exc).rstrip('.')}; check the quoting there "
                "(a quote opened and never closed?)"
            )
    return None


def _diagnose_jsonl(paths: tuple[Path, ...]) -> str | None:
    for path in paths:
        with path.open("rb") as fh:
            for number, raw in enumerate(fh, start=1):
                if number > _DIAGNOSE_LINES:
                    break
                text = raw.strip()
                if not text:
                    continue
                try:
                    value = json.loads(text)
                except json.JSONDecodeError as exc:
                    return (
                        f"{path}: line {number} is not valid JSON ({exc.msg} at column "
                        f"{exc.colno}); fix or remove that line"
                    )
                except ValueError:  # not UTF-8
                    return find_bad_utf8((path,))
                if not isinstance(value, dict):
                    return (
                        f"{path}: line {number} is a JSON {type(value).__name__}, not an "
                        "object; write one JSON object per line"
                    )
    return None


def _diagnose_schemas(source: Source) -> str | None:
    """The first file of a multi-file Parquet or IPC source that breaks the common schema."""
    read = pl.read_parquet_schema if source.kind == "parquet" else pl.read_ipc_schema
    name = FORMAT_NAMES[source.kind]
    first: tuple[Path, dict[str, pl.DataType]] | None = None
    for path in source.paths:
        try:
            schema = dict(read(path))
        except (pl.exceptions.PolarsError, OSError) as exc:
            return (
                f"{path}: cannot read as {name} ({clean(first_line(exc))}); it may be "
                "truncated or corrupt: write it again"
            )
        if first is None:
            first = (path, schema)
            continue
        first_path, expected = first
        for column, dtype in schema.items():
            if column not in expected:
                return (
                    f"{path}: has column {column!r}, which {first_path} lacks; give the files "
                    "of one dataset the same columns"
                )
            if dtype != expected[column]:
                return (
                    f"{path}: column {column!r} is {dtype} there but {expected[column]} in "
                    f"{first_path}; write the files of one dataset with the same types"
                )
        for column in expected:
            if column not in schema:
                return (
                    f"{path}: lacks column {column!r}, which {first_path} has; give the files "
                    "of one dataset the same columns"
                )
    return None
