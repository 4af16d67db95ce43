"""The Spark engine beside the Polars engine, on the data gate benchmark's files.

What it measures, in one process (a SparkSession is shared by its jobs, as in a
notebook or a long-lived driver), for each size: the Polars engine's ``profile`` of
the reference file; the JVM's start; the Spark engine's ``profile_spark`` of the same
file (the first job, then ``--repeat`` more, whose median is reported); and a
``mapInArrow`` that only counts each batch's rows, which is what Spark costs before any
profiling. It checks on the way that both engines' profiles agree (counts, extremes,
distinct-count and row-hash sketches). The numbers are those of docs/scale.md.

    python benchmarks/spark_engine.py                 # 1M and 5M rows, local[2]
    python benchmarks/spark_engine.py --rows 1M --master 'local[4]' --repeat 3

The files are benchmarks/data_gate.py's reference files (generated once, cached in
benchmarks/data/, git-ignored).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from data_gate import data_paths, ensure_data, parse_size, size_label  # noqa: E402


def _timed(fn):
    start = time.perf_counter()
    value = fn()
    return time.perf_counter() - start, value


def _count_rows(batches):
    import pyarrow as pa

    rows = sum(b.num_rows for b in batches)
    yield pa.RecordBatch.from_pydict({"n": [rows]})


def _agree(a, b) -> bool:
    same = a.rows == b.rows and a.row_hashes == b.row_hashes
    for x, y in zip(a.columns, b.columns, strict=True):
        same &= (x.count, x.nulls, x.nan, x.min, x.max) == (y.count, y.nulls, y.nan, y.min, y.max)
        same &= x.distinct == y.distinct
    return same


def measure(rows: int, master: str, repeat: int, log) -> dict[str, object]:
    from mlgate.data.profile import profile
    from mlgate.engines import spark as engine

    ensure_data(rows, log)
    path = data_paths(rows)[0]
    polars_times = [_timed(lambda: profile(path))[0] for _ in range(repeat)]
    want = profile(path)
    start, session = _timed(lambda: engine.spark_session(master))
    df = session.read.parquet(str(path))
    first, got = _timed(lambda: engine.profile_spark(df))
    later = [_timed(lambda: engine.profile_spark(df))[0] for _ in range(repeat)]
    bare = [
        _timed(lambda: df.mapInArrow(_count_rows, "n long").collect())[0] for _ in range(repeat)
    ]
    return {
        "rows": size_label(rows),
        "parquet_mb": path.stat().st_size / 1e6,
        "partitions": engine._partitions(df),
        "polars": polars_times,
        "session": start,
        "first": first,
        "later": later,
        "bare": bare,
        "agree": _agree(got, want),
    }


def _span(xs: list[float]) -> str:
    return f"{statistics.median(xs):.1f} s ({min(xs):.1f}-{max(xs):.1f})"


def table(results: list[dict[str, object]]) -> str:
    lines = [
        "| rows | Parquet | partitions | Polars engine | session start | Spark: first job "
        "| Spark: later jobs | Spark: only moving the batches | same profile |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in results:
        lines.append(
            f"| {r['rows']} | {r['parquet_mb']:.0f} MB | {r['partitions']} | "
            f"{_span(r['polars'])} | {r['session']:.1f} s | {r['first']:.1f} s | "
            f"{_span(r['later'])} | {_span(r['bare'])} | {'yes' if r['agree'] else 'NO'} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", action="append", help="1M, 5M, ... (repeatable)")
    parser.add_argument("--master", default="local[2]")
    parser.add_argument("--repeat", type=int, default=4)
    args = parser.parse_args()
    sizes = [parse_size(r) for r in (args.rows or ["1M", "5M"])]
    log = lambda message: print(message, file=sys.stderr, flush=True)  # noqa: E731
    results = [measure(rows, args.master, args.repeat, log) for rows in sizes]
    print(table(results))


if __name__ == "__main__":
    main()
