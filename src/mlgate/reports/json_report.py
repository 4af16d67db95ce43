"""The machine-readable report: the JSON contract of DESIGN.md, exactly."""

from __future__ import annotations

import json
import math
from typing import Any

from mlgate import __version__
from mlgate.findings import Report


def render_json(report: Report) -> str:
    # default=str: a date in a finding's details is text in JSON, not a crash.
    text = json.dumps(
        _finite(report.to_dict(__version__)), indent=2, ensure_ascii=False, default=str
    )
    return text + "\n"


def _finite(value: Any) -> Any:
    """JSON has no NaN or inf: such numbers become null rather than invalid JSON."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_finite(v) for v in value]
    return value
