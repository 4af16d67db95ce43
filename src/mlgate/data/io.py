"""Readers: every supported source becomes a stream of Polars batches.

Data is never loaded whole: files are scanned lazily and profiled batch by batch, so
memory stays bounded by the batch size, not the file size. Polars is the engine; pandas
and pyarrow objects are accepted from Python and converted at the boundary.

Bad input is refused with one ``InputError`` line saying what is wrong, where (file,
line, column) and what to do. The happy path pays nothing for this: the diagnostics
that find the line at fault run only after a reader has failed.
"""

from __future__ import annotations

import csv
import glob as globlib
import json
import os
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import polars as pl

from mlgate.errors import InputError

if TYPE_CHECKING:
    from concurrent.futures import Future

BATCH_ROWS = 250_000
_SNIFF_BYTES = 64 * 1024
_CSV_INFER_ROWS = 10_000
#: How far the error-path diagnostics read to find the line at fault.
_DIAGNOSE_BYTES = 256 * 1024 * 1024
_DIAGNOSE_LINES = 5_000_000

_EXTENSIONS = {
    ".csv": "csv",
    ".tsv": "csv",
    ".txt": "csv",
    ".parquet": "parquet",
    ".pq": "parquet",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".arrow": "ipc",
    ".ipc": "ipc",
    ".feather": "ipc",
    ".json": "json",
}

PROFILE_MARKER = b'"format": "mlgate.profile"'

_FORMAT_NAMES = {
    "csv": "CSV",
    "parquet": "Parquet",
    "jsonl": "JSON Lines",
    "ipc": "Arrow IPC",
    "profile": "an mlgate profile",
    "frame": "a table",
}

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
_PARSE_ERROR = re.compile(
    r"could not parse `(?P<value>.*?)` as dtype `(?P<dtype>[^`]+)` at column '(?P<column>[^']*)'",
    re.DOTALL,
)
_JSON_PARSE_ERROR = re.compile(r"cannot parse '(?P<value>.*?)' \([^)]*\) as (?P<dtype>\w+)")
_DUPLICATE_NAME = re.compile(r"name '(?P<name>[^']*)' has more than one occurrence")

T = TypeVar("T")


class LateTypeChange(InputError):
    """A column changed type after batches were already yielded.

    The column's type was inferred from the first rows, and a later value does not fit
    it (a word in a numeric column of a CSV file, ``1.5`` after whole numbers, a word in
    a column of date strings in any format). Read the source again
    with ``iter_batches(source, infer_all=True)``, which infers types from every row,
    and drop whatever was built from the batches already received.
    """


@dataclass(frozen=True)
class Source:
    """A resolved data source: what it is and how to scan it."""

    label: str
    kind: str  # csv | parquet | jsonl | ipc | profile | frame
    paths: tuple[Path, ...] = ()
    frame: pl.DataFrame | pl.LazyFrame | None = None
    csv_separator: str = ","
    csv_has_header: bool = True


def resolve(data: Any) -> Source:
    """Turn a path, glob, folder or in-memory table into a ``Source``."""
    if isinstance(data, (pl.DataFrame, pl.LazyFrame)):
        return Source(label=f"<polars {type(data).__name__}>", kind="frame", frame=data)
    frame = _from_foreign_object(data)
    if frame is not None:
        return Source(
            label=f"<{type(data).__module__.split('.')[0]} table>", kind="frame", frame=frame
        )
    if not isinstance(data, (str, Path)):
        raise InputError(
            f"cannot read data from a {type(data).__name__}; pass a file path, a Polars, "
            "pandas or pyarrow table"
        )
    return _resolve_path(str(data))


def _from_foreign_object(data: Any) -> pl.DataFrame | None:
    module = type(data).__module__
    if module.startswith("pyarrow"):
        return pl.from_arrow(data)  # type: ignore[return-value]
    if module.startswith("pandas") and hasattr(data, "columns"):
        return pl.from_pandas(data)
    return None


