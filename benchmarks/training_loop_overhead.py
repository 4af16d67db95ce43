"""Overhead of observing a user's own loop (issue 10, section 4: under 1.3x the plain loop).

The setup is ``training_checks.torch_spec`` (a 20 -> 64 -> 64 -> 3 MLP, Adam, batches
of 64, one thread), in the loop form: ``train_step(batch)`` does forward, loss,
backward, ``optimizer.step()`` and ``optimizer.zero_grad()``, and ``train(steps)`` calls
it for each step. For each N in ``--steps`` it times, interleaved and in a rotating
order, ``--repeat`` times:

- ``plain``: the user's loop alone, ``train_step`` called N times (what the user's CI
  would run without mlgate);
- ``observed train_step``: mlgate's main run of the same loop, ``loop_run.run_loop``
  with every hook (module, gradient, optimizer step) for N calls, the state snapshot
  and restore included;
- ``observed train``: the same for ``train(N)``, which adds the gradient hook on the
  model's output at each step that catches the loss of a loop that returns nothing.

A ratio is the median over repeats of the ratio within each repeat, for wall-clock and
for CPU time.

    python benchmarks/training_loop_overhead.py --steps 100 500 --repeat 7
"""

from __future__ import annotations

import argparse
import gc
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from training_checks import torch_spec

from mlgate.training.loop_run import run_loop
from mlgate.training.spec import as_spec
from mlgate.training.user_state import UserState


def loop_spec(form: str) -> dict[str, Any]:
    """``torch_spec`` with the user's own step (and loop) instead of ``loss_fn``."""
    spec = torch_spec()
    model, optimizer, loss_fn = spec.pop("model"), spec["optimizer"], spec.pop("loss_fn")
    batches = spec["batches"]

    def train_step(batch: tuple[torch.Tensor, torch.Tensor]) -> torch.Tensor:
        inputs, targets = batch
        loss = loss_fn(model(inputs), targets)
        loss.backward()
        optimizer.step()
        optimizer.zero_grad()
        return loss

    def train(steps: int) -> None:
        for step in range(steps):
            train_step(batches[step % len(batches)])

    spec["model"] = model
    spec["train_step" if form == "train_step" else "train"] = (
        train_step if form == "train_step" else train
    )
    return spec


def timed(fn: Callable[[], object]) -> tuple[float, float]:
    """Wall-clock and CPU time of one call; CPU time is far less disturbed by other jobs
    on a shared machine."""
    gc.collect()
    wall, cpu = time.perf_counter(), time.process_time()
    fn()
    return time.perf_counter() - wall, time.process_time() - cpu


def plain(steps: int) -> Callable[[], object]:
    spec = loop_spec("train_step")
    batches = spec["batches"]

    def run() -> None:
        for step in range(steps):
            spec["train_step"](batches[step % len(batches)])

    return run


def observed(form: str, steps: int) -> Callable[[], object]:
    spec = as_spec(loop_spec(form))

    def run() -> None:
        state = UserState.take(spec.model, spec.optimizer, spec.scheduler)
        run_loop(spec, state, seed=0, steps=steps, time_limit=600.0, label="main")
        state.restore()

    return run


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, nargs="+", default=[100, 500])
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    print(f"torch {torch.__version__}, {args.threads} thread(s), {args.repeat} repeats")
    for steps in args.steps:
        variants = {
            "plain": plain(steps),
            "observed train_step": observed("train_step", steps),
            "observed train": observed("train", steps),
        }
        for fn in variants.values():  # warm up
            fn()
        times: dict[str, list[tuple[float, float]]] = {k: [] for k in variants}
        order = list(variants)
        for r in range(args.repeat):
            rotated = order[r % len(order) :] + order[: r % len(order)]
            for key in rotated:
                times[key].append(timed(variants[key]))
        base = times["plain"]
        wall_ms = statistics.median(w for w, _ in base) * 1e3
        cpu_ms = statistics.median(c for _, c in base) * 1e3
        print(f"N={steps}: plain {wall_ms:.1f} ms wall, {cpu_ms:.1f} ms CPU")
        for key in ("observed train_step", "observed train"):
            pairs = list(zip(times[key], base, strict=True))
            wall = statistics.median(t[0] / b[0] for t, b in pairs)
            cpu = statistics.median(t[1] / b[1] for t, b in pairs)
            print(f"  {key}: {wall:.2f}x plain (wall), {cpu:.2f}x (CPU)")


if __name__ == "__main__":
    main()
