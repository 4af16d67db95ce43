"""Prediction requests checked against the committed schema, and turned into model input.

One ``InputSpec`` serves the Flask app (every request) and the serving probe (offline
predictions and deliberately bad payloads), so online and offline build the model's
input the same way. Validation is pure Python; pandas is imported only to build frames.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from mlgate.errors import InputError, MissingExtraError, name_hint

if TYPE_CHECKING:
    from mlgate.data.schema import ColumnSchema, Schema

#: Records one request may hold unless the server is told otherwise.
DEFAULT_MAX_RECORDS = 1000
#: The key a prediction is logged under when the server has no target column.
PREDICTION_KEY = "prediction"
#: How many domain values an error message lists before "...".
_SHOW_DOMAIN = 10


@dataclass(frozen=True)
class RecordError:
    """One reason a request was refused; ``record`` and ``field`` are None for the body."""

    record: int | None
    field: str | None
    error: str

    def to_dict(self) -> dict[str, Any]:
        return {"record": self.record, "field": self.field, "error": self.error}


@dataclass(frozen=True)
class RecordNote:
    """A value served although the schema did not expect it: ``kind`` is
    ``out_of_range`` (a number outside the schema's range) or ``unseen_value`` (a value
    outside its domain). The response and the server's log say so."""

    record: int
    field: str
    note: str
    kind: str

    def to_dict(self) -> dict[str, Any]:
        return {"record": self.record, "field": self.field, "warning": self.note, "kind": self.kind}


class BadRequest(Exception):
    """A request the schema refuses; the app answers it with a 400 listing ``errors``."""

    def __init__(self, errors: Sequence[RecordError]) -> None:
        super().__init__("; ".join(e.error for e in errors[:3]))
        self.errors = tuple(errors)


