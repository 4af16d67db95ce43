"""mlgate's Spark engine against the Spark peers, same data, same run (issue 13, §3).

Each measurement is a fresh process (``data_gate.run_once``: wall time and peak memory
of its process tree, JVM included), interleaved round by round, on the data gate
benchmark's 5M-row reference file (``--rows``). Every Spark process starts the same
session (``--master``, default local[2]; driver memory 4g; no UI), reads the file with
``spark.read.parquet`` and times the work alone (printed as JSON: ``work_s``), so the
table shows both the whole command and the work after the JVM's start:

- mlgate ``--engine spark``: ``mlgate.engines.spark.profile_spark(df)``, the full
  profile (counts, nulls, extremes, moments, quantile, distinct-count and frequent-value
  sketches per column, and the row-hash sketch for duplicates);
- whylogs: ``collect_dataset_profile_view(df)`` (its Spark profiling: per-column
  counts, types, KLL quantiles, HLL cardinality, frequent items, in ``mapInPandas``);
- pandera's pyspark backend: a ``DataFrameSchema`` with every column's type and
  nullability and a range (numbers) or a set of values (text), validated;
- Great Expectations on a Spark DataFrame: per column not-null (``mostly``), min, max,
  mean and standard deviation between bounds (numbers) or values in a set (text), and
  the count of distinct values, validated as one suite;
- PyDeequ's ``ColumnProfilerRunner`` with ``--peers ...,deequ``, when Spark can fetch the
  Deequ jar from Maven Central (``spark.jars.packages``; pydeequ ships no jar);
- for context, mlgate's default engine (Polars) on the same file, no Spark.

The peers run in their own venv (``--peers-python``, default /tmp/spark-peers-venv);
mlgate runs with this Python. The venv of the recorded run, with the Spark of mlgate's
(whylogs[spark] asks for pyspark<4 and pyarrow<13, pydeequ for pyspark<4.2: their
pins were overridden so that every tool runs on the same Spark):

    python -m venv /tmp/spark-peers-venv && . /tmp/spark-peers-venv/bin/activate
    pip install 'whylogs[spark]' 'pandera[pyspark]' great_expectations pydeequ
    pip install --no-deps --force-reinstall pyspark==4.3.0 'pyarrow>=18'
    pip install zstandard 'pandas<3'   # pyspark 4.3's imports want them The data
is generated as data_gate.py does (cached in benchmarks/data/, git-ignored).

    python benchmarks/spark_peers.py --repeat 3 --record
    python benchmarks/spark_peers.py --peers pandera --compare-src ../main/src  # before/after

With ``--partitioned``, the same rows are written as a Hive-style partitioned table
(``i00=<code>/`` folders: the 5-value whole-number column becomes the partition column,
as Spark's ``partitionBy`` writes it), which Spark reads with partition discovery; the
Polars engine's row is left out there (it reads no partition folders' columns).
``--where`` adds a filter to every tool's DataFrame (``"i00 IN (1, 3)"``: a filter on
the partition column, which Spark prunes to two folders).

Each Spark row also reports the work's CPU time: that of the process tree (driver, JVM
with its JIT and GC threads, Spark's Python workers), steadier than wall time on a
machine that other work shares.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shlex
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from data_gate import (  # noqa: E402
    Measurement,
    data_paths,
    ensure_data,
    machine_facts,
    memory_total,
    mlgate_facts,
    parse_size,
    record,
    results_table,
    run_rounds,
    size_label,
)

DEFAULT_PEERS_PYTHON = Path("/tmp/spark-peers-venv/bin/python")

#: Every Spark measurement starts with this (argv: path, master) and ends by printing
#: {"work_s": ..., "work_cpu_s": ...}; WORK is the part that is timed (it may restart the
#: clocks, t1 and c1, after a set-up that is not to be counted).
SESSION = """\
import json, os, sys, time
path, master = sys.argv[1], sys.argv[2]
os.environ["PYSPARK_PYTHON"] = sys.executable  # the workers: this Python, as the driver
def cpu_s():
    # CPU seconds of this process and its tree (the JVM with its JIT and GC threads,
    # Spark's Python daemon and workers): utime + stime + reaped children's, from /proc.
    kids, total = {{}}, 0.0
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{{name}}/stat") as f:
                text = f.read()
        except OSError:
            continue
        fields = text[text.rindex(")") + 2 :].split()
        kids.setdefault(int(fields[1]), []).append((int(name), sum(map(int, fields[11:15]))))
    todo = [os.getpid()]
    while todo:
        for pid, ticks in kids.get(todo.pop(), []):
            total += ticks / os.sysconf("SC_CLK_TCK")
            todo.append(pid)
    return total + time.process_time()
