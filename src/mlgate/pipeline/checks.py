"""The pipeline checks: small functions from one step's runs to findings.

Each takes what it judges (frames as Polars DataFrames) and returns findings without a
stage; ``mlgate.pipeline.gate`` sets ``stage: pipeline:<step>`` and ``details.step``.
How each is judged, and why, is in docs/pipeline.md.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from mlgate._format import percent
from mlgate.findings import Finding, Status
from mlgate.pipeline.contract import Contract

if TYPE_CHECKING:
    import polars as pl

    from mlgate.pipeline.run import Failure

#: A column whose values fix the target on at least this share of rows reproduces it.
LEAK_PURITY = 0.99
#: ... unless guessing the commonest class alone is right this often (nothing to leak).
LEAK_BASE_RATE = 0.9
#: A numeric target is reproduced by a column whose rank correlation is at least this.
LEAK_RANK_CORRELATION = 0.99
#: Target values with at most this many distinct values are classes.
MAX_CLASSES = 50


def step_failed(failure: Failure) -> Finding:
    # describe_exception already ends with "at FILE:LINE"; a command's failure may not.
    at = failure.at
    where = f" (at {at})" if at and at not in failure.message else ""
    return Finding(
        "pipeline.step_failed",
        Status.FAIL,
        f"the step failed: {failure.message}{where}; fix the step, or the input it cannot handle",
        details={"error": failure.message, "file": failure.file, "line": failure.line},
    )


def not_run(blocked_by: str) -> Finding:
    return Finding(
        "pipeline.step_failed",
        Status.SKIP,
        f"not run: its input {blocked_by!r} failed, so there was nothing to run it on",
        details={"blocked_by": blocked_by},
    )


def no_contract(name: str, path: str) -> Finding:
    return Finding(
        "pipeline.no_contract",
        Status.WARN,
        f"{name!r} has no contract ({path}); write one with 'mlgate pipeline infer' and "
        "commit it, so that the step's output is checked",
        details={"contract": path},
    )


def check_rows(
    contract: Contract, output: pl.DataFrame, inputs: Mapping[str, pl.DataFrame | None]
) -> list[Finding]:
    """The contract's row promise (rows lost or multiplied) and its key's uniqueness."""
    findings = []
    rows = contract.rows
    source = inputs.get(rows.relative_to) if rows.relative_to else None
    if rows.promise != "any":
        if source is None:
            findings.append(
                Finding(
                    "pipeline.rows_lost",
                    Status.ERROR,
                    f"the contract's rows.relative_to {rows.relative_to!r} is not a frame "
                    f"input of the step (its inputs: {', '.join(inputs) or 'none'}); set it "
                    "to one of them",
                    details={"relative_to": rows.relative_to},
                )
            )
        else:
            findings.append(_promise(contract, output, source))
    for name in rows.key:
        findings.append(_key_unique(name, output))
    return findings


def _promise(contract: Contract, output: pl.DataFrame, source: pl.DataFrame) -> Finding:
    rows = contract.rows
    n_in, n_out = source.height, output.height
    details: dict[str, Any] = {
        "promise": rows.promise,
        "relative_to": rows.relative_to,
        "rows_in": n_in,
        "rows_out": n_out,
    }
    if rows.promise == "one_per_key":
        key = rows.key[0]
        expected = source.get_column(key).n_unique() if key in source.columns else n_in
        details["expected"] = expected
        what = f"one row per {key!r} in {rows.relative_to!r}"
    elif rows.promise == "kept":
        expected = n_in
        details["expected"] = expected
        what = f"as many rows as {rows.relative_to!r}"
    else:  # filtered
        loss = 1.0 - n_out / n_in if n_in else 0.0
        details.update(observed_loss=round(loss, 6), max_loss=rows.max_loss)
        if n_out > n_in:
            return _multiplied(
                n_in, n_out, f"at most the {n_in} rows of {rows.relative_to!r}", details
            )
        if loss > rows.max_loss + 1e-12:
            return Finding(
                "pipeline.rows_lost",
                Status.FAIL,
                f"lost {percent(loss)} of the rows of {rows.relative_to!r} ({n_in} -> {n_out}), "
                f"above the contract's max_loss of {percent(rows.max_loss)}; a filter or an "
                "inner join drops more than it should (a wrong key, a type change?)",
                details=details,
            )
        return Finding(
            "pipeline.rows_lost",
            Status.PASS,
            f"{n_in} -> {n_out} rows, within max_loss {percent(rows.max_loss)}",
            details=details,
        )
    if n_out > expected:
        return _multiplied(expected, n_out, what, details)
    if n_out < expected:
        return Finding(
            "pipeline.rows_lost",
            Status.FAIL,
            f"{n_out} rows where the contract promises {what} ({expected}): "
            f"{expected - n_out} lost; a filter or an inner join drops rows (a wrong key?)",
            details=details,
        )
    return Finding("pipeline.rows_lost", Status.PASS, f"{n_out} rows: {what}", details=details)


def _multiplied(expected: int, n_out: int, what: str, details: dict[str, Any]) -> Finding:
    return Finding(
        "pipeline.rows_multiplied",
        Status.FAIL,
        f"{n_out} rows where the contract promises {what} ({expected}): "
        f"x{n_out / max(expected, 1):.2f}; "
        "a join matched a row more than once (a key that is not unique on one side?)",
        details=details,
    )


def _key_unique(name: str, output: pl.DataFrame) -> Finding:
    if name not in output.columns:
        return Finding(
            "pipeline.key_not_unique",
            Status.FAIL,
            f"the contract's key {name!r} is not in the output; restore it or update rows.key",
            column=name,
        )
    s = output.get_column(name)
    missing = s.null_count()
    present = s.drop_nulls()
    repeated = int(present.is_duplicated().sum())
    details: dict[str, Any] = {"repeated_rows": repeated, "missing": missing, "rows": output.height}
    if repeated or missing:
        problems = []
        if repeated:
            examples = present.filter(present.is_duplicated()).unique(maintain_order=True)
            details["examples"] = examples.head(3).to_list()
            shown = ", ".join(repr(v) for v in details["examples"])
            problems.append(f"{repeated} rows share a value (e.g. {shown})")
        if missing:
            problems.append(f"{missing} rows have none")
        return Finding(
            "pipeline.key_not_unique",
            Status.FAIL,
            f"the key {name!r} no longer identifies each row: {' and '.join(problems)}; a "
            "join matched rows more than once, or rows that did not match were padded",
            column=name,
            details=details,
        )
    return Finding(
        "pipeline.key_not_unique", Status.PASS, f"{name!r} is unique", column=name, details=details
    )


def class_dropped(
    target: str, output: pl.DataFrame, inputs: Mapping[str, pl.DataFrame | None]
) -> list[Finding]:
    """A class of the target present in the step's input and absent from its output."""
    if target not in output.columns:
        return []
    before: set[Any] = set()
    for frame in inputs.values():
        if frame is not None and target in frame.columns:
            col = frame.get_column(target)
            if col.n_unique() <= MAX_CLASSES:
                before |= set(col.drop_nulls().unique().to_list())
    if not before:
        return []
    after = set(output.get_column(target).drop_nulls().unique().to_list())
    gone = sorted(before - after, key=repr)
    if gone:
        return [
            Finding(
                "pipeline.class_dropped",
                Status.FAIL,
                f"the target class{'es' if len(gone) > 1 else ''} "
                f"{', '.join(repr(v) for v in gone)} of {target!r} went in and did not come "
                "out; a filter drops a whole class (the model will never predict it)",
                column=target,
                details={"dropped": gone, "classes_in": len(before), "classes_out": len(after)},
            )
        ]
    return [
        Finding(
            "pipeline.class_dropped",
            Status.PASS,
            f"every class of {target!r} that went in came out",
            column=target,
            details={"classes_in": len(before)},
        )
    ]


