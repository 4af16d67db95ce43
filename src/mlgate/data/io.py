"""Readers: every supported source becomes a stream of Polars batches.

Data is never loaded whole: files are scanned lazily and profiled batch by batch, so
memory stays bounded by the batch size, not the file size. Polars is the engine; pandas
and pyarrow objects are accepted from Python and converted at the boundary.
"""

from __future__ import annotations

import csv
import glob as globlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import polars as pl

from mlgate.errors import InputError

BATCH_ROWS = 500_000
_SNIFF_BYTES = 64 * 1024
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
        files = tuple(
            sorted(p for p in path.rglob("*") if p.is_file() and not p.name.startswith((".", "_")))
        )
        if not files:
            raise InputError(f"{text}: the folder holds no data files")
        return _typed_source(text, files)
    return _typed_source(text, (path,))


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
        raise InputError(f"{path}: cannot read ({exc.strerror})") from None
    if size == 0:
        raise InputError(f"{path}: the file is empty (0 bytes); expected a table with a header")
    if head.startswith(b"PAR1"):
        return "parquet"
    if head.startswith(b"ARROW1") or head.startswith(b"\xff\xff\xff\xff"):
        return "ipc"
    ext = _EXTENSIONS.get(path.suffix.lower())
    if ext == "json":
        if PROFILE_MARKER in head[:200]:
            return "profile"
        return "jsonl"
    if ext is None and head.lstrip().startswith(b"{"):
        return "profile" if PROFILE_MARKER in head[:200] else "jsonl"
    if ext in ("parquet", "ipc"):
        raise InputError(
            f"{path}: not a valid {ext.upper() if ext == 'ipc' else 'Parquet'} file "
            "(bad magic bytes); it may be truncated or corrupt, write it again"
        )
    if ext is None:
        if b"\x00" in head:
            raise InputError(
                f"{path}: looks like a binary file of unknown format; "
                "expected CSV, Parquet, JSON Lines or Arrow IPC"
            )
        return "csv"
    return ext


def sniff_csv(path: Path) -> tuple[str, bool]:
    """Guess delimiter and header from the first 64 KiB; refuse binary or non-UTF-8 text."""
    with path.open("rb") as fh:
        head = fh.read(_SNIFF_BYTES)
    if b"\x00" in head:
        raise InputError(
            f"{path}: contains NUL bytes, so it is binary, not CSV text; "
            "check that the right file was given"
        )
    try:
        text = head.decode("utf-8")
    except UnicodeDecodeError as exc:
        if exc.start < len(head) - 4:  # not just a character cut at the 64 KiB edge
            line = head[: exc.start].count(b"\n") + 1
            raise InputError(
                f"{path}: line {line} is not valid UTF-8 (byte offset {exc.start}); "
                "re-save the file as UTF-8"
            ) from None
        text = head[: exc.start].decode("utf-8")
    text = text.lstrip("\ufeff")
    lines = text.splitlines()
    if not lines or not lines[0].strip():
        raise InputError(f"{path}: the first line is empty; expected a header row")
    sample = "\n".join(lines[:50])
    sniffer = csv.Sniffer()
    try:
        separator = sniffer.sniff(sample, delimiters=",;\t|").delimiter
    except csv.Error:
        separator = "\t" if path.suffix.lower() == ".tsv" else ","
    try:
        has_header = sniffer.has_header(sample) if len(lines) > 1 else True
    except csv.Error:
        has_header = True
    if not has_header and not _looks_numeric_row(lines[0], separator):
        # csv.Sniffer votes "no header" for all-string tables; a first row of names
        # with no numbers is a header in practice.
        has_header = True
    return separator, has_header


def _looks_numeric_row(line: str, separator: str) -> bool:
    for cell in next(csv.reader([line], delimiter=separator)):
        try:
            float(cell)
            return True
        except ValueError:
            continue
    return False


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
        return pl.scan_csv(
            paths,
            separator=source.csv_separator,
            has_header=source.csv_has_header,
            infer_schema_length=None if infer_all else _CSV_INFER_ROWS,
            try_parse_dates=True,
            encoding="utf8",
            raise_if_empty=False,
        )
    raise InputError(f"{source.label}: a {source.kind} cannot be scanned as a table")


def check_columns(source: Source, columns: list[str]) -> None:
    """Refuse tables whose header repeats a name: every check is keyed by column name."""
    seen: set[str] = set()
    for name in columns:
        if name in seen:
            raise InputError(
                f"{source.label}: column name {name!r} appears twice in the header; "
                "rename one of them"
            )
        seen.add(name)


def iter_batches(source: Source, batch_rows: int = BATCH_ROWS) -> Iterator[pl.DataFrame]:
    """Yield the source as Polars batches, mapping reader failures to one clear line."""
    if source.kind == "csv":
        _check_csv_header(source)
    try:
        yield from _iter(source, batch_rows, infer_all=False)
    except _RetryWithFullInference:
        yield from _iter(source, batch_rows, infer_all=True)


class _RetryWithFullInference(Exception):
    pass


def _iter(source: Source, batch_rows: int, *, infer_all: bool) -> Iterator[pl.DataFrame]:
    started = False
    try:
        lazy = scan(source, infer_all=infer_all)
        for batch in lazy.collect_batches(chunk_size=batch_rows):
            started = True
            yield batch
        if not started:
            yield lazy.limit(0).collect()
    except pl.exceptions.PolarsError as exc:
        message = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        if (
            not started
            and not infer_all
            and source.kind in ("csv", "jsonl")
            and ("parse" in message.lower() or "could not" in message.lower())
        ):
            raise _RetryWithFullInference from None
        raise InputError(
            f"{source.label}: cannot read as {_FORMAT_NAMES[source.kind]}: {_clean(message)}"
        ) from None
    except OSError as exc:
        raise InputError(f"{source.label}: cannot read ({exc.strerror or exc})") from None


_FORMAT_NAMES = {
    "csv": "CSV",
    "parquet": "Parquet",
    "jsonl": "JSON Lines",
    "ipc": "Arrow IPC",
    "frame": "a table",
}


def _clean(message: str) -> str:
    text = message.replace("\n", " ").strip()
    return text[:200] + ("..." if len(text) > 200 else "")


def _check_csv_header(source: Source) -> None:
    if not source.csv_has_header:
        return
    with source.paths[0].open("r", encoding="utf-8", errors="replace", newline="") as fh:
        header = next(csv.reader(fh, delimiter=source.csv_separator), [])
    if header:
        header[0] = header[0].lstrip("\ufeff")
    check_columns(source, header)
