"""Benchmark of ``mlgate check pipeline``'s own overhead beyond the user's steps.

What it measures (issue 12, section 3: "the check's own overhead (sampling, profiling,
contracts) under 1 s beyond the user's steps for a 5-step pipeline on 2,000-row
samples"): a 5-step pandas pipeline (clean, join customers, features with a fixed
one-hot encoding, per-customer aggregates joined back, the model matrix) over an
orders source of ``--rows`` rows and a customers source of 5,000, sampled to 2,000 rows
per source. The steps add the time they spend to a counter (``_steps_clock``, a module
the pipeline file and this script share), so that

    overhead = check_pipeline's wall time - the time spent inside the user's steps

whatever the number of times the check calls them (once for the run, twice more for
determinism, once with the target shuffled, once more for the sample without each rare
category: about five calls per step). The check runs in this process after one warm-up
(imports and the first-time costs are then paid); ``--repeat`` runs, medians reported.

    python benchmarks/pipeline_check.py                # prints the table
    python benchmarks/pipeline_check.py --write        # and prepends it to RESULTS-pipeline.md
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

CLOCK = '''\
"""Time spent inside the pipeline's steps, shared with the benchmark."""

import functools
import time

total = 0.0


def timed(func):
    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        global total
        start = time.perf_counter()
        try:
            return func(*args, **kwargs)
        finally:
            total += time.perf_counter() - start

    return wrapper
'''

STEPS = """\
import pandas as pd

from _steps_clock import timed

CHANNELS = ["web", "store", "phone", "partner"]


@timed
def clean(orders):
    df = orders.dropna(subset=["amount"]).copy()
    df["amount"] = df["amount"].clip(lower=0)
    df["channel"] = df["channel"].fillna("web")
    return df


@timed
def joined(clean, customers):
    return clean.merge(customers, on="customer_id", how="left")


@timed
def features(joined):
    df = joined.copy()
    df["amount_per_year"] = df["amount"] / (df["tenure_years"] + 1)
    channel = pd.Categorical(df["channel"], categories=CHANNELS)
    dummies = pd.get_dummies(channel, prefix="ch", dtype=int)
    return pd.concat([df.reset_index(drop=True), dummies], axis=1).drop(columns=["channel"])


@timed
def customer_stats(features):
    stats = features.groupby("customer_id")["amount"].agg(["mean", "count"]).reset_index()
    return stats.rename(columns={"mean": "customer_mean", "count": "customer_orders"})


@timed
def model_matrix(features, customer_stats):
    df = features.merge(customer_stats, on="customer_id", how="left")
    return df.drop(columns=["segment"])
"""


def write_project(folder: Path, rows: int, seed: int = 0) -> Path:
    rng = np.random.default_rng(seed)
    customers = pd.DataFrame(
        {
            "customer_id": np.arange(5000),
            "tenure_years": rng.integers(0, 20, 5000),
            "segment": rng.choice(["a", "b", "c"], 5000),
        }
    )
    amount = rng.lognormal(3, 1, rows)
    amount[rng.random(rows) < 0.02] = np.nan
    orders = pd.DataFrame(
        {
            "order_id": np.arange(rows),
            "customer_id": rng.integers(0, 5000, rows),
            "amount": amount,
            "channel": rng.choice(
                ["web", "store", "phone", "partner"], rows, p=[0.5, 0.3, 0.15, 0.05]
            ),
            "returned": np.where(rng.random(rows) < 0.1, "yes", "no"),
        }
    )
    (folder / "data").mkdir()
    orders.to_parquet(folder / "data" / "orders.parquet")
    customers.to_parquet(folder / "data" / "customers.parquet")
    (folder / "_steps_clock.py").write_text(CLOCK)
    (folder / "steps.py").write_text(STEPS)
    config = folder / "mlgate.yaml"
    config.write_text(
        "pipeline:\n"
        "  sources: {orders: data/orders.parquet, customers: data/customers.parquet}\n"
        "  sample: 2000\n"
        "  target: returned\n"
        "  steps:\n"
        + "".join(
            f"    - {{name: {n}, run: 'steps.py:{n}'}}\n"
            for n in ("clean", "joined", "features", "customer_stats", "model_matrix")
        )
    )
    return config


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000, help="Rows of the orders source.")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--write", action="store_true", help="Prepend to RESULTS-pipeline.md.")
    args = parser.parse_args(argv)

    from mlgate.pipeline.gate import check_pipeline, infer_contracts

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        config = write_project(folder, args.rows)
        sys.path.insert(0, str(folder))
        import _steps_clock  # the same module the steps import

        infer_contracts(config)
        report = check_pipeline(config)  # warm-up, and the healthy pipeline must pass
        assert report.passed, [f for f in report.findings if f.status == "fail"]
        totals, users = [], []
        for _ in range(args.repeat):
            _steps_clock.total = 0.0
            start = time.perf_counter()
            check_pipeline(config)
            totals.append(time.perf_counter() - start)
            users.append(_steps_clock.total)
    overheads = [t - u for t, u in zip(totals, users, strict=True)]
    total, user, overhead = (statistics.median(x) for x in (totals, users, overheads))
    verdict = "met" if overhead < 1.0 else "NOT met"
    lines = [
        f"## {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC",
        "",
        f"Command: `python benchmarks/pipeline_check.py --rows {args.rows} --repeat {args.repeat}`",
        f"Machine: {platform.platform()}; Python {platform.python_version()}; "
        f"pandas {pd.__version__}; nproc {os.cpu_count()}; load average at the end "
        f"{' '.join(f'{x:.2f}' for x in os.getloadavg())}",
        "",
        "| measure (median of the repeats) | seconds |",
        "|---|---|",
        f"| `check_pipeline`, wall time | {total:.3f} |",
        f"| inside the user's 5 steps (every call) | {user:.3f} |",
        f"| mlgate's own overhead | {overhead:.3f} |",
        "",
        f"Target (overhead under 1 s for 5 steps on 2,000-row samples): {verdict}. "
        f"Every repeat's overhead: {', '.join(f'{x:.3f}' for x in overheads)}.",
        "",
    ]
    text = "\n".join(lines)
    print(text)
    if args.write:
        path = Path(__file__).with_name("RESULTS-pipeline.md")
        head = (
            "# Pipeline check benchmark results\n\n"
            "Written by `benchmarks/pipeline_check.py`; newest run first.\n\n"
        )
        old = path.read_text().removeprefix(head) if path.exists() else ""
        path.write_text(head + text + "\n" + old)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
