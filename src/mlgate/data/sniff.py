"""What a file is, from its first bytes: binary formats handed over by mistake, text
that is not UTF-8, and a CSV file's delimiter and header row.

Read before the file is scanned, on its first 64 KiB, so that a wrong file is refused
with one line saying what it is, and a headerless CSV file is read as one.
"""

from __future__ import annotations

import csv
import re
from pathlib import Path

from mlgate.errors import InputError

#: Bytes of a file read to tell what it is.
SNIFF_BYTES = 64 * 1024
#: Leading bytes of files that are often handed over by mistake, with what to do.
_SIGNATURES: tuple[tuple[bytes, str, str], ...] = (
    (b"\x1f\x8b", "gzip-compressed", "decompress it first (gunzip), or write it as Parquet"),
    (b"PK\x03\x04", "a ZIP archive (an Excel .xlsx workbook?)", "export the data as CSV"),
    (b"\x28\xb5\x2f\xfd", "zstd-compressed", "decompress it first (unzstd)"),
    (b"\xfd7zXZ\x00", "xz-compressed", "decompress it first (unxz)"),
)
_BOMS: tuple[tuple[bytes, str], ...] = (
    (b"\xff\xfe\x00\x00", "UTF-32"),
    (b"\x00\x00\xfe\xff", "UTF-32"),
    (b"\xff\xfe", "UTF-16"),
    (b"\xfe\xff", "UTF-16"),
)
#: Control bytes that do not occur in text (tab, newlines and form feed excluded).
_CONTROL_BYTES = bytes([*range(0x00, 0x09), *range(0x0E, 0x20), 0x7F])


def refuse_non_text(path: Path, head: bytes, expected: str) -> None:
    """Refuse compressed, archived, UTF-16/32 and binary files with a specific reason."""
    for magic, what, todo in _SIGNATURES:
        if head.startswith(magic):
            raise InputError(f"{path}: the file is {what}, not {expected} text; {todo}")
    for bom, encoding in _BOMS:
        if head.startswith(bom):
            raise InputError(f"{path}: the file is {encoding} text; re-save it as UTF-8")
    if b"\x00" not in head and not _mostly_control(head):
        return
    sample = head[:4096]
    if len(sample) >= 16 and (
        sample[1::2].count(0) > 0.9 * len(sample[1::2])
        or sample[0::2].count(0) > 0.9 * len(sample[0::2])
    ):
        raise InputError(f"{path}: the file looks like UTF-16 text; re-save it as UTF-8")
    raise InputError(
        f"{path}: the file is binary, not {expected} text; check that the right file was "
        "given (CSV, Parquet, JSON Lines and Arrow IPC are read)"
    )


