"""The data gate: profile reference and current data, validate, compare, report."""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Mapping
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mlgate.data.profile import DatasetProfile, ProgressFn, empty_profile, profile, profile_then
from mlgate.engines import Engine
from mlgate.errors import InputError, name_hint
from mlgate.findings import Finding, Report, Status, apply_severity, with_stage
from mlgate.reports.evidence import DataEvidence
from mlgate.runinfo import RunClock, data_input, digest_data_ahead, file_input
from mlgate.serving.defaults import LOG_NOTES_KEY

if TYPE_CHECKING:
    from mlgate.data.schema import Schema

MODES = ("drift", "skew")
#: The stage every data-gate finding carries.
STAGE = "data"


class UnknownTarget(InputError):
    """The target column is in neither the schema nor the reference."""


def profile_pair(
    reference: Any,
    current: Any,
    *,
    progress: ProgressFn | None = None,
    engine: Engine | None = None,
) -> tuple[DatasetProfile, DatasetProfile]:
    """Profile both sides, the current data's reading starting as soon as the
    reference's ends (while its last batches are still profiled), so that no core waits
    between the two passes.

    Not in two processes, nor two whole passes at once: Polars already reads on every
    core, and either doubles the peak memory (two batches, or two copies of the
    libraries) to gain little. An error in the reference is raised first, as a pass
    over the reference alone would raise it.
    """
    if (engine is not None and engine.is_spark) or is_empty_file(reference):
        return (
            profile_input(reference, progress=progress, engine=engine),
            profile_input(current, progress=progress, engine=engine),
        )
    side = _Background(lambda read: profile_then(reference, progress=progress, read=read))
    _load_judges()  # while the reference is read: 0.1 s of imports off the critical path
    side.read.wait()  # set once the reference is read, or has failed
    if side.error is not None:
        raise side.error  # the current untouched, as a pass over the reference alone
    try:
        cur = profile_input(current, progress=progress, engine=engine)
    finally:
        ref = side.result()  # the reference's error, if any, comes first
    return ref, cur


def _load_judges() -> None:
    """Import the modules that judge profiles (schema, validation, drift: pydantic and
    SciPy behind them), which this module leaves until they are needed."""
    import mlgate.data.drift
    import mlgate.data.validate  # noqa: F401


class _Background:
    """A reference pass in a daemon thread (so that an interrupted run does not wait
    for it): ``read`` is set once its data has been read or the pass has ended."""

    def __init__(self, run: Callable[[Callable[[], None]], DatasetProfile]) -> None:
        self.read = threading.Event()
        self.error: BaseException | None = None
        self._profile: DatasetProfile | None = None
        self._thread = threading.Thread(
            target=self._main, args=(run,), name="mlgate-reference", daemon=True
        )
        self._thread.start()

    def _main(self, run: Callable[[Callable[[], None]], DatasetProfile]) -> None:
        try:
            self._profile = run(self.read.set)
        except BaseException as exc:  # handed to the caller's thread, raised there
            self.error = exc
        finally:
            self.read.set()

    def result(self) -> DatasetProfile:
        """The profile once the pass has ended; raises the pass's error."""
        self._thread.join()
        if self.error is not None:
            raise self.error
        assert self._profile is not None
        return self._profile


def profile_input(
    data: Any, *, progress: ProgressFn | None = None, engine: Engine | None = None
) -> DatasetProfile:
    """``profile(data)``, with the one rule for data with no rows: a file of 0 bytes is a
    table of no rows (and no columns), as a CSV file with only its header is one of no
    rows. As current data either fails ``quality.empty_dataset``; as a reference either
    is refused where a schema must be inferred from it (docs/data-gate.md).

    With the Spark engine (``engine``) the data is profiled by Spark
    (``mlgate.engines.spark``): Parquet paths and URIs, ``spark:db.table``, DataFrames.
    """
    if is_empty_file(data):
        return empty_profile(str(data))
    if engine is not None and engine.is_spark:
        from mlgate.engines.spark import profile_spark

        return profile_spark(data, master=engine.spark_master)
    return profile(data, progress=progress)


def is_empty_file(data: Any) -> bool:
    """Whether ``data`` names one file of 0 bytes."""
    if not isinstance(data, (str, Path)):
        return False
    try:
        path = Path(data)
        return path.is_file() and path.stat().st_size == 0
    except (OSError, ValueError):
        return False


