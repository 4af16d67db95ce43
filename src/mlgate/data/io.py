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
import os
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import unquote, urlparse

import polars as pl

from mlgate.data.read_errors import FORMAT_NAMES, clean, diagnose_csv, explain, first_line
from mlgate.data.sniff import SNIFF_BYTES, csv_header, refuse_non_text, sniff_csv
from mlgate.errors import InputError

if TYPE_CHECKING:
    from concurrent.futures import Future

#: Rows per batch at most. A batch is also held to about BATCH_BYTES in memory, so a
#: wide table reads fewer rows at a time (see ``rows_per_batch``). Half a million rows of
#: the benchmark's 20 columns (85 MB) took 8% less time than a quarter million, as the
#: fixed cost of each column's pass is spread over more rows, for 170 MB more peak
#: memory (0.86-0.88x of one 5M-row file in memory); a million rows went past one file.
BATCH_ROWS = 500_000
#: About the memory one batch takes (see ``rows_per_batch``).
BATCH_BYTES = 128 << 20
#: Rows per batch at least, however wide the table: below, each column's fixed cost
#: per batch outweighs its work.
MIN_BATCH_ROWS = 20_000
#: Bytes a value takes in memory, by type; text, binary and nested values are counted
#: as VARIABLE_VALUE_BYTES: Polars' 16-byte view (which holds a text of up to 12 bytes)
#: and 8 bytes of longer text on average.
_VALUE_BYTES = {
    pl.Boolean: 1,
    pl.Int8: 1,
    pl.UInt8: 1,
    pl.Int16: 2,
    pl.UInt16: 2,
    pl.Int32: 4,
    pl.UInt32: 4,
    pl.Float32: 4,
    pl.Date: 4,
    pl.Int64: 8,
    pl.UInt64: 8,
    pl.Float64: 8,
    pl.Datetime: 8,
    pl.Duration: 8,
    pl.Time: 8,
    pl.Decimal: 16,
    pl.Int128: 16,
}
VARIABLE_VALUE_BYTES = 24
_CSV_INFER_ROWS = 10_000

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


_PARSE_ERROR = re.compile(
    r"could not parse `(?P<value>.*?)` as dtype `(?P<dtype>[^`]+)` at column '(?P<column>[^']*)'",
    re.DOTALL,
)
_JSON_PARSE_ERROR = re.compile(r"cannot parse '(?P<value>.*?)' \([^)]*\) as (?P<dtype>\w+)")

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


#: A URI's scheme (``s3://``, ``file:///``); one letter is a Windows drive, not a scheme.
_URI = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]+)://")


def _resolve_path(text: str) -> Source:
    uri = _URI.match(text)
    if uri is not None and uri.group(1).lower() == "file":
        text = unquote(urlparse(text).path)  # file:///data/x.parquet is a local path
    elif uri is not None:
        raise InputError(
            f"{text}: the Polars engine reads files on this machine, not {uri.group(1)}:// "
            "URIs; read it with --engine spark (docs/scale.md), or copy it here first"
        )
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
            head = fh.read(SNIFF_BYTES)
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
            f"{path}: not a valid {FORMAT_NAMES[ext]} file (bad magic bytes); it may be "
            "truncated or corrupt: write it again"
        )
    refuse_non_text(path, head, "JSON Lines" if ext in ("json", "jsonl") else "CSV")
    if ext == "json":
        if PROFILE_MARKER in head[:200]:
            return "profile"
        return "jsonl"
    if ext is None:
        if head.lstrip().startswith(b"{"):
            return "profile" if PROFILE_MARKER in head[:200] else "jsonl"
        return "csv"
    return ext