@dataclass(frozen=True)
class InputSpec:
    """What a request may hold and what the model is given.

    ``columns`` are the schema's columns without the target: a request may hold any of
    them and nothing else. ``features`` are the ones the model needs, in its order; a
    feature the schema marks ``required`` must be present (possibly null, if the schema
    allows nulls). A target field in a request is ignored, so full rows can be sent.

    What the model cannot take is refused: a missing field, a wrong type, NaN or inf
    where the schema allows none, a value outside the domain of a column whose encoder
    refuses unknown values (``closed_fields``). A number outside the schema's range or
    a value outside its domain is served, with a :class:`RecordNote`, unless ``strict``
    (then it is refused too): inferred ranges are the reference sample's extremes, and
    valid traffic goes beyond them.
    """

    columns: Mapping[str, ColumnSchema]
    features: tuple[str, ...]
    target: str | None = None
    max_records: int = DEFAULT_MAX_RECORDS
    named_features: bool = True
    strict: bool = False
    closed_fields: frozenset[str] = frozenset()

    @classmethod
    def for_model(
        cls,
        model: Any,
        schema: Schema,
        *,
        target: str | None = None,
        max_records: int = DEFAULT_MAX_RECORDS,
        strict: bool = False,
    ) -> InputSpec:
        """The spec for ``model`` under ``schema``. Raises InputError for a target or a
        model the schema does not describe."""
        if max_records < 1:
            raise InputError(f"max_records must be at least 1, not {max_records}")
        if target is not None and target not in schema.columns:
            raise InputError(
                f"target column {target!r} is not in the schema; check --target: "
                f"{name_hint(target, list(schema.columns))}"
            )
        columns = {k: v for k, v in schema.columns.items() if k != target}
        closed = closed_fields(model, list(columns))
        names = getattr(model, "feature_names_in_", None)
        if names is None:
            return cls(columns, tuple(columns), target, max_records, False, strict, closed)
        features = tuple(str(n) for n in names)
        if target is not None and target in features:
            raise InputError(
                f"the model takes the target column {target!r} as an input; check --target"
            )
        unknown = [f for f in features if f not in columns]
        if unknown:
            raise InputError(
                f"the model needs column(s) the schema does not describe: {', '.join(unknown)}; "
                "add them to the schema (mlgate schema infer on the training data)"
            )
        return cls(columns, features, target, max_records, True, strict, closed)

    @property
    def log_key(self) -> str:
        """The key a prediction is logged under: the target's name, so serving logs
        compare with the training data column for column."""
        return self.target or PREDICTION_KEY

    # -- validation ---------------------------------------------------------------------

    def parse(self, body: bytes) -> list[dict[str, Any]]:
        """The validated records of a request body, or ``BadRequest``."""
        return self.parse_noted(body)[0]

    def parse_noted(self, body: bytes) -> tuple[list[dict[str, Any]], list[RecordNote]]:
        """The validated records of a request body and the notes on values served
        outside the schema's range or domain; raises ``BadRequest``."""
        if not body.strip():
            raise BadRequest(
                [_body_error('the body is empty; send JSON: [{...}, ...] or {"records": [...]}')]
            )
        try:
            payload = json.loads(body)
        except ValueError as exc:
            raise BadRequest([_body_error(f"the body is not valid JSON: {exc}")]) from None
        except RecursionError:
            raise BadRequest([_body_error("the body is nested too deeply to be records")]) from None
        return self.validate_noted(payload)

    def validate(self, payload: Any) -> list[dict[str, Any]]:
        """The validated records of a decoded payload; raises ``BadRequest``."""
        return self.validate_noted(payload)[0]

    def validate_noted(self, payload: Any) -> tuple[list[dict[str, Any]], list[RecordNote]]:
        records = self._records_of(payload)
        clean: list[dict[str, Any]] = []
        errors: list[RecordError] = []
        notes: list[RecordNote] = []
        for i, record in enumerate(records):
            if not isinstance(record, dict):
                errors.append(RecordError(i, None, f"expected an object, got {_kind(record)}"))
                continue
            out, errs, noted = self._check_record(i, record)
            clean.append(out)
            errors.extend(errs)
            notes.extend(noted)
        if errors:
            raise BadRequest(errors)
        return clean, notes

    def _records_of(self, payload: Any) -> list[Any]:
        if isinstance(payload, dict) and "records" in payload:
            extra = sorted(k for k in payload if k != "records")
            if extra:
                raise BadRequest(
                    [_body_error(f'unknown key(s) {", ".join(extra)}; send {{"records": [...]}}')]
                )
            payload = payload["records"]
        if not isinstance(payload, list):
            raise BadRequest(
                [
                    _body_error(
                        f'expected a list of records or {{"records": [...]}}, got {_kind(payload)}'
                    )
                ]
            )
        if not payload:
            raise BadRequest([_body_error("no records: send at least one")])
        if len(payload) > self.max_records:
            raise BadRequest(
                [
                    _body_error(
                        f"too many records: {len(payload)}; this server takes at most "
                        f"{self.max_records} per request, send smaller batches"
                    )
                ]
            )
        return payload

    def _check_record(
        self, i: int, record: dict[str, Any]
    ) -> tuple[dict[str, Any], list[RecordError], list[RecordNote]]:
        out: dict[str, Any] = {}
        errors: list[RecordError] = []
        notes: list[RecordNote] = []
        for name, value in record.items():
            if name == self.target:
                continue
            col = self.columns.get(name)
            if col is None:
                errors.append(
                    RecordError(i, name, "unknown field: the schema does not describe it")
                )
                continue
            clean, problem, outside = _check(value, col)
            if problem is None and outside is not None:
                kind, text = outside
                refuse = self.strict or (kind == "unseen_value" and name in self.closed_fields)
                if refuse:
                    problem = text
                    if not self.strict:
                        problem += "; the model's encoder refuses values it has not seen"
                else:
                    notes.append(RecordNote(i, name, text, kind))
            if problem is not None:
                errors.append(RecordError(i, name, problem))
            else:
                out[name] = clean
        for name in self.features:
            if name in record:
                continue
            col = self.columns[name]
            if col.required:
                errors.append(RecordError(i, name, "missing: the model needs this field"))
            elif col.max_null_fraction == 0:
                errors.append(RecordError(i, name, "missing, and the schema allows no nulls here"))
        return out, errors, notes

    # -- model input --------------------------------------------------------------------

    def frame(self, records: Sequence[Mapping[str, Any]]) -> Any:
        """The features of validated records as a pandas DataFrame, in the model's order."""
        pd = _pandas()
        data = {
            name: _series(pd, [r.get(name) for r in records], self.columns[name])
            for name in self.features
        }
        return pd.DataFrame(data, columns=list(self.features))

    def model_input(self, frame: Any) -> Any:
        """What the model is given for a DataFrame holding (at least) the features:
        the features in the model's order, or a plain array for a model fitted on one."""
        selected = frame[list(self.features)]
        return selected if self.named_features else selected.to_numpy()


def check_value(value: Any, col: ColumnSchema) -> tuple[Any, str | None]:
    """The value as the model gets it, or why the schema refuses it (strictly: a value
    outside the schema's range or domain is refused)."""
    clean, problem, outside = _check(value, col)
    if problem is None and outside is not None:
        return None, outside[1]
    return clean, problem


#: (kind, text) of a value outside the schema's range or domain.
_Outside = tuple[str, str] | None


