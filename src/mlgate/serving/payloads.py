"""Requests the serving probe sends to see a server refuse what it must: deliberately
bad payloads, a synthetic record the schema allows, and how a refusal's body is read."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from mlgate.serving._http import Response
from mlgate.serving.records import InputSpec

#: How many examples a finding's details and message show.

#: A field name no schema holds, for the unknown-field probe, and a category no domain
#: holds, for the unseen-value probe.
UNKNOWN_FIELD = "mlgate_unknown_field"
UNKNOWN_CATEGORY = "mlgate-unknown-category"


def _bad_payloads(spec: InputSpec, base: Mapping[str, Any]) -> list[tuple[str, bytes]]:
    """Requests the schema refuses, each wrong in one way, built from a valid record."""

    def one(**changes: Any) -> bytes:
        record = {k: v for k, v in base.items() if k not in changes.get("drop", ())}
        record.update(changes.get("set", {}))
        return json.dumps([record], default=_json_default).encode()

    cols = [(f, spec.columns[f]) for f in spec.features]
    out: list[tuple[str, bytes]] = [
        ("not_json", b'{"records": [{"'),
        ("empty_list", b"[]"),
        ("not_a_record", b"[42]"),
        ("unknown_field", one(set={UNKNOWN_FIELD: 1})),
    ]
    required = [f for f, c in cols if c.required]
    if required:
        out.append(("missing_field", one(drop=(required[0],))))
    numeric = [(f, c) for f, c in cols if c.type in ("integer", "float")]
    strings = [f for f, c in cols if c.type == "string"]
    if numeric:
        out.append(("wrong_type", one(set={numeric[0][0]: "not a number"})))
    elif strings:
        out.append(("wrong_type", one(set={strings[0]: 12345})))
    # A value outside the schema's domain or range is malformed only for a strict server
    # (or, for a category, where the model's encoder refuses unseen values); a lenient
    # one serves it with a warning.
    categorical = [
        f
        for f, c in cols
        if c.domain
        and all(isinstance(v, str) for v in c.domain)
        and (spec.strict or f in spec.closed_fields)
    ]
    if categorical:
        out.append(("unknown_category", one(set={categorical[0]: UNKNOWN_CATEGORY})))
    ranged = [(f, c) for f, c in numeric if c.range is not None and c.range.max is not None]
    if ranged and spec.strict:
        f, c = ranged[0]
        assert c.range is not None and c.range.max is not None
        span = abs(c.range.max - (c.range.min if c.range.min is not None else 0)) or 1
        out.append(("out_of_range", one(set={f: c.range.max + 10 * span})))
    no_nulls = [f for f, c in cols if c.max_null_fraction == 0]
    if no_nulls:
        out.append(("null_not_allowed", one(set={no_nulls[0]: None})))
    return out


def _synthetic_record(spec: InputSpec) -> dict[str, Any]:
    """A record the schema accepts, for the probes when no held-out row was accepted."""
    out: dict[str, Any] = {}
    for name in spec.features:
        col = spec.columns[name]
        if col.domain:
            out[name] = col.domain[0]
        elif col.type in ("integer", "float"):
            lo = col.range.min if col.range and col.range.min is not None else 0
            hi = col.range.max if col.range and col.range.max is not None else lo
            mid = (lo + hi) / 2
            out[name] = round(mid) if col.type == "integer" else float(mid)
        elif col.type == "boolean":
            out[name] = True
        elif col.type == "datetime":
            out[name] = "2000-01-01T00:00:00"
        elif col.type == "string":
            out[name] = "x"
        else:
            out[name] = None
    return out


def _errors_of(resp: Response) -> list[dict[str, Any]]:
    body = resp.json()
    errors = body.get("errors") if isinstance(body, dict) else None
    if not isinstance(errors, list):
        return [{"record": None, "field": None, "error": _snippet(resp.body)}]
    return [e for e in errors if isinstance(e, dict)]


def _snippet(body: bytes, limit: int = 200) -> str:
    text = body.decode("utf-8", errors="replace").strip()
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _plain(record: Mapping[str, Any]) -> dict[str, Any]:
    return {
        k: _json_default(v) if isinstance(v, (date, datetime, Decimal)) else v
        for k, v in record.items()
    }


def _json_default(value: Any) -> Any:
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    if hasattr(value, "tolist"):
        return value.tolist()
    raise TypeError(f"cannot send a {type(value).__name__} as JSON")
