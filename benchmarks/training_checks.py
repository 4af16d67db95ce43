"""Benchmark of mlgate's training checks against the plain training loop without checks.

What it measures (issue 3, section 6: "under 2x the plain loop's time for the same
steps"), on a small MLP on the CPU (20 features -> 64 -> 64 -> 3 classes, ReLU, Adam,
cross-entropy, batches of 64 over 4,096 synthetic rows, fixed seeds), for each N in
``--steps``:

- ``plain``: the loop a user writes: forward, loss, backward, ``optimizer.step()``,
  ``optimizer.zero_grad()``, N steps over the batches (cycled), on a copy of the model
  and optimizer made before the clock starts;
- ``main``: mlgate's instrumented loop, ``mlgate.training.torch_run.train``, called as
  ``check_torch`` calls it for its main run, N steps; its copy of the model and
  optimizer is made inside the clock, as mlgate pays for it;
- ``suite``: the whole PyTorch check suite, ``check_torch(spec, Budget(steps=N))``:
  validation, the main run, the one-batch overfit run and the reproducibility run;
- ``plain, suite's steps``: the plain loop for the steps the suite takes (N on the
  batches, then the overfit run's steps on the first 32 rows, then the reproducibility
  run's steps), so the suite can also be compared step for step;
- ``mlgate check training`` as a separate process (interpreter, imports and CLI
  start-up included), against a process that imports torch, builds the same spec and
  runs the plain loop for N steps.

And the scikit-learn checks: ``check_sklearn(spec, Budget())`` on a LogisticRegression
and a GradientBoostingClassifier (50 trees) against a plain ``fit`` + ``predict`` of
the same estimator on the same rows (3,072 to fit, 1,024 to validate).

Every measurement runs once to warm up (and to check that the clean setup passes every
check), then ``--repeat`` times; the in-process PyTorch measurements, cheap and the most
disturbed by noise, run ``TORCH_ROUNDS`` times in each repeat. The machine this runs on
is small and shared, so the variants are interleaved: each repeat runs every group of
variants (a baseline and what is compared with it) back to back, in an order that
rotates from repeat to repeat, and a ratio is the median of the ratios within each
round. Wall-clock time is
the measure; CPU time (``time.process_time``, or the child's rusage) is reported beside
it, since it is far less disturbed by other jobs on the machine. torch runs with
``--threads`` intra-op threads (``torch.set_num_threads`` here, ``OMP_NUM_THREADS`` in
the child processes).

    python benchmarks/training_checks.py --quick     # N=100, 1 repeat, nothing written
    python benchmarks/training_checks.py             # the run recorded in RESULTS-training.md

Run it with the Python that has mlgate, torch and scikit-learn installed.
"""

from __future__ import annotations

import argparse
import copy
import datetime as dt
import gc
import os
import platform
import shlex
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import torch
from torch import nn

if TYPE_CHECKING:
    import numpy as np

    from mlgate.training.spec import TorchSpec

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "RESULTS-training.md"

SEED = 0
ROWS = 4_096
FEATURES = 20
HIDDEN = 64
CLASSES = 3
BATCH = 64
LR = 1e-3
#: scikit-learn: rows to fit on; the rest of ROWS validate.
SKLEARN_FIT_ROWS = 3_072
GBC_TREES = 50

DEFAULT_STEPS = (100, 500)
DEFAULT_REPEAT = 7
DEFAULT_THREADS = 1
#: The in-process PyTorch groups are cheap and the noisiest: this many rounds per repeat.
TORCH_ROUNDS = 3
#: Issue 3, section 6: the checked loop under this many times the plain loop's time.
TARGET_RATIO = 2.0
#: The time limit given to mlgate: far above any run here, so it never cuts one short.
TIME_LIMIT = 600.0

MAIN_RATIO = "main loop / plain loop"
SUITE_RATIO = "check suite / plain loop"
SUITE_SAME_RATIO = "check suite / plain loop for the suite's steps"


# --------------------------------------------------------------------------------------
# The training setup: also the entrypoint the CLI measurement imports.