def _check(value: Any, col: ColumnSchema) -> tuple[Any, str | None, _Outside]:
    """The value as the model gets it; why the model cannot take it (or None); and,
    for a value it can take, whether it is outside the schema's range or domain."""
    if value is None:
        if col.max_null_fraction == 0:
            return None, "null, but the schema allows no nulls here (max_null_fraction is 0)", None
        return None, None, None
    kind = col.type
    if kind in ("integer", "float"):
        return _check_number(value, col)
    if kind == "string" and not isinstance(value, str):
        return None, f"expected a string, got {_kind(value)}", None
    if kind == "boolean" and not isinstance(value, bool):
        return None, f"expected a boolean, got {_kind(value)}", None
    if kind == "datetime":
        if not isinstance(value, str):
            return None, f"expected an ISO 8601 date-time string, got {_kind(value)}", None
        try:
            datetime.fromisoformat(value)
        except ValueError:
            return None, f"expected an ISO 8601 date-time string, got {value!r}", None
    if kind == "null":
        return None, f"expected null, got {_kind(value)}", None
    return value, None, _check_domain(value, col)


def _check_number(value: Any, col: ColumnSchema) -> tuple[Any, str | None, _Outside]:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None, f"expected a number ({col.type}), got {_kind(value)}", None
    if isinstance(value, float) and math.isnan(value):
        if col.allow_nan:
            return value, None, None
        return None, "NaN, but the schema allows no NaN here", None
    if isinstance(value, float) and math.isinf(value):
        if col.allow_inf:
            return value, None, None
        return None, f"{value}, but the schema allows no inf here", None
    if col.type == "integer":
        if isinstance(value, float):
            if not value.is_integer():
                return None, f"expected an integer, got {value!r}", None
            value = int(value)
        if not -(2**63) <= value < 2**63:
            return None, f"{value} does not fit a 64-bit integer", None
    else:
        value = float(value)
    rng = col.range
    if rng is not None and rng.min is not None and value < rng.min:
        return value, None, ("out_of_range", f"{value} is below the schema's minimum {rng.min}")
    if rng is not None and rng.max is not None and value > rng.max:
        return value, None, ("out_of_range", f"{value} is above the schema's maximum {rng.max}")
    return value, None, _check_domain(value, col)


def _check_domain(value: Any, col: ColumnSchema) -> _Outside:
    if col.domain is None or value in col.domain:
        return None
    shown = ", ".join(str(v) for v in col.domain[:_SHOW_DOMAIN])
    more = f" and {len(col.domain) - _SHOW_DOMAIN} more" if len(col.domain) > _SHOW_DOMAIN else ""
    return "unseen_value", f"{value!r} is not in the schema's domain: {shown}{more}"


def closed_fields(model: Any, columns: Sequence[str]) -> frozenset[str]:
    """The columns a scikit-learn encoder of ``model`` refuses unseen values of
    (``handle_unknown="error"``, OneHotEncoder's and OrdinalEncoder's default), found by
    walking its pipelines and column transformers; an encoder applied to no named
    columns closes every column. Empty for a model that is no scikit-learn estimator."""
    found: set[str] = set()

    def visit(est: Any, cols: Sequence[str] | None) -> None:
        steps = getattr(est, "steps", None)
        if isinstance(steps, list):
            for step in steps:
                visit(step[1], cols)
            return
        transformers = getattr(est, "transformers_", None) or getattr(est, "transformers", None)
        if isinstance(transformers, list):
            for item in transformers:
                if isinstance(item, tuple) and len(item) == 3:
                    named = item[2]
                    ok = isinstance(named, list | tuple) and all(isinstance(c, str) for c in named)
                    visit(item[1], list(named) if ok else cols)
            return
        if getattr(est, "handle_unknown", None) == "error":
            found.update(cols if cols is not None else columns)

    visit(model, None)
    return frozenset(found)


def _series(pd: Any, values: list[Any], col: ColumnSchema) -> Any:
    """One column as pandas builds it when it reads a CSV: a null is NaN (``None`` in an
    object column is not "missing" to scikit-learn's imputers: a training/serving skew)."""
    nan = float("nan")
    filled = [nan if v is None else v for v in values]
    if col.type == "float":
        return pd.Series(filled, dtype="float64")
    if col.type == "datetime":
        return pd.to_datetime(pd.Series(values, dtype=object))
    if col.type == "integer":
        return pd.Series(filled, dtype="float64" if None in values else "int64")
    if all(v is None for v in values):
        return pd.Series(filled, dtype=object)  # not float64: it is not a number column
    return pd.Series(filled)


def _body_error(message: str) -> RecordError:
    return RecordError(None, None, message)


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__


def _pandas() -> Any:
    try:
        import pandas
    except ImportError:
        raise MissingExtraError("pandas", "serve") from None
    return pandas


def jsonable(value: Any) -> Any:
    """NumPy scalars and arrays as plain JSON values (lists, floats, ints, strings)."""
    if hasattr(value, "tolist"):
        return value.tolist()
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    return value