def _resolve_path(text: str) -> Source:
    if any(ch in text for ch in "*?["):
        matches = globlib.glob(text, recursive=True)  # noqa: PTH207 (a user's pattern)
        paths = tuple(sorted(Path(p) for p in matches if Path(p).is_file()))
        if not paths:
            raise InputError(f"{text}: the pattern matches no files; check the path and quoting")
        return _typed_source(text, paths)
    path = Path(text)
    if not path.exists():
        raise InputError(f"{text}: no such file or folder; check the path")
    if path.is_dir():
        files, others = _folder_files(path)
        if not files:
            seen = (
                f" (only {len(others)} other file{'s' if len(others) > 1 else ''}, "
                f"such as {others[0].name})"
                if others
                else ""
            )
            raise InputError(
                f"{text}: the folder holds no data files{seen}; point at a folder of "
                ".parquet, .csv, .jsonl or .arrow files"
            )
        return _typed_source(text, files)
    return _typed_source(text, (path,))


def _folder_files(folder: Path) -> tuple[tuple[Path, ...], list[Path]]:
    """Data files under ``folder`` and the other files seen there.

    Hidden and ``_``-prefixed files and folders are skipped, as Spark, Hive and Delta
    use them for bookkeeping (``_SUCCESS``, ``_delta_log/``, ``.part-0.crc``); so are
    files whose extension names no data format (a README.md next to the data), unless
    their first bytes say Parquet or Arrow IPC.
    """
    data: list[Path] = []
    others: list[Path] = []
    for root, dirs, names in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if not d.startswith((".", "_")))
        for name in sorted(names):
            if name.startswith((".", "_")):
                continue
            path = Path(root, name)
            if not path.is_file():
                continue
            suffix = path.suffix.lower()
            known = suffix in _EXTENSIONS or not suffix or _has_binary_table_magic(path)
            (data if known else others).append(path)
    return tuple(sorted(data)), others


def _has_binary_table_magic(path: Path) -> bool:
    try:
        with path.open("rb") as fh:
            head = fh.read(6)
    except OSError:
        return False
    return head.startswith((b"PAR1", b"ARROW1"))


def _typed_source(label: str, paths: tuple[Path, ...]) -> Source:
    kinds = {_format_of(p) for p in paths}
    if len(kinds) > 1:
        raise InputError(
            f"{label}: mixes file formats ({', '.join(sorted(kinds))}); point at one format"
        )
    kind = kinds.pop()
    if kind == "profile" and len(paths) > 1:
        raise InputError(f"{label}: give one profile file at a time, or merge them first")
    if kind == "csv":
        sep, header = sniff_csv(paths[0])
        return Source(
            label=label, kind="csv", paths=paths, csv_separator=sep, csv_has_header=header
        )
    return Source(label=label, kind=kind, paths=paths)


def _format_of(path: Path) -> str:
    try:
        size = path.stat().st_size
        with path.open("rb") as fh:
            head = fh.read(_SNIFF_BYTES)
    except OSError as exc:
        raise InputError(f"{path}: cannot read ({exc.strerror}); check its permissions") from None
    if size == 0:
        raise InputError(
            f"{path}: the file is empty (0 bytes); it was not written, or was cut short: "
            "produce it again"
        )
    if head.startswith(b"PAR1"):
        return "parquet"
    if head.startswith(b"ARROW1") or head.startswith(b"\xff\xff\xff\xff"):
        return "ipc"
    ext = _EXTENSIONS.get(path.suffix.lower())
    if ext in ("parquet", "ipc"):
        raise InputError(
            f"{path}: not a valid {_FORMAT_NAMES[ext]} file (bad magic bytes); it may be "
            "truncated or corrupt: write it again"
        )
    _refuse_non_text(path, head, "JSON Lines" if ext in ("json", "jsonl") else "CSV")
    if ext == "json":
        if PROFILE_MARKER in head[:200]:
            return "profile"
        return "jsonl"
    if ext is None:
        if head.lstrip().startswith(b"{"):
            return "profile" if PROFILE_MARKER in head[:200] else "jsonl"
        return "csv"
    return ext


def _refuse_non_text(path: Path, head: bytes, expected: str) -> None:
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
        head = fh.read(_SNIFF_BYTES)
    _refuse_non_text(path, head, "CSV")
    try:
        text = head.decode("utf-8")
    except UnicodeDecodeError as exc:
        if exc.start < len(head) - 4:  # not just a character cut at the 64 KiB edge
            line = head[: exc.start].count(b"\n") + 1
            raise InputError(_utf8_message(path, line, exc.start)) from None
        text = head[: exc.start].decode("utf-8")
    text = text.lstrip("\ufeff")
    lines = text.splitlines()
    if not lines or not lines[0].strip():
        raise InputError(
            f"{path}: the first line is empty; expected a header row: remove the blank "
            "lines at the top"
        )
    if len(head) == _SNIFF_BYTES and len(lines) > 1:
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


