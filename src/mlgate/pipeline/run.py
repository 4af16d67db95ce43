"""Running the pipeline's steps: import each callable, bind its parameters, call it.

Each parameter of a step is named after a source or an earlier step and receives a
fresh copy of its output (a step that changes its input in place cannot change what
another step, or a second run, sees). Frames are pandas DataFrames by default, Polars
with ``frame: polars``; every frame output is also kept as a Polars DataFrame, which
profiles and comparisons read. A step that raises is recorded, located at the user's
own file and line (``training.spec.user_frame``), and the steps that need its output
are not run. Shell ``cmd:`` steps are in ``mlgate.pipeline.shell``.

The global ``random`` and ``numpy.random`` states are seeded for a run and restored
after it, so that a run is repeatable and the caller's state is left as found.
"""

from __future__ import annotations

import inspect
import sys
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mlgate._seeding import seeded_globals
from mlgate.errors import ConfigError, InputError, MlgateError, name_hint
from mlgate.pipeline.config import PipelineStage, Step

if TYPE_CHECKING:
    import polars as pl


class StepOutputError(InputError):
    """A step returned what its declaration does not allow (exit 2)."""


@dataclass(frozen=True)
class Where:
    """Where a step is declared: the config file and the line of its ``run:``/``cmd:``."""

    file: str
    line: int

    def error(self, key: str, message: str) -> ConfigError:
        return ConfigError(
            f"{self.file}:{self.line}: {key}: {message}", file=self.file, line=self.line
        )


@dataclass(frozen=True)
class BoundStep:
    """A step ready to call: its callable (or command) and the names (sources or earlier
    outputs) it takes, in parameter order; ``index`` is its place in the config's list."""

    step: Step
    index: int
    params: tuple[str, ...]
    where: Where
    func: Callable[..., Any] | None = None
    #: (parameter, the name it receives), for a ``run`` step; a parameter receives the
    #: source or output of its own name unless the step's ``inputs`` maps it to another.
    args: tuple[tuple[str, str], ...] = ()

    @property
    def name(self) -> str:
        return self.step.name

    def output_names(self) -> tuple[str, ...]:
        """The names its outputs are bound to: the step's own name, or for a ``cmd``
        step with several outputs, each output's name."""
        outputs = self.step.outputs
        if self.step.cmd is not None and len(outputs) > 1:
            return tuple(outputs)
        return (self.step.name,)


@dataclass(frozen=True)
class Output:
    """One output: the user's object as the step returned it, and, for a DataFrame, the
    same rows as a Polars DataFrame (``frame``)."""

    value: Any
    frame: pl.DataFrame | None


@dataclass(frozen=True)
class Failure:
    """A step that raised (or a command that failed): one line, and the user's file and
    line where it arose when known."""

    message: str
    file: str | None = None
    line: int | None = None

    @property
    def at(self) -> str | None:
        return f"{self.file}:{self.line}" if self.file and self.line else None


@dataclass(frozen=True)
class StepRun:
    """What running one step gave: its outputs by name, or its failure, or neither
    (``blocked_by``: an input's step failed, so it did not run)."""

    name: str
    outputs: Mapping[str, Output] = field(default_factory=dict)
    failure: Failure | None = None
    blocked_by: str | None = None
    seconds: float = 0.0


@dataclass(frozen=True)
class PipelineRun:
    """One run of every step on the same sources."""

    sources: Mapping[str, pl.DataFrame]
    steps: Mapping[str, StepRun]

    def value(self, name: str) -> Any:
        """The output (or source) bound to ``name``; KeyError if it has none."""
        if name in self.sources:
            return self.sources[name]
        for run in self.steps.values():
            if name in run.outputs:
                return run.outputs[name].value
        raise KeyError(name)

    def frame(self, name: str) -> pl.DataFrame | None:
        """The Polars frame bound to ``name`` (a source or a frame output), or None."""
        if name in self.sources:
            return self.sources[name]
        for run in self.steps.values():
            if name in run.outputs:
                return run.outputs[name].frame
        return None


