"""Larger than memory on one machine: mlgate's profile of one big Parquet file (issue 13, §2).

What it measures, each as a separate process (``data_gate.run_once``: wall time, and
peak memory as the larger of GNU time's max RSS and the sampled peak of the process
tree), interleaved round by round, on files of each ``--rows`` length:

- ``mlgate profile FILE -o out.json`` (the Polars engine, the default);
- the reference pass: a Polars streaming query that sums every column, the issue's
  ``pl.scan_parquet(f).select(pl.all().sum()).collect(engine="streaming")``; Polars 2
  refuses to sum text, so text columns sum their lengths in bytes
  (``cs.string().str.len_bytes().sum()``), which reads and decodes them all the same;
- ``mlgate profile FILE --engine spark --spark-master local[2] -o out.json``, the Spark
  engine on the same file, JVM start included (``--spark-repeat`` runs, 0 to skip).

Targets (issue 13, section 2): mlgate's peak under 1 GB, its time within 4x the
streaming pass, and its peak not growing with the file's length (hence two lengths).

The files: 20 columns with data_gate.py's recipe (``make_frame``: 10 float columns with
nulls, 5 integer, 5 text), written with pyarrow in row groups of 1,000,000 rows, each
row group generated from its own seed (SEED + its index), so a shorter file is the
first row groups of a longer one. Generated once, cached in benchmarks/data/
(git-ignored): about 83 MB of Parquet per million rows (40M rows: 3.3 GB on disk,
about 6.5 GB in memory). Results are printed as Markdown and, with ``--record``, added
to benchmarks/RESULTS.md as a dated section.

    python benchmarks/large_file.py                      # 10M and 40M rows, 3 runs
    python benchmarks/large_file.py --rows 2M --rows 4M --repeat 1 --spark-repeat 0
    python benchmarks/large_file.py --record             # the run kept in RESULTS.md

Run it with the Python that has mlgate installed (``pip install -e '.[spark]'``).
"""

from __future__ import annotations

import argparse
import datetime as dt
import shlex
import sys
from collections.abc import Callable
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from data_gate import (  # noqa: E402
    DATA_DIR,
    OUT_DIR,
    SEED,
    Measurement,
    machine_facts,
    make_frame,
    memory_total,
    mlgate_command,
    mlgate_facts,
    parse_size,
    per_round,
    record,
    results_table,
    run_rounds,
    size_label,
)

#: Rows per row group, and per generated chunk (one chunk is one row group).
GROUP_ROWS = 1_000_000
#: Bump when the generated files change.
LARGE_VERSION = 1
TARGET_PEAK_BYTES = 1_000_000_000  # "under 1 GB"
TARGET_STREAMING_RATIO = 4.0
#: Peak memory at the longest file may exceed the shortest's by this share and still
#: count as "not depending on the file's length" (run-to-run noise of RSS sampling).
TARGET_GROWTH = 0.10

STREAMING_CODE = """\
import sys
import polars as pl
import polars.selectors as cs
lazy = pl.scan_parquet(sys.argv[1])
sums = lazy.select(cs.numeric().sum(), cs.string().str.len_bytes().sum())
sums = sums.collect(engine="streaming")
print(sums.width)
"""


def large_path(rows: int) -> Path:
    return DATA_DIR / f"large-v{LARGE_VERSION}-seed{SEED}-{size_label(rows)}.parquet"


def ensure_large(rows: int, log: Callable[[str], None]) -> Path:
    """The ``rows``-row file, generated once in row groups of GROUP_ROWS and cached.

    Memory stays at one chunk (about 160 MB) whatever ``rows`` is: each row group is
    generated and written before the next.
    """
    import pyarrow.parquet as pq

    path = large_path(rows)
    if path.exists():
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    log(f"generating {path.name} ({rows:,} rows in row groups of {GROUP_ROWS:,})")
    tmp = path.with_suffix(".parquet.tmp")
    writer = None
    try:
        for index, start in enumerate(range(0, rows, GROUP_ROWS)):
            n = min(GROUP_ROWS, rows - start)
            table = make_frame(n, SEED + index, shifted=False).to_arrow()
            if writer is None:
                writer = pq.ParquetWriter(tmp, table.schema)
            writer.write_table(table, row_group_size=GROUP_ROWS)
            if index % 5 == 4:
                log(f"  {start + n:,} rows written")
    finally:
        if writer is not None:
            writer.close()
    tmp.replace(path)
    return path


def measurements(rows: int, path: Path, spark_master: str) -> list[Measurement]:
    size = size_label(rows)
    out = OUT_DIR / size
    mlgate = mlgate_command()
    return [
        Measurement(
            "profile",
            "mlgate profile (Polars engine)",
            size,
            rows,
            [*mlgate, "profile", str(path), "-o", str(out / "large-profile.json")],
        ),
        Measurement(
            "streaming",
            "Polars streaming pass: per-column sums",
            size,
            rows,
            [sys.executable, "-c", STREAMING_CODE, str(path)],
        ),
        Measurement(
            "spark",
            f"mlgate profile --engine spark ({spark_master})",
            size,
            rows,
            [
                *mlgate,
                "profile",
                str(path),
                "--engine",
                "spark",
                "--spark-master",
                spark_master,
                "-o",
                str(out / "large-profile-spark.json"),
            ],
        ),
    ]


def _find(ms: list[Measurement], key: str, size: str) -> Measurement | None:
    return next((m for m in ms if m.key == key and m.size == size and m.good_runs), None)