def _as_schema(schema: Schema | str | Path | None, reference: DatasetProfile) -> Schema:
    if reference.rows == 0:
        why = (
            "so no schema can be inferred from it and there is nothing to compare with"
            if schema is None
            else "so there is nothing to compare the current data with"
        )
        raise InputError(
            f"{reference.source or 'reference'}: the reference has no rows, {why}; "
            "give a reference with data"
        )
    from mlgate.data.schema import Schema, infer_schema, load_schema

    if isinstance(schema, Schema):
        return schema
    if schema is None:
        return infer_schema(reference)
    return load_schema(schema)


def check_data(
    reference: Any,
    current: Any,
    *,
    schema: Schema | str | Path | None = None,
    target: str | None = None,
    mode: str = "drift",
    severity: Mapping[str, str] | None = None,
    progress: ProgressFn | None = None,
    engine: Engine | None = None,
) -> Report:
    """Run the data gate: schema and quality of ``current``, drift from ``reference``.

    ``reference`` and ``current`` are anything ``mlgate.profile`` accepts (paths, tables,
    saved profiles; with the Spark engine, ``engine=Engine("spark")``, also
    ``spark:db.table`` and Spark DataFrames). With ``mode="skew"`` the current data is
    serving logs and the comparison is reported as training/serving skew. The report's
    ``run`` names the reference, current and schema files with their rows, columns and
    digests.

    Raises ``InputError`` (exit 2) for data or a schema that cannot be read.
    """
    if mode not in MODES:
        raise InputError(f"mode must be one of {', '.join(MODES)}, not {mode!r}")
    clock = RunClock.start()
    digest_data_ahead(reference, current)
    ref, cur = profile_pair(reference, current, progress=progress, engine=engine)
    from mlgate.data.drift import combine_evidence, compare_profiles
    from mlgate.data.schema import kind_reasons
    from mlgate.data.validate import validate_profile

    ref, cur = _without_log_notes(ref), _without_log_notes(cur)
    sch = _as_schema(schema, ref)
    if target is not None and target not in sch.columns and ref.get(target) is None:
        raise UnknownTarget(
            f"target column {target!r} is in neither the schema nor the reference; "
            f"{name_hint(target, ref.names)}"
        )
    findings = _hint_renames(validate_profile(cur, sch, ref), ref, cur, sch)
    findings = _hint_headerless(findings, cur)
    findings = _unlabelled_target(findings, target, mode)
    findings = combine_evidence(
        findings + compare_profiles(ref, cur, sch, target=target, mode=mode)
    )
    if schema is None:
        findings = _say_inferred_kinds(findings, kind_reasons(ref))
    findings = with_stage(apply_severity(findings, severity or {}), STAGE)
    kind = "training/serving skew" if mode == "skew" else "data"
    inputs = [
        _data_input("reference", reference, ref, engine),
        _data_input("current", current, cur, engine),
    ]
    run = clock.run_info([*inputs, *_schema_input(schema)])
    evidence = {STAGE: DataEvidence(ref, cur, mode)}
    return Report(tuple(findings), title=f"mlgate {kind} check", run=run, evidence=evidence)


def _without_log_notes(prof: DatasetProfile) -> DatasetProfile:
    """The profile without the request log's own column (``LOG_NOTES_KEY``: what mlgate
    serve served outside the schema), which is no feature of the data."""
    if prof.get(LOG_NOTES_KEY) is None:
        return prof
    return replace(prof, columns=tuple(c for c in prof.columns if c.name != LOG_NOTES_KEY))


def validate(
    data: Any,
    schema: Schema | str | Path,
    *,
    severity: Mapping[str, str] | None = None,
    progress: ProgressFn | None = None,
    engine: Engine | None = None,
) -> Report:
    """Validate one dataset against a schema (no drift: there is no reference)."""
    clock = RunClock.start()
    from mlgate.data.schema import Schema, load_schema
    from mlgate.data.validate import validate_profile

    sch = schema if isinstance(schema, Schema) else load_schema(schema)
    digest_data_ahead(data)
    cur = _without_log_notes(profile_input(data, progress=progress, engine=engine))
    findings = _hint_headerless(validate_profile(cur, sch), cur)
    findings = with_stage(apply_severity(findings, severity or {}), STAGE)
    run = clock.run_info([_data_input("data", data, cur, engine), *_schema_input(schema)])
    return Report(tuple(findings), title="mlgate schema validation", run=run)


def _data_input(
    role: str, data: Any, prof: DatasetProfile, engine: Engine | None = None
) -> dict[str, Any]:
    """The dataset as a run input; a file of 0 bytes has no format to read, only a digest,
    and what only Spark reads (a catalog table, a URI) has neither."""
    if is_empty_file(data):
        return file_input(role, data, rows=0, columns=0)
    if engine is not None and engine.is_spark and not _on_this_machine(data):
        return {
            "role": role,
            "path": str(data),
            "format": "spark",
            "rows": prof.rows,
            "columns": len(prof.columns),
            "digest": None,
        }
    return data_input(role, data, prof)