t0 = time.perf_counter()
from pyspark.sql import SparkSession
spark = (SparkSession.builder.master(master).appName("bench")
         .config("spark.ui.enabled", "false").config("spark.ui.showConsoleProgress", "false")
         .config("spark.driver.memory", "4g").config("spark.pyspark.python", sys.executable)
         {extra}.getOrCreate())
spark.sparkContext.setLogLevel("ERROR")
df = spark.read.parquet(path)
if len(sys.argv) > 3:
    df = df.where(sys.argv[3])
t1, c1 = time.perf_counter(), cpu_s()
{work}
t2, c2 = time.perf_counter(), cpu_s()
print(json.dumps({{"session_s": t1 - t0, "work_s": t2 - t1, "work_cpu_s": c2 - c1, "note": note}}))
"""

MLGATE_WORK = """\
from mlgate.engines.spark import profile_spark
prof = profile_spark(df)
note = f"{prof.rows} rows"
"""

WHYLOGS_WORK = """\
from whylogs.api.pyspark.experimental import collect_dataset_profile_view
view = collect_dataset_profile_view(input_df=df)
note = f"{len(view.get_columns())} columns"
"""

# Bounds come from the schema (the types), not from a pass over the data: the work timed
# is the validation.
PANDERA_WORK = """\
import pandera.pyspark as pa
import pyspark.sql.types as T
cols = {}
for f in df.schema.fields:
    if isinstance(f.dataType, T.StringType):
        values = [r[0] for r in df.select(f.name).distinct().limit(2000).collect()]
        checks = [pa.Check.isin(values)]
    else:
        checks = [pa.Check.in_range(-1e12, 1e12)]
    cols[f.name] = pa.Column(f.dataType, checks=checks, nullable=True)
t1, c1 = time.perf_counter(), cpu_s()
out = pa.DataFrameSchema(cols).validate(df)
errors = out.pandera.errors
note = f"{len(cols)} columns, {len(errors)} error groups"
"""

GX_WORK = """\
import great_expectations as gx
import great_expectations.expectations as gxe
import pyspark.sql.types as T
ctx = gx.get_context(mode="ephemeral")
batch = (ctx.data_sources.add_spark("spark").add_dataframe_asset("df")
         .add_batch_definition_whole_dataframe("all").get_batch(
             batch_parameters={"dataframe": df}))
suite = gx.ExpectationSuite(name="profile")
for f in df.schema.fields:
    c = f.name
    suite.add_expectation(gxe.ExpectColumnValuesToNotBeNull(column=c, mostly=0.5))
    suite.add_expectation(gxe.ExpectColumnUniqueValueCountToBeBetween(column=c, min_value=1))
    if isinstance(f.dataType, T.StringType):
        suite.add_expectation(gxe.ExpectColumnDistinctValuesToBeInSet(
            column=c, value_set=[r[0] for r in df.select(c).distinct().limit(2000).collect()]))
    else:
        for e in (gxe.ExpectColumnMinToBeBetween, gxe.ExpectColumnMaxToBeBetween,
                  gxe.ExpectColumnMeanToBeBetween, gxe.ExpectColumnStdevToBeBetween):
            suite.add_expectation(e(column=c, min_value=-1e12, max_value=1e12))
suite = ctx.suites.add(suite)
t1, c1 = time.perf_counter(), cpu_s()
result = batch.validate(suite)
note = f"{len(result.results)} expectations, success={result.success}"
"""

DEEQU_EXTRA = '.config("spark.jars.packages", __import__("pydeequ").deequ_maven_coord)' + (
    '.config("spark.jars.excludes", __import__("pydeequ").f2j_maven_coord)'
)
DEEQU_WORK = """\
from pydeequ.profiles import ColumnProfilerRunner
result = ColumnProfilerRunner(spark).onData(df).run()
note = f"{len(result.profiles)} columns"
"""

POLARS_CODE = """\
import json, sys, time
t0 = time.perf_counter()
from mlgate.data.profile import profile
prof = profile(sys.argv[1])
print(json.dumps({"session_s": 0.0, "work_s": time.perf_counter() - t0,
                  "work_cpu_s": time.process_time(), "note": f"{prof.rows} rows"}))