def targets(ms: list[Measurement], sizes: list[str]) -> list[tuple[str, str, str, str]]:
    """(target, measured, goal, met/missed) rows."""
    rows: list[tuple[str, str, str, str]] = []
    for size in sizes:
        prof, stream = _find(ms, "profile", size), _find(ms, "streaming", size)
        if prof is None:
            continue
        peak = prof.peak or 0
        rows.append(
            (
                f"mlgate profile peak memory, {size}",
                f"{peak / 1e9:.2f} GB ({peak / 2**20:,.0f} MiB)",
                "< 1 GB",
                "met" if peak < TARGET_PEAK_BYTES else "missed",
            )
        )
        if stream is not None and stream.median and prof.median:
            ratio = prof.median / stream.median
            rows.append(
                (
                    f"mlgate profile time / streaming pass, {size}",
                    f"{ratio:.2f}x ({prof.median:.1f} s / {stream.median:.1f} s)"
                    + per_round(prof, stream),
                    f"<= {TARGET_STREAMING_RATIO:.0f}x",
                    "met" if ratio <= TARGET_STREAMING_RATIO else "missed",
                )
            )
    profs = [m for m in (_find(ms, "profile", s) for s in sizes) if m is not None]
    if len(profs) >= 2:
        first, last = profs[0], profs[-1]
        growth = (last.peak or 0) / (first.peak or 1) - 1
        rows.append(
            (
                f"peak memory independent of length ({first.size} -> {last.size})",
                f"{_mib(first.peak)} -> {_mib(last.peak)} ({growth:+.0%})",
                f"within +{TARGET_GROWTH:.0%}",
                "met" if growth <= TARGET_GROWTH else "missed",
            )
        )
    return rows


def _mib(n: int | None) -> str:
    return "n/a" if n is None else f"{n / 2**20:,.0f} MiB"


def render(args: argparse.Namespace, ms: list[Measurement], files: dict[str, Path]) -> str:
    machine, facts = machine_facts(), mlgate_facts()
    today = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    sizes = [size_label(r) for r in args.rows]
    command = "python benchmarks/large_file.py " + shlex.join(args.argv)
    data = "; ".join(
        f"{size}: {path.stat().st_size / 1e9:.2f} GB Parquet, "
        f"{path.stat().st_size / 1e6 / (parse_size(size) / GROUP_ROWS):.0f} MB a row group"
        for size, path in files.items()
    )
    lines = [
        f"## {today}: larger than memory on one machine (issue 13, section 2), "
        f"sizes {','.join(sizes)}",
        "",
        f"- Command: `{command.strip()}`, at {today}",
        f"- Machine: {machine['nproc']} cores (nproc), {machine['cpu']}, {machine['ram']} RAM, "
        f"{machine['os']}, Python {machine['python']}; load average at start {args.load}, "
        f"at end {machine['load']} (other work shows here)",
        f"- mlgate {facts['mlgate']} (commit {facts['commit']}), polars {facts['polars']}",
        f"- Data (benchmarks/large_file.py, data_gate.py's 20 columns, row groups of "
        f"1,000,000 rows written by pyarrow): {data}",
        f"- Runs: median of {args.repeat} per measurement ({args.spark_repeat} for Spark, "
        "whose time includes starting the JVM), interleaved, each a fresh process; peak "
        "memory as in data_gate.py (largest over the runs). Files in the page cache.",
        "",
        results_table(ms),
        "",
        "| target | measured | goal | status |",
        "| --- | --- | --- | --- |",
    ]
    lines += [f"| {a} | {b} | {c} | {d} |" for a, b, c, d in targets(ms, sizes)]
    return "\n".join(lines) + "\n"


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0],
        epilog="Generates its files on first use (benchmarks/data/, git-ignored).",
    )
    parser.add_argument(
        "--rows",
        action="append",
        type=parse_size,
        help="file length, e.g. 10M (repeatable; default: 10M and 40M)",
    )
    parser.add_argument("--repeat", type=int, default=3, help="runs of each measurement")
    parser.add_argument(
        "--spark-repeat", type=int, default=1, help="runs of the Spark engine (0: skip it)"
    )
    parser.add_argument("--spark-master", default="local[2]")
    parser.add_argument("--only-generate", action="store_true", help="generate the files and stop")
    parser.add_argument(
        "--record", action="store_true", help="add the results to benchmarks/RESULTS.md"
    )
    args = parser.parse_args(argv)
    args.argv = list(sys.argv[1:] if argv is None else argv)
    args.rows = sorted(set(args.rows or [10_000_000, 40_000_000]))
    return args


def main(argv: list[str] | None = None) -> int:
    import os

    args = parse_args(argv)
    log = lambda message: print(message, file=sys.stderr, flush=True)  # noqa: E731
    files = {size_label(rows): ensure_large(rows, log) for rows in args.rows}
    if args.only_generate:
        return 0
    args.load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    ms: list[Measurement] = []
    for rows in args.rows:
        found = measurements(rows, files[size_label(rows)], args.spark_master)
        ms += [m for m in found if m.key != "spark" or args.spark_repeat > 0]
    limit = int(memory_total() * 0.8)
    run_rounds(
        [m for m in ms if m.key != "spark"], args.repeat, timeout=3600, memory_limit=limit, log=log
    )
    run_rounds(
        [m for m in ms if m.key == "spark"],
        args.spark_repeat,
        timeout=3600,
        memory_limit=limit,
        log=log,
    )
    ms.sort(key=lambda m: (m.rows, ["profile", "streaming", "spark"].index(m.key)))
    section = render(args, ms, files)
    print(section)
    if args.record:
        record(section, section.splitlines()[0][3:])
    return 0 if all(not m.failed for m in ms) else 1


if __name__ == "__main__":
    raise SystemExit(main())