def _on_this_machine(data: Any) -> bool:
    """Whether ``data`` is an in-memory table or names files here (not a Spark table or
    a URI only Spark reads)."""
    if not isinstance(data, (str, Path)):
        return True
    import glob

    text = str(data)
    return Path(text).exists() or bool(glob.glob(text))  # noqa: PTH207 (a user's pattern)


def _schema_input(schema: Schema | str | Path | None) -> list[dict[str, Any]]:
    """The schema file as a run input; an inferred or in-memory schema is no file."""
    if isinstance(schema, (str, Path)):
        return [file_input("schema", schema, fmt="yaml")]
    return []


def _unlabelled_target(findings: list[Finding], target: str | None, mode: str) -> list[Finding]:
    """A target absent from the current data is not a missing column: serving logs and
    prediction batches carry no labels. Its check is a skip that says what was not
    checked."""
    if target is None:
        return findings
    what = "training/serving skew" if mode == "skew" else "drift"
    out = []
    for f in findings:
        if f.name == "schema.missing_column" and f.column == target:
            f = replace(
                f,
                status=Status.SKIP,
                message=f"not checked: the target {target!r} is not in the current data "
                f"(serving logs and prediction batches carry no labels), so its {what} "
                "was not checked",
            )
        out.append(f)
    return out


def _say_inferred_kinds(findings: list[Finding], reasons: Mapping[str, str]) -> list[Finding]:
    """Where a column's inferred kind decided a failure or a warning, say which kind and
    why, so that a wrong guess is seen and corrected in a committed schema."""
    out = []
    for f in findings:
        kind = f.details.get("kind")
        if f.status in (Status.FAIL, Status.WARN) and kind and f.column in reasons:
            note = (
                f" [inferred {kind}: {reasons[f.column]}; correct the kind in a committed "
                "schema if wrong]"
            )
            f = replace(f, message=f.message + note, details={**f.details, "kind_inferred": True})
        out.append(f)
    return out


#: The names Polars gives the columns of a CSV file read without a header row.
_HEADERLESS_NAME = re.compile(r"column_\d+")


def _hint_headerless(findings: list[Finding], cur: DatasetProfile) -> list[Finding]:
    """Say so when the schema's columns are missing because the data was read as
    having no header row: the file is at fault only if its first line really is data."""
    names = cur.names
    if not names or not all(_HEADERLESS_NAME.fullmatch(n) for n in names):
        return findings
    hint = (
        f"; {cur.source or 'the data'} was read as having no header row (its first "
        f"line looked like data, so its columns are named {names[0]}, ...): if that "
        "line names the columns, give them names that are not all numbers, or write "
        "the data as Parquet"
    )
    return [
        replace(f, message=f.message + hint, details={**f.details, "headerless": True})
        if f.name == "schema.missing_column" and f.status is Status.FAIL
        else f
        for f in findings
    ]


def _hint_renames(
    findings: list[Finding], ref: DatasetProfile, cur: DatasetProfile, schema: Schema
) -> list[Finding]:
    """Pair a missing column with a new one of the same type and distribution."""
    from mlgate.data.drift import compare_column

    missing = [f.column for f in findings if f.name == "schema.missing_column" and f.column]
    new = [f.column for f in findings if f.name == "schema.new_column" and f.column]
    pairs: dict[str, str] = {}
    for old in missing:
        before = ref.get(old)
        if before is None:
            continue
        for name in new:
            after = cur.get(name)
            if name in pairs.values() or after is None:
                continue
            if after.logical_type != before.logical_type or before.non_null < 2:
                continue
            col_schema = schema.columns.get(old)
            if col_schema is None:
                continue
            if compare_column(before, after, col_schema).status is Status.PASS:
                pairs[old] = name
                break
    if not pairs:
        return findings
    renamed_to = {new_name: old for old, new_name in pairs.items()}
    out = []
    for f in findings:
        if f.name == "schema.missing_column" and f.column in pairs:
            hint = f"; it looks renamed to {pairs[f.column]!r} (same type and distribution)"
            f = replace(
                f, message=f.message + hint, details={**f.details, "renamed_to": pairs[f.column]}
            )
        elif f.name == "schema.new_column" and f.column in renamed_to:
            hint = f"; it looks like {renamed_to[f.column]!r} renamed"
            f = replace(
                f,
                message=f.message + hint,
                details={**f.details, "renamed_from": renamed_to[f.column]},
            )
        out.append(f)
    return out