"""


def spark_code(work: str, extra: str = "") -> str:
    return SESSION.format(work=work.rstrip("\n"), extra=extra)


def measurements(
    rows: int,
    path: Path,
    master: str,
    peers_python: Path,
    peers: list[str],
    compare_src: Path | None = None,
    where: str | None = None,
    polars: bool = True,
) -> list[Measurement]:
    size = size_label(rows)
    me = sys.executable
    args = [str(path), master, *([where] if where else [])]
    env_peer = {"SPARK_VERSION": "4.1", "PYTHONPATH": ""}  # 4.1: the newest Deequ build
    table = {
        "mlgate-spark": (
            f"mlgate --engine spark ({master})",
            [me, "-c", spark_code(MLGATE_WORK)],
            {},
        ),
        "whylogs": ("whylogs: collect_dataset_profile_view", None, env_peer),
        "pandera": ("pandera pyspark: validate types, ranges, sets", None, env_peer),
        "gx": ("Great Expectations (Spark): 4-7 expectations a column", None, env_peer),
        "deequ": ("PyDeequ: ColumnProfilerRunner", None, env_peer),
    }
    works = {"whylogs": WHYLOGS_WORK, "pandera": PANDERA_WORK, "gx": GX_WORK, "deequ": DEEQU_WORK}
    out = [
        Measurement(
            "mlgate-polars",
            "mlgate profile, Polars engine (no Spark)",
            size,
            rows,
            [me, "-c", POLARS_CODE, str(path)],
        )
    ][: 1 if polars and not where else 0]
    if compare_src is not None:
        # The same work with mlgate imported from another checkout (before and after a
        # change, in one run); its workers inherit PYTHONPATH.
        table["mlgate-spark-compare"] = (
            f"mlgate --engine spark ({master}), code of {compare_src}",
            [me, "-c", spark_code(MLGATE_WORK)],
            {"PYTHONPATH": str(compare_src)},
        )
    compared = ["mlgate-spark-compare"] if compare_src is not None else []
    for key in [*compared, "mlgate-spark", *peers]:
        label, cmd, env = table[key]
        if cmd is None:
            extra = DEEQU_EXTRA if key == "deequ" else ""
            cmd = [str(peers_python), "-c", spark_code(works[key], extra)]
        out.append(
            Measurement(
                key,
                label,
                size,
                rows,
                [*cmd, *args],
                env=env or None,
                peer=not key.startswith("mlgate-spark"),
            )
        )
    return out


def _work(m: Measurement, key: str = "work_s") -> list[float]:
    """The runs' ``key`` (``work_s``: wall seconds; ``work_cpu_s``: CPU seconds of the
    process tree) from the JSON line each printed."""
    times = []
    for run in m.good_runs:
        for line in reversed(run.stdout.strip().splitlines()):
            try:
                times.append(float(json.loads(line)[key]))
                break
            except (ValueError, KeyError, TypeError):
                continue
    return times


def _median(xs: list[float]) -> float | None:
    import statistics

    return statistics.median(xs) if xs else None


def peer_versions(python: Path) -> str:
    code = (
        "from importlib.metadata import version as v\n"
        "out = []\n"
        "for p in ('pyspark', 'whylogs', 'pandera', 'great_expectations', 'pydeequ', 'pandas'):\n"
        "    try: out.append(f'{p} {v(p)}')\n"
        "    except Exception: out.append(f'{p} not installed')\n"
        "print(', '.join(out))\n"
    )
    res = subprocess.run([str(python), "-c", code], capture_output=True, text=True)
    return res.stdout.strip() or res.stderr.strip()[-200:]


def _data_facts(args: argparse.Namespace, path: Path) -> str:
    files = sorted(path.rglob("*.parquet")) if path.is_dir() else [path]
    size = sum(f.stat().st_size for f in files) / 2**20
    what = f"{path.name} ({size:,.0f} MiB Parquet, data_gate.py's 20 columns"
    if args.partitioned:
        what += f"; {len(files)} partition folders by {PARTITION_COLUMN}"
    what += ")"
    return what + (f", filtered `{args.where}`" if args.where else "")


def render(args: argparse.Namespace, ms: list[Measurement], path: Path) -> str:
    machine, facts = machine_facts(), mlgate_facts()
    now = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    ours = next((m for m in ms if m.key == "mlgate-spark"), None)
    ours_work = _median(_work(ours)) if ours else None
    lines = [
        f"## {now}: mlgate's Spark engine against the Spark peers (issue 13, section 3), "
        f"{size_label(args.rows)}",
        "",
        f"- Command: `python benchmarks/spark_peers.py {shlex.join(args.argv)}`, at {now}",
        f"- Machine: {machine['nproc']} cores (nproc), {machine['cpu']}, {machine['ram']} RAM, "
        f"{machine['os']}, Python {machine['python']}; load average at start {args.load}, "
        f"at end {machine['load']} (other work shows here)",
        f"- mlgate {facts['mlgate']} (commit {facts['commit']}), polars {facts['polars']}; "
        f"peers ({args.peers_python}): {peer_versions(args.peers_python)}",
        f"- Data: {_data_facts(args, path)}, Spark master {args.master}, driver memory 4g, "
        "each tool in a fresh process; median of the runs; peak memory of the process "
        "tree (JVM included).",
        "",
        results_table(ms),
        "",
        "Work alone (after the session's start and `spark.read.parquet`), wall and CPU "
        "time (the process tree's: driver, JVM with its JIT and GC threads, Python "
        "workers), and the ratio of each peer's to mlgate's on Spark, in this run:",
        "",
        "| measurement | work, median | min - max | CPU, median | runs "
        "| peer / mlgate on Spark (wall) | (CPU) |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    ours_cpu = _median(_work(ours, "work_cpu_s")) if ours else None
    for m in ms:
        works, cpus = _work(m), _work(m, "work_cpu_s")
        work, cpu = _median(works), _median(cpus)
        versus = m.peer or m.key == "mlgate-spark-compare"
        ratio = f"{work / ours_work:.1f}x" if work and ours_work and versus else ""
        cpu_ratio = f"{cpu / ours_cpu:.1f}x" if cpu and ours_cpu and versus else ""
        shown = f"{work:.1f} s" if work is not None else (m.failed[:120] or "n/a")
        spread = f"{min(works):.1f} - {max(works):.1f} s" if works else ""
        cpu_shown = f"{cpu:.1f} s" if cpu is not None else ""
        lines.append(
            f"| {m.label} | {shown} | {spread} | {cpu_shown} | {len(works)} | {ratio} "
            f"| {cpu_ratio} |"
        )
    return "\n".join(lines) + "\n"


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0],
        epilog="Generates the data gate's files on first use (benchmarks/data/, git-ignored).",
    )
    parser.add_argument("--rows", type=parse_size, default=5_000_000, help="default 5M")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--master", default="local[2]")
    parser.add_argument("--peers-python", type=Path, default=DEFAULT_PEERS_PYTHON)
    parser.add_argument(
        "--peers",
        default="whylogs,pandera,gx",
        help="comma-separated subset of whylogs,pandera,gx,deequ (deequ fetches its jar "
        "from Maven Central, which this machine could not reach on 2026-12-01)",
    )
    parser.add_argument("--timeout", type=float, default=900, help="seconds per peer run")
    parser.add_argument(
        "--compare-src",
        type=Path,
        help="also time mlgate's Spark engine imported from this src/ folder (another "
        "checkout: before and after a change, in the same run)",
    )
    parser.add_argument(
        "--partitioned",
        action="store_true",
        help="read the rows as a Hive-style table partitioned by i00 (written once, cached)",
    )
    parser.add_argument("--where", help="a filter on every DataFrame, e.g. 'i00 IN (1, 3)'")
    parser.add_argument("--record", action="store_true", help="add to benchmarks/RESULTS.md")
    args = parser.parse_args(argv)
    args.argv = list(sys.argv[1:] if argv is None else argv)
    return args


#: The column whose values name the partition folders of ``--partitioned``.
PARTITION_COLUMN = "i00"


def partitioned_copy(path: Path, log: Callable[[str], None]) -> Path:
    """``path``'s rows in Hive-style folders by PARTITION_COLUMN (as Spark's
    ``partitionBy`` writes them: the column leaves the files), written once beside it."""
    import polars as pl

    out = path.with_name(f"{path.stem}-by-{PARTITION_COLUMN}")
    if (out / "_SUCCESS").exists():
        return out
    log(f"writing {out.name}/")
    frame = pl.read_parquet(path)
    for (code,), part in frame.partition_by(PARTITION_COLUMN, as_dict=True).items():
        folder = out / f"{PARTITION_COLUMN}={code}"
        folder.mkdir(parents=True, exist_ok=True)
        part.drop(PARTITION_COLUMN).write_parquet(folder / "part-0.parquet")
    (out / "_SUCCESS").touch()
    return out


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    log = lambda message: print(message, file=sys.stderr, flush=True)  # noqa: E731
    ensure_data(args.rows, log)
    path = data_paths(args.rows)[0]
    if args.partitioned:
        path = partitioned_copy(path, log)
    args.load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    peers = [p for p in args.peers.split(",") if p]
    ms = measurements(
        args.rows,
        path,
        args.master,
        args.peers_python,
        peers,
        args.compare_src,
        where=args.where,
        polars=not args.partitioned,
    )
    run_rounds(
        ms, args.repeat, timeout=args.timeout, memory_limit=int(memory_total() * 0.8), log=log
    )
    section = render(args, ms, path)
    print(section)
    if args.record:
        record(section, section.splitlines()[0][3:])
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