#: What a CSV cell says for a missing value, as pandas' ``read_csv`` reads it by default
#: (R writes ``NA``, Excel ``#N/A``, SQL exports ``NULL``): read as null in every column,
#: so a numeric column with R's ``NA`` stays numeric. The empty text ``""`` is one too:
#: pandas writes a missing value so in a file of one column (a bare empty line would end
#: the table), and Polars reads an empty cell as null only unquoted. pandas' NaN
#: spellings are left out here: they are read as the float NaN (``_spelled_floats``),
#: missing all the same.
MISSING_TOKENS = [
    "", "NA", "N/A", "n/a", "#N/A", "#N/A N/A", "#NA", "<NA>", "NULL", "null", "None",
]  # fmt: skip


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
        try:
            schema = lazy.collect_schema()
        except pl.exceptions.PolarsError:
            return lazy  # the read itself will fail and say why
        if not schema:
            return lazy
        # From here on the scan is given the types found, once: a scan left to infer
        # them infers again at every collect (1.9 s each for 2,000 columns).
        del options["infer_schema_length"]
        lazy = pl.scan_csv(paths, **options, schema=schema)
        floats = _spelled_floats(lazy, schema, infer_all=infer_all)
        if floats:
            schema = pl.Schema({**schema, **floats})
            lazy = pl.scan_csv(paths, **options, schema=schema)
        return _csv_names(lazy, source, schema.names()) if source.csv_has_header else lazy
    raise InputError(f"{source.label}: a {source.kind} cannot be scanned as a table")


def _spelled_floats(
    lazy: pl.LazyFrame, schema: pl.Schema, *, infer_all: bool
) -> dict[str, pl.DataType]:
    """Text columns that are numbers with NaN or inf spelled as Python and NumPy write
    them (``nan``, ``NAN``, ``Infinity``): Polars' type inference knows ``NaN`` and
    ``inf`` only, and leaves such a column as text, which then looks like numbers
    arriving as text. Judged on the rows types are inferred from; a later word in the
    column fails the read, which is then done again with types from every row, where
    the word keeps the column text."""
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


def _csv_names(lazy: pl.LazyFrame, source: Source, names: list[str]) -> pl.LazyFrame:
    """The header as RFC 4180 reads it: Polars keeps the escaped (doubled) quotes of a
    quoted name, so a column named with a quote in it came back with two; Python's csv
    module reads the header right."""
    header = csv_header(source.paths[0], source.csv_separator)
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
    """Yield the source as Polars batches of ``batch_rows`` rows (by default
    ``rows_per_batch`` of its schema), mapping reader failures to one clear line.

    CSV and JSON Lines types are inferred from the first rows; a later value that does
    not fit is read again with types inferred from every row when nothing was yielded
    yet, and raises ``LateTypeChange`` otherwise (see there). ``infer_all=True`` infers
    from every row from the start.
    """
    if source.kind == "csv":
        for path in source.paths:
            _check_csv_header(source, path)
    if infer_all:
        yield from _iter(source, batch_rows, infer_all=True)
        return
    try:
        yield from _iter(source, batch_rows, infer_all=False)
    except _RetryWithFullInference:
        yield from _iter(source, batch_rows, infer_all=True)


class _RetryWithFullInference(Exception):
    pass


