"""Per-row predictions of one model on the evaluation rows, from wherever they come.

A model is one of:

- a saved scikit-learn estimator or pipeline: a ``.skops`` file (loaded without running
  code, as ``mlgate serve`` does) or, with ``trust_pickle``, a pickle/joblib file;
- a spec entrypoint ``FILE.py:FUNC`` (or ``package.module:FUNC``) whose FUNC returns
  ``predict`` (callable(pandas.DataFrame of the evaluation rows' features) -> (N,)
  labels or values), optionally ``predict_proba`` (-> (N, K)) with ``classes`` (K labels
  in its column order), and optionally ``model`` (for PyTorch: an ``nn.Module``);
- a predictions file (any format mlgate reads) with a row id column, a ``prediction``
  column, and optionally ``proba_<class>`` columns.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from mlgate.errors import InputError, name_hint

PREDICTION_COLUMN = "prediction"
PROBA_PREFIX = "proba_"
#: The row id column of predictions files; evaluation data without it is numbered 0..N-1.
DEFAULT_ID = "row_id"
MODEL_SUFFIXES = (".skops", ".pkl", ".pickle", ".joblib")


@dataclass(frozen=True)
class EvalData:
    """The evaluation rows: features as pandas (what scikit-learn models take), the
    target (N,), and the row ids (N,) that predictions files are matched on."""

    path: str
    frame: Any  # polars.DataFrame of every column, rows with a null target dropped
    target: str
    id_column: str
    ids: np.ndarray
    dropped_null_target: int
    digest: str
    format: str = "csv"
    #: The files the rows were read from (what ``digest`` is of), in sorted order.
    paths: tuple[str, ...] = ()

    @property
    def rows(self) -> int:
        return int(self.frame.height)

    def run_input(self, role: str = "evaluation data") -> dict[str, Any]:
        """This data as an input of the report's ``run`` (``mlgate.runinfo``)."""
        return {
            "role": role,
            "path": self.path,
            "format": self.format,
            "rows": self.rows,
            "columns": len(self.frame.columns) - 1,
            "digest": self.digest,
        }

    @property
    def feature_names(self) -> list[str]:
        """Every column but the target and the row id."""
        return [c for c in self.frame.columns if c not in (self.target, self.id_column)]

    @property
    def y(self) -> np.ndarray:
        return self.frame.get_column(self.target).to_numpy()

    def features(self, names: Sequence[str] | None) -> Any:
        """A pandas DataFrame of ``names`` (a model's ``feature_names_in_``), or of every
        column but the target and the id column."""
        if names is None:
            names = self.feature_names
        missing = [n for n in names if n not in self.frame.columns]
        if missing:
            raise InputError(
                f"{self.path}: the model needs column(s) the evaluation data lacks: "
                f"{', '.join(missing)}; evaluate on data with the model's features"
            )
        return self.frame.select(list(names)).to_pandas()


def load_eval_data(path: str, target: str, *, id_column: str = DEFAULT_ID) -> EvalData:
    """Read the evaluation data (CSV, Parquet, JSON Lines, Arrow). Rows whose target is
    null cannot be scored and are dropped (counted in ``dropped_null_target``).

    Raises ``InputError`` for an unreadable file, a missing target, no rows, or
    duplicate row ids.
    """
    import polars as pl

    from mlgate._digest import file_digest
    from mlgate.data import io

    source = io.resolve(path)
    if source.kind == "profile":
        raise InputError(
            f"{path}: is a saved profile; the model gate needs the evaluation rows "
            "themselves (CSV, Parquet, JSON Lines or Arrow)"
        )
    frame = io.read_all(source)
    if target not in frame.columns:
        raise InputError(
            f"{path}: has no target column {target!r}; {name_hint(target, frame.columns)}"
        )
    if id_column in frame.columns:
        if frame.get_column(id_column).is_duplicated().any():
            raise InputError(f"{path}: row id column {id_column!r} holds duplicates")
    else:
        frame = frame.with_row_index(id_column).with_columns(pl.col(id_column).cast(pl.Int64))
    kept = frame.filter(pl.col(target).is_not_null())
    if kept.height == 0:
        raise InputError(f"{path}: no row has a value in the target column {target!r}")
    return EvalData(
        path=path,
        frame=kept,
        target=target,
        id_column=id_column,
        ids=kept.get_column(id_column).to_numpy(),
        dropped_null_target=frame.height - kept.height,
        digest=file_digest(source.paths),
        format=source.kind,
        paths=tuple(sorted(str(p) for p in source.paths)),
    )