def synthetic_data(rows: int = ROWS, seed: int = SEED) -> tuple[torch.Tensor, torch.Tensor]:
    """Gaussian features and classes from a noisy linear teacher: learnable, not trivial."""
    gen = torch.Generator().manual_seed(seed)
    x = torch.randn(rows, FEATURES, generator=gen)
    teacher = torch.randn(FEATURES, CLASSES, generator=gen)
    y = (x @ teacher + 0.5 * torch.randn(rows, CLASSES, generator=gen)).argmax(dim=1)
    return x, y


def torch_spec() -> dict[str, Any]:
    """The training spec: ``--entrypoint benchmarks/training_checks.py:torch_spec``."""
    x, y = synthetic_data()
    torch.manual_seed(SEED)
    model = nn.Sequential(
        nn.Linear(FEATURES, HIDDEN),
        nn.ReLU(),
        nn.Linear(HIDDEN, HIDDEN),
        nn.ReLU(),
        nn.Linear(HIDDEN, CLASSES),
    )
    return {
        "model": model,
        "optimizer": torch.optim.Adam(model.parameters(), lr=LR),
        "loss_fn": nn.CrossEntropyLoss(),
        "batches": [(x[i : i + BATCH], y[i : i + BATCH]) for i in range(0, ROWS, BATCH)],
    }


def plain_loop(
    model: nn.Module,
    optimizer: torch.optim.Optimizer,
    loss_fn: Callable[[torch.Tensor, torch.Tensor], torch.Tensor],
    batches: Sequence[tuple[torch.Tensor, torch.Tensor]],
    steps: int,
) -> None:
    """The loop without checks: forward, loss, backward, step, zero_grad."""
    model.train()
    for step in range(steps):
        inputs, targets = batches[step % len(batches)]
        loss = loss_fn(model(inputs), targets)
        loss.backward()
        optimizer.step()
        optimizer.zero_grad()


def plain_process(steps: int) -> None:
    """What the plain-loop child process runs: build the spec, train ``steps`` steps."""
    spec = torch_spec()
    plain_loop(spec["model"], spec["optimizer"], spec["loss_fn"], spec["batches"], steps)


# --------------------------------------------------------------------------------------
# Timing


@dataclass(frozen=True)
class Timing:
    wall: float
    cpu: float


def timed(fn: Callable[[], object]) -> Timing:
    """Wall-clock and CPU time of one call (all of this process's threads)."""
    gc.collect()
    wall0, cpu0 = time.perf_counter(), time.process_time()
    fn()
    return Timing(time.perf_counter() - wall0, time.process_time() - cpu0)


def timed_process(argv: Sequence[str], env: dict[str, str]) -> Timing:
    """Wall-clock time of a child process and its CPU time (user + system, from rusage)."""
    with tempfile.TemporaryFile() as err:
        wall0 = time.perf_counter()
        proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=err, env=env)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - wall0
        proc.returncode = os.waitstatus_to_exitcode(status)
        if proc.returncode != 0:
            err.seek(0)
            raise RuntimeError(
                f"{shlex.join(argv)} exited {proc.returncode}:\n"
                + err.read().decode(errors="replace")
            )
    return Timing(wall, usage.ru_utime + usage.ru_stime)


@dataclass
class Variant:
    """One measurement: a label, the steps it is for, and how to run it once."""

    key: str
    label: str
    steps: str
    run: Callable[[], Timing]
    timings: list[Timing] = field(default_factory=list)

    def median(self, attr: str) -> float:
        return statistics.median(getattr(t, attr) for t in self.timings)


@dataclass(frozen=True)
class Group:
    """Variants run back to back, ``rounds`` times in each repeat."""

    variants: list[Variant]
    rounds: int = 1


@dataclass(frozen=True)
class Ratio:
    """A measurement over its baseline; ``target`` when the issue's 2x target applies."""

    label: str
    steps: str
    num: str
    den: str
    target: bool


@dataclass
class Bench:
    groups: list[Group] = field(default_factory=list)
    ratios: list[Ratio] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    torch_steps: list[int] = field(default_factory=list)

    def variants(self) -> dict[str, Variant]:
        return {v.key: v for group in self.groups for v in group.variants}

    def paired(self, ratio: Ratio, attr: str) -> float:
        """The median of the ratios within each round (both sides timed back to back)."""
        by_key = self.variants()
        num, den = by_key[ratio.num].timings, by_key[ratio.den].timings
        return statistics.median(
            getattr(a, attr) / getattr(b, attr) for a, b in zip(num, den, strict=True)
        )