def _utf8_message(path: Path, line: int, offset: int) -> str:
    return (
        f"{path}: line {line} is not valid UTF-8 (byte offset {offset}); re-save the file as UTF-8"
    )


def _looks_numeric_row(cells: list[str]) -> bool:
    return any(_cell_type(cell) in ("integer", "number") for cell in cells)


#: What a CSV cell says for a missing value, as pandas' ``read_csv`` reads it by default
#: (R writes ``NA``, Excel ``#N/A``, SQL exports ``NULL``): read as null in every column,
#: so a numeric column with R's ``NA`` stays numeric. pandas' NaN spellings are left out
#: here: they are read as the float NaN (``_spelled_floats``), missing all the same.
MISSING_TOKENS = ["NA", "N/A", "n/a", "#N/A", "#N/A N/A", "#NA", "<NA>", "NULL", "null", "None"]


def scan(source: Source, *, infer_all: bool = False) -> pl.LazyFrame:
    """A lazy frame over the source (not for profiles)."""
    paths = [str(p) for p in source.paths]
    if source.kind == "frame":
        assert source.frame is not None
        return source.frame.lazy()
    if source.kind == "parquet":
        return pl.scan_parquet(paths)
    if source.kind == "ipc":
        return pl.scan_ipc(paths)
    if source.kind == "jsonl":
        return pl.scan_ndjson(paths, infer_schema_length=None if infer_all else _CSV_INFER_ROWS)
    if source.kind == "csv":
        options: dict[str, Any] = {
            "separator": source.csv_separator,
            "has_header": source.csv_has_header,
            "infer_schema_length": None if infer_all else _CSV_INFER_ROWS,
            "try_parse_dates": True,
            "encoding": "utf8",
            "raise_if_empty": False,
            "null_values": MISSING_TOKENS,
        }
        lazy = pl.scan_csv(paths, **options)
        floats = _spelled_floats(lazy, infer_all=infer_all)
        if floats:
            lazy = pl.scan_csv(paths, **options, schema_overrides=floats)
        return _csv_names(lazy, source) if source.csv_has_header else lazy
    raise InputError(f"{source.label}: a {source.kind} cannot be scanned as a table")


def _spelled_floats(lazy: pl.LazyFrame, *, infer_all: bool) -> dict[str, pl.DataType]:
    """Text columns that are numbers with NaN or inf spelled as Python and NumPy write
    them (``nan``, ``NAN``, ``Infinity``): Polars' type inference knows ``NaN`` and
    ``inf`` only, and leaves such a column as text, which then looks like numbers
    arriving as text. Judged on the rows types are inferred from; a later word in the
    column fails the read, which is then done again with types from every row, where
    the word keeps the column text."""
    try:
        schema = lazy.collect_schema()
    except pl.exceptions.PolarsError:
        return {}  # the read itself will fail and say why
    text = [name for name, dtype in schema.items() if dtype == pl.String]
    if not text:
        return {}
    rows = lazy.select(text) if infer_all else lazy.select(text).head(_CSV_INFER_ROWS)
    try:
        head = rows.collect()
    except pl.exceptions.PolarsError:
        return {}
    found: dict[str, pl.DataType] = {}
    for name in text:
        column = head.get_column(name)
        values = column.null_count()
        if values < column.len():
            as_float = column.cast(pl.Float64, strict=False)
            if as_float.null_count() == values:
                found[name] = pl.Float64()
    return found


def _csv_names(lazy: pl.LazyFrame, source: Source) -> pl.LazyFrame:
    """The header as RFC 4180 reads it: Polars keeps the escaped (doubled) quotes of a
    quoted name, so a column named with a quote in it came back with two; Python's csv
    module reads the header right."""
    header = _csv_header(source.paths[0], source.csv_separator)
    try:
        names = lazy.collect_schema().names()
    except pl.exceptions.PolarsError:
        return lazy  # the read itself will fail and say why
    if header is None or len(header) != len(names) or header == names:
        return lazy
    return lazy.rename(dict(zip(names, header, strict=True)))


def check_columns(source: Source, columns: list[str]) -> None:
    """Refuse tables whose header repeats a name: every check is keyed by column name."""
    _check_unique(source.label, columns)