def bind_steps(stage: PipelineStage, root: Path, config_file: str) -> list[BoundStep]:
    """Import every step and bind its parameters by name; nothing is called yet.

    Raises ``ConfigError`` (exit 2) naming mlgate.yaml's line for a step file or
    function that does not exist, a module that cannot be imported, or a parameter
    that is neither a source nor an earlier step's output.
    """
    from mlgate._yaml import line_of

    try:
        text = Path(config_file).read_text(encoding="utf-8")
    except OSError:
        text = ""
    known = list(stage.sources)
    bound = []
    for i, step in enumerate(stage.steps):
        key = "run" if step.run is not None else "cmd"
        line = line_of(text, ("pipeline", "steps", i, key)) or 1
        where = Where(config_file, line)
        label = f"pipeline.steps.{i}.{key}"
        if step.run is not None:
            func = _load(step.run, root, where, label)
            args = _bind(func, step, known, stage, where, label)
            names = tuple(dict.fromkeys(name for _, name in args))
            bound.append(BoundStep(step, i, names, where, func, args))
        else:
            for name in step.inputs:
                if name not in known:
                    raise where.error(
                        f"pipeline.steps.{i}.inputs",
                        f"{name!r} is neither a source nor an earlier step's output; "
                        f"{name_hint(name, known, what='names available here')}",
                    )
            bound.append(BoundStep(step, i, tuple(step.inputs), where))
        known.extend(bound[-1].output_names())
    return bound


def _load(ref: str, root: Path, where: Where, label: str) -> Callable[..., Any]:
    from mlgate.training.spec import load_entrypoint

    target, _, func = ref.rpartition(":")
    if target.endswith(".py"):
        path = Path(target) if Path(target).is_absolute() else root / target
        if not path.is_file():
            raise where.error(label, f"{target}: no such file (looked in {root}); check the path")
        ref = f"{path}:{func}"
    elif str(root) not in sys.path:
        # package.module:func resolves from the config's folder, as file paths do.
        sys.path.insert(0, str(root))
    try:
        return load_entrypoint(ref)
    except MlgateError as exc:
        raise where.error(label, str(exc)) from None


def _bind(
    func: Callable[..., Any],
    step: Step,
    known: list[str],
    stage: PipelineStage,
    where: Where,
    label: str,
) -> tuple[tuple[str, str], ...]:
    """(parameter, name) for each parameter that takes a source or an earlier output;
    ``ConfigError`` for one that takes neither and has no default."""
    try:
        signature = inspect.signature(func)
    except (TypeError, ValueError):
        raise where.error(label, f"{step.run}: its parameters cannot be read") from None
    parameters = {
        p.name: p
        for p in signature.parameters.values()
        if p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)
    }
    for param in step.inputs:
        if param not in parameters:
            raise where.error(
                f"pipeline.steps.{step_index(stage, step)}.inputs",
                f"{step.run} has no parameter {param!r}; "
                f"{name_hint(param, list(parameters), what='parameters')}",
            )
    args = []
    for p in parameters.values():
        name = step.inputs.get(p.name, p.name)
        if name in known:
            args.append((p.name, name))
            continue
        if p.default is not p.empty and p.name not in step.inputs:
            continue  # not an input: it keeps its default
        later = [s.name for s in stage.steps[step_index(stage, step) :]]
        why = (
            f"{name!r} is a step that runs later (or this one); order the steps so "
            "that it runs first"
            if name in later
            else f"{name!r} is neither a source nor an earlier step; "
            f"{name_hint(name, known, what='names available here')}"
        )
        what = "parameter" if name == p.name else f"parameter {p.name!r} takes"
        raise where.error(label, f"{step.run}: {what} {why}")
    return tuple(args)


def step_index(stage: PipelineStage, step: Step) -> int:
    return next(i for i, s in enumerate(stage.steps) if s is step)


def run_pipeline(
    steps: list[BoundStep],
    sources: Mapping[str, pl.DataFrame],
    *,
    frame: str,
    seed: int,
    root: Path,
) -> PipelineRun:
    """Run the steps in order on ``sources`` (the sample) with the globals seeded. A
    step whose input's step failed or did not run is recorded as blocked, not run."""
    runs: dict[str, StepRun] = {}
    with seeded_globals(seed):
        for bound in steps:
            partial = PipelineRun(sources, runs)
            blocked = _blocked_by(bound, partial)
            if blocked is not None:
                runs[bound.name] = StepRun(bound.name, blocked_by=blocked)
                continue
            inputs = {name: partial.value(name) for name in bound.params}
            runs[bound.name] = call_step(bound, inputs, frame=frame, root=root)
    return PipelineRun(sources, runs)


def _blocked_by(bound: BoundStep, partial: PipelineRun) -> str | None:
    for name in bound.params:
        if name in partial.sources:
            continue
        for run in partial.steps.values():
            if name in run.outputs:
                break
        else:
            owner = next(
                (r for r in partial.steps.values() if name == r.name or name in r.outputs), None
            )
            return owner.name if owner is not None else name
    return None