@dataclass(frozen=True)
class ModelOutput:
    """What one model predicted for the evaluation rows, in their order.

    ``labels``: (N,) class labels or regression values; ``proba``: (N, K) class
    probabilities with columns ``classes``, or None; ``seconds``: wall time of the
    prediction (0 for a predictions file); ``model``: the loaded model (None for a
    predictions file), for the latency and behaviour checks.
    """

    labels: np.ndarray
    proba: np.ndarray | None
    classes: tuple[Any, ...] | None
    source: str
    digest: str | None = None
    seconds: float = 0.0
    model: Any = None
    predict: Callable[[Any], Any] | None = None
    predict_proba: Callable[[Any], Any] | None = None


def model_input(
    output: ModelOutput, role: str, path: str, fmt: str | None = None
) -> dict[str, Any]:
    """A model (or its predictions) as an input of the report's ``run``."""
    if fmt is not None:
        pass
    elif Path(path).is_dir():
        fmt = "baseline folder"
    elif output.model is None and output.predict is None:
        fmt = "predictions"
    else:
        fmt = Path(path).suffix.lstrip(".").lower() if is_model_file(path) else "entrypoint"
    return {
        "role": role,
        "path": path,
        "format": fmt,
        "rows": None,
        "columns": None,
        "digest": output.digest,
    }


def is_model_file(path: str) -> bool:
    return Path(path).suffix.lower() in MODEL_SUFFIXES


def predict_with_model_file(path: str, data: EvalData, *, trust_pickle: bool) -> ModelOutput:
    """Load a saved model (skops; pickle only with ``trust_pickle``) and predict."""
    from mlgate.serving.artifacts import load_model

    model = load_model(path, trust_pickle=trust_pickle)
    if not callable(getattr(model, "predict", None)):
        raise InputError(f"{path}: the saved object ({type(model).__name__}) has no predict()")
    from mlgate._digest import file_digest

    return _predict(model, data, f"model {path}", file_digest([path]))


def _predict(model: Any, data: EvalData, source: str, digest: str | None) -> ModelOutput:
    names = getattr(model, "feature_names_in_", None)
    x = data.features(None if names is None else [str(n) for n in names])
    if names is None:
        x = x.to_numpy()
    start = time.perf_counter()
    try:
        labels = np.asarray(model.predict(x))
        has_proba = callable(getattr(model, "predict_proba", None))
        proba = np.asarray(model.predict_proba(x), dtype=float) if has_proba else None
    except Exception as exc:
        from mlgate.training.spec import describe_exception

        raise InputError(
            f"{source}: predicting the {data.rows} evaluation rows of {data.path} failed: "
            f"{describe_exception(exc)}; check that the data has the columns and types the "
            "model was trained on"
        ) from None
    seconds = time.perf_counter() - start
    classes = (
        tuple(np.asarray(model.classes_).tolist())
        if proba is not None and hasattr(model, "classes_")
        else None
    )
    if proba is not None and classes is None:
        proba, classes = None, None  # probabilities without their class order mean nothing
    return ModelOutput(
        _check_shape(labels, data.rows, source),
        proba,
        classes,
        source,
        digest,
        seconds,
        model,
        predict=lambda frame: model.predict(_as_input(frame, names)),
        predict_proba=(
            (lambda frame: model.predict_proba(_as_input(frame, names)))
            if proba is not None
            else None
        ),
    )


def _as_input(frame: Any, names: Any) -> Any:
    """A pandas frame as the model was fitted: named columns, or a plain array."""
    return frame if names is not None else frame.to_numpy()


def predict_with_entrypoint(ref: str, data: EvalData) -> ModelOutput:
    """Call a spec entrypoint's ``predict`` (and ``predict_proba``) on the features."""
    from mlgate.training.spec import load_entrypoint, run_user_code, spec_value

    spec = run_user_code(load_entrypoint(ref), f"calling {ref}")
    predict = spec_value(spec, "predict")
    if not callable(predict):
        raise InputError(
            f"{ref}: returned no callable 'predict'; return a dict with 'predict' (callable on "
            "a pandas DataFrame of features, returning labels or values), and optionally "
            "'predict_proba' with 'classes'"
        )
    predict_proba, classes = spec_value(spec, "predict_proba"), spec_value(spec, "classes")
    if predict_proba is not None and classes is None:
        raise InputError(f"{ref}: gives 'predict_proba' without 'classes' (its columns' labels)")
    x = data.features(spec_value(spec, "features"))
    start = time.perf_counter()
    labels = np.asarray(run_user_code(lambda: predict(x), f"{ref} predict"))
    proba = None
    if callable(predict_proba):
        proba = np.asarray(
            run_user_code(lambda: predict_proba(x), f"{ref} predict_proba"), dtype=float
        )
    seconds = time.perf_counter() - start
    from mlgate._digest import file_digest

    target = ref.rpartition(":")[0]
    digest = file_digest([target]) if target.endswith(".py") and Path(target).is_file() else None
    return ModelOutput(
        _check_shape(labels, data.rows, ref),
        proba,
        tuple(np.asarray(classes).tolist()) if classes is not None else None,
        f"entrypoint {ref}",
        digest,
        seconds,
        spec_value(spec, "model"),
        # Later calls (latency, behaviour tests) are user code too: same guard.
        predict=lambda frame: run_user_code(lambda: predict(frame), f"{ref} predict"),
        predict_proba=(
            (lambda frame: run_user_code(lambda: predict_proba(frame), f"{ref} predict_proba"))
            if callable(predict_proba)
            else None
        ),
    )