def rows_per_batch(schema: Mapping[str, pl.DataType]) -> int:
    """Rows per batch for a table of this schema: about BATCH_BYTES of values, between
    MIN_BATCH_ROWS and BATCH_ROWS (never above BATCH_ROWS). The pass holds a few batches
    at once (read ahead, profiled, merged), so its memory follows the width of a row,
    not the length of the file."""
    row = sum(
        _VALUE_BYTES.get(dtype.base_type(), VARIABLE_VALUE_BYTES) for dtype in schema.values()
    )
    return min(BATCH_ROWS, max(MIN_BATCH_ROWS, BATCH_BYTES // max(1, row)))


def _iter(source: Source, rows: int | None, *, infer_all: bool) -> Iterator[pl.DataFrame]:
    started = False
    # CSV parses ISO dates as it reads; other formats get the same rule here, so that a
    # column of date strings is a datetime whichever format carried it. After a late
    # value that is no date, the source is read again with the column left as text, as
    # CSV's inference over every row would leave it.
    dates: list[str] | None = [] if source.kind == "csv" or infer_all else None
    try:
        lazy = scan(source, infer_all=infer_all)
        rows = rows or rows_per_batch(lazy.collect_schema())
        for batch in _collect_batches(source, lazy, rows):
            if dates is None:
                dates = _date_string_columns(batch)
            if dates:
                batch = _parse_dates(source, batch, dates, started=started)
            started = True
            yield _typed_empty_columns(source, batch)
        if not started:
            yield _typed_empty_columns(source, lazy.limit(0).collect())
    except pl.exceptions.PolarsError as exc:
        message = first_line(exc)
        if not infer_all and source.kind in ("csv", "jsonl") and _is_type_error(message):
            if not started:
                raise _RetryWithFullInference from None
            raise _late_type_change(source, message) from None
        raise InputError(explain(source, message)) from None
    except pl.exceptions.PanicException as exc:  # a reader crash on a damaged file
        raise InputError(
            f"{source.label}: the {FORMAT_NAMES[source.kind]} reader failed "
            f"({clean(first_line(exc))}); the file may be corrupt: write it again"
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


def date_string_columns(batch: pl.DataFrame) -> list[str]:
    """Text columns of ``batch`` that the readers parse as dates (every value an
    ISO-like date or time stamp): for engines that read batches themselves."""
    return _date_string_columns(batch)


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


def _is_type_error(message: str) -> bool:
    low = message.lower()
    return "parse" in low or "could not" in low


def _late_type_change(source: Source, message: str) -> LateTypeChange:
    match = _PARSE_ERROR.search(message)
    json_match = _JSON_PARSE_ERROR.search(message)
    if match is None and json_match is not None:
        return LateTypeChange(
            f"{source.label}: the value {clean(json_match['value'])!r} does not fit the "
            f"type {json_match['dtype']} inferred from the first {_CSV_INFER_ROWS:,} rows; "
            "fix that value, or write the data as Parquet so that its types are explicit"
        )
    if match is None:
        return LateTypeChange(
            f"{source.label}: a column changes type after the first {_CSV_INFER_ROWS:,} "
            f"rows ({clean(message)}); fix the value, or write the data as Parquet so "
            "that its types are explicit"
        )
    value = match["value"]
    if source.kind == "csv" and ('"' in value or "\n" in value):
        # Not a type change but a quote out of place; say where.
        found = diagnose_csv(source)
        if found is not None:
            return LateTypeChange(found)
    return LateTypeChange(
        f"{source.label}: column {match['column']!r} holds {clean(value)!r} after its "
        f"first {_CSV_INFER_ROWS:,} rows were read as {match['dtype']}; fix that value, "
        "or write the data as Parquet so that its types are explicit"
    )


def _check_csv_header(source: Source, path: Path) -> None:
    header = csv_header(path, source.csv_separator)
    if source.csv_has_header:
        _check_unique(str(path), header or [])
    if header:
        _check_csv_tail(path, source.csv_separator, len(header))


#: Bytes at the end of a CSV file looked at for a last line cut short.
TAIL_BYTES = 1 << 16


def _check_csv_tail(path: Path, separator: str, fields: int) -> None:
    """Refuse a CSV whose last line has fewer fields than its first: a file cut off
    mid-line (a copy or upload that stopped), whose last row the reader would pad with
    nulls and pass. Judged only where the tail holds no quote, so that a quoted field
    running over several lines is not taken for a short one."""
    try:
        with path.open("rb") as fh:
            size = fh.seek(0, os.SEEK_END)
            fh.seek(max(0, size - TAIL_BYTES))
            tail = fh.read()
    except OSError:
        return  # the reader reports it
    lines = [line for line in tail.splitlines() if line.strip()]
    if len(lines) < 2 or b'"' in tail:
        return  # the first line may be partial, the header itself, or quoted
    last = lines[-1].decode("utf-8", errors="replace")
    got = len(next(csv.reader([last], delimiter=separator)))
    if got < fields:
        cut = "" if tail.endswith((b"\n", b"\r")) else " and the file does not end with a newline"
        raise InputError(
            f"{path}: the last line has {got} field{'s' if got != 1 else ''}, the header "
            f"{fields} ({last[:40]!r}{cut}): the file looks cut short; copy or write it again"
        )


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