# --------------------------------------------------------------------------------------
# The measurements


def torch_group(spec: TorchSpec, steps: int, bench: Bench) -> None:
    """plain, main and suite for ``steps``, and the plain loop for the suite's steps."""
    from mlgate.findings import Status
    from mlgate.training.spec import Budget
    from mlgate.training.torch_checks import OVERFIT_ROWS, check_torch
    from mlgate.training.torch_run import train

    budget = Budget(steps=steps, time_limit=TIME_LIMIT, seed=SEED)
    findings = check_torch(spec, budget)
    bad = [f"{f.name}: {f.message}" for f in findings if f.status not in (Status.PASS, Status.SKIP)]
    if bad:
        raise RuntimeError("the clean setup does not pass every check:\n" + "\n".join(bad))
    runs = next(f for f in findings if f.name == "training.time_limit").details["runs"]
    overfit_steps, repro_steps = runs["overfit"]["steps"], runs["reproducibility"]["steps"]
    suite_steps = steps + overfit_steps + repro_steps
    first_x, first_y = spec.batches[0]
    head = ((first_x[:OVERFIT_ROWS], first_y[:OVERFIT_ROWS]),)

    def plain(batches: Sequence[tuple[Any, Any]], n: int) -> Timing:
        model, optimizer = copy.deepcopy((spec.model, spec.optimizer))
        return timed(lambda: plain_loop(model, optimizer, spec.loss_fn, batches, n))

    def plain_suite() -> Timing:
        parts = (
            plain(spec.batches, steps),
            plain(head, overfit_steps),
            plain(spec.batches, repro_steps),
        )
        return Timing(sum(p.wall for p in parts), sum(p.cpu for p in parts))

    def main() -> Timing:
        return timed(
            lambda: train(spec, seed=SEED, steps=steps, time_limit=TIME_LIMIT, label="main")
        )

    n = str(steps)
    bench.torch_steps.append(steps)
    bench.groups.append(
        Group(
            [
                Variant(f"plain{n}", "plain loop", n, lambda: plain(spec.batches, steps)),
                Variant(f"main{n}", "mlgate main loop (`torch_run.train`)", n, main),
                Variant(
                    f"suite{n}",
                    "mlgate check suite (`check_torch`)",
                    n,
                    lambda: timed(lambda: check_torch(spec, budget)),
                ),
                Variant(
                    f"plainsuite{n}",
                    "plain loop, the suite's steps",
                    f"{steps}+{overfit_steps}+{repro_steps}",
                    plain_suite,
                ),
            ],
            rounds=TORCH_ROUNDS,
        )
    )
    bench.ratios += [
        Ratio(MAIN_RATIO, n, f"main{n}", f"plain{n}", True),
        Ratio(SUITE_RATIO, n, f"suite{n}", f"plain{n}", True),
        Ratio(
            SUITE_SAME_RATIO,
            f"{suite_steps}",
            f"suite{n}",
            f"plainsuite{n}",
            False,
        ),
    ]
    bench.notes.append(
        f"N={steps}: the suite ran {steps} main steps, {overfit_steps} overfit steps (on "
        f"{OVERFIT_ROWS} rows, stopping once the loss fell to 10% of its start) and "
        f"{repro_steps} reproducibility steps; every check passed."
    )


def process_group(steps: int, env: dict[str, str], bench: Bench) -> None:
    """``mlgate check training`` end to end against a process running the plain loop."""
    mlgate = Path(sys.executable).with_name("mlgate")
    if not mlgate.exists():
        raise RuntimeError(f"{mlgate}: no mlgate console script beside this Python")
    cli = [
        str(mlgate),
        "check",
        "training",
        "--entrypoint",
        f"{Path(__file__).resolve()}:torch_spec",
        "--steps",
        str(steps),
        "--time-limit",
        str(TIME_LIMIT),
        "--format",
        "json",
    ]
    plain = [sys.executable, str(Path(__file__).resolve()), "--plain-process", str(steps)]
    n = str(steps)
    bench.groups.append(
        Group(
            [
                Variant(
                    f"plainproc{n}",
                    "plain loop, as a process",
                    n,
                    lambda: timed_process(plain, env),
                ),
                Variant(
                    f"cli{n}",
                    "`mlgate check training`, as a process",
                    n,
                    lambda: timed_process(cli, env),
                ),
            ]
        )
    )
    bench.ratios.append(
        Ratio("`mlgate check training` / plain-loop process", n, f"cli{n}", f"plainproc{n}", False)
    )