def read_predictions(path: str, data: EvalData, *, id_column: str | None = None) -> ModelOutput:
    """Read a predictions file and line it up with the evaluation rows by row id.

    Raises ``InputError`` when the file lacks the id or ``prediction`` column, or misses
    evaluation rows (extra rows are ignored, as a file may cover a larger set).
    """
    import polars as pl

    from mlgate._digest import file_digest
    from mlgate.data import io

    id_column = id_column or data.id_column
    source = io.resolve(path)
    frame = io.read_all(source)
    for needed in (id_column, PREDICTION_COLUMN):
        if needed not in frame.columns:
            raise InputError(
                f"{path}: predictions file has no {needed!r} column; it needs {id_column!r} "
                f"(the evaluation row's id), {PREDICTION_COLUMN!r} and optionally "
                f"'{PROBA_PREFIX}<class>' columns"
            )
    if frame.get_column(id_column).is_duplicated().any():
        raise InputError(f"{path}: row id column {id_column!r} holds duplicates")
    if _same_ids(frame.get_column(id_column), data.ids):
        joined = frame  # already one row per evaluation row, in order: no join
    else:
        ids = pl.DataFrame({id_column: data.ids}).with_row_index("__order")
        try:
            joined = ids.join(frame, on=id_column, how="left", coalesce=True).sort("__order")
        except pl.exceptions.PolarsError as exc:
            raise InputError(
                f"{path}: its {id_column!r} column does not match the evaluation data's "
                f"({str(exc).splitlines()[0]}); give both the same id type"
            ) from None
    missing = joined.get_column(PREDICTION_COLUMN).is_null().sum()
    if missing == data.rows:
        raise InputError(
            f"{path}: its {PREDICTION_COLUMN!r} column is empty for every evaluation row "
            f"(matched on {id_column!r}); write the model's predictions there"
        )
    if missing:
        raise InputError(
            f"{path}: has no prediction for {missing} of the {data.rows} evaluation rows of "
            f"{data.path}; predict every row (matched on {id_column!r})"
        )
    proba_cols = [c for c in frame.columns if c.startswith(PROBA_PREFIX)]
    proba = joined.select(proba_cols).to_numpy().astype(float) if proba_cols else None
    classes = tuple(_class_label(c[len(PROBA_PREFIX) :], data.y) for c in proba_cols) or None
    return ModelOutput(
        joined.get_column(PREDICTION_COLUMN).to_numpy(),
        proba,
        classes,
        f"predictions {path}",
        file_digest(source.paths),
    )


def _same_ids(column: Any, ids: np.ndarray) -> bool:
    """Whether a predictions file's ids are exactly the evaluation rows', in order."""
    if len(column) != len(ids):
        return False
    values = column.to_numpy()
    return values.dtype == ids.dtype and bool(np.array_equal(values, ids))


def write_predictions(output: ModelOutput, ids: np.ndarray, path: Path, id_column: str) -> None:
    """Write ``output`` as a predictions file (Parquet), atomically."""
    import io as _io

    import polars as pl

    from mlgate._atomic import write_bytes_atomic

    columns: dict[str, Any] = {id_column: ids, PREDICTION_COLUMN: output.labels}
    if output.proba is not None and output.classes is not None:
        for j, c in enumerate(output.classes):
            columns[f"{PROBA_PREFIX}{c}"] = output.proba[:, j]
    buf = _io.BytesIO()
    pl.DataFrame(columns).write_parquet(buf)
    write_bytes_atomic(path, buf.getvalue())


def _class_label(text: str, y: np.ndarray) -> Any:
    """A ``proba_<class>`` column's class, typed like the target (``proba_1`` is 1)."""
    if y.dtype.kind in "iu":
        try:
            return int(text)
        except ValueError:
            return text
    if y.dtype.kind == "b":
        return text.lower() == "true"
    return text


def _check_shape(labels: np.ndarray, rows: int, source: str) -> np.ndarray:
    labels = labels.reshape(-1) if labels.ndim == 2 and labels.shape[1] == 1 else labels
    if labels.ndim != 1 or len(labels) != rows:
        raise InputError(
            f"{source}: predicted shape {labels.shape} for {rows} rows; expected one "
            "prediction per row"
        )
    return labels
