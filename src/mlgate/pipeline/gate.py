"""``mlgate pipeline infer`` and ``mlgate check pipeline``: the pipeline's steps on a
sample, each against its committed contract.

``check_pipeline`` runs the steps once on the sample and holds every frame output to
its contract (schema and quality as in the data gate, then the row promise and key);
then judges each step alone on the inputs that run gave it: run again with the global
random state seeded differently (determinism), run with the target's values shuffled
(leakage); and runs the whole pipeline once more on the sample without the rows of each
low-cardinality column's rarest value (columns that depend on the sample). The first
step that broke is named; a later step that failed on its output only inherited it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mlgate.errors import ConfigError, MlgateError
from mlgate.findings import Finding, Report, Status, apply_severity
from mlgate.pipeline import checks
from mlgate.pipeline.config import PipelineStage
from mlgate.pipeline.run import BoundStep, PipelineRun, bind_steps, call_step, run_pipeline

if TYPE_CHECKING:
    import polars as pl

    from mlgate.pipeline.contract import Contract


@dataclass(frozen=True)
class Prepared:
    """A pipeline ready to run: its config, the folder paths are relative to, the
    bound steps, and the sources (sampled unless ``full``)."""

    stage: PipelineStage
    root: Path
    config_file: str
    steps: list[BoundStep]
    sources: Mapping[str, pl.DataFrame]
    inputs: list[dict[str, Any]]

    @property
    def contracts(self) -> Path:
        return self.root / self.stage.contracts

    def run(
        self, sources: Mapping[str, pl.DataFrame] | None = None, seed: int | None = None
    ) -> PipelineRun:
        return run_pipeline(
            self.steps,
            self.sources if sources is None else sources,
            frame=self.stage.frame,
            seed=self.stage.seed if seed is None else seed,
            root=self.root,
        )


def prepare(
    config_path: str | Path,
    *,
    full: bool = False,
    empty: bool = False,
    sources: Mapping[str, str] | None = None,
    sample: int | None = None,
    seed: int | None = None,
) -> Prepared:
    """Load the config's ``pipeline:`` section, bind the steps, read and sample the
    sources. ``sources`` (name -> path), ``sample`` and ``seed`` replace the config's
    (main's pipeline is run on the pull request's sample). Raises ``ConfigError`` or
    ``InputError`` (exit 2) for what the user fixes."""
    from mlgate._yaml import line_of
    from mlgate.config import load_config
    from mlgate.data import io
    from mlgate.pipeline.sample import sample_sources
    from mlgate.runinfo import data_input

    config, root = load_config(config_path)
    stage = config.pipeline
    if stage is None:
        raise ConfigError(
            f"{config_path}: has no 'pipeline:' section; add one (docs/pipeline.md) or pass "
            "--config FILE"
        )
    update = {k: v for k, v in (("sample", sample), ("seed", seed)) if v is not None}
    stage = stage.model_copy(update=update) if update else stage
    steps = bind_steps(stage, root, str(config_path))
    frames = {}
    inputs = []
    text = Path(config_path).read_text(encoding="utf-8")
    for name in stage.sources:
        src = stage.source(name)
        # Main's side (``sources``) reads the pull request's files.
        given = (sources or {}).get(name, src.path)
        path = Path(given) if Path(given).is_absolute() else root / given
        try:
            frames[name] = io.read_all(io.resolve(str(path)))
        except MlgateError as exc:
            line = line_of(text, ("pipeline", "sources", name)) or 1
            raise ConfigError(
                f"{config_path}:{line}: pipeline.sources.{name}: {exc}",
                file=str(config_path),
                line=line,
            ) from None
        height, width = frames[name].shape
        shown = {"path": src.path, "rows": height, "columns": width}
        inputs.append({**data_input(f"source:{name}", str(path)), **shown})
    if stage.target is not None and not any(stage.target in df.columns for df in frames.values()):
        from mlgate.errors import name_hint

        line = line_of(text, ("pipeline", "target")) or 1
        columns = sorted({c for df in frames.values() for c in df.columns})
        raise ConfigError(
            f"{config_path}:{line}: pipeline.target: {stage.target!r} is a column of no "
            f"source; {name_hint(stage.target, columns)}",
            file=str(config_path),
            line=line,
        )
    if empty:
        sampled = {name: df.head(0) for name, df in frames.items()}
    elif full:
        sampled = frames
    else:
        keys = {n: key for n in stage.sources if (key := stage.source(n).key) is not None}
        sampled = sample_sources(
            frames, rows=stage.sample, target=stage.target, keys=keys, seed=stage.seed
        )
    return Prepared(stage, root, str(config_path), steps, sampled, inputs)


def infer_contracts(
    config_path: str | Path, *, full: bool = False, only: tuple[str, ...] = ()
) -> list[Path]:
    """Run the steps (on the sample, or every row with ``full``) and write one contract
    per frame output, ``<contracts>/<name>.yaml``, atomically. Returns the files written.

    Raises ``InputError`` (exit 2) when a step fails: a contract needs its output.
    """
    from mlgate.data.profile import profile_frame
    from mlgate.data.schema import infer_schema, kind_reasons
    from mlgate.errors import InputError
    from mlgate.pipeline.contract import Contract, contract_path, infer_rows, save_contract

    prep = prepare(config_path, full=full)
    unknown = [n for n in only if n not in {b.name for b in prep.steps}]
    if unknown:
        from mlgate.errors import name_hint

        raise InputError(
            f"--step {unknown[0]!r}: "
            + name_hint(unknown[0], [b.name for b in prep.steps], what="steps")
        )
    run = prep.run()
    written = []
    for bound in prep.steps:
        result = run.steps[bound.name]
        if only and bound.name not in only:
            continue
        if result.failure is not None:
            at = (
                f" at {result.failure.at}"
                if result.failure.at and result.failure.at not in result.failure.message
                else ""
            )
            raise InputError(
                f"step {bound.name!r} failed, so its contract cannot be inferred: "
                f"{result.failure.message}{at}; fix the step and run 'mlgate pipeline infer' again"
            )
        if result.blocked_by is not None:
            continue
        inputs = {n: run.frame(n) for n in bound.params}
        frame_inputs = {n: f for n, f in inputs.items() if f is not None}
        first = next(iter(frame_inputs), None)
        for name, out in result.outputs.items():
            if out.frame is None:
                continue
            if out.frame.height == 0:
                raise InputError(
                    f"step {bound.name!r} returned no rows on the sample, so there is nothing "
                    "to infer a contract from; check the step or raise pipeline.sample"
                )
            prof = profile_frame(out.frame, source=name)
            schema = infer_schema(prof)
            contract = Contract(
                step=name,
                version=schema.version,
                dataset=schema.dataset,
                columns=schema.columns,
                rows=infer_rows(out.frame, frame_inputs, first),
            )
            path = contract_path(prep.contracts, name)
            save_contract(contract, path, kind_reasons(prof))
            written.append(path)
    return written


def check_pipeline(
    config_path: str | Path,
    *,
    empty: bool = False,
    baseline: str | None = None,
    severity: Mapping[str, str] | None = None,
) -> Report:
    """Run the pipeline's checks (see the module's docstring) into one report.

    With ``empty`` the steps run on zero-row frames with the sources' columns and types
    (the wiring: does every step run, are the contracts' columns there); nothing else
    is judged. With ``baseline`` (a git ref, e.g. ``origin/main``) each output is also
    compared with main's on the same sample (``mlgate.pipeline.baseline``). Raises
    ``ConfigError``/``InputError`` (exit 2) for a config, step or contract the user must
    fix, ``GitError`` for a ref git does not know.
    """
    from mlgate.config import load_config
    from mlgate.runinfo import RunClock

    clock = RunClock.start()
    if baseline is not None:  # a mistyped ref is found before any step runs
        from mlgate.gitinfo import merge_base

        merge_base(baseline, cwd=Path(config_path).resolve().parent)
    prep = prepare(config_path, empty=empty)
    run = prep.run()
    per_step: dict[str, list[Finding]] = {b.name: [] for b in prep.steps}
    for bound in prep.steps:
        per_step[bound.name] += _judge_step(prep, bound, run, empty=empty)
    if not empty:
        for name, found in _sample_dependence(prep, run).items():
            per_step[name] += found
    if baseline is not None and not empty:
        from mlgate.pipeline.baseline import compare_with_main, mains_profiles

        mains, note = mains_profiles(prep, baseline)
        if mains is None:
            first = prep.steps[0].name
            per_step[first].append(
                Finding("pipeline.changed_from_main", Status.SKIP, f"not compared: {note}")
            )
        else:
            for name, found in compare_with_main(prep, run, mains, note).items():
                per_step[name] += found
    # The config's severities, then the command line's on top.
    overrides = {**load_config(config_path)[0].severity, **(severity or {})}
    findings = _name_steps(prep, {k: apply_severity(v, overrides) for k, v in per_step.items()})
    title = "mlgate pipeline check" + (" (zero rows: wiring only)" if empty else "")
    inputs = [*prep.inputs, *_contract_inputs(prep)]
    return Report(tuple(findings), title=title, run=clock.run_info(inputs, cwd=prep.root))


def _contract_inputs(prep: Prepared) -> list[dict[str, Any]]:
    """The contracts judged against, as run inputs with their digests."""
    from mlgate.pipeline.contract import contract_path
    from mlgate.runinfo import file_input

    out = []
    for bound in prep.steps:
        for name in bound.output_names():
            path = contract_path(prep.contracts, name)
            if path.is_file():
                shown = (Path(prep.stage.contracts) / path.name).as_posix()
                out.append(file_input(f"contract:{name}", path, fmt="yaml", shown=shown))
    return out


def _judge_step(
    prep: Prepared, bound: BoundStep, run: PipelineRun, *, empty: bool
) -> list[Finding]:
    result = run.steps[bound.name]
    if result.failure is not None:
        found = checks.step_failed(result.failure)
        if empty and bound.step.returns == "object":
            # Fitting a model on zero rows fails in most libraries by design; that says
            # nothing about the wiring. The full check runs it.
            found = replace(
                found,
                status=Status.WARN,
                message=found.message + " (on zero rows: most models cannot be fitted on "
                "none; run without --empty to check this step)",
            )
        return [found]
    if result.blocked_by is not None:
        return [checks.not_run(result.blocked_by)]
    findings = [
        Finding(
            "pipeline.step_failed",
            Status.PASS,
            f"ran in {result.seconds:.2f} s",
            details={"seconds": round(result.seconds, 3)},
        )
    ]
    inputs = {n: run.frame(n) for n in bound.params}
    target = prep.stage.target
    for name, out in result.outputs.items():
        if out.frame is None:
            continue
        contract = _contract(prep, name)
        if contract is None:
            rel = (Path(prep.stage.contracts) / f"{name}.yaml").as_posix()
            findings.append(checks.no_contract(name, rel))
        elif empty:
            findings += _columns_present(contract, out.frame)
        else:
            findings += _against_contract(contract, out.frame, inputs)
        if not empty and target is not None:
            findings += checks.class_dropped(target, out.frame, inputs)
    if not empty:
        findings += _alone(prep, bound, run)
    return findings


def _contract(prep: Prepared, name: str) -> Contract | None:
    from mlgate.pipeline.contract import contract_path, load_contract

    path = contract_path(prep.contracts, name)
    if not path.is_file():
        return None
    contract = load_contract(path)
    if contract.step != name:
        raise ConfigError(
            f"{path}: is the contract of step {contract.step!r}, not of {name!r}; rename the "
            "file or fix its step: key",
            file=str(path),
        )
    return contract


def _against_contract(
    contract: Contract, frame: pl.DataFrame, inputs: Mapping[str, pl.DataFrame | None]
) -> list[Finding]:
    """The data gate's schema and quality checks of the output, then the row promise."""
    from mlgate.data.profile import profile_frame
    from mlgate.data.validate import validate_profile

    prof = profile_frame(frame, source=contract.step)
    return [*validate_profile(prof, contract), *checks.check_rows(contract, frame, inputs)]


def _columns_present(contract: Contract, frame: pl.DataFrame) -> list[Finding]:
    """Zero rows: only whether the contract's required columns exist."""
    missing = [n for n, c in contract.columns.items() if c.required and n not in frame.columns]
    return [
        Finding(
            "schema.missing_column",
            Status.FAIL,
            f"required column {n!r} is missing from the output; the step no longer writes it",
            column=n,
            details={"expected_type": contract.columns[n].type},
        )
        for n in missing
    ] or [Finding("schema.missing_column", Status.PASS, "every required column is there")]


def _alone(prep: Prepared, bound: BoundStep, run: PipelineRun) -> list[Finding]:
    """The step judged alone on the inputs the run gave it: twice with the global
    random state seeded differently (determinism), and with the target shuffled."""
    import numpy as np

    from mlgate._seeding import seeded_globals

    result = run.steps[bound.name]
    frames = {n: o.frame for n, o in result.outputs.items() if o.frame is not None}
    if not frames:
        return []
    inputs = {n: run.value(n) for n in bound.params}
    seed = prep.stage.seed
    with seeded_globals(seed):
        first = call_step(bound, inputs, frame=prep.stage.frame, root=prep.root)
    with seeded_globals(seed + 1):
        second = call_step(bound, inputs, frame=prep.stage.frame, root=prep.root)
    findings = []
    deterministic = True
    for name in frames:
        a, b = _frame_of(first, name), _frame_of(second, name)
        if a is None or b is None:
            continue  # it raised this time: not a question of determinism
        diff = checks.compare_runs(a, b)
        deterministic = deterministic and diff is None
        findings.append(checks.not_deterministic(diff, seed))
    target = prep.stage.target
    if target is None or not deterministic:
        return findings
    leaks: list[Finding] = []
    for frame in frames.values():
        leaks += checks.reproduces_target(frame, target)
    if any(_has_column(v, target) for v in inputs.values()):
        rng = np.random.default_rng(seed)
        shuffled = {n: _shuffle(v, target, rng) for n, v in inputs.items()}
        with seeded_globals(seed):
            permuted = call_step(bound, shuffled, frame=prep.stage.frame, root=prep.root)
        for name in frames:
            a, p = _frame_of(first, name), _frame_of(permuted, name)
            if a is not None and p is not None:
                found = checks.computed_from_target(a, p, target)
                seen = {f.column for f in leaks}
                leaks += [f for f in found or [] if f.column not in seen]
    return findings + (leaks or [checks.no_leak(target, sum(f.width for f in frames.values()))])


def _frame_of(result: Any, name: str) -> pl.DataFrame | None:
    out = result.outputs.get(name)
    return out.frame if out is not None else None


def _has_column(value: Any, column: str) -> bool:
    return hasattr(value, "columns") and column in list(value.columns)


def _shuffle(value: Any, column: str, rng: Any) -> Any:
    """A copy of ``value`` with ``column``'s values shuffled (others as they are)."""
    import polars as pl

    if not _has_column(value, column):
        return value
    order = rng.permutation(len(value))
    if isinstance(value, pl.DataFrame):
        return value.with_columns(value.get_column(column).gather(order))
    copy = value.copy(deep=True)
    copy[column] = copy[column].to_numpy()[order]
    return copy


def _sample_dependence(prep: Prepared, run: PipelineRun) -> dict[str, list[Finding]]:
    """Run every step on the sample without the rows of each low-cardinality column's
    rarest value (at most 20% of the rows; not the target, not a join key) and compare
    the columns of every frame output with the first run's."""
    import polars as pl

    from mlgate.pipeline.sample import LOW_CARDINALITY

    keyed = {n for n in prep.stage.sources if prep.stage.source(n).key}
    dropped: dict[str, Any] = {}
    reduced = {}
    for name, df in prep.sources.items():
        keep = pl.lit(True)
        if name not in keyed:
            for col in df.columns:
                s = df.get_column(col)
                if col == prep.stage.target or s.dtype not in (
                    pl.String,
                    pl.Categorical,
                    pl.Enum,
                    pl.Boolean,
                ):
                    continue
                counts = s.drop_nulls().value_counts(sort=True)
                if not 2 <= counts.height <= LOW_CARDINALITY:
                    continue
                value, count = counts.row(counts.height - 1)
                if count > 0.2 * df.height:
                    continue
                dropped[f"{name}.{col}"] = value
                keep = keep & (pl.col(col).ne_missing(value))
        reduced[name] = df.filter(keep)
    if not dropped:
        return {}
    from mlgate.pipeline.run import StepOutputError

    try:
        other = prep.run(sources=reduced)
    except StepOutputError:
        # A step that returns no frame without the rare rows is judged by the main run's
        # checks when it happens there; this comparison has nothing to compare.
        return {}
    out: dict[str, list[Finding]] = {}
    for bound in prep.steps:
        a, b = run.steps[bound.name], other.steps.get(bound.name)
        if b is None:
            continue
        for name, o in a.outputs.items():
            if o.frame is None or name not in b.outputs or b.outputs[name].frame is None:
                continue
            after = b.outputs[name].frame
            assert after is not None
            out.setdefault(bound.name, []).append(checks.sample_dependent(o.frame, after, dropped))
    return out


#: Which of a step's failures the lead finding names: the one that says most about
#: what the step did (it raised; its rows; its key; a class lost), before what its
#: columns look like as a consequence.
_TELLING = (
    "pipeline.step_failed",
    "pipeline.rows_multiplied",
    "pipeline.rows_lost",
    "pipeline.key_not_unique",
    "pipeline.class_dropped",
    "pipeline.target_leakage",
    "pipeline.not_deterministic",
    "schema.",
    "pipeline.sample_dependent_columns",
)


def _telling(f: Finding) -> int:
    return next((i for i, code in enumerate(_TELLING) if f.name.startswith(code)), len(_TELLING))


def _name_steps(prep: Prepared, per_step: Mapping[str, list[Finding]]) -> list[Finding]:
    """Every finding with ``stage: pipeline:<step>`` and ``details.step``; a failure in a
    step downstream of a step that failed is marked as inherited from the first of them,
    and a ``pipeline.first_broken`` finding leads when anything failed."""
    owner = {o: b.name for b in prep.steps for o in b.output_names()}
    parents = {b.name: {owner[p] for p in b.params if p in owner} for b in prep.steps}
    order = [b.name for b in prep.steps]

    def ancestors(name: str) -> set[str]:
        seen: set[str] = set()
        todo = list(parents[name])
        while todo:
            p = todo.pop()
            if p not in seen:
                seen.add(p)
                todo.extend(parents[p])
        return seen

    bad = {
        s for s, fs in per_step.items() if any(f.status in (Status.FAIL, Status.ERROR) for f in fs)
    }
    first_of = {s: next((a for a in order if a in ancestors(s) & bad), None) for s in order}
    out: list[Finding] = []
    for name in order:
        inherited = first_of[name]
        for f in per_step[name]:
            details = {**f.details, "step": name}
            message = f.message
            if inherited and f.status in (Status.FAIL, Status.ERROR):
                details["inherited_from"] = inherited
                message += f" [inherited: {inherited!r} upstream broke first]"
            out.append(replace(f, stage=f"pipeline:{name}", details=details, message=message))
    roots = [s for s in order if s in bad and first_of[s] is None]
    if roots:
        broken = [
            f
            for f in out
            if f.details["step"] == roots[0] and f.status in (Status.FAIL, Status.ERROR)
        ]
        first = min(broken, key=_telling)
        heirs = [s for s in order if s in bad and first_of[s] is not None]
        where = f", column {first.column!r}" if first.column else ""
        also = f"; {', '.join(repr(s) for s in heirs)} only inherited it" if heirs else ""
        others = roots[1:]
        more = f"; {', '.join(repr(s) for s in others)} broke on its own too" if others else ""
        out.insert(
            0,
            Finding(
                "pipeline.first_broken",
                Status.FAIL,
                f"the pipeline breaks first in {roots[0]!r}{where} ({first.name}){also}{more}; "
                "start there",
                column=first.column,
                stage=f"pipeline:{roots[0]}",
                details={
                    "step": roots[0],
                    "check": first.name,
                    "inherited": heirs,
                    "independent": others,
                    # Where the first failure arose, when it says (a step that raised).
                    **{k: first.details[k] for k in ("file", "line") if k in first.details},
                },
            ),
        )
    return out