def compare_runs(a: pl.DataFrame, b: pl.DataFrame) -> dict[str, Any] | None:
    """None when two runs' outputs are equal (NaN equal to NaN), else what differs:
    ``shape``, ``columns`` that differ, and whether the rows are the same in another
    order."""
    if a.columns != b.columns or a.shape != b.shape:
        return {
            "shape": [list(a.shape), list(b.shape)],
            "columns": sorted(set(a.columns) ^ set(b.columns)),
        }
    differ = [c for c in a.columns if not _same(a.get_column(c), b.get_column(c))]
    if not differ:
        return None
    try:
        reordered = a.sort(a.columns, nulls_last=True).equals(b.sort(b.columns, nulls_last=True))
    except Exception:  # columns that cannot be sorted (lists, objects)
        reordered = False
    return {"columns": differ, "same_rows_other_order": reordered}


def _same(x: pl.Series, y: pl.Series) -> bool:
    if x.dtype != y.dtype:
        return False
    if x.dtype.is_float():
        nan_x, nan_y = x.is_nan().fill_null(False), y.is_nan().fill_null(False)
        if not nan_x.equals(nan_y):
            return False
        x, y = x.filter(~nan_x), y.filter(~nan_y)
    return x.equals(y)


def not_deterministic(diff: dict[str, Any] | None, seed: int) -> Finding:
    if diff is None:
        return Finding(
            "pipeline.not_deterministic",
            Status.PASS,
            "two runs on the same inputs gave the same output",
            details={"seeds": [seed, seed + 1]},
        )
    if diff.get("same_rows_other_order"):
        what = "the same rows in another order"
    elif "shape" in diff:
        what = f"outputs of shape {diff['shape'][0]} and {diff['shape'][1]}"
    else:
        shown = ", ".join(repr(c) for c in diff["columns"][:5])
        what = f"different values in {shown}"
    return Finding(
        "pipeline.not_deterministic",
        Status.FAIL,
        f"two runs on the same inputs gave {what}; the step depends on the global random "
        "state (a shuffle, split or sample without random_state/seed): seed it",
        details={**diff, "seeds": [seed, seed + 1]},
    )


