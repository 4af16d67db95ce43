"""The data gate: profile reference and current data, validate, compare, report."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from mlgate.data.drift import compare_profiles
from mlgate.data.profile import DatasetProfile, ProgressFn, profile
from mlgate.data.schema import Schema, infer_schema, load_schema
from mlgate.data.validate import validate_profile
from mlgate.errors import InputError
from mlgate.findings import Report, apply_severity

MODES = ("drift", "skew")


def _as_schema(schema: Schema | str | Path | None, reference: DatasetProfile) -> Schema:
    if isinstance(schema, Schema):
        return schema
    if schema is None:
        if reference.rows == 0:
            raise InputError(
                f"{reference.source or 'reference'}: the reference has no rows, so no "
                "schema can be inferred from it; give a reference with data or --schema"
            )
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
) -> Report:
    """Run the data gate: schema and quality of ``current``, drift from ``reference``.

    ``reference`` and ``current`` are anything ``mlgate.profile`` accepts (paths, tables,
    saved profiles). With ``mode="skew"`` the current data is serving logs and the
    comparison is reported as training/serving skew.
    """
    if mode not in MODES:
        raise InputError(f"mode must be one of {', '.join(MODES)}, not {mode!r}")
    ref = profile(reference, progress=progress)
    cur = profile(current, progress=progress)
    sch = _as_schema(schema, ref)
    if target is not None and target not in sch.columns and ref.get(target) is None:
        raise InputError(
            f"target column {target!r} is in neither the schema nor the reference; "
            f"columns are: {', '.join(ref.names[:20])}"
        )
    findings = validate_profile(cur, sch)
    findings += compare_profiles(ref, cur, sch, target=target, mode=mode)
    findings = apply_severity(findings, severity or {})
    kind = "training/serving skew" if mode == "skew" else "data"
    return Report(tuple(findings), title=f"mlgate {kind} check")


def validate(
    data: Any,
    schema: Schema | str | Path,
    *,
    severity: Mapping[str, str] | None = None,
    progress: ProgressFn | None = None,
) -> Report:
    """Validate one dataset against a schema (no drift: there is no reference)."""
    sch = schema if isinstance(schema, Schema) else load_schema(schema)
    cur = profile(data, progress=progress)
    findings = apply_severity(validate_profile(cur, sch), severity or {})
    return Report(tuple(findings), title="mlgate schema validation")
