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
    """

    columns: Mapping[str, ColumnSchema]
    features: tuple[str, ...]
    target: str | None = None
    max_records: int = DEFAULT_MAX_RECORDS
    named_features: bool = True

    @classmethod
    def for_model(
        cls,
        model: Any,
        schema: Schema,
        *,
        target: str | None = None,
        max_records: int = DEFAULT_MAX_RECORDS,
    ) -> InputSpec:
        if max_records < 1:
            raise InputError(f"max_records must be at least 1, not {max_records}")
        if target is not None and target not in schema.columns:
            raise InputError(
                f"target column {target!r} is not in the schema; check --target: "
                f"{name_hint(target, list(schema.columns))}"
            )
        columns = {k: v for k, v in schema.columns.items() if k != target}
        names = getattr(model, "feature_names_in_", None)
        if names is None:
            return cls(columns, tuple(columns), target, max_records, named_features=False)
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
        return cls(columns, features, target, max_records)

    @property
    def log_key(self) -> str:
        """The key a prediction is logged under: the target's name, so serving logs
        compare with the training data column for column."""
        return self.target or PREDICTION_KEY

    # -- validation ---------------------------------------------------------------------

    def parse(self, body: bytes) -> list[dict[str, Any]]:
        """The validated records of a request body, or ``BadRequest``."""
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
        return self.validate(payload)

    def validate(self, payload: Any) -> list[dict[str, Any]]:
        records = self._records_of(payload)
        clean: list[dict[str, Any]] = []
        errors: list[RecordError] = []
        for i, record in enumerate(records):
            if not isinstance(record, dict):
                errors.append(RecordError(i, None, f"expected an object, got {_kind(record)}"))
                continue
            out, errs = self._check_record(i, record)
            clean.append(out)
            errors.extend(errs)
        if errors:
            raise BadRequest(errors)
        return clean

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
    ) -> tuple[dict[str, Any], list[RecordError]]:
        out: dict[str, Any] = {}
        errors: list[RecordError] = []
        for name, value in record.items():
            if name == self.target:
                continue
            col = self.columns.get(name)
            if col is None:
                errors.append(
                    RecordError(i, name, "unknown field: the schema does not describe it")
                )
                continue
            clean, problem = check_value(value, col)
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
        return out, errors

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
    """The value as the model gets it, or why the schema refuses it."""
    if value is None:
        if col.max_null_fraction == 0:
            return None, "null, but the schema allows no nulls here (max_null_fraction is 0)"
        return None, None
    kind = col.type
    if kind in ("integer", "float"):
        return _check_number(value, col)
    if kind == "string" and not isinstance(value, str):
        return None, f"expected a string, got {_kind(value)}"
    if kind == "boolean" and not isinstance(value, bool):
        return None, f"expected a boolean, got {_kind(value)}"
    if kind == "datetime":
        if not isinstance(value, str):
            return None, f"expected an ISO 8601 date-time string, got {_kind(value)}"
        try:
            datetime.fromisoformat(value)
        except ValueError:
            return None, f"expected an ISO 8601 date-time string, got {value!r}"
    if kind == "null":
        return None, f"expected null, got {_kind(value)}"
    return _check_domain(value, col)


def _check_number(value: Any, col: ColumnSchema) -> tuple[Any, str | None]:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None, f"expected a number ({col.type}), got {_kind(value)}"
    if isinstance(value, float) and math.isnan(value):
        return (value, None) if col.allow_nan else (None, "NaN, but the schema allows no NaN here")
    if isinstance(value, float) and math.isinf(value):
        return (
            (value, None)
            if col.allow_inf
            else (None, f"{value}, but the schema allows no inf here")
        )
    if col.type == "integer":
        if isinstance(value, float):
            if not value.is_integer():
                return None, f"expected an integer, got {value!r}"
            value = int(value)
        if not -(2**63) <= value < 2**63:
            return None, f"{value} does not fit a 64-bit integer"
    else:
        value = float(value)
    rng = col.range
    if rng is not None and rng.min is not None and value < rng.min:
        return None, f"{value} is below the schema's minimum {rng.min}"
    if rng is not None and rng.max is not None and value > rng.max:
        return None, f"{value} is above the schema's maximum {rng.max}"
    return _check_domain(value, col)


def _check_domain(value: Any, col: ColumnSchema) -> tuple[Any, str | None]:
    if col.domain is None or value in col.domain:
        return value, None
    shown = ", ".join(str(v) for v in col.domain[:_SHOW_DOMAIN])
    more = f" and {len(col.domain) - _SHOW_DOMAIN} more" if len(col.domain) > _SHOW_DOMAIN else ""
    return None, f"{value!r} is not in the schema's domain: {shown}{more}"


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