def reproduces_target(output: pl.DataFrame, target: str) -> list[Finding]:
    """Columns of ``output`` other than the target that reproduce it: the target is
    (almost) a function of the column (``LEAK_PURITY`` of rows), grouping the column's
    values, or, for a numeric column, cutting it at no more thresholds than twice the
    classes; for a numeric target, a rank correlation of ``LEAK_RANK_CORRELATION``."""
    import polars as pl

    if target not in output.columns:
        return []
    df = output.filter(pl.col(target).is_not_null())
    n = df.height
    if n < 20:
        return []
    y = df.get_column(target)
    classes = y.n_unique()
    if classes <= MAX_CLASSES:
        base = int(y.value_counts().get_column("count").max()) / n  # type: ignore[arg-type]
        if base >= LEAK_BASE_RATE:
            return []  # the commonest class alone is right this often: nothing to leak
    findings = []
    for name in df.columns:
        if name == target:
            continue
        x = df.get_column(name)
        how = None
        if classes <= MAX_CLASSES:
            how = _categorical_leak(df, name, target, classes, n)
        elif x.dtype.is_numeric() and y.dtype.is_numeric():
            rho = df.select(pl.corr(name, target, method="spearman")).item()
            if rho is not None and abs(rho) >= LEAK_RANK_CORRELATION:
                how = f"its rank correlation with the target is {rho:.3f}"
        if how:
            findings.append(_leak(name, target, how, "reproduces"))
    return findings


def _categorical_leak(df: pl.DataFrame, name: str, target: str, classes: int, n: int) -> str | None:
    import polars as pl

    x = df.get_column(name)
    distinct = x.n_unique()
    if distinct <= n / 5:
        counts = df.group_by(name, target).len().group_by(name).agg(pl.col("len").max())
        purity = counts.get_column("len").sum() / n
        if purity >= LEAK_PURITY:
            return f"its {distinct} values give the target on {percent(purity)} of rows"
        return None
    if not x.dtype.is_numeric():
        return None
    ordered = df.select(name, target).drop_nulls(name).sort(name, target)
    labels = ordered.get_column(target)
    runs = int((labels != labels.shift(1)).fill_null(True).sum())
    if runs <= 2 * classes:
        return f"sorted by it, the target changes only {runs - 1} times in {n} rows"
    return None


def _leak(name: str, target: str, how: str, kind: str) -> Finding:
    verb = "reproduces" if kind == "reproduces" else "is computed from"
    return Finding(
        "pipeline.target_leakage",
        Status.FAIL,
        f"{name!r} {verb} the target {target!r} ({how}); a model trained on it learns the "
        "answer, not the pattern: drop it, or compute it without the target",
        column=name,
        details={"target": target, "how": kind, "evidence": how},
    )


def computed_from_target(
    base: pl.DataFrame, permuted: pl.DataFrame, target: str
) -> list[Finding] | None:
    """Columns that changed when only the target's values were shuffled in the step's
    inputs: they are computed from it. None when the comparison says nothing (the rows
    changed, or most columns did: the step sorts or filters by the target)."""
    if base.shape != permuted.shape or base.columns != permuted.columns:
        return None
    others = [c for c in base.columns if c != target]
    changed = [c for c in others if not _same(base.get_column(c), permuted.get_column(c))]
    if not others or len(changed) > len(others) / 2:
        return None
    how = "its values changed when only the target's were shuffled"
    return [_leak(c, target, how, "computed_from") for c in changed]


def no_leak(target: str, columns: int) -> Finding:
    return Finding(
        "pipeline.target_leakage",
        Status.PASS,
        f"no column reproduces or is computed from {target!r}",
        column=None,
        details={"target": target, "columns": columns},
    )


def sample_dependent(
    before: pl.DataFrame, after: pl.DataFrame, dropped: Mapping[str, Any]
) -> Finding:
    """Columns that appear or vanish when the sample lacks a rare category."""
    vanished = [c for c in before.columns if c not in after.columns]
    appeared = [c for c in after.columns if c not in before.columns]
    shown = ", ".join(f"{k}={v!r}" for k, v in dropped.items())
    details = {"vanished": vanished, "appeared": appeared, "dropped": dict(dropped)}
    if not vanished and not appeared:
        return Finding(
            "pipeline.sample_dependent_columns",
            Status.PASS,
            f"the same columns without the rows of {shown}",
            details=details,
        )
    cols = ", ".join(repr(c) for c in (vanished or appeared)[:5])
    return Finding(
        "pipeline.sample_dependent_columns",
        Status.FAIL,
        f"the output's columns depend on which categories the data holds: without the rows "
        f"of {shown}, {cols} {'vanished' if vanished else 'appeared'}; a model trained on "
        "one batch cannot score another: fit the encoder once (OneHotEncoder with "
        "handle_unknown='ignore', or a fixed list of categories), not pd.get_dummies per batch",
        column=(vanished or appeared)[0],
        details=details,
    )