def call_step(bound: BoundStep, inputs: Mapping[str, Any], *, frame: str, root: Path) -> StepRun:
    """Call one step on copies of ``inputs`` (name -> a Polars source frame or an
    earlier output's value); a step that raises gives a ``StepRun`` with its failure.

    Raises ``StepOutputError`` (exit 2) for a ``returns: frame`` step that returns
    something other than a DataFrame.
    """
    if bound.step.cmd is not None:
        from mlgate.pipeline.shell import call_command

        return call_command(bound, inputs, root=root)
    assert bound.func is not None
    kwargs = {param: as_user_frame(inputs[name], frame) for param, name in bound.args}
    start = time.perf_counter()
    try:
        value = bound.func(**kwargs)
    except SystemExit as exc:  # it must not end mlgate with no report
        why = f"called sys.exit({exc.code!r}); return from the step instead of exiting"
        return StepRun(bound.name, failure=Failure(why))
    except Exception as exc:
        return StepRun(bound.name, failure=failure_of(exc))
    seconds = time.perf_counter() - start
    try:
        polars_frame = to_polars(value)
    except StepOutputError as exc:
        raise StepOutputError(
            f"step {bound.name!r} ({bound.step.run}) returned {exc}",
            file=bound.where.file,
            line=bound.where.line,
        ) from None
    if polars_frame is None and bound.step.returns == "frame":
        code = getattr(bound.func, "__code__", None)
        at = f"{code.co_filename}:{code.co_firstlineno}: " if code is not None else ""
        raise StepOutputError(
            f"{at}step {bound.name!r} ({bound.step.run}) returned "
            f"{'None' if value is None else type(value).__name__}, not a DataFrame; return "
            "the DataFrame (a missing return?), or set returns: object on the step in "
            f"{Path(bound.where.file).name}:{bound.where.line} if it returns a model",
            file=code.co_filename if code is not None else None,
            line=code.co_firstlineno if code is not None else None,
        )
    return StepRun(bound.name, {bound.name: Output(value, polars_frame)}, seconds=seconds)


#: Characters of an exception's message kept in a finding (scikit-learn's run to 600).
MESSAGE_CHARS = 240


def failure_of(exc: BaseException) -> Failure:
    """The exception in one line (its message cut to ``MESSAGE_CHARS``) and the user's
    own file and line where it arose (``training.spec.user_frame``)."""
    from mlgate.training.spec import user_frame

    where = user_frame(exc)
    file, line = where if where is not None else (None, None)
    text = " ".join(str(exc).split())
    if len(text) > MESSAGE_CHARS:
        text = text[: MESSAGE_CHARS - 1] + "…"
    return Failure(f"{type(exc).__name__}: {text}", file, line)


def as_user_frame(value: Any, frame: str) -> Any:
    """A copy of ``value`` in the frame kind steps take: a Polars source or output as
    pandas (``frame: pandas``) or Polars; a pandas frame copied deeply; anything else
    (a fitted model) as it is."""
    import polars as pl

    if isinstance(value, pl.DataFrame):
        return value.to_pandas() if frame == "pandas" else value.clone()
    if _is_pandas_frame(value):
        return value.copy(deep=True) if frame == "pandas" else pl.from_pandas(value)
    return value


def _is_pandas_frame(value: Any) -> bool:
    return (
        type(value).__module__.startswith("pandas")
        and hasattr(value, "columns")
        and hasattr(value, "iloc")
    )


def to_polars(value: Any) -> pl.DataFrame | None:
    """``value`` as a Polars DataFrame when it is a DataFrame (pandas, Polars, a lazy
    Polars frame), else None. A pandas index that is not the default 0..n-1 becomes
    columns (a groupby's key lives there); object columns Arrow cannot type (mixed
    values) are read as text. Raises ``StepOutputError`` for a frame with two columns of
    one name."""
    import polars as pl

    if isinstance(value, pl.LazyFrame):
        return value.collect()
    if isinstance(value, pl.DataFrame):
        return value
    if not _is_pandas_frame(value):
        return None
    import pandas as pd

    df = value
    repeated = sorted({str(c) for c in df.columns[df.columns.duplicated()]})
    if repeated:
        # Arrow, and every check after, needs one column per name.
        raise StepOutputError(
            f"a DataFrame with the column name {', '.join(map(repr, repeated))} twice; give "
            "each column its own name (pd.concat and merges with suffixes=(None, None) repeat them)"
        )
    if not (isinstance(df.index, pd.RangeIndex) and df.index.start == 0 and df.index.step == 1):
        if any(n is not None for n in df.index.names):
            df = df.reset_index()
        else:
            df = df.reset_index(drop=True)
    df = df.rename(columns=str)
    try:
        return pl.from_pandas(df)
    except Exception:  # mixed types in an object column: Arrow refuses it
        mixed = {
            c: df[c].map(lambda v: None if v is None else str(v))
            for c in df.columns
            if df[c].dtype == object
        }
        return pl.from_pandas(df.assign(**mixed))