def _mostly_control(head: bytes) -> bool:
    if not head:
        return False
    text_bytes = head.translate(None, _CONTROL_BYTES)
    return len(head) - len(text_bytes) > max(8, len(head) // 100)


def sniff_csv(path: Path) -> tuple[str, bool]:
    """Guess delimiter and header from the first 64 KiB; refuse binary or non-UTF-8 text."""
    with path.open("rb") as fh:
        head = fh.read(SNIFF_BYTES)
    refuse_non_text(path, head, "CSV")
    try:
        text = head.decode("utf-8")
    except UnicodeDecodeError as exc:
        if exc.start < len(head) - 4:  # not just a character cut at the 64 KiB edge
            line = head[: exc.start].count(b"\n") + 1
            raise InputError(utf8_message(path, line, exc.start)) from None
        text = head[: exc.start].decode("utf-8")
    text = text.lstrip("\ufeff")
    lines = text.splitlines()
    if not lines or not lines[0].strip():
        raise InputError(
            f"{path}: the first line is empty; expected a header row: remove the blank "
            "lines at the top"
        )
    if len(head) == SNIFF_BYTES and len(lines) > 1:
        lines = lines[:-1]  # the last line may be cut at the 64 KiB edge
    sample = "\n".join(lines[:_SNIFF_LINES])
    sniffer = csv.Sniffer()
    try:
        separator = sniffer.sniff(sample, delimiters=",;\t|").delimiter
    except csv.Error:
        separator = "\t" if path.suffix.lower() == ".tsv" else ","
    return separator, _has_header(sniffer, sample, separator)


#: Lines of the file's head that the delimiter and the header are judged on.
_SNIFF_LINES = 50


def _has_header(sniffer: csv.Sniffer, sample: str, separator: str) -> bool:
    """Whether the sample's first row is a header.

    A first row unlike the rows below it is a header (``header_by_types``); failing
    that, csv.Sniffer votes column by column, and a first row with no numbers in it is
    a header however it votes (it votes "no header" for all-string tables).
    """
    try:
        rows = list(csv.reader(sample.splitlines(), delimiter=separator))
    except csv.Error:
        return True
    if len(rows) < 2:
        return True
    if header_by_types(rows[0], rows[1:]):
        return True
    try:
        has_header = sniffer.has_header(sample)
    except csv.Error:
        has_header = True
    return has_header or not _looks_numeric_row(rows[0])


_INTEGER = re.compile(r"[+-]?\d+")
#: Spellings of a missing value: no names, so no evidence of a header.
_MISSING_SPELLINGS = frozenset({"na", "n/a", "null", "none", "nil", "-", "?", "."})


def _cell_type(cell: str) -> str:
    """``empty`` (also ``NA`` and the like), ``integer`` (as written: ``1``, not
    ``1.0``), ``number`` or ``text``."""
    text = cell.strip()
    if not text or text.lower() in _MISSING_SPELLINGS:
        return "empty"
    if _INTEGER.fullmatch(text):
        return "integer"
    try:
        float(text)
    except ValueError:
        return "text"
    return "number"


def header_by_types(first: list[str], body: list[list[str]]) -> bool:
    """Whether ``first`` is a header because it is unlike the rows below it.

    csv.Sniffer's vote takes a header of numbers (``0,1,2,3,y,pred``, as NumPy and
    pandas write unnamed columns) over numeric data for a data row, since "0" reads as a
    number; so two kinds of header are recognised before it votes:

    - a name over a column of numbers: a cell of text in the first row where every
      other row (of the same width) holds a number in that column;
    - numbered columns: the first row's numbers are the column numbers ``0..k-1`` or
      ``1..k`` (k >= 2, in order, an empty first cell allowed for an index column) and
      the rows below are unlike them: some of those columns hold fractions or text,
      or, for k >= 3, whole numbers among which some column never takes its own
      number. A headerless table of small codes (0, 1, 2) whose first row happens to
      read ``0,1,2`` stays headerless.
    """
    rows = [row for row in body if len(row) == len(first)]
    if not rows or not first:
        return False
    types = [[_cell_type(row[j]) for row in rows] for j in range(len(first))]
    numeric = [
        bool(column)
        and all(t in ("integer", "number", "empty") for t in column)
        and any(t != "empty" for t in column)
        for column in types
    ]
    heads = [_cell_type(cell) for cell in first]
    if any(h == "text" and numeric[j] for j, h in enumerate(heads)):
        return True
    numbered = [j for j, h in enumerate(heads) if h == "integer"]
    if len(numbered) < 2 or any(
        heads[j] not in ("text", "empty") for j in range(len(first)) if j not in numbered
    ):
        return False
    values = [int(first[j]) for j in numbered]
    if values[0] not in (0, 1) or values != list(range(values[0], values[0] + len(values))):
        return False
    below = [types[j] for j in numbered]
    if any(t == "number" or t == "text" for column in below for t in column):
        return True
    if len(values) < 3:
        return False
    # Whole numbers below too: were the first row data, each of its values would be
    # one its column takes. A column that never takes its number below (pixel 500 of
    # values 0..255, counts in the hundreds) marks the row as names.
    return any(
        all(int(row[j]) != value for row in rows if _cell_type(row[j]) == "integer")
        for j, value in zip(numbered, values, strict=True)
    )


def utf8_message(path: Path, line: int, offset: int) -> str:
    return (
        f"{path}: line {line} is not valid UTF-8 (byte offset {offset}); re-save the file as UTF-8"
    )


def _looks_numeric_row(cells: list[str]) -> bool:
    return any(_cell_type(cell) in ("integer", "number") for cell in cells)


def csv_header(path: Path, separator: str) -> list[str] | None:
    with path.open("r", encoding="utf-8", errors="replace", newline="") as fh:
        header = next(csv.reader(fh, delimiter=separator), None)
    if header:
        header[0] = header[0].lstrip("\ufeff")
    return header