def _check_unique(label: str, columns: list[str]) -> None:
    seen: set[str] = set()
    for name in columns:
        if name in seen:
            raise InputError(
                f"{label}: column name {name!r} appears twice in the header; rename one of them"
            )
        seen.add(name)


def iter_batches(
    source: Source, batch_rows: int | None = None, *, infer_all: bool = False
) -> Iterator[pl.DataFrame]:
    """Yield the source as Polars batches, mapping reader failures to one clear line.

    CSV and JSON Lines types are inferred from the first rows; a later value that does
    not fit is read again with types inferred from every row when nothing was yielded
    yet, and raises ``LateTypeChange`` otherwise (see there). ``infer_all=True`` infers
    from every row from the start.
    """
    rows = batch_rows or BATCH_ROWS
    if source.kind == "csv":
        for path in source.paths:
            _check_csv_header(source, path)
    if infer_all:
        yield from _iter(source, rows, infer_all=True)
        return
    try:
        yield from _iter(source, rows, infer_all=False)
    except _RetryWithFullInference:
        yield from _iter(source, rows, infer_all=True)


class _RetryWithFullInference(Exception):
    pass


def _iter(source: Source, batch_rows: int, *, infer_all: bool) -> Iterator[pl.DataFrame]:
    started = False
    # CSV parses ISO dates as it reads; other formats get the same rule here, so that a
    # column of date strings is a datetime whichever format carried it. After a late
    # value that is no date, the source is read again with the column left as text, as
    # CSV's inference over every row would leave it.
    dates: list[str] | None = [] if source.kind == "csv" or infer_all else None
    try:
        lazy = scan(source, infer_all=infer_all)
        for batch in _collect_batches(source, lazy, batch_rows):
            if dates is None:
                dates = _date_string_columns(batch)
            if dates:
                batch = _parse_dates(source, batch, dates, started=started)
            started = True
            yield _typed_empty_columns(source, batch)
        if not started:
            yield _typed_empty_columns(source, lazy.limit(0).collect())
    except pl.exceptions.PolarsError as exc:
        message = _first_line(exc)
        if not infer_all and source.kind in ("csv", "jsonl") and _is_type_error(message):
            if not started:
                raise _RetryWithFullInference from None
            raise _late_type_change(source, message) from None
        raise InputError(_explain(source, message)) from None
    except pl.exceptions.PanicException as exc:  # a reader crash on a damaged file
        raise InputError(
            f"{source.label}: the {_FORMAT_NAMES[source.kind]} reader failed "
            f"({_clean(_first_line(exc))}); the file may be corrupt: write it again"
        ) from None
    except OSError as exc:
        raise InputError(
            f"{source.label}: cannot read ({exc.strerror or exc}); check the path and "
            "its permissions"
        ) from None


def _collect_batches(source: Source, lazy: pl.LazyFrame, batch_rows: int) -> Iterator[pl.DataFrame]:
    """The scan's rows in batches of about ``batch_rows``.

    Parquet is read one slice at a time, the next slice in a helper thread while the
    caller works on the current one, so that at most two batches are held whatever the
    file's row groups. Polars' own ``collect_batches`` decodes whole row groups and reads
    ahead while the caller is busy: on files written with pyarrow's defaults (row groups
    of a million rows) it held several row groups at once, more than the file's size in
    memory. Other formats stream with ``collect_batches``.
    """
    plan = _parquet_slices(lazy, source, batch_rows) if source.kind == "parquet" else None
    if plan is None:
        return lazy.collect_batches(chunk_size=batch_rows)
    return _read_ahead(lazy.slice(offset, length).collect for offset, length in plan)


def _parquet_slices(
    lazy: pl.LazyFrame, source: Source, batch_rows: int
) -> list[tuple[int, int]] | None:
    """(offset, rows) of each batch over the source's files; None if the row groups
    cannot be read (the Polars reader then fails and says why)."""
    rows = lazy.select(pl.len()).collect().item()  # from the footers
    if rows <= batch_rows:
        return [(0, rows)] if rows else []
    import pyarrow as pa  # only here: pyarrow.parquet costs start-up time
    import pyarrow.parquet as pq

    groups: list[int] = []
    try:
        for path in source.paths:
            meta = pq.read_metadata(path)
            groups += [meta.row_group(i).num_rows for i in range(meta.num_row_groups)]
    except (pa.ArrowException, OSError):
        return None
    return slice_plan(groups, batch_rows)