def sklearn_data() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    x, y = synthetic_data()
    xs, ys = x.numpy(), y.numpy()
    k = SKLEARN_FIT_ROWS
    return xs[:k], ys[:k], xs[k:], ys[k:]


def sklearn_group(name: str, estimator: Any, bench: Bench) -> None:
    """``check_sklearn`` against a plain fit + predict of the same estimator."""
    from sklearn.base import clone

    from mlgate.findings import Status
    from mlgate.training.sklearn_checks import check_sklearn
    from mlgate.training.spec import Budget, SklearnSpec

    x, y, x_valid, y_valid = sklearn_data()
    spec = SklearnSpec(estimator, x, y, x_valid, y_valid)
    budget = Budget(time_limit=TIME_LIMIT, seed=SEED)
    bad = [
        f"{f.name}: {f.message}"
        for f in check_sklearn(spec, budget)
        if f.status not in (Status.PASS, Status.SKIP)
    ]
    if bad:
        raise RuntimeError(f"{name} does not pass every check:\n" + "\n".join(bad))

    def plain() -> None:
        clone(estimator).fit(x, y).predict(x_valid)

    bench.groups.append(
        Group(
            [
                Variant(
                    f"skplain-{name}", f"{name}: plain fit + predict", "", lambda: timed(plain)
                ),
                Variant(
                    f"skcheck-{name}",
                    f"{name}: `check_sklearn`",
                    "",
                    lambda: timed(lambda: check_sklearn(spec, budget)),
                ),
            ]
        )
    )
    bench.ratios.append(
        Ratio(
            f"{name}: `check_sklearn` / fit + predict",
            "",
            f"skcheck-{name}",
            f"skplain-{name}",
            False,
        )
    )


# --------------------------------------------------------------------------------------
# Running


def run(bench: Bench, repeat: int, log: Callable[[str], None]) -> None:
    """A warm-up of every variant, then ``repeat`` interleaved rounds."""
    for group in bench.groups:
        for v in group.variants:
            log(f"warm-up: {v.label} {v.steps}".rstrip())
            v.run()
    n = len(bench.groups)
    for r in range(repeat):
        order = bench.groups[r % n :] + bench.groups[: r % n]
        for group in order:
            for k in range(group.rounds):
                forward = (r * group.rounds + k) % 2 == 0
                for v in group.variants if forward else reversed(group.variants):
                    v.timings.append(v.run())
        log(f"repeat {r + 1}/{repeat} done")


def machine() -> dict[str, str]:
    cpuinfo = Path("/proc/cpuinfo")
    meminfo = Path("/proc/meminfo")
    model = platform.processor() or platform.machine()
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    ram = "unknown"
    if meminfo.exists():
        for line in meminfo.read_text().splitlines():
            if line.startswith("MemTotal:"):
                ram = f"{int(line.split()[1]) / 2**20:.1f} GiB"
                break
    return {
        "cpu": model,
        "nproc": str(len(os.sched_getaffinity(0))),
        "cpus": str(os.cpu_count()),
        "ram": ram,
        "os": platform.platform(),
    }


def _load() -> str:
    return " ".join(f"{v:.2f}" for v in os.getloadavg())


def _x(v: float) -> str:
    return f"{v:.2f}x"