def slice_plan(group_rows: list[int], batch_rows: int) -> list[tuple[int, int]]:
    """Batches as (offset, rows) over row groups of the given sizes, read in order.

    Small row groups are gathered whole up to ``batch_rows``, and a larger one is cut
    into equal parts of at most ``batch_rows``, so that a batch never ends inside a row
    group that a neighbour has to decode again.
    """
    plan: list[tuple[int, int]] = []
    start = pending = offset = 0
    for rows in group_rows:
        if pending and pending + rows > batch_rows:
            plan.append((start, pending))
            pending = 0
        if rows > batch_rows:
            parts = -(-rows // batch_rows)
            step = -(-rows // parts)
            plan += [(offset + s, min(step, rows - s)) for s in range(0, rows, step)]
        elif rows:
            if not pending:
                start = offset
            pending += rows
        offset += rows
    if pending:
        plan.append((start, pending))
    return plan


def _read_ahead(jobs: Iterator[Callable[[], T]]) -> Iterator[T]:
    """Each job's result in order, the next job running in a helper thread while the
    caller works on the current result (Polars releases the GIL while it reads)."""
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="mlgate-read") as pool:
        ahead: Future[T] | None = None
        for job in jobs:
            running = pool.submit(job)
            if ahead is not None:
                yield ahead.result()
            ahead = running
        if ahead is not None:
            yield ahead.result()


def _date_string_columns(batch: pl.DataFrame) -> list[str]:
    """Text columns whose every value in this first batch is an ISO-like date or time
    stamp, by the same format inference that CSV's date parsing uses."""
    found = []
    for name, dtype in batch.schema.items():
        if dtype != pl.String:
            continue
        column = batch.get_column(name)
        if not _dates_at_a_glance(column.drop_nulls().head(_DATE_SAMPLE)):
            continue
        if column.str.to_datetime(strict=False).null_count() == column.null_count():
            found.append(name)
    return found


#: Values looked at before a whole column is tried as dates: parsing a column of words
#: in full costs seconds.
_DATE_SAMPLE = 64
_DATE_START = r"^\d{1,4}[-/.]\d"


def _dates_at_a_glance(sample: pl.Series) -> bool:
    if sample.len() == 0 or not sample.str.contains(_DATE_START).all():
        return False
    try:
        return sample.str.to_datetime(strict=False).null_count() == 0
    except pl.exceptions.PolarsError:  # no date format fits the first value
        return False


def _parse_dates(
    source: Source, batch: pl.DataFrame, names: list[str], *, started: bool
) -> pl.DataFrame:
    try:
        # Series by Series: only eager parsing infers a format that carries a time zone.
        return batch.with_columns(batch.get_column(n).str.to_datetime(strict=True) for n in names)
    except pl.exceptions.PolarsError:
        if not started:
            raise _RetryWithFullInference from None
        raise LateTypeChange(
            f"{source.label}: a column of dates holds a value that is no date after the "
            "first batch; it is read again as text"
        ) from None


def _typed_empty_columns(source: Source, batch: pl.DataFrame) -> pl.DataFrame:
    """Type CSV columns that hold no value at all as Null, not String.

    A CSV column of empty cells carries no type; Polars reads it as String, which would
    make an all-null numeric column look like "numbers arriving as text". As Null it
    agrees with the same column read from Parquet and gets a null-fraction finding.
    """
    if source.kind != "csv":
        return batch
    empty = [
        name
        for name, dtype in batch.schema.items()
        if dtype == pl.String and batch.get_column(name).null_count() == batch.height
    ]
    return batch.with_columns(pl.col(name).cast(pl.Null) for name in empty) if empty else batch


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def _is_type_error(message: str) -> bool:
    low = message.lower()
    return "parse" in low or "could not" in low


def _late_type_change(source: Source, message: str) -> LateTypeChange:
    match = _PARSE_ERROR.search(message)
    json_match = _JSON_PARSE_ERROR.search(message)
    if match is None and json_match is not None:
        return LateTypeChange(
            f"{source.label}: the value {_clean(json_match['value'])!r} does not fit the "
            f"type {json_match['dtype']} inferred from the first {_CSV_INFER_ROWS:,} rows; "
            "fix that value, or write the data as Parquet so that its types are explicit"
        )
    if match is None:
        return LateTypeChange(
            f"{source.label}: a column changes type after the first {_CSV_INFER_ROWS:,} "
            f"rows ({_clean(message)}); fix the value, or write the data as Parquet so "
            "that its types are explicit"
        )
    value = match["value"]
    if source.kind == "csv" and ('"' in value or "\n" in value):
        # Not a type change but a quote out of place; say where.
        found = _diagnose_csv(source)
        if found is not None:
            return LateTypeChange(found)
    return LateTypeChange(
        f"{source.label}: column {match['column']!r} holds {_clean(value)!r} after its "
        f"first {_CSV_INFER_ROWS:,} rows were read as {match['dtype']}; fix that value, "
        "or write the data as Parquet so that its types are explicit"
    )


def _clean(message: str) -> str:
    text = " ".join(message.split())
    return text[:200] + ("..." if len(text) > 200 else "")


def _check_csv_header(source: Source, path: Path) -> None:
    if source.csv_has_header:
        _check_unique(str(path), _csv_header(path, source.csv_separator) or [])


def _csv_header(path: Path, separator: str) -> list[str] | None:
    with path.open("r", encoding="utf-8", errors="replace", newline="") as fh:
        header = next(csv.reader(fh, delimiter=separator), None)
    if header:
        header[0] = header[0].lstrip("\ufeff")
    return header


# -- diagnostics: run only after a reader failed, to say where and what to do ---------


def _explain(source: Source, message: str) -> str:
    """One line for a reader failure: the file and line at fault when they can be found."""
    low = message.lower()
    found: str | None = None
    if source.kind in ("csv", "jsonl") and ("utf-8" in low or "utf8" in low):
        found = _find_bad_utf8(source.paths)
    if found is None and source.kind == "csv":
        found = _diagnose_csv(source)
    elif found is None and source.kind == "jsonl":
        found = _diagnose_jsonl(source.paths)
    elif found is None and source.kind in ("parquet", "ipc") and len(source.paths) > 1:
        found = _diagnose_schemas(source)
    if found is not None:
        return found
    name = _FORMAT_NAMES[source.kind]
    duplicate = _DUPLICATE_NAME.search(message)
    if duplicate is not None:
        return (
            f"{source.label}: column name {duplicate['name']!r} appears more than once; "
            "rename one of them and write the file again"
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
    return f"{source.label}: cannot read as {name} ({_clean(message)}); {todo}"


def _find_bad_utf8(paths: tuple[Path, ...]) -> str | None:
    for path in paths:
        found = _first_bad_utf8(path)
        if found is not None:
            return _utf8_message(path, *found)
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


def _diagnose_csv(source: Source) -> str | None:
    """Files of one dataset written differently, or the first row that breaks the table."""
    first = source.paths[0]
    header = _csv_header(first, source.csv_separator)
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
            if source.csv_has_header and _csv_header(path, separator) != header:
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
                    return _find_bad_utf8((path,))
                if not isinstance(value, dict):
                    return (
                        f"{path}: line {number} is a JSON {type(value).__name__}, not an "
                        "object; write one JSON object per line"
                    )
    return None


def _diagnose_schemas(source: Source) -> str | None:
    """The first file of a multi-file Parquet or IPC source that breaks the common schema."""
    read = pl.read_parquet_schema if source.kind == "parquet" else pl.read_ipc_schema
    name = _FORMAT_NAMES[source.kind]
    first: tuple[Path, dict[str, pl.DataType]] | None = None
    for path in source.paths:
        try:
            schema = dict(read(path))
        except (pl.exceptions.PolarsError, OSError) as exc:
            return (
                f"{path}: cannot read as {name} ({_clean(_first_line(exc))}); it may be "
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


def consume_batches(source: Source, consume: Callable[[Iterator[pl.DataFrame]], T]) -> T:
    """Run ``consume`` over the source's batches, once more with types inferred from
    every row if a value past the inferred rows does not fit its column."""
    try:
        return consume(iter_batches(source))
    except LateTypeChange:
        return consume(iter_batches(source, infer_all=True))


def read_all(source: Source) -> pl.DataFrame:
    """Every row of the source as one DataFrame (for small data: tests, fixtures)."""
    batches = consume_batches(source, list)
    return batches[0] if len(batches) == 1 else pl.concat(batches, how="vertical")