def render(
    bench: Bench,
    *,
    repeat: int,
    threads: int,
    command: str,
    started: dt.datetime,
    load_start: str,
    load_end: str,
) -> str:
    import sklearn

    import mlgate

    m = machine()
    lines = [
        "# Training checks: overhead against the plain training loop",
        "",
        f"Recorded {started:%Y-%m-%d %H:%M} UTC by `benchmarks/training_checks.py`. Command:",
        "",
        f"    {command}",
        "",
        "## Machine",
        "",
        f"- CPU: {m['cpu']}; nproc {m['nproc']} (of {m['cpus']} logical CPUs); RAM {m['ram']}",
        f"- {m['os']}; Python {platform.python_version()}; torch {torch.__version__} "
        f"with {threads} intra-op thread(s) (`torch.set_num_threads({threads})`, "
        f"`OMP_NUM_THREADS={threads}` for the child processes); scikit-learn "
        f"{sklearn.__version__}; mlgate {mlgate.__version__}",
        f"- load average (1, 5, 15 min) at the start: {load_start}; at the end: {load_end}. "
        "The machine is shared: other jobs ran during the measurement.",
        "",
        "## Setup",
        "",
        f"- PyTorch: an MLP {FEATURES} -> {HIDDEN} -> {HIDDEN} -> {CLASSES} (ReLU), Adam "
        f"(lr {LR:g}), cross-entropy, {ROWS // BATCH} batches of {BATCH} over {ROWS:,} "
        f"synthetic rows (Gaussian features, classes from a noisy linear teacher), seed {SEED}. "
        "The plain loop reads nothing back (no `loss.item()` for logging): the strictest "
        "baseline. mlgate's main loop reads the loss and three maxima back at every step.",
        f"- scikit-learn: the same features, {SKLEARN_FIT_ROWS:,} rows to fit and "
        f"{ROWS - SKLEARN_FIT_ROWS:,} to validate; `LogisticRegression()` and "
        f"`GradientBoostingClassifier(n_estimators={GBC_TREES})`; `check_sklearn` with the "
        "default `Budget()` (its permutation test, a second fit for reproducibility, the loss "
        "curve where the estimator has one).",
        f"- Every measurement ran once to warm up, then in {repeat} interleaved repeats: "
        "each repeat runs every group (a baseline and what is compared with it) back to "
        "back, groups in an order rotating from repeat to repeat, the variants within a "
        "group in alternating order; the in-process PyTorch groups, cheap and the most "
        f"disturbed by noise, run {TORCH_ROUNDS} rounds per repeat. Times are medians; a "
        "ratio is the median of the ratios within each round, so that noise hits both "
        "sides alike.",
        "- CPU time is `time.process_time()` in this process, or the child's user + system "
        "time (rusage) for the processes; it is far less disturbed by other jobs than wall "
        "time.",
        "",
        "## Times (seconds)",
        "",
        "| measurement | steps | runs | wall, median | wall, min - max | CPU, median |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for group in bench.groups:
        for v in group.variants:
            walls = [t.wall for t in v.timings]
            lines.append(
                f"| {v.label} | {v.steps} | {len(v.timings)} | {v.median('wall'):.3f} | "
                f"{min(walls):.3f} - {max(walls):.3f} | {v.median('cpu'):.3f} |"
            )
    lines += [
        "",
        "## Ratios",
        "",
        f"| ratio | steps | wall | CPU | under {TARGET_RATIO:g}x (the issue's target) |",
        "|---|---:|---:|---:|---|",
    ]
    for r in bench.ratios:
        wall, cpu = bench.paired(r, "wall"), bench.paired(r, "cpu")
        met = ("yes" if wall < TARGET_RATIO else "**no**") if r.target else "(not a target)"
        lines.append(f"| {r.label} | {r.steps} | {_x(wall)} | {_x(cpu)} | {met} |")
    lines += ["", "## The target", "", *verdict(bench), "", "## Notes", ""]
    lines += [f"- {note}" for note in [*bench.notes, *per_step(bench)]]
    return "\n".join(lines) + "\n"


def per_step(bench: Bench) -> list[str]:
    """The cost of a plain step, and what mlgate's main loop adds, from the paired ratio."""
    out = []
    by_key = bench.variants()
    ratios = {r.num: r for r in bench.ratios}
    for n in bench.torch_steps:
        plain = by_key[f"plain{n}"]
        ratio = ratios[f"main{n}"]
        ms = {a: plain.median(a) / n * 1e3 for a in ("wall", "cpu")}
        extra = {a: (bench.paired(ratio, a) - 1.0) * ms[a] for a in ("wall", "cpu")}
        out.append(
            f"N={n}: a plain step took {ms['wall']:.2f} ms wall ({ms['cpu']:.2f} ms CPU); "
            f"mlgate's main loop added {extra['wall']:.2f} ms wall ({extra['cpu']:.2f} ms CPU) "
            "per step, its copy of the model and optimizer and its parameter snapshots "
            "spread over the steps."
        )
    return out


def verdict(bench: Bench) -> list[str]:
    """Say, from the numbers, whether the checked loop stays under the target."""

    def judged(label: str) -> list[tuple[Ratio, float, float]]:
        return [
            (r, bench.paired(r, "wall"), bench.paired(r, "cpu"))
            for r in bench.ratios
            if r.label == label
        ]

    def line(what: str, rows: list[tuple[Ratio, float, float]]) -> str:
        met = [wall < TARGET_RATIO for _, wall, _ in rows]
        head = "met" if all(met) else "not met" if not any(met) else "met only in part"
        parts = "; ".join(
            f"N={r.steps}: {_x(wall)} wall, {_x(cpu)} CPU, "
            + ("met" if wall < TARGET_RATIO else "not met")
            for r, wall, cpu in rows
        )
        return f"- {what}, under {TARGET_RATIO:g}x: **{head}** ({parts})."

    out = []
    if rows := judged(MAIN_RATIO):
        what = "The instrumented main loop (`torch_run.train`) against the plain loop, same N steps"
        out.append(line(what, rows))
    if rows := judged(SUITE_RATIO):
        what = "The whole check suite (`check_torch`) against the plain loop of N steps"
        out.append(line(what, rows))
    if rows := judged(SUITE_SAME_RATIO):
        parts = "; ".join(f"{_x(w)} wall, {_x(c)} CPU over {r.steps} steps" for r, w, c in rows)
        out.append(
            "- The suite trains more than N steps: besides the main run, the one-batch overfit "
            "run and the reproducibility run, a fixed cost that weighs most when N is small. "
            f"Against a plain loop taking those same steps it costs {parts}."
        )
    return out


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, nargs="+", default=list(DEFAULT_STEPS))
    parser.add_argument("--repeat", type=int, default=DEFAULT_REPEAT, help="timed runs of each")
    parser.add_argument("--threads", type=int, default=DEFAULT_THREADS, help="torch threads")
    parser.add_argument("--quick", action="store_true", help="N=100, 1 repeat, write nothing")
    parser.add_argument("--output", type=Path, default=RESULTS, help="the Markdown to write")
    parser.add_argument("--no-write", action="store_true", help="print only")
    parser.add_argument("--plain-process", type=int, metavar="N", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.plain_process is not None:  # the child of the plain-loop process measurement
        plain_process(args.plain_process)
        return
    if args.quick:
        args.steps, args.repeat, args.no_write = [100], 1, True
    if args.repeat < 1 or args.threads < 1 or min(args.steps) < 1:
        parser.error("--repeat, --threads and --steps must be at least 1")

    from sklearn.ensemble import GradientBoostingClassifier
    from sklearn.linear_model import LogisticRegression

    from mlgate.training.spec import TorchSpec, as_spec

    def log(message: str) -> None:
        print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)

    torch.set_num_threads(args.threads)
    env = {**os.environ, "OMP_NUM_THREADS": str(args.threads), "MKL_NUM_THREADS": str(args.threads)}
    started, load_start = dt.datetime.now(dt.UTC), _load()
    args_given = sys.argv[1:] if argv is None else list(argv)
    command = shlex.join([sys.executable, "benchmarks/training_checks.py", *args_given])

    spec = as_spec(torch_spec())
    assert isinstance(spec, TorchSpec)
    bench = Bench()
    for steps in args.steps:
        log(f"checking the clean setup at N={steps}")
        torch_group(spec, steps, bench)
    for steps in args.steps:
        process_group(steps, env, bench)
    bench.notes.append(
        "The process rows include the interpreter's start, `import torch` and building the "
        "spec, which are most of their time and the part most disturbed by other jobs."
    )
    sklearn_group("LogisticRegression", LogisticRegression(), bench)
    sklearn_group(
        "GradientBoostingClassifier",
        GradientBoostingClassifier(n_estimators=GBC_TREES, random_state=SEED),
        bench,
    )
    run(bench, args.repeat, log)

    text = render(
        bench,
        repeat=args.repeat,
        threads=args.threads,
        command=command,
        started=started,
        load_start=load_start,
        load_end=_load(),
    )
    print(text)
    if not args.no_write:
        args.output.write_text(text)
        log(f"wrote {args.output}")


if __name__ == "__main__":
    main()
